from django.apps import AppConfig


class CustomersConfig(AppConfig):
    name = "flowmart.customers"
    label = "customers"

    def ready(self):
        from flowmart.events.registry import register

        from . import handlers

        register("customers", handlers.SUBSCRIBERS)
