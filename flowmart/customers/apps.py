from django.apps import AppConfig


class CustomersConfig(AppConfig):
    name = "flowmart.customers"
    label = "customers"

    def ready(self):
        from flowmart.events.registry import register

        from . import handlers, schema  # noqa: F401 - schema registers the OpenAPI auth scheme

        register("customers", handlers.SUBSCRIBERS)
