"""A parent who asks for a person is offered a call back: asked for a number on the
web, asked to confirm the number they text from by SMS, and told when to expect it."""

import asyncio
from datetime import datetime, timezone

import pytest
from rasa_sdk import Tracker

from actions import callbacks
from actions.actions import ActionAnswer
from common.practice import load_practice

# Tuesday 2026-12-01, practice time America/New_York (practice.yml): 15:00 UTC is
# 10 am (open), 23:30 UTC is 6:30 pm (closed); Saturday 2026-12-05 is closed all day.
OPEN = datetime(2026, 12, 1, 15, 0, tzinfo=timezone.utc)
CLOSED = datetime(2026, 12, 1, 23, 30, tzinfo=timezone.utc)
SATURDAY = datetime(2026, 12, 5, 15, 0, tzinfo=timezone.utc)
PHONE = "+15552013344"


@pytest.fixture(scope="module")
def practice():
    return load_practice()


def decide(practice, *, intent="nlu_fallback", topic=None, text="", step=None, sms=False, now=OPEN):
    return callbacks.decide(
        intent=intent,
        topic=topic,
        text=text,
        step=step,
        channel="twilio" if sms else "webchat",
        conversation_id=f"sms:{PHONE}" if sms else "web:abc123",
        language="en",
        practice=practice,
        now=now,
    )


def slots(step):
    return {e["name"]: e["value"] for e in step.events}


def test_web_offer_asks_for_the_number(practice):
    step = decide(practice, intent="ask_topic", topic=callbacks.REQUEST)
    assert step.topic == callbacks.REQUEST
    assert slots(step) == {"callback_step": "phone"}


@pytest.mark.parametrize(
    "text",
    ["555-201-3344", "(555) 201 3344", "my number is 5552013344", "mi numero es 555.201.3344"],
)
def test_a_typed_number_books_the_callback_in_e164(practice, text):
    step = decide(practice, text=text, step="phone")
    assert step.topic == callbacks.BOOKED_TODAY
    request = slots(step)["callback_request"]
    assert request["phone"] == PHONE and request["expected"] == "today"
    assert slots(step)["callback_step"] is None


@pytest.mark.parametrize("now", [CLOSED, SATURDAY], ids=["evening", "saturday"])
def test_after_hours_the_call_comes_the_next_business_morning(practice, now):
    step = decide(practice, text="5552013344", step="phone", now=now)
    assert step.topic == callbacks.BOOKED_LATER
    assert slots(step)["callback_request"]["expected"] == "next_business_morning"


@pytest.mark.parametrize("text", ["555 0123", "012-345-6789", "call 555-201-3344 or 555-201-3345"])
def test_a_botched_number_is_asked_again(practice, text):
    step = decide(practice, text=text, step="phone")
    assert step.topic == callbacks.BAD_NUMBER
    assert step.events == []  # still waiting for the number


def test_a_question_instead_of_a_number_is_answered_as_usual(practice):
    assert decide(practice, intent="ask_pain", text="will it hurt", step="phone") is None


def test_sms_offer_confirms_the_number_texting(practice):
    step = decide(practice, intent="ask_topic", topic=callbacks.REQUEST, sms=True)
    assert step.topic == callbacks.CONFIRM
    assert slots(step) == {"callback_step": "confirm"}


@pytest.mark.parametrize("how", ["button", "yes", "si"])
def test_sms_yes_books_the_sender_number(practice, how):
    if how == "button":
        step = decide(practice, intent="ask_topic", topic=callbacks.BOOKED_TODAY, sms=True)
    else:
        step = decide(practice, text=how, step="confirm", sms=True)
    assert slots(step)["callback_request"]["phone"] == PHONE


def test_sms_no_cancels(practice):
    step = decide(practice, intent="ask_topic", topic=callbacks.CANCELLED, sms=True)
    assert step.topic == callbacks.CANCELLED and slots(step) == {"callback_step": None}


def _tracker(intent, text="", entities=(), slots=None, sender="web:abc123", channel="webchat"):
    latest = {
        "text": text,
        "intent": {"name": intent, "confidence": 1.0},
        "entities": list(entities),
    }
    return Tracker(
        sender_id=sender,
        slots=dict(slots or {}),
        latest_message=latest,
        events=[{"event": "user", "text": text, "parse_data": latest, "input_channel": channel}],
        paused=False,
        followup_action=None,
        active_loop={},
        latest_action_name="action_listen",
    )


def test_contact_answer_offers_the_call_back_button(dispatcher, domain):
    asyncio.run(
        ActionAnswer().run(dispatcher, _tracker("contact_practice", "can someone call me"), domain)
    )
    [message] = dispatcher.messages
    assert message["buttons"] == [
        {"title": "A call back", "payload": '/ask_topic{"topic":"callback_request"}'}
    ]


def test_the_whole_web_exchange_through_the_action(dispatcher, domain, knowledge):
    button = [{"entity": "topic", "value": "callback_request"}]
    events = asyncio.run(
        ActionAnswer().run(dispatcher, _tracker("ask_topic", "/ask_topic", button), domain)
    )
    assert "area code" in dispatcher.messages[-1]["text"]
    assert {"event": "slot", "name": "callback_step", "value": "phone", "timestamp": None} in events
    events = asyncio.run(
        ActionAnswer().run(
            dispatcher,
            _tracker("nlu_fallback", "555 201 3344", slots={"callback_step": "phone"}),
            domain,
        )
    )
    booked = [e for e in events if e.get("name") == "callback_request"]
    assert booked and booked[0]["value"]["phone"] == PHONE
    assert (
        "call you back" in dispatcher.messages[-1]["text"]
        or "next morning" in dispatcher.messages[-1]["text"]
    )


def test_a_pending_request_ends_when_the_parent_asks_something_else(dispatcher, domain):
    events = asyncio.run(
        ActionAnswer().run(
            dispatcher,
            _tracker("ask_pain", "will it hurt", slots={"callback_step": "phone"}),
            domain,
        )
    )
    assert {"event": "slot", "name": "callback_step", "value": None, "timestamp": None} in events
    assert "area code" not in dispatcher.messages[-1]["text"]


def test_no_promise_of_today_in_the_last_half_hour(practice):
    late = datetime(2026, 12, 1, 21, 45, tzinfo=timezone.utc)  # 4:45 pm, closes at 5
    assert decide(practice, text="5552013344", step="phone", now=late).topic == (
        callbacks.BOOKED_LATER
    )


@pytest.mark.parametrize("typed", ["Yes please call me!", "sí, llámenme", "Si por favor"])
def test_typed_yes_in_either_language(practice, typed):
    step = decide(practice, text=typed, step="confirm", sms=True)
    assert step.topic == callbacks.BOOKED_TODAY
