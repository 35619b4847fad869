from django.apps import AppConfig
from django.db.backends.signals import connection_created


class CommonConfig(AppConfig):
    name = "flowmart.common"
    label = "common"

    def ready(self):
        connection_created.connect(keep_prepared_statements, dispatch_uid="flowmart.keep_prepared_statements")


def keep_prepared_statements(sender, connection, **kwargs):
    """Room for every hot statement of a process (the saga's and the web's, about 150 texts) in
    psycopg's per-connection cache of prepared statements: at its default of 100, the least
    recently used ones were deallocated and prepared again, a round trip each time."""
    from django.conf import settings

    limit = settings.DB_PREPARED_MAX
    if connection.vendor == "postgresql" and limit and connection.connection.prepare_threshold is not None:
        connection.connection.prepared_max = limit
