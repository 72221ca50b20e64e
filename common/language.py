"""The conversation's language: English or Spanish, and when it changes.

The Rasa server's pipeline detects each message's language (`addons/nlu/language.py`)
and stores what it found with the message (`Detection`, under the `language` key
of the parsed message). Which language the assistant answers in is decided here,
from that detection and the language the conversation already has (the `language`
slot), by the action server and by the Rasa server's own replies alike:

- a parent who asks for a language ("español", "in English please") or picks it in
  the widget gets it at once;
- a conversation without a language takes the first message whose language is
  confident (`FIRST`); until then each reply follows its message's best guess;
- a conversation with a language keeps it unless a message is clearly in the other
  one (`CLEAR`, at least `CLEAR_WORDS` words, and no common word of the current
  one): a Spanglish question, a drug name or "ok" does not flip it.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from typing import Any, Dict, Mapping, Optional

EN = "en"
ES = "es"
LANGUAGES = (EN, ES)
DEFAULT = EN  # a practice's default language
SLOT = "language"  # the slot and the parsed message's key

FIRST = 0.70  # confidence that sets a new conversation's language
CLEAR = 0.95  # confidence that switches an existing conversation's language
CLEAR_WORDS = 3

# "in English please", "en español", "spanish?", "hablan español": a request, when
# the message is short or says it as a request (not "my son speaks Spanish at school").
_NAMES = {
    ES: re.compile(r"\b(espanol|castellano|spanish)\b"),
    EN: re.compile(r"\b(english|ingles)\b"),
}
_REQUEST = re.compile(
    r"\b(in|en|please|por favor|porfa|speak|habla|hablan|hablas|hablar|talk|answer|"
    r"responda|respondame|conteste|escribame|switch|cambiar|cambia|prefiero|prefer|idioma)\b"
)
_WORD = re.compile(r"[^\W\d_]+", re.UNICODE)


def fold(text: str) -> str:
    """Lower case without accents: "Español" -> "espanol"."""
    decomposed = unicodedata.normalize("NFKD", text.lower())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def requested(text: Optional[str]) -> Optional[str]:
    """The language a message asks for, if it asks for one."""
    folded = fold(text or "")
    words = _WORD.findall(folded)
    asked = [lang for lang, name in _NAMES.items() if name.search(folded)]
    if len(asked) != 1:
        return None
    if len(words) <= 3 or (len(words) <= 12 and _REQUEST.search(folded)):
        return asked[0]
    return None


@dataclass(frozen=True)
class Detection:
    """What the pipeline found about one message's language."""

    language: str  # best guess, EN or ES
    confidence: float  # 0.5 (no idea) to 1.0
    words: int  # words in the message
    requested: Optional[str] = None  # a language the parent asked for
    mixed: bool = False  # words of both languages ("mi hijo needs a pulpotomy")

    def as_dict(self) -> Dict[str, Any]:
        return {
            "code": self.language,
            "confidence": round(self.confidence, 3),
            "words": self.words,
            "requested": self.requested,
            "mixed": self.mixed,
        }

    @classmethod
    def from_message(cls, message: Optional[Mapping[str, Any]]) -> Optional["Detection"]:
        """The detection stored with a parsed message (None for an older message)."""
        raw = (message or {}).get(SLOT)
        if not isinstance(raw, Mapping) or raw.get("code") not in LANGUAGES:
            return None
        wanted = raw.get("requested")
        return cls(
            language=str(raw["code"]),
            confidence=float(raw.get("confidence") or 0.5),
            words=int(raw.get("words") or 0),
            requested=wanted if wanted in LANGUAGES else None,
            mixed=bool(raw.get("mixed")),
        )


PICKED = "language"  # the widget's pick, the one metadata key a page may send


def picked(metadata: Optional[Mapping[str, Any]]) -> Optional[str]:
    """The language a parent picked in the widget, sent with their message."""
    value = (metadata or {}).get(PICKED)
    return value if value in LANGUAGES else None


def conversation_language(current: Optional[str], detection: Optional[Detection]) -> Optional[str]:
    """The conversation's language after this message (None: not known yet)."""
    current = current if current in LANGUAGES else None
    if detection is None:
        return current
    if detection.requested:
        return detection.requested
    if current is None:
        clear_enough = detection.confidence >= FIRST and not detection.mixed
        return detection.language if clear_enough else None
    if (
        detection.language != current
        and detection.confidence >= CLEAR
        and detection.words >= CLEAR_WORDS
        and not detection.mixed
    ):
        return detection.language
    return current


def reply_language(current: Optional[str], detection: Optional[Detection]) -> str:
    """The language to answer this message in."""
    decided = conversation_language(current, detection)
    if decided:
        return decided
    return detection.language if detection else DEFAULT
