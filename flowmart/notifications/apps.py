from django.apps import AppConfig


class NotificationsConfig(AppConfig):
    name = "flowmart.notifications"
    label = "notifications"

    def ready(self):
        from flowmart.events.registry import register

        from . import handlers

        register("notifications", handlers.SUBSCRIBERS)
