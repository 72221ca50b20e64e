"""What one SMS answer costs: its characters and its segments.

An SMS answer is GSM-7 (the knowledge loader refuses anything else). One message
carries 160 septets; a longer one is split into parts of 153 (the rest of each part
is the header that joins them). The extension characters (`^{}\\[~]|€`) take two
septets each.
"""

from __future__ import annotations

import math

SINGLE = 160  # septets in a one-part message
PART = 153  # septets in each part of a longer one
EXTENDED = frozenset("^{}\\[~]|€")


def septets(text: str) -> int:
    """The septets `text` takes in GSM-7 (two for an extension character)."""
    return len(text) + sum(1 for char in text if char in EXTENDED)


def segments(text: str) -> int:
    """The SMS messages `text` is sent as: 1 up to 160 septets, else ceil(n / 153)."""
    size = septets(text)
    if size == 0:
        return 0
    return 1 if size <= SINGLE else math.ceil(size / PART)
