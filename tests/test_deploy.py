"""Supervision outside a test's reach: compose restarts every long-running service, and the
systemd units under deploy/ restart workers and beat forever, with a warm shutdown."""

import configparser
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
UNITS = ROOT / "deploy" / "systemd"


def unit(name: str) -> configparser.ConfigParser:
    parser = configparser.ConfigParser(interpolation=None, strict=False)
    parser.optionxform = str
    parser.read_string((UNITS / name).read_text())
    return parser


def test_compose_restarts_every_long_running_service():
    services = yaml.safe_load((ROOT / "docker" / "compose.yaml").read_text())["services"]
    for name in ("web", "worker", "beat", "postgres", "redis"):
        assert services[name]["restart"] in ("always", "unless-stopped"), name
    assert services["migrate"]["restart"] == "no"
    assert services["worker"]["stop_grace_period"] == "60s"


def test_systemd_units_run_workers_and_beat_supervised():
    worker = unit("flowmart-worker@.service")
    beat = unit("flowmart-beat.service")
    assert "celery -A flowmart worker" in worker["Service"]["ExecStart"]
    assert "celery -A flowmart beat" in beat["Service"]["ExecStart"]
    for parsed in (worker, beat):
        assert parsed["Service"]["Restart"] == "always"
        assert parsed["Unit"]["StartLimitIntervalSec"] == "0"  # never stop restarting
        assert parsed["Service"]["EnvironmentFile"] == "/etc/flowmart/flowmart.env"
    assert worker["Service"]["KillSignal"] == "SIGTERM" and int(worker["Service"]["TimeoutStopSec"]) >= 30
    example = (UNITS / "flowmart.env.example").read_text()
    for variable in ("DATABASE_URL", "REDIS_URL", "SECRET_KEY", "CELERY_CONCURRENCY"):
        assert f"{variable}=" in example
