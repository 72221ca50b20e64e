"""Red-flag alerts end to end: the real Rasa server (REST, the web widget's Socket.IO,
SMS and the practice loop, as credentials.yml opens them) and action server, with a
practice file naming an on-call phone and e-mail address. A red flag over REST, the
widget and SMS each reaches the on-call phone (fake Twilio REST API on loopback) and
mailbox (a real SMTP server on loopback) within 10 seconds, once; a second red flag
in the same conversation within 30 minutes adds none; the parent's reply is the
red-flag answer as always."""

from __future__ import annotations

import asyncio
import json
import sqlite3
import time
import urllib.request
import uuid
from typing import Any, Dict, List, Tuple

import pytest
import yaml

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
    post,
    rasa_server,
    start_all,
    stop_all,
    text_of,
    wait_http,
    wait_rasa,
)
from tests.helpers.smtp import Mailbox, smtp_server

pytestmark = pytest.mark.e2e
ROOT = PROJECT_ROOT
ONCALL_SMS = "+15550001111"
ONCALL_EMAIL = "oncall@example.com"
STAFF_URL = "https://staff.example.test"
RED_FLAG = "his face is swollen up to his eye and he has a fever"
AGAIN = "his face is still swollen up to his eye"
WITHIN = 10.0  # seconds: the promise


@pytest.fixture(scope="module")
def stack(tmp_path_factory):
    logs = tmp_path_factory.mktemp("alerts")
    with open(ROOT / "practice.yml", encoding="utf-8") as handle:
        practice = yaml.safe_load(handle)
    practice["on_call"] = {"sms": [ONCALL_SMS], "email": [ONCALL_EMAIL]}
    practice_file = logs / "practice.yml"
    practice_file.write_text(yaml.safe_dump(practice, allow_unicode=True))
    fake = FakeTwilio(ACCOUNT_SID, AUTH_TOKEN).start()
    box = Mailbox()
    smtp = smtp_server(box)
    env = base_env(
        PRACTICE_FILE=str(practice_file),
        **fake.env(),
        SMS_STATE_FILE=str(logs / "sms_state.sqlite3"),
        TRACKER_SQLITE_PATH=str(logs / "tracker.db"),
        SMTP_URL=f"smtp://127.0.0.1:{smtp.port}",
        STAFF_URL=STAFF_URL,
        DISPATCH_INTERVAL_SECONDS="1",
    )
    for name in ("SHELL_TOKEN", "ALERT_EMAIL_FROM", "CLOCK_FILE"):
        env.pop(name, None)
    # the parents' channels and the practice loop, as credentials.yml opens them
    credentials = logs / "credentials.yml"
    credentials.write_text(
        "addons.channels.rest.RestInput:\n"
        "addons.channels.webchat.WebChatInput:\n"
        "  user_message_evt: user_uttered\n"
        "  bot_message_evt: bot_uttered\n"
        "  session_persistence: true\n"
        "addons.channels.sms.connector.TwilioSmsInput:\n"
        "addons.practice.channel.PracticeLoopInput:\n"
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
            "box": box,
            "rasa": rasa,
            "tracker_db": str(logs / "tracker.db"),
        }
    finally:
        stop_all(rasa, actions)
        smtp.stop()
        fake.stop()


def links(stack, conversation: str) -> List[str]:
    """The staff links of the alerts recorded for one conversation (by alert id)."""
    with sqlite3.connect(stack["tracker_db"]) as connection:
        ids = connection.execute(
            "SELECT id FROM practice_alerts WHERE conversation_id = ?", (conversation,)
        ).fetchall()
    return [f"{STAFF_URL}/staff/alerts/{alert_id}" for (alert_id,) in ids]


def alerts_for(stack, conversation: str) -> Tuple[List[str], List[Dict[str, Any]]]:
    """The SMS and e-mails the on-call contacts got about one conversation."""
    targets = links(stack, conversation)
    texts = [b for b in stack["fake"].to(ONCALL_SMS) if any(b.endswith(t) for t in targets)]
    mails = [m for m in stack["box"].to(ONCALL_EMAIL) if any(t in m["body"] for t in targets)]
    return texts, mails


def arrive(stack, conversation: str, started: float) -> Tuple[str, Dict[str, Any]]:
    """Waits (at most 10 s from `started`) for the alert by SMS and by e-mail; one each."""
    while time.monotonic() - started < WITHIN:
        texts, mails = alerts_for(stack, conversation)
        if texts and mails:
            break
        time.sleep(0.1)
    elapsed = time.monotonic() - started
    texts, mails = alerts_for(stack, conversation)
    assert len(texts) == 1 and len(mails) == 1, (elapsed, texts, mails)
    assert elapsed <= WITHIN, f"the alert took {elapsed:.1f} s"
    return texts[0], mails[0]


def passes(stack) -> int:
    with urllib.request.urlopen(f"{stack['base']}/webhooks/practice/", timeout=10) as response:
        state = json.loads(response.read())
    assert state["running"]
    return int(state["passes"])


def no_new_alert(stack, conversation: str) -> None:
    """Two more passes of the delivery loop (1 s apart) send nothing more about it."""
    start = passes(stack)
    deadline = time.monotonic() + 30
    while passes(stack) < start + 2 and time.monotonic() < deadline:
        time.sleep(0.2)
    texts, mails = alerts_for(stack, conversation)
    assert (len(texts), len(mails)) == (1, 1), (texts, mails)


def check_alert(text: str, mail: Dict[str, Any], channel: str, parent: str) -> None:
    assert text.startswith(f"EMERGENCY red flag, {channel}, ")
    assert f"\nParent {parent}" in text and f'"{RED_FLAG}"' in text and len(text) <= 320
    assert mail["subject"].startswith(f"[EMERGENCY] Red flag: {channel} conversation, ")
    assert RED_FLAG in mail["body"] and "911" in mail["body"]


def test_a_red_flag_over_rest_alerts_once(stack):
    sender = f"alert-{uuid.uuid4().hex[:8]}"
    started = time.monotonic()
    reply = text_of(post(stack["base"], sender, RED_FLAG))
    assert "911" in reply
    text, mail = arrive(stack, f"rest:{sender}", started)
    check_alert(text, mail, "REST", "id#")
    assert sender not in text and sender not in mail["body"]  # not even in the link

    assert "911" in text_of(post(stack["base"], sender, AGAIN))
    no_new_alert(stack, f"rest:{sender}")


class Phone:
    """A parent texting through Twilio's signed webhook."""

    def __init__(self, stack) -> None:
        self.stack = stack
        self.number = "+1555" + str(uuid.uuid4().int)[:7]

    def text(self, body: str) -> None:
        form = twilio_form(self.number, body)
        request = urllib.request.Request(
            f"{self.stack['base']}/webhooks/twilio/webhook",
            data=encode(form),
            headers={
                "Content-Type": "application/x-www-form-urlencoded",
                "X-Twilio-Signature": sign(form),
            },
            method="POST",
        )
        with urllib.request.urlopen(request, timeout=30) as response:
            assert response.status == 200

    def replies(self, count: int) -> List[str]:
        bodies = self.stack["fake"].wait_for(self.number, count, timeout=60)
        assert len(bodies) >= count, bodies
        return bodies


def test_a_red_flag_by_sms_alerts_once(stack):
    phone = Phone(stack)
    started = time.monotonic()
    phone.text(RED_FLAG)
    text, mail = arrive(stack, f"sms:{phone.number}", started)
    assert "911" in phone.replies(1)[0]  # the parent's answer, as always
    check_alert(text, mail, "SMS", f"+***-**{phone.number[-2:]}")
    assert f"Parent:    +***-**{phone.number[-2:]}" in mail["body"]

    phone.text(AGAIN)
    assert "911" in phone.replies(2)[1]
    no_new_alert(stack, f"sms:{phone.number}")


class Widget:
    """The web widget's side of Socket.IO (long-polling, as in tests of the widget)."""

    def __init__(self) -> None:
        import socketio

        self.sio = socketio.AsyncClient(reconnection=False)
        self.events: Dict[str, asyncio.Queue] = {
            name: asyncio.Queue() for name in ("session_confirm", "session_history", "bot_uttered")
        }
        for name, queue in self.events.items():
            self.sio.on(name, queue.put_nowait)

    async def next(self, name: str, timeout: float = 60) -> Any:
        return await asyncio.wait_for(self.events[name].get(), timeout)

    async def say(self, session_id: str, text: str) -> str:
        await self.sio.emit("user_uttered", {"message": text, "session_id": session_id})
        return (await self.next("bot_uttered"))["text"]


def test_a_red_flag_in_the_web_widget_alerts_once(stack):
    async def scenario() -> None:
        widget = Widget()
        await widget.sio.connect(stack["base"], transports=["polling"], wait_timeout=30)
        try:
            await widget.sio.emit("session_request", {"session_id": None})
            await widget.next("session_history")
            session_id = await widget.next("session_confirm")
            conversation = f"web:{session_id}"
            started = time.monotonic()
            reply = await widget.say(session_id, RED_FLAG)
            assert "911" in reply
            text, mail = await asyncio.to_thread(arrive, stack, conversation, started)
            check_alert(text, mail, "web", "id#")
            for shown in (text, mail["body"]):
                assert session_id not in shown  # not even in the staff link

            assert "911" in await widget.say(session_id, AGAIN)
            await asyncio.to_thread(no_new_alert, stack, conversation)
        finally:
            await widget.sio.eio.disconnect(abort=True)

    asyncio.run(scenario())


def test_the_server_log_never_names_a_contact_in_full(stack):
    log = stack["rasa"].log.read_text(errors="replace")
    assert "alert" in log and "+***-**11" in log  # the deliveries were logged, masked
    for secret in (ONCALL_SMS, "5550001111", ONCALL_EMAIL):
        assert secret not in log, f"{secret} in the server log"
