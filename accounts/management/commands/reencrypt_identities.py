"""After adding a new key in front of FIELD_ENCRYPTION_KEYS: re-encrypt identities and phone numbers with it."""

from django.core.management.base import BaseCommand

from accounts.services import identities_reencrypt, phones_reencrypt


class Command(BaseCommand):
    help = ("Re-encrypt every real identity and every stored phone number (and pending SMS codes) "
            "under the newest key in FIELD_ENCRYPTION_KEYS.")

    def add_arguments(self, parser):
        parser.add_argument("--batch-size", type=int, default=500)

    def handle(self, *args, batch_size: int, **options):
        count = identities_reencrypt(batch_size=batch_size)
        self.stdout.write(self.style.SUCCESS(f"Re-encrypted {count} identities with the newest key."))
        phones = phones_reencrypt(batch_size=batch_size)
        self.stdout.write(self.style.SUCCESS(f"Re-encrypted {phones} phone numbers and SMS challenges with the newest key."))
