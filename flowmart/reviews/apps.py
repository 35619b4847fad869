from django.apps import AppConfig


class ReviewsConfig(AppConfig):
    name = "flowmart.reviews"
    label = "reviews"

    def ready(self):
        from flowmart.events.registry import register

        from . import handlers

        register("reviews", handlers.SUBSCRIBERS)
