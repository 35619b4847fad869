from django.apps import AppConfig


class CatalogConfig(AppConfig):
    name = "flowmart.catalog"
    label = "catalog"

    def ready(self):
        from flowmart.events.registry import register

        from . import handlers

        register("catalog", handlers.SUBSCRIBERS)
