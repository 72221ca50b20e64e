"""The curated knowledge module: answers as data, loaded and validated once.

Content lives in ``content/*.yml`` beside this file; the practice's own details in
``practice.yml`` at the project root (or the file named by ``PRACTICE_FILE``).
Nothing here knows about Rasa: actions ask :class:`Knowledge` for a
:class:`Reply` and send it.
"""
from actions.knowledge.loader import (  # noqa: F401
    CONTENT_DIR,
    DEFAULT_PRACTICE_FILE,
    Entry,
    Knowledge,
    KnowledgeError,
    Reply,
    is_gsm7,
    load_knowledge,
)
