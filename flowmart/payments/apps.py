from django.apps import AppConfig


class PaymentsConfig(AppConfig):
    name = "flowmart.payments"
    label = "payments"

    def ready(self):
        from flowmart.events.registry import register

        from . import handlers, settlement_handlers

        register("payments", handlers.SUBSCRIBERS)
        register("payments", settlement_handlers.SUBSCRIBERS)
