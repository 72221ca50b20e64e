"""A fake Twilio REST API on loopback that records the messages it is asked to send.

It answers ``POST /2010-04-01/Accounts/<AccountSid>/Messages.json`` the way
Twilio does (HTTP Basic auth with the account SID and auth token, form fields
To/From/MessagingServiceSid/Body, a 201 with the message resource), and can be
told to fail the next sends to a number (HTTP status and Twilio error code).
Nothing here reaches the real Twilio.
"""

from __future__ import annotations

import base64
import json
import random
import threading
import time
import uuid
from email.utils import formatdate
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Dict, List, Tuple
from urllib.parse import parse_qs, urlencode

from twilio.request_validator import RequestValidator

ACCOUNT_SID = "AC" + "0123456789abcdef" * 2
AUTH_TOKEN = "test-auth-token-0123456789abcdef"
TWILIO_NUMBER = "+15550009999"
PUBLIC_URL = "https://sms.example.test/webhooks/twilio/webhook"  # what Twilio posts to


class FakeTwilio:
    def __init__(self, account_sid: str, auth_token: str) -> None:
        self.account_sid, self.auth_token = account_sid, auth_token
        self.messages: List[Dict[str, str]] = []
        self.failures: Dict[str, List[Tuple[int, int]]] = {}  # phone -> [(status, code)]
        self.requests = 0
        self.delay = 0.0  # seconds each send takes, to show the event loop is free
        self._changed = threading.Condition()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def start(self) -> "FakeTwilio":
        self._thread.start()
        return self

    def env(self) -> Dict[str, str]:
        """The SMS channel's settings for a server that texts through this fake Twilio
        (a Messaging Service of the tester's environment is blanked: the number sends)."""
        return {
            "TWILIO_ACCOUNT_SID": self.account_sid,
            "TWILIO_AUTH_TOKEN": self.auth_token,
            "TWILIO_NUMBER": TWILIO_NUMBER,
            "TWILIO_WEBHOOK_URL": PUBLIC_URL,
            "TWILIO_API_URL": self.url,
            "TWILIO_MESSAGING_SERVICE_SID": "",
        }

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def fail_next(self, phone: str, status: int, code: int, times: int = 1) -> None:
        with self._changed:
            self.failures.setdefault(phone, []).extend([(status, code)] * times)

    def to(self, phone: str) -> List[str]:
        """Bodies sent to ``phone``, in the order Twilio received them."""
        with self._changed:
            return [m["Body"] for m in self.messages if m.get("To") == phone]

    def wait_for(self, phone: str, count: int, timeout: float = 60) -> List[str]:
        deadline = time.time() + timeout
        with self._changed:
            while True:
                bodies = [m["Body"] for m in self.messages if m.get("To") == phone]
                if len(bodies) >= count or time.time() >= deadline:
                    return bodies
                self._changed.wait(timeout=max(0.05, deadline - time.time()))

    def _record(self, form: Dict[str, str]) -> Tuple[int, dict]:
        with self._changed:
            self.requests += 1
            queued = self.failures.get(form.get("To", ""))
            if queued:
                status, code = queued.pop(0)
                return status, {"code": code, "message": f"fake failure {code}", "status": status}
            sid = "SM" + uuid.uuid4().hex
            self.messages.append(dict(form, sid=sid))
            self._changed.notify_all()
        now = formatdate(usegmt=True)
        return 201, {
            "sid": sid,
            "account_sid": self.account_sid,
            "to": form.get("To"),
            "from": form.get("From"),
            "messaging_service_sid": form.get("MessagingServiceSid"),
            "body": form.get("Body"),
            "status": "queued",
            "num_segments": "1",
            "direction": "outbound-api",
            "api_version": "2010-04-01",
            "date_created": now,
            "date_updated": now,
            "date_sent": None,
            "uri": f"/2010-04-01/Accounts/{self.account_sid}/Messages/{sid}.json",
        }

    def _handler(self):
        fake = self
        expected_auth = (
            "Basic " + base64.b64encode(f"{self.account_sid}:{self.auth_token}".encode()).decode()
        )

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):  # quiet
                pass

            def _reply(self, status: int, payload: dict) -> None:
                body = json.dumps(payload).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def do_POST(self):
                if fake.delay:
                    time.sleep(fake.delay)
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length).decode()
                if self.headers.get("Authorization") != expected_auth:
                    return self._reply(
                        401, {"code": 20003, "message": "Authenticate", "status": 401}
                    )
                if self.path != f"/2010-04-01/Accounts/{fake.account_sid}/Messages.json":
                    return self._reply(404, {"code": 20404, "message": "Not found", "status": 404})
                form = {k: v[-1] for k, v in parse_qs(raw, keep_blank_values=True).items()}
                if not form.get("To") or not form.get("Body"):
                    return self._reply(
                        400, {"code": 21604, "message": "To/Body required", "status": 400}
                    )
                self._reply(*fake._record(form))

        return Handler


def twilio_form(phone: str, body: str = "", sid: str = "", media: int = 0) -> dict:
    """The fields Twilio posts for an incoming SMS, blank ones included."""
    sid = sid or "SM" + "".join(random.choice("0123456789abcdef") for _ in range(32))
    form = {
        "ToCountry": "US",
        "ToState": "",
        "SmsMessageSid": sid,
        "NumMedia": str(media),
        "ToCity": "",
        "FromZip": "",
        "SmsSid": sid,
        "FromState": "",
        "SmsStatus": "received",
        "FromCity": "",
        "Body": body,
        "FromCountry": "US",
        "To": TWILIO_NUMBER,
        "ToZip": "",
        "NumSegments": "1",
        "MessageSid": sid,
        "AccountSid": ACCOUNT_SID,
        "From": phone,
        "ApiVersion": "2010-04-01",
    }
    for index in range(media):
        form[f"MediaContentType{index}"] = "image/jpeg"
        form[f"MediaUrl{index}"] = (
            f"https://api.twilio.com/2010-04-01/Accounts/{ACCOUNT_SID}/Media/ME{index}"
        )
    return form


def sign(form: dict, url: str = PUBLIC_URL, token: str = AUTH_TOKEN) -> str:
    """X-Twilio-Signature as Twilio computes it (the official library's validator)."""
    return RequestValidator(token).compute_signature(url, form)


def encode(form: dict) -> bytes:
    return urlencode(form).encode()
