"""Alert e-mail through the practice's SMTP server (`SMTP_URL`).

* ``smtp://[user:password@]host[:port]`` (port 25 by default): plain SMTP, upgraded
  with STARTTLS whenever the server offers it; a password is only ever sent over
  TLS (a server that offers no STARTTLS gets none, and the send fails).
* ``smtps://[user:password@]host[:port]`` (port 465 by default): TLS from the start.

Certificates are checked against the system's trusted authorities (the host name
included). Blocking: the delivery job (`alerts.py`) calls `send_mail` from a worker
thread, never on the event loop. Every network step gives up after 10 seconds.
"""

from __future__ import annotations

import smtplib
import ssl
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from typing import Optional
from urllib.parse import unquote, urlsplit

TIMEOUT_SECONDS = 10.0
DEFAULT_PORTS = {"smtp": 25, "smtps": 465}


class MailError(RuntimeError):
    """The message was not handed to the SMTP server; the text says why (no secrets)."""


@dataclass(frozen=True)
class SmtpServer:
    scheme: str
    host: str
    port: int
    user: str = ""
    password: str = ""

    @classmethod
    def parse(cls, url: str) -> "SmtpServer":
        parts = urlsplit(url.strip())
        if parts.scheme not in DEFAULT_PORTS or not parts.hostname:
            raise MailError("SMTP_URL must look like smtp://host:port or smtps://host:port")
        try:
            port = parts.port or DEFAULT_PORTS[parts.scheme]
        except ValueError:
            raise MailError("SMTP_URL has a bad port") from None
        return cls(
            parts.scheme,
            parts.hostname,
            port,
            unquote(parts.username or ""),
            unquote(parts.password or ""),
        )


def default_sender(smtp_url: str) -> str:
    """`assistant@<the SMTP host>`, the From address when ALERT_EMAIL_FROM is unset."""
    try:
        return f"assistant@{SmtpServer.parse(smtp_url).host}"
    except MailError:
        return "assistant@localhost"


def mask_address(address: str) -> str:
    """``jane.doe@example.com`` -> ``j***@example.com``: enough for staff to tell
    which contact it was, not the address itself (logs)."""
    local, at, domain = (address or "").strip().partition("@")
    if not at:
        return "***"
    return f"{local[:1]}***@{domain}"


def build_message(sender: str, to: str, subject: str, body: str) -> EmailMessage:
    message = EmailMessage()
    message["From"] = sender
    message["To"] = to
    message["Subject"] = subject
    message["Date"] = formatdate(localtime=False, usegmt=True)
    message["Message-ID"] = make_msgid(domain=sender.partition("@")[2] or None)
    message.set_content(body)  # text/plain, utf-8
    return message


def send_mail(
    smtp_url: str,
    sender: str,
    to: str,
    subject: str,
    body: str,
    *,
    tls_context: Optional[ssl.SSLContext] = None,
    timeout: float = TIMEOUT_SECONDS,
) -> None:
    """Sends one plain-text message; raises MailError (or an OSError / smtplib error)
    when the server did not accept it. `tls_context` replaces the default certificate
    checks (tests with their own authority)."""
    server = SmtpServer.parse(smtp_url)
    context = tls_context or ssl.create_default_context()
    message = build_message(sender, to, subject, body)
    client: smtplib.SMTP
    if server.scheme == "smtps":
        client = smtplib.SMTP_SSL(server.host, server.port, timeout=timeout, context=context)
    else:
        client = smtplib.SMTP(server.host, server.port, timeout=timeout)
    try:
        client.ehlo()
        if server.scheme == "smtp" and client.has_extn("starttls"):
            client.starttls(context=context)
            client.ehlo()  # the server's extensions over TLS (AUTH is often offered only now)
        if server.user:
            if not _tls(client):
                raise MailError("the SMTP server offers no STARTTLS: the password is not sent")
            client.login(server.user, server.password)
        client.send_message(message)
    finally:
        try:
            client.quit()
        except (smtplib.SMTPException, OSError):
            client.close()


def _tls(client: smtplib.SMTP) -> bool:
    return isinstance(getattr(client, "sock", None), ssl.SSLSocket)
