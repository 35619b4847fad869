"""python manage.py events [--json] | replay ... | trace <correlation_id> | sweep"""

import json

from django.core.management.base import BaseCommand, CommandError

from flowmart.events import relay
from flowmart.events.base import all_events
from flowmart.events.models import Delivery
from flowmart.events.registry import subscribers_for
from flowmart.events.story import trace


def catalogue() -> list[dict]:
    return [
        {
            "name": cls.name,
            "version": cls.version,
            "publisher": cls.publisher,
            "subscribers": sorted(sub.name for sub in subscribers_for(cls.name)),
            "kinds": {sub.name: str(sub.kinds) for sub in subscribers_for(cls.name) if sub.kinds},
        }
        for cls in all_events()
    ]


class Command(BaseCommand):
    help = "The event catalogue, and tools to replay dead deliveries and trace a correlation id."

    def add_arguments(self, parser):
        parser.add_argument("--json", action="store_true", help="print the catalogue as JSON")
        actions = parser.add_subparsers(dest="action")
        replay = actions.add_parser("replay", help="re-deliver dead deliveries")
        replay.add_argument("delivery_ids", nargs="*", type=int)
        replay.add_argument("--dead", action="store_true", help="every dead delivery")
        replay.add_argument("--event", help="the dead deliveries of one event id")
        replay.add_argument("--subscriber", help="only this subscriber's")
        trace = actions.add_parser("trace", help="print the causal story of one correlation id")
        trace.add_argument("correlation_id")
        actions.add_parser("sweep", help="re-send every due pending delivery now")

    def handle(self, *args, action=None, **options):
        if action == "replay":
            return self.replay(options)
        if action == "trace":
            return self.trace(options["correlation_id"])
        if action == "sweep":
            self.stdout.write(f"{relay.sweep()} deliveries re-sent")
            return
        self.print_catalogue(options["json"])

    def print_catalogue(self, as_json: bool):
        rows = catalogue()
        if as_json:
            self.stdout.write(json.dumps(rows, indent=2))
            return
        width = max(len(r["name"]) for r in rows) + 2
        self.stdout.write(f"{'EVENT':<{width}}{'V':<3}{'PUBLISHER':<15}SUBSCRIBERS")
        for r in rows:
            subs = ", ".join(f"{n} ({r['kinds'][n]})" if n in r["kinds"] else n for n in r["subscribers"]) or "-"
            self.stdout.write(f"{r['name']:<{width}}{r['version']:<3}{r['publisher']:<15}{subs}")

    def replay(self, options):
        deliveries = Delivery.objects.filter(status=Delivery.Status.DEAD)
        if options["delivery_ids"]:
            deliveries = deliveries.filter(pk__in=options["delivery_ids"])
        elif options["event"]:
            deliveries = deliveries.filter(event__event_id=options["event"])
        elif not options["dead"]:
            raise CommandError("name delivery ids, --event EVENT_ID or --dead")
        if options["subscriber"]:
            deliveries = deliveries.filter(subscriber=options["subscriber"])
        self.stdout.write(f"{relay.replay(deliveries)} dead deliveries queued again")

    def trace(self, correlation_id: str):
        story = trace(correlation_id, limit=None)
        if not story:
            raise CommandError(f"no events with correlation id {correlation_id}")
        for line in story:
            indent = "  " * line.depth
            arrow = "└─ " if line.depth else ""
            self.stdout.write(f"{line.at:%H:%M:%S.%f} {indent}{arrow}{line.name} ({line.publisher}) {line.event_id}")
            for subscriber, status, attempts, error in line.deliveries:
                note = f" — {error}" if error else ""
                self.stdout.write(f"{'':15} {indent}   → {subscriber}: {status} after {attempts} attempt(s){note}")
