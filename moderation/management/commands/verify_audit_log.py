"""Check the audit log's hash chain: exit 0 when intact, 1 with every break listed."""

from django.core.management.base import BaseCommand, CommandError

from moderation import audit
from moderation.models import AuditEntry


class Command(BaseCommand):
    help = "Verify that no audit log entry was edited, removed or reordered."

    def handle(self, *args, **options):
        problems = audit.verify_chain()
        if problems:
            for problem in problems:
                self.stderr.write(problem)
            # CommandError makes manage.py exit with status 1 (and call_command raise, for tests).
            raise CommandError(f"Audit log broken: {len(problems)} problem(s) found.", returncode=1)
        self.stdout.write(self.style.SUCCESS(f"Audit log intact: {AuditEntry.objects.count()} entries"))
