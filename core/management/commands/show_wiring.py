"""`manage.py show_wiring`: every extension point and what each app registered on it.

The registries declare themselves in core.wiring when they are imported (by the apps' ready()), so
this command imports no app and the arrows keep pointing down.
"""

from django.core.management.base import BaseCommand

from core import wiring


class Command(BaseCommand):
    help = "List every extension point (rules, checks, review kinds, targets, hooks, erasers) and what is registered."

    def handle(self, *args: object, **options: object) -> None:
        for point in wiring.extension_points():
            self.stdout.write(self.style.MIGRATE_HEADING(point.name))
            self.stdout.write(f"  {point.description}")
            registered = point.registered()
            for entry in registered:
                self.stdout.write(f"  - {entry}")
            if not registered:
                self.stdout.write("  (nothing registered)")
