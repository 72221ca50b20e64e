"""Replies the Rasa server sends by itself, without asking the action server.

The texts live with every other answer in
`actions/knowledge/content/conversation.yml` (`rate_limited`,
`action_unavailable`, `input_too_long`) and are filled in with the practice
settings (`practice.yml` or `PRACTICE_FILE`) by the same knowledge module, so
staff edit them in one place. The knowledge module is pure Python: loading it in
the Rasa server does not need the action server.
"""
from __future__ import annotations

import functools
from typing import Any, Dict, List

RATE_LIMITED = "rate_limited"
ACTION_UNAVAILABLE = "action_unavailable"
TOO_LONG = "input_too_long"


@functools.lru_cache(maxsize=1)
def knowledge():
    from actions.knowledge import load_knowledge

    return load_knowledge()


def text(topic: str, sms: bool = False) -> str:
    """The filled-in text of a conversation entry (the SMS wording when `sms`)."""
    reply = knowledge().reply(topic)
    return reply.sms if sms else reply.long_text


def practice() -> Dict[str, Any]:
    return dict(knowledge().practice)


def allowed_origins() -> List[str]:
    """The web origins allowed to call the assistant (`allowed_origins`)."""
    origins = practice().get("allowed_origins") or []
    if isinstance(origins, str):
        origins = [origins]
    return [str(origin).rstrip("/") for origin in origins if str(origin).strip()]
