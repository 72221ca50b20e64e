"""The command-line chat's channel: `POST /webhooks/shell/webhook`.

`make shell` starts the assistant as `make run` does and talks to it through this
channel (`addons/shell/`, the client). A tester's message takes the path a
parent's takes, so what the terminal shows is what a parent would get:

* `"preview": "web"` (the default): the checks every chat channel shares
  (`addons.channels.turn`: rate limits, length limit, the fallback when the
  action server is down), then Rasa; the answer as the widget receives it;
* `"preview": "sms"`: the SMS channel's own handling (`TwilioSmsInput.handle_sms`:
  STOP/HELP, MORE, numbers that pick a choice, the rate limit, the fallback text)
  with a Twilio client that keeps the texts instead of sending them, so the
  preview is exactly what Twilio would be asked to deliver.

The reply also carries what the tester needs to see why: the intent, its
confidence, the entities and the red-flag rules that fired, and the slots the
assistant is tracking.

It is a tool for the machine it runs on: the channel is off unless `SHELL_TOKEN`
is set (the run command makes a new one for each `make shell`), and every request
must carry it (`Authorization: Bearer <SHELL_TOKEN>`, compared in constant time).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import os
import tempfile
from typing import Any, Awaitable, Callable, Dict, List, Optional, Text

from rasa.core.channels.channel import CollectingOutputChannel, InputChannel, UserMessage
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from addons.channels import turn
from addons.channels.rest import BadRequest, parse_body
from addons.channels.sms.connector import TwilioSettings, TwilioSmsInput
from addons.channels.sms.store import SmsStore
from common.conversations import conversation_id, sms_conversation
from common.language import SLOT as LANGUAGE
from common.names import CHANNEL_SHELL
from common.settings import current

logger = logging.getLogger(__name__)

PREVIEWS = ("web", "sms")
PREVIEW_NUMBER = "+15550100"  # 555-01xx: numbers set aside for fiction


def preview_phone(sender: str) -> str:
    """A made-up US number for the tester's SMS preview, the same for the same sender."""
    digits = int(hashlib.sha256(sender.encode("utf-8")).hexdigest(), 16) % 10**7
    return f"+1555{digits:07d}"


class _KeptMessages:
    """Twilio's `client.messages`, keeping each text instead of sending it."""

    def __init__(self) -> None:
        self.bodies: List[str] = []

    def create(self, **params: Any) -> Dict[str, Any]:
        self.bodies.append(str(params.get("body") or ""))
        return {"sid": f"SM-preview-{len(self.bodies)}", "status": "queued"}


class _KeepingClient:
    def __init__(self) -> None:
        self.messages = _KeptMessages()


class ShellInput(InputChannel):
    """The command-line chat (name `shell`, conversations `shell:<sender>`)."""

    @classmethod
    def name(cls) -> Text:
        return CHANNEL_SHELL

    @classmethod
    def from_credentials(cls, credentials: Optional[Dict[Text, Any]]) -> InputChannel:
        return cls()

    def __init__(self, token: Optional[str] = None) -> None:
        self.token = token if token is not None else current().shell_token
        self._sms: Optional[TwilioSmsInput] = None
        self._client = _KeepingClient()

    def _authorized(self, request: Request) -> bool:
        scheme, _, given = (request.headers.get("Authorization") or "").partition(" ")
        return bool(self.token) and (
            scheme.lower() == "bearer"
            and hmac.compare_digest(given.strip().encode("utf-8", "replace"), self.token.encode())
        )

    def sms_channel(self) -> TwilioSmsInput:
        """The SMS channel's handling, texting into `self._client` (its own state
        database, so a preview's STOP never reaches the practice's opt-outs)."""
        if self._sms is None:
            state = os.path.join(tempfile.mkdtemp(prefix="pulpcare-shell-"), "sms.db")
            settings = TwilioSettings(
                account_sid="AC" + "0" * 32,
                auth_token="preview",
                number=PREVIEW_NUMBER,
            )
            store = SmsStore(f"sqlite:///{state}")
            self._sms = TwilioSmsInput(settings, store, client=self._client)
        return self._sms

    async def _web(
        self, on_new_message: Callable[[UserMessage], Awaitable[Any]], sender: str, text: str
    ) -> List[Dict[str, Any]]:
        collector = CollectingOutputChannel()
        await turn.handle_message(
            on_new_message,
            collector,
            channel=self.name(),
            conversation=conversation_id(CHANNEL_SHELL, sender),
            recipient=sender,
            text=text,
            address=None,
            replied=lambda: bool(collector.messages),
        )
        return [
            {
                "text": m.get("text") or "",
                "buttons": [
                    {"title": b.get("title"), "payload": b.get("payload")}
                    for b in m.get("buttons") or []
                ],
            }
            for m in collector.messages
        ]

    async def _sms_texts(
        self, on_new_message: Callable[[UserMessage], Awaitable[Any]], phone: str, text: str
    ) -> List[str]:
        kept = self._client.messages.bodies
        start = len(kept)
        await self.sms_channel().handle_sms(on_new_message, phone, text, 0, "")
        return kept[start:]

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        hook = Blueprint("shell_webhook", __name__)

        @hook.route("/", methods=["GET"])
        async def health(_: Request) -> HTTPResponse:
            return response.json({"status": "ok", "on": bool(self.token)})

        @hook.route("/webhook", methods=["POST"])
        async def receive(request: Request) -> HTTPResponse:
            if not self._authorized(request):
                return response.json({"error": "the command-line chat's token is needed"}, 401)
            try:
                sender, text, _ = parse_body(request.body)
                preview = json.loads(request.body).get("preview") or "web"  # valid JSON now
            except BadRequest as error:
                return response.json({"error": str(error)}, status=error.status)
            if preview not in PREVIEWS:
                return response.json({"error": f"'preview' is one of {', '.join(PREVIEWS)}"}, 400)
            result: Dict[str, Any] = {"preview": preview}
            if preview == "sms":
                phone = preview_phone(sender)
                conversation = sms_conversation(phone)
                result["sms"] = await self._sms_texts(on_new_message, phone, text)
            else:
                conversation = conversation_id(CHANNEL_SHELL, sender)
                result["messages"] = await self._web(on_new_message, sender, text)
            result.update(await _state(request, conversation))
            return response.json(result)

        return hook


async def _state(request: Request, conversation: str) -> Dict[str, Any]:
    """What the assistant understood of the last message, and the slots it tracks."""
    agent = getattr(request.app.ctx, "agent", None)
    store = getattr(agent, "tracker_store", None)
    if store is None:
        return {}
    try:
        tracker = await store.retrieve(conversation)
    except Exception:
        logger.exception("shell: the conversation could not be read back")
        return {}
    if tracker is None:
        return {}
    latest = tracker.latest_message.parse_data if tracker.latest_message else {}
    intent = latest.get("intent") or {}
    return {
        "understood": {
            "text": latest.get("text"),
            "intent": intent.get("name"),
            "confidence": intent.get("confidence"),
            "entities": [
                {"entity": e.get("entity"), "value": e.get("value")}
                for e in latest.get("entities") or []
            ],
            "red_flags": list(latest.get("red_flags") or []),
            "language": latest.get(LANGUAGE) or {},
        },
        "slots": {
            name: tracker.get_slot(name)
            for name in ("procedure", "last_topic", LANGUAGE)
            if name in tracker.slots
        },
        "conversation": conversation,
    }
