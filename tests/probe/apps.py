from django.apps import AppConfig


class ProbeConfig(AppConfig):
    name = "tests.probe"
    label = "probe"

    def ready(self):
        from flowmart.events.registry import register

        from . import handlers

        register("probe", handlers.SUBSCRIBERS)
