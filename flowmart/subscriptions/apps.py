from django.apps import AppConfig


class SubscriptionsConfig(AppConfig):
    name = "flowmart.subscriptions"
    label = "subscriptions"

    def ready(self):
        from flowmart.events.registry import register

        from . import handlers

        register("subscriptions", handlers.SUBSCRIBERS)
