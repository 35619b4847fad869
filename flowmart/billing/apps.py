from django.apps import AppConfig


class BillingConfig(AppConfig):
    name = "flowmart.billing"
    label = "billing"

    def ready(self):
        from flowmart.common import privacy as shared_privacy
        from flowmart.events.registry import register

        from . import handlers, privacy

        register("billing", handlers.SUBSCRIBERS)
        shared_privacy.register_exporter("billing", privacy.export_customer)
