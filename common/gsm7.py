"""The GSM 03.38 character set: what an SMS can carry in 160-character segments.

The knowledge loader holds every SMS text to it, and the SMS channel converts
what it sends into it.
"""

from __future__ import annotations

import unicodedata

# The basic character set and its extension table.
GSM7 = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
    "^{}\\[~]|€"
)
EXTENDED = frozenset("^{}\\[~]|€")  # each costs two of a segment's characters


def is_gsm7(text: str) -> bool:
    return all(char in GSM7 for char in text)


_REPLACEMENTS = {
    "\u2018": "'",
    "\u2019": "'",
    "\u201a": "'",
    "\u201b": "'",
    "\u2032": "'",
    "`": "'",
    "\u201c": '"',
    "\u201d": '"',
    "\u201e": '"',
    "\u201f": '"',
    "\u2033": '"',
    "\u00ab": '"',
    "\u00bb": '"',
    "\u2010": "-",
    "\u2011": "-",
    "\u2012": "-",
    "\u2013": "-",
    "\u2014": "-",
    "\u2015": "-",
    "\u2212": "-",
    "\u2022": "-",
    "\u00b7": "-",
    "\u2026": "...",
    "\u00a0": " ",
    "\u2009": " ",
    "\u202f": " ",
    "\t": " ",
    "\u00b0": " degrees",
    "\u00bd": "1/2",
    "\u00bc": "1/4",
    "\u00be": "3/4",
    "\u2122": "",
    "\u00ae": "",
    "\u00a9": "(c)",
    "\u00d7": "x",
}


def to_gsm7(text: str) -> str:
    """Replaces or drops every character outside GSM-7 (emoji, curly quotes...).

    Accented letters outside GSM-7 lose their accent: Spanish á, í, ó, ú become a,
    i, o, u (é, ñ, ü, ¿ and ¡ are GSM-7 and stay), so a Spanish text keeps
    160-character segments instead of UCS-2's 70 (docs/sms.md).
    """
    out = []
    for char in text:
        if char in GSM7:
            out.append(char)
            continue
        if char in _REPLACEMENTS:
            out.append(_REPLACEMENTS[char])
            continue
        # Accented letters outside GSM-7 lose their accent (ç -> c); the rest goes.
        base = "".join(
            c for c in unicodedata.normalize("NFKD", char) if not unicodedata.combining(c)
        )
        out.append(base if base and all(c in GSM7 for c in base) else "")
    return "".join(out)


def segments(text: str) -> int:
    """SMS segments a text costs: GSM-7 160 alone or 153 each (extension characters
    count twice), else UCS-2 70 alone or 67 each."""
    if not text:
        return 0
    if is_gsm7(text):
        units = len(text) + sum(char in EXTENDED for char in text)
        return 1 if units <= 160 else -(-units // 153)
    units = sum(2 if ord(char) > 0xFFFF else 1 for char in text)
    return 1 if units <= 70 else -(-units // 67)
