from django.apps import AppConfig


class OrdersConfig(AppConfig):
    name = "flowmart.orders"
    label = "orders"

    def ready(self):
        from flowmart.events.registry import register

        from . import handlers

        register("orders", handlers.SUBSCRIBERS)
