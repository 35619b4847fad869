from django.apps import AppConfig


class PaymentsConfig(AppConfig):
    name = "flowmart.payments"
    label = "payments"

    def ready(self):
        from flowmart.common import privacy as shared_privacy

        from . import privacy

        shared_privacy.register_exporter("payments", privacy.export_customer)
