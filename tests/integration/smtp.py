"""A real SMTP server (aiosmtpd) on loopback that keeps what it receives, and can be stopped and started:
in a thread of the test (`SmtpServer`) or in a process of its own (`SmtpProcess`)."""

from __future__ import annotations

import email
import email.policy
import json
import subprocess
import sys
import threading
from dataclasses import dataclass
from email.message import EmailMessage
from pathlib import Path
from typing import Any

from aiosmtpd.controller import Controller

from tests.integration.workers import free_port


@dataclass(frozen=True)
class Received:
    mail_from: str
    rcpt_tos: list[str]
    message: EmailMessage

    def header(self, name: str) -> str:
        return str(self.message[name] or "")


class _Inbox:
    def __init__(self) -> None:
        self.received: list[Received] = []
        self.lock = threading.Lock()
        self.refuse: set[str] = set()  # addresses answered with 550, as a server does for an unknown user

    async def handle_RCPT(self, server: Any, session: Any, envelope: Any, address: str, rcpt_options: Any) -> str:
        if address in self.refuse:
            return "550 5.1.1 No such user here"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        parsed = email.message_from_bytes(envelope.content, policy=email.policy.default)
        with self.lock:
            self.received.append(Received(envelope.mail_from, list(envelope.rcpt_tos), parsed))  # type: ignore[arg-type]
        return "250 Message accepted for delivery"


class SmtpServer:
    def __init__(self) -> None:
        self.port = free_port()
        self.inbox = _Inbox()
        self.controller: Controller | None = None

    @property
    def url(self) -> str:
        return f"smtp://127.0.0.1:{self.port}"

    @property
    def received(self) -> list[Received]:
        with self.inbox.lock:
            return list(self.inbox.received)

    def start(self) -> None:
        self.controller = Controller(self.inbox, hostname="127.0.0.1", port=self.port)
        self.controller.start()

    def stop(self) -> None:
        if self.controller is not None:
            self.controller.stop()
            self.controller = None


class SmtpProcess:
    """The same server in a process of its own (`smtp_mailbox.py`): `stop` SIGKILLs it, `start` starts it again."""

    def __init__(self, folder: Path, data_delay: float = 0.0) -> None:
        self.port, self.folder, self.data_delay = free_port(), folder, data_delay
        self.process: subprocess.Popen[str] | None = None

    @property
    def url(self) -> str:
        return f"smtp://127.0.0.1:{self.port}"

    @property
    def received(self) -> list[Received]:
        kept = [json.loads(path.read_text(encoding="utf-8")) for path in sorted(self.folder.glob("[!.]*.json"))]
        return [Received(m["mail_from"], m["rcpt_tos"], email.message_from_bytes(  # type: ignore[arg-type]
            m["content"].encode("latin-1"), policy=email.policy.default)) for m in kept]

    def start(self) -> None:
        self.process = subprocess.Popen([sys.executable, str(Path(__file__).with_name("smtp_mailbox.py")),
                                         str(self.port), str(self.folder), str(self.data_delay)],
                                        stdout=subprocess.PIPE, text=True)
        assert self.process.stdout is not None
        if self.process.stdout.readline().strip() != "ready":
            raise AssertionError(f"the SMTP server process did not start on port {self.port}")

    def stop(self) -> None:
        if self.process is not None:
            if self.process.poll() is None:
                self.process.kill()
                self.process.wait(timeout=15)
            if self.process.stdout is not None:
                self.process.stdout.close()
        self.process = None
