from django.apps import AppConfig


class SubscriptionsConfig(AppConfig):
    name = "flowmart.subscriptions"
    label = "subscriptions"

    def ready(self):
        from flowmart.common import privacy as shared_privacy

        from . import privacy

        shared_privacy.register_exporter("subscriptions", privacy.export_customer)
