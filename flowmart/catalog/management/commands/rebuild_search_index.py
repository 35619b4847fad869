"""Rebuild the catalogue's search data (full-text vectors, auto-suggest rows) from the products.

The services keep both current on every write; run this after loading products some other way."""

from django.core.management.base import BaseCommand

from ... import services


class Command(BaseCommand):
    help = "Recompute every product's search vector and auto-suggest rows."

    def handle(self, *args, **options):
        rows = services.rebuild_search_index()
        self.stdout.write(f"  search index rebuilt: {rows} suggestion rows")
