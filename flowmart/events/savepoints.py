"""The savepoint each delivery of a shared transaction runs in: sent with the delivery's
first statement, released with the transaction.

Django's nested `atomic()` sends `SAVEPOINT` on the way in and `RELEASE SAVEPOINT` on a clean
way out: two round trips per delivery besides the delivery's own statements.

The release buys nothing here. A savepoint left open nests the next delivery's savepoint
inside it, and rolling back to that one still undoes that delivery alone; COMMIT commits
every level, and a ROLLBACK of the shared transaction undoes them all, as before.
PostgreSQL's limit of 64 cached subtransaction ids counts subtransactions that wrote,
released or not, so leaving them open costs nothing there either (and a chunk is
EVENTS["DELIVERIES_PER_TRANSACTION"] long).

The `SAVEPOINT` need not be a round trip of its own either. On PostgreSQL `Savepoint` does
Django's bookkeeping on the way in (the savepoint id, so on_commit callbacks registered
inside are discarded with a rollback to it) without sending anything; the delivery's first
statement takes `unsent()` and sends both in one round trip (the claim,
claims.claim_and_record): in a psycopg pipeline when parameters are bound on the server (the
default, DB_PREPARED_STATEMENTS), as "SAVEPOINT sN; <statement>" in one simple query when they
are bound on the client. Either way they run in order, so the savepoint exists before the claim
writes anything, and a failure of the claim itself rolls back to it like any other. Elsewhere
(SQLite, a block entered while the transaction already needs a rollback) the savepoint is
Django's, sent on the way in.

Only the clean exit from a savepoint differs from Django's Atomic: it forgets the savepoint
(Django's bookkeeping) without releasing it. Every other exit, a rollback above all, is
Django's own.
"""

import _thread

from django.db import DEFAULT_DB_ALIAS, transaction


class Savepoint(transaction.Atomic):
    def __init__(self):
        super().__init__(DEFAULT_DB_ALIAS, savepoint=True, durable=False)
        self._unsent: str | None = None

    def __enter__(self):
        connection = transaction.get_connection(self.using)
        if connection.vendor != "postgresql" or not connection.in_atomic_block or connection.needs_rollback:
            super().__enter__()
            return self
        connection.validate_thread_sharing()
        connection.savepoint_state += 1  # the id Django's connection.savepoint() would have given it
        sid = f"s{str(_thread.get_ident()).replace('-', '')}_x{connection.savepoint_state}"
        connection.savepoint_ids.append(sid)
        connection.atomic_blocks.append(self)
        self._unsent = connection.ops.savepoint_create_sql(sid)
        return self

    def unsent(self) -> str | None:
        """The SAVEPOINT statement for the caller to send before anything else in this block,
        once (None: already sent)."""
        sql, self._unsent = self._unsent, None
        return sql

    def __exit__(self, exc_type, exc_value, traceback):
        connection = transaction.get_connection(self.using)
        if self._unsent is not None:
            # Never sent: there is nothing to roll back to. A clean exit forgets it; a failure
            # marks the whole transaction for rollback (Django's way with a block that has no
            # savepoint), since whatever ran in the block cannot be undone alone.
            self._unsent = None
            connection.savepoint_ids[-1] = None
        if (
            exc_type is not None
            or connection.needs_rollback
            or connection.closed_in_transaction
            or not connection.savepoint_ids
            or connection.savepoint_ids[-1] is None
        ):
            return super().__exit__(exc_type, exc_value, traceback)
        connection.atomic_blocks.pop()
        connection.savepoint_ids.pop()  # left open on the server: it ends with the transaction
        if not connection.savepoint_ids and not connection.commit_on_exit:
            connection.in_atomic_block = False  # as Atomic.__exit__ leaves an outer block it did not open
        return False
