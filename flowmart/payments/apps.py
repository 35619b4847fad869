from django.apps import AppConfig


class PaymentsConfig(AppConfig):
    name = "flowmart.payments"
    label = "payments"

    def ready(self):
        from flowmart.events.registry import register

        from . import handlers

        register("payments", handlers.SUBSCRIBERS)
