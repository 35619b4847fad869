from django.apps import AppConfig


class SubscriptionsConfig(AppConfig):
    name = "flowmart.subscriptions"
    label = "subscriptions"

    def ready(self):
        from flowmart.common import privacy as shared_privacy
        from flowmart.events.registry import register

        from . import handlers, privacy

        register("subscriptions", handlers.SUBSCRIBERS)
        shared_privacy.register_exporter("subscriptions", privacy.export_customer)
