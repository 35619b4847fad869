from django.apps import AppConfig


class PaymentsConfig(AppConfig):
    name = "flowmart.payments"
    label = "payments"

    def ready(self):
        from flowmart.common import privacy as shared_privacy
        from flowmart.events.registry import register

        from . import handlers, privacy, settlement_handlers

        register("payments", handlers.SUBSCRIBERS)
        register("payments", settlement_handlers.SUBSCRIBERS)
        shared_privacy.register_exporter("payments", privacy.export_customer)
