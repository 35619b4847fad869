"""Test settings: the real ones plus a probe context whose subscribers the dispatcher
tests control (they must exist in the Celery worker process too, hence an app).

Under pytest-xdist each test process gets its own Redis database next to the one given
(pytest-django already gives each its own PostgreSQL database): cache clears, throttle
counters and the Celery workers the tests start must not reach another process's tests."""

import os
import re

_xdist = re.fullmatch(r"gw(\d+)", os.environ.get("PYTEST_XDIST_WORKER", ""))
_redis = re.fullmatch(r"(redis://[^/]+)/(\d+)", os.environ.get("REDIS_URL", ""))
if _xdist and _redis and not os.environ.get("FLOWMART_TEST_REDIS_SHIFTED"):
    # The environment, not only the setting: subprocesses (workers, servers) inherit it,
    # already shifted, so they must not shift it again.
    os.environ["REDIS_URL"] = f"{_redis[1]}/{int(_redis[2]) + 1 + int(_xdist[1])}"
    os.environ["FLOWMART_TEST_REDIS_SHIFTED"] = "1"

from flowmart.settings import *  # noqa: E402, F403
from flowmart.settings import INSTALLED_APPS  # noqa: E402

INSTALLED_APPS = [*INSTALLED_APPS, "tests.probe"]
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]  # fast logins in tests
