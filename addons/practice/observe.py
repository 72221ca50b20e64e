"""Reads each saved turn for what the practice must hear.

The tracker store calls `observe(tracker)` after it saved a turn
(`addons.server.stores.EnvSQLTrackerStore.save`), whatever the channel: web, SMS,
REST, the command-line chat, a check-in reply. It looks at the turn's parent
message only:

* a red flag: the `SafetyRouter`'s `report_red_flag` with its `red_flag` severity,
  or a button / numbered reply that asked for a red-flag answer (a check-in's
  "3 swelling or fever"), at the urgent or emergency tier -> an alert
  (`alerts.raise_alert`), and the dispatcher is woken to deliver it at once;
* a callback the parent confirmed (the `callback_request` slot set by the
  action server in reply to this message) -> a callback request
  (`callbacks.record`), which alerts the practice in office hours.

Recording is one short insert; delivery happens later, in the dispatcher, so the
parent's reply never waits for it. Nothing here raises: a failure is logged.
A message is observed once per server (an in-memory set of recent ones) and
once overall (the alert's unique message key).
"""

from __future__ import annotations

import functools
import logging
from collections import OrderedDict
from typing import Any, Dict, Optional, Tuple

from common.conversations import PREFIXES, split
from common.names import CALLBACK_REQUEST, EMERGENCY, RED_FLAG, RED_FLAG_INTENT, URGENT

logger = logging.getLogger(__name__)

ALERTING_TIERS = (EMERGENCY, URGENT)
BUTTON_INTENT = "ask_topic"
_SEEN: "OrderedDict[Tuple[str, str], None]" = OrderedDict()
_SEEN_SIZE = 10_000


@functools.lru_cache(maxsize=1)
def _topic_tiers() -> Dict[str, str]:
    """Answer topic -> the red-flag tier it answers (a reply of 3 to a check-in asks
    for the urgent answer by its topic)."""
    from addons.server import replies

    thresholds = replies.knowledge().thresholds
    tiers = {str(t.reply): name for name, t in thresholds.tiers.items() if t.reply}
    for sign in thresholds.signs.values():
        if sign.reply:
            tiers.setdefault(str(sign.reply), sign.tier)
    return tiers


def _entity(parse: Dict[str, Any], name: str) -> Optional[str]:
    for entity in parse.get("entities") or []:
        if entity.get("entity") == name and entity.get("value"):
            return str(entity["value"])
    return None


def red_flag_severity(parse: Dict[str, Any]) -> Optional[str]:
    """The alerting tier of a parsed parent message, or None."""
    intent = (parse.get("intent") or {}).get("name")
    severity = None
    if intent == RED_FLAG_INTENT:
        severity = _entity(parse, RED_FLAG) or URGENT
    elif intent == BUTTON_INTENT:
        severity = _topic_tiers().get(_entity(parse, "topic") or "")
    return severity if severity in ALERTING_TIERS else None


def _latest_user_event(tracker: Any) -> Any:
    from rasa.shared.core.events import UserUttered

    for event in reversed(tracker.events):
        if isinstance(event, UserUttered):
            return event
    return None


def _callback_set_after(tracker: Any, user_event: Any) -> Optional[Dict[str, Any]]:
    """The callback request the action set in reply to this message, if any."""
    from rasa.shared.core.events import SlotSet

    request = None
    for event in reversed(tracker.events):
        if event is user_event:
            break
        if isinstance(event, SlotSet) and event.key == CALLBACK_REQUEST:
            request = event.value if isinstance(event.value, dict) else None
            break
    return request


def _first_time(key: Tuple[str, str]) -> bool:
    if key in _SEEN:
        return False
    _SEEN[key] = None
    if len(_SEEN) > _SEEN_SIZE:
        _SEEN.popitem(last=False)
    return True


def observe(tracker: Any) -> None:
    try:
        _observe(tracker)
    except Exception:
        logger.exception("practice loop: reading a saved turn failed")


def _observe(tracker: Any) -> None:
    event = _latest_user_event(tracker)
    if event is None or (event.intent or {}).get("name", "").startswith("EXTERNAL_"):
        return
    message_key = str(event.message_id or event.timestamp)
    if not _first_time((tracker.sender_id, message_key)):
        return
    # The channel as staff read it and as the conversation id starts: sms, web, rest, shell.
    rasa_channel, _ = split(tracker.sender_id)
    rasa_channel = rasa_channel or event.input_channel or ""
    channel = PREFIXES.get(rasa_channel, rasa_channel or "unknown")
    severity = red_flag_severity(event.parse_data or {})
    woke = False
    if severity:
        from addons.practice import alerts

        alerts.raise_alert(
            kind="red_flag",
            severity=severity,
            conversation_id=tracker.sender_id,
            channel=channel,
            words=event.text or "",
            message_key=message_key,
        )
        woke = True
    request = _callback_set_after(tracker, event)
    if request is not None:
        from addons.practice import callbacks

        callbacks.record(tracker.sender_id, channel, request, words=event.text or "")
        woke = True
    if woke:
        from addons.practice import dispatcher

        dispatcher.kick()
