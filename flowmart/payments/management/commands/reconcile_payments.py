"""Run the provider reconciliation now (the beat job runs it daily)."""

import sys
from datetime import timedelta

from django.core.management.base import BaseCommand
from django.utils import timezone

from flowmart.payments.gateways import available_providers
from flowmart.payments.services.reconciliation import reconcile


class Command(BaseCommand):
    help = "Compare our payments with the providers' records; non-zero exit on differences."

    def add_arguments(self, parser):
        parser.add_argument("--days", type=int, default=2)

    def handle(self, *args, days=2, **options):
        since = timezone.now() - timedelta(days=days)
        diffs = [d for provider in available_providers() for d in reconcile(provider, since)]
        for diff in diffs:
            self.stdout.write(f"DIFF {diff}")
        if diffs:
            sys.exit(1)
        self.stdout.write("reconciled: no differences")
