from django.db import models


class ProbeRecord(models.Model):
    """One row per effect a probe subscriber had."""

    subscriber = models.CharField(max_length=50)
    event_id = models.UUIDField()
    note = models.CharField(max_length=100, blank=True)


class ProbeSwitch(models.Model):
    """When `broken` is set, the flaky subscriber raises."""

    broken = models.BooleanField(default=False)
