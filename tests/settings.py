"""Test settings: the real ones plus a probe context whose subscribers the dispatcher
tests control (they must exist in the Celery worker process too, hence an app)."""

from flowmart.settings import *  # noqa: F403
from flowmart.settings import INSTALLED_APPS

INSTALLED_APPS = [*INSTALLED_APPS, "tests.probe"]
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]  # fast logins in tests
