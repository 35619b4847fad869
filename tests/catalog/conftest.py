import pytest

from flowmart.catalog import cache as list_cache


@pytest.fixture(autouse=True)
def _fresh_list_cache(settings):
    """The root conftest clears the shared cache between tests; drop this process's copies
    too, and check the shared version on every request (no 1 s grace within a test)."""
    settings.CATALOG_LIST_VERSION_CHECK_SECONDS = 0
    list_cache._local.update(version=None, checked_at=float("-inf"), pages={}, missed_changes=False)
    yield
