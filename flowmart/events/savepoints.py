"""The savepoint each delivery of a shared transaction runs in, released with the transaction.

Django's nested `atomic()` sends `SAVEPOINT` on the way in and `RELEASE SAVEPOINT` on a clean
way out: two round trips per delivery besides the delivery's own statements. The release
buys nothing here. A savepoint left open nests the next delivery's savepoint inside it, and
rolling back to that one still undoes that delivery alone; COMMIT commits every level, and a
ROLLBACK of the shared transaction undoes them all, as before. PostgreSQL's limit of 64
cached subtransaction ids counts subtransactions that wrote, released or not, so leaving them
open costs nothing there either (and a chunk is EVENTS["DELIVERIES_PER_TRANSACTION"] long).

`Savepoint` is Django's Atomic; only its clean exit from a savepoint differs: it forgets the
savepoint (Django's bookkeeping, so on_commit callbacks registered inside it stay registered)
without releasing it. Every other exit, a rollback above all, is Django's own.
"""

from django.db import DEFAULT_DB_ALIAS, transaction


class Savepoint(transaction.Atomic):
    def __init__(self):
        super().__init__(DEFAULT_DB_ALIAS, savepoint=True, durable=False)

    def __exit__(self, exc_type, exc_value, traceback):
        connection = transaction.get_connection(self.using)
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
