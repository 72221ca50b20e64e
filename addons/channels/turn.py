"""One parent message through the checks every chat channel shares.

The REST channel, the website chat and the command-line chat all hand a message
to `handle_message`, so a parent (or a tester) gets the same answer whichever way
it came in:

1. the per-sender and per-address rate limits (`addons.server.rate_limit`): over
   the limit, the `rate_limited` reply and nothing processed;
2. the length limit (`Settings.max_message_chars`): over it, the polite
   `input_too_long` reply and nothing processed;
3. the message to Rasa; if handling it fails inside the server (the database went
   away, say) and nothing was said yet, the `action_unavailable` reply. When the
   action server is down, Rasa's own fallback (`addons.server.fallback`) answers.

The SMS channel keeps its own order (STOP and START before the limit, one notice
a window because every text costs) in `addons.channels.sms.connector`.
"""

from __future__ import annotations

import logging
from asyncio import CancelledError
from dataclasses import dataclass
from typing import Any, Awaitable, Callable, Optional

from rasa.core.channels.channel import OutputChannel, UserMessage

from addons.server import replies
from addons.server.rate_limit import check_message
from common.language import LANGUAGES, PICKED
from common.settings import current

logger = logging.getLogger(__name__)

OnNewMessage = Callable[[UserMessage], Awaitable[Any]]


def max_message_chars() -> int:
    return current().max_message_chars


@dataclass(frozen=True)
class Outcome:
    """What became of a message: handled by Rasa, or answered by a check."""

    handled: bool
    refused_by: Optional[str] = None  # "rate_limited" or "input_too_long"
    retry_after: float = 0.0


async def refusal(channel: str, conversation: str, text: str, address: Optional[str]) -> Outcome:
    """Steps 1 and 2: an Outcome naming the reply topic when a check refuses the message."""
    decision = await check_message(channel, conversation, address)
    if not decision.allowed:
        return Outcome(False, replies.RATE_LIMITED, decision.retry_after)
    if len(text) > max_message_chars():
        return Outcome(False, replies.TOO_LONG)
    return Outcome(True)


async def handle_message(
    on_new_message: OnNewMessage,
    output: OutputChannel,
    *,
    channel: str,
    conversation: str,
    recipient: str,
    text: str,
    address: Optional[str],
    replied: Callable[[], bool],
    language: Optional[str] = None,
) -> Outcome:
    """Checks, then the message to Rasa. `recipient` is the id the output channel
    sends to; `replied()` says whether anything was said already this turn."""
    refused = await refusal(channel, conversation, text, address)
    if refused.refused_by:
        language = replies.language_of(text)
        await output.send_text_message(
            recipient, replies.text(refused.refused_by, language=language)
        )
        return refused
    try:
        # The only metadata a client may set: the language a parent picked in the widget.
        metadata = {PICKED: language} if language in LANGUAGES else None
        await on_new_message(
            UserMessage(text, output, conversation, input_channel=channel, metadata=metadata)
        )
    except CancelledError:
        logger.error("%s: handling a message timed out", channel)
    except Exception:
        logger.exception("%s: handling a message failed", channel)
        if not replied():
            language = replies.language_of(text)
            await output.send_text_message(
                recipient, replies.text(replies.ACTION_UNAVAILABLE, language=language)
            )
    return Outcome(True)
