"""Phone numbers, sender ids and tokens never reach the logs in clear.

`install()` puts a log-record factory in place, so every record made anywhere in
the process (Rasa, Sanic, structlog, our code) is masked once, when it is made,
whatever handler later prints it. A record's message is formatted, masked and
frozen (args emptied); an exception's traceback text is masked the same way.

What is masked:
* phone numbers: E.164 (`+15550100123`, `whatsapp:+1...`), North American
  numbers written with separators (`(555) 010-0123`, `555-010-0123`) and bare
  10/11-digit runs that are not part of a decimal number;
* the value after a key that names a conversation: `sender`, `sender_id`,
  `sender id`, `conversation`, `conversation ID`, `conversation_id`,
  `recipient_id`, `session_id`, `user_id`, `for id`, `from`/`to` in `key=value`
  form, in plain, quoted, `key=value` and JSON spellings;
* `/conversations/<id>/` in URLs, and `token=`, `Bearer ...`, `password=` values.

A masked id reads `id#1a2b3c4d`: a keyed hash, so the lines of one
conversation can be followed without the id itself. The key is random per
process unless `LOG_MASK_SALT` is set (set it to the same value on every server
to follow a conversation across servers). Digits are never kept: a phone number
becomes `+***-**23`-style text with only its last two digits.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import re
from typing import Any, Callable, Optional

from common.phones import mask_phones_in
from common.settings import current

_KEYS = (
    r"sender[ _-]?id|sender|conversation[ _-]?id|conversation(?:\s+ID)?|recipient[ _-]?id"
    r"|session[ _-]?id|user[ _-]?id|for id|tracker for"
)
# key, separator, optional quote, value up to the closing quote or a delimiter
_KEYED = re.compile(
    r"(?P<key>\b(?:"
    + _KEYS
    + r"))(?P<sep>\"?\s*[:=]?\s*)(?P<q>['\"])?(?P<value>(?(q)[^'\"]{1,256}|[^\s'\",;)}\]]{1,256}))",
    re.IGNORECASE,
)
_FROM_TO = re.compile(r"(?P<key>\b(?:From|To|from|to))(?P<sep>=)(?P<value>[^\s&,;]+)")
_CONVERSATION_URL = re.compile(r"(/conversations/)([^/\s?\"']+)")
_SECRET = re.compile(r"(?i)(token=|password=|Bearer\s+)([^\s&\"']+)")


def pseudonym(value: str) -> str:
    """A stable, non-reversible stand-in for an id (same input -> same output)."""
    digest = hmac.new(
        current().mask_salt, value.encode("utf-8", "replace"), hashlib.sha256
    ).hexdigest()
    return f"id#{digest[:8]}"


def _mask_keyed(match: "re.Match[str]") -> str:
    value = match.group("value")
    if (
        value.startswith("id#")
        or value.startswith("+***")
        or value.lower() in {"none", "null", "''"}
    ):
        return match.group(0)
    quote = match.group("q") or ""
    tail = ""
    if not quote and value.endswith("."):
        value, tail = value[:-1], "."
    # unquoted values only after `=`/`:` or in "conversation ID x" (so prose is left alone)
    if (
        not quote
        and not re.search(r"[:=]", match.group("sep"))
        and not re.fullmatch(r"(?i)conversation\s+id", match.group("key"))
    ):
        return match.group(0)
    return f"{match.group('key')}{match.group('sep')}{quote}{pseudonym(value)}{tail}"


def mask(text: str) -> str:
    """Masks phone numbers, conversation ids and secrets in a piece of log text."""
    if not text:
        return text
    text = _SECRET.sub(lambda m: m.group(1) + "***", text)
    text = _CONVERSATION_URL.sub(lambda m: m.group(1) + pseudonym(m.group(2)), text)
    text = _FROM_TO.sub(
        lambda m: m.group("key") + m.group("sep") + pseudonym(m.group("value")), text
    )
    text = _KEYED.sub(_mask_keyed, text)
    text = mask_phones_in(text)
    return text


class MaskingFilter(logging.Filter):
    """The same masking as a filter, for handlers configured from a logging file."""

    def filter(self, record: logging.LogRecord) -> bool:
        _mask_record(record)
        return True


def _mask_record(record: logging.LogRecord) -> None:
    if getattr(record, "_pulpcare_masked", False):
        return
    try:
        message = record.getMessage()
    except Exception:  # a broken format string: keep what we have, masked
        message = f"{record.msg} {record.args}"
    record.msg, record.args = mask(message), ()
    if record.exc_info and not record.exc_text:
        record.exc_text = mask(logging.Formatter().formatException(record.exc_info))
    elif record.exc_text:
        record.exc_text = mask(record.exc_text)
    record._pulpcare_masked = True


_installed: Optional[Callable[..., logging.LogRecord]] = None


def install() -> None:
    """Masks every log record made in this process from now on (idempotent)."""
    global _installed
    if _installed is not None:
        return
    previous = logging.getLogRecordFactory()

    def factory(*args: Any, **kwargs: Any) -> logging.LogRecord:
        record = previous(*args, **kwargs)
        _mask_record(record)
        return record

    logging.setLogRecordFactory(factory)
    _installed = previous


def uninstall() -> None:
    """Puts the previous record factory back (tests)."""
    global _installed
    if _installed is not None:
        logging.setLogRecordFactory(_installed)
        _installed = None
