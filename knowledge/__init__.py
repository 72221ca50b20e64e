"""The curated knowledge module: answers as data, loaded and validated once.

Content lives in ``content/*.yml`` beside this file; the practice's own details
come from ``practice.yml`` (or the file ``PRACTICE_FILE`` names) through
``common.practice``. Nothing here knows about Rasa: callers ask
:class:`Knowledge` for a :class:`Reply` and send it.

Why it lives at the top level: two processes read it. The action server
(``actions/``) answers parents' questions from it, and the Rasa server
(``addons/``) builds the replies it sends by itself from it (the fallback when the
action server is down, the rate-limit and too-long replies, the SMS channel's
own texts). Neither reaches into the other's package; both import this public
API, and this package imports only ``common``.
"""

from knowledge.loader import (
    CONTENT_DIR,
    Entry,
    Knowledge,
    KnowledgeError,
    Reply,
    button_payload,
    load_knowledge,
)

__all__ = [
    "CONTENT_DIR",
    "Entry",
    "Knowledge",
    "KnowledgeError",
    "Reply",
    "button_payload",
    "load_knowledge",
]
