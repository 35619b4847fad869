from django.apps import AppConfig


class PromotionsConfig(AppConfig):
    name = "flowmart.promotions"
    label = "promotions"

    def ready(self):
        from flowmart.events.registry import register

        from . import handlers

        register("promotions", handlers.SUBSCRIBERS)
