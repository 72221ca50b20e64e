"""Replies the Rasa server sends by itself, without asking the action server.

The texts live with every other answer in
`knowledge/content/conversation.yml` (`rate_limited`,
`action_unavailable`, `input_too_long`) and are filled in with the practice
settings (`practice.yml` or `PRACTICE_FILE`) by the same knowledge module, so
staff edit them in one place. The knowledge module is pure Python: loading it in
the Rasa server does not need the action server.
"""

from __future__ import annotations

import functools
from typing import Any, Dict, Optional

from knowledge import Knowledge, load_knowledge

RATE_LIMITED = "rate_limited"
ACTION_UNAVAILABLE = "action_unavailable"
TOO_LONG = "input_too_long"


@functools.lru_cache(maxsize=1)
def knowledge() -> Knowledge:
    """The Rasa server's one copy of the knowledge (channels and fallbacks share it)."""
    from common.settings import current

    return load_knowledge(practice_file=current().practice_file)


def text(topic: str, sms: bool = False, language: Optional[str] = None) -> str:
    """The filled-in text of a conversation entry (the SMS wording when `sms`), in
    `language` (English by default)."""
    reply = knowledge().in_language(language).reply(topic)
    return reply.sms if sms else reply.long_text


def language_of(message_text: str) -> str:
    """The language to refuse a message in when no conversation is read (a rate
    limit, a message too long): the message's own, when it is clear."""
    from addons.nlu.language import detect
    from common.language import DEFAULT, conversation_language

    return conversation_language(None, detect(message_text[:2000])) or DEFAULT


def practice() -> Dict[str, Any]:
    return dict(knowledge().practice)
