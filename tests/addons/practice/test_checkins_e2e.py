"""Scheduled check-ins on real servers: `make followup`'s command schedules into the
database, the Rasa server's loop (PracticeLoopInput, DISPATCH_INTERVAL_SECONDS=1)
sends each through the SMS channel to a fake Twilio on loopback, once: across a
restart of the server, with STOP texted after scheduling, and with two servers
on one PostgreSQL database. The time is a file (CLOCK_FILE) the test moves; no
test waits for a check-in's real delay."""

import json
import subprocess
import sys
import time
import uuid
from datetime import datetime, timedelta, timezone

import pytest
import sqlalchemy as sa

from addons.practice import alerts, checkins, db
from addons.practice.clock import set_file_clock
from common.conversations import sms_conversation
from common.paths import PROJECT_ROOT
from common.phones import mask_phone
from knowledge import load_knowledge
from tests.helpers.fake_twilio import (
    ACCOUNT_SID,
    AUTH_TOKEN,
    FakeTwilio,
    encode,
    sign,
    twilio_form,
)
from tests.helpers.live_servers import (
    action_server,
    base_env,
    rasa_server,
    request,
    stop_all,
    wait_http,
    wait_rasa,
)

pytestmark = pytest.mark.e2e
KNOWLEDGE = load_knowledge()
# Tuesday 2026-12-01, 15:00 in New York (practice.yml's time zone): outside quiet hours.
T0 = datetime(2026, 12, 1, 20, 0, tzinfo=timezone.utc)
CHECK_IN = KNOWLEDGE.reply("followup_checkin", "pulpotomy").sms


def new_phone():
    return "+1555" + uuid.uuid4().int.__str__()[-7:]


def sms(topic):
    return KNOWLEDGE.reply(topic).sms


@pytest.fixture(scope="module")
def base(tmp_path_factory):
    """What every server here shares: the fake Twilio, the clock file, the action server."""
    logs = tmp_path_factory.mktemp("checkins")
    fake = FakeTwilio(ACCOUNT_SID, AUTH_TOKEN).start()
    clock_file = logs / "clock.txt"
    set_file_clock(clock_file, T0)
    credentials = logs / "credentials.yml"
    credentials.write_text(
        "addons.channels.rest.RestInput:\naddons.channels.sms.connector.TwilioSmsInput:\n"
        "addons.practice.channel.PracticeLoopInput:\n"
    )
    env = base_env(
        **fake.env(),
        SMS_STATE_FILE=str(logs / "sms_state.sqlite3"),
        TRACKER_SQLITE_PATH=str(logs / "tracker.db"),
        CLOCK_FILE=str(clock_file),
        DISPATCH_INTERVAL_SECONDS="1",
    )
    env.pop("PRACTICE_FILE", None)
    actions = action_server(logs, env=env)
    running = []  # Rasa servers; the PostgreSQL pair stops the SQLite one first
    try:
        actions.start()
        wait_http(f"{actions.base}/health", actions)
        yield {
            "logs": logs,
            "fake": fake,
            "clock": clock_file,
            "credentials": credentials,
            "env": dict(env, ACTION_SERVER_URL=f"{actions.base}/webhook"),
            "running": running,
        }
    finally:
        stop_all(*running, actions)
        fake.stop()


def start_rasa(base, env, port=None):
    server = rasa_server(base["logs"], env, port=port, credentials=base["credentials"])
    server.start()
    base["running"].append(server)
    return server


@pytest.fixture(scope="module")
def single(base):
    """One Rasa server on the SQLite tracker database."""
    server = start_rasa(base, base["env"])
    wait_rasa(server)
    url = f"sqlite:///{base['logs'] / 'tracker.db'}"
    return {**base, "server": server, "db": db.engine(url), "env": base["env"]}


# --- helpers -------------------------------------------------------------------------
def passes(server):
    status, _, body = request(server.base, "/webhooks/practice/", method="GET", timeout=10)
    assert status == 200, body
    state = json.loads(body)
    assert state["running"], state
    return state["passes"]


def wait_passes(server, count=3, timeout=30):
    """Waits for `count` more passes of the server's loop (each sends what is due)."""
    target = passes(server) + count
    deadline = time.monotonic() + timeout
    while passes(server) < target:
        assert time.monotonic() < deadline, f"the loop did not run:\n{server.log_tail()}"
        time.sleep(0.2)


def text(stack, phone, body):
    form = twilio_form(phone, body)
    headers = {
        "Content-Type": "application/x-www-form-urlencoded",
        "X-Twilio-Signature": sign(form),
    }
    status, _, _ = request(
        stack["server"].base, "/webhooks/twilio/webhook", encode(form), headers=headers
    )
    assert status == 200


def row_of(engine, checkin_id):
    return checkins.get(checkin_id, engine)


def wait_row(engine, checkin_id, statuses, timeout=30):
    deadline = time.monotonic() + timeout
    while (row := row_of(engine, checkin_id)).status not in statuses:
        assert time.monotonic() < deadline, row
        time.sleep(0.2)
    return row


def followup(stack, *argv):
    return subprocess.run(
        [sys.executable, "-m", "addons.staff.followup", *argv],
        cwd=PROJECT_ROOT,
        env=stack["env"],
        capture_output=True,
        text=True,
        timeout=120,
    )


def alerts_implemented():
    return "(stub" not in (alerts.__doc__ or "")


# --- one server on SQLite -------------------------------------------------------------
def test_a_check_in_scheduled_2_minutes_ahead_is_sent_once_after_a_restart(single):
    server, fake, clock = single["server"], single["fake"], single["clock"]
    phone = new_phone()
    set_file_clock(clock, T0)
    done = followup(single, "--phone", phone, "--procedure", "pulpotomy", "--when", "2m")
    assert done.returncode == 0, done.stderr
    assert "Tue 01 Dec 2026 15:02 EST" in done.stdout  # practice time
    assert mask_phone(phone) in done.stdout and phone not in done.stdout
    checkin_id = int(done.stdout.split("#", 1)[1].split()[0])
    listed = followup(single, "--list", "--phone", phone)
    assert f"#{checkin_id}" in listed.stdout and "scheduled" in listed.stdout

    wait_passes(server)
    assert fake.to(phone) == []  # not before its time

    # the server stops and starts again; the check-in is in the database, not in memory
    server.stop()
    server.start()
    wait_rasa(server)
    set_file_clock(clock, T0 + timedelta(seconds=30))  # the restart took real time
    wait_passes(server)
    assert fake.to(phone) == []
    assert row_of(single["db"], checkin_id).status == "scheduled"

    set_file_clock(clock, T0 + timedelta(minutes=2, seconds=5))
    assert fake.wait_for(phone, 1, timeout=30) == [CHECK_IN]
    wait_passes(server, 4)  # more passes: no second send
    assert fake.to(phone) == [CHECK_IN]
    row = row_of(single["db"], checkin_id)
    assert row.status == "sent" and row.claimed_by and row.sent_at >= row.send_at
    assert "sent" in followup(single, "--list", "--all", "--phone", phone).stdout


def test_stop_after_scheduling_is_honoured_and_the_row_says_skipped(single):
    phone = new_phone()
    set_file_clock(single["clock"], T0 + timedelta(hours=1))
    [row] = checkins.schedule(
        phone, "pulpectomy", "1m", now=T0 + timedelta(hours=1), engine=single["db"]
    )
    text(single, phone, "STOP")
    assert single["fake"].wait_for(phone, 1) == [sms("sms_stop")]
    set_file_clock(single["clock"], T0 + timedelta(hours=1, minutes=2))
    skipped = wait_row(single["db"], row.id, ("skipped", "sent", "failed"))
    assert (skipped.status, skipped.reason) == ("skipped", "opted out")
    wait_passes(single["server"], 2)
    assert single["fake"].to(phone) == [sms("sms_stop")]  # the STOP confirmation only


def test_a_reply_of_3_to_a_scheduled_check_in_gets_the_red_flag_text(single):
    phone = new_phone()
    now = T0 + timedelta(hours=2)
    set_file_clock(single["clock"], now)
    done = followup(single, "--phone", phone, "--procedure", "pulpotomy", "--when", "now")
    assert done.returncode == 0, done.stderr
    assert single["fake"].wait_for(phone, 1, timeout=30) == [CHECK_IN]
    text(single, phone, "3")  # swelling or fever
    [_, reply] = single["fake"].wait_for(phone, 2, timeout=60)
    assert reply == sms("red_flag_urgent")
    if not alerts_implemented():
        pytest.skip("alerts.raise_alert is still a stub: the practice_alerts row is not checked")
    conversation = sms_conversation(phone)
    table = db.alerts
    deadline = time.monotonic() + 10
    while True:
        with single["db"].connect() as conn:
            found = conn.execute(
                sa.select(table.c.kind, table.c.severity).where(
                    table.c.conversation_id == conversation
                )
            ).all()
        if found or time.monotonic() > deadline:
            break
        time.sleep(0.2)
    assert [tuple(r) for r in found] == [("red_flag", "urgent")]


# --- two servers on PostgreSQL --------------------------------------------------------
@pytest.fixture(scope="module")
def cluster(base, postgres):
    stop_all(*base["running"])  # the SQLite server's tests are done: free the CPU
    base["running"].clear()
    url = postgres.new_database(f"checkins_{uuid.uuid4().hex[:8]}")
    env = dict(base["env"], DATABASE_URL=url)
    env.pop("TRACKER_SQLITE_PATH", None)
    servers = [start_rasa(base, env), start_rasa(base, env)]
    for server in servers:
        wait_rasa(server)
    return {**base, "servers": servers, "db": db.engine(url), "env": env}


def test_two_servers_on_postgresql_send_each_of_five_due_check_ins_once(cluster):
    a, b = cluster["servers"]
    fake, clock = cluster["fake"], cluster["clock"]
    phones = [new_phone() for _ in range(5)]
    set_file_clock(clock, T0)
    for phone in phones:
        done = followup(cluster, "--phone", phone, "--procedure", "pulpotomy", "--when", "1m")
        assert done.returncode == 0, done.stderr
    wait_passes(a, 2)
    wait_passes(b, 2)
    assert not any(fake.to(phone) for phone in phones)

    # All five due at once, on both servers. Each text takes Twilio 0.6 s here, so one
    # server's pass cannot send all five before the other's pass starts: both claim.
    fake.delay = 0.6
    try:
        set_file_clock(clock, T0 + timedelta(minutes=2))
        for phone in phones:
            assert fake.wait_for(phone, 1, timeout=30) == [CHECK_IN]
    finally:
        fake.delay = 0.0
    wait_passes(a, 3)
    wait_passes(b, 3)
    assert [fake.to(phone) for phone in phones] == [[CHECK_IN]] * 5  # each exactly once
    rows = [r for r in checkins.list_scheduled(cluster["db"], statuses=None) if r.phone in phones]
    assert len(rows) == 5 and {r.status for r in rows} == {"sent"}
    assert len({r.claimed_by for r in rows}) == 2, "one server sent them all: no contention"
