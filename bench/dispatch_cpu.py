"""CPU per publish and per delivery of the dispatcher, robust to a busy machine.

Throughput (bench/events.py) needs a quiet machine; CPU time does not. With one
`celery worker --pool=solo` running (it runs every task in its main process, so that
process's CPU is all of the worker's), this publishes BENCH_EVENTS `ProbeHappened` events
(3 subscribers each, every publish in its own transaction, its nudge sent to Redis after
COMMIT) and reports this process's CPU per publish and the worker's CPU per delivery: the real
task code, Celery's and kombu's message handling included, start-up and warm-up excluded (its
idle polling, a few ms/s, is included and printed).

    python -m bench dispatch_cpu      # BENCH_EVENTS (3000), BENCH_EVENTS_DB, BENCH_EVENTS_REDIS_URL as bench/events.py
"""

import os
import sys
import time

from bench import events as pieces


def cpu_seconds(pid: int) -> float:
    """User + system CPU of a process so far (/proc/<pid>/stat, fields 14 and 15)."""
    with open(f"/proc/{pid}/stat") as stat:
        fields = stat.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


class SoloWorker(pieces.Worker):
    """bench/events.py's worker with one process that runs the tasks itself."""

    def __enter__(self):
        pieces.CONCURRENCY = 1
        original = pieces.subprocess.Popen

        def solo(args, **kwargs):
            return original([*args, "--pool=solo"], **kwargs)

        pieces.subprocess.Popen = solo
        try:
            return super().__enter__()
        finally:
            pieces.subprocess.Popen = original


def main() -> int:
    pieces.prepare()
    from flowmart.events.models import Delivery

    with SoloWorker() as worker:
        pid = worker.process.pid
        warm = pieces.last_event_pk()
        for _ in range(20):  # connections, caches, the first statements of each kind
            pieces.publish_one("warm-up")
        pieces.wait_delivered(warm)
        time.sleep(1)
        idle = cpu_seconds(pid)
        time.sleep(2)
        idle_per_second = (cpu_seconds(pid) - idle) / 2
        since = pieces.last_event_pk()
        before, wall = cpu_seconds(pid), time.monotonic()
        started = time.process_time()
        for _ in range(pieces.EVENTS):
            pieces.publish_one("cpu")
        publish_ms = (time.process_time() - started) / pieces.EVENTS * 1000
        pieces.wait_delivered(since, timeout=600)
        spent, wall = cpu_seconds(pid) - before, time.monotonic() - wall
    delivered = Delivery.objects.filter(event_id__gt=since, status="done").count()
    print(f"dispatch CPU: {pieces.EVENTS} events × {pieces.SUBSCRIBERS} subscribers")
    print(f"  publisher: {publish_ms:.3f} ms CPU per publish (outbox + deliveries + nudge after COMMIT)")
    print(
        f"  worker (solo pool): {spent * 1000 / delivered:.3f} ms CPU per delivery "
        f"({delivered} deliveries, {spent:.2f} s CPU in {wall:.1f} s; idle {idle_per_second * 1000:.1f} ms/s)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
