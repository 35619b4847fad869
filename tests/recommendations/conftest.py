import pytest

from tests.catalog.factories import SellerFactory, make_product, variant
from tests.support.shop_events import *  # noqa: F403  (fixtures: emit, order, only_these_contexts)
from tests.support.shop_events import stocked


@pytest.fixture
def product(emit):
    """product("Kettle", stock=5) → a catalogue product (SKU "<NAME>-1"), published and stocked."""

    def _product(name="Kettle", stock=5, price="10.00"):
        sku = f"{name.upper()}-1"
        item = emit(lambda: make_product(name, seller=SellerFactory(), variants=[variant(price, sku=sku)]))
        emit(stocked(**{sku: stock}))
        item.sku = sku
        return item

    return _product
