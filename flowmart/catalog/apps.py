from django.apps import AppConfig


class CatalogConfig(AppConfig):
    name = "flowmart.catalog"
    label = "catalog"
