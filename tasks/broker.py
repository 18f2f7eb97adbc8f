"""The embedded broker: kombu's filesystem transport, made safe for several worker processes.

kombu's own `_put` creates the message file and then writes it, so another
process listing the folder can take it half-written and fail to decode it, which
stops that worker for good (celery/kombu#1551). Here a message is written under
a name no reader looks at and renamed into place, so it appears whole; a reader
claims a file by renaming it into its own folder (one rename wins), and a file
that still cannot be decoded is set aside in `unreadable/`, logged, and skipped:
the outbox sends its event again after `CYCLE_REDELIVER_AFTER`.

Registered with kombu as `cyclefiles://`.
"""

from __future__ import annotations

import logging
import os
import uuid
from pathlib import Path
from queue import Empty
from time import monotonic
from typing import Any

from kombu.exceptions import ChannelError
from kombu.transport import TRANSPORT_ALIASES, filesystem, virtual
from kombu.utils.encoding import bytes_to_str, str_to_bytes
from kombu.utils.json import dumps, loads

log = logging.getLogger(__name__)

SCHEME = "cyclefiles"
PARTIAL = ".partial-"
"""Prefix of a message being written: a name `_get` never matches, since it wants `<stamp>.<queue>.msg`."""


class Channel(filesystem.Channel):
    def _put(self, queue: Any, payload: Any, **kwargs: Any) -> None:  # type: ignore[override]
        folder = Path(self.data_folder_out)
        name = f"{round(monotonic() * 1000)}_{uuid.uuid4()}.{queue}.msg"
        partial = folder / f"{PARTIAL}{name}"
        try:
            with open(partial, "wb") as handle:
                handle.write(str_to_bytes(dumps(payload)))
            os.replace(partial, folder / name)
        except OSError as exc:
            partial.unlink(missing_ok=True)
            raise ChannelError(f"cannot add a message to {folder}: {exc}") from exc

    def _get(self, queue: Any, timeout: Any = None) -> Any:
        wanted = f"{queue}.msg"
        folder = Path(self.data_folder_in)
        taken = self._folder("taken")
        for name in sorted(os.listdir(folder)):
            if name.partition(".")[2] != wanted:
                continue
            claimed = taken / name
            try:
                os.rename(folder / name, claimed)  # atomic: of two readers, one gets it
            except FileNotFoundError:
                continue
            try:
                payload = claimed.read_bytes()
                message = loads(bytes_to_str(payload))
            except OSError as exc:
                raise ChannelError(f"cannot read the message {claimed}: {exc}") from exc
            except ValueError as exc:
                self._set_aside(claimed, exc)
                continue
            claimed.unlink(missing_ok=True)
            return message
        raise Empty()

    def _set_aside(self, path: Path, error: Exception) -> None:
        target = self._folder("unreadable") / path.name
        try:
            os.replace(path, target)
        except OSError:
            path.unlink(missing_ok=True)
        log.error("a message in the embedded broker could not be read (%s); set aside as %s. The outbox sends "
                  "its event again.", error, target)

    def _queue_bind(self, exchange: str, routing_key: str, pattern: str, queue: str) -> None:
        # kombu creates the exchange file with open('wb') and then writes it, so a worker starting at the
        # same moment can read it empty. Create it whole (link fails if it exists), then let kombu add to it.
        file = self._exchange_file(exchange)
        self.control_folder.mkdir(exist_ok=True)
        if not file.exists():
            partial = file.with_name(f"{PARTIAL}{uuid.uuid4()}")
            partial.write_bytes(str_to_bytes(dumps([filesystem.exchange_queue_t(routing_key or "", pattern or "",
                                                                                 queue or "")])))
            try:
                os.link(partial, file)
            except FileExistsError:
                pass
            finally:
                partial.unlink(missing_ok=True)
        super()._queue_bind(exchange, routing_key, pattern, queue)

    def _folder(self, name: str) -> Path:
        folder = Path(self.data_folder_in).parent / name
        folder.mkdir(exist_ok=True)
        return folder


class Transport(filesystem.Transport):
    Channel = Channel
    global_state = virtual.BrokerState()
    driver_type = SCHEME
    driver_name = SCHEME


TRANSPORT_ALIASES[SCHEME] = f"{__name__}:Transport"
