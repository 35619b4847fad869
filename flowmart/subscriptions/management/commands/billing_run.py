"""python manage.py billing_run [--as-of ISO-8601] — one billing run at a given clock."""

from datetime import UTC

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime

from flowmart.subscriptions.services import billing


def as_of(value: str | None):
    if not value:
        return timezone.now()
    moment = parse_datetime(value)
    if moment is None and parse_date(value) is not None:
        moment = parse_datetime(f"{value}T00:00:00")
    if moment is None:
        raise CommandError(f"--as-of {value!r} is not an ISO-8601 date or date-time")
    return moment if timezone.is_aware(moment) else moment.replace(tzinfo=UTC)


class Command(BaseCommand):
    help = "Emit every subscription renewal due at --as-of (default now), retry due dunning, exactly once."

    def add_arguments(self, parser):
        parser.add_argument("--as-of", help="the run's clock, ISO 8601 (naive = UTC)")
        parser.add_argument("--chunk-size", type=int, help="customers per transaction (SUBSCRIPTIONS_CHUNK_SIZE)")

    def handle(self, *args, **options):
        clock = as_of(options.get("as_of"))
        stats = billing.run(clock, options.get("chunk_size"))
        self.stdout.write(
            f"billing run at {clock.isoformat()}: {stats.renewals} renewal(s) in {stats.orders} order(s), "
            f"{stats.retries} retry order(s), {stats.skipped} skipped, {stats.resumed} resumed, "
            f"{stats.cancelled} cancelled, {stats.reminded} reminded, "
            f"{stats.busy_customers} customer(s) held by another run"
        )
