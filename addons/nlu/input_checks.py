"""Pure checks on what a parent typed, before the NLU pipeline reads it.

`inspect(text)` returns the text the classifier should read and, when the message
needs a special reply, the kind of problem: empty, no_words (emoji or symbols
only), markup_only, too_long or other_language (neither English nor Spanish).
Markup is removed (a parent who pastes HTML still gets an answer to the words
around it), and a typed `/intent`
payload that no button of ours sends is turned back into plain words.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass
from typing import Iterable, Optional

EMPTY = "empty"
NO_WORDS = "no_words"
MARKUP_ONLY = "markup_only"
TOO_LONG = "too_long"
OTHER_LANGUAGE = "other_language"

MAX_CHARS = 1500  # longer than any real question; the reply asks for the gist
HARD_CAP_CHARS = 20000  # what the classifier reads at most, so time stays bounded

_SCRIPT_OR_STYLE = re.compile(r"<(script|style)\b[^>]*>.*?</\1\s*>", re.I | re.S)
_TAG = re.compile(r"</?[a-zA-Z][^<>]*>|<!--.*?-->", re.S)
_LETTER = re.compile(r"[^\W\d_]", re.UNICODE)
_WORD = re.compile(r"[^\W\d_]+(?:'[^\W\d_]+)?", re.UNICODE)
_NON_LATIN = re.compile(
    r"[\u0400-\u04FF\u0590-\u06FF\u0900-\u0DFF\u0E00-\u0E7F\u3040-\u30FF\u3400-\u9FFF\uAC00-\uD7AF]"
)
_BUTTON_PAYLOAD = re.compile(
    r'^/(?P<intent>[a-z_]+)(\{\s*"[a-z_]+"\s*:\s*"[a-z0-9_+]{1,40}"\s*\})?$'
)

# Words that mark a message as English; a few domain words are included so a
# message of mostly medical terms is not taken for another language.
_ENGLISH = frozenset(
    """
a about after again all am an and any are as at be because been before being but by can
could did do does doing don't for from get got had has have he her him his how i if in is
it its just me my no not now of on or our please she should so some than that the their
them then there they this to too up us was we were what when where which who why will
with would you your tooth teeth dentist son daughter kid child baby root canal hurt pain
pulpotomy pulpectomy crown filling yes ok okay hi hello thanks u ur pls thx
""".split()
)
# Words that mark a message as another language than English or Spanish (Spanish
# is answered: common/language.py); words Spanish shares ("le", "mal") are left out.
_FOREIGN = frozenset(
    """
les des est une mon ma pour avec dent fils fille je il elle pas bonjour merci combien
não meu minha dente filho filha com uma obrigado olá você
der die das und ist mein meine zahn nicht ich hallo danke kind
tôi răng bị của không có chào xin
""".split()
)


@dataclass(frozen=True)
class Inspection:
    text: str  # what the classifier reads
    issue: Optional[str]  # None when the message is fine to classify
    markup_removed: bool = False


def strip_markup(text: str) -> str:
    without_scripts = _SCRIPT_OR_STYLE.sub(" ", text)
    return html.unescape(_TAG.sub(" ", without_scripts))


def _looks_foreign(text: str) -> bool:
    letters = _LETTER.findall(text)
    if letters:
        non_latin = len(_NON_LATIN.findall(text))
        if non_latin / len(letters) > 0.5:
            return True
    words = [w.lower() for w in _WORD.findall(text)]
    if len(words) < 3:
        return False
    english = sum(w in _ENGLISH for w in words)
    foreign = sum(w in _FOREIGN for w in words)
    return foreign >= 2 and english / len(words) < 0.25


def unwrap_payload(text: str, allowed_intents: Iterable[str]) -> str:
    """Keeps button payloads we send; any other `/...` text is read as words."""
    if not text.startswith("/"):
        return text
    match = _BUTTON_PAYLOAD.match(text)
    if match and match.group("intent") in set(allowed_intents):
        return text
    return re.sub(r"[/{}\"_:]+", " ", text).strip() or text.lstrip("/")


def inspect(text: Optional[str], allowed_intents: Iterable[str] = ()) -> Inspection:
    raw = (text or "").strip()
    if not raw:
        return Inspection("", EMPTY)
    raw = unwrap_payload(raw, allowed_intents)
    if raw.startswith("/"):
        return Inspection(raw, None)  # one of our own buttons
    cleaned = re.sub(r"\s+", " ", strip_markup(raw)).strip()
    markup_removed = cleaned != re.sub(r"\s+", " ", raw).strip()
    if not _LETTER.search(cleaned):
        return Inspection(cleaned, MARKUP_ONLY if markup_removed else NO_WORDS, markup_removed)
    capped = cleaned[:HARD_CAP_CHARS]
    if len(cleaned) > MAX_CHARS:
        return Inspection(capped, TOO_LONG, markup_removed)
    if _looks_foreign(cleaned):
        return Inspection(capped, OTHER_LANGUAGE, markup_removed)
    return Inspection(capped, None, markup_removed)
