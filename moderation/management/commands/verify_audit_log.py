"""Check the audit log's keyed chain and its checkpoints: exit 0 when intact, 1 with every break listed."""

from django.core.management.base import BaseCommand, CommandError

from moderation import audit

# Past this many lines the rest is counted, not printed (a wrong key breaks every entry).
MAX_LINES = 200


class Command(BaseCommand):
    help = ("Verify that no audit log entry was edited, removed or reordered: the HMAC chain under AUDIT_LOG_KEY, "
            "the chain head, and the signed checkpoints in the private storage.")

    def add_arguments(self, parser):
        parser.add_argument("--no-checkpoints", action="store_true",
                            help="Check the chain only, not the checkpoints outside the database.")

    def handle(self, *args, **options):
        try:
            result = audit.verify(checkpoints=not options["no_checkpoints"])
        except RuntimeError as exc:  # no key configured
            raise CommandError(str(exc), returncode=2) from exc
        summary = (f"{result.chained} chained entries, {result.pending} pending (not yet chained), "
                   f"{result.erased_notes} erased notes, {result.checkpoints} checkpoints")
        if result.problems:
            for problem in result.problems[:MAX_LINES]:
                self.stderr.write(problem)
            if len(result.problems) > MAX_LINES:
                self.stderr.write(f"... and {len(result.problems) - MAX_LINES} more")
            if result.first_bad:
                self.stderr.write(f"First bad entry: #{result.first_bad[1]} (seq {result.first_bad[0]})")
            self.stderr.write(summary)
            # CommandError makes manage.py exit with status 1 (and call_command raise, for tests).
            raise CommandError(f"Audit log broken: {len(result.problems)} problem(s) found.", returncode=1)
        self.stdout.write(self.style.SUCCESS(f"Audit log intact: {summary}"))
