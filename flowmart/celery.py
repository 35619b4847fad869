"""The Celery app: delivers outbox events to subscribers and runs beat jobs."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "flowmart.settings")

app = Celery("flowmart")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
