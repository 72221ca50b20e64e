"""Pure SMS helpers for the Twilio connector: no Rasa, no network.

* ``to_sms_text`` turns whatever an action sent into plain GSM-7 text: markdown
  and markup removed, curly quotes and dashes straightened, emoji and other
  characters outside GSM-7 dropped, button payloads and source lines removed.
* ``split_sms`` cuts a text into at most 3 ordered parts of at most 320
  characters, at sentence (else word) boundaries, numbered "(1/2) ".
* ``choices_line`` renders buttons as numbered choices ("Reply 1 for ...").
* ``keyword`` recognises the carrier keywords (STOP, START, HELP...) and MORE.
"""

from __future__ import annotations

import re
import unicodedata
from typing import List, Optional, Sequence

from common.gsm7 import GSM7, is_gsm7, to_gsm7  # noqa: F401  (re-exported for the channel)

MAX_CHARS = 320  # every outbound SMS: at most 320 GSM-7 characters
MAX_PARTS = 3  # a long answer is sent as at most 3 messages

STOP_WORDS = frozenset({"STOP", "STOPALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT"})
START_WORDS = frozenset({"START", "UNSTOP"})
HELP_WORDS = frozenset({"HELP"})
MORE_WORDS = frozenset({"MORE"})
# Spanish keywords (accents folded): answered like their English ones, in Spanish.
SPANISH_WORDS = {
    "STOP": frozenset({"PARAR", "PARA", "CANCELAR", "ALTO", "BAJA", "DETENER", "NOMAS"}),
    "START": frozenset({"COMENZAR", "REANUDAR", "INICIAR"}),
    "HELP": frozenset({"AYUDA"}),
    "MORE": frozenset({"MAS"}),
}
# How the numbered choices are offered, per language (GSM-7 only).
CHOICE_WORDS = {
    "en": {
        "reply": "Reply {body}.",
        "more": "MORE for details",
        "item": "{n} for {title}",
        "or": " or ",
    },
    "es": {
        "reply": "Responda {body}.",
        "more": "MAS para ver mas",
        "item": "{n} para {title}",
        "or": " o ",
    },
}


_PAYLOAD = re.compile(r"(?<!\S)/[A-Za-z_][A-Za-z0-9_]*(\{[^{}]*\})?(?=\s|$|[.,;)])")
_SOURCE_PARAGRAPH = re.compile(r"(^|\n\s*\n)\s*(Sources?|Fuentes?): [^\n]*(\n(?!\s*\n)[^\n]*)*\s*$")
_MD_LINK = re.compile(r"\[([^\]]+)\]\((\S+?)\)")
_MD_EMPHASIS = re.compile(r"(\*\*|__|\*|~~)(?=\S)(.+?)(?<=\S)\1")
_MD_UNDERSCORE = re.compile(r"(?<!\w)_(?=\S)(.+?)(?<=\S)_(?!\w)")
_MD_CODE = re.compile(r"`{1,3}([^`]*)`{1,3}")
_MD_HEADING = re.compile(r"^\s{0,3}#{1,6}\s+", re.M)
_MD_BULLET = re.compile(r"^\s*[*+]\s+", re.M)
_TAG = re.compile(r"</?[a-zA-Z][^<>]*>")
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+")


def to_sms_text(text: Optional[str]) -> str:
    """Plain, GSM-7, single-spaced text for an SMS; paragraphs kept as newlines."""
    text = text or ""
    text = _SOURCE_PARAGRAPH.sub("", text)  # citations stay on the chat channel
    text = _TAG.sub(" ", text)
    text = _MD_LINK.sub(lambda m: f"{m.group(1)} ({m.group(2)})", text)
    text = _MD_CODE.sub(r"\1", text)
    text = _MD_EMPHASIS.sub(r"\2", text)
    text = _MD_UNDERSCORE.sub(r"\1", text)
    text = _MD_HEADING.sub("", text)
    text = _MD_BULLET.sub("- ", text)
    text = _PAYLOAD.sub("", text)  # a payload never reaches a parent
    text = re.sub(r"[ \t]+([.,;:!?])", r"\1", text)
    text = to_gsm7(text)
    paragraphs = [" ".join(p.split()) for p in re.split(r"\n\s*\n|\r", text)]
    lines = "\n".join(p for p in paragraphs if p)
    return "\n".join(" ".join(line.split()) for line in lines.split("\n") if line.strip())


def _pack(pieces: Sequence[str], limit: int) -> List[str]:
    chunks: List[str] = []
    current = ""
    for piece in pieces:
        candidate = f"{current} {piece}" if current else piece
        if len(candidate) <= limit:
            current = candidate
            continue
        if current:
            chunks.append(current)
        if len(piece) <= limit:
            current = piece
            continue
        words, current = piece.split(" "), ""
        for word in words:
            while len(word) > limit:  # a very long "word" (a URL...)
                if current:
                    chunks.append(current)
                    current = ""
                chunks.append(word[:limit])
                word = word[limit:]
            candidate = f"{current} {word}" if current else word
            if len(candidate) <= limit:
                current = candidate
            else:
                chunks.append(current)
                current = word
    if current:
        chunks.append(current)
    return chunks


def _shorten(text: str, limit: int) -> str:
    if len(text) <= limit:
        return text
    cut = text[: limit - 3].rsplit(" ", 1)[0].rstrip(" ,;:-")
    return cut + "..."


def split_sms(text: str, limit: int = MAX_CHARS, max_parts: int = MAX_PARTS) -> List[str]:
    """At most ``max_parts`` parts of at most ``limit`` characters, in order.

    Parts are numbered "(1/2) " so they read in order even if a phone shows them
    out of order; text beyond the last part is cut at a word with "...".
    """
    text = (text or "").strip()
    if not text:
        return []
    if len(text) <= limit:
        return [text]
    prefix_room = len(f"({max_parts}/{max_parts}) ")
    sentences = [s for s in _SENTENCE_END.split(" ".join(text.split())) if s]
    chunks = _pack(sentences, limit - prefix_room)
    if len(chunks) > max_parts:
        rest = " ".join(chunks[max_parts - 1 :])
        chunks = chunks[: max_parts - 1] + [_shorten(rest, limit - prefix_room)]
    total = len(chunks)
    return [f"({i}/{total}) {chunk}" for i, chunk in enumerate(chunks, 1)]


def _choice_title(title: str) -> str:
    title = to_sms_text(title).rstrip("?.!: ").lstrip("¿¡ ")
    if len(title) > 1 and title[0].isupper() and not title[1].isupper():
        title = title[0].lower() + title[1:]
    return title


def choices_line(titles: Sequence[str], more: bool = False, language: str = "en") -> str:
    """'Reply 1 for what is a pulpotomy, 2 for crowns.' (and MORE when offered);
    in Spanish 'Responda MAS para ver mas, 1 para ...'."""
    words = CHOICE_WORDS.get(language, CHOICE_WORDS["en"])
    options = [words["item"].format(n=n, title=_choice_title(t)) for n, t in enumerate(titles, 1)]
    if more:
        options = [words["more"]] + options
    if not options:
        return ""
    if len(options) == 1:
        body = options[0]
    else:
        body = ", ".join(options[:-1]) + words["or"] + options[-1]
    return to_gsm7(words["reply"].format(body=body))


def _keyword_text(body: Optional[str]) -> str:
    folded = "".join(
        c
        for c in unicodedata.normalize("NFKD", (body or "").upper())
        if not unicodedata.combining(c)
    )
    return re.sub(r"[\s.!,;:'\"¡!¿?]+", "", folded)


def keyword(body: Optional[str]) -> Optional[str]:
    """'STOP', 'START', 'HELP' or 'MORE' when the whole message is that keyword
    (or its Spanish one: PARAR, AYUDA, MAS...)."""
    word = _keyword_text(body)
    for name, words in (
        ("STOP", STOP_WORDS),
        ("START", START_WORDS),
        ("HELP", HELP_WORDS),
        ("MORE", MORE_WORDS),
    ):
        if word in words or word in SPANISH_WORDS[name]:
            return name
    return None


def keyword_language(body: Optional[str]) -> Optional[str]:
    """'es' when the message is a Spanish keyword, 'en' an English one, else None."""
    word = _keyword_text(body)
    if any(word in words for words in SPANISH_WORDS.values()):
        return "es"
    if word in STOP_WORDS | START_WORDS | HELP_WORDS | MORE_WORDS:
        return "en"
    return None


def choice_number(body: Optional[str]) -> Optional[int]:
    """The number of a choice when the whole message is a number ('2', ' 2. ')."""
    match = re.fullmatch(r"\s*#?\s*(\d{1,2})\s*[.)!]?\s*", body or "")
    return int(match.group(1)) if match else None
