"""The project's Twilio SMS channel (replaces Rasa's own ``twilio`` connector).

Registered in credentials.yml as ``addons.channels.sms.connector.TwilioSmsInput``; its
name is ``twilio``, so Twilio posts to ``/webhooks/twilio/webhook`` and
``output_channel=twilio`` (proactive check-ins) sends through it.

* Every webhook is checked against ``X-Twilio-Signature`` with the official
  library's ``RequestValidator``, on ``TWILIO_WEBHOOK_URL`` (the public address,
  which differs behind a proxy) or else the address the server saw. A missing or
  wrong signature gets 403 and nothing is processed or sent.
* The webhook is acknowledged at once with empty TwiML; the message is handled
  afterwards in an asyncio task, one at a time per phone number, and every
  Twilio REST call or database access runs in a worker thread. A MessageSid seen
  before (a Twilio retry), by this server or another, is acknowledged and dropped.
* STOP/START/HELP, an empty body and a photo-only message are answered here;
  MORE and a number that picks a choice become button payloads for Rasa. Apart
  from STOP and START, messages count against the per-sender rate limit.
* Outbound: plain GSM-7 text, at most 320 characters a message, buttons as
  numbered choices (payloads never sent), a long text in at most 3 ordered parts,
  and nothing ever to a number that opted out.

Settings (credentials.yml values win, else the environment): TWILIO_ACCOUNT_SID,
TWILIO_AUTH_TOKEN, TWILIO_NUMBER or TWILIO_MESSAGING_SERVICE_SID,
TWILIO_WEBHOOK_URL, TWILIO_API_URL (default Twilio's); SMS_STATE_FILE only names the
old per-machine state file, imported once into the tracker database (`store.py`).
Without the SID, token and a sender the channel is off: the assistant starts, the
webhook answers 503 and nothing is sent.
"""

from __future__ import annotations

import asyncio
import logging
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, Awaitable, Callable, Dict, List, Optional, Sequence, Text
from urllib.parse import parse_qs

import requests
from rasa.core.channels.channel import InputChannel, OutputChannel, UserMessage
from sanic import Blueprint, response
from sanic.request import Request, RequestParameters
from sanic.response import HTTPResponse
from twilio.base.exceptions import TwilioRestException
from twilio.http.http_client import TwilioHttpClient
from twilio.request_validator import RequestValidator
from twilio.rest import Client

from addons.channels.sms import format as sms_format
from addons.channels.sms.store import SmsStore, import_state_file
from addons.server import replies
from addons.server.rate_limit import rate_limiter
from common.conversations import phone_of, sms_conversation
from common.language import EN, ES, LANGUAGES
from common.names import CHANNEL_SMS
from common.phones import mask_phone
from common.settings import DEFAULT_TWILIO_API_URL, current
from common.settings import load as load_settings

logger = logging.getLogger(__name__)
# Twilio's client logs every request at INFO (URL, headers); keep only its warnings.
_HTTP_LOGGER = logging.getLogger(__name__ + ".rest")
_HTTP_LOGGER.setLevel(logging.WARNING)

CHANNEL_NAME = CHANNEL_SMS
DEFAULT_API_URL = DEFAULT_TWILIO_API_URL
EMPTY_TWIML = '<?xml version="1.0" encoding="UTF-8"?><Response></Response>'
MORE_PAYLOAD = "/ask_topic"  # "tell me more": the longer answer to the last topic
MAX_CHOICES = 5
SEND_ATTEMPTS = 3
UNSUBSCRIBED_CODE = 21610  # Twilio: "attempt to send to unsubscribed recipient"

# Texts the channel sends itself (ids in knowledge/content/*.yml).
TEXT_IDS = {
    "stop": "sms_stop",
    "start": "sms_start",
    "help": "sms_help",
    "photo": "sms_photo",
    "empty": "input_empty",
    "error": "action_unavailable",
    "rate_limited": "rate_limited",
}

_SETTINGS = {  # setting: (credentials.yml key, environment variable, Settings field)
    "account_sid": ("account_sid", "TWILIO_ACCOUNT_SID", "twilio_account_sid"),
    "auth_token": ("auth_token", "TWILIO_AUTH_TOKEN", "twilio_auth_token"),
    "number": ("twilio_number", "TWILIO_NUMBER", "twilio_number"),
    "messaging_service_sid": (
        "messaging_service_sid",
        "TWILIO_MESSAGING_SERVICE_SID",
        "twilio_messaging_service_sid",
    ),
    "webhook_url": ("webhook_url", "TWILIO_WEBHOOK_URL", "twilio_webhook_url"),
    "api_url": ("api_url", "TWILIO_API_URL", "twilio_api_url"),
    "state_file": ("state_file", "SMS_STATE_FILE", "sms_state_file"),
}


@dataclass(frozen=True)
class TwilioSettings:
    account_sid: str = ""
    auth_token: str = ""
    number: str = ""
    messaging_service_sid: str = ""
    webhook_url: str = ""
    api_url: str = DEFAULT_API_URL
    state_file: str = ""

    @classmethod
    def load(
        cls, credentials: Optional[Dict[Text, Any]] = None, environ: Optional[Dict[str, str]] = None
    ) -> "TwilioSettings":
        """credentials.yml values win; else the settings (of `environ` when given)."""
        credentials = credentials or {}
        settings = current() if environ is None else load_settings(environ)
        values = {}
        for name, (key, _env, field) in _SETTINGS.items():
            value = credentials.get(key)
            if value in (None, ""):
                value = getattr(settings, field)
            values[name] = str(value).strip()
        values["api_url"] = (values["api_url"] or DEFAULT_API_URL).rstrip("/")
        return cls(**values)

    def missing(self) -> List[str]:
        missing = [
            env
            for name, (_, env, _field) in _SETTINGS.items()
            if name in ("account_sid", "auth_token") and not getattr(self, name)
        ]
        if not (self.number or self.messaging_service_sid):
            missing.append("TWILIO_NUMBER or TWILIO_MESSAGING_SERVICE_SID")
        return missing

    @property
    def configured(self) -> bool:
        return not self.missing()


def _twilio_client(settings: TwilioSettings):
    """Twilio's own client; its REST calls go to ``settings.api_url``."""

    class _ApiClient(TwilioHttpClient):
        def request(self, method, url, *args, **kwargs):
            if settings.api_url != DEFAULT_API_URL and url.startswith(DEFAULT_API_URL):
                url = settings.api_url + url[len(DEFAULT_API_URL) :]
            return super().request(method, url, *args, **kwargs)

    return Client(
        settings.account_sid,
        settings.auth_token,
        http_client=_ApiClient(timeout=15, logger=_HTTP_LOGGER),
    )


def _load_texts(language: str = EN) -> Dict[str, str]:
    knowledge = replies.knowledge().in_language(language)  # the Rasa server's one copy
    return {key: knowledge.reply(topic).sms for key, topic in TEXT_IDS.items()}


class SmsSender:
    """Sends SMS through Twilio's REST API; shared by the input and output channel."""

    def __init__(
        self, settings: TwilioSettings, store: SmsStore, texts: Dict[str, str], client: Any = None
    ) -> None:
        self.settings = settings
        self.store = store
        self.texts = texts  # English; every language's in `texts_by_language`
        self.texts_by_language = {EN: texts, ES: _load_texts(ES)}
        self.client = client or _twilio_client(settings)
        self.executor = ThreadPoolExecutor(max_workers=4, thread_name_prefix="twilio-sms")

    async def run(self, function: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        """Runs blocking work (Twilio REST, the database) off the event loop."""
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self.executor, lambda: function(*args, **kwargs))

    def text(self, key: str, language: Optional[str] = None) -> str:
        """One of the channel's own texts (TEXT_IDS) in `language` (English by default)."""
        return self.texts_by_language.get(language or EN, self.texts)[key]

    async def language(self, phone: str, body: str = "") -> str:
        """The language to answer a number in: the one it was last answered in, else
        the message's own (when clear), else English."""
        known = await self.run(self.store.language, phone)
        return known if known in LANGUAGES else replies.language_of(body)

    async def send(self, phone: str, body: str, *, even_if_opted_out: bool = False) -> bool:
        """One SMS; False when not sent (opted out, or Twilio refused)."""
        body = sms_format.to_gsm7(body).strip()[: sms_format.MAX_CHARS]
        if not body:
            return False
        if not even_if_opted_out and await self.run(self.store.is_opted_out, phone):
            logger.info("SMS to %s not sent: the number opted out", mask_phone(phone))
            return False
        params: Dict[str, Any] = {"to": phone, "body": body}
        if self.settings.messaging_service_sid:
            params["messaging_service_sid"] = self.settings.messaging_service_sid
        else:
            params["from_"] = self.settings.number
        for attempt in range(1, SEND_ATTEMPTS + 1):
            try:
                await self.run(self.client.messages.create, **params)
                return True
            except TwilioRestException as error:
                if error.code == UNSUBSCRIBED_CODE:
                    await self.run(self.store.opt_out, phone, "CARRIER")
                    logger.info(
                        "Twilio reports %s unsubscribed: recorded as opted out", mask_phone(phone)
                    )
                    return False
                retry = error.status == 429 or error.status >= 500
                logger.warning(
                    "Twilio refused an SMS to %s (HTTP %s, code %s)%s",
                    mask_phone(phone),
                    error.status,
                    error.code,
                    ", retrying" if retry and attempt < SEND_ATTEMPTS else "",
                )
                if not retry:
                    return False
            except requests.exceptions.ConnectionError as error:  # not sent: safe to retry
                logger.warning(
                    "Sending an SMS to %s failed: %s", mask_phone(phone), type(error).__name__
                )
            except Exception as error:
                # A read timeout may come after Twilio accepted the message: no retry,
                # so the parent never gets the same text twice.
                logger.error(
                    "Sending an SMS to %s failed: %s", mask_phone(phone), type(error).__name__
                )
                return False
            if attempt < SEND_ATTEMPTS:
                await asyncio.sleep(0.5 * 3 ** (attempt - 1))
        logger.error("SMS to %s not sent after %d attempts", mask_phone(phone), SEND_ATTEMPTS)
        return False

    async def send_reply(
        self,
        phone: str,
        text: Optional[str],
        buttons: Sequence[Dict[str, Any]] = (),
        *,
        more: bool = False,
        choices_in_text: bool = False,
        language: Optional[str] = None,
    ) -> None:
        """A bot message as SMS: plain text in at most 3 parts, buttons as numbers (in
        the reply's language, which the number's own texts then use too; a staff
        check-in, which the parent did not write, does not change it)."""
        if language in LANGUAGES and not choices_in_text:
            await self.run(self.store.set_language, phone, language)
        if await self.run(self.store.is_opted_out, phone):
            logger.info("Reply to %s not sent: the number opted out", mask_phone(phone))
            return
        options = [
            (str(b.get("title") or ""), str(b.get("payload") or ""))
            for b in buttons or ()
            if b.get("payload")
        ][:MAX_CHOICES]
        if options:
            await self.run(self.store.set_choices, phone, [payload for _, payload in options])
        parts = sms_format.split_sms(sms_format.to_sms_text(text))
        line = (
            ""
            if choices_in_text
            else sms_format.choices_line(
                [title for title, _ in options], more=more, language=language or EN
            )
        )
        if line:
            if parts and len(parts[-1]) + 1 + len(line) <= sms_format.MAX_CHARS:
                parts[-1] = f"{parts[-1]}\n{line}"
            elif options or not parts:
                parts.append(line)
        for part in parts:
            if not await self.send(phone, part):
                break


class TwilioSmsOutput(OutputChannel):
    """Sends the bot's messages to a phone as SMS."""

    @classmethod
    def name(cls) -> Text:
        return CHANNEL_NAME

    def __init__(self, sender: SmsSender) -> None:
        self.sender = sender
        self.replied = False  # did this turn produce anything to text?

    async def send_response(self, recipient_id: Text, message: Dict[Text, Any]) -> None:
        custom = message.get("custom")
        options = custom.get("sms") if isinstance(custom, dict) else None
        options = options if isinstance(options, dict) else {}
        text = message.get("text")
        buttons = message.get("buttons") or message.get("quick_replies") or []
        if not text and not buttons:
            logger.debug("A message with no text was not sent by SMS")
            return
        self.replied = True
        await self._reply(
            recipient_id,
            text,
            buttons,
            more=bool(options.get("more")),
            choices_in_text=bool(options.get("choices_in_text")),
            language=options.get("language") if options.get("language") in LANGUAGES else None,
        )

    async def send_text_message(self, recipient_id: Text, text: Text, **kwargs: Any) -> None:
        self.replied = True
        await self._reply(recipient_id, text)

    async def send_text_with_buttons(
        self, recipient_id: Text, text: Text, buttons: List[Dict[Text, Any]], **kwargs: Any
    ) -> None:
        self.replied = True
        await self._reply(recipient_id, text, buttons)

    async def _reply(self, recipient_id: Text, *args: Any, **kwargs: Any) -> None:
        """Texts only an SMS conversation's own number (`sms:+1...`): a conversation
        of another channel, or an unmigrated id, is never texted."""
        phone = phone_of(recipient_id)
        if phone is None:
            logger.error("Not texted: %s is not an SMS conversation", mask_phone(recipient_id))
            return
        await self.sender.send_reply(phone, *args, **kwargs)


class _PhoneLocks:
    """One asyncio lock per phone number, so its messages are handled in order."""

    def __init__(self) -> None:
        self._locks: Dict[str, asyncio.Lock] = {}
        self._users: Dict[str, int] = {}

    async def __call__(self, phone: str, work: Callable[[], Awaitable[None]]) -> None:
        lock = self._locks.setdefault(phone, asyncio.Lock())
        self._users[phone] = self._users.get(phone, 0) + 1
        try:
            async with lock:
                await work()
        finally:
            self._users[phone] -= 1
            if not self._users[phone]:
                del self._users[phone], self._locks[phone]


class TwilioSmsInput(InputChannel):
    """Receives SMS from Twilio's webhook."""

    @classmethod
    def name(cls) -> Text:
        return CHANNEL_NAME

    @classmethod
    def from_credentials(cls, credentials: Optional[Dict[Text, Any]]) -> InputChannel:
        return cls(TwilioSettings.load(credentials))

    def __init__(
        self,
        settings: TwilioSettings,
        store: Optional[SmsStore] = None,
        client: Any = None,
        texts: Optional[Dict[str, str]] = None,
    ) -> None:
        self.settings = settings
        self.sender: Optional[SmsSender] = None
        self._tasks: set = set()
        self._locks = _PhoneLocks()
        if not settings.configured:
            logger.warning(
                "The Twilio SMS channel is off: set %s. Its webhook answers 503 "
                "and no SMS is sent.",
                ", ".join(settings.missing()),
            )
            return
        self.validator = RequestValidator(settings.auth_token)
        if store is None:  # the tracker database, with the old per-machine file imported
            store = SmsStore()
            if settings.state_file:
                import_state_file(store, settings.state_file)
        self.sender = SmsSender(settings, store, texts or _load_texts(), client)
        logger.info(
            "Twilio SMS channel on (REST API %s, webhook address %s)",
            settings.api_url,
            settings.webhook_url or "as received",
        )

    def get_output_channel(self) -> Optional[OutputChannel]:
        # None makes Rasa collect the messages instead (nothing is sent) when off.
        return TwilioSmsOutput(self.sender) if self.sender else None

    # --- webhook ------------------------------------------------------------
    def _signed(self, request: Request, params: RequestParameters) -> bool:
        signature = request.headers.get("X-Twilio-Signature", "")
        url = self.settings.webhook_url or request.url
        return bool(signature) and self.validator.validate(url, params, signature)

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        hook = Blueprint("twilio_sms_webhook", __name__)

        @hook.route("/", methods=["GET"])
        async def health(_: Request) -> HTTPResponse:
            return response.json({"status": "ok", "configured": self.sender is not None})

        @hook.route("/webhook", methods=["POST"])
        async def receive(request: Request) -> HTTPResponse:
            if self.sender is None:
                return response.text("The SMS channel is not configured.", status=503)
            # Twilio signs every field, blank ones included: parse them all.
            params = RequestParameters(
                parse_qs(request.body.decode("utf-8", "replace"), keep_blank_values=True)
            )
            if not self._signed(request, params):
                logger.warning("Twilio webhook refused: missing or wrong X-Twilio-Signature")
                return response.text("Forbidden", status=403)
            phone = (params.get("From") or "").strip()
            sid = params.get("MessageSid") or params.get("SmsSid") or ""
            sender = self.sender
            if phone and (not sid or await sender.run(sender.store.first_time_seen, sid)):
                try:
                    media = int(params.get("NumMedia") or 0)
                except ValueError:
                    media = 0
                task = asyncio.create_task(
                    self._locks(
                        phone,
                        lambda: self.handle_sms(
                            on_new_message, phone, params.get("Body") or "", media, sid
                        ),
                    )
                )
                self._tasks.add(task)
                task.add_done_callback(self._tasks.discard)
            elif phone:
                logger.info("Twilio retry of message %s ignored", sid)
            return response.text(EMPTY_TWIML, content_type="text/xml")

        return hook

    async def handle_sms(
        self,
        on_new_message: Callable[[UserMessage], Awaitable[Any]],
        phone: str,
        body: str,
        media: int,
        sid: str,
    ) -> None:
        """One inbound SMS, answered by text (the webhook calls this in a task; the
        command-line chat's SMS preview calls it directly)."""
        sender = self.sender
        assert sender is not None  # the webhook answers 503 before this when SMS is off
        store = sender.store
        language = EN
        try:
            word = sms_format.keyword(body)
            spoken = sms_format.keyword_language(body) if word else None
            if spoken == ES:  # PARAR, AYUDA, MAS...: this number reads Spanish
                await sender.run(store.set_language, phone, ES)
            language = await sender.language(phone, body)
            if word == "STOP":
                if await sender.run(store.opt_out, phone, body.strip().upper()[:20]):
                    await sender.send(phone, sender.text("stop", language), even_if_opted_out=True)
                return
            if word == "START":
                await sender.run(store.opt_in, phone)
                await sender.send(phone, sender.text("start", language))
                return
            if await sender.run(store.is_opted_out, phone):
                logger.info("Message from %s, who opted out: not answered", mask_phone(phone))
                return
            # STOP and START always work; anything else counts against the per-sender
            # limit (addons/server/rate_limit.py), told once a window since every SMS costs.
            decision = await rate_limiter().check(CHANNEL_NAME, sms_conversation(phone))
            if not decision.allowed:
                if decision.notify:
                    await sender.send(phone, sender.text("rate_limited", language))
                return
            if word == "HELP":
                await sender.send(phone, sender.text("help", language))
                return
            if not body.strip():
                await sender.send(phone, sender.text("photo" if media else "empty", language))
                return
            # Some carriers turn @ into ¡; a Spanish ¡ opens an exclamation closed by !.
            text = body if "!" in body else body.replace("¡", "@")
            if word == "MORE":
                text = MORE_PAYLOAD
            else:
                number = sms_format.choice_number(body)
                payload = number and await sender.run(store.choice, phone, number)
                text = payload or text
            output = TwilioSmsOutput(sender)
            await on_new_message(
                UserMessage(
                    text,
                    output,
                    sms_conversation(phone),
                    input_channel=CHANNEL_NAME,
                    message_id=sid or None,
                )
            )
            if not output.replied:
                # Every message gets an answer here; none means a failure on the way (the
                # action server down...): the parent still gets the practice's number.
                logger.error(
                    "No reply for an SMS from %s: sent the fallback text", mask_phone(phone)
                )
                await sender.send(phone, sender.text("error", language))
        except Exception:
            logger.exception("Handling an SMS from %s failed", mask_phone(phone))
            try:
                await sender.send(phone, sender.text("error", language))
            except Exception:
                logger.exception("Could not tell %s", mask_phone(phone))
