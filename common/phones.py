"""The one rule for showing a phone number where it must not be read in full.

Logs, command output, SMS-channel messages and the review report show a phone
number as ``+***-**67``: its last two digits only. Two digits let staff tell
two parents apart in a list; they do not identify anyone.
"""

from __future__ import annotations

import re
from typing import Optional

VISIBLE_DIGITS = 2
E164 = re.compile(r"\+[1-9]\d{7,14}")


def mask_phone(number: Optional[str]) -> str:
    """``+15551234567`` -> ``+***-**67`` (``+***`` when there are too few digits)."""
    digits = re.sub(r"\D", "", number or "")
    if len(digits) < VISIBLE_DIGITS:
        return "+***"
    return "+***-**" + digits[-VISIBLE_DIGITS:]


# A phone number inside free text: E.164 or written with separators (North American style).
PHONE_IN_TEXT = re.compile(
    r"(?<![\w.])\+\d{7,15}(?!\d)|%2B\d{7,15}(?!\d)"  # +15550100123, %2B1555...
    r"|(?<![\w.+])\(?\b\d{3}\)?[ .-]\d{3}[ .-]\d{4}\b"  # (555) 010-0123, 555-010-0123
    r"|(?<![\w.+])\+?1[ .-]\(?\d{3}\)?[ .-]?\d{3}[ .-]\d{4}\b"  # 1-555-010-0123
    r"|(?<![\d.])\b1?\d{10}\b(?![.\d])"  # 5550100123
)


def mask_phones_in(text: str) -> str:
    """Every phone number in a piece of text, masked by the rule above."""
    return PHONE_IN_TEXT.sub(lambda match: mask_phone(match.group(0)), text) if text else text


def last_digits(number: Optional[str]) -> str:
    """The digits the masking rule lets a reader see (for "phone ...67")."""
    digits = re.sub(r"\D", "", number or "")
    return digits[-VISIBLE_DIGITS:] if len(digits) >= VISIBLE_DIGITS else ""


def is_e164(number: Optional[str]) -> bool:
    return bool(E164.fullmatch(number or ""))


def parse_phone(text: Optional[str]) -> Optional[str]:
    """The phone number a parent typed to be called back at, in E.164, or None.

    North American numbers (the practices are in the US): ten digits with any
    separators ("(555) 010-0123", "555.010.0123", "5550100123"), or eleven starting
    with 1; or a number already in E.164 ("+15550100123", "+52 55 1234 5678"). The
    area code and exchange must not start with 0 or 1. Words around the number
    ("my number is ...", "mi numero es ...") are allowed; two numbers are not.
    """
    found = [m.group(0) for m in PHONE_IN_TEXT.finditer(text or "")]
    if len(found) != 1:
        digits_only = re.sub(r"[\s().-]", "", text or "")
        found = [digits_only] if re.fullmatch(r"\+?\d{10,15}", digits_only) else []
    if len(found) != 1:
        return None
    raw = found[0].replace("%2B", "+")
    digits = re.sub(r"\D", "", raw)
    if raw.startswith("+") and not digits.startswith("1"):
        number = "+" + digits
        return number if is_e164(number) else None
    if len(digits) == 11 and digits.startswith("1"):
        digits = digits[1:]
    if len(digits) != 10 or digits[0] in "01" or digits[3] in "01":
        return None
    return "+1" + digits


def has_digits_of_a_number(text: Optional[str]) -> bool:
    """Whether a message looks like an attempt at a phone number (5 digits or more)."""
    return len(re.sub(r"\D", "", text or "")) >= 5
