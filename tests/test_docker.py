"""docker/: no engine runs here, so parse the Dockerfile and compose file, check that
every service, command, healthcheck and referenced file is there, and run the web
healthcheck for real against gunicorn started with the image's gunicorn config."""

import contextlib
import json
import os
import re
import secrets
import shlex
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
import yaml
from django.conf import settings

ROOT = Path(__file__).resolve().parents[1]
DOCKER = ROOT / "docker"


def free_port() -> int:
    """A port nobody listens on now, so parallel suites on one machine never collide."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="module")
def compose() -> dict:
    return yaml.safe_load((DOCKER / "compose.yaml").read_text())


@pytest.fixture(scope="module")
def dockerfile() -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) pairs, continuation lines joined, comments dropped."""
    text = re.sub(r"\\\n", " ", (DOCKER / "Dockerfile").read_text())
    lines = [line.strip() for line in text.splitlines() if line.strip() and not line.strip().startswith("#")]
    return [(line.split(None, 1)[0].upper(), line.split(None, 1)[1]) for line in lines]


def command_of(service: dict) -> str:
    cmd = service["command"]
    return " ".join(cmd) if isinstance(cmd, list) else cmd


def instructions(dockerfile, name):
    return [args for instr, args in dockerfile if instr == name]


# --- Dockerfile ----------------------------------------------------------------


def test_image_is_slim_python_311(dockerfile):
    assert instructions(dockerfile, "FROM") == ["python:3.11-slim"]


def test_image_installs_pinned_requirements_and_collects_static(dockerfile):
    runs = " ".join(instructions(dockerfile, "RUN"))
    assert "pip install -r requirements.txt" in runs
    assert "manage.py collectstatic --noinput" in runs


def test_image_runs_as_a_non_root_user(dockerfile):
    users = instructions(dockerfile, "USER")
    assert users, "no USER instruction: the container would run as root"
    assert users[-1] not in {"root", "0", "0:0"}
    last_user = max(i for i, (instr, _) in enumerate(dockerfile) if instr == "USER")
    first_cmd = min(i for i, (instr, _) in enumerate(dockerfile) if instr in {"CMD", "ENTRYPOINT"})
    assert last_user < first_cmd
    assert "useradd" in " ".join(instructions(dockerfile, "RUN"))


def test_image_serves_with_gunicorn(dockerfile):
    cmd = instructions(dockerfile, "CMD")[-1]
    assert "gunicorn" in cmd and "flowmart.wsgi" in cmd
    assert "8000" in instructions(dockerfile, "EXPOSE")


def test_everything_the_image_copies_exists(dockerfile):
    for args in instructions(dockerfile, "COPY"):
        *sources, _dest = shlex.split(args)
        for source in sources:
            assert not source.startswith("--"), "no multi-stage --from here"
            assert (ROOT / source).exists(), f"COPY {source}: missing from the build context"


def gunicorn_config(monkeypatch, **env) -> dict:
    import runpy

    for name in ("WEB_CONCURRENCY", "GUNICORN_BIND", "PORT", "GUNICORN_THREADS", "GUNICORN_ACCESS_LOG"):
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    return runpy.run_path(str(DOCKER / "gunicorn.conf.py"))


def test_gunicorn_workers_come_from_web_concurrency(monkeypatch):
    assert gunicorn_config(monkeypatch, WEB_CONCURRENCY="5")["workers"] == 5
    assert gunicorn_config(monkeypatch)["workers"] == 2


def test_gunicorn_runs_threads_so_waiting_clients_do_not_block_a_process(monkeypatch):
    """GET /orders/{id}/?wait= sleeps in a thread; a sync worker would serve nothing meanwhile."""
    config = gunicorn_config(monkeypatch)
    assert (config["worker_class"], config["threads"]) == ("gthread", 32)
    assert gunicorn_config(monkeypatch, GUNICORN_THREADS="100")["threads"] == 100
    assert config["accesslog"] == "-"
    assert gunicorn_config(monkeypatch, GUNICORN_ACCESS_LOG="")["accesslog"] is None


def test_gunicorn_binds_loopback_unless_told_otherwise(monkeypatch):
    """Bare metal: only the reverse proxy on the same host reaches gunicorn. The container
    (Dockerfile ENV, compose) binds every interface."""
    assert gunicorn_config(monkeypatch)["bind"] == ["127.0.0.1:8000"]
    assert gunicorn_config(monkeypatch, PORT="9000")["bind"] == ["127.0.0.1:9000"]
    assert gunicorn_config(monkeypatch, GUNICORN_BIND="0.0.0.0:8000")["bind"] == ["0.0.0.0:8000"]
    both = gunicorn_config(monkeypatch, GUNICORN_BIND="unix:/run/flowmart.sock, 10.0.0.5:8000")
    assert both["bind"] == ["unix:/run/flowmart.sock", "10.0.0.5:8000"]
    assert gunicorn_config(monkeypatch)["logger_class"] == "flowmart.common.accesslog.RedactingLogger"


def test_the_image_binds_every_interface_and_owns_its_media_directory(dockerfile):
    env = " ".join(instructions(dockerfile, "ENV"))
    assert "GUNICORN_BIND=0.0.0.0:8000" in env
    assert "install -d -o flowmart -g flowmart /var/lib/flowmart/media" in " ".join(instructions(dockerfile, "RUN"))


# --- compose.yaml ----------------------------------------------------------------

APP_SERVICES = ["web", "worker", "beat", "migrate"]


def test_compose_has_every_service(compose):
    assert {"web", "worker", "beat", "postgres", "redis", "migrate"} <= set(compose["services"])
    assert compose["services"]["postgres"]["image"] == "postgres:16"
    assert compose["services"]["redis"]["image"] == "redis:7"


def test_app_services_build_the_image_from_existing_files(compose):
    for name in APP_SERVICES:
        build = compose["services"][name]["build"]
        context = (DOCKER / build["context"]).resolve()
        assert context == ROOT, name
        assert (context / build["dockerfile"]).is_file(), name


def test_app_services_run_the_right_commands(compose):
    services = compose["services"]
    assert "gunicorn flowmart.wsgi" in command_of(services["web"])
    assert "docker/gunicorn.conf.py" in command_of(services["web"])
    assert "celery -A flowmart worker" in command_of(services["worker"])
    assert "celery -A flowmart beat" in command_of(services["beat"])
    assert "manage.py migrate" in command_of(services["migrate"])
    assert services["migrate"]["restart"] == "no"


def test_app_services_get_the_production_environment(compose):
    settings_source = (ROOT / "flowmart" / "settings.py").read_text() + (DOCKER / "gunicorn.conf.py").read_text()
    for name in APP_SERVICES:
        env = compose["services"][name]["environment"]
        assert {"DATABASE_URL", "REDIS_URL", "SECRET_KEY", "ALLOWED_HOSTS", "DEBUG"} <= set(env), name
        assert str(env["DEBUG"]) == "0"
        assert env["DATABASE_URL"].startswith("postgres://") and "@postgres:5432/" in env["DATABASE_URL"]
        assert env["REDIS_URL"].startswith("redis://redis:6379/")
        assert ":?" in env["SECRET_KEY"], "SECRET_KEY must be required, never defaulted"
        for var in env:  # every variable the compose file sets is one the app (or gunicorn) reads
            assert f'"{var}"' in settings_source or var == "WEB_CONCURRENCY", f"{name}: {var} is read by nothing"


def test_web_binds_every_interface_in_the_container(compose):
    web = compose["services"]["web"]
    assert web["environment"]["GUNICORN_BIND"] == "0.0.0.0:8000"
    assert any(port.endswith(":8000") for port in web["ports"])


def test_web_and_worker_share_the_stored_files(compose):
    """Workers write shipping labels, web serves them: one volume at MEDIA_ROOT's production
    default (or a bucket, passed through as AWS_*)."""
    for name in ("web", "worker"):
        assert "media:/var/lib/flowmart/media" in compose["services"][name]["volumes"], name
    assert "media" in compose["volumes"]
    assert "AWS_STORAGE_BUCKET_NAME" in compose["services"]["web"]["environment"]


def test_app_services_wait_for_healthy_servers_and_migrations(compose):
    services = compose["services"]
    for name in ["web", "worker", "beat"]:
        depends = services[name]["depends_on"]
        assert depends["postgres"]["condition"] == "service_healthy", name
        assert depends["redis"]["condition"] == "service_healthy", name
        assert depends["migrate"]["condition"] == "service_completed_successfully", name
    assert services["migrate"]["depends_on"]["postgres"]["condition"] == "service_healthy"


def test_healthchecks(compose):
    services = compose["services"]

    def probe(name):
        test = services[name]["healthcheck"]["test"]
        return " ".join(test) if isinstance(test, list) else test

    assert "/health/live/" in probe("web")
    assert "pg_isready" in probe("postgres")
    assert "redis-cli" in probe("redis") and "ping" in probe("redis")
    assert "inspect ping" in probe("worker")


@contextlib.contextmanager
def gunicorn_in_production_shape(log: Path):
    """gunicorn started as the image starts it (DEBUG=0: SSL redirect, allowed hosts) on a
    free loopback port, its output (access log, Django's JSON log lines) going to `log`."""
    port = free_port()
    db = settings.DATABASES["default"]
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "flowmart.settings",
        "DEBUG": "0",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "ALLOWED_HOSTS": "shop.example.com,localhost",
        "DATABASE_URL": f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}",
        "REDIS_URL": settings.REDIS_URL,
        "PORT": str(port),
        "WEB_CONCURRENCY": "1",
    }
    env.pop("GUNICORN_BIND", None)
    gunicorn = Path(sys.executable).with_name("gunicorn")
    with open(log, "w") as out:
        server = subprocess.Popen(
            [str(gunicorn), "flowmart.wsgi:application", "--config", "docker/gunicorn.conf.py"],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
        try:
            yield port, env, server
        finally:
            server.terminate()
            server.wait(timeout=20)


def test_web_healthcheck_passes_against_gunicorn_in_the_production_shape(compose, tmp_path):
    """Run the compose healthcheck's own command against gunicorn in the production shape."""
    test = compose["services"]["web"]["healthcheck"]["test"]
    assert test[:3] == ["CMD", "python", "-c"]
    with gunicorn_in_production_shape(tmp_path / "gunicorn.log") as (port, env, server):
        script = test[3].replace("127.0.0.1:8000", f"127.0.0.1:{port}")
        deadline = time.monotonic() + 30
        while True:
            result = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, text=True)
            if result.returncode == 0 or time.monotonic() > deadline or server.poll() is not None:
                break
            time.sleep(0.3)
        assert result.returncode == 0, result.stderr + (tmp_path / "gunicorn.log").read_text()[-2000:]


def call(port: int, path: str, body: bytes | None = None) -> int:
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}{path}",
        data=body,
        headers={"Host": "localhost", "X-Forwarded-Proto": "https", "Content-Type": "application/json"},
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status
    except urllib.error.HTTPError as exc:
        return exc.code
    except urllib.error.URLError:
        return 0  # not listening yet


def test_no_card_number_reaches_the_production_logs(tmp_path):
    """gunicorn's access log and Django's log lines, for requests that carry a card number in
    the query string, the path or the body: refused, and the number is in no line."""
    log = tmp_path / "gunicorn.log"
    with gunicorn_in_production_shape(log) as (port, _env, server):
        deadline = time.monotonic() + 30
        while call(port, "/health/live/") != 200:
            assert time.monotonic() < deadline and server.poll() is None, log.read_text()[-2000:]
            time.sleep(0.3)
        assert call(port, "/api/v1/products/?search=4242%204242%204242%204242") == 400
        assert call(port, "/api/v1/products/?search=4242-4242-4242-4242&page=2") == 400
        assert call(port, "/api/v1/orders/4242424242424242/") == 400
        body = json.dumps({"email": "c@example.com", "password": "Pass-word-123", "first_name": "4242424242424242"})
        assert call(port, "/api/v1/auth/register/", body.encode()) == 400
    text = log.read_text()
    assert text.count("/api/v1/") >= 4 and "refused" in text  # access lines and Django's warnings
    flat = text.replace("%20", "").replace(" ", "").replace("-", "")
    assert "4242424242424242" not in flat, text
