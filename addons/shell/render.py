"""How the command-line chat lays out what the assistant said (pure text, no I/O).

* web (the widget's view): each answer whole, wrapped to the terminal, its
  "Source:" line set apart as the widget sets it apart; suggestions as numbered
  lines under the answer, titles only (payloads are never shown);
* sms (a phone's view): each text as Twilio would deliver it, with its length
  and the number of SMS segments it costs.
"""

from __future__ import annotations

import re
import textwrap
from dataclasses import dataclass
from typing import Any, Dict, List, Optional, Sequence, Tuple

from common.gsm7 import GSM7, segments

SOURCE_LINE = re.compile(r"^(Sources?|Fuentes?): ")
INDENT = "  "


@dataclass(frozen=True)
class Choice:
    title: str
    payload: str


def split_answer(text: str) -> Tuple[List[str], str]:
    """ "Answer...\\n\\nSources: ..." -> (["Answer..."], "Sources: ...") (as the widget)."""
    paragraphs = [p.strip() for p in re.split(r"\n[ \t]*\n", text or "") if p.strip()]
    source = ""
    if paragraphs and SOURCE_LINE.match(paragraphs[-1]):
        source = paragraphs.pop()
    return paragraphs, source


def wrap(text: str, width: int, indent: str = INDENT) -> List[str]:
    """Every line of `text` wrapped to `width`, nothing cut (long words are broken)."""
    lines: List[str] = []
    for line in text.splitlines() or [""]:
        lines += textwrap.wrap(
            line,
            width=max(20, width),
            initial_indent=indent,
            subsequent_indent=indent,
            break_on_hyphens=False,
        ) or [indent.rstrip()]
    return lines


def web(messages: Sequence[Dict[str, Any]], width: int) -> Tuple[List[str], List[Choice]]:
    """The widget's view of one turn: (lines to print, the numbered suggestions)."""
    lines: List[str] = []
    choices: List[Choice] = []
    for message in messages:
        paragraphs, source = split_answer(str(message.get("text") or ""))
        for number, paragraph in enumerate(paragraphs):
            if number:
                lines.append("")
            lines += wrap(paragraph, width)
        if source:
            lines += [""] + wrap(source, width, indent=INDENT + "| ")
        for button in message.get("buttons") or message.get("quick_replies") or []:
            title = str(button.get("title") or "").strip()
            payload = str(button.get("payload") or "")
            if title and payload:
                choices.append(Choice(title, payload))
    if choices:
        lines.append("")
        lines += [f"{INDENT}[{n}] {c.title}" for n, c in enumerate(choices, start=1)]
    return lines, choices


def sms(texts: Sequence[str], width: int) -> List[str]:
    """A phone's view of one turn: every text whole, with what it costs."""
    lines: List[str] = []
    total = 0
    for number, text in enumerate(texts, start=1):
        cost = segments(text)
        total += cost
        encoding = "GSM-7" if all(c in GSM7 for c in text) else "UCS-2"
        plural = "s" if cost != 1 else ""
        lines.append(
            f"{INDENT}-- SMS {number} of {len(texts)}: {len(text)} characters, "
            f"{encoding}, {cost} segment{plural} --"
        )
        lines += wrap(text, width)
    if not texts:
        lines.append(f"{INDENT}(no text would be sent)")
    elif len(texts) > 1:
        lines.append(f"{INDENT}-- {total} segments in all --")
    return lines


def why(understood: Optional[Dict[str, Any]]) -> List[str]:
    """/why: what the assistant made of the last message."""
    if not understood or not understood.get("intent"):
        return [f"{INDENT}Nothing understood yet: send a message first."]
    confidence = understood.get("confidence")
    score = f"{confidence:.2f}" if isinstance(confidence, (int, float)) else "?"
    entities = ", ".join(
        f"{e.get('entity')}={e.get('value')}" for e in understood.get("entities") or []
    )
    flags = ", ".join(understood.get("red_flags") or [])
    found = understood.get("language") or {}
    language = (
        f"{found.get('code')} (confidence {found.get('confidence')})" if found else "not detected"
    )
    if found.get("requested"):
        language += f", asked for {found['requested']}"
    return [
        f"{INDENT}message:    {understood.get('text')!r}",
        f"{INDENT}intent:     {understood.get('intent')} (confidence {score})",
        f"{INDENT}entities:   {entities or 'none'}",
        f"{INDENT}language:   {language}",
        f"{INDENT}red flag:   {'yes: ' + flags if flags else 'no pattern fired'}",
    ]


def slots(values: Optional[Dict[str, Any]]) -> List[str]:
    """/slots: the procedure, the last topic and the language the assistant tracks."""
    values = values or {}
    return [
        f"{INDENT}procedure:  {values.get('procedure') or 'not known yet'}",
        f"{INDENT}last topic: {values.get('last_topic') or 'none yet'}",
        f"{INDENT}language:   {values.get('language') or 'not set yet'}",
    ]
