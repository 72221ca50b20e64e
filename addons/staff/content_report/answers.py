"""Every answer as a parent sees it, with what the dentist needs to judge it.

Each answer is rendered as `Knowledge.reply(topic)` renders it for a conversation
with no procedure named yet (the default wording of `{procedure_name}`): the web
version (text, buttons, source line) and the SMS text, exactly as sent. Beside it:
the reading grade of both, the word count the loader limits, the review date, the
content file, whether the practice replaced the wording, and what leads a parent
to it (intents, input checks, red flags, other answers' buttons). Under it, the
Spanish version as a Spanish-speaking parent gets it, with its Spanish reading scores.

Answers are grouped in four sections by the content file they ship in: safety
replies (`safety.yml`), topics (every other answer file, one group per file),
conversation (`conversation.yml`) and SMS texts (`sms.yml`).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, replace
from pathlib import Path
from typing import DefaultDict, Dict, List, Mapping, Optional, Sequence, Tuple

import yaml

from addons.staff.content_report.sources import SourceLink, source_links
from common.gsm7 import segments, to_gsm7
from common.language import ES
from knowledge.loader import (
    CONTENT_DIR,
    DATA_FILES,
    SAFETY,
    SMS,
    Entry,
    Knowledge,
    Reply,
    explanation_words,
)
from knowledge.readability import grade, spanish_scores

PROCEDURE = "{procedure_name}"


@dataclass(frozen=True)
class Button:
    """A suggestion button under the web answer: its title and the answer it opens."""

    title: str
    topic: str


@dataclass(frozen=True)
class SpanishVersion:
    """The same answer in Spanish, as sent (the SMS folded to GSM-7), with its scores."""

    title: str
    chat: str
    source_prefix: str
    sms: str
    sms_chars: int
    sms_segments: int
    fernandez_huerta: float
    szigriszt_pazos: float
    words: int


@dataclass(frozen=True)
class Answer:
    id: str
    title: str
    chat: str  # the web answer without its source line
    buttons: Tuple[Button, ...]
    source_prefix: str  # "Source:", "Sources:" or "" when nothing is cited
    sources: Tuple[SourceLink, ...]
    sms: str  # exactly what the phone receives
    sms_chars: int
    sms_segments: int
    sms_range: str  # how the length varies with the procedure, or ""
    chat_grade: float
    sms_grade: float
    words: int  # explanation words (safety sentences aside), as the loader counts
    reviewed: dt.date
    file: str  # the content file it ships in
    override_file: str  # the practice's overrides file, when it replaced the wording
    overridden: bool
    intents: Tuple[str, ...]  # the intents routed to it
    also_sent: Tuple[str, ...]  # other ways it is sent: input checks, red flags, "more"
    offered_after: Tuple[Tuple[str, str], ...]  # (title, id) of answers with a button to it
    procedure_note: str
    spanish: Optional[SpanishVersion] = None


@dataclass(frozen=True)
class FileGroup:
    file: str
    anchor: str
    answers: Tuple[Answer, ...]


@dataclass(frozen=True)
class Section:
    anchor: str
    title: str
    intro: str
    files: Tuple[FileGroup, ...]
    by_file: bool  # show a heading per content file

    @property
    def answers(self) -> List[Answer]:
        return [answer for group in self.files for answer in group.answers]


# anchor, title, intro, the content files it takes (None: every other answer file)
SECTIONS: Tuple[Tuple[str, str, str, Optional[Tuple[str, ...]]], ...] = (
    (
        "safety",
        "Safety replies",
        "Sent before anything else, whatever the parent asked, when a red-flag pattern "
        "fires: the sign's own reply, else its tier's (see the threshold table).",
        ("safety.yml",),
    ),
    (
        "topics",
        "Topics by file",
        "The answers to parents' questions, by content file.",
        None,
    ),
    (
        "conversation",
        "Conversation",
        "Greetings, help, limits, and the replies to messages the assistant cannot use.",
        ("conversation.yml",),
    ),
    (
        "sms",
        "SMS texts",
        "Texts of the SMS channel: keywords such as STOP and START, and the staff's "
        "check-in after a procedure with the replies to its answers.",
        ("sms.yml",),
    ),
)


def shipped_files(content_dir: Path = CONTENT_DIR) -> Dict[str, str]:
    """answer id -> the content file it ships in (a practice's override keeps its place)."""
    result: Dict[str, str] = {}
    for path in sorted(content_dir.glob("*.yml")):
        if path.name in DATA_FILES or path.name.startswith("sources"):
            continue
        with open(path, encoding="utf-8") as handle:
            raw = yaml.safe_load(handle) or []
        for item in raw if isinstance(raw, list) else []:
            if isinstance(item, dict) and item.get("id") is not None:
                result.setdefault(str(item["id"]), path.name)
    return result


def _procedure_words(knowledge: Knowledge, procedure: str) -> str:
    names: Mapping[str, str] = knowledge.routes.get("procedure_names", {})
    return str(names.get(procedure, procedure))


def routed_intents(knowledge: Knowledge) -> Dict[str, List[str]]:
    """answer id -> the intents routed to it ("ask_definition, about a pulpotomy")."""
    result: DefaultDict[str, List[str]] = defaultdict(list)
    for intent, route in knowledge.routes.get("intents", {}).items():
        if isinstance(route, Mapping):
            for procedure, topic in route.items():
                when = (
                    "before a procedure is named"
                    if procedure == "default"
                    else f"about {_procedure_words(knowledge, str(procedure))}"
                )
                result[str(topic)].append(f"{intent} ({when})")
        elif route:
            result[str(route)].append(str(intent))
    return dict(result)


def other_routes(knowledge: Knowledge) -> Dict[str, List[str]]:
    """answer id -> how else it is sent: input checks, red flags, the "more" intro."""
    result: DefaultDict[str, List[str]] = defaultdict(list)
    for issue, topic in knowledge.routes.get("input_issues", {}).items():
        result[str(topic)].append(f"input check: {issue}")
    for tier in knowledge.thresholds.tiers.values():
        if tier.reply:
            result[str(tier.reply)].append(f"red flag: a sign of the {tier.id} tier")
    for sign in knowledge.thresholds.signs.values():
        if sign.reply:
            result[str(sign.reply)].append(f"red flag: {sign.id} ({sign.tier})")
    more = knowledge.routes.get("more")
    if more:
        result[str(more)].append("a parent asks for more (introduces related topics)")
    return dict(result)


def offered_after(knowledge: Knowledge) -> Dict[str, List[Tuple[str, str]]]:
    """answer id -> (title, id) of the answers that offer it as a button."""
    result: DefaultDict[str, List[Tuple[str, str]]] = defaultdict(list)
    for entry in knowledge.entries.values():
        for related in entry.related:
            result[related].append((entry.title, entry.id))
    return dict(result)


def _procedure_note(knowledge: Knowledge, entry: Entry, reply: Reply) -> Tuple[str, str]:
    """What differs by procedure (the note, the SMS length range), for the default rendering."""
    if reply.procedure:
        words = _procedure_words(knowledge, reply.procedure)
        return f"Always about {words}: it sets the conversation's procedure.", ""
    if PROCEDURE not in entry.chat and PROCEDURE not in entry.sms:
        return "", ""
    names: Mapping[str, str] = knowledge.routes.get("procedure_names", {})
    default = names.get("default", "")
    others = list(dict.fromkeys(f"“{words}”" for words in names.values() if words != default))
    note = f"Names the procedure: shown as sent before one is named (“{default}”)"
    if others:
        note += "; once the conversation is about one, it says " + " or ".join(others)
    note += "."
    lengths = sorted({len(knowledge.fill(entry.sms, key, SMS)) for key in names})
    span = ""
    if len(lengths) > 1:
        span = f"{lengths[0]} to {lengths[-1]} characters depending on the procedure"
    return note, span


def answer(
    knowledge: Knowledge,
    entry: Entry,
    file: str,
    intents: Sequence[str] = (),
    also_sent: Sequence[str] = (),
    offered: Sequence[Tuple[str, str]] = (),
) -> Answer:
    """One answer, rendered as sent before a procedure is named."""
    reply = knowledge.reply(entry.id)
    note, span = _procedure_note(knowledge, entry, reply)
    cited = source_links(knowledge, entry.sources)
    return Answer(
        id=entry.id,
        title=entry.title,
        chat=reply.long_text,
        buttons=tuple(
            Button(title, topic)
            for (title, _), topic in zip(reply.buttons, entry.related, strict=True)
        ),
        source_prefix=reply.source_line.split(":", 1)[0] + ":" if reply.source_line else "",
        sources=tuple(cited),
        sms=reply.sms,
        sms_chars=len(reply.sms),
        sms_segments=segments(reply.sms),
        sms_range=span,
        chat_grade=round(grade(reply.long_text), 1),
        sms_grade=round(grade(reply.sms), 1),
        words=explanation_words(knowledge, entry),
        reviewed=entry.reviewed,
        file=file,
        override_file=entry.file if entry.overridden else "",
        overridden=entry.overridden,
        intents=tuple(intents),
        also_sent=tuple(also_sent),
        offered_after=tuple(offered),
        procedure_note=note,
    )


def spanish_version(knowledge: Knowledge, topic: str) -> Optional[SpanishVersion]:
    """The Spanish wording of an answer, as a Spanish-speaking parent gets it."""
    spanish = knowledge.in_language(ES)
    entry = spanish.entries.get(topic) if spanish is not knowledge else None
    if entry is None:
        return None
    reply = spanish.reply(topic)
    sms = to_gsm7(reply.sms)
    (huerta, szigriszt), _ = spanish_scores(
        [spanish.fill(SAFETY.sub("", entry.chat)), spanish.fill(SAFETY.sub("", entry.sms))]
    )
    return SpanishVersion(
        title=entry.title,
        chat=reply.long_text,
        source_prefix=reply.source_line.split(":", 1)[0] + ":" if reply.source_line else "",
        sms=sms,
        sms_chars=len(sms),
        sms_segments=segments(sms),
        fernandez_huerta=round(huerta),
        szigriszt_pazos=round(szigriszt),
        words=explanation_words(spanish, entry),
    )


def answers(knowledge: Knowledge, content_dir: Path = CONTENT_DIR) -> List[Answer]:
    """Every answer, in the content's order (files by name, entries as written)."""
    files = shipped_files(content_dir)
    intents, others, offered = (
        routed_intents(knowledge),
        other_routes(knowledge),
        offered_after(knowledge),
    )
    return [
        replace(
            answer(
                knowledge,
                entry,
                files.get(key) or Path(entry.file).name,
                intents.get(key, []),
                others.get(key, []),
                offered.get(key, []),
            ),
            spanish=spanish_version(knowledge, key),
        )
        for key, entry in knowledge.entries.items()
    ]


def sections(all_answers: Sequence[Answer]) -> List[Section]:
    """The answers in the report's four sections (empty ones left out)."""
    claimed = {file for *_, files in SECTIONS if files for file in files}
    result = []
    for anchor, title, intro, files in SECTIONS:
        by_file: Dict[str, List[Answer]] = {}
        for item in all_answers:
            if (item.file in files) if files else (item.file not in claimed):
                by_file.setdefault(item.file, []).append(item)
        groups = tuple(
            FileGroup(file, f"file-{Path(file).stem}", tuple(items))
            for file, items in sorted(by_file.items())
        )
        if groups:
            result.append(Section(anchor, title, intro, groups, by_file=files is None))
    return result
