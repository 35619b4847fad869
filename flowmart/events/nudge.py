"""The message that tells a worker to deliver a batch: the nudge every publish sends after COMMIT.

It runs once per committed transaction that published (a reservation, a checkout step, every
delivery that publishes in turn), so its CPU is on every hot path. `Task.apply_async` spends
most of a send on work that buys nothing for this one task: it merges the task's options,
asks the router, builds the protocol-2 headers from twenty keyword arguments, re-binds the
queue and its exchange to the channel to find them already declared, and fires the
before/after publish signals. Here the same message is built directly and handed to the
pooled producer:

- the same protocol-2 headers, properties and body Celery builds (`AMQP.as_task_v2`), for a task
  whose options are all defaults (no eta, expiry, time limits, links) with results ignored;
- the same route: a direct exchange, so the anonymous exchange "" and the queue's name as
  routing key, as `send_task_message` converts it;
- the queue declared once per broker connection (kombu's `maybe_declare` cache, asked first);
- one producer per thread, on a connection it keeps (`_producer`), not one from the pools per message.

Whenever that shortcut would not send the same thing, `apply_async` is used: eager mode (tests,
the embedded default), a receiver on Celery's publish signals (tracing's Celery
instrumentation injects its context there), or a queue not bound to a direct exchange.
"""

import contextlib
import functools
import os
import socket
import threading

from celery import signals
from celery.utils import uuid
from celery.utils.nodenames import nodename
from kombu.common import maybe_declare

_held = threading.local()
_EMBED = {"callbacks": None, "errbacks": None, "chain": None, "chord": None}


def send(task, delivery_ids: list[int], queue_name: str | None) -> None:
    """Send `task(delivery_ids)` to `queue_name` (None: the default queue). Raises what the
    broker raises; the caller logs it (the sweep resends)."""
    app = task.app
    queue, delivery_mode = _route(app, queue_name)
    if app.conf.task_always_eager or _signals_connected() or queue.exchange.type != "direct":
        task.apply_async(
            (delivery_ids,),
            argsrepr=f"({delivery_ids!r},)",
            kwargsrepr="{}",
            add_to_parent=False,
            **({"queue": queue_name} if queue_name else {}),
        )
        return
    task_id = uuid()
    parent = app.current_worker_task
    root_id = (parent.request.root_id or parent.request.id) if parent else task_id
    headers = {
        "lang": "py",
        "task": task.name,
        "id": task_id,
        "shadow": None,
        "eta": None,
        "expires": None,
        "group": None,
        "group_index": None,
        "retries": 0,
        "timelimit": [None, None],
        "root_id": root_id,
        "parent_id": parent.request.id if parent else None,
        "argsrepr": f"({delivery_ids!r},)",  # saferepr((delivery_ids,)) for a list of ints
        "kwargsrepr": "{}",
        "origin": _origin(),
        "ignore_result": task.ignore_result,
        "replaced_task_nesting": 0,
        "stamped_headers": None,
        "stamps": {},
    }
    producer = _producer(app)
    try:
        with producer.connection._reraise_as_library_errors():  # kombu's errors, as apply_async raises them
            if hash(queue) not in producer.connection.declared_entities:
                maybe_declare(queue, producer.channel)
            producer.publish(
                ((delivery_ids,), {}, _EMBED),
                exchange="",
                routing_key=queue.name,
                serializer="json",
                headers=headers,
                delivery_mode=delivery_mode,
                retry=False,
                correlation_id=task_id,
                reply_to=app.thread_oid,
            )
    except BaseException:
        _drop()  # the next nudge starts from a new connection
        raise


def _producer(app):
    """This thread's producer, on a broker connection of its own that it keeps.

    The producer pool would hand out a producer per message and revive it on a connection
    taken from the connection pool (re-binding its exchange), then take both back: a quarter
    of a send. A thread's own connection stays out of the pool, so threads (gunicorn's
    gthread workers) never wait for one. It is rebuilt in a forked child (another pid) and
    when Celery's producer pool was replaced (a fork reset it, or the broker URL changed), and
    after any error."""
    pool = app.producer_pool
    held = getattr(_held, "producer", None)
    if held is None or _held.pool is not pool or _held.pid != os.getpid():
        held = _held.producer = app.amqp.Producer(app.connection_for_write(), auto_declare=False)
        _held.pool, _held.pid = pool, os.getpid()
    return held


def _drop() -> None:
    held, _held.producer = getattr(_held, "producer", None), None
    if held is not None:
        with contextlib.suppress(Exception):  # a broken connection: nothing left to close
            held.connection.close()


@functools.cache
def _route(app, queue_name: str | None):
    """The queue and its delivery mode, read from the
    configuration once per process: each `app.conf` read walks Celery's settings chain (a
    fifth of a send when read per message). A queue name maps to the same Queue for good."""
    conf = app.conf
    queue = app.amqp.queues[queue_name or conf.task_default_queue]
    return queue, queue.exchange.delivery_mode or conf.task_default_delivery_mode


def _signals_connected() -> bool:
    return bool(signals.before_task_publish.receivers or signals.after_task_publish.receivers)


_host = socket.gethostname()


def _origin() -> str:
    """Celery's `anon_nodename()`: "gen<pid>@<host>" (the pid changes in a forked child)."""
    return nodename(f"gen{os.getpid()}", _host)
