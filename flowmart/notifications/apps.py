from django.apps import AppConfig


class NotificationsConfig(AppConfig):
    name = "flowmart.notifications"
    label = "notifications"

    def ready(self):
        from flowmart.events.registry import register

        from . import checks, handlers  # noqa: F401 - checks registers the deploy check

        register("notifications", handlers.SUBSCRIBERS)
