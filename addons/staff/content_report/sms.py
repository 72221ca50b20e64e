"""What one SMS answer costs: its characters and its segments (common/gsm7.py).

An SMS answer is GSM-7 (the knowledge loader refuses anything else). One message
carries 160 septets; a longer one is split into parts of 153 (the rest of each part
is the header that joins them). The extension characters (`^{}\\[~]|€`) take two
septets each.
"""

from __future__ import annotations

from common.gsm7 import EXTENDED, segments

__all__ = ["EXTENDED", "segments", "septets"]


def septets(text: str) -> int:
    """The septets `text` takes in GSM-7 (two for an extension character)."""
    return len(text) + sum(1 for char in text if char in EXTENDED)
