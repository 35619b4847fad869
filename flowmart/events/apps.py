from django.apps import AppConfig


class EventsConfig(AppConfig):
    name = "flowmart.events"
    label = "events"
    verbose_name = "Domain events"

    def ready(self):
        from . import metrics

        metrics.install()
