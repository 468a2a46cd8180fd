"""Demo data for `make run`: verified vouchers, an applicant who can ask them, and a flagged case in the queue."""

from datetime import timedelta

from allauth.account.models import EmailAddress
from django.db import transaction
from django.utils import timezone

from accounts.models import AgreementAcceptance, Level, LevelSource, PhoneNumber, Profile, User
from accounts.services import agreement_current, identity_confirm, identity_store
from social.models import Friendship
from verification.documents.models import DocumentKind

from . import services as vouch_services
from .models import VouchCase, VouchRequest

VOUCH_DEMO_APPLICANT = ("vouchee@demo.local", "小陈")
VOUCH_DEMO_FLAGGED = ("flagged@demo.local", "新来的")
# email, nickname, real name, resident ID (valid check digits; not real people), days friends with the applicant
VOUCH_DEMO_VOUCHERS = [
    ("voucher1@demo.local", "阿强", "赵强", "110101198501010017", 120),
    ("voucher2@demo.local", "小美", "钱美", "110101198702020027", 90),
    ("voucher3@demo.local", "大刘", "刘大", "110101199003030036", 60),
    # Friends only since yesterday: shown on the applicant's page with the reason she cannot vouch yet.
    ("voucher4@demo.local", "新同事", "孙新", "110101199204040046", 1),
]
VOUCH_DEMO_FLAGGED_ID = ("周新", "110101199505050053")


def _demo_user(email: str, nickname: str, *, password: str, level: int, source: str, verified_days: int,
               joined_days: int) -> User:
    now = timezone.now()
    user, created = User.objects.get_or_create(email=email, defaults={
        "level": level, "level_source": source, "level_changed_at": now - timedelta(days=verified_days),
        "date_joined": now - timedelta(days=joined_days), "language": "zh-hans"})
    if created:
        user.set_password(password)
        user.save(update_fields=["password"])
    Profile.objects.get_or_create(user=user, defaults={"nickname": nickname})
    EmailAddress.objects.get_or_create(user=user, email=email, defaults={"verified": True, "primary": True})
    agreement = agreement_current()
    if agreement:
        AgreementAcceptance.objects.get_or_create(user=user, version=agreement)
    PhoneNumber.objects.get_or_create(user=user, defaults={"number": f"+86137{user.pk:08d}",
                                                           "confirmed_at": now - timedelta(days=joined_days)})
    return user


def _demo_friends(a: User, b: User, days: int) -> None:
    low, high = Friendship.ordered(a.pk, b.pk)
    Friendship.objects.get_or_create(user_low_id=low, user_high_id=high,
                                     defaults={"since": timezone.now() - timedelta(days=days)})


def load_demo_vouching(*, password: str) -> None:
    """Vouchers verified by document, an applicant who can ask three of them, and a flagged case in the queue.

    Idempotent: existing accounts, friendships and cases are left as they are. New accounts get `password`
    (the demo loader's, so one password opens every demo account).
    """
    kind = DocumentKind.objects.filter(code="resident_id").first()
    if kind is None:
        return
    with transaction.atomic():
        applicant = _demo_user(*VOUCH_DEMO_APPLICANT, password=password, level=Level.INDIRECT, source=LevelSource.PHONE,
                               verified_days=100, joined_days=200)
        flagged = _demo_user(*VOUCH_DEMO_FLAGGED, password=password, level=Level.INDIRECT, source=LevelSource.PHONE,
                             verified_days=15, joined_days=20)
        vouchers = []
        for email, nickname, name, number, friend_days in VOUCH_DEMO_VOUCHERS:
            voucher = _demo_user(email, nickname, password=password, level=Level.VERIFIED, source=LevelSource.DOCUMENT,
                                 verified_days=200, joined_days=400)
            if not voucher.identities.exists():
                identity = identity_store(user=voucher, real_name=name, document_type="resident_id",
                                          document_number=number)
                identity_confirm(identity=identity)
            _demo_friends(applicant, voucher, friend_days)
            _demo_friends(flagged, voucher, 10)
            vouchers.append(voucher)
    if VouchCase.objects.filter(applicant=flagged).exists():
        return
    # The normal path: a young account asks three friends, who confirm; it lands in the review queue.
    name, number = VOUCH_DEMO_FLAGGED_ID
    case = vouch_services.vouch_case_create(applicant=flagged, kind=kind, real_name=name, document_number=number,
                                            voucher_ids=[v.pk for v in vouchers[:3]])
    for request in VouchRequest.objects.filter(case=case).select_related("voucher"):
        vouch_services.vouch_request_confirm(vouch_request=request, actor=request.voucher, statement=True)
