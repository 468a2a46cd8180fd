"""Demo accounts, one per role (see ARCHITECTURE.md). Idempotent: running it twice changes nothing."""

from allauth.account.models import EmailAddress
from allauth.mfa.models import Authenticator
from allauth.mfa.totp.internal.auth import TOTP
from django.conf import settings
from django.contrib.auth.models import Group, Permission
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils import timezone

from accounts import services
from accounts.models import AgreementAcceptance, Level, LevelSource, PhoneNumber, Profile, User

PASSWORD = "Demo-pass-2026"
TOTP_SECRET = "JBSWY3DPEHPK3PXP"  # demo data only; production refuses to load demo data

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


class Command(BaseCommand):
    help = "Load the demo accounts (local development only)."

    def handle(self, *args, **options):
        if not settings.DEMO_DATA_ALLOWED:
            raise CommandError("Demo data is disabled in this environment (DEMO_DATA_ALLOWED is false).")
        agreement = services.agreement_current()
        with transaction.atomic():
            for email, nickname, level, source, groups, is_staff, is_superuser in ACCOUNTS:
                user = self._user(email, nickname, level, source, is_staff, is_superuser)
                if agreement:
                    AgreementAcceptance.objects.get_or_create(user=user, version=agreement)
                user.groups.set(Group.objects.filter(name__in=groups))
                if email in REVEAL_HOLDERS:
                    user.user_permissions.add(Permission.objects.get(codename="reveal_identity",
                                                                     content_type__app_label="accounts"))
                if is_staff or groups:
                    if not Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).exists():
                        TOTP.activate(user, TOTP_SECRET)
                if level >= Level.INDIRECT:
                    PhoneNumber.objects.get_or_create(
                        user=user, defaults={"number": f"+86139{user.pk:08d}", "confirmed_at": timezone.now()})
                if email in DEMO_IDS and not user.identities.exists():
                    name, number = DEMO_IDS[email]
                    identity = services.identity_store(user=user, real_name=name, document_type="resident_id",
                                                       document_number=number)
                    services.identity_confirm(identity=identity)
        self._social()
        self._verification()
        self._publicaccounts()
        self.stdout.write(self.style.SUCCESS("Demo accounts ready. Password for all: " + PASSWORD))
        for email, *_rest in ACCOUNTS:
            self.stdout.write(f"  {email}")
        self.stdout.write(f"Staff TOTP secret (demo only): {TOTP_SECRET}")

    def _user(self, email, nickname, level, source, is_staff, is_superuser) -> User:
        user, created = User.objects.get_or_create(
            email=email,
            defaults={"level": level, "level_source": source, "is_staff": is_staff, "is_superuser": is_superuser,
                      "level_changed_at": timezone.now() if level else None, "language": "zh-hans"},
        )
        if created:
            user.set_password(PASSWORD)
            user.save(update_fields=["password"])
        Profile.objects.get_or_create(user=user, defaults={"nickname": nickname})
        EmailAddress.objects.get_or_create(user=user, email=email, defaults={"verified": True, "primary": True})
        return user

    def _verification(self) -> None:
        """A pending document and a flagged vouch case in the queue; friends ready to vouch."""
        try:
            from verification.documents.demo import load_demo_verification
            from verification.vouching.demo import load_demo_vouching
        except ImportError:
            return
        load_demo_verification()
        load_demo_vouching(password=PASSWORD)

    def _publicaccounts(self) -> None:
        """level2 runs a public account with a reproduction licence and a few articles."""
        try:
            from publicaccounts.demo import load_demo_publicaccounts
        except ImportError:
            return
        load_demo_publicaccounts()

    def _social(self) -> None:
        """Make level1 and level2 friends with a first moment, if the social app offers it."""
        try:
            from social.demo import load_demo_social
        except ImportError:
            return
        load_demo_social()
