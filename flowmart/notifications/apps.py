from django.apps import AppConfig


class NotificationsConfig(AppConfig):
    name = "flowmart.notifications"
    label = "notifications"

    def ready(self):
        from flowmart.common import privacy as shared_privacy

        from . import checks, privacy  # noqa: F401 - checks registers the deploy check

        shared_privacy.register_exporter("notifications", privacy.export_customer)
