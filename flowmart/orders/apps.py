from django.apps import AppConfig


class OrdersConfig(AppConfig):
    name = "flowmart.orders"
    label = "orders"

    def ready(self):
        from flowmart.common import privacy as shared_privacy

        from . import privacy

        shared_privacy.register_exporter("orders", privacy.export_customer)
        shared_privacy.register_erasure_blocker("orders", privacy.erasure_blockers)
