"""Loads, validates and renders the curated answers.

A bad entry stops start-up with the file and the entry named: a missing field,
an unknown related topic, an unknown source, an unknown placeholder, or an SMS
answer that is too long or not GSM-7 once the practice's details are filled in.
"""

from __future__ import annotations

import datetime as _dt
import json
import string
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Dict, List, Mapping, Optional, Tuple

import yaml

from common.gsm7 import is_gsm7
from common.names import BUTTON_INTENT, FALLBACK_INTENT, URGENT
from common.practice import PracticeError, load_practice

CONTENT_DIR = Path(__file__).resolve().parent / "content"

ANSWER_FILES = ("topics.yml", "conversation.yml", "safety.yml", "sms.yml")
SOURCED_FILES = ("topics.yml", "safety.yml")  # every answer there must cite
REQUIRED_FIELDS = ("id", "title", "chat", "sms", "related", "sources", "reviewed")
SMS_LIMIT = 300


class KnowledgeError(ValueError):
    """The content or the practice settings are not fit to serve."""


@dataclass(frozen=True)
class Entry:
    id: str
    title: str
    chat: str
    sms: str
    related: Tuple[str, ...]
    sources: Tuple[str, ...]
    reviewed: _dt.date
    file: str


@dataclass(frozen=True)
class Reply:
    topic: str
    text: str  # chat answer, source line included
    sms: str  # short answer for SMS
    buttons: Tuple[Tuple[str, str], ...] = ()  # (title, payload)
    source_line: str = ""
    procedure: Optional[str] = None  # the procedure this answer is about, if any
    long_text: str = ""  # chat answer without the source line


def button_payload(topic_id: str) -> str:
    return "/" + BUTTON_INTENT + json.dumps({"topic": topic_id}, separators=(",", ":"))


def _placeholders(text: str) -> List[str]:
    return [name for _, name, _, _ in string.Formatter().parse(text) if name is not None]


@dataclass
class Knowledge:
    entries: Dict[str, Entry]
    sources: Dict[str, Dict[str, Any]]
    routes: Dict[str, Any]
    practice: Dict[str, Any]

    # --- rendering --------------------------------------------------------
    def fill(self, text: str, procedure: Optional[str] = None) -> str:
        names = self.routes.get("procedure_names", {})
        values = {key: str(value) for key, value in self.practice.items()}
        values = {f"practice_{k}" if k == "name" else k: v for k, v in values.items()}
        values["procedure_name"] = names.get(procedure or "default", names.get("default", ""))
        return " ".join(text.format(**values).split())

    def source_line(self, entry: Entry) -> str:
        parts = []
        for key in entry.sources:
            source = self.sources[key]
            if source.get("kind") == "article":
                parts.append(f'{source["publisher"]}, "{source["title"]}"')
            else:
                parts.append(str(source.get("short") or key))
        unique = list(dict.fromkeys(parts))
        return (
            ("Source: " if len(unique) == 1 else "Sources: ") + "; ".join(unique) if unique else ""
        )

    def reply(self, topic_id: str, procedure: Optional[str] = None) -> Reply:
        entry = self.entries[topic_id]
        topic_procedure = self.routes.get("topic_procedure", {}).get(topic_id)
        procedure = topic_procedure or procedure
        body = self.fill(entry.chat, procedure)
        line = self.source_line(entry)
        buttons = tuple((self.entries[r].title, button_payload(r)) for r in entry.related)
        return Reply(
            topic=topic_id,
            text=f"{body}\n\n{line}" if line else body,
            sms=self.fill(entry.sms, procedure),
            buttons=buttons,
            source_line=line,
            procedure=topic_procedure,
            long_text=body,
        )

    # --- routing ----------------------------------------------------------
    def topic_for(self, intent: Optional[str], procedure: Optional[str] = None) -> Optional[str]:
        route = self.routes["intents"].get(intent) if intent else None
        if isinstance(route, Mapping):
            route = route.get(procedure) or route.get("default")
        return str(route) if route else None

    def fallback_topic(self) -> str:
        """The answer to a message that was not understood (always routed)."""
        return str(self.routes["intents"][FALLBACK_INTENT])

    def red_flag_topic(self, severity: Optional[str]) -> str:
        table = self.routes["red_flags"]
        return str(table.get(severity or URGENT, table[URGENT]))

    def input_issue_topic(self, issue: str) -> Optional[str]:
        topic = self.routes.get("input_issues", {}).get(issue)
        return str(topic) if topic else None

    def more_reply(self, last_topic: Optional[str]) -> Reply:
        """Offers the topics related to the last answer (or the main ones) as buttons."""
        intro = self.reply(self.routes["more"])
        related = self.entries[last_topic].related if last_topic in self.entries else ()
        related = related or self.entries[self.routes["more"]].related
        buttons = tuple((self.entries[r].title, button_payload(r)) for r in related)
        return Reply(
            topic=intro.topic,
            text=intro.long_text,
            sms=intro.sms,
            buttons=buttons,
            long_text=intro.long_text,
        )


# --- loading and validation ----------------------------------------------------
def _read_yaml(path: Path) -> Any:
    try:
        with open(path, encoding="utf-8") as handle:
            return yaml.safe_load(handle)
    except FileNotFoundError as exc:
        raise KnowledgeError(f"{path}: file not found") from exc
    except yaml.YAMLError as exc:
        raise KnowledgeError(f"{path}: not valid YAML: {exc}") from exc


def _entry(raw: Any, path: Path, index: int) -> Entry:
    if not isinstance(raw, dict):
        raise KnowledgeError(f"{path}: entry #{index + 1} is not a mapping")
    name = raw.get("id", f"#{index + 1}")
    missing = [f for f in REQUIRED_FIELDS if f not in raw or raw[f] is None]
    missing += [
        f for f in ("id", "title", "chat", "sms") if f in raw and not str(raw[f] or "").strip()
    ]
    if missing:
        raise KnowledgeError(
            f"{path}: entry '{name}': missing field(s) {', '.join(sorted(set(missing)))}"
        )
    reviewed = raw["reviewed"]
    if isinstance(reviewed, str):
        try:
            reviewed = _dt.date.fromisoformat(reviewed)
        except ValueError as exc:
            raise KnowledgeError(f"{path}: entry '{name}': reviewed is not a date") from exc
    if not isinstance(reviewed, _dt.date):
        raise KnowledgeError(f"{path}: entry '{name}': reviewed is not a date")
    for list_field in ("related", "sources"):
        if not isinstance(raw[list_field], list):
            raise KnowledgeError(f"{path}: entry '{name}': {list_field} must be a list")
    return Entry(
        id=str(raw["id"]),
        title=str(raw["title"]).strip(),
        chat=str(raw["chat"]).strip(),
        sms=str(raw["sms"]).strip(),
        related=tuple(map(str, raw["related"])),
        sources=tuple(map(str, raw["sources"])),
        reviewed=reviewed,
        file=path.name,
    )


def _load_practice(path: Optional[Path]) -> Dict[str, object]:
    try:
        return load_practice(path)
    except PracticeError as exc:
        raise KnowledgeError(str(exc)) from exc


def _validate(knowledge: Knowledge, content_dir: Path) -> None:
    entries, routes = knowledge.entries, knowledge.routes
    placeholders = {"practice_name", "procedure_name"} | {
        k for k in knowledge.practice if k != "name"
    }
    for entry in entries.values():
        where = f"{content_dir / entry.file}: entry '{entry.id}'"
        if entry.file in SOURCED_FILES and not entry.sources:
            raise KnowledgeError(f"{where}: no sources")
        for source in entry.sources:
            if source not in knowledge.sources:
                raise KnowledgeError(f"{where}: unknown source '{source}'")
        for related in entry.related:
            if related not in entries:
                raise KnowledgeError(f"{where}: unknown related topic '{related}'")
        for text_field in ("chat", "sms", "title"):
            for name in _placeholders(getattr(entry, text_field)):
                if name not in placeholders:
                    raise KnowledgeError(
                        f"{where}: unknown placeholder '{{{name}}}' in {text_field}"
                    )
        worst_case = max(
            (knowledge.fill(entry.sms, p) for p in routes.get("procedure_names", {})),
            key=len,
            default=knowledge.fill(entry.sms),
        )
        if len(worst_case) > SMS_LIMIT:
            raise KnowledgeError(
                f"{where}: SMS answer is {len(worst_case)} characters, "
                f"over the limit of {SMS_LIMIT}"
            )
        if not is_gsm7(worst_case):
            bad = sorted({c for c in worst_case if not is_gsm7(c)})
            raise KnowledgeError(f"{where}: SMS answer has non-GSM-7 characters {bad!r}")
    intents = routes.get("intents")
    if not isinstance(intents, dict) or not intents:
        raise KnowledgeError(f"{content_dir / 'routes.yml'}: no intents")
    targets = []
    for route in intents.values():
        targets += list(route.values()) if isinstance(route, dict) else [route]
    targets += list(routes.get("red_flags", {}).values()) + list(
        routes.get("input_issues", {}).values()
    )
    targets += list(routes.get("topic_procedure", {})) + [routes.get("more")]
    for target in targets:
        if target not in entries:
            raise KnowledgeError(f"{content_dir / 'routes.yml'}: unknown topic '{target}'")
    for key in ("urgent", "emergency"):
        if key not in routes.get("red_flags", {}):
            raise KnowledgeError(f"{content_dir / 'routes.yml'}: red_flags.{key} missing")


def load_knowledge(
    content_dir: Path = CONTENT_DIR, practice_file: Optional[Path] = None
) -> Knowledge:
    """Loads and validates everything; raises KnowledgeError naming file and entry."""
    content_dir = Path(content_dir)
    sources = _read_yaml(content_dir / "sources.yml") or {}
    routes = _read_yaml(content_dir / "routes.yml") or {}
    entries: Dict[str, Entry] = {}
    for name in ANSWER_FILES:
        path = content_dir / name
        raw_entries = _read_yaml(path) or []
        if not isinstance(raw_entries, list):
            raise KnowledgeError(f"{path}: must be a list of entries")
        for index, raw in enumerate(raw_entries):
            entry = _entry(raw, path, index)
            if entry.id in entries:
                raise KnowledgeError(
                    f"{path}: entry '{entry.id}': duplicate id (also in {entries[entry.id].file})"
                )
            entries[entry.id] = entry
    knowledge = Knowledge(
        entries=entries, sources=sources, routes=routes, practice=_load_practice(practice_file)
    )
    _validate(knowledge, content_dir)
    return knowledge
