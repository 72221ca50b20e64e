"""The REST channel, hardened: `POST /webhooks/rest/webhook`.

Same name (`rest`), URL and answer as Rasa's own REST channel, so `rasa shell`,
the tests and any client written for Rasa keep working:

    POST /webhooks/rest/webhook   {"sender": "abc", "message": "what is a pulpotomy"}
    -> 200 [{"recipient_id": "abc", "text": "...", "buttons": [...]}, ...]

What it adds:
* a malformed request gets 400 with a JSON `error`, never 500: a body that is
  not JSON or not UTF-8, not an object, no `sender` or an empty one, `sender`
  or `message` not a string, `metadata` not an object; a body over 64 KiB gets
  413;
* a message over `MAX_MESSAGE_CHARS` (default 5,000) is not processed: the
  parent gets the polite `input_too_long` reply (messages between 1,500 and
  that limit are still read, red flags included, by the NLU guard);
* the per-sender rate limit (`addons.server.rate_limit`, 30 a minute by default):
  a message over the limit is not processed and gets the `rate_limited` reply,
  with a `Retry-After` header;
* the client cannot choose `input_channel` (it is always `rest`), so reports by
  channel can be trusted, and any `metadata` it sends is dropped: nothing a
  caller sends can mark a message as a staff trigger or change its routing;
* the conversation is `rest:<sender>` (`common.conversations`): a caller who
  sends a parent's phone number starts a new REST conversation, never the
  parent's SMS one. Replies name the sender as the caller sent it;
* with `REST_TOKEN` set, every message must carry `Authorization: Bearer <token>`
  (compared in constant time; 401 otherwise). The channel is for integrations
  and testing: the run command refuses to expose it beyond loopback without a
  token (`addons.server.serve`);
* a per-address limit on top of the per-sender one, so cycling sender ids does
  not get around it;
* if handling the message fails inside the server (the database went away,
  say) the parent gets the `action_unavailable` reply rather than nothing.
"""

from __future__ import annotations

import hmac
import json
import logging
import math
import re
from typing import Any, Awaitable, Callable, Dict, Optional, Text, Tuple

from rasa.core.channels.channel import CollectingOutputChannel, UserMessage
from rasa.core.channels.rest import QueueOutputChannel
from rasa.core.channels.rest import RestInput as RasaRestInput
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from addons.channels.turn import Outcome, handle_message, refusal
from addons.server import replies
from common.conversations import conversation_id
from common.names import CHANNEL_REST
from common.settings import current

logger = logging.getLogger(__name__)

MAX_BODY_BYTES = 64 * 1024
MAX_SENDER_CHARS = 128
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


_SURROGATE = re.compile("[\ud800-\udfff]")


def has_lone_surrogate(text: str) -> bool:
    """JSON may escape half of a UTF-16 pair ("\\ud800"): no store can encode it."""
    return bool(_SURROGATE.search(text))


def valid_text(text: str) -> str:
    """A parent's message with any lone surrogate replaced by U+FFFD."""
    return _SURROGATE.sub("\ufffd", text)


class BadRequest(ValueError):
    """The request cannot be handled; the text says why (sent back with 400)."""

    status = 400


class TooLarge(BadRequest):
    status = 413


def parse_body(body: Optional[bytes]) -> Tuple[str, str, Optional[Dict[str, Any]]]:
    """(sender, message, metadata) from a webhook body, or BadRequest."""
    if body and len(body) > MAX_BODY_BYTES:
        raise TooLarge(f"request body over {MAX_BODY_BYTES // 1024} KiB")
    if not body:
        raise BadRequest("empty body: send a JSON object with 'sender' and 'message'")
    try:
        data = json.loads(body.decode("utf-8"))
    except UnicodeDecodeError:
        raise BadRequest("body is not UTF-8") from None
    except (ValueError, RecursionError):  # deeply nested JSON raises RecursionError
        raise BadRequest("body is not valid JSON") from None
    if not isinstance(data, dict):
        raise BadRequest("body must be a JSON object with 'sender' and 'message'")
    sender = data.get("sender")
    if sender is None:
        raise BadRequest("'sender' is missing")
    if not isinstance(sender, str):
        raise BadRequest("'sender' must be a string")
    if not sender.strip():
        raise BadRequest("'sender' is empty")
    if len(sender) > MAX_SENDER_CHARS or _CONTROL.search(sender) or has_lone_surrogate(sender):
        raise BadRequest(f"'sender' must be at most {MAX_SENDER_CHARS} printable characters")
    if "message" not in data or data["message"] is None:
        raise BadRequest("'message' is missing")
    message = data["message"]
    if not isinstance(message, str):
        raise BadRequest("'message' must be a string")
    metadata = data.get("metadata")
    if metadata is not None and not isinstance(metadata, dict):
        raise BadRequest("'metadata' must be a JSON object")
    return sender, valid_text(message), metadata


def _reply(sender: str, text: str) -> list:
    return [{"recipient_id": sender, "text": text}]


def _retry(outcome: Outcome) -> Optional[Dict[str, str]]:
    """`Retry-After` for a message refused by the rate limit."""
    if outcome.refused_by != replies.RATE_LIMITED:
        return None
    return {"Retry-After": str(max(1, math.ceil(outcome.retry_after)))}


def authorized(request: Request) -> bool:
    """True without `REST_TOKEN`; with it, only `Authorization: Bearer <REST_TOKEN>`."""
    token = current().rest_token
    if not token:
        return True
    scheme, _, given = (request.headers.get("Authorization") or "").partition(" ")
    return scheme.lower() == "bearer" and hmac.compare_digest(
        given.strip().encode("utf-8", "replace"), token.encode("utf-8")
    )


def client_address(request: Request) -> Optional[str]:
    """The client's address, as Sanic sees it (behind a proxy: its forwarded-for
    settings decide; see docs/deployment.md)."""
    try:
        return str(request.remote_addr or request.ip or "") or None
    except Exception:
        return None


class RestInput(RasaRestInput):
    """Rasa's REST channel with request validation, a length limit and a rate limit."""

    @classmethod
    def name(cls) -> Text:
        return CHANNEL_REST

    @staticmethod
    async def on_message_wrapper(
        on_new_message: Callable[[UserMessage], Awaitable[Any]],
        text: Text,
        queue: Any,
        sender_id: Text,
        input_channel: Text,
        metadata: Optional[Dict[Text, Any]],
    ) -> None:
        """Rasa's streamed answer, always finished: when handling the message fails,
        the `action_unavailable` reply, then the end marker (Rasa's left the stream
        open for good; found by the hostile-input suite)."""
        collector = QueueOutputChannel(queue)
        try:
            await on_new_message(
                UserMessage(text, collector, sender_id, input_channel=input_channel)
            )
        except Exception:
            logger.exception("rest: handling a streamed message failed")
            await queue.put(_reply(sender_id, replies.text(replies.ACTION_UNAVAILABLE))[0])
        finally:
            await queue.put("DONE")

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        webhook = Blueprint(f"custom_webhook_{type(self).__name__}", __name__)

        @webhook.route("/", methods=["GET"])
        async def health(request: Request) -> HTTPResponse:
            return response.json({"status": "ok"})

        @webhook.route("/webhook", methods=["POST"])
        async def receive(request: Request) -> Any:
            if not authorized(request):
                return response.json(
                    {"error": "this channel needs 'Authorization: Bearer <REST_TOKEN>'"},
                    status=401,
                    headers={"WWW-Authenticate": "Bearer"},
                )
            try:
                sender, text, _client_metadata = parse_body(request.body)
            except BadRequest as error:
                return response.json({"error": str(error)}, status=error.status)
            conversation = conversation_id(CHANNEL_REST, sender)

            stream = request.args.get("stream", "false").lower() in ("true", "1", "yes")
            if stream:  # Rasa's streamed answer, one JSON message a line (after the checks)
                refused = await refusal(self.name(), conversation, text, client_address(request))
                if refused.refused_by:
                    return response.json(
                        _reply(sender, replies.text(refused.refused_by)), headers=_retry(refused)
                    )
                return response.stream(
                    self.stream_response(on_new_message, text, conversation, self.name(), None),
                    content_type="text/event-stream",
                )

            collector = CollectingOutputChannel()
            outcome = await handle_message(
                on_new_message,
                collector,
                channel=self.name(),
                conversation=conversation,
                recipient=sender,
                text=text,
                address=client_address(request),
                replied=lambda: bool(collector.messages),
            )
            # The caller's own name for the conversation, not the stored id.
            return response.json(
                [{**m, "recipient_id": sender} for m in collector.messages], headers=_retry(outcome)
            )

        return webhook
