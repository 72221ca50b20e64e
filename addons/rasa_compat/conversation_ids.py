"""Patch 10 of `addons.rasa_compat`: the HTTP API decodes conversation ids in its paths.

What Sanic 21.12 and Rasa 3.6 do (read in their source, seen on a running server):
Sanic routes on the raw path (`Request.path` is the undecoded bytes of the URL) and
Rasa declares its routes (`/conversations/<conversation_id:path>/...`) without
Sanic's `unquote=True`, so the handler gets the id exactly as written in the URL.
`POST /conversations/%2B15551234567/trigger_intent?output_channel=twilio`, what
`encodeURIComponent` and `urllib.parse.quote` produce, reached a new conversation
named `%2B15551234567`; the SMS channel texts only `sms:+1...` conversations, so the
check-in was silently not sent while the API answered 200.

`install()` wraps `rasa.server.create_app`, so that the app with the HTTP API gets a
request middleware (`register`). Sanic runs request middleware after routing and
before the handler, and calls the handler with `request.match_info`: the middleware
replaces the id there, so every `/conversations/<conversation_id>/...` route of Rasa
(and Rasa's own JWT check of a `user` role) sees the decoded id:

* percent-decoded as UTF-8 (`urllib.parse.unquote`, not `unquote_plus`: a `+` in a
  path is a plus, not a space); an id that is not UTF-8, or holds a control
  character (`%00`), once decoded is refused (400);
* an SMS conversation is named `sms:` and the E.164 number (`common.conversations`).
  The id names one when it starts with `sms:`, when it looks like a phone number
  (`+` and digits, separators allowed), or when the request asks for
  `output_channel=twilio`; it is then normalised (`+1 (555) 123-4567` and
  `sms%3A%2B15551234567` become `sms:+15551234567`) and must be E.164
  (`common.phones.is_e164`), else 400 with the reason;
* a request that would text (`trigger_intent`, `execute`, `tracker/events` with
  `execute_side_effects=true`) with `output_channel=twilio` while the SMS channel is
  off or absent gets 503 with the reason: Rasa would collect the messages and
  answer 200 with nothing sent.

A refusal is decided only for a caller who passes Rasa's own authentication
(`rasa.server.requires_auth` with the server's token / JWT): anyone else still gets
Rasa's 401 or 403, as before. Errors have Rasa's JSON shape (`ErrorResponse`), the
sentence in `reason` and `message`.

Test: `tests/addons/rasa_compat/test_conversation_ids.py` (a live server with a fake
Twilio), `tests/addons/staff/test_followup_api.py` (the SMS channel off).
"""

from __future__ import annotations

import inspect
import re
import unicodedata
from typing import Any, Callable, Optional
from urllib.parse import unquote

from sanic import Sanic
from sanic.request import Request

from common.conversations import sms_conversation, split
from common.names import CHANNEL_SMS
from common.phones import is_e164, mask_phone

# Rasa's routes: "/conversations/<conversation_id:path>/tracker" and so on (Sanic keeps
# them without the leading slash).
ROUTE_PREFIX = "conversations/<conversation_id"
PARAMETER = "conversation_id"
OUTPUT_CHANNEL = "output_channel"  # rasa.server.OUTPUT_CHANNEL_QUERY_KEY
EXAMPLE = "+15551234567"
# Written between the digits of a phone number by people and by other systems.
SEPARATORS = re.compile(r"[\s().-]")
PHONE_LIKE = re.compile(r"\+[\d\s().-]*\d[\d\s().-]*")
SMS_OFF = (
    "The SMS channel is off on this server (it needs TWILIO_ACCOUNT_SID, "
    "TWILIO_AUTH_TOKEN and TWILIO_NUMBER or TWILIO_MESSAGING_SERVICE_SID): nothing was sent"
)


class Refused(ValueError):
    """A request the API answers with `status` and a one-sentence `reason`."""

    def __init__(self, reason: str, status: int = 400) -> None:
        super().__init__(reason)
        self.reason, self.status = reason, status


def decode(raw: str) -> str:
    """The id as written in the URL path, percent-decoded (a `+` stays a `+`)."""
    try:
        decoded = unquote(raw, encoding="utf-8", errors="strict")
    except UnicodeDecodeError:
        raise Refused("The conversation id is not UTF-8 text once percent-decoded") from None
    if any(unicodedata.category(char) == "Cc" for char in decoded):
        raise Refused("The conversation id holds a control character (such as %00)")
    return decoded


def _not_a_phone(number: str) -> Refused:
    shown = mask_phone(number) if re.search(r"\d\D*\d", number) else "The conversation id"
    return Refused(f"{shown} is not a phone number in E.164 form, like {EXAMPLE}")


def normalise(conversation: str, output_channel: Optional[str] = None) -> str:
    """The stored id of a decoded conversation id: an SMS conversation's is
    `sms:+E164` (or Refused); any other id is left as it is."""
    channel, own = split(conversation)
    if channel == CHANNEL_SMS:
        number = own
    elif channel is None and (PHONE_LIKE.fullmatch(conversation) or output_channel == CHANNEL_SMS):
        number = conversation
    elif output_channel == CHANNEL_SMS:
        raise Refused(
            f"output_channel={CHANNEL_SMS} texts SMS conversations only: the conversation id "
            f"names a {channel} conversation, not a phone number in E.164 form like {EXAMPLE}"
        )
    else:
        return conversation
    phone = SEPARATORS.sub("", number)
    if not is_e164(phone):
        raise _not_a_phone(phone)
    return sms_conversation(phone)


def conversation_id_from_path(raw: str, output_channel: Optional[str] = None) -> str:
    """What a `/conversations/<id>/...` route must see for the id `raw` of its URL."""
    return normalise(decode(raw), output_channel)


def sms_channel_on(app: Sanic) -> bool:
    """Whether `output_channel=twilio` texts: Rasa's own test (`_get_output_channel`)."""
    channels = getattr(app.ctx, "input_channels", None) or []
    return any(c.name() == CHANNEL_SMS and c.get_output_channel() is not None for c in channels)


def sends(request: Request) -> bool:
    """Whether this route sends the bot's messages to `output_channel`."""
    path = request.route.path if request.route else ""
    if path.endswith(("/trigger_intent", "/execute")):
        return True
    if path.endswith("/tracker/events") and request.method == "POST":
        from rasa.server import EXECUTE_SIDE_EFFECTS_QUERY_KEY
        from rasa.utils.endpoints import bool_arg

        return bool_arg(request, EXECUTE_SIDE_EFFECTS_QUERY_KEY, False)
    return False


def register(app: Sanic, auth_token: Optional[str] = None) -> None:
    """Adds the middleware to Rasa's app (`auth_token` as given to `create_app`)."""
    from rasa.server import ErrorResponse, requires_auth

    @requires_auth(app, auth_token)
    async def refuse(request: Request, conversation_id: str, refused: Refused) -> None:
        # Reached only by a caller Rasa lets in (`requires_auth` raises 401/403 first).
        raise ErrorResponse(
            refused.status, refused.reason, refused.reason, {"parameter": PARAMETER, "in": "path"}
        )

    async def decode_conversation_id(request: Request) -> None:
        route = request.route
        if route is None or request.method == "OPTIONS":
            return
        raw = request.match_info.get(PARAMETER)
        if not route.path.startswith(ROUTE_PREFIX) or not isinstance(raw, str):
            return
        output_channel = request.args.get(OUTPUT_CHANNEL)
        try:
            request.match_info[PARAMETER] = conversation_id_from_path(raw, output_channel)
            if output_channel == CHANNEL_SMS and sends(request) and not sms_channel_on(app):
                raise Refused(SMS_OFF, 503)
        except Refused as refused:
            await refuse(request, conversation_id=request.match_info[PARAMETER], refused=refused)

    app.register_middleware(decode_conversation_id, "request")


_original: Optional[Callable[..., Sanic]] = None


def _create_app(*args: Any, **kwargs: Any) -> Sanic:
    assert _original is not None
    app = _original(*args, **kwargs)
    bound = inspect.signature(_original).bind(*args, **kwargs)
    register(app, bound.arguments.get("auth_token"))
    return app


def install() -> None:
    global _original
    import rasa.server

    if _original is None:
        _original = rasa.server.create_app
        rasa.server.create_app = _create_app


def uninstall() -> None:
    global _original
    import rasa.server

    if _original is not None:
        rasa.server.create_app = _original
        _original = None


def is_installed() -> bool:
    return _original is not None
