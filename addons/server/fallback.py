"""When the action server is down or slow, the parent still gets an answer.

`unavailable_events` is what the Rasa server says by itself when a custom action
fails (`addons.rasa_compat.action_call.ResilientRemoteAction` calls it): a red flag
still gets its safety answer (911 / call the practice now), anything else the
`action_unavailable` reply ("Sorry, I can't look that up right now. Please call
{phone}."), built from the same knowledge files, in the SMS wording on SMS. The
turn is recorded normally, so the conversation carries on once the action
server is back.
"""

from __future__ import annotations

import logging
from typing import Any, List, Optional

from rasa.core.actions.action import create_bot_utterance
from rasa.shared.core.events import Event

from common.language import SLOT as LANGUAGE
from common.language import Detection, picked, reply_language
from common.names import CHANNEL_SMS, RED_FLAG, RED_FLAG_INTENT, URGENT

logger = logging.getLogger(__name__)


def _is_sms(output_channel: Any) -> bool:
    try:
        name = str(output_channel.name()).lower()
    except Exception:
        return False
    return "sms" in name or name == CHANNEL_SMS


def _red_flag_severity(tracker: Any) -> Optional[str]:
    """The red flag of the message being answered, if it is one ("urgent" by default)."""
    latest = getattr(tracker, "latest_message", None)
    parse = getattr(latest, "parse_data", None) or {}
    intent = (parse.get("intent") or {}).get("name")
    severities = [
        e.get("value") for e in parse.get("entities") or [] if e.get("entity") == RED_FLAG
    ]
    if intent != RED_FLAG_INTENT and not severities:
        return None
    return severities[0] if severities else URGENT


def _language(tracker: Any) -> str:
    """The language the action server would have answered in (common/language.py)."""
    latest = getattr(tracker, "latest_message", None)
    parse = getattr(latest, "parse_data", None) or {}
    current = tracker.get_slot(LANGUAGE) if hasattr(tracker, "get_slot") else None
    metadata = getattr(latest, "metadata", None) if latest is not None else None
    return reply_language(current or picked(metadata), Detection.from_message(parse))


def unavailable_events(output_channel: Any = None, tracker: Any = None) -> List[Event]:
    """What to say when the action server cannot answer, as bot events.

    A red flag still gets its safety answer (911 / call now), which the Rasa
    server can build itself from the knowledge module; anything else gets the
    `action_unavailable` reply. SMS channels get the SMS wording."""
    from addons.server import replies

    sms = _is_sms(output_channel)
    try:
        language = _language(tracker)
        severity = _red_flag_severity(tracker)
        if severity:
            knowledge = replies.knowledge().in_language(language)
            reply = knowledge.reply(knowledge.red_flag_topic(severity))
            text = reply.sms if sms else reply.long_text
        else:
            text = replies.text(replies.ACTION_UNAVAILABLE, sms=sms, language=language)
    except Exception:  # the content cannot load either: still say something useful
        logger.exception("could not load the reply for an unavailable action server")
        text = (
            "Sorry, I can't look that up right now. Please call the office. "
            "If your child has trouble breathing or swallowing, call 911."
        )
    return [create_bot_utterance({"text": text})]
