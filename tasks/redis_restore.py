"""Work around kombu's Redis transport stopping a worker when the broker comes back.

After a Redis restart the consumer closes its old connection, and kombu then tries
to restore that connection's unacknowledged messages through it: the transport's
`client` is already None, so `_connparams` raises
AttributeError("'NoneType' object has no attribute 'hostname'"), which Celery calls
an unrecoverable error and stops the worker. A task that was running across the
outage meets the same when it finishes: its late acknowledgement goes to the closed
channel (AttributeError("'NoneType' object has no attribute 'client'")). The same trace, from the same
`restore_unacked` -> `conn_or_acquire` -> `_connparams` path on a closed connection,
is celery/kombu#970 ("Error on Restarting Celery", a regression in kombu 4.2.2) and
celery/kombu#582 (the 'hostname' AttributeError from a channel of a closed
connection); celery/celery#10205 and celery/kombu#2007 are later reports of workers
not surviving a Redis reconnect.

Here a restore, an acknowledgement or a rejection through a closed connection is
skipped with one warning instead of raising: Redis itself keeps those messages in its unacked hash and hands them out
again after the visibility timeout, and our outbox sends any event again after
`CYCLE_REDELIVER_AFTER` (a restarted Redis that lost them loses only doorbells).
If anything else still stops the consumer, it exits non-zero and `cycle worker`
restarts it (tasks.supervisor).

Remove this module when kombu's Redis `QoS.restore_unacked` checks for a closed
connection itself (not yet in kombu 5.7.0: tests/integration/test_faults_random.py
kills Redis under prefork workers and fails if a worker stops on its own).
"""

from __future__ import annotations

import logging
from typing import Any

from kombu.transport import redis as kombu_redis

log = logging.getLogger(__name__)

_original = kombu_redis.QoS.restore_unacked
_original_ack = kombu_redis.QoS.ack
_original_reject = kombu_redis.QoS.reject


def _closed(qos: Any) -> bool:
    connection = getattr(qos.channel, "connection", None)
    return connection is None or getattr(connection, "client", None) is None


def _restore_unacked(self: Any, client: Any = None) -> Any:
    if client is None and _closed(self):
        count = len(self._delivered)
        self._delivered.clear()
        log.warning("%d unacknowledged message(s) left to Redis to hand out again after the visibility timeout: "
                    "their connection is already closed", count)
        return None
    return _original(self, client)


def _ack(self: Any, delivery_tag: Any) -> Any:
    if _closed(self):
        log.warning("message %s finished after its broker connection closed; Redis hands it out again after the "
                    "visibility timeout, and its task does nothing twice", delivery_tag)
        self._delivered.pop(delivery_tag, None)
        return None
    return _original_ack(self, delivery_tag)


def _reject(self: Any, delivery_tag: Any, requeue: bool = False) -> Any:
    if _closed(self):
        self._delivered.pop(delivery_tag, None)
        return None
    return _original_reject(self, delivery_tag, requeue)


def install() -> None:
    kombu_redis.QoS.restore_unacked = _restore_unacked  # type: ignore[method-assign]
    kombu_redis.QoS.ack = _ack  # type: ignore[method-assign]
    kombu_redis.QoS.reject = _reject  # type: ignore[method-assign]
