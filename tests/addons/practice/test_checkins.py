"""Scheduled check-ins without a Rasa server: when staff's WHEN means, the practice's
plan, quiet hours (when scheduled and again when sent), list and cancel, STOP at
send time, and that a due check-in is claimed by one job only, even with two jobs
(two servers) on one database at the same moment. The Rasa agent is the one thing
stood in for here (a send that texts through the real SMS sender to the fake
Twilio); tests/addons/practice/test_checkins_e2e.py sends through real servers."""

import asyncio
import threading
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa

from addons.channels.sms.connector import SmsSender, TwilioSettings, _load_texts
from addons.channels.sms.store import SmsStore
from addons.practice import checkins, clock, db
from addons.staff import followup
from common.hours import PracticeHours
from tests.helpers.fake_twilio import ACCOUNT_SID, AUTH_TOKEN, TWILIO_NUMBER, FakeTwilio

ZONE = ZoneInfo("America/New_York")
HOURS = PracticeHours.from_practice(
    {
        "timezone": "America/New_York",
        "quiet_hours": {"start": "20:00", "end": "08:00"},
        "checkin_plan": [{"day": 0, "at": "18:00"}, {"day": 1, "at": "09:00"}],
    }
)
PHONE = "+15550001234"


def local(*args):
    """A practice-time date-time (December: EST, UTC-5), in UTC."""
    return datetime(*args, tzinfo=ZONE).astimezone(timezone.utc)


T0 = local(2026, 12, 1, 15, 0)  # a Tuesday afternoon


@pytest.fixture
def engine(tmp_path, monkeypatch):
    monkeypatch.delenv("DATABASE_URL", raising=False)
    monkeypatch.setenv("TRACKER_SQLITE_PATH", str(tmp_path / "tracker.db"))
    return db.engine(f"sqlite:///{tmp_path / 'tracker.db'}")


@pytest.fixture
def clock_file(tmp_path, monkeypatch):
    path = tmp_path / "clock"
    clock.set_file_clock(path, T0)
    monkeypatch.setenv("CLOCK_FILE", str(path))
    return path


def schedule(engine, when=None, now=T0, phone=PHONE, procedure="pulpotomy"):
    return checkins.schedule(phone, procedure, when, now=now, engine=engine, practice=HOURS)


# --- what WHEN means ----------------------------------------------------------------
@pytest.mark.parametrize(
    "text,delay",
    [
        ("2h", timedelta(hours=2)),
        ("30m", timedelta(minutes=30)),
        ("1d", timedelta(days=1)),
        ("1h30m", timedelta(minutes=90)),
        ("90 min", timedelta(minutes=90)),
        ("2H", timedelta(hours=2)),
    ],
)
def test_delays(text, delay):
    assert checkins.parse_delay(text) == delay


@pytest.mark.parametrize("text", ["", "h", "2x", "tomorrow", "-2h", "2026-12-02"])
def test_not_delays(text):
    assert checkins.parse_delay(text) is None


def test_when_is_now_a_delay_or_a_practice_time():
    assert checkins.parse_when("now", T0, HOURS) == T0
    assert checkins.parse_when("2h", T0, HOURS) == local(2026, 12, 1, 17, 0)
    assert checkins.parse_when("2026-12-02T18:00", T0, HOURS) == local(2026, 12, 2, 18, 0)
    assert checkins.parse_when("2026-12-02 18:00", T0, HOURS) == local(2026, 12, 2, 18, 0)
    assert checkins.parse_when("2026-12-02T18:00Z", T0, HOURS) == datetime(
        2026, 12, 2, 18, 0, tzinfo=timezone.utc
    )
    assert checkins.parse_when(datetime(2026, 12, 2, 9, 0), T0, HOURS) == local(2026, 12, 2, 9)


@pytest.mark.parametrize(
    "when,says",
    [
        ("2026-11-30T18:00", "in the past"),
        ("2026-12-02", "no time of day"),
        ("next tuesday", "is not a delay"),
    ],
)
def test_a_bad_when_says_why(when, says):
    with pytest.raises(checkins.CheckinError, match=says):
        checkins.parse_when(when, T0, HOURS)


# --- scheduling -------------------------------------------------------------------
def test_without_when_the_practices_plan_is_scheduled(engine):
    rows = schedule(engine)
    assert [r.send_at for r in rows] == [local(2026, 12, 1, 18), local(2026, 12, 2, 9)]
    assert all(r.status == "scheduled" and r.phone == PHONE for r in rows)
    # later the same evening, only the next morning is still ahead
    later = schedule(engine, now=local(2026, 12, 1, 19, 0), phone="+15550009876")
    assert [r.send_at for r in later] == [local(2026, 12, 2, 9)]
    evening_only = PracticeHours.from_practice({"checkin_plan": [{"day": 0, "at": "18:00"}]})
    with pytest.raises(checkins.CheckinError, match="no time left today"):
        checkins.schedule(
            PHONE, "pulpotomy", now=local(2026, 12, 1, 19), engine=engine, practice=evening_only
        )


def test_a_time_in_the_quiet_hours_is_moved_to_their_end(engine):
    [evening] = schedule(engine, "2026-12-01T21:30")
    assert evening.requested_at == local(2026, 12, 1, 21, 30)  # what staff asked for
    assert evening.send_at == local(2026, 12, 2, 8, 0)  # 08:00 practice time, next day
    [early] = schedule(engine, "2026-12-02T06:45", procedure="pulpectomy")
    assert early.send_at == local(2026, 12, 2, 8, 0)
    [delay] = schedule(engine, "6h", phone="+15550004321")  # 15:00 + 6 h = 21:00
    assert delay.send_at == local(2026, 12, 2, 8, 0)
    [same] = schedule(engine, "6h")  # this phone already has that one: not doubled
    assert same.id == evening.id


def test_the_same_check_in_is_not_doubled(engine):
    first = schedule(engine, "2h")
    again = schedule(engine, "2h")
    assert [r.id for r in again] == [r.id for r in first]
    assert len(checkins.list_scheduled(engine)) == 1


def test_a_bad_phone_or_procedure_is_refused(engine):
    with pytest.raises(checkins.CheckinError, match="E.164"):
        checkins.schedule("5551234567", "pulpotomy", "2h", now=T0, engine=engine, practice=HOURS)
    with pytest.raises(checkins.CheckinError, match="pulpotomy, pulpectomy"):
        checkins.schedule(PHONE, "extraction", "2h", now=T0, engine=engine, practice=HOURS)


def test_list_and_cancel(engine):
    a, b = schedule(engine)
    [c] = schedule(engine, "1h", phone="+15550005555")
    assert [r.id for r in checkins.list_scheduled(engine)] == [c.id, a.id, b.id]  # by time
    assert [r.id for r in checkins.list_scheduled(engine, phone=PHONE)] == [a.id, b.id]
    assert checkins.cancel(a.id, engine)
    assert not checkins.cancel(a.id, engine)  # once
    assert not checkins.cancel(9999, engine) and checkins.get(9999, engine) is None
    assert checkins.get(a.id, engine).status == "cancelled"
    assert [r.id for r in checkins.list_scheduled(engine)] == [c.id, b.id]
    assert {r.id for r in checkins.list_scheduled(engine, statuses=None)} == {a.id, b.id, c.id}


def test_times_are_stored_in_utc_and_read_back_aware(engine):
    [row] = schedule(engine, "2026-12-02T18:00")
    with engine.connect() as conn:
        stored = conn.execute(sa.select(db.checkins.c.send_at)).scalar_one()
    assert stored.replace(tzinfo=timezone.utc) == local(2026, 12, 2, 18)  # 23:00 UTC
    assert checkins.get(row.id, engine).send_at.tzinfo is not None


# --- sending: claims, quiet hours and STOP at send time ------------------------------
@dataclass
class Agent:
    """Stands in for Rasa's agent: ready, nothing else (the send is `text_it`)."""

    def is_ready(self):
        return True


@dataclass
class Context:
    sms_sender: object
    agent: object = None


async def text_it(agent, sender, phone, procedure):
    """What the job's real send does, minus Rasa: texts through the SMS sender."""
    await sender.send(phone, f"How is your child after the {procedure}?")


@pytest.fixture
def twilio():
    fake = FakeTwilio(ACCOUNT_SID, AUTH_TOKEN).start()
    yield fake
    fake.stop()


@pytest.fixture
def sender(engine, twilio, tmp_path):
    settings = TwilioSettings(
        account_sid=ACCOUNT_SID, auth_token=AUTH_TOKEN, number=TWILIO_NUMBER, api_url=twilio.url
    )
    store = SmsStore(str(engine.url))
    return SmsSender(settings, store, _load_texts())


def job(engine, sender, name="server-a", send=text_it):
    return checkins.CheckinJob(
        Context(sender, Agent()), engine=engine, practice=HOURS, server_id=name, send=send
    )


def test_a_due_check_in_is_sent_once_and_recorded(engine, sender, twilio, clock_file):
    [row] = schedule(engine, "2m")
    asyncio.run(job(engine, sender).run_due(T0 + timedelta(minutes=1)))
    assert twilio.to(PHONE) == []  # not before its time
    clock.set_file_clock(clock_file, T0 + timedelta(minutes=3))
    for _ in range(3):
        asyncio.run(job(engine, sender).run_due(T0 + timedelta(minutes=3)))
    assert twilio.to(PHONE) == ["How is your child after the pulpotomy?"]
    sent = checkins.get(row.id, engine)
    assert (sent.status, sent.claimed_by, sent.reason) == ("sent", "server-a", None)
    assert sent.sent_at >= T0 + timedelta(minutes=3)
    assert checkins.list_scheduled(engine) == []


def test_two_jobs_at_once_send_each_check_in_once(engine, sender, twilio, tmp_path):
    phones = [f"+1555000{i:04d}" for i in range(8)]
    for phone in phones:
        schedule(engine, "now", phone=phone)
    # a second engine on the same file, as a second server process would have
    other = sa.create_engine(str(engine.url), future=True)
    sa.event.listen(other, "connect", db._sqlite_pragmas)

    async def both():
        await asyncio.gather(
            job(engine, sender, "server-a").run_due(T0), job(other, sender, "server-b").run_due(T0)
        )

    asyncio.run(both())
    assert sorted(m["To"] for m in twilio.messages) == sorted(phones)  # each exactly once
    rows = checkins.list_scheduled(engine, statuses=None)
    assert {r.status for r in rows} == {"sent"}
    assert {r.claimed_by for r in rows} <= {"server-a", "server-b"}


def test_claims_are_exclusive_under_contention(engine):
    for i in range(40):
        schedule(engine, "now", phone=f"+1555100{i:04d}")
    assert_exclusive_claims(engine, T0)


def test_claims_are_exclusive_on_postgresql(postgres):
    url = postgres.new_database("checkins_claims")
    engine = db.engine(url)
    for i in range(40):
        checkins.schedule(
            f"+1555200{i:04d}", "pulpotomy", "now", now=T0, engine=engine, practice=HOURS
        )
    assert_exclusive_claims(engine, T0)


def assert_exclusive_claims(engine, now, workers=4):
    claimed = {}
    barrier = threading.Barrier(workers)

    def claimer(name):
        barrier.wait()
        while (row := checkins.claim_next(engine, now, name)) is not None:
            claimed.setdefault(row.id, []).append(name)

    threads = [threading.Thread(target=claimer, args=(f"w{i}",)) for i in range(workers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert len(claimed) == 40
    assert all(len(names) == 1 for names in claimed.values()), claimed
    assert {r.status for r in checkins.list_scheduled(engine, statuses=None)} == {"sending"}


def test_a_check_in_due_in_the_quiet_hours_waits_for_the_morning(engine, sender, twilio):
    [row] = schedule(engine, "2026-12-01T19:55")  # fine when scheduled...
    night = local(2026, 12, 1, 23, 10)  # ...but the server was down until 23:10
    asyncio.run(job(engine, sender).run_due(night))
    assert twilio.to(PHONE) == []
    moved = checkins.get(row.id, engine)
    assert (moved.status, moved.send_at) == ("scheduled", local(2026, 12, 2, 8, 0))
    asyncio.run(job(engine, sender).run_due(local(2026, 12, 2, 7, 59)))
    assert twilio.to(PHONE) == []
    asyncio.run(job(engine, sender).run_due(local(2026, 12, 2, 8, 0)))
    assert len(twilio.to(PHONE)) == 1


def test_stop_is_honoured_at_send_time(engine, sender, twilio):
    [row] = schedule(engine, "1h")
    sender.store.opt_out(PHONE)  # the parent texted STOP after it was scheduled
    asyncio.run(job(engine, sender).run_due(T0 + timedelta(hours=1)))
    assert twilio.messages == []
    skipped = checkins.get(row.id, engine)
    assert (skipped.status, skipped.reason) == ("skipped", "opted out")


def test_with_the_sms_channel_off_the_check_in_fails_with_the_reason(engine):
    [row] = schedule(engine, "now")
    no_sms = checkins.CheckinJob(Context(None, Agent()), engine=engine, practice=HOURS)
    asyncio.run(no_sms.run_due(T0))
    failed = checkins.get(row.id, engine)
    assert failed.status == "failed" and "SMS channel is off" in failed.reason


def test_a_text_twilio_refuses_is_failed_not_sent(engine, sender, twilio):
    [row] = schedule(engine, "now")
    twilio.fail_next(PHONE, 400, 21211)  # invalid 'To' number: not retried
    asyncio.run(job(engine, sender).run_due(T0))
    failed = checkins.get(row.id, engine)
    assert failed.status == "failed" and "not accepted by Twilio" in failed.reason


def test_a_server_that_is_not_ready_leaves_the_check_in_for_later(engine, sender, twilio):
    [row] = schedule(engine, "now")

    class Loading:
        def is_ready(self):
            return False

    asyncio.run(
        checkins.CheckinJob(Context(sender, Loading()), engine=engine, practice=HOURS).run_due(T0)
    )
    waiting = checkins.get(row.id, engine)
    assert (waiting.status, waiting.claimed_by) == ("scheduled", None)
    asyncio.run(job(engine, sender).run_due(T0))
    assert checkins.get(row.id, engine).status == "sent"


def test_a_check_in_stranded_while_sending_is_failed_never_resent(
    engine, sender, twilio, clock_file
):
    [row] = schedule(engine, "now")
    assert checkins.claim_next(engine, T0, "server-that-died").id == row.id  # then it died
    asyncio.run(job(engine, sender).run_due(T0 + timedelta(minutes=9)))
    assert checkins.get(row.id, engine).status == "sending"  # maybe still sending
    asyncio.run(job(engine, sender).run_due(T0 + timedelta(minutes=11)))
    stranded = checkins.get(row.id, engine)
    assert stranded.status == "failed"
    assert stranded.reason == "server stopped while sending; not resent to avoid a duplicate"
    asyncio.run(job(engine, sender).run_due(T0 + timedelta(minutes=20)))
    assert twilio.messages == []


@pytest.mark.parametrize("texted_first", [False, True])
def test_a_server_stopping_mid_send_releases_only_what_it_had_not_texted(
    engine, sender, twilio, texted_first
):
    [row] = schedule(engine, "now")

    async def hangs(agent, sender, phone, procedure):  # waiting for the conversation's lock
        if texted_first:
            await sender.send(phone, "Hello")
        await asyncio.Event().wait()

    async def stop_the_server():
        task = asyncio.create_task(job(engine, sender, send=hangs).run_due(T0))
        while checkins.get(row.id, engine).status != "sending" or (
            texted_first and not twilio.messages
        ):
            await asyncio.sleep(0.05)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task

    asyncio.run(stop_the_server())
    # nothing texted: the next pass sends it; a text handed to Twilio: never again
    assert checkins.get(row.id, engine).status == ("sending" if texted_first else "scheduled")


# --- the staff command ---------------------------------------------------------------
def test_the_command_schedules_lists_and_cancels(engine, clock_file, capsys):
    assert followup.main(["--phone", PHONE, "--procedure", "pulpotomy", "--when", "2h"]) == 0
    out = capsys.readouterr().out
    assert "Check-in #1 about the pulpotomy for +***-**34: Tue 01 Dec 2026 17:00 EST" in out
    assert PHONE not in out
    assert followup.main(["--phone", PHONE, "--procedure", "pulpotomy", "--when", "21:30"]) == 2
    assert "is not a delay" in capsys.readouterr().err
    assert (
        followup.main(["--phone", PHONE, "--procedure", "pulpectomy", "--when", "2026-12-01T21:30"])
        == 0
    )
    out = capsys.readouterr().out
    assert "#2" in out and "Wed 02 Dec 2026 08:00 EST (asked for Tue 01 Dec 2026 21:30" in out
    assert followup.main(["--list"]) == 0
    listed = capsys.readouterr().out.splitlines()
    assert listed[0].startswith("#1") and "17:00" in listed[0] and "scheduled" in listed[0]
    assert listed[1].startswith("#2") and "08:00" in listed[1]
    assert followup.main(["--cancel", "1"]) == 0
    assert followup.main(["--cancel", "1"]) == 1
    assert "was cancelled before" in capsys.readouterr().err
    assert followup.main(["--list"]) == 0
    assert "#1" not in capsys.readouterr().out


def test_the_command_refuses_a_number_that_opted_out(engine, clock_file, capsys):
    SmsStore(str(engine.url)).opt_out(PHONE)
    assert followup.main(["--phone", PHONE, "--procedure", "pulpotomy"]) == 3
    assert "opted out" in capsys.readouterr().out
    assert checkins.list_scheduled(engine) == []
