"""The website chat widget's channel: Socket.IO for the conversation, plus the
widget's own files under `/widget/` on the same Sanic app (no second server).

Listed in credentials.yml as `addons.channels.webchat.WebChatInput`. Compared
with Rasa's SocketIOInput, which it extends:

- Only the origins in the practice settings (`allowed_origins`) and the Rasa
  server's own origin may open a socket (Rasa's channel accepts any origin).
- Session persistence is required and enforced: a session id is 32 hex
  characters (anything else gets a fresh one, so a page cannot name another
  channel's conversation, such as an SMS conversation keyed by a phone number),
  and a socket can only speak in the session it was confirmed in.
- `session_request` for a known conversation first answers `session_history`
  (the visible messages, from the tracker store), so a reload shows the history.
- Each bot message goes out as one event with its whole text and its buttons
  (Rasa's channel splits paragraphs into separate events and hangs the buttons on
  the last one, the source line); the widget splits the paragraphs itself.
- Rasa 3.6 calls `sio.enter_room` without awaiting it, which python-socketio 5.18
  made a coroutine, so its persistent sessions never join their room; here the
  room is joined.
- As on the REST channel: the per-sender rate limit (`addons.server.rate_limit`), the
  length limit (`MAX_MESSAGE_CHARS`) and, when handling a message fails, the
  "can't look that up" reply instead of silence (texts from `addons.server.replies`).

Routes: `GET /widget/` (a demo practice page with the widget on it),
`GET /widget/<file>` (the built widget from `build/widget/`, made by
`make widget`), `GET /widget/config.json` (practice name, phone, greeting and
first suggestions), and Rasa's `GET /webhooks/webchat/` health check.
"""

from __future__ import annotations

import gzip
import hashlib
import html
import json
import logging
import re
import uuid
from pathlib import Path
from typing import Any, Awaitable, Callable, Dict, List, Optional, Text, Tuple
from urllib.parse import urlsplit

import rasa.core.channels.channel
from rasa.core.channels.channel import InputChannel, UserMessage
from rasa.core.channels.socketio import SocketBlueprint, SocketIOInput, SocketIOOutput
from rasa.shared.core.events import BotUttered, Restarted, UserUttered
from sanic import Blueprint, Sanic, response
from sanic.request import Request
from sanic.response import HTTPResponse
from socketio import AsyncServer

from addons.channels import turn
from addons.channels.rest import valid_text
from addons.rasa_compat.socketio import leave_cors_to_engineio
from addons.server import replies
from common.conversations import conversation_id, own_id
from common.language import EN, LANGUAGES
from common.names import CHANNEL_WEB
from common.paths import PROJECT_ROOT
from common.practice import allowed_origins, load_practice

logger = logging.getLogger(__name__)

SESSION_ID = re.compile(r"^[0-9a-f]{32}$")
HISTORY_LIMIT = 200  # messages sent back on a reload
FILE_NAME = re.compile(r"^[a-z0-9][a-z0-9_.-]*\.(js|css|html|json|svg|png|ico)$")
CONTENT_TYPES = {
    "js": "text/javascript; charset=utf-8",
    "css": "text/css; charset=utf-8",
    "html": "text/html; charset=utf-8",
    "json": "application/json",
    "svg": "image/svg+xml",
    "png": "image/png",
    "ico": "image/x-icon",
}
FALLBACK_GREETING = (
    "Hi! I'm an automated assistant. I can explain pulpotomy and "
    "pulpectomy. I can't diagnose. If your child has a swollen face, a "
    "fever, or trouble swallowing or breathing, call us or 911 now."
)


def valid_session_id(value: Any) -> bool:
    return isinstance(value, str) and bool(SESSION_ID.match(value))


def same_origin(origin: Optional[str], environ: Dict[str, Any]) -> bool:
    """The page was served by this server (its demo page): Origin's host is Host."""
    host = str(environ.get("HTTP_HOST") or "").lower()
    if not origin or not host:
        return False
    parts = urlsplit(origin)
    return parts.scheme in ("http", "https") and parts.netloc.lower() == host


def phone_href(practice: Dict[str, Any]) -> str:
    number = str(practice.get("phone_e164") or "")
    if not re.fullmatch(r"\+?[0-9]{3,15}", number):
        digits = re.sub(r"[^0-9]", "", str(practice.get("phone") or ""))
        number = ("+1" + digits) if len(digits) == 10 else digits
    return f"tel:{number}" if number else ""


def history_messages(events: List[Any], limit: int = HISTORY_LIMIT) -> List[Dict[str, Any]]:
    """What the parent saw: user and bot messages since the last restart.

    A button click was sent as its payload; it is shown as the button's title, as
    the widget showed it. Only the last bot message keeps its buttons.
    """
    messages: List[Dict[str, Any]] = []
    titles: Dict[str, str] = {}
    for event in events:
        if isinstance(event, Restarted):
            messages, titles = [], {}
        elif isinstance(event, UserUttered) and event.text is not None:
            text = event.text
            messages.append({"sender": "user", "text": titles.get(text.strip(), text)})
        elif isinstance(event, BotUttered) and (event.text or event.data.get("buttons")):
            buttons = [
                {"title": str(b.get("title", "")), "payload": str(b.get("payload", ""))}
                for b in (event.data.get("buttons") or [])
                if isinstance(b, dict)
            ]
            titles.update({b["payload"]: b["title"] for b in buttons})
            message: Dict[str, Any] = {
                "sender": "bot",
                "text": event.text or "",
                "buttons": buttons,
            }
            custom = event.data.get("custom")
            if isinstance(custom, dict) and custom.get("language") in LANGUAGES:
                message["lang"] = custom["language"]
            messages.append(message)
    messages = messages[-limit:]
    for message in messages[:-1]:
        message.pop("buttons", None)
    if messages and not messages[-1].get("buttons"):
        messages[-1].pop("buttons", None)
    return messages


class WebChatOutput(SocketIOOutput):
    """One event per bot message: `{"text": ..., "quick_replies": [...], "lang": "es"}`.

    `lang` is the reply's language when the action named it (its custom
    `{"language": ...}`), so the widget shows its own labels in the same language.
    """

    def __init__(self, sio: AsyncServer, bot_message_evt: Text) -> None:
        super().__init__(sio, bot_message_evt)
        self.sent = 0
        self.language: Optional[str] = None

    async def send_response(self, recipient_id: Text, message: Dict[Text, Any]) -> None:
        custom = message.get("custom")
        if isinstance(custom, dict) and set(custom) == {"language"}:
            if custom["language"] in LANGUAGES:
                self.language = str(custom["language"])
            message = {key: value for key, value in message.items() if key != "custom"}
        await super().send_response(recipient_id, message)

    @classmethod
    def name(cls) -> Text:
        return CHANNEL_WEB

    async def _send_message(self, socket_id: Text, response: Any) -> None:
        # Rasa names the recipient by the stored conversation id (`web:<session>`);
        # the Socket.IO room is the session id itself.
        self.sent += 1
        if self.language and isinstance(response, dict):
            response = {**response, "lang": self.language}
        await super()._send_message(own_id(socket_id, CHANNEL_WEB) or socket_id, response)

    async def send_text_message(self, recipient_id: Text, text: Text, **kwargs: Any) -> None:
        await self._send_message(recipient_id, {"text": text.strip()})

    async def send_text_with_buttons(
        self, recipient_id: Text, text: Text, buttons: List[Dict[Text, Any]], **kwargs: Any
    ) -> None:
        await self._send_message(
            recipient_id,
            {
                "text": text.strip(),
                "quick_replies": [
                    {"content_type": "text", "title": b["title"], "payload": b["payload"]}
                    for b in buttons
                ],
            },
        )


class WidgetFiles:
    """Serves `build/widget/` (gzip when the browser accepts it; ETag revalidation)."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory.resolve()
        self._cache: Dict[str, Tuple[float, bytes, bytes, str]] = {}

    def load(self, name: str) -> Optional[Tuple[bytes, bytes, str]]:
        if not FILE_NAME.match(name):
            return None
        path = (self.directory / name).resolve()
        if path.parent != self.directory or not path.is_file():
            return None
        mtime = path.stat().st_mtime
        cached = self._cache.get(name)
        if not cached or cached[0] != mtime:
            body = path.read_bytes()
            cached = (
                mtime,
                body,
                gzip.compress(body, 9, mtime=0),
                '"' + hashlib.sha256(body).hexdigest()[:32] + '"',
            )
            self._cache[name] = cached
        return cached[1], cached[2], cached[3]

    def respond(
        self,
        request: Request,
        name: str,
        body: Optional[bytes] = None,
        headers: Optional[Dict[str, str]] = None,
    ) -> HTTPResponse:
        headers = dict(headers or {})
        headers.setdefault("Cache-Control", "no-cache")
        headers["X-Content-Type-Options"] = "nosniff"
        headers["Vary"] = "Accept-Encoding"
        content_type = CONTENT_TYPES[name.rsplit(".", 1)[1]]
        if body is None:
            loaded = self.load(name)
            if loaded is None:
                if not self.directory.is_dir():
                    return response.text(
                        "The chat widget is not built: run `make widget`.", status=503
                    )
                return response.text("Not found", status=404)
            body, zipped, etag = loaded
        else:
            zipped = gzip.compress(body, 9, mtime=0)
            etag = '"' + hashlib.sha256(body).hexdigest()[:32] + '"'
        headers["ETag"] = etag
        if request.headers.get("if-none-match") == etag:
            return response.empty(status=304, headers=headers)
        if "gzip" in request.headers.get("accept-encoding", ""):
            headers["Content-Encoding"] = "gzip"
            body = zipped
        return response.raw(body, content_type=content_type, headers=headers)


class WebChatBlueprint(SocketBlueprint):
    """Attaches Socket.IO and the widget's routes to the Rasa server's app."""

    def __init__(
        self,
        sio: AsyncServer,
        socketio_path: Text,
        channel: "WebChatInput",
        *args: Any,
        **kwargs: Any,
    ) -> None:
        super().__init__(sio, socketio_path, *args, **kwargs)
        self.ctx.channel = channel

    def register(self, app: Sanic, options: Dict[Text, Any]) -> None:
        channel: WebChatInput = self.ctx.channel
        channel.app = app
        channel.add_widget_routes(app)
        socketio_path = self.ctx.socketio_path.rstrip("/") + "/"

        # engine.io answers CORS for its own requests (only the allowed origins).
        app.register_middleware(leave_cors_to_engineio(socketio_path), "request")
        super().register(app, options)


class WebChatInput(SocketIOInput):
    """Rasa's Socket.IO channel for the website widget (see the module docstring)."""

    @classmethod
    def name(cls) -> Text:
        return CHANNEL_WEB

    @classmethod
    def from_credentials(cls, credentials: Optional[Dict[Text, Any]]) -> InputChannel:
        credentials = credentials or {}
        if credentials.get("session_persistence") is False:
            raise ValueError(
                "addons.channels.webchat.WebChatInput needs "
                "`session_persistence: true` in credentials.yml"
            )
        return cls(
            credentials.get("user_message_evt", "user_uttered"),
            credentials.get("bot_message_evt", "bot_uttered"),
            credentials.get("namespace"),
            True,
            credentials.get("socketio_path", "/socket.io"),
            credentials.get("jwt_key"),
            credentials.get("jwt_method", "HS256"),
            credentials.get("metadata_key", "metadata"),
            widget_dir=credentials.get("widget_dir"),
        )

    def __init__(self, *args: Any, widget_dir: Optional[Text] = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.session_persistence = True
        self.app: Optional[Sanic] = None
        self.practice = load_practice()
        self.origins = allowed_origins(self.practice)  # raises on a malformed origin
        self.widget = WidgetFiles(PROJECT_ROOT / (widget_dir or "build/widget"))
        self._config: Optional[bytes] = None

    # --- origins ----------------------------------------------------------
    def origin_allowed(
        self, origin: Optional[str], environ: Optional[Dict[str, Any]] = None
    ) -> bool:
        if origin in self.origins:
            return True
        return same_origin(origin, environ or {})

    # --- Socket.IO --------------------------------------------------------
    def get_output_channel(self) -> Optional[SocketIOOutput]:
        if self.sio is None:
            return super().get_output_channel()
        return WebChatOutput(self.sio, self.bot_message_evt)

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        sio = AsyncServer(
            async_mode="sanic",
            cors_allowed_origins=self.origin_allowed,
            max_http_buffer_size=64 * 1024,
        )
        self.sio = sio
        webhook = WebChatBlueprint(sio, self.socketio_path, self, "webchat_webhook", __name__)

        @webhook.route("/", methods=["GET"])
        async def health(_: Request) -> HTTPResponse:
            return response.json({"status": "ok"})

        @sio.on("connect", namespace=self.namespace)
        async def connect(sid: Text, environ: Dict, auth: Optional[Dict] = None) -> bool:
            origin = environ.get("HTTP_ORIGIN")
            if origin and not self.origin_allowed(origin, environ):
                return False  # engine.io refuses these already; kept as a second lock
            request = environ.get("sanic.request")
            address = str(getattr(request, "remote_addr", "") or getattr(request, "ip", "") or "")
            await sio.save_session(sid, {"address": address}, namespace=self.namespace)
            if self.jwt_key:
                token = auth.get("token") if isinstance(auth, dict) else None
                return bool(
                    token
                    and rasa.core.channels.channel.decode_bearer_token(
                        token, self.jwt_key, self.jwt_algorithm
                    )
                )
            return True

        @sio.on("session_request", namespace=self.namespace)
        async def session_request(sid: Text, data: Any) -> None:
            requested = data.get("session_id") if isinstance(data, dict) else None
            known = (
                requested if isinstance(requested, str) and valid_session_id(requested) else None
            )
            messages = await self.history(known) if known else None
            session_id = requested if messages is not None else uuid.uuid4().hex
            async with sio.session(sid, namespace=self.namespace) as session:
                previous = session.get("session_id")
                session["session_id"] = session_id
            if previous and previous != session_id:
                await sio.leave_room(sid, previous, namespace=self.namespace)
            await sio.enter_room(sid, session_id, namespace=self.namespace)
            await sio.emit(
                "session_history",
                {"session_id": session_id, "messages": messages or []},
                room=sid,
                namespace=self.namespace,
            )
            await sio.emit("session_confirm", session_id, room=sid, namespace=self.namespace)

        @sio.on(self.user_message_evt, namespace=self.namespace)
        async def handle_message(sid: Text, data: Any) -> None:
            session = await sio.get_session(sid, namespace=self.namespace)
            session_id = session.get("session_id")
            if not isinstance(data, dict) or not session_id:
                logger.warning("webchat: message before session_request; ignored")
                return
            if data.get("session_id") not in (None, session_id):
                logger.warning("webchat: message for another session; ignored")
                return
            text = data.get("message")
            if not isinstance(text, str):
                return
            text = valid_text(text)
            output = WebChatOutput(sio, self.bot_message_evt)
            conversation = conversation_id(CHANNEL_WEB, session_id)
            # Whatever metadata the page sends is dropped: a browser cannot mark a
            # message as a staff trigger or change how it is routed. Only the language
            # the parent picked in the widget (`lang`) goes with the message.
            picked = data.get("lang") if data.get("lang") in LANGUAGES else None
            await turn.handle_message(
                on_new_message,
                output,
                channel=self.name(),
                conversation=conversation,
                recipient=session_id,
                text=text,
                address=session.get("address"),
                replied=lambda: bool(output.sent),
                language=picked,
            )

        return webhook

    async def history(self, session_id: Text) -> Optional[List[Dict[str, Any]]]:
        """The messages of the web conversation `web:<session_id>`; None when there is
        none: a page continues only a session the server issued and that has begun,
        never one it names itself."""
        agent = getattr(self.app.ctx, "agent", None) if self.app else None
        store = getattr(agent, "tracker_store", None)
        if store is None:
            return []
        try:
            tracker = await store.retrieve_full_tracker(conversation_id(CHANNEL_WEB, session_id))
        except Exception:  # a history is a convenience; never fail the connection for it
            logger.exception("webchat: could not read the history of a session")
            return []
        if tracker is None or not tracker.events:
            return None
        if tracker.get_latest_input_channel() not in (None, self.name()):
            return None
        return history_messages(list(tracker.events))

    # --- widget files -------------------------------------------------------
    def widget_config(self) -> bytes:
        """Practice name, phone, and the greeting with its first suggestions, in English
        (top level) and in each other language (`languages.es`)."""
        if self._config is None:
            greeting, suggestions = FALLBACK_GREETING, []
            languages: Dict[str, Any] = {}
            try:
                knowledge = replies.knowledge()
                for language in LANGUAGES:
                    reply = knowledge.in_language(language).reply("greet")
                    languages[language] = {
                        "greeting": reply.long_text or reply.text,
                        "suggestions": [{"title": t, "payload": p} for t, p in reply.buttons],
                    }
                greeting = languages[EN]["greeting"]
                suggestions = languages[EN]["suggestions"]
            except Exception:  # the action server reports content errors; keep the widget up
                logger.exception("webchat: could not load the greeting from the knowledge")
            self._config = json.dumps(
                {
                    "practice_name": str(self.practice.get("name") or ""),
                    "phone": str(self.practice.get("phone") or ""),
                    "phone_href": phone_href(self.practice),
                    "greeting": greeting,
                    "suggestions": suggestions,
                    "languages": languages,
                }
            ).encode()
        return self._config

    def demo_page(self, request: Request) -> HTTPResponse:
        loaded = self.widget.load("index.html")
        if loaded is None:
            return self.widget.respond(request, "index.html")
        page = loaded[0].decode("utf-8")
        for key in ("name", "phone", "website"):
            page = page.replace("{{%s}}" % key, html.escape(str(self.practice.get(key) or "")))
        host = request.headers.get("host", "")
        csp = (
            "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
            f"connect-src 'self' ws://{host} wss://{host}; base-uri 'none'; "
            "form-action 'none'; frame-ancestors 'none'"
        )
        return self.widget.respond(
            request,
            "index.html",
            page.encode("utf-8"),
            {
                "Content-Security-Policy": csp,
                "Referrer-Policy": "no-referrer",
                "X-Frame-Options": "DENY",
            },
        )

    def add_widget_routes(self, app: Sanic) -> None:
        async def index(request: Request) -> HTTPResponse:
            return self.demo_page(request)

        async def redirect(_: Request) -> HTTPResponse:
            return response.redirect("/widget/", status=301)

        async def config(request: Request) -> HTTPResponse:
            return self.widget.respond(request, "config.json", self.widget_config())

        async def widget_file(request: Request, name: str) -> HTTPResponse:
            if name == "index.html":
                return self.demo_page(request)
            if not FILE_NAME.match(name):
                return response.text("Not found", status=404)
            return self.widget.respond(request, name)

        app.add_route(
            redirect,
            "/widget",
            methods=["GET"],
            name="webchat_widget_redirect",
            strict_slashes=True,
        )
        app.add_route(
            index, "/widget/", methods=["GET"], name="webchat_widget_index", strict_slashes=True
        )
        app.add_route(config, "/widget/config.json", methods=["GET"], name="webchat_widget_config")
        app.add_route(
            widget_file, "/widget/<name:str>", methods=["GET"], name="webchat_widget_file"
        )
