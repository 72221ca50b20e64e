"""Check-ins after a child's procedure: schedule, list and cancel them (staff).

    make followup PHONE=+15551234567 PROCEDURE=pulpotomy              # the practice's plan
    make followup PHONE=+15551234567 PROCEDURE=pulpotomy WHEN=2h      # in two hours
    make followup PHONE=+15551234567 PROCEDURE=pulpectomy WHEN=2026-12-02T18:00
    make followup PHONE=+15551234567 PROCEDURE=pulpotomy WHEN=now     # the next pass
    make followup-list [PHONE=...] [ALL=1]
    make followup-cancel ID=12

Scheduling writes the check-in into the database the Rasa servers use
(`DATABASE_URL`, else the SQLite file), so no server has to be running: the
scheduler of every running server (`make run`, `addons/practice/checkins.py`)
sends it once at its time, out of the quiet hours, unless the parent texted STOP
by then. `WHEN` is a delay (`30m`, `2h`, `1d`), a date-time in practice time or
`now`; without it, the practice's plan (`checkin_plan` in practice.yml). Times
are printed in practice time with each check-in's id, numbers masked.

`--now-via-api` keeps the older way: the check-in at once through the running
server's authenticated HTTP API (RASA_URL, RASA_AUTH_TOKEN or RASA_JWT_SECRET):
POST /conversations/sms:<phone>/trigger_intent?output_channel=twilio (the id
percent-encoded in the path: sms%3A%2B15551234567) with the intent
EXTERNAL_followup and the entity procedure. The conversation id is the
parent's SMS conversation, `sms:` and the E.164 number (`common.conversations`),
so the parent's reply continues the same conversation.

Exit codes: 0 done, 1 refused or failed, 2 bad arguments, 3 opted out (STOP).
"""

from __future__ import annotations

import argparse
import getpass
import json
import re
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from datetime import datetime
from typing import Any, Dict, Optional, Sequence, Tuple

from common.conversations import sms_conversation
from common.names import CHANNEL_SMS, FOLLOWUP_INTENT, PROCEDURE
from common.phones import is_e164, mask_phone
from common.practice import PracticeError
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
    """The opt-out the SMS channel keeps on the tracker database (the server checks
    again when it sends; an unreachable database is its error to report)."""
    from addons.channels.sms.store import SmsStore
    from addons.server.database import StoreUnavailable

    try:
        return SmsStore().is_opted_out(phone)
    except StoreUnavailable:
        return False


def send_now_via_api(args: argparse.Namespace, settings: Settings) -> int:
    """The check-in at once, through the running server's authenticated HTTP API."""
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
    # Percent-encoded as any integration would (`sms%3A%2B1555...`): the server decodes
    # the conversation id in the path (addons/rasa_compat/conversation_ids.py).
    url = (
        f"{base}/conversations/{urllib.parse.quote(sms_conversation(args.phone), safe='')}"
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


# --- scheduling (the database the servers use) ---------------------------------------
def _local(at: datetime, zone: Any) -> str:
    """A time as staff read it: practice time, with the zone's abbreviation."""
    return at.astimezone(zone).strftime("%a %d %b %Y %H:%M %Z")


def _open_database() -> Any:
    """The tracker database's engine; SystemExit(1) naming the setting when unreachable."""
    from addons.practice import db
    from addons.server.database import StoreUnavailable, database_url, safe_url

    url, setting = database_url()
    try:
        return db.engine()
    except StoreUnavailable as error:
        raise SystemExit(f"The database is not reachable: {error}") from None
    except Exception as error:  # a driver error: name the setting, hide the password
        raise SystemExit(
            f"The database ({setting}: {safe_url(url)}) is not reachable: {type(error).__name__}"
        ) from None


def _opted_out(phone: str) -> bool:
    """STOP recorded for the number (the server checks again when it sends; this tells
    staff now). Unknown (the check failed) counts as not opted out."""
    try:
        return _opted_out_here(phone)
    except Exception:
        return False


def schedule_command(args: argparse.Namespace) -> int:
    from addons.practice import checkins

    engine = _open_database()
    masked = mask_phone(args.phone)
    if _opted_out(args.phone):
        print(
            f"{masked} opted out of texts (STOP): no check-in scheduled. "
            "They can text START to get texts again."
        )
        return 3
    try:
        hours = checkins.practice_hours()
        rows = checkins.schedule(
            args.phone,
            args.procedure,
            args.when,
            created_by=_who(),
            engine=engine,
            practice=hours,
        )
    except (checkins.CheckinError, ValueError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    for row in rows:
        moved = ""
        if row.send_at != row.requested_at:
            moved = f" (asked for {_local(row.requested_at, hours.zone)}: quiet hours)"
        print(
            f"Check-in #{row.id} about the {row.procedure} for {masked}: "
            f"{_local(row.send_at, hours.zone)}{moved}"
        )
    print(
        "Practice time. Sent by the running assistant (make run) at that time, unless "
        "the parent texts STOP first. List: make followup-list; "
        f"cancel: make followup-cancel ID={rows[0].id}"
    )
    return 0


def _who() -> str:
    try:
        return getpass.getuser()
    except Exception:
        return ""


def list_command(args: argparse.Namespace) -> int:
    from addons.practice import checkins

    engine = _open_database()
    hours = checkins.practice_hours()
    rows = checkins.list_scheduled(
        engine, phone=args.phone, statuses=None if args.all else checkins.PENDING
    )
    if not rows:
        print("No check-ins " + ("recorded." if args.all else "waiting to be sent."))
        return 0
    for row in rows:
        reason = f"  ({row.reason})" if row.reason else ""
        print(
            f"#{row.id:<5} {_local(row.send_at, hours.zone):<26} {mask_phone(row.phone):<10} "
            f"{row.procedure:<11} {row.status}{reason}"
        )
    print("Times are practice time; phone numbers masked.")
    return 0


def cancel_command(args: argparse.Namespace) -> int:
    from addons.practice import checkins

    engine = _open_database()
    if checkins.cancel(args.cancel, engine):
        print(f"Check-in #{args.cancel} cancelled.")
        return 0
    row = checkins.get(args.cancel, engine)
    if row is None:
        print(f"There is no check-in #{args.cancel}.", file=sys.stderr)
    else:
        state = "was cancelled before" if row.status == checkins.CANCELLED else f"is {row.status}"
        print(f"Check-in #{args.cancel} {state}: not cancelled now.", file=sys.stderr)
    return 1


def main(argv: Optional[Sequence[str]] = None) -> int:
    try:
        settings = current()
    except SettingsError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    parser = argparse.ArgumentParser(
        description="Schedule, list or cancel the SMS check-in after a child's procedure."
    )
    parser.add_argument("--phone", type=_phone, help="E.164, e.g. +15551234567")
    parser.add_argument("--procedure", choices=PROCEDURES)
    parser.add_argument(
        "--when",
        help="a delay (30m, 2h, 1d), a date-time in practice time (2026-12-02T18:00) or "
        "'now'; default: the practice's check-in plan",
    )
    what = parser.add_mutually_exclusive_group()
    what.add_argument("--list", action="store_true", help="check-ins waiting to be sent")
    what.add_argument("--cancel", type=int, metavar="ID", help="cancel check-in ID")
    what.add_argument(
        "--now-via-api",
        action="store_true",
        help="text it now through the running server's HTTP API (needs its token)",
    )
    parser.add_argument("--all", action="store_true", help="with --list: every status")
    parser.add_argument("--url", default=settings.rasa_url)
    args = parser.parse_args(argv)
    try:
        if args.list:
            return list_command(args)
        if args.cancel is not None:
            return cancel_command(args)
        if not args.phone or not args.procedure:
            parser.error("--phone and --procedure are required (or --list, --cancel ID)")
        if args.now_via_api:
            if args.when:
                parser.error("--when and --now-via-api do not go together")
            return send_now_via_api(args, settings)
        return schedule_command(args)
    except PracticeError as error:  # practice.yml: the time zone, quiet hours, plan
        print(f"error: {error}", file=sys.stderr)
        return 2
    except SystemExit as stop:
        if isinstance(stop.code, str):
            print(stop.code, file=sys.stderr)
            return 1
        raise


if __name__ == "__main__":
    sys.exit(main())
