from django.apps import AppConfig


class InventoryConfig(AppConfig):
    name = "flowmart.inventory"
    label = "inventory"

    def ready(self):
        from flowmart.events.registry import register

        from . import handlers

        register("inventory", handlers.SUBSCRIBERS)
