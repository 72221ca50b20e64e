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


def test_the_practice_loops_old_records_go_too_but_opt_outs_and_pending_check_ins_stay(store):
    import datetime as dt

    import sqlalchemy as sa

    from addons.practice import db

    env, url = store
    engine = db.engine(url)
    now = dt.datetime.now(dt.timezone.utc)
    old, recent = now - dt.timedelta(days=200), now - dt.timedelta(days=5)

    def alert(at, words):
        with engine.begin() as connection:
            alert_id = connection.execute(
                db.alerts.insert().values(
                    kind="red_flag",
                    severity="urgent",
                    conversation_id="sms:+15550001111",
                    channel="sms",
                    words=words,
                    created_at=at,
                    message_key=words,
                )
            ).inserted_primary_key[0]
            connection.execute(
                db.deliveries.insert().values(
                    alert_id=alert_id,
                    medium="sms",
                    target="+15550009999",
                    status="sent",
                    attempts=1,
                    next_attempt_at=at,
                )
            )
            connection.execute(
                db.callbacks.insert().values(
                    conversation_id="web:ab",
                    channel="web",
                    phone="+15552013344",
                    status="requested",
                    created_at=at,
                    alert_id=alert_id,
                )
            )

    alert(old, "his face is swollen")
    alert(recent, "fever again")
    with engine.begin() as connection:
        for at, status in ((old, "sent"), (old, "scheduled"), (recent, "sent")):
            connection.execute(
                db.checkins.insert().values(
                    phone="+15550001111",
                    procedure="pulpotomy",
                    send_at=at,
                    requested_at=at,
                    status=status,
                    created_at=at,
                    created_by="test",
                )
            )
        connection.execute(
            db.sms_opt_outs.insert().values(
                phone="sms:+15550001111", keyword="STOP", at=old.timestamp()
            )
        )
        connection.execute(
            db.sms_languages.insert().values(
                phone="sms:+15550001111", language="es", at=old.timestamp()
            )
        )
    engine.dispose()

    done = run_retention(env, "--days", "90")
    assert done.returncode == 0, done.stderr
    assert "5 alert, callback, check-in and SMS record(s)" in done.stdout

    engine = db.engine(url)
    with engine.connect() as connection:

        def left(table, column):
            return sorted(str(v) for v in connection.execute(sa.select(column)).scalars())

        assert left(db.alerts, db.alerts.c.words) == ["fever again"]
        assert len(left(db.deliveries, db.deliveries.c.id)) == 1
        assert len(left(db.callbacks, db.callbacks.c.id)) == 1
        assert left(db.checkins, db.checkins.c.status) == ["scheduled", "sent"]
        assert left(db.sms_opt_outs, db.sms_opt_outs.c.keyword) == ["STOP"]  # kept
        assert left(db.sms_languages, db.sms_languages.c.language) == []
    engine.dispose()
