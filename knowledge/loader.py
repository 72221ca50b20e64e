"""Loads, validates and renders the curated answers.

A bad entry stops start-up with the file and the entry named: a missing field,
an unknown related topic, an unknown source (or one with known errors), an
unknown placeholder, sign or practice choice, an answer above grade 8 or over 90
words, or an SMS answer that is too long or not GSM-7 once the practice's details
are filled in. A practice's own wording (its overrides file) is checked the same way.

Placeholders, filled in when an answer is sent:
- `{practice_name}`, `{phone}`, ... : the practice's settings (practice.yml);
- `{procedure_name}`: the procedure the conversation is about;
- `{safety:SIGN,SIGN}` or `{safety:TIER}`: a whole safety sentence rendered from
  the thresholds table (thresholds.yml): the signs' words and the tier's action;
- `{choice:KEY}`: a sentence about what the practice offers (choices.yml).
"""

from __future__ import annotations

import datetime as _dt
import json
import re
import string
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Dict, List, Mapping, Optional, Sequence, Tuple

import yaml

from common.gsm7 import is_gsm7
from common.names import BUTTON_INTENT, FALLBACK_INTENT, URGENT
from common.practice import PracticeError, load_practice, practice_path
from common.thresholds import ThresholdError, Thresholds
from common.thresholds import load as load_thresholds
from knowledge.readability import GRADE_LIMIT, grades

CONTENT_DIR = Path(__file__).resolve().parent / "content"

# Every other *.yml in the content folder is a list of answers.
DATA_FILES = ("routes.yml", "thresholds.yml", "choices.yml")
UNSOURCED_FILES = ("conversation.yml", "sms.yml")  # small talk; every other answer cites
REQUIRED_FIELDS = ("id", "title", "chat", "sms", "related", "sources", "reviewed")
OVERRIDE_FIELDS = ("title", "chat", "sms", "related", "sources")
SMS_LIMIT = 300
CHAT_WORD_LIMIT = 90
SAFETY = re.compile(r"\{safety:([a-z_,\s]+)\}")
CHOICE = re.compile(r"\{choice:([a-z_]+)\}")
CHAT, SMS = "chat", "sms"
# Words that state an urgency; only the thresholds table's sentences may say them.
URGENCY = re.compile(
    r"\b911\b|emergenc|\bER\b|\burgent|same[- ]day|right away|at once|immediately"
    r"|\bcall\b[^.]{0,60}\b(now|today|tonight)\b",
    re.IGNORECASE,
)


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
    overridden: bool = False  # the practice replaced the shipped wording


@dataclass(frozen=True)
class Reply:
    topic: str
    text: str  # chat answer, source line included
    sms: str  # short answer for SMS
    buttons: Tuple[Tuple[str, str], ...] = ()  # (title, payload)
    source_line: str = ""
    procedure: Optional[str] = None  # the procedure this answer is about, if any
    long_text: str = ""  # chat answer without the source line


def _capital(text: str) -> str:
    return text[:1].upper() + text[1:]


def _join_and(items: List[str]) -> str:
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


def button_payload(topic_id: str) -> str:
    return "/" + BUTTON_INTENT + json.dumps({"topic": topic_id}, separators=(",", ":"))


def _placeholders(text: str) -> List[str]:
    return [name for _, name, _, _ in string.Formatter().parse(text) if name is not None]


def _join_or(items: List[str]) -> str:
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " or " + items[-1]


@dataclass
class Knowledge:
    entries: Dict[str, Entry]
    sources: Dict[str, Dict[str, Any]]
    routes: Dict[str, Any]
    practice: Dict[str, Any]
    thresholds: Thresholds
    choices: Dict[str, Dict[str, Any]]

    # --- rendering --------------------------------------------------------
    def safety_sentence(self, names: str, form: str = CHAT) -> str:
        """`{safety:...}` as a sentence: "For <signs>, <the tier's action>." (SMS shorter)."""
        signs = self.safety_signs(names)
        tier = self.thresholds.tiers[signs[0].tier]
        action = tier.sms if form == SMS else tier.chat
        items = [getattr(sign, form) for sign in signs]
        if len(items) > 3:  # a whole tier: one short sentence per sign reads easier
            listed = " ".join(_capital(item) + "." for item in items)
            intro = "for any of these" if form == SMS else "if your child has any of these"
            return f"{_capital(action)} {intro}: {listed}"
        words = _join_or(items)
        if form == SMS:
            return f"{_capital(words)}: {action}."
        return f"For {words}, {action}."

    def safety_signs(self, names: str) -> List[Any]:
        ids = [name.strip() for name in names.split(",") if name.strip()]
        if len(ids) == 1 and ids[0] in self.thresholds.tiers:
            return list(self.thresholds.signs_of(ids[0]))
        return [self.thresholds.signs[i] for i in ids]

    def choice_sentence(self, key: str) -> str:
        """`{choice:KEY}`: what the practice declared it offers, or where to ask."""
        spec = self.choices[key]
        value = (self.practice.get("choices") or {}).get(key)
        if value in (None, "", []):
            return str(spec["unset"])
        if isinstance(value, list):
            names = spec.get("values") or {}
            value = _join_and([str(names.get(v, v)) for v in value])
        text = str(value).strip().replace("{", "{{").replace("}", "}}")
        return str(spec["set"]).replace("{value}", text)

    def fill(self, text: str, procedure: Optional[str] = None, form: str = CHAT) -> str:
        names = self.routes.get("procedure_names", {})
        text = CHOICE.sub(lambda m: self.choice_sentence(m.group(1)), text)
        text = SAFETY.sub(lambda m: self.safety_sentence(m.group(1), form), text)
        values = {
            key: str(value)
            for key, value in self.practice.items()
            if isinstance(value, (str, int, float))
        }
        values = {f"practice_{k}" if k == "name" else k: v for k, v in values.items()}
        values["procedure_name"] = names.get(procedure or "default", names.get("default", ""))
        values["fever"] = self.thresholds.fever.words()
        return " ".join(text.format(**values).split())

    def source_label(self, key: str) -> str:
        """What a parent reads for one source: its real publisher (and a seed's title)."""
        source = self.sources[key]
        if source.get("kind") == "article":
            return f'{source["publisher"]}, "{source["title"]}"'
        return str(source["publisher"])

    def source_line(self, entry: Entry) -> str:
        parts = [self.source_label(key) for key in entry.sources]
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
            sms=self.fill(entry.sms, procedure, SMS),
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

    def red_flag_topic(self, severity: Optional[str], signs: Sequence[str] = ()) -> str:
        """The reply to a red flag: the first fired sign's own answer, else its tier's."""
        for sign_id in signs:
            sign = self.thresholds.signs.get(sign_id)
            if sign is not None and sign.tier == (severity or sign.tier) and sign.reply:
                return sign.reply
        tiers = self.thresholds.tiers
        tier = tiers.get(severity or URGENT)
        return str((tier if tier and tier.reply else tiers[URGENT]).reply)

    def red_flag_topics(self) -> List[str]:
        """Every answer a red flag can get (no "more on this" offered after them)."""
        topics = [t.reply for t in self.thresholds.tiers.values() if t.reply]
        topics += [s.reply for s in self.thresholds.signs.values() if s.reply]
        return [str(t) for t in dict.fromkeys(topics)]

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


def _date(value: Any, where: str) -> _dt.date:
    if isinstance(value, str):
        try:
            value = _dt.date.fromisoformat(value)
        except ValueError as exc:
            raise KnowledgeError(f"{where}: reviewed is not a date") from exc
    if not isinstance(value, _dt.date):
        raise KnowledgeError(f"{where}: reviewed is not a date")
    return value


def _entry(raw: Any, path: Path, index: int, base: Optional[Entry] = None) -> Entry:
    """One answer; with `base`, a practice's override of that shipped answer."""
    if not isinstance(raw, dict):
        raise KnowledgeError(f"{path}: entry #{index + 1} is not a mapping")
    name = raw.get("id", f"#{index + 1}")
    where = f"{path}: entry '{name}'"
    required = ("id", "reviewed") if base else REQUIRED_FIELDS
    missing = [f for f in required if f not in raw or raw[f] is None]
    missing += [
        f for f in ("id", "title", "chat", "sms") if f in raw and not str(raw[f] or "").strip()
    ]
    if missing:
        raise KnowledgeError(f"{where}: missing field(s) {', '.join(sorted(set(missing)))}")
    unknown = set(raw) - set(REQUIRED_FIELDS)
    if unknown:
        raise KnowledgeError(f"{where}: unknown field(s) {', '.join(sorted(unknown))}")
    if base is not None and not set(raw) & set(OVERRIDE_FIELDS):
        raise KnowledgeError(f"{where}: replaces nothing (give chat, sms, title, ...)")
    for list_field in ("related", "sources"):
        if list_field in raw and not isinstance(raw[list_field], list):
            raise KnowledgeError(f"{where}: {list_field} must be a list")

    def pick(field: str) -> Any:
        return raw[field] if field in raw else getattr(base, field)

    return Entry(
        id=str(raw["id"]),
        title=str(pick("title")).strip(),
        chat=str(pick("chat")).strip(),
        sms=str(pick("sms")).strip(),
        related=tuple(map(str, pick("related"))),
        sources=tuple(map(str, pick("sources"))),
        reviewed=_date(raw["reviewed"], where),
        file=str(path) if base else path.name,
        overridden=base is not None,
    )


def _load_practice(path: Optional[Path]) -> Dict[str, Any]:
    try:
        return load_practice(path)
    except PracticeError as exc:
        raise KnowledgeError(str(exc)) from exc


def _check_choices(practice: Dict[str, Any], choices: Dict[str, Any], where: str) -> None:
    declared = practice.get("choices") or {}
    if not isinstance(declared, dict):
        raise KnowledgeError(f"{where}: choices must be a mapping")
    for key, value in declared.items():
        spec = choices.get(key)
        if spec is None:
            raise KnowledgeError(
                f"{where}: choices.{key}: unknown choice (known: {', '.join(sorted(choices))})"
            )
        allowed = spec.get("values")
        if allowed and value not in (None, []):
            values = value if isinstance(value, list) else [value]
            bad = [v for v in values if v not in allowed]
            if bad:
                raise KnowledgeError(
                    f"{where}: choices.{key}: unknown value(s) {bad} (known: {', '.join(allowed)})"
                )
            declared[key] = values
        elif value is not None and not isinstance(value, (str, list)):
            raise KnowledgeError(f"{where}: choices.{key}: must be text or a list of names")
        if value and not is_gsm7(str(value)):
            raise KnowledgeError(f"{where}: choices.{key}: use plain text (SMS is GSM-7)")


def _placeholder_problem(knowledge: Knowledge, text: str) -> Optional[str]:
    """Why `text` cannot be filled in, or None."""
    for match in CHOICE.finditer(text):
        if match.group(1) not in knowledge.choices:
            return f"unknown practice choice '{match.group(0)}'"
    for match in SAFETY.finditer(text):
        try:
            signs = knowledge.safety_signs(match.group(1))
        except KeyError as exc:
            return f"unknown sign {exc} in '{match.group(0)}' (see thresholds.yml)"
        if not signs or len({sign.tier for sign in signs}) != 1:
            return f"'{match.group(0)}' mixes tiers: one placeholder per tier"
    rest = SAFETY.sub("", CHOICE.sub("", text))
    allowed = {"practice_name", "procedure_name", "fever"} | {
        k for k in knowledge.practice if k != "name"
    }
    try:
        names = _placeholders(rest)
    except ValueError as exc:
        return f"broken placeholder: {exc}"
    for name in names:
        if name not in allowed:
            return f"unknown placeholder '{{{name}}}'"
    return None


def explanation_words(knowledge: Knowledge, entry: Entry) -> int:
    """Words of a chat answer besides its safety sentences (those come from the table)."""
    return len(knowledge.fill(SAFETY.sub("", entry.chat)).split())


def _check_entry(knowledge: Knowledge, entry: Entry, where: str) -> List[Tuple[str, str]]:
    """Checks one answer; returns its (form, text) pairs still to be graded."""
    if entry.file not in UNSOURCED_FILES and not entry.sources:
        raise KnowledgeError(f"{where}: no sources")
    for source in entry.sources:
        if source not in knowledge.sources:
            raise KnowledgeError(f"{where}: unknown source '{source}'")
        if knowledge.sources[source].get("known_errors"):
            raise KnowledgeError(
                f"{where}: source '{source}' has known errors "
                f"({knowledge.sources[source]['known_errors']}): cite another"
            )
    for related in entry.related:
        if related not in knowledge.entries:
            raise KnowledgeError(f"{where}: unknown related topic '{related}'")
    for text_field in ("chat", "sms", "title"):
        problem = _placeholder_problem(knowledge, getattr(entry, text_field))
        if problem:
            raise KnowledgeError(f"{where}: {problem} in {text_field}")
        own_words = URGENCY.search(SAFETY.sub("", getattr(entry, text_field)))
        if own_words:
            raise KnowledgeError(
                f"{where}: {text_field} says '{own_words.group(0)}' in its own words; "
                "safety lines come from the thresholds table: use {safety:SIGN}"
            )
    procedures = list(knowledge.routes.get("procedure_names", {})) or [None]
    sms_texts = [knowledge.fill(entry.sms, p, SMS) for p in procedures]
    worst_case = max(sms_texts, key=len)
    if len(worst_case) > SMS_LIMIT:
        raise KnowledgeError(
            f"{where}: SMS answer is {len(worst_case)} characters, over the limit of {SMS_LIMIT}"
        )
    if not is_gsm7(worst_case):
        bad = sorted({c for c in worst_case if not is_gsm7(c)})
        raise KnowledgeError(f"{where}: SMS answer has non-GSM-7 characters {bad!r}")
    chat = knowledge.fill(entry.chat, procedures[0])
    words = explanation_words(knowledge, entry)
    if words > CHAT_WORD_LIMIT:
        raise KnowledgeError(f"{where}: chat answer is {words} words, over {CHAT_WORD_LIMIT}")
    return [("chat", chat), ("sms", worst_case)]


def _validate(knowledge: Knowledge, content_dir: Path) -> None:
    entries, routes = knowledge.entries, knowledge.routes
    thresholds = knowledge.thresholds
    to_grade: List[Tuple[str, str, str]] = []
    for sign in thresholds.signs.values():
        for source in sign.sources:
            if source not in knowledge.sources:
                raise KnowledgeError(
                    f"{content_dir / 'thresholds.yml'}: sign '{sign.id}': unknown source '{source}'"
                )
    for entry in entries.values():
        where = f"{content_dir / entry.file}: entry '{entry.id}'"
        if entry.overridden:
            where = f"{entry.file}: entry '{entry.id}' (the practice's wording)"
        to_grade += [(where, form, text) for form, text in _check_entry(knowledge, entry, where)]
    # Graded together: one read (and at most one write) of the grade cache per load.
    levels = grades(text for _, _, text in to_grade)
    for (where, form, _), level in zip(to_grade, levels, strict=True):
        if level > GRADE_LIMIT:
            raise KnowledgeError(
                f"{where}: {form} answer reads at grade {level:.1f}, above {GRADE_LIMIT:g}"
            )
    intents = routes.get("intents")
    if not isinstance(intents, dict) or not intents:
        raise KnowledgeError(f"{content_dir / 'routes.yml'}: no intents")
    targets = []
    for route in intents.values():
        targets += list(route.values()) if isinstance(route, dict) else [route]
    targets += list(routes.get("input_issues", {}).values())
    targets += list(routes.get("topic_procedure", {})) + [routes.get("more")]
    for target in targets:
        if target not in entries:
            raise KnowledgeError(f"{content_dir / 'routes.yml'}: unknown topic '{target}'")
    for reply in knowledge.red_flag_topics():
        if reply not in entries:
            raise KnowledgeError(f"{content_dir / 'thresholds.yml'}: unknown reply '{reply}'")
    for tier in (URGENT, "emergency"):
        if not thresholds.tiers[tier].reply:
            raise KnowledgeError(f"{content_dir / 'thresholds.yml'}: tier {tier} has no reply")


def _answer_files(content_dir: Path) -> List[Path]:
    return sorted(
        path
        for path in content_dir.glob("*.yml")
        if path.name not in DATA_FILES and not path.name.startswith("sources")
    )


def _load_sources(content_dir: Path) -> Dict[str, Dict[str, Any]]:
    sources: Dict[str, Dict[str, Any]] = {}
    for path in sorted(content_dir.glob("sources*.yml")):
        raw = _read_yaml(path) or {}
        if not isinstance(raw, dict):
            raise KnowledgeError(f"{path}: must be a mapping of source keys")
        for key, value in raw.items():
            if key in sources:
                raise KnowledgeError(f"{path}: source '{key}': defined twice")
            if not isinstance(value, dict) or not str(value.get("publisher") or "").strip():
                raise KnowledgeError(f"{path}: source '{key}': needs a publisher")
            sources[str(key)] = value
    return sources


def _overrides(practice: Dict[str, Any], practice_path: Path) -> Tuple[Path, List[Any]]:
    name = practice.get("overrides")
    if not name:
        return practice_path, []
    path = (practice_path.parent / str(name)).resolve()
    raw = _read_yaml(path) or []
    if not isinstance(raw, list):
        raise KnowledgeError(f"{path}: must be a list of entries")
    return path, raw


def load_knowledge(
    content_dir: Path = CONTENT_DIR, practice_file: Optional[Path] = None
) -> Knowledge:
    """Loads and validates everything; raises KnowledgeError naming file and entry."""
    content_dir = Path(content_dir)
    sources = _load_sources(content_dir)
    routes = _read_yaml(content_dir / "routes.yml") or {}
    choices = _read_yaml(content_dir / "choices.yml") or {}
    try:
        thresholds = load_thresholds(content_dir / "thresholds.yml")
    except ThresholdError as exc:
        raise KnowledgeError(str(exc)) from exc
    entries: Dict[str, Entry] = {}
    for path in _answer_files(content_dir):
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
    practice = _load_practice(practice_file)
    practice_file = practice_path(practice_file)
    _check_choices(practice, choices, str(practice_file))
    override_path, overrides = _overrides(practice, practice_file)
    for index, raw in enumerate(overrides):
        topic = raw.get("id") if isinstance(raw, dict) else None
        if topic not in entries:
            raise KnowledgeError(
                f"{override_path}: entry '{topic or index + 1}': no shipped answer has this id"
            )
        entries[str(topic)] = _entry(raw, override_path, index, base=entries[str(topic)])
    knowledge = Knowledge(
        entries=entries,
        sources=sources,
        routes=routes,
        practice=practice,
        thresholds=thresholds,
        choices=choices,
    )
    _validate(knowledge, content_dir)
    return knowledge
