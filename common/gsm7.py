"""The GSM 03.38 character set: what an SMS can carry in 160-character segments.

The knowledge loader holds every SMS text to it, and the SMS channel converts
what it sends into it.
"""

from __future__ import annotations

# The basic character set and its extension table.
GSM7 = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
    "^{}\\[~]|€"
)


def is_gsm7(text: str) -> bool:
    return all(char in GSM7 for char in text)
