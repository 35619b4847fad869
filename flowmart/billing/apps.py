from django.apps import AppConfig


class BillingConfig(AppConfig):
    name = "flowmart.billing"
    label = "billing"

    def ready(self):
        from flowmart.common import privacy as shared_privacy

        from . import privacy

        shared_privacy.register_exporter("billing", privacy.export_customer)
