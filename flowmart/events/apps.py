from django.apps import AppConfig


class EventsConfig(AppConfig):
    name = "flowmart.events"
    label = "events"
    verbose_name = "Domain events"

    def ready(self):
        from celery.signals import after_setup_logger, after_setup_task_logger

        from flowmart.common.logging import correlate_celery_logs

        from . import metrics, registry

        metrics.install()
        registry.discover()  # every context's handlers.SUBSCRIBERS
        # Workers load Django (and so this) before Celery sets up their logging.
        after_setup_logger.connect(correlate_celery_logs, weak=False)
        after_setup_task_logger.connect(correlate_celery_logs, weak=False)
