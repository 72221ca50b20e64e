"""A parent who asks for a person is offered a call back (issue 14).

The "contact the office" answer offers a button, "Ask for a call back". Then:

* on the web and REST the parent is asked for the number to call, with a one-line
  consent; the next message is read for a phone number (`common.phones.parse_phone`,
  stored as E.164). Something that looks like a botched number is asked again; any
  other message drops the request and is answered as usual (a red flag is always
  answered by its own action first: the rules send it there);
* by SMS the parent is asked to confirm the number they are texting from
  (1 yes, 2 no).

A confirmed request sets the `callback_request` slot in that turn; the Rasa server
records it and alerts the practice (`addons/practice/observe.py`). The parent is
told when to expect the call from the practice's office hours: "today" when the
office is open now, else "the next business morning", always with the after-hours
line and the urgent-signs sentence.

Pure decisions over the tracker's facts; the action (`actions.py`) sends the reply.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, Dict, List, Optional

from rasa_sdk.events import SlotSet

from common import clock
from common.conversations import phone_of
from common.hours import TODAY, PracticeHours
from common.language import fold
from common.names import BUTTON_INTENT, CALLBACK_REQUEST, CALLBACK_STEP, CHANNEL_SMS
from common.phones import has_digits_of_a_number, parse_phone

REQUEST = "callback_request"  # the offer's button; asks for the number (web, REST)
CONFIRM = "callback_confirm"  # by SMS: call you at this number? 1 yes, 2 no
BOOKED_TODAY = "callback_booked_today"  # also the SMS "yes" button
BOOKED_LATER = "callback_booked_later"
CANCELLED = "callback_cancelled"  # also the SMS "no" button
BAD_NUMBER = "callback_bad_number"
TOPICS = (REQUEST, CONFIRM, BOOKED_TODAY, BOOKED_LATER, CANCELLED, BAD_NUMBER)

ASKING_NUMBER, CONFIRMING = "phone", "confirm"
# Typed answers to "call you at this number?" (by SMS the parent may type instead of
# 1 or 2), compared without accents, punctuation or case.
YES_WORDS = frozenset(
    {
        "yes", "y", "yeah", "yep", "ok", "okay", "sure", "yes please", "yes call me",
        "yes please call me", "please call me", "call me", "si", "claro", "si por favor",
        "si llamenme", "llamenme", "si llameme", "llameme", "si gracias", "ok gracias",
    }
)  # fmt: skip
NO_WORDS = frozenset({"no", "n", "nope", "no thanks", "no thank you", "no gracias"})


@dataclass(frozen=True)
class Step:
    """What the callback flow answers this turn: the topic to reply with and the slot
    events; None from `decide` means "not about a callback, answer as usual"."""

    topic: str
    events: List[Dict[str, Any]] = field(default_factory=list)


def _slot(name: str, value: Any) -> Dict[str, Any]:
    event: Dict[str, Any] = SlotSet(name, value)
    return event


def _booked(phone: str, language: str, practice: Dict[str, Any], now: Optional[Any] = None) -> Step:
    at = now or clock.now()
    expected = PracticeHours.from_practice(practice).callback_expectation(at)
    request = {"phone": phone, "language": language, "expected": expected, "at": at.isoformat()}
    return Step(
        BOOKED_TODAY if expected == TODAY else BOOKED_LATER,
        [_slot(CALLBACK_REQUEST, request), _slot(CALLBACK_STEP, None)],
    )


def decide(
    *,
    intent: Optional[str],
    topic: Optional[str],
    text: str,
    step: Optional[str],
    channel: Optional[str],
    conversation_id: str,
    language: str,
    practice: Dict[str, Any],
    now: Optional[Any] = None,
) -> Optional[Step]:
    """The callback flow's answer to this turn, or None."""
    button = topic if intent == BUTTON_INTENT else None
    sms_phone = phone_of(conversation_id) if channel == CHANNEL_SMS else None
    if button == REQUEST:
        if sms_phone:
            return Step(CONFIRM, [_slot(CALLBACK_STEP, CONFIRMING)])
        return Step(REQUEST, [_slot(CALLBACK_STEP, ASKING_NUMBER)])
    if button in (BOOKED_TODAY, BOOKED_LATER):  # the SMS "yes"
        if sms_phone:
            return _booked(sms_phone, language, practice, now)
        return Step(REQUEST, [_slot(CALLBACK_STEP, ASKING_NUMBER)])
    if button == CANCELLED:
        return Step(CANCELLED, [_slot(CALLBACK_STEP, None)])
    words = " ".join(re.sub(r"[^\w\s]", " ", fold(text).lower()).split())
    if step == CONFIRMING and sms_phone and intent != BUTTON_INTENT:
        if words in YES_WORDS:
            return _booked(sms_phone, language, practice, now)
        if words in NO_WORDS:
            return Step(CANCELLED, [_slot(CALLBACK_STEP, None)])
    if step == ASKING_NUMBER and intent != BUTTON_INTENT:
        phone = parse_phone(text)
        if phone:
            return _booked(phone, language, practice, now)
        if has_digits_of_a_number(text):
            return Step(BAD_NUMBER)
    return None


def clears_step(step: Optional[str]) -> List[Dict[str, Any]]:
    """A message that is not part of the callback ends the pending request."""
    return [_slot(CALLBACK_STEP, None)] if step else []
