"""The retention command deletes conversations older than N days, and only those."""

import time
import uuid

import pytest

from tests.helpers.tracker_seed import DAY, Session, Turn, run_staff_command, seed, stored_events


@pytest.fixture(params=["sqlite", "postgresql"])
def store(request, tmp_path):
    """(env for the command, SQLAlchemy URL) of an empty tracker store."""
    if request.param == "sqlite":
        path = tmp_path / "tracker.db"
        return {"TRACKER_SQLITE_PATH": str(path)}, f"sqlite:///{path}"
    postgres = request.getfixturevalue("postgres")
    url = postgres.new_database(f"retention_{uuid.uuid4().hex[:8]}")
    return {"DATABASE_URL": url}, url


def run_retention(env, *args):
    return run_staff_command("addons.staff.retention", env, *args, timeout=120)


def test_deletes_only_what_is_older_than_n_days(store):
    env, url = store
    now = time.time()
    ask = [Turn("what is a pulpotomy", "ask_definition", topic="what_is_pulpotomy")]
    seed(
        url,
        {
            "old-parent": [Session(now - 200 * DAY, ask)],
            "recent-parent": [Session(now - 10 * DAY, ask, channel="socketio")],
            "edge-parent": [Session(now - 89 * DAY, ask)],
            "+15550001111": [  # a parent who texts now and then
                Session(now - 150 * DAY, ask, channel="twilio"),
                Session(now - 100 * DAY, ask, channel="twilio", carried={"procedure": "pulpotomy"}),
                Session(
                    now - 5 * DAY,
                    [Turn("will it hurt", "ask_pain", topic="pain")],
                    channel="twilio",
                    carried={"procedure": "pulpotomy"},
                ),
            ],
        },
    )
    before = stored_events(url)

    dry = run_retention(env, "--days", "90", "--dry-run")
    assert dry.returncode == 0, dry.stderr
    assert "Would delete 1 conversation(s)" in dry.stdout
    assert stored_events(url) == before

    result = run_retention(env, "--days", "90")
    assert result.returncode == 0, result.stderr
    assert "Deleted 1 conversation(s)" in result.stdout
    assert "2 older session(s) of 1 ongoing conversation(s)" in result.stdout
    after = stored_events(url)

    assert "old-parent" not in after
    assert after["recent-parent"] == before["recent-parent"]
    assert after["edge-parent"] == before["edge-parent"]
    kept = after["+15550001111"]
    assert kept == before["+15550001111"][-len(kept) :]  # the newest session, whole
    assert kept[0]["action"] == "action_session_start"
    assert all(e["timestamp"] >= now - 6 * DAY for e in kept)
    assert {"event": "slot", "name": "procedure"}.items() <= next(
        e["data"] for e in kept if e["type"] == "slot"
    ).items()  # carried slot kept


def test_default_is_90_days_and_an_empty_store_is_fine(store):
    env, url = store
    result = run_retention(env)
    assert result.returncode == 0, result.stderr
    assert "Deleted 0 conversation(s)" in result.stdout
    seed(url, {"p": [Session(time.time() - 91 * DAY, [Turn("hi", "greet", topic="greet")])]})
    result = run_retention(env)
    assert "Deleted 1 conversation(s)" in result.stdout
    assert stored_events(url) == {}


def test_unreachable_database_is_one_clear_line(tmp_path):
    result = run_retention(
        {"DATABASE_URL": "postgresql://u:secret@127.0.0.1:9/x", "DATABASE_WAIT_SECONDS": "0"}
    )
    assert result.returncode == 3
    assert result.stderr.strip().count("\n") == 0
    assert "DATABASE_URL" in result.stderr and "secret" not in result.stderr
    assert "Traceback" not in result.stderr
