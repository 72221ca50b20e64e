"""Helpers for the hostile-input suite (tests/addons/channels/test_hostile_inputs.py).

* `HostileStack`: ONE action server and the Rasa server with every channel open
  (REST with `REST_TOKEN`, the web widget's Socket.IO channel and its files, SMS
  through a fake Twilio on loopback, the HTTP API with `RASA_AUTH_TOKEN`), rate
  limits off so that every input reaches the pipeline; optionally a second Rasa
  server (same action server) with the rate limits on, started in parallel.
* `RawHTTP`: a keep-alive HTTP/1.1 client that sends exactly the bytes it is
  given (odd methods, duplicated or huge headers, non-ASCII request lines), so
  hostile requests are not "fixed" by a client library on the way.
* `Tally`: counts the inputs tried per route and their statuses, keeps the
  findings (with the input and the server log excerpt) and writes
  `test-output/hostile_inputs.json`.
"""

from __future__ import annotations

import http.client
import json
import re
import socket
import threading
import time
import urllib.parse
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any, Dict, List, Optional, Sequence, Tuple

import yaml

from common.paths import PROJECT_ROOT
from tests.helpers.fake_twilio import ACCOUNT_SID, AUTH_TOKEN, PUBLIC_URL, TWILIO_NUMBER, FakeTwilio
from tests.helpers.live_servers import (
    MODEL,
    Server,
    action_server,
    base_env,
    rasa_command,
    wait_http,
)
from tests.helpers.live_services import free_port

ROOT = PROJECT_ROOT
REST_TOKEN = "hostile-rest-token-0123456789abcdef"
API_TOKEN = "hostile-api-token-0123456789abcdef"
WEBHOOK = "/webhooks/rest/webhook"
TWILIO_WEBHOOK = "/webhooks/twilio/webhook"
WEBCHAT = "addons.channels.webchat.WebChatInput"
REST = "addons.channels.rest.RestInput"
SMS = "addons.channels.sms.connector.TwilioSmsInput"
REPORT = ROOT / "test-output" / "hostile_inputs.json"
HEX32 = re.compile(r"^[0-9a-f]{32}$")

# Secrets that no response may ever contain.
SECRETS = (REST_TOKEN, API_TOKEN, AUTH_TOKEN)


def _first_line(path: Path, default: str) -> str:
    try:
        for line in path.read_text().splitlines():
            if line.strip():
                return line.strip()
    except OSError:
        pass
    return default


# Text of files outside build/widget that a path traversal could serve.
FILE_MARKERS = tuple(
    dict.fromkeys(
        m
        for m in (
            "root:x:0:0:",  # /etc/passwd
            _first_line(ROOT / "credentials.yml", "addons.channels.rest.RestInput:"),
            "addons.channels.sms.connector.TwilioSmsInput:",  # credentials.yml
            "action_endpoint:",  # endpoints.yml
            "allowed_origins:",  # practice.yml
            "[tool.pytest.ini_options]",  # pyproject.toml
            "SQLite format 3",  # tracker / SMS state
            "rasa==3.6.21",  # requirements.txt
            "PRIVATE KEY-----",
        )
        if m
    )
)


def rest_headers(token: Optional[str] = REST_TOKEN) -> Dict[str, str]:
    headers = {"Content-Type": "application/json"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    return headers


# --- a raw keep-alive HTTP client ------------------------------------------------------
class Response:
    def __init__(self, status: int, headers: http.client.HTTPMessage, body: bytes) -> None:
        self.status, self.headers, self.body = status, headers, body

    def json(self) -> Any:
        return json.loads(self.body.decode("utf-8"))


class Dropped(Exception):
    """The server closed the connection without an HTTP response."""


class RawHTTP:
    """HTTP/1.1 over one socket, reopened when the server closes it."""

    def __init__(self, port: int, host: str = "127.0.0.1", timeout: float = 60) -> None:
        self.host, self.port, self.timeout = host, port, timeout
        self.sock: Optional[socket.socket] = None
        self.reused = False
        self.connections = 0

    def close(self) -> None:
        if self.sock is not None:
            try:
                self.sock.close()
            except OSError:
                pass
        self.sock = None

    def _connect(self) -> None:
        self.sock = socket.create_connection((self.host, self.port), timeout=self.timeout)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.reused = False
        self.connections += 1

    @staticmethod
    def build(
        method: str,
        target: Any,
        headers: Sequence[Tuple[Any, Any]] = (),
        body: Optional[bytes] = None,
        host: str = "127.0.0.1",
    ) -> bytes:
        """The request's bytes. `target` and header values may be str (UTF-8) or bytes;
        Host and Content-Length are added unless given."""

        def raw(value: Any) -> bytes:
            return value if isinstance(value, bytes) else str(value).encode("utf-8")

        names = {raw(name).lower() for name, _ in headers}
        lines = [raw(method) + b" " + raw(target) + b" HTTP/1.1"]
        if b"host" not in names:
            lines.append(b"Host: " + raw(host))
        for name, value in headers:
            lines.append(raw(name) + b": " + raw(value))
        if (
            body is not None
            and b"content-length" not in names
            and b"transfer-encoding" not in names
        ):
            lines.append(b"Content-Length: " + str(len(body)).encode())
        elif (
            body is None
            and method.upper() in ("POST", "PUT", "PATCH")
            and b"content-length" not in names
        ):
            lines.append(b"Content-Length: 0")
        return b"\r\n".join(lines) + b"\r\n\r\n" + (body or b"")

    def send(self, data: bytes, method: str = "GET", timeout: Optional[float] = None) -> Response:
        """One request; a reused connection the server had closed is reopened once."""
        for attempt in (0, 1):
            if self.sock is None:
                self._connect()
            self.sock.settimeout(timeout or self.timeout)
            reused = self.reused
            try:
                try:
                    self.sock.sendall(data)
                except (ConnectionResetError, BrokenPipeError):
                    pass  # the server may have answered (413...) and closed
                response = http.client.HTTPResponse(self.sock, method=method.upper())
                response.begin()
                if response.status == 101:  # switched protocols: nothing more to read here
                    self.close()
                    return Response(101, response.headers, b"")
                body = response.read()
            except (
                http.client.RemoteDisconnected,
                ConnectionResetError,
                BrokenPipeError,
                http.client.IncompleteRead,
                http.client.BadStatusLine,
            ) as error:
                self.close()
                if (
                    reused
                    and attempt == 0
                    and isinstance(
                        error,
                        (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError),
                    )
                ):
                    continue  # the keep-alive connection had timed out
                raise Dropped(f"{type(error).__name__}: {error}") from None
            except socket.timeout:
                self.close()
                raise
            if response.will_close:
                self.close()
            else:
                self.reused = True
            return Response(response.status, response.headers, body)
        raise AssertionError("unreachable")

    def request(
        self,
        method: str,
        target: Any,
        headers: Sequence[Tuple[Any, Any]] = (),
        body: Optional[bytes] = None,
    ) -> Response:
        return self.send(
            self.build(method, target, headers, body, f"{self.host}:{self.port}"),
            method if isinstance(method, str) else "GET",
        )


def quick(
    base_port: int,
    method: str,
    path: str,
    body: Optional[bytes] = None,
    headers: Optional[Dict[str, str]] = None,
    timeout: float = 60,
) -> Response:
    """One request on a fresh connection."""
    client = RawHTTP(base_port, timeout=timeout)
    try:
        return client.request(method, path, list((headers or {}).items()), body)
    finally:
        client.close()


# --- the servers --------------------------------------------------------------------------
class HostileStack:
    """The action server, the Rasa server with every channel, and a fake Twilio."""

    def __init__(self, workdir: Path, limited: bool = True) -> None:
        if not MODEL.exists():
            raise RuntimeError(f"{MODEL} is missing: run `make train`")
        self.workdir = workdir
        self.fake = FakeTwilio(ACCOUNT_SID, AUTH_TOKEN)
        self.credentials = workdir / "credentials.yml"
        channels = yaml.safe_load((ROOT / "credentials.yml").read_text()) or {}
        webchat = channels.get(WEBCHAT) or {}
        webchat.update(
            {
                "user_message_evt": "user_uttered",
                "bot_message_evt": "bot_uttered",
                "session_persistence": True,
            }
        )
        self.credentials.write_text(yaml.safe_dump({REST: None, WEBCHAT: webchat, SMS: None}))
        self.actions = action_server(workdir)
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.env = base_env(
            ACTION_SERVER_URL=f"{self.actions.base}/webhook",
            TRACKER_SQLITE_PATH=str(workdir / "tracker.db"),
            RASA_AUTH_TOKEN=API_TOKEN,
            REST_TOKEN=REST_TOKEN,
            RATE_LIMIT_PER_MINUTE="0",
            RATE_LIMIT_PER_ADDRESS_PER_MINUTE="0",
            TWILIO_ACCOUNT_SID=ACCOUNT_SID,
            TWILIO_AUTH_TOKEN=AUTH_TOKEN,
            TWILIO_NUMBER=TWILIO_NUMBER,
            TWILIO_WEBHOOK_URL=PUBLIC_URL,
            SMS_STATE_FILE=str(workdir / "sms_state.sqlite3"),
        )
        for key in ("TWILIO_MESSAGING_SERVICE_SID", "RASA_JWT_SECRET", "PRACTICE_FILE"):
            self.env.pop(key, None)
        self.rasa = self._rasa("rasa", self.port, self.env, self.credentials)
        self.limited: Optional[Server] = None
        if limited:
            port = free_port()
            rest_only = workdir / "credentials-limited.yml"
            rest_only.write_text(yaml.safe_dump({REST: None}))
            env = dict(
                self.env,
                TRACKER_SQLITE_PATH=str(workdir / "tracker-limited.db"),
                RATE_LIMIT_PER_MINUTE="5",
                RATE_LIMIT_PER_ADDRESS_PER_MINUTE="20",
                SMS_STATE_FILE=str(workdir / "sms_state-limited.sqlite3"),
            )
            self.limited = self._rasa("rasa-limited", port, env, rest_only)

    def _rasa(self, name: str, port: int, env: Dict[str, str], credentials: Path) -> Server:
        return Server(
            name,
            rasa_command(port, credentials),
            env,
            self.workdir / f"{name}-{port}.log",
            port,
        )

    @property
    def servers(self) -> List[Server]:
        return [s for s in (self.rasa, self.limited, self.actions) if s is not None]

    def start(self) -> "HostileStack":
        self.fake.start()
        self.env["TWILIO_API_URL"] = self.rasa.env["TWILIO_API_URL"] = self.fake.url
        if self.limited is not None:
            self.limited.env["TWILIO_API_URL"] = self.fake.url
        for server in self.servers:
            server.start()
        wait_http(f"{self.actions.base}/health", self.actions)
        errors: List[str] = []
        threads = [
            threading.Thread(target=wait_ready, args=(server, errors), daemon=True)
            for server in (self.rasa, self.limited)
            if server is not None
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=320)
        if errors:
            raise RuntimeError("\n\n".join(errors))
        return self

    def restart_rasa(self) -> None:
        """After a crash: the same server (port, stores, logs) again."""
        self.rasa.stop(timeout=5)
        self.rasa.start()
        errors: List[str] = []
        wait_ready(self.rasa, errors)
        if errors:
            raise RuntimeError(errors[0])

    def stop(self, timeout: float = 5) -> None:
        """All servers at once (SIGTERM, then SIGKILL after `timeout`): the data is
        thrown away, so a slow graceful shutdown is only lost time."""

        def stop_one(server: Server) -> None:
            try:
                server.stop(timeout=timeout)
            except Exception:
                server.kill()

        threads = [threading.Thread(target=stop_one, args=(s,), daemon=True) for s in self.servers]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=timeout + 15)
        try:
            self.fake.stop()
        except Exception:
            pass


def wait_ready(server: Server, errors: List[str], seconds: float = 300) -> None:
    """Until the server answers a REST message (with the REST token) with a reply. A
    server that answers, but not that, for 20 s is reported with its answer."""
    deadline = time.time() + seconds
    body = json.dumps({"sender": f"ready-check-{server.port}", "message": "hello"}).encode()
    answering_since, last = 0.0, ""
    while True:
        try:
            response = quick(server.port, "POST", WEBHOOK, body, rest_headers(), timeout=30)
            if response.status == 200 and response.json():
                return
            answering_since = answering_since or time.time()
            last = f"HTTP {response.status}: {response.body[:300]!r}"
        except (OSError, Dropped, ValueError):
            pass
        if answering_since and time.time() - answering_since > 20:
            errors.append(
                f"{server.name} answers the REST webhook with {last} (the "
                f"ready check sends a valid message and the REST token)"
            )
            return
        if not server.alive() or time.time() > deadline:
            errors.append(
                f"{server.name} did not come up ({last or 'no answer'}):\n{server.log_tail()}"
            )
            return
        time.sleep(0.3)


# --- counting and findings ------------------------------------------------------------------
def short(value: Any, limit: int = 300) -> str:
    text = value if isinstance(value, str) else repr(value)
    return text if len(text) <= limit else f"{text[:limit]}... ({len(text)} chars)"


class Tally:
    """Inputs tried per route, statuses per route, and findings."""

    def __init__(self) -> None:
        self.tried: Counter = Counter()
        self.statuses: Dict[str, Counter] = defaultdict(Counter)
        self.findings: Dict[str, List[Dict[str, Any]]] = defaultdict(list)
        self.finding_counts: Counter = Counter()
        self.causes: Counter = Counter()
        self.waited: Dict[str, float] = defaultdict(float)  # seconds waiting for answers
        self.slowest: Dict[str, List[Tuple[float, str]]] = defaultdict(list)
        self.dropped: Dict[str, List[str]] = defaultdict(list)
        self.seconds: Dict[str, float] = defaultdict(float)
        self.notes: Dict[str, Any] = {}
        self.lock = threading.Lock()

    def count(self, route: str, status: Any, seconds: float = 0.0, given: Any = None) -> None:
        with self.lock:
            self.tried[route] += 1
            self.statuses[route][str(status)] += 1
            self.waited[route] += seconds
            slow = self.slowest[route]
            if seconds and (len(slow) < 5 or seconds > slow[-1][0]):
                slow.append((round(seconds, 3), short(given, 200)))
                slow.sort(key=lambda item: -item[0])
                del slow[5:]

    def find(
        self,
        route: str,
        kind: str,
        what: str,
        given: Any,
        status: Any = None,
        body: Any = b"",
        log: str = "",
        keep: int = 3,
        cause: str = "",
    ) -> None:
        """Records a finding: counted; kept in full for the first `keep` of each cause
        (kind + the exception that ended the server log excerpt, or `cause`), 40 per route."""
        cause = cause or (last_exception(log) if log else "")
        with self.lock:
            self.finding_counts[f"{route}: {kind}"] += 1
            self.causes[f"{route}: {kind}: {cause or what}"] += 1
            same = [
                f
                for f in self.findings[route]
                if f["kind"] == kind and f["cause"] == cause and (cause or f["what"] == what)
            ]
            if len(same) < keep and len(self.findings[route]) < 40:
                self.findings[route].append(
                    {
                        "kind": kind,
                        "what": what,
                        "cause": cause,
                        "input": short(given, 600),
                        "status": status,
                        "body": short(
                            body
                            if isinstance(body, str)
                            else bytes(body or b"").decode("utf-8", "replace"),
                            400,
                        ),
                        "log": log[-2500:] if log else "",
                    }
                )

    def of(self, route: str, *kinds: str) -> List[Dict[str, Any]]:
        return [f for f in self.findings.get(route, []) if not kinds or f["kind"] in kinds]

    def count_of(self, route: str, kind: str) -> int:
        return self.finding_counts.get(f"{route}: {kind}", 0)

    def message(self, route: str, *kinds: str, limit: int = 6) -> str:
        found, seen = [], set()
        for finding in self.of(route, *kinds):  # one per distinct cause first
            key = (finding["kind"], finding["cause"] or finding["what"])
            if key not in seen:
                seen.add(key)
                found.append(finding)
        total = sum(
            self.count_of(route, k)
            for k in (kinds or {f["kind"] for f in self.findings.get(route, [])})
        )
        lines = [
            f"{route}: {total} finding(s) after {self.tried[route]} inputs "
            f"(statuses {dict(self.statuses[route])})"
        ]
        for finding in found[:limit]:
            lines.append(
                f"- [{finding['kind']}] {finding['what']} | status {finding['status']}"
                f" | input {finding['input']} | body {finding['body'][:200]}"
            )
            if finding["cause"]:
                lines.append(f"  cause: {finding['cause']}")
            if finding["log"].strip():
                lines.append(
                    "  server log:\n"
                    + "\n".join("    " + line for line in finding["log"][-1200:].splitlines())
                )
        return "\n".join(lines)

    def summary(self) -> str:
        width = max([len(r) for r in self.tried] + [5])
        lines = ["", "hostile inputs tried per route:"]
        for route, count in self.tried.items():
            lines.append(
                f"  {route:<{width}}  {count:>6}  statuses {dict(self.statuses[route])}"
                f"  ({self.seconds.get(route, 0):.1f} s, "
                f"{self.waited.get(route, 0):.1f} s waiting)"
            )
        lines.append(f"  {'total':<{width}}  {sum(self.tried.values()):>6}")
        if self.causes:
            lines.append("findings (route: kind: cause x count):")
            lines += [f"  {cause[:220]} x{count}" for cause, count in self.causes.items()]
        else:
            lines.append("findings: none")
        return "\n".join(lines)

    def write(self, path: Path = REPORT, **extra: Any) -> Path:
        path.parent.mkdir(parents=True, exist_ok=True)
        data = {
            "tried": dict(self.tried),
            "total": sum(self.tried.values()),
            "statuses": {k: dict(v) for k, v in self.statuses.items()},
            "seconds": {k: round(v, 2) for k, v in self.seconds.items()},
            "seconds_waiting_for_the_server": {k: round(v, 2) for k, v in self.waited.items()},
            "slowest": dict(self.slowest),
            "finding_counts": dict(self.finding_counts),
            "causes": dict(self.causes),
            "dropped_examples": dict(self.dropped),
            "findings": {k: v for k, v in self.findings.items() if v},
            "notes": self.notes,
            **extra,
        }
        path.write_text(json.dumps(data, indent=2, default=str))
        return path


EXCEPTION_LINE = re.compile(r"^([A-Za-z_][\w.]*(Error|Exception|Exit|Interrupt|Warning)\b.*)$")


def last_exception(text: str) -> str:
    """The last `SomeError: message` line of a log excerpt (the cause of the last traceback)."""
    for line in reversed(text.splitlines()):
        match = EXCEPTION_LINE.match(line.strip())
        if match:
            return match.group(1)[:300]
    return ""


def log_errors(text: str) -> Dict[str, Dict[str, Any]]:
    """Tracebacks in a server log, by their final exception line: count, first lines before."""
    lines = text.splitlines()
    found: Dict[str, Dict[str, Any]] = {}
    index = 0
    while index < len(lines):
        if "Traceback (most recent call last)" not in lines[index]:
            index += 1
            continue
        end = index + 1
        while end < len(lines) and (
            lines[end].startswith((" ", "\t"))
            or not lines[end].strip()
            or "Traceback" in lines[end]
            or "exception" in lines[end]
        ):
            end += 1
        cause = lines[end].strip()[:300] if end < len(lines) else "?"
        key = re.sub(r"0x[0-9a-f]+|\d+", "N", cause)
        entry = found.setdefault(
            key,
            {
                "count": 0,
                "cause": cause,
                "excerpt": "\n".join(lines[max(0, index - 1) : end + 1])[-3000:],
            },
        )
        entry["count"] += 1
        index = end + 1
    return found


def quote_path(value: str) -> str:
    return urllib.parse.quote(value, safe="")
