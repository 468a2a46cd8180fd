"""Demo data for `make run`: one account per role, the current agreement accepted, staff with TOTP.

Called by the `demo` app's load_demo_data command, which owns the password and the TOTP secret and
passes them down; accounts imports nothing of demo. Idempotent: running it twice changes nothing.
"""

from allauth.account.models import EmailAddress
from allauth.mfa.models import Authenticator
from allauth.mfa.totp.internal.auth import TOTP
from django.contrib.auth.models import Group, Permission
from django.db import transaction
from django.utils import timezone

from . import services
from .models import AgreementAcceptance, Level, LevelSource, PhoneNumber, Profile, User

ACCOUNTS = [
    # email, nickname, level, source, groups, is_staff, is_superuser
    ("level0@demo.local", "新朋友", Level.REGISTERED, LevelSource.NONE, [], False, False),
    ("level1@demo.local", "小林", Level.INDIRECT, LevelSource.PHONE, [], False, False),
    ("level2@demo.local", "老王", Level.VERIFIED, LevelSource.DOCUMENT, [], False, False),
    ("moderator@demo.local", "审核员", Level.VERIFIED, LevelSource.DOCUMENT, ["moderator"], True, False),
    ("senior@demo.local", "高级审核员", Level.VERIFIED, LevelSource.DOCUMENT,
     ["moderator", "senior moderator"], True, False),
    ("admin@demo.local", "管理员", Level.VERIFIED, LevelSource.DOCUMENT, [], True, True),
]

# Staff granted the identity reveal (accounts/reveal.py): no group holds it, an administrator grants it to people.
REVEAL_HOLDERS = {"senior@demo.local"}

# Valid (checksummed) resident ID numbers for demo identities; not real people.
DEMO_IDS = {
    "level2@demo.local": ("王五", "11010519491231002X"),
}


def load_demo_accounts(*, password: str, totp_secret: str) -> list[str]:
    """Create the role accounts (those missing) and return their emails, in the order of ACCOUNTS."""
    agreement = services.agreement_current()
    with transaction.atomic():
        for email, nickname, level, source, groups, is_staff, is_superuser in ACCOUNTS:
            user = _demo_user(email, nickname, level, source, is_staff, is_superuser, password=password)
            if agreement:
                AgreementAcceptance.objects.get_or_create(user=user, version=agreement)
            user.groups.set(Group.objects.filter(name__in=groups))
            if email in REVEAL_HOLDERS:
                user.user_permissions.add(Permission.objects.get(codename="reveal_identity",
                                                                 content_type__app_label="accounts"))
            if is_staff or groups:
                if not Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).exists():
                    TOTP.activate(user, totp_secret)
            if level >= Level.INDIRECT:
                PhoneNumber.objects.get_or_create(
                    user=user, defaults={"number": f"+86139{user.pk:08d}", "confirmed_at": timezone.now()})
            if email in DEMO_IDS and not user.identities.exists():
                name, number = DEMO_IDS[email]
                identity = services.identity_store(user=user, real_name=name, document_type="resident_id",
                                                   document_number=number)
                services.identity_confirm(identity=identity)
    return [email for email, *_rest in ACCOUNTS]


def _demo_user(email: str, nickname: str, level: int, source: str, is_staff: bool, is_superuser: bool, *,
               password: str) -> User:
    user, created = User.objects.get_or_create(
        email=email,
        defaults={"level": level, "level_source": source, "is_staff": is_staff, "is_superuser": is_superuser,
                  "level_changed_at": timezone.now() if level else None, "language": "zh-hans"},
    )
    if created:
        user.set_password(password)
        user.save(update_fields=["password"])
    Profile.objects.get_or_create(user=user, defaults={"nickname": nickname})
    EmailAddress.objects.get_or_create(user=user, email=email, defaults={"verified": True, "primary": True})
    return user
