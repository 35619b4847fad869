"""`manage.py create_warehouse CODE --name ... --country DE --latitude 51.31 --longitude 9.48`"""

from django.core.management.base import BaseCommand

from flowmart.common.commands import command_error
from flowmart.common.errors import ApiError
from flowmart.inventory import services


class Command(BaseCommand):
    help = "Create a warehouse (routing uses its position to pick the nearest stock)."

    def add_arguments(self, parser):
        parser.add_argument("code", help="unique code, e.g. FR-SOUTH (upper-cased)")
        parser.add_argument("--name", required=True, help="e.g. 'Lyon fulfilment'")
        parser.add_argument("--country", required=True, help="ISO 3166-1 alpha-2 code, e.g. FR")
        parser.add_argument("--latitude", required=True, help="decimal degrees, e.g. 45.7640")
        parser.add_argument("--longitude", required=True, help="decimal degrees, e.g. 4.8357")

    def handle(self, *args, code, name, country, latitude, longitude, **options):
        try:
            warehouse = services.create_warehouse(
                code=code, name=name, country=country, latitude=latitude, longitude=longitude
            )
        except ApiError as exc:
            raise command_error(exc) from None
        self.stdout.write(
            self.style.SUCCESS(f"Created warehouse {warehouse.code} ({warehouse.name}, {warehouse.country})")
        )
