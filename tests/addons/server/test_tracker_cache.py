"""The tracker store keeps recent conversations in memory, but the database stays
the truth: what it writes is what Rasa's own SQL store writes, and a change made
by anyone else (another server, retention) is seen on the next read."""

import asyncio
import sqlite3

import pytest
from rasa.core.tracker_store import SQLTrackerStore
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, BotUttered, SessionStarted, SlotSet, UserUttered

from addons.server.stores import EnvSQLTrackerStore

DOMAIN = Domain.load("domain.yml")


@pytest.fixture
def db(tmp_path, monkeypatch):
    path = tmp_path / "tracker.db"
    monkeypatch.delenv("DATABASE_URL", raising=False)
    monkeypatch.setenv("TRACKER_SQLITE_PATH", str(path))
    return path


def run(coroutine):
    return asyncio.run(coroutine)


def turn(tracker, text, intent, procedure=None):
    """One parent question and its answer, as the processor records it."""
    tracker.update(UserUttered(text, {"name": intent, "confidence": 0.9}))
    tracker.update(ActionExecuted("action_answer"))
    tracker.update(BotUttered(f"answer to {text}"))
    if procedure:
        tracker.update(SlotSet("procedure", procedure))
    tracker.update(ActionExecuted("action_listen"))


async def new_tracker(store, sender):
    tracker = await store.get_or_create_tracker(sender, append_action_listen=False)
    tracker.update(ActionExecuted("action_session_start"))
    tracker.update(SessionStarted())
    tracker.update(ActionExecuted("action_listen"))
    return tracker


def rasa_view(db_path, sender):
    """What Rasa's own SQL store reads from the file (no memory of ours)."""
    store = SQLTrackerStore(DOMAIN, host=f"sqlite:///{db_path}")
    tracker = run(store.retrieve(sender))
    return None if tracker is None else [e.as_dict() for e in tracker.events]


def texts(events):
    return [e.get("text") for e in events if e["event"] == "user"]


def test_rows_written_are_rasas_own_and_reads_come_back_equal(db):
    store = EnvSQLTrackerStore(DOMAIN)
    tracker = run(new_tracker(store, "p1"))
    turn(tracker, "what is a pulpotomy", "ask_definition", "pulpotomy")
    run(store.save(tracker))
    for text in ("will it hurt", "how long is recovery"):
        tracker = run(store.retrieve("p1"))
        turn(tracker, text, "ask_pain")
        run(store.save(tracker))

    stored = rasa_view(db, "p1")
    assert texts(stored) == ["what is a pulpotomy", "will it hurt", "how long is recovery"]
    assert len(stored) == len(tracker.events)  # nothing written twice
    again = run(store.retrieve("p1"))
    assert [e.as_dict() for e in again.events] == stored
    assert again.get_slot("procedure") == "pulpotomy"
    with sqlite3.connect(db) as connection:
        columns = connection.execute(
            "select type_name, intent_name, action_name from events where sender_id='p1' "
            "order by id"
        ).fetchall()
    assert ("user", "ask_definition", None) in columns
    assert ("action", None, "action_answer") in columns


def test_another_server_writing_is_seen_on_the_next_read(db):
    first, second = EnvSQLTrackerStore(DOMAIN), EnvSQLTrackerStore(DOMAIN)
    tracker = run(new_tracker(first, "p2"))
    turn(tracker, "what is a pulpectomy", "ask_definition", "pulpectomy")
    run(first.save(tracker))
    run(first.retrieve("p2"))  # now held in the first one's memory

    other = run(second.retrieve("p2"))  # the next message went to server 2
    turn(other, "will it hurt", "ask_pain")
    run(second.save(other))

    tracker = run(first.retrieve("p2"))  # and the one after to server 1
    assert texts([e.as_dict() for e in tracker.events]) == ["what is a pulpectomy", "will it hurt"]
    turn(tracker, "thanks", "thank")
    run(first.save(tracker))
    assert texts(rasa_view(db, "p2")) == ["what is a pulpectomy", "will it hurt", "thanks"]


def test_a_conversation_deleted_by_retention_is_gone(db):
    store = EnvSQLTrackerStore(DOMAIN)
    tracker = run(new_tracker(store, "p3"))
    turn(tracker, "hi", "greet")
    run(store.save(tracker))
    assert run(store.retrieve("p3")) is not None
    with sqlite3.connect(db) as connection:
        connection.execute("delete from events where sender_id='p3'")
    assert run(store.retrieve("p3")) is None


def test_a_stale_tracker_is_saved_the_way_rasa_saves_it(db):
    store = EnvSQLTrackerStore(DOMAIN)
    tracker = run(new_tracker(store, "p4"))
    turn(tracker, "hi", "greet")
    run(store.save(tracker))
    held = run(store.retrieve("p4"))
    stale = run(store.retrieve("p4"))
    turn(held, "what is the pulp", "ask_pulp")
    run(store.save(held))
    turn(stale, "thanks", "thank")  # built from the same, now older, state
    run(store.save(stale))
    assert len(rasa_view(db, "p4")) == len(held.events)  # Rasa's rule: nothing duplicated


def test_memory_can_be_turned_off(db, monkeypatch):
    monkeypatch.setenv("TRACKER_CACHE_SIZE", "0")
    store = EnvSQLTrackerStore(DOMAIN)
    tracker = run(new_tracker(store, "p5"))
    turn(tracker, "hi", "greet")
    run(store.save(tracker))
    tracker = run(store.retrieve("p5"))
    turn(tracker, "bye", "goodbye")
    run(store.save(tracker))
    assert texts(rasa_view(db, "p5")) == ["hi", "bye"]
    assert not store._cache


def test_only_the_most_recent_conversations_are_held(db, monkeypatch):
    monkeypatch.setenv("TRACKER_CACHE_SIZE", "2")
    store = EnvSQLTrackerStore(DOMAIN)
    for sender in ("a", "b", "c"):
        tracker = run(new_tracker(store, sender))
        turn(tracker, f"hi from {sender}", "greet")
        run(store.save(tracker))
        run(store.retrieve(sender))
    assert list(store._cache) == ["b", "c"]
    assert texts([e.as_dict() for e in run(store.retrieve("a")).events]) == ["hi from a"]


def test_the_sqlite_file_is_in_wal_mode(db):
    store = EnvSQLTrackerStore(DOMAIN)
    run(store.save(run(new_tracker(store, "p6"))))
    with sqlite3.connect(db) as connection:
        assert connection.execute("pragma journal_mode").fetchone()[0] == "wal"
