"""Report every order whose ledger disagrees with its payment (captured − refunded,
unbalanced transactions). Exits non-zero on any drift, so it can gate a cron or CI."""

import sys

from django.core.management.base import BaseCommand

from flowmart.payments.ledger import check_ledger


class Command(BaseCommand):
    help = "Check the payments ledger against payments; non-zero exit on drift."

    def add_arguments(self, parser):
        parser.add_argument("--order", type=int, action="append", dest="orders", help="only these order ids")

    def handle(self, *args, orders=None, **options):
        drifts = check_ledger(orders)
        for drift in drifts:
            self.stdout.write(f"DRIFT {drift}")
        if drifts:
            self.stderr.write(f"{len(drifts)} ledger problem(s) found")
            sys.exit(1)
        self.stdout.write("ledger OK")
