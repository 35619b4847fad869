from django.apps import AppConfig


class RecommendationsConfig(AppConfig):
    name = "flowmart.recommendations"
    label = "recommendations"

    def ready(self):
        from flowmart.events.registry import register

        from . import handlers

        register("recommendations", handlers.SUBSCRIBERS)
