"""Conversations live in the SQL tracker store: a restart of the Rasa server
loses nothing, and a database that cannot be reached stops the start with one
clear line naming the setting."""

import subprocess
import sys
import time

import pytest

from addons.server import database
from tests.helpers.live_servers import (
    MODEL,
    ROOT,
    action_server,
    base_env,
    post,
    rasa_server,
    stop_all,
    text_of,
    wait_http,
    wait_rasa,
)
from tests.helpers.tracker_seed import stored_events

pytestmark = pytest.mark.slow  # starts the run command in subprocesses


@pytest.mark.e2e
def test_conversation_continues_after_a_restart(tmp_path):
    db = tmp_path / "tracker.db"
    actions = action_server(tmp_path)
    env = base_env(
        ACTION_SERVER_URL=f"http://127.0.0.1:{actions.port}/webhook", TRACKER_SQLITE_PATH=str(db)
    )
    first = rasa_server(tmp_path, env)
    second = rasa_server(tmp_path, env, port=first.port)
    parent = "parent-restart"
    try:
        actions.start()
        first.start()
        wait_http(f"{actions.base}/health", actions)
        wait_rasa(first)
        answer = text_of(
            post(
                first.base,
                parent,
                "the dentist said my son needs a pulpotamy, what does that mean?",
            )
        )
        assert "pulpotomy" in answer.lower()
        first.stop()
        assert not first.alive()

        second.start()
        wait_rasa(second)
        answer = text_of(post(second.base, parent, "will it hurt?"))
        assert "a pulpotomy" in answer.lower()  # the procedure was remembered
        answer = text_of(post(second.base, parent, "and the other one?"))
        assert "pulpectomy" in answer.lower()
    finally:
        stop_all(second, first, actions)

    events = stored_events(f"sqlite:///{db}")[f"rest:{parent}"]  # its REST conversation
    said = [e["data"]["text"] for e in events if e["type"] == "user"]
    assert said == [
        "the dentist said my son needs a pulpotamy, what does that mean?",
        "will it hurt?",
        "and the other one?",
    ]
    assert sum(e["type"] == "bot" for e in events) >= 3


def test_default_store_is_a_gitignored_sqlite_file(monkeypatch):
    monkeypatch.delenv("DATABASE_URL", raising=False)
    monkeypatch.delenv("TRACKER_SQLITE_PATH", raising=False)
    url, setting = database.database_url()
    assert url == f"sqlite:///{ROOT / 'var' / 'tracker.db'}"
    assert "var/" in (ROOT / ".gitignore").read_text().split()
    monkeypatch.setenv("DATABASE_URL", "postgres://u:p@db:5432/pulpcare")
    assert database.database_url() == ("postgresql://u:p@db:5432/pulpcare", "DATABASE_URL")


def start_refused(env, command=None):
    command = command or [
        sys.executable,
        "-m",
        "addons.server.serve",
        "-m",
        str(MODEL),
        "--port",
        "1",
        "--credentials",
        "credentials.yml",
        "--endpoints",
        "endpoints.yml",
    ]
    started = time.monotonic()
    result = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    return result, time.monotonic() - started


@pytest.mark.parametrize(
    "setting, value, named",
    [
        (
            "DATABASE_URL",
            "postgresql://pulpcare:hunter2secret@127.0.0.1:9/pulpcare",
            "DATABASE_URL",
        ),
        ("DATABASE_URL", "not a url", "DATABASE_URL"),
        ("TRACKER_SQLITE_PATH", "/proc/forbidden/tracker.db", "TRACKER_SQLITE_PATH"),
        ("REDIS_URL", "redis://:hunter2secret@127.0.0.1:9/0", "REDIS_URL"),
    ],
)
def test_unreachable_store_stops_the_start_with_one_line(setting, value, named):
    env = base_env(DATABASE_WAIT_SECONDS="1", **{setting: value})
    result, took = start_refused(env)
    assert result.returncode == 3, result.stderr[-2000:]
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, result.stderr[-2000:]
    assert lines[0].startswith("error: ") and named in lines[0]
    assert "hunter2secret" not in result.stderr and "Traceback" not in result.stderr
    assert took < 60


def test_run_command_checks_the_database_before_starting_anything():
    env = base_env(
        DATABASE_URL="postgresql://u:hunter2secret@127.0.0.1:9/x",
        DATABASE_WAIT_SECONDS="1",
        ACTIONS_PORT="1",
        RASA_PORT="1",
    )
    result, took = start_refused(env, ["bash", "scripts/run.sh", "run"])
    assert result.returncode != 0
    assert "DATABASE_URL" in result.stderr and "Traceback" not in result.stderr
    assert "hunter2secret" not in result.stderr
    assert took < 60
