"""An aiosmtpd server in a process of its own, keeping each message as a file: `python smtp_mailbox.py PORT FOLDER
[DELAY]`: with DELAY, it waits that many seconds after the message's data before keeping it and answering
250, as a busy relay does, so a fault test's kill can land between DATA and the answer.

A test can SIGKILL it and start it again on the same port, as an outage of the mail
server; what it accepted stays in FOLDER (one JSON file per message, written whole
and renamed before the server answers 250, so a message it answered for is kept).
"""

from __future__ import annotations

import asyncio
import json
import os
import sys
import threading
import time
import uuid
from pathlib import Path
from typing import Any

from aiosmtpd.controller import Controller


class Mailbox:
    def __init__(self, folder: Path, delay: float = 0.0) -> None:
        self.folder, self.delay = folder, delay

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        if self.delay:
            await asyncio.sleep(self.delay)
        name = f"{time.time_ns():020d}-{uuid.uuid4().hex}.json"
        partial = self.folder / f".{name}"
        partial.write_text(json.dumps({"mail_from": envelope.mail_from, "rcpt_tos": list(envelope.rcpt_tos),
                                       "content": envelope.content.decode("latin-1")}), encoding="utf-8")
        os.replace(partial, self.folder / name)
        return "250 Message accepted for delivery"


def main(port: int, folder: Path, delay: float = 0.0) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    Controller(Mailbox(folder, delay), hostname="127.0.0.1", port=port).start()
    print("ready", flush=True)
    threading.Event().wait()  # until killed


if __name__ == "__main__":
    main(int(sys.argv[1]), Path(sys.argv[2]), float(sys.argv[3]) if len(sys.argv) > 3 else 0.0)
