"""Calls raced on threads of their own, each on its own database connection: how the concurrency
tests put real PostgreSQL transactions against each other."""

import threading

from django.db import connection


def run_at_once(*calls, timeout: float = 60) -> list[Exception]:
    """Start the calls together (a barrier) and wait for them all; return what they raised, which a
    thread would otherwise lose. Each thread closes its connection when its call is done."""
    barrier, errors = threading.Barrier(len(calls)), []

    def run(call):
        try:
            barrier.wait(timeout=timeout)
            call()
        except Exception as exc:  # returned to the test, which asserts on it
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(call,)) for call in calls]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout)
    return errors
