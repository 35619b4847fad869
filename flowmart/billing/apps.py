from django.apps import AppConfig


class BillingConfig(AppConfig):
    name = "flowmart.billing"
    label = "billing"

    def ready(self):
        from flowmart.events.registry import register

        from . import handlers

        register("billing", handlers.SUBSCRIBERS)
