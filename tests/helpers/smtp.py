"""A real SMTP server on loopback (aiosmtpd) that keeps what it accepted: the alert
tests read the e-mails the on-call contacts got."""

from __future__ import annotations

import email
import threading
import time
from email import policy
from typing import Any, Dict, List

from tests.helpers.live_services import free_port


class Mailbox:
    """aiosmtpd handler keeping what it accepted; it can refuse recipients."""

    def __init__(self) -> None:
        self.messages: List[Dict[str, Any]] = []
        self.refuse: set = set()
        self._changed = threading.Condition()

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address in self.refuse:
            return "550 5.1.1 mailbox unavailable"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        message = email.message_from_bytes(envelope.content, policy=policy.default)
        with self._changed:
            self.messages.append(
                {
                    "from": envelope.mail_from,
                    "to": list(envelope.rcpt_tos),
                    "subject": str(message["Subject"]),
                    "body": message.get_content(),
                    "tls": server.transport.get_extra_info("ssl_object") is not None,
                    "login": getattr(session.auth_data, "login", None),
                }
            )
            self._changed.notify_all()
        return "250 Message accepted for delivery"

    def to(self, address: str) -> List[Dict[str, Any]]:
        with self._changed:
            return [m for m in self.messages if address in m["to"]]

    def wait_for(self, address: str, count: int, timeout: float = 30) -> List[Dict[str, Any]]:
        deadline = time.time() + timeout
        with self._changed:
            while True:
                found = [m for m in self.messages if address in m["to"]]
                if len(found) >= count or time.time() >= deadline:
                    return found
                self._changed.wait(timeout=max(0.05, deadline - time.time()))


def smtp_server(mailbox: Mailbox, **smtp_parameters: Any):
    from aiosmtpd.controller import Controller

    controller = Controller(
        mailbox,
        hostname="127.0.0.1",
        port=free_port(),
        server_hostname="mail.example.test",
        ready_timeout=10,
        **smtp_parameters,
    )
    controller.start()
    return controller
