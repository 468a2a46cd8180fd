"""Demo data for `make run`, loaded from the top: each app offers its own demo function, only this app calls them.

Idempotent: running it twice changes nothing. The order matters: accounts first (the role accounts the
others hang data on), then social (friendships the vouchers need), then verification and publicaccounts.
"""

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from accounts.demo import load_demo_accounts
from demo import PASSWORD, TOTP_SECRET
from publicaccounts.demo import load_demo_publicaccounts
from social.demo import load_demo_social
from verification.documents.demo import load_demo_verification
from verification.vouching.demo import load_demo_vouching


class Command(BaseCommand):
    help = "Load the demo accounts (local development only)."

    def handle(self, *args, **options):
        if not settings.DEMO_DATA_ALLOWED:
            raise CommandError("Demo data is disabled in this environment (DEMO_DATA_ALLOWED is false).")
        emails = load_demo_accounts(password=PASSWORD, totp_secret=TOTP_SECRET)
        # level1 and level2 are friends, level2 has posted a first moment.
        load_demo_social()
        # A pending document and a flagged vouch case in the queue; friends ready to vouch.
        load_demo_verification()
        load_demo_vouching(password=PASSWORD)
        # level2 runs a public account with a reproduction licence and a few articles.
        load_demo_publicaccounts()
        self.stdout.write(self.style.SUCCESS("Demo accounts ready. Password for all: " + PASSWORD))
        for email in emails:
            self.stdout.write(f"  {email}")
        self.stdout.write(f"Staff TOTP secret (demo only): {TOTP_SECRET}")
