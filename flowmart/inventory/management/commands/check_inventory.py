"""`manage.py check_inventory`: prove stock rows, ledger and reservations agree.
Exits non-zero and prints every drift found, so cron/CI can alert on it."""

from django.core.management.base import BaseCommand, CommandError

from flowmart.inventory.selectors import inventory_drift


class Command(BaseCommand):
    help = "Check inventory invariants (on_hand = ledger, reserved = open reservations, nothing negative)."

    def handle(self, *args, **options):
        drift = inventory_drift()
        if drift:
            for problem in drift:
                self.stderr.write(f"DRIFT {problem}")
            raise CommandError(f"{len(drift)} inventory invariant violation(s) found")
        self.stdout.write(self.style.SUCCESS("Inventory invariants hold."))
