"""Callback requests end to end: a parent asks for a person over REST and by SMS, is
offered a call back, gives or confirms the number, is told when to expect the call
from the practice's hours (on a controllable clock), and the request is stored."""

import json
import time
import urllib.error
import urllib.request
import uuid
from datetime import datetime, timezone

import pytest
import sqlalchemy as sa
import yaml

from addons.practice import db
from common.clock import set_file_clock
from common.paths import PROJECT_ROOT
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
    start_all,
    stop_all,
    wait_http,
    wait_rasa,
)

pytestmark = pytest.mark.e2e
ON_CALL = "+15550002222"  # the practice's on-call phone (practice.yml on_call)
# Tuesday 2026-12-01 in New York (practice.yml): 10 am open, 7 pm closed.
OPEN = datetime(2026, 12, 1, 15, 0, tzinfo=timezone.utc)
CLOSED = datetime(2026, 12, 2, 0, 0, tzinfo=timezone.utc)


@pytest.fixture(scope="module")
def stack(tmp_path_factory):
    logs = tmp_path_factory.mktemp("callbacks")
    fake = FakeTwilio(ACCOUNT_SID, AUTH_TOKEN).start()
    clock_file = logs / "clock.txt"
    set_file_clock(clock_file, OPEN)
    credentials = logs / "credentials.yml"
    credentials.write_text(
        "addons.channels.rest.RestInput:\naddons.channels.sms.connector.TwilioSmsInput:\n"
        "addons.practice.channel.PracticeLoopInput:\n"
    )
    tracker_db = logs / "tracker.db"
    practice = yaml.safe_load((PROJECT_ROOT / "practice.yml").read_text())
    practice["on_call"] = {"sms": [ON_CALL], "email": []}
    practice_file = logs / "practice.yml"
    practice_file.write_text(yaml.safe_dump(practice, allow_unicode=True))
    env = base_env(
        PRACTICE_FILE=str(practice_file),
        **fake.env(),
        SMS_STATE_FILE=str(logs / "sms_state.sqlite3"),
        TRACKER_SQLITE_PATH=str(tracker_db),
        CLOCK_FILE=str(clock_file),
        DISPATCH_INTERVAL_SECONDS="1",
    )
    actions = action_server(logs, env=env)
    rasa = rasa_server(
        logs,
        dict(env, ACTION_SERVER_URL=f"http://127.0.0.1:{actions.port}/webhook"),
        credentials=credentials,
    )
    try:
        start_all(actions, rasa)
        wait_http(f"http://127.0.0.1:{actions.port}/health", actions)
        wait_rasa(rasa)
        yield {
            "base": rasa.base,
            "fake": fake,
            "clock": clock_file,
            "db": db.engine(f"sqlite:///{tracker_db}"),
        }
    finally:
        stop_all(rasa, actions)
        fake.stop()


def rest(stack, sender, text):
    request = urllib.request.Request(
        f"{stack['base']}/webhooks/rest/webhook",
        data=json.dumps({"sender": sender, "message": text}).encode(),
        headers={"Content-Type": "application/json"},
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=60) as response:
        return json.loads(response.read())


def callbacks_of(stack, conversation_id):
    with stack["db"].connect() as connection:
        rows = connection.execute(
            sa.select(db.callbacks).where(db.callbacks.c.conversation_id == conversation_id)
        )
        return [dict(row._mapping) for row in rows]


def wait_for(check, seconds=10):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        found = check()
        if found:
            return found
        time.sleep(0.2)
    return check()


def test_over_rest_the_number_is_asked_for_stored_and_the_call_promised_today(stack):
    set_file_clock(stack["clock"], OPEN)
    sender = f"cb-{uuid.uuid4().hex[:8]}"
    [answer] = rest(stack, sender, "can someone from the office call me back?")
    [offer] = [b for b in answer["buttons"] if "callback_request" in b["payload"]]
    [ask] = rest(stack, sender, offer["payload"])
    assert "area code" in ask["text"]
    [bad] = rest(stack, sender, "555 01")
    assert "does not look like a phone number" in bad["text"]
    [done] = rest(stack, sender, "its (555) 201-3344")
    assert "Today, during office hours" in done["text"]
    assert "call (555) 010-0123 now" in done["text"]  # the urgent-signs line, always
    [row] = wait_for(lambda: callbacks_of(stack, f"rest:{sender}"))
    assert row["phone"] == "+15552013344" and row["status"] == "requested"
    assert row["channel"] == "rest"
    # In office hours the on-call phone hears of it, with the number masked.
    [alert] = [t for t in stack["fake"].wait_for(ON_CALL, 1, 15) if "+***-**44" in t]
    assert "callback request" in alert and "(told: today)" in alert and "2013344" not in alert


def test_a_question_instead_of_the_number_is_answered_and_nothing_stored(stack):
    sender = f"cb-{uuid.uuid4().hex[:8]}"
    rest(stack, sender, "I want to talk to the dentist")
    rest(stack, sender, '/ask_topic{"topic":"callback_request"}')
    [answer] = rest(stack, sender, "will the pulpotomy hurt")
    assert "area code" not in answer["text"] and "numb" in answer["text"].lower()
    time.sleep(1)
    assert callbacks_of(stack, f"rest:{sender}") == []


def test_by_sms_the_parent_confirms_their_number_after_hours_next_morning(stack):
    set_file_clock(stack["clock"], CLOSED)
    fake, phone = stack["fake"], "+1555" + uuid.uuid4().int.__str__()[:7]

    def text(body, count):
        before = len(fake.to(phone))
        form = twilio_form(phone, body)
        request = urllib.request.Request(
            f"{stack['base']}/webhooks/twilio/webhook",
            data=encode(form),
            headers={
                "Content-Type": "application/x-www-form-urlencoded",
                "X-Twilio-Signature": sign(form),
            },
            method="POST",
        )
        urllib.request.urlopen(request, timeout=30).read()
        return fake.wait_for(phone, before + count, 60)[before:]

    [contact] = text("can someone call me", 1)
    assert "Reply 1 for a call back" in contact
    [confirm] = text("1", 1)
    assert "number you are texting from" in confirm and "1 for yes or 2 for no" in confirm
    [booked] = text("1", 1)
    assert "next morning the office is open" in booked
    [row] = wait_for(lambda: callbacks_of(stack, f"sms:{phone}"))
    assert row["phone"] == phone and row["channel"] == "sms"
