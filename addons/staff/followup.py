"""Texts a parent the check-in after their child's procedure.

    make followup PHONE=+15551234567 PROCEDURE=pulpotomy
    python -m addons.staff.followup --phone +15551234567 --procedure pulpectomy

Calls the running Rasa server's HTTP API (RASA_URL, default
http://localhost:5005): POST /conversations/sms:<phone>/trigger_intent?output_channel=twilio
with the intent EXTERNAL_followup and the entity procedure. The conversation id
is the parent's SMS conversation, `sms:` and the E.164 number
(`common.conversations`), so the parent's reply continues the same conversation.

Authentication, as the server was started (scripts/run.sh): RASA_AUTH_TOKEN
(sent as ?token=) or RASA_JWT_SECRET (a short-lived HS256 token with the admin
role). The server never texts a number that opted out (STOP); when this machine
holds the SMS state file, the script also says so and sends nothing.
Exit codes: 0 sent, 1 refused or failed, 2 bad arguments, 3 opted out.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from typing import Any, Dict, Optional, Sequence, Tuple

from common.conversations import sms_conversation
from common.names import CHANNEL_SMS, FOLLOWUP_INTENT, PROCEDURE
from common.phones import is_e164, mask_phone
from common.settings import Settings, SettingsError, current

PROCEDURES = ("pulpotomy", "pulpectomy")


def _phone(value: str) -> str:
    phone = re.sub(r"[\s().-]", "", value or "")
    if not is_e164(phone):
        raise argparse.ArgumentTypeError(
            f"{value!r} is not a phone number in E.164 form, like +15551234567"
        )
    return phone


def _headers_and_query(settings: Settings) -> Tuple[Dict[str, str], Dict[str, str]]:
    token, secret = settings.rasa_auth_token, settings.rasa_jwt_secret
    if token:
        return {}, {"token": token}
    if secret:
        import jwt  # PyJWT, installed with Rasa

        claims = {
            "user": {"username": "staff-followup", "role": "admin"},
            "exp": int(time.time()) + 300,
        }
        token = jwt.encode(claims, secret, algorithm=settings.rasa_jwt_method)
        return {"Authorization": "Bearer " + token}, {}
    raise SystemExit(
        "Set RASA_AUTH_TOKEN (or RASA_JWT_SECRET) to the value the Rasa server "
        "was started with: the check-in goes through its authenticated HTTP API."
    )


def _request(
    url: str,
    data: Optional[Dict[str, Any]] = None,
    headers: Optional[Dict[str, str]] = None,
    timeout: float = 60,
) -> Any:
    body = json.dumps(data).encode() if data is not None else None
    request = urllib.request.Request(
        url,
        data=body,
        method="POST" if body else "GET",
        headers={"Content-Type": "application/json", **(headers or {})},
    )
    with urllib.request.urlopen(request, timeout=timeout) as response:
        return json.loads(response.read() or b"{}")


def _opted_out_here(phone: str) -> bool:
    from addons.channels.sms.store import SmsStore, state_file_from_env

    path = state_file_from_env()
    return path.exists() and SmsStore(path).is_opted_out(phone)


def main(argv: Optional[Sequence[str]] = None) -> int:
    try:
        settings = current()
    except SettingsError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    parser = argparse.ArgumentParser(description="Text a parent the post-procedure check-in.")
    parser.add_argument("--phone", required=True, type=_phone, help="E.164, e.g. +15551234567")
    parser.add_argument("--procedure", required=True, choices=PROCEDURES)
    parser.add_argument("--url", default=settings.rasa_url)
    args = parser.parse_args(argv)
    base = args.url.rstrip("/")
    masked = mask_phone(args.phone)

    if _opted_out_here(args.phone):
        print(
            f"{masked} opted out of texts (STOP): no check-in sent. "
            "They can text START to get texts again."
        )
        return 3
    headers, query = _headers_and_query(settings)
    try:
        channel = _request(f"{base}/webhooks/twilio/", timeout=10)
    except urllib.error.HTTPError as error:
        print(f"The Rasa server at {base} has no SMS channel (HTTP {error.code}).", file=sys.stderr)
        return 1
    except OSError as error:
        print(f"Cannot reach the Rasa server at {base}: {error}", file=sys.stderr)
        return 1
    if not channel.get("configured"):
        print(
            "The SMS channel is off on the server: start it with TWILIO_ACCOUNT_SID, "
            "TWILIO_AUTH_TOKEN and TWILIO_NUMBER set. Nothing sent.",
            file=sys.stderr,
        )
        return 1

    query["output_channel"] = CHANNEL_SMS
    # "+" and ":" stay as they are: Rasa does not decode the conversation id in the path.
    url = (
        f"{base}/conversations/{urllib.parse.quote(sms_conversation(args.phone), safe='+:')}"
        "/trigger_intent?" + urllib.parse.urlencode(query)
    )
    try:
        result = _request(
            url, {"name": FOLLOWUP_INTENT, "entities": {PROCEDURE: args.procedure}}, headers=headers
        )
    except urllib.error.HTTPError as error:
        reason = {
            401: "not authenticated: check RASA_AUTH_TOKEN / RASA_JWT_SECRET",
            403: "not allowed",
            404: "no HTTP API (start the server with a token)",
        }
        print(
            f"The server refused the check-in (HTTP {error.code}: "
            f"{reason.get(error.code, error.reason)}).",
            file=sys.stderr,
        )
        return 1
    except OSError as error:
        print(f"Cannot reach the Rasa server at {base}: {error}", file=sys.stderr)
        return 1
    if "messages" in result:  # Rasa collected the messages instead of texting them
        print(
            "The server did not route the check-in to the SMS channel. Nothing sent.",
            file=sys.stderr,
        )
        return 1
    print(
        f"Check-in about the {args.procedure} sent to {masked} "
        "(the server sends nothing to a number that opted out)."
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
