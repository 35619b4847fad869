import pytest

from tests.catalog.conftest import _fresh_list_cache  # noqa: F401  (pages must show new ratings at once)
from tests.catalog.factories import SellerFactory, make_product, variant
from tests.support.shop_events import *  # noqa: F403  (fixtures: emit, order, only_these_contexts)


@pytest.fixture
def product(emit):
    """product("Kettle", sku="KETTLE-1", seller=...) → a catalogue product, published to reviews."""

    def _product(name="Kettle", sku=None, seller=None, price="10.00"):
        return emit(lambda: make_product(name, seller=seller or SellerFactory(), variants=[variant(price, sku=sku)]))

    return _product


@pytest.fixture
def buyer(make_customer):
    return make_customer()
