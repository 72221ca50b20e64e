"""Starting the real action server and Rasa servers for tests, on free loopback ports.

Rasa servers are started the way production starts them: `python -m
addons.server.serve` (the run command's launcher) with the project's own
`endpoints.yml`, configured from the environment (ACTION_SERVER_URL,
TRACKER_SQLITE_PATH / DATABASE_URL, REDIS_URL, ...). Only the REST channel is
opened (a credentials file naming `addons.channels.rest.RestInput`), so these
tests do not depend on the other channels' settings.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Dict, List, Optional, Sequence, Tuple

from common.paths import PROJECT_ROOT
from tests.helpers.live_services import free_port

ROOT = PROJECT_ROOT
MODEL = ROOT / "models" / "pulpcare.tar.gz"
BIN = Path(sys.executable).parent
PHONE = "(555) 010-0123"
UNAVAILABLE = "Sorry, I can't look that up right now"


def base_env(**extra: str) -> Dict[str, str]:
    env = dict(
        os.environ,
        RASA_TELEMETRY_ENABLED="false",
        SQLALCHEMY_SILENCE_UBER_WARNING="1",
        TF_CPP_MIN_LOG_LEVEL="2",
        PYTHONUNBUFFERED="1",
    )
    for key in (
        "DATABASE_URL",
        "REDIS_URL",
        "RASA_ENABLE_API",
        "RASA_AUTH_TOKEN",
        "RASA_JWT_SECRET",
        "ACTION_SERVER_URL",
        "TRACKER_SQLITE_PATH",
        "RATE_LIMIT_PER_MINUTE",
        "ACTION_TIMEOUT_SECONDS",
        "SANIC_WORKERS",
    ):
        env.pop(key, None)
    env.update(extra)
    return env


class Server:
    """A server process with its log file."""

    def __init__(
        self, name: str, args: Sequence[str], env: Dict[str, str], log: Path, port: int
    ) -> None:
        self.name, self.args, self.env, self.log, self.port = name, list(args), env, log, port
        self.process: Optional[subprocess.Popen] = None

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> "Server":
        handle = open(self.log, "a")
        self.process = subprocess.Popen(
            self.args,
            cwd=ROOT,
            env=self.env,
            stdout=handle,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        return self

    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def log_tail(self, chars: int = 3000) -> str:
        try:
            return self.log.read_text(errors="replace")[-chars:]
        except OSError:
            return ""

    def _signal(self, sig: int) -> None:
        """To the server's own process group (a script and the servers it started)."""
        try:
            os.killpg(self.process.pid, sig)
        except (ProcessLookupError, PermissionError):
            pass

    def stop(self, timeout: float = 20) -> None:
        if self.process is None:
            return
        if self.alive():
            self._signal(signal.SIGCONT)  # in case a test paused it
            self._signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                pass
        self._signal(signal.SIGKILL)  # whatever of the group is left
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            pass

    def kill(self) -> None:
        if self.alive():
            self._signal(signal.SIGKILL)
            self.process.wait(timeout=10)

    def pause(self) -> None:
        self.process.send_signal(signal.SIGSTOP)

    def resume(self) -> None:
        self.process.send_signal(signal.SIGCONT)


def action_server(
    logs: Path, port: Optional[int] = None, env: Optional[Dict[str, str]] = None
) -> Server:
    port = port or free_port()
    return Server(
        "actions",
        [str(BIN / "rasa"), "run", "actions", "--port", str(port), "--actions", "actions.actions"],
        env or base_env(),
        logs / f"actions-{port}.log",
        port,
    )


def rest_credentials(folder: Path) -> Path:
    path = folder / "credentials.yml"
    if not path.exists():
        path.write_text("addons.channels.rest.RestInput:\n")
    return path


def rasa_server(
    logs: Path,
    env: Dict[str, str],
    port: Optional[int] = None,
    extra: Sequence[str] = (),
    credentials: Optional[Path] = None,
) -> Server:
    if not MODEL.exists():
        raise RuntimeError(f"{MODEL} is missing: run `make train`")
    port = port or free_port()
    credentials = credentials or rest_credentials(logs)
    args = rasa_command(port, credentials, *extra)
    return Server("rasa", args, env, logs / f"rasa-{port}.log", port)


def rasa_command(port: int, credentials: Path, *extra: str) -> List[str]:
    """The Rasa server as the run command starts it (`python -m addons.server.serve`)."""
    return [
        sys.executable,
        "-m",
        "addons.server.serve",
        "-m",
        str(MODEL),
        "--port",
        str(port),
        "--interface",
        "127.0.0.1",
        "--credentials",
        str(credentials),
        "--endpoints",
        "endpoints.yml",
        *extra,
    ]


def wait_http(url: str, server: Server, seconds: float = 180) -> None:
    deadline = time.time() + seconds
    while time.time() < deadline:
        if not server.alive():
            raise RuntimeError(f"{server.name} exited:\n{server.log_tail()}")
        try:
            with urllib.request.urlopen(url, timeout=2):
                return
        except urllib.error.HTTPError:
            return
        except OSError:
            time.sleep(0.3)
    raise TimeoutError(f"{url}:\n{server.log_tail()}")


def wait_rasa(server: Server, seconds: float = 300) -> None:
    """Waits until the model is loaded (the server answers a message)."""
    deadline = time.time() + seconds
    while True:
        try:
            token = server.env.get("REST_TOKEN")
            if post(server.base, f"ready-check-{server.port}", "hello", timeout=30, token=token):
                return
        except OSError:
            pass
        if not server.alive() or time.time() > deadline:
            raise RuntimeError(f"the Rasa server did not come up:\n{server.log_tail()}")
        time.sleep(0.5)


def request(
    base: str,
    path: str,
    body: Optional[bytes] = None,
    method: str = "POST",
    headers: Optional[Dict[str, str]] = None,
    timeout: float = 60,
) -> Tuple[int, Dict[str, str], bytes]:
    req = urllib.request.Request(
        f"{base}{path}",
        data=body,
        method=method,
        headers={"Content-Type": "application/json", **(headers or {})},
    )
    try:
        with urllib.request.urlopen(req, timeout=timeout) as response:
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read()


def post(
    base: str, sender: str, message: str, timeout: float = 60, token: Optional[str] = None
) -> List[dict]:
    """One REST message (with `REST_TOKEN` when the server requires one)."""
    status, _, body = request(
        base,
        "/webhooks/rest/webhook",
        json.dumps({"sender": sender, "message": message}).encode(),
        headers={"Authorization": f"Bearer {token}"} if token else None,
        timeout=timeout,
    )
    if status != 200:
        raise AssertionError(f"status {status}: {body[:300]!r}")
    return json.loads(body)


def text_of(replies: List[dict]) -> str:
    return " ".join(r.get("text") or "" for r in replies)


def start_all(*servers: Server) -> None:
    for server in servers:
        server.start()


def stop_all(*servers: Server) -> None:
    for server in servers:
        try:
            server.stop()
        except Exception:
            server.kill()
