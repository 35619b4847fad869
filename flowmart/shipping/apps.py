from django.apps import AppConfig


class ShippingConfig(AppConfig):
    name = "flowmart.shipping"
    label = "shipping"

    def ready(self):
        from flowmart.common import privacy as shared_privacy

        from . import privacy

        shared_privacy.register_exporter("shipping", privacy.export_customer)
