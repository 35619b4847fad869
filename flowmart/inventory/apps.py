from django.apps import AppConfig


class InventoryConfig(AppConfig):
    name = "flowmart.inventory"
    label = "inventory"
