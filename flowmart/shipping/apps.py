from django.apps import AppConfig


class ShippingConfig(AppConfig):
    name = "flowmart.shipping"
    label = "shipping"

    def ready(self):
        from flowmart.events.registry import register

        from . import handlers

        register("shipping", handlers.SUBSCRIBERS)
