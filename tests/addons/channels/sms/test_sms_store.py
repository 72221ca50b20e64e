"""The SMS channel's state on the tracker database (SQLite, and a real PostgreSQL):
every method as the channel uses it, two stores on one database seeing the same
state, a MessageSid taken by exactly one of many simultaneous callers, and the
one-time import of the old per-machine file (an opt-out is never lost)."""

import asyncio
import logging
import shutil
import sqlite3
import threading
import time
import uuid

import pytest

from addons.channels.sms.connector import TwilioSettings, TwilioSmsInput
from addons.channels.sms.store import SEEN_TTL_SECONDS, SmsStore, import_state_file
from tests.helpers.fake_twilio import ACCOUNT_SID, AUTH_TOKEN, PUBLIC_URL, TWILIO_NUMBER

DAY = 24 * 3600

# The old store's schema (addons/channels/sms/store.py before issue 14), as its
# files on practices' disks have it.
OLD_SCHEMA = """
CREATE TABLE IF NOT EXISTS opt_outs (
    phone TEXT PRIMARY KEY, keyword TEXT NOT NULL, at REAL NOT NULL);
CREATE TABLE IF NOT EXISTS choices (
    phone TEXT PRIMARY KEY, payloads TEXT NOT NULL, at REAL NOT NULL);
CREATE TABLE IF NOT EXISTS seen_messages (
    sid TEXT PRIMARY KEY, at REAL NOT NULL);
CREATE TABLE IF NOT EXISTS languages (
    phone TEXT PRIMARY KEY, language TEXT NOT NULL, at REAL NOT NULL);
"""


@pytest.fixture(scope="module")
def pg_database(postgres):
    """One PostgreSQL database for the module (tests use their own numbers and sids)."""
    return postgres.new_database(f"sms_{uuid.uuid4().hex[:8]}")


@pytest.fixture(params=["sqlite", "postgresql"])
def url(request, tmp_path):
    """The SQLAlchemy URL of a tracker database: a SQLite file, or real PostgreSQL."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'tracker.db'}"
    return request.getfixturevalue("pg_database")


@pytest.fixture
def phone(new_phone):
    return new_phone()


def sid():
    return "SM" + uuid.uuid4().hex


def old_file(path, opt_outs=(), choices=(), languages=(), seen=(), schema=OLD_SCHEMA):
    """A state file as the old store wrote it."""
    db = sqlite3.connect(str(path))
    with db:
        db.executescript(schema)
        db.executemany("INSERT INTO opt_outs VALUES (?, ?, ?)", opt_outs)
        db.executemany("INSERT INTO choices VALUES (?, ?, ?)", choices)
        db.executemany("INSERT INTO seen_messages VALUES (?, ?)", seen)
        if "languages" in schema:
            db.executemany("INSERT INTO languages VALUES (?, ?, ?)", languages)
    db.close()
    return path


# --- every method -----------------------------------------------------------------
def test_stop_is_recorded_once_and_start_lifts_it(url, phone):
    store = SmsStore(url)
    assert not store.is_opted_out(phone)
    assert store.opt_out(phone, "STOP") is True
    assert store.opt_out(phone, "STOPALL") is False  # already recorded: no second confirmation
    assert store.is_opted_out(phone)
    assert store.is_opted_out(f"sms:{phone}")  # keyed by the SMS conversation id
    assert store.opt_in(phone) is True
    assert not store.is_opted_out(phone)
    assert store.opt_in(phone) is False  # START from a number that never opted out
    assert store.opt_out(f"sms:{phone}", "CARRIER") is True  # again, by its conversation id
    assert store.is_opted_out(phone)


def test_a_number_picks_from_the_choices_it_was_last_offered(url, phone, new_phone):
    store = SmsStore(url)
    assert store.choice(phone, 1) is None
    store.set_choices(phone, ["/a", "/b"])
    assert (store.choice(phone, 1), store.choice(phone, 2)) == ("/a", "/b")
    assert store.choice(phone, 0) is None and store.choice(phone, 3) is None
    store.set_choices(phone, ['/ask_topic{"topic":"crown"}'])  # a newer answer's choices
    assert store.choice(phone, 1) == '/ask_topic{"topic":"crown"}'
    assert store.choice(phone, 2) is None
    assert store.choice(new_phone(), 1) is None  # another number's choices are its own


def test_a_number_keeps_the_language_it_was_last_answered_in(url, phone):
    store = SmsStore(url)
    assert store.language(phone) is None
    store.set_language(phone, "es")
    assert store.language(phone) == "es"
    assert store.language(f"sms:{phone}") == "es"
    store.set_language(phone, "en")
    assert store.language(phone) == "en"


def test_a_message_sid_is_taken_once_and_forgotten_after_a_week(url):
    now = [time.time()]
    store = SmsStore(url, clock=lambda: now[0])
    first, later = sid(), sid()
    assert store.first_time_seen(first) is True
    assert store.first_time_seen(first) is False  # Twilio's retry
    now[0] += 2 * DAY
    assert store.first_time_seen(later) is True

    now[0] += SEEN_TTL_SECONDS - DAY  # 8 days after the first, 6 after the later one
    restarted = SmsStore(url, clock=lambda: now[0])  # its first call prunes
    assert restarted.first_time_seen(sid()) is True
    assert restarted.first_time_seen(later) is False  # within the week: still a retry
    assert restarted.first_time_seen(first) is True  # pruned: a week is all Twilio needs


def test_two_stores_on_one_database_share_everything(url, phone):
    """Two Rasa servers, or one restarted: what one records, the other reads."""
    one, two = SmsStore(url), SmsStore(url)
    one.opt_out(phone, "STOP")
    one.set_choices(phone, ["/a"])
    one.set_language(phone, "es")
    message = sid()
    assert one.first_time_seen(message) is True
    assert two.is_opted_out(phone)
    assert two.choice(phone, 1) == "/a"
    assert two.language(phone) == "es"
    assert two.first_time_seen(message) is False
    assert two.opt_in(phone) is True
    assert not one.is_opted_out(phone)


def test_simultaneous_deliveries_of_one_message_sid_are_taken_by_exactly_one(url, phone):
    stores = [SmsStore(url) for _ in range(8)]
    message = sid()
    start = threading.Barrier(len(stores))
    results = [None] * len(stores)

    def deliver(index):
        start.wait()
        results[index] = stores[index].first_time_seen(message)

    def stop(index):
        start.wait()
        results[index] = stores[index].opt_out(phone, "STOP")

    for work in (deliver, stop):
        threads = [threading.Thread(target=work, args=(i,)) for i in range(len(stores))]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=30)
        assert sorted(results) == [False] * 7 + [True], work.__name__  # one confirmation


def test_a_store_takes_a_url_not_the_old_file(tmp_path):
    with pytest.raises(TypeError, match="URL"):
        SmsStore(tmp_path / "sms_state.sqlite3")


# --- the old per-machine file -----------------------------------------------------
def test_the_old_file_is_imported_once_and_renamed(url, tmp_path, new_phone, caplog):
    bare, prefixed, spanish, chooser = new_phone(), new_phone(), new_phone(), new_phone()
    now = time.time()
    recent, ancient = sid(), sid()
    path = old_file(
        tmp_path / "sms_state.sqlite3",
        opt_outs=[(f"sms:{prefixed}", "STOP", now - DAY), (bare, "CANCEL", now - 90 * DAY)],
        choices=[(f"sms:{chooser}", '["/a", "/b"]', now - 60)],
        languages=[(f"sms:{spanish}", "es", now - DAY)],
        seen=[(recent, now - 60), (ancient, now - 30 * DAY)],
    )
    store = SmsStore(url)
    with caplog.at_level(logging.INFO, logger="addons.channels.sms.store"):
        result = import_state_file(store, path)

    assert store.is_opted_out(prefixed) and store.is_opted_out(bare)  # both key forms
    assert store.choice(chooser, 2) == "/b"
    assert store.language(spanish) == "es"
    assert store.first_time_seen(recent) is False  # a retry right after the upgrade
    assert store.first_time_seen(ancient) is True  # older than a week: not carried over
    assert result.added == {"opt_outs": 2, "languages": 1, "choices": 1, "seen_messages": 1}

    assert not path.exists()
    assert result.renamed_to == tmp_path / "sms_state.sqlite3.imported"
    assert result.renamed_to.exists()
    logged = caplog.text
    assert "2 of 2 opt-outs, 1 of 1 languages, 1 of 1 choices" in logged
    assert "renamed to sms_state.sqlite3.imported" in logged
    assert bare not in logged and prefixed not in logged  # no phone number in the log

    assert store.opt_in(bare) is True  # the parent texts START after the upgrade
    again = import_state_file(store, path)  # the next start: nothing read again
    assert again.added == {} and not store.is_opted_out(bare)


def test_rows_already_in_the_database_win_over_the_old_file(url, tmp_path, phone):
    store = SmsStore(url)
    store.opt_out(phone, "STOP")
    store.set_language(phone, "en")  # answered in English since
    path = old_file(
        tmp_path / "old.sqlite3",
        opt_outs=[(f"sms:{phone}", "CARRIER", 1.0)],
        languages=[(f"sms:{phone}", "es", 1.0)],
    )
    result = import_state_file(store, path)
    assert result.read["opt_outs"] == 1 and result.added["opt_outs"] == 0
    assert store.language(phone) == "en"
    assert store.is_opted_out(phone)


def test_an_older_file_without_languages_and_one_left_by_a_crash_are_imported(tmp_path, new_phone):
    store = SmsStore(f"sqlite:///{tmp_path / 'tracker.db'}")
    before_languages = OLD_SCHEMA.split("CREATE TABLE IF NOT EXISTS languages")[0]
    older = new_phone()
    old_file(tmp_path / "older.sqlite3", opt_outs=[(older, "STOP", 1.0)], schema=before_languages)
    assert import_state_file(store, tmp_path / "older.sqlite3").added["opt_outs"] == 1
    assert store.is_opted_out(older)

    # The old store wrote in WAL mode: a crash leaves the last opt-outs in the -wal file.
    crashed = new_phone()
    live = tmp_path / "live.sqlite3"
    writer = sqlite3.connect(str(live), isolation_level=None)
    writer.execute("PRAGMA journal_mode=WAL")
    writer.executescript(OLD_SCHEMA)
    writer.execute("INSERT INTO opt_outs VALUES (?, 'STOP', 1.0)", (f"sms:{crashed}",))
    folder = tmp_path / "after-crash"
    folder.mkdir()
    for suffix in ("", "-wal", "-shm"):  # the files as the crash left them
        shutil.copy(f"{live}{suffix}", folder / f"sms_state.sqlite3{suffix}")
    writer.close()
    assert (folder / "sms_state.sqlite3-wal").stat().st_size > 0
    assert import_state_file(store, folder / "sms_state.sqlite3").added["opt_outs"] == 1
    assert store.is_opted_out(crashed)
    assert [p.name for p in folder.iterdir() if not p.name.endswith(".imported")] == []


def test_an_unreadable_old_file_is_reported_and_kept(tmp_path, caplog):
    store = SmsStore(f"sqlite:///{tmp_path / 'tracker.db'}")
    path = tmp_path / "sms_state.sqlite3"
    path.write_bytes(b"not a database at all " * 100)
    with caplog.at_level(logging.ERROR, logger="addons.channels.sms.store"):
        result = import_state_file(store, path)
    assert result.added == {} and path.exists()  # left for a person to look at
    assert "could not be read" in caplog.text and str(path) in caplog.text


def test_the_channel_imports_the_old_file_when_it_starts(tmp_path, fake_twilio, new_phone):
    """A number that texted STOP before the upgrade gets nothing after it, until START."""
    phone = new_phone()
    old = old_file(tmp_path / "sms_state.sqlite3", opt_outs=[(f"sms:{phone}", "STOP", 1.0)])
    settings = TwilioSettings(
        account_sid=ACCOUNT_SID,
        auth_token=AUTH_TOKEN,
        number=TWILIO_NUMBER,
        webhook_url=PUBLIC_URL,
        api_url=fake_twilio.url,
        state_file=str(old),
    )
    channel = TwilioSmsInput(settings)  # on this test's tracker database (conftest)
    assert not old.exists() and (tmp_path / "sms_state.sqlite3.imported").exists()
    asked = []

    async def rasa(message):
        asked.append(message.text)
        await message.output_channel.send_response(message.sender_id, {"text": "An answer."})

    asyncio.run(channel.handle_sms(rasa, phone, "what is a pulpotomy", 0, sid()))
    assert asked == [] and fake_twilio.to(phone) == []
    asyncio.run(channel.handle_sms(rasa, phone, "START", 0, sid()))
    asyncio.run(channel.handle_sms(rasa, phone, "what is a pulpotomy", 0, sid()))
    assert asked == ["what is a pulpotomy"]
    assert fake_twilio.to(phone) == [channel.sender.text("start"), "An answer."]
