"""Small helpers on a conversation's events, shared by the tracker store and the
action call (`addons/server/stores.py`, `addons/server/resilience.py`)."""

from __future__ import annotations

from typing import Any, List, Reversible, Type


def since_last(events: Reversible[Any], event_type: Type[Any]) -> List[Any]:
    """The events from the latest one of `event_type` on; all of them if there is none.

    Walks back from the end, so a long conversation is not copied to find its last turn."""
    tail: List[Any] = []
    for event in reversed(events):
        tail.append(event)
        if isinstance(event, event_type):
            tail.reverse()
            return tail
    tail.reverse()
    return tail


__all__ = ["since_last"]
