"""`manage.py receive_stock SKU WAREHOUSE QUANTITY --reason "PO 42"`: goods arrived.

The same service as `POST /api/v1/inventory/receipts/`: one ledger movement and one
InventoryAdjusted, so availability reaches the catalogue and orders."""

import getpass

from django.core.management.base import BaseCommand

from flowmart.common.commands import command_error
from flowmart.common.errors import ApiError, InvalidRequest
from flowmart.inventory import services
from flowmart.inventory.models import SellerSku


def _operator() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):  # no login name in some containers
        return "unknown"


class Command(BaseCommand):
    help = "Receive stock of a SKU into a warehouse (a ledger movement plus InventoryAdjusted)."

    def add_arguments(self, parser):
        parser.add_argument("sku")
        parser.add_argument("warehouse", help="warehouse code")
        parser.add_argument("quantity", type=int, help="units that arrived (positive)")
        parser.add_argument("--reason", default="received", help="shown on the ledger, e.g. 'PO 42'")
        parser.add_argument(
            "--reference", help="ledger reference (default: command:<login name of whoever runs the command>)"
        )

    def handle(self, *args, sku, warehouse, quantity, reason, reference, **options):
        sku = sku.strip()
        if not sku or len(sku) > 64:
            raise command_error(InvalidRequest("The SKU is invalid.", fields={"sku": ["1-64 characters."]}))
        try:
            level = services.receive_stock(
                sku=sku,
                warehouse_code=warehouse.strip().upper(),
                quantity=quantity,
                reason=reason,
                reference=reference or f"command:{_operator()}",
            )
        except ApiError as exc:
            raise command_error(exc) from None
        if not SellerSku.objects.filter(sku=sku).exists():
            self.stderr.write(self.style.WARNING(f"Note: no published product has SKU {sku} (yet)."))
        self.stdout.write(
            self.style.SUCCESS(
                f"Received {quantity} × {sku} at {level.warehouse.code}: {level.on_hand} on hand, "
                f"{level.on_hand - level.reserved} available"
            )
        )
