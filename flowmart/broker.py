"""The Redis broker transport, with the guard that keeps Celery workers alive through a Redis outage.

Why it exists (celery 5.7.0, kombu 5.7.0, redis-py 8.1.0; no fixed release yet). A 10 s Redis stop
made busy workers exit for good with `Unrecoverable error: AttributeError("'NoneType' object has no
attribute 'hostname'")`. The chain, read in the installed sources:

1. The consumer's connection breaks while the worker holds unacknowledged messages (acks_late:
   tasks running). `Consumer.on_connection_error_after_connected()` calls `connection.collect()`:
   kombu's redis `Channel.close()` talks to the dead server (draining the pending BRPOP, deleting
   fanout bindings) and fails with ConnectionError *before* it marks itself closed, so the
   channel stays open with its unacked messages in its QoS; `collect()` swallows that and then
   clears the transport's back-reference anyway (`Connection._do_close_transport`:
   `transport.client = None`).
2. Since celery 5.7.0 (celery/celery#10242) the same handler then calls `connection.close()`,
   which closes that still-open channel again: `QoS.restore_unacked_once()` needs a Redis client,
   the channel's pools were just dropped, and building a new pool reads
   `self.connection.client.hostname` (`Channel._connparams`) from a transport whose client is
   None → AttributeError. `kombu.common.ignore_errors` swallows only connection and channel
   errors, so it escapes `Consumer.start()` and `Worker.start()` logs "Unrecoverable error" and
   exits. (The same class of bug: celery/kombu#582.)
3. A second door to the same line: a task that finishes after the reconnect acknowledges its
   message on the old channel (`Message.ack_log_error` → `QoS.ack` → `_connparams`): the same
   AttributeError, again not a connection error, again fatal.

The guard: a channel whose transport was closed answers with redis' ConnectionError, which is
one of the transport's `connection_errors`. Both callers above already handle that: the close is
ignored and the worker reconnects; the late ack is logged ("Couldn't ack ...") and the message
stays in Redis' unacked set, redelivered after the visibility timeout, where the inbox makes the
second run a no-op. settings.py selects this transport for redis:// and rediss:// broker URLs.

One client per connection pool. kombu's `Channel.conn_or_acquire()` builds a new `redis.Redis`
for every command it sends (`_create_client()`): a message published costs a client whose
`__init__` fills its response-callback table, about a fifth of a send's CPU. A redis-py client
holds no connection of its own (each command borrows one from the pool and gives it back), so
one client per pool serves every send. It is keyed on the pool it wraps: when kombu drops its
pools (`_disconnect_pools()`: channel closed, after a fork, on a reconnect) the next send builds
a new client over the new pool, so a forked worker child never talks through its parent's
sockets (redis-py's pool also checks the pid). The asynchronous client (BRPOP, the consumer)
is kombu's own `client` property, untouched.
"""

from kombu.transport import redis as kombu_redis
from redis import exceptions


class Channel(kombu_redis.Channel):
    _sync_client = None

    def _create_client(self, asynchronous=False):
        if asynchronous:
            return super()._create_client(asynchronous=True)
        pool = self.pool
        client = self._sync_client
        if client is None or client.connection_pool is not pool:
            client = self._sync_client = super()._create_client()
        return client

    def _connparams(self, asynchronous=False):
        transport = self.connection
        if transport is None or transport.client is None:
            raise exceptions.ConnectionError("the broker connection of this channel was closed")
        return super()._connparams(asynchronous=asynchronous)


class Transport(kombu_redis.Transport):
    Channel = Channel
