"""The staff-role groups as the customers migration makes them. The test database is built
without migrations, so tests that need the groups' admin permissions install them here."""

import importlib

from django.apps import apps

_migration = importlib.import_module("flowmart.customers.migrations.0007_backoffice")


def install_roles() -> None:
    """Create (or refresh) the `operations` and `seller staff` groups and their permissions."""
    _migration.create_roles(apps)
