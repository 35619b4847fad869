"""What may be recommended follows whether each SKU is in stock, without a checkout's
reservations being delivered here: a reservation that takes the last unit is told by
OutOfStock, and every other reason of InventoryAdjusted still arrives."""

import re
from pathlib import Path

import pytest

from flowmart.contracts.inventory import InventoryAdjusted, OutOfStock
from flowmart.events.registry import subscriber
from flowmart.recommendations.handlers import STOCK_REASONS
from flowmart.recommendations.models import Product
from tests.support import contract_events

pytestmark = pytest.mark.django_db

INVENTORY = Path(__file__).resolve().parents[2] / "flowmart" / "inventory"


def reserved(order_id: int, **levels) -> InventoryAdjusted:
    return contract_events.inventory_adjusted("reserved", order_id, levels=levels)


def test_every_reason_inventory_reports_but_reserved_reaches_keep_stock():
    """A new reason in inventory fails here until it is placed: wanted, or knowingly not."""
    source = "\n".join(path.read_text() for path in INVENTORY.glob("*.py"))
    reasons = set(re.findall(r'(?:commit|adjusted_event)\(\s*"([a-z_]+)"', source))
    assert reasons == {*STOCK_REASONS, "reserved"}
    keep_stock = subscriber("recommendations.keep_stock")
    assert not keep_stock.wants(reserved(1, X=0))
    assert all(keep_stock.wants(contract_events.inventory_adjusted(reason, levels={})) for reason in STOCK_REASONS)


def test_a_reservation_that_takes_the_last_unit_makes_the_product_unavailable(product, emit):
    kettle = product("Kettle", stock=1)
    assert Product.objects.get(product_id=kettle.id).available

    emit(reserved(7001, **{kettle.sku: 0}), OutOfStock(order_id=None, amendment_id=None, skus=(kettle.sku,)))
    assert not Product.objects.get(product_id=kettle.id).available

    emit(contract_events.inventory_adjusted("released", 7001, levels={kettle.sku: 1}))
    assert Product.objects.get(product_id=kettle.id).available


def test_an_older_report_does_not_undo_a_sell_out(product, emit):
    kettle = product("Kettle", stock=2)
    older = contract_events.inventory_adjusted("received", levels={kettle.sku: 2})
    emit(OutOfStock(order_id=None, amendment_id=None, skus=(kettle.sku,)))
    emit(older)  # delivered late
    assert not Product.objects.get(product_id=kettle.id).available
