"""Conversation ids carry their channel: one conversation, one door.

Every conversation is stored under ``<channel>:<the channel's own id>``:

=========  ============================  ==========================================
prefix     the channel's own id          who can name it
=========  ============================  ==========================================
``sms:``   the parent's E.164 number     Twilio's signed webhook; staff through the
                                         authenticated HTTP API (check-ins)
``web:``   a 32-hex session id           the server issues it; a browser can only
                                         come back to one it was given
``rest:``  the sender the caller sends   an integration holding ``REST_TOKEN``
``shell:`` the command-line chat's id    the tester at the terminal
=========  ============================  ==========================================

So a REST caller who sends a parent's phone number as ``sender`` reaches
``rest:+1555...``, a new conversation that knows nothing of ``sms:+1555...``.
The channels build their ids with `conversation_id()` and nothing else; the
tracker store, retention, the review report and the SMS opt-out store all see
the same ids. Older, unprefixed ids are renamed by
``python -m addons.staff.migrate_ids``.
"""

from __future__ import annotations

from typing import Dict, Optional, Tuple

from common.names import CHANNEL_REST, CHANNEL_SHELL, CHANNEL_SMS, CHANNEL_WEB
from common.phones import is_e164

PREFIXES: Dict[str, str] = {
    CHANNEL_SMS: "sms",
    CHANNEL_WEB: "web",
    CHANNEL_REST: "rest",
    CHANNEL_SHELL: "shell",
}
CHANNELS: Dict[str, str] = {prefix: channel for channel, prefix in PREFIXES.items()}


def conversation_id(channel: str, own_id: str) -> str:
    """The stored id of a conversation that `channel` knows as `own_id`."""
    return f"{PREFIXES[channel]}:{own_id}"


def split(conversation: str) -> Tuple[Optional[str], str]:
    """(channel, the channel's own id); (None, the id) for an unprefixed, older id."""
    prefix, sep, own = conversation.partition(":")
    if sep and prefix in CHANNELS:
        return CHANNELS[prefix], own
    return None, conversation


def own_id(conversation: str, channel: str) -> Optional[str]:
    """The channel's own id when `conversation` belongs to `channel`, else None."""
    found, own = split(conversation)
    return own if found == channel else None


def sms_conversation(phone: str) -> str:
    return conversation_id(CHANNEL_SMS, phone)


def phone_of(conversation: str) -> Optional[str]:
    """The E.164 number of an SMS conversation; None for any other conversation."""
    phone = own_id(conversation, CHANNEL_SMS)
    return phone if phone and is_e164(phone) else None
