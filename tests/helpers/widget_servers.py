"""The real action server and Rasa server for the widget tests, on free ports.

Started as production starts them, with the shared helpers of
tests/live_servers.py (`python -m addons.server.serve`, the project's endpoints.yml:
conversations in a SQLite tracker store, here a throw-away file). Differences:
the channels are REST (for the readiness check) and the widget's channel, as
credentials.yml names it; the practice settings are a copy of practice.yml whose
`allowed_origins` name the test's own "practice website"; and the Rasa server
can be stopped and started again on the same port (the reconnecting test).
"""

from __future__ import annotations

import threading
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import List

import yaml

from tests.helpers.live_servers import (
    MODEL,
    ROOT,
    Server,
    action_server,
    base_env,
    rasa_command,  # noqa: F401  (MODEL re-exported for the fixtures)
    wait_http,
    wait_rasa,
)
from tests.helpers.live_services import free_port

WEBCHAT = "addons.channels.webchat.WebChatInput"
REST = "addons.channels.rest.RestInput"


class Servers:
    """Action server + Rasa server (REST and the widget's Socket.IO channel)."""

    def __init__(self, workdir: Path, extra_origins: List[str]) -> None:
        self.workdir = workdir
        practice = yaml.safe_load((ROOT / "practice.yml").read_text())
        practice["allowed_origins"] = list(extra_origins)
        self.practice = practice
        self.practice_file = workdir / "practice.yml"
        self.practice_file.write_text(yaml.safe_dump(practice, sort_keys=False))
        channels = yaml.safe_load((ROOT / "credentials.yml").read_text()) or {}
        if WEBCHAT not in channels:
            raise RuntimeError(f"credentials.yml does not list {WEBCHAT}")
        self.credentials = workdir / "credentials.yml"
        self.credentials.write_text(yaml.safe_dump({REST: None, WEBCHAT: channels[WEBCHAT]}))
        self.actions = action_server(workdir)
        self.rasa_port = free_port()
        self.base = f"http://127.0.0.1:{self.rasa_port}"
        self.env = base_env(
            PRACTICE_FILE=str(self.practice_file),
            ACTION_SERVER_URL=f"{self.actions.base}/webhook",
            TRACKER_SQLITE_PATH=str(workdir / "tracker.db"),
        )
        self.actions.env = dict(self.actions.env, PRACTICE_FILE=str(self.practice_file))
        self.rasa = Server(
            "rasa",
            rasa_command(self.rasa_port, self.credentials),
            self.env,
            workdir / "rasa.log",
            self.rasa_port,
        )

    def start(self) -> "Servers":
        if not MODEL.exists():
            raise RuntimeError(f"{MODEL} is missing: run `make train`")
        self.actions.start()
        self.rasa.start()
        wait_http(f"{self.actions.base}/health", self.actions)
        wait_rasa(self.rasa)
        return self

    def stop_rasa(self) -> None:
        self.rasa.stop()

    def start_rasa(self) -> None:
        if not self.rasa.alive():
            self.rasa.start()
        wait_rasa(self.rasa)

    def stop(self) -> None:
        for server in (self.rasa, self.actions):
            try:
                server.stop()
            except Exception:
                server.kill()


class StaticSite:
    """A practice's own website on another origin: serves one folder on a free port."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.port = free_port()
        self.origin = f"http://127.0.0.1:{self.port}"
        handler = partial(QuietHandler, directory=str(folder))
        self.httpd = ThreadingHTTPServer(("127.0.0.1", self.port), handler)
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def start(self) -> "StaticSite":
        self.thread.start()
        return self

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


class QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, *args) -> None:  # keep pytest's output clean
        pass
