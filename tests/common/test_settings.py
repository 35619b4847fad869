"""Settings come only from the environment: the embedded default with nothing set,
and a production shape that passes `check --deploy` (what `make check` runs in CI)."""

import json
import os
import secrets
import subprocess
import sys
from pathlib import Path

from django.conf import settings

ROOT = Path(__file__).resolve().parents[2]
CONFIG_VARS = ("DATABASE_URL", "REDIS_URL", "CELERY_BROKER_URL", "CELERY_TASK_ALWAYS_EAGER", "DEBUG", "SECRET_KEY")


def clean_env(**overrides) -> dict:
    """This process's environment without any FlowMart configuration, plus overrides."""
    env = {k: v for k, v in os.environ.items() if k not in CONFIG_VARS and k != "DJANGO_SETTINGS_MODULE"}
    return {**env, "DJANGO_SETTINGS_MODULE": "flowmart.settings", **overrides}


def manage(*args, env: dict) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )


def production_env(**overrides) -> dict:
    """The documented production environment (docs/configuration.md, Makefile `check`)."""
    db = settings.DATABASES["default"]
    documented = {
        "DEBUG": "0",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "ALLOWED_HOSTS": "shop.example.com",
        "DATABASE_URL": f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}",
        "REDIS_URL": settings.REDIS_URL,
    }
    return clean_env(**{**documented, **overrides})


def test_check_deploy_passes_under_the_documented_production_environment():
    result = manage("check", "--deploy", "--fail-level", "WARNING", env=production_env())
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_check_deploy_bites_on_a_debug_production():
    result = manage("check", "--deploy", "--fail-level", "WARNING", env=production_env(DEBUG="1"))
    assert result.returncode != 0
    assert "security.W018" in result.stderr  # DEBUG must not be True in deployment


def read_settings(env: dict, *names: str) -> dict:
    script = (
        "import json, django; from django.conf import settings; django.setup(); "
        f"print(json.dumps({{n: str(getattr(settings, n)) for n in {list(names)!r}}}))"
    )
    result = subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_embedded_default_needs_no_servers():
    values = read_settings(
        clean_env(), "DATABASES", "CELERY_TASK_ALWAYS_EAGER", "CACHES", "EMAIL_BACKEND", "DEBUG", "CELERY_BROKER_URL"
    )
    assert "sqlite3" in values["DATABASES"]
    assert values["CELERY_TASK_ALWAYS_EAGER"] == "True"
    assert "LocMemCache" in values["CACHES"]
    assert values["EMAIL_BACKEND"] == "django.core.mail.backends.console.EmailBackend"
    assert values["DEBUG"] == "True"
    assert values["CELERY_BROKER_URL"].startswith("memory://")


def test_production_shape_uses_postgres_and_redis():
    values = read_settings(
        production_env(), "DATABASES", "CELERY_TASK_ALWAYS_EAGER", "CACHES", "CELERY_BROKER_URL", "DEBUG"
    )
    assert "postgresql" in values["DATABASES"]
    assert values["CELERY_TASK_ALWAYS_EAGER"] == "False"
    assert "RedisCache" in values["CACHES"] and settings.REDIS_URL in values["CACHES"]
    assert values["CELERY_BROKER_URL"] == settings.REDIS_URL
    assert values["DEBUG"] == "False"


def test_stored_files_live_outside_the_source_tree_in_production():
    values = read_settings(production_env(), "MEDIA_ROOT", "STORAGES")
    assert values["MEDIA_ROOT"] == "/var/lib/flowmart/media"
    assert not Path(values["MEDIA_ROOT"]).is_relative_to(ROOT)
    assert "FileSystemStorage" in values["STORAGES"]
    assert read_settings(production_env(MEDIA_ROOT="/srv/labels"), "MEDIA_ROOT")["MEDIA_ROOT"] == "/srv/labels"
    assert Path(read_settings(clean_env(), "MEDIA_ROOT")["MEDIA_ROOT"]) == ROOT / "media"  # development


def test_a_bucket_switches_stored_files_to_s3():
    env = production_env(
        AWS_STORAGE_BUCKET_NAME="shop-files",
        AWS_S3_ENDPOINT_URL="https://minio.internal:9000",
        AWS_S3_REGION_NAME="eu-central-1",
        AWS_S3_ADDRESSING_STYLE="path",
        AWS_LOCATION="labels",
    )
    script = (
        "import json, django; from django.conf import settings; django.setup(); "
        "from django.core.files.storage import storages; s = storages['default']; "
        "print(json.dumps([type(s).__name__, "
        "s.bucket_name, s.endpoint_url, s.region_name, s.addressing_style, s.location, s.default_acl]))"
    )
    result = subprocess.run([sys.executable, "-c", script], cwd=ROOT, env=env, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout.strip().splitlines()[-1]) == [
        "S3Storage",
        "shop-files",
        "https://minio.internal:9000",
        "eu-central-1",
        "path",
        "labels",
        None,
    ]
