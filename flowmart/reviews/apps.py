from django.apps import AppConfig


class ReviewsConfig(AppConfig):
    name = "flowmart.reviews"
    label = "reviews"

    def ready(self):
        from flowmart.common import privacy as shared_privacy

        from . import privacy

        shared_privacy.register_exporter("reviews", privacy.export_customer)
