from django.apps import AppConfig


class CustomersConfig(AppConfig):
    name = "flowmart.customers"
    label = "customers"

    def ready(self):
        from flowmart.common import privacy as shared_privacy

        from . import privacy, schema  # noqa: F401 - schema registers the OpenAPI auth scheme

        shared_privacy.register_exporter("customers", privacy.export_customer)
        shared_privacy.register_access_recorder(privacy.record_access)
