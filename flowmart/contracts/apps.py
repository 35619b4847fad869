from django.apps import AppConfig


class ContractsConfig(AppConfig):
    name = "flowmart.contracts"
    label = "contracts"
    verbose_name = "Event contracts"
