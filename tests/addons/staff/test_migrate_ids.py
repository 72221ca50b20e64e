"""The migration to channel-prefixed ids loses no event, is idempotent and has a dry run."""

import sqlite3
import time
import uuid

import pytest

from addons.channels.sms.store import SmsStore, import_state_file
from tests.helpers.tracker_seed import DAY, Session, Turn, run_staff_command, seed, stored_events

pytestmark = pytest.mark.slow  # runs the command in subprocesses

WEB_SESSION = uuid.uuid4().hex
NOW = time.time()


@pytest.fixture(params=["sqlite", "postgresql"])
def store(request, tmp_path):
    """(env for the command, SQLAlchemy URL) of a tracker store with old, unprefixed ids:
    an SMS parent, a web session, a REST sender, a conversation reached through both
    REST and SMS (the hole that was closed), and a check-in nobody has answered yet."""
    if request.param == "sqlite":
        path = tmp_path / "tracker.db"
        env, url = {"TRACKER_SQLITE_PATH": str(path)}, f"sqlite:///{path}"
    else:
        url = request.getfixturevalue("postgres").new_database(f"mig_{uuid.uuid4().hex[:8]}")
        env = {"DATABASE_URL": url}
    env["SMS_STATE_FILE"] = str(tmp_path / "sms_state.sqlite3")
    ask = [Turn("what is a pulpotomy", "ask_what_is_pulpotomy", topic="what_is_pulpotomy")]
    seed(
        url,
        {
            "+15550001111": [Session(NOW - DAY, ask, channel="twilio")],
            WEB_SESSION: [Session(NOW - DAY, ask, channel="webchat")],
            "integration-7": [Session(NOW - DAY, ask, channel="rest")],
            "+15550002222": [
                Session(NOW - 2 * DAY, ask, channel="twilio"),
                Session(NOW - DAY, ask, channel="rest"),
            ],
            "+15550003333": [Session(NOW - DAY, [], channel="twilio")],
        },
    )
    db = sqlite3.connect(env["SMS_STATE_FILE"])
    with db:  # the old per-machine file, rows as the old store wrote them: bare numbers
        db.execute("CREATE TABLE opt_outs (phone TEXT PRIMARY KEY, keyword TEXT, at REAL)")
        db.execute("CREATE TABLE choices (phone TEXT PRIMARY KEY, payloads TEXT, at REAL)")
        db.execute("INSERT INTO opt_outs VALUES ('+15550001111', 'STOP', 1.0)")
        db.execute("INSERT INTO choices VALUES ('+15550002222', '[\"/ask_topic\"]', 1.0)")
    db.close()
    return env, url


def run_migration(env, *args):
    return run_staff_command("addons.staff.migrate_ids", env, *args)


def test_every_conversation_gets_its_channel_and_no_event_is_lost(store):
    env, url = store
    before = stored_events(url)

    dry = run_migration(env, "--dry-run")
    assert dry.returncode == 0, dry.stderr[-2000:]
    assert "5 conversations would be renamed" in dry.stdout
    assert stored_events(url) == before  # a dry run writes nothing

    done = run_migration(env)
    assert done.returncode == 0, done.stderr[-2000:]
    assert "5 conversations renamed (1 rest, 3 twilio, 1 webchat)" in done.stdout
    assert "1 conversations had messages from more than one channel" in done.stdout
    assert "2 SMS opt-out or choice rows renamed" in done.stdout
    after = stored_events(url)
    assert set(after) == {
        "sms:+15550001111",
        f"web:{WEB_SESSION}",
        "rest:integration-7",
        "sms:+15550002222",  # its first message came by SMS
        "sms:+15550003333",  # no message yet, and an E.164 id: an SMS check-in
    }
    renamed = {
        "sms:+15550001111": "+15550001111",
        f"web:{WEB_SESSION}": WEB_SESSION,
        "rest:integration-7": "integration-7",
        "sms:+15550002222": "+15550002222",
        "sms:+15550003333": "+15550003333",
    }
    for new, old in renamed.items():
        assert after[new] == before[old]  # every event, in order, unchanged

    again = run_migration(env)
    assert again.returncode == 0, again.stderr[-2000:]
    assert "0 conversations renamed" in again.stdout
    assert stored_events(url) == after

    sms = SmsStore(url)
    import_state_file(sms, env["SMS_STATE_FILE"])  # as the SMS channel does at its start
    assert sms.is_opted_out("+15550001111")  # the opt-out survived the rename
    assert sms.choice("+15550002222", 1) == "/ask_topic"
    sms.close()


def test_an_unreachable_database_is_one_clear_line(tmp_path):
    env = {"DATABASE_URL": "postgresql://u:secretpw@127.0.0.1:9/x", "DATABASE_WAIT_SECONDS": "0"}
    result = run_migration(env)
    assert result.returncode == 3
    assert "DATABASE_URL" in result.stderr and "secretpw" not in result.stderr
