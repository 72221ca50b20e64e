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
from dataclasses import dataclass, field
from dataclasses import replace as _replace
from pathlib import Path
from typing import Any, Dict, List, Mapping, Optional, Sequence, Tuple

import yaml

from common.gsm7 import is_gsm7, to_gsm7
from common.language import EN, ES
from common.names import BUTTON_INTENT, FALLBACK_INTENT, URGENT
from common.practice import PracticeError, load_practice, practice_path
from common.thresholds import ThresholdError, Thresholds
from common.thresholds import load as load_thresholds
from knowledge.readability import (
    GRADE_LIMIT,
    SPANISH_FERNANDEZ_HUERTA_MIN,
    SPANISH_SZIGRISZT_PAZOS_MIN,
    grades,
    spanish_scores,
)

CONTENT_DIR = Path(__file__).resolve().parent / "content"
SPANISH_DIR_NAME = "es"  # content/es/: the Spanish wording of every answer

# Every other *.yml in the content folder is a list of answers.
DATA_FILES = ("routes.yml", "thresholds.yml", "choices.yml", "language.yml")
UNSOURCED_FILES = ("conversation.yml", "sms.yml")  # small talk; every other answer cites
REQUIRED_FIELDS = ("id", "title", "chat", "sms", "related", "sources", "reviewed")
OVERRIDE_FIELDS = ("title", "chat", "sms", "related", "sources")
SMS_LIMIT = 300  # characters once filled in (in Spanish: once folded to GSM-7)
CHAT_WORD_LIMIT = 90
CHAT_WORD_LIMIT_ES = 110  # Spanish says the same in about a fifth more words
SPANISH_ONLY_PLACEHOLDERS = ("spanish_staff",)
SAFETY = re.compile(r"\{safety:([a-z_,\s]+)\}")
CHOICE = re.compile(r"\{choice:([a-z_]+)\}")
CHAT, SMS = "chat", "sms"
# Words that state an urgency; only the thresholds table's sentences may say them.
URGENCY = re.compile(
    r"\b911\b|emergenc|\bER\b|\burgent|same[- ]day|right away|at once|immediately"
    r"|\bcall\b[^.]{0,60}\b(now|today|tonight)\b",
    re.IGNORECASE,
)
URGENCY_ES = re.compile(
    r"\b911\b|emergenc|urgenc|urgente|de inmediato|inmediatamente|enseguida|ahora mismo"
    r"|el mismo d[ií]a|\bll[aá]me(nos)?\b[^.]{0,60}\b(ahora|hoy|esta noche)\b",
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


@dataclass(frozen=True)
class Phrases:
    """How a language joins words: safety sentences, lists, the source line."""

    source: str = "Source: "
    sources: str = "Sources: "
    and_: str = " and "
    or_: str = " or "
    one_chat: str = "For {signs}, {action}."
    one_sms: str = "{Signs}: {action}."
    list_chat: str = "{Action} if your child has any of these: {listed}"
    list_sms: str = "{Action} for any of these: {listed}"
    fever: str = "{f} F ({c} C)"


def _capital(text: str) -> str:
    return text[:1].upper() + text[1:]


def _join(items: List[str], word: str) -> str:
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + word + items[-1]


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
    thresholds: Thresholds
    choices: Dict[str, Dict[str, Any]]
    language: str = EN
    phrases: Phrases = field(default_factory=Phrases)
    # The same knowledge in the other languages (the Spanish answers), by code.
    translations: Dict[str, "Knowledge"] = field(default_factory=dict, repr=False)

    def in_language(self, language: Optional[str]) -> "Knowledge":
        """This knowledge in `language` (itself for English or an unknown code)."""
        if language == self.language or not language:
            return self
        return self.translations.get(language, self)

    # --- rendering --------------------------------------------------------
    def safety_sentence(self, names: str, form: str = CHAT) -> str:
        """`{safety:...}` as a sentence: "For <signs>, <the tier's action>." (SMS shorter)."""
        signs = self.safety_signs(names)
        tier = self.thresholds.tiers[signs[0].tier]
        action = tier.sms if form == SMS else tier.chat
        items = [getattr(sign, form) for sign in signs]
        phrases = self.phrases
        if len(items) > 3:  # a whole tier: one short sentence per sign reads easier
            listed = " ".join(_capital(item) + "." for item in items)
            template = phrases.list_sms if form == SMS else phrases.list_chat
            return template.format(Action=_capital(action), action=action, listed=listed)
        words = _join(items, phrases.or_)
        template = phrases.one_sms if form == SMS else phrases.one_chat
        return template.format(Signs=_capital(words), signs=words, action=action)

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
            value = _join([str(names.get(v, v)) for v in value], self.phrases.and_)
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
        fever = self.thresholds.fever
        values["fever"] = self.phrases.fever.format(f=f"{fever.f:g}", c=f"{fever.c:g}")
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
        label = self.phrases.source if len(unique) == 1 else self.phrases.sources
        return label + "; ".join(unique) if unique else ""

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
    spanish = knowledge.language == ES
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
    urgency = URGENCY_ES if spanish else URGENCY
    for text_field in ("chat", "sms", "title"):
        problem = _placeholder_problem(knowledge, getattr(entry, text_field))
        if problem:
            raise KnowledgeError(f"{where}: {problem} in {text_field}")
        own_words = urgency.search(SAFETY.sub("", getattr(entry, text_field)))
        if own_words:
            raise KnowledgeError(
                f"{where}: {text_field} says '{own_words.group(0)}' in its own words; "
                "safety lines come from the thresholds table: use {safety:SIGN}"
            )
    procedures = list(knowledge.routes.get("procedure_names", {})) or [None]
    sms_texts = [knowledge.fill(entry.sms, p, SMS) for p in procedures]
    if spanish:  # sent with á, í, ó, ú folded to GSM-7 (common/gsm7.py)
        sms_texts = [to_gsm7(text) for text in sms_texts]
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
    limit = CHAT_WORD_LIMIT_ES if spanish else CHAT_WORD_LIMIT
    if words > limit:
        raise KnowledgeError(f"{where}: chat answer is {words} words, over {limit}")
    if spanish:  # graded without the safety sentences, which are short and fixed
        sms_plain = knowledge.fill(SAFETY.sub("", entry.sms), procedures[0], SMS)
        return [
            ("chat", knowledge.fill(SAFETY.sub("", entry.chat), procedures[0])),
            ("sms", sms_plain),
        ]
    return [("chat", chat), ("sms", worst_case)]


def _grade(to_grade: List[Tuple[str, str, str]], language: str) -> None:
    """Holds every text to its language's readability limits."""
    if language == ES:
        graded = [(w, f, t) for w, f, t in to_grade if t.strip()]
        scores = spanish_scores(text for _, _, text in graded)
        for (where, form, _), (huerta, szigriszt) in zip(graded, scores, strict=True):
            if huerta < SPANISH_FERNANDEZ_HUERTA_MIN or szigriszt < SPANISH_SZIGRISZT_PAZOS_MIN:
                raise KnowledgeError(
                    f"{where}: {form} answer reads at Fernández-Huerta {huerta:.0f} and "
                    f"Szigriszt-Pazos {szigriszt:.0f}; hold it to "
                    f"{SPANISH_FERNANDEZ_HUERTA_MIN:g} and {SPANISH_SZIGRISZT_PAZOS_MIN:g} "
                    "(fairly easy) or more"
                )
        return
    levels = grades(text for _, _, text in to_grade)
    for (where, form, _), level in zip(to_grade, levels, strict=True):
        if level > GRADE_LIMIT:
            raise KnowledgeError(
                f"{where}: {form} answer reads at grade {level:.1f}, above {GRADE_LIMIT:g}"
            )


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
    _grade(to_grade, knowledge.language)
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


def _read_entries(
    folder: Path, where: Path, english: Optional[Dict[str, Entry]] = None
) -> Dict[str, Entry]:
    """Every answer of a content folder; with `english`, the Spanish ones."""
    entries: Dict[str, Entry] = {}
    for path in _answer_files(folder):
        raw_entries = _read_yaml(path) or []
        if not isinstance(raw_entries, list):
            raise KnowledgeError(f"{path}: must be a list of entries")
        for index, raw in enumerate(raw_entries):
            if english is None:
                entry = _entry(raw, path, index)
            else:
                entry = _translated_entry(raw, path, index, english)
            if entry.id in entries:
                raise KnowledgeError(
                    f"{path}: entry '{entry.id}': duplicate id (also in {entries[entry.id].file})"
                )
            entries[entry.id] = entry
    return entries


def _translated_entry(raw: Any, path: Path, index: int, english: Dict[str, Entry]) -> Entry:
    """A Spanish answer: its own title, chat and sms; related and sources from English."""
    if not isinstance(raw, dict):
        raise KnowledgeError(f"{path}: entry #{index + 1} is not a mapping")
    topic = str(raw.get("id") or f"#{index + 1}")
    where = f"{path}: entry '{topic}'"
    base = english.get(topic)
    if base is None:
        raise KnowledgeError(f"{where}: no English answer has this id")
    unknown = set(raw) - {"id", "title", "chat", "sms", "reviewed"}
    if unknown:
        raise KnowledgeError(f"{where}: unknown field(s) {', '.join(sorted(unknown))}")
    missing = [f for f in ("title", "chat", "sms") if not str(raw.get(f) or "").strip()]
    if missing:
        raise KnowledgeError(f"{where}: missing field(s) {', '.join(missing)}")
    if path.name != base.file:
        raise KnowledgeError(f"{where}: belongs in {path.parent / base.file}, as in English")
    return Entry(
        id=topic,
        title=str(raw["title"]).strip(),
        chat=str(raw["chat"]).strip(),
        sms=str(raw["sms"]).strip(),
        related=base.related,
        sources=base.sources,
        reviewed=_date(raw.get("reviewed"), where),
        file=base.file,
    )


def _placeholder_names(text: str) -> List[str]:
    names = [f"safety:{m.group(1).replace(' ', '')}" for m in SAFETY.finditer(text)]
    names += [f"choice:{m.group(1)}" for m in CHOICE.finditer(text)]
    try:
        names += _placeholders(SAFETY.sub("", CHOICE.sub("", text)))
    except ValueError:
        pass  # reported by the entry's own check
    return sorted({n for n in names if n not in SPANISH_ONLY_PLACEHOLDERS})


def _check_pairs(english: Dict[str, Entry], spanish: Dict[str, Entry], folder: Path) -> None:
    """Every answer exists in both languages, with the same placeholders."""
    missing = sorted(set(english) - set(spanish))
    if missing:
        raise KnowledgeError(
            f"{folder}: no Spanish wording for {', '.join(missing)}: "
            "every answer is written in English and Spanish"
        )
    for topic, entry in spanish.items():
        base = english[topic]
        for form in ("chat", "sms"):
            theirs, ours = (
                _placeholder_names(getattr(base, form)),
                _placeholder_names(getattr(entry, form)),
            )
            if theirs != ours:
                raise KnowledgeError(
                    f"{folder / entry.file}: entry '{topic}': the {form} placeholders differ "
                    f"from the English answer ({', '.join(ours) or 'none'} instead of "
                    f"{', '.join(theirs) or 'none'})"
                )


def _spanish_thresholds(thresholds: Thresholds, path: Path) -> Thresholds:
    raw = _read_yaml(path) or {}
    words_of: Dict[str, Dict[str, Any]] = {"tiers": {}, "signs": {}}
    for group, known in (("tiers", thresholds.tiers), ("signs", thresholds.signs)):
        given = raw.get(group) or {}
        if set(given) != set(known):
            gaps = sorted(set(known) ^ set(given))
            raise KnowledgeError(f"{path}: {group} must match thresholds.yml (differ: {gaps})")
        for key, value in given.items():
            needed = ("label", "chat", "sms") if group == "tiers" else ("chat", "sms")
            if not isinstance(value, dict) or any(
                not str(value.get(f) or "").strip() for f in needed
            ):
                raise KnowledgeError(f"{path}: {group[:-1]} '{key}': needs {', '.join(needed)}")
            words_of[group][key] = {f: str(value[f]).strip() for f in needed}
    return Thresholds(
        fever=thresholds.fever,
        tiers={k: _replace(t, **words_of["tiers"][k]) for k, t in thresholds.tiers.items()},
        signs={k: _replace(s, **words_of["signs"][k]) for k, s in thresholds.signs.items()},
    )


def _spanish_choices(choices: Dict[str, Dict[str, Any]], path: Path) -> Dict[str, Dict[str, Any]]:
    raw = _read_yaml(path) or {}
    if set(raw) != set(choices):
        raise KnowledgeError(
            f"{path}: keys must match choices.yml ({sorted(set(raw) ^ set(choices))})"
        )
    for key, spec in raw.items():
        if set((spec.get("values") or {})) != set((choices[key].get("values") or {})):
            raise KnowledgeError(f"{path}: {key}: values must match choices.yml")
        if not spec.get("set") or not spec.get("unset"):
            raise KnowledgeError(f"{path}: {key}: needs set and unset")
    return raw


def _spanish_practice(
    practice: Dict[str, Any], language: Dict[str, Any], where: str
) -> Dict[str, Any]:
    """The practice's details as Spanish answers say them (practice.yml `spanish:`)."""
    given = practice.get("spanish") or {}
    if not isinstance(given, dict):
        raise KnowledgeError(f"{where}: spanish must be a mapping (staff, after_hours, hours)")
    unknown = set(given) - {"staff", "after_hours", "hours"}
    if unknown:
        raise KnowledgeError(f"{where}: spanish: unknown field(s) {', '.join(sorted(unknown))}")
    defaults = language.get("practice") or {}
    out = dict(practice)
    out["after_hours"] = str(given.get("after_hours") or defaults["after_hours"]).strip()
    out["hours"] = str(given.get("hours") or defaults["hours"].format(hours=practice["hours"]))
    staff = defaults["staff_yes"] if given.get("staff") else defaults["staff_no"]
    out["spanish_staff"] = staff.replace("{practice_name}", str(practice["name"]))
    for key in ("after_hours", "hours"):
        if given.get(key) and not is_gsm7(to_gsm7(str(given[key]))):
            raise KnowledgeError(f"{where}: spanish.{key}: use plain text (SMS is GSM-7)")
    return out


def _split_overrides(overrides: List[Any], path: Path) -> Tuple[List[Any], List[Any]]:
    """The practice's wording, English and Spanish (`language: es`); never one alone."""
    english: List[Any] = []
    spanish: List[Any] = []
    for index, raw in enumerate(overrides):
        if not isinstance(raw, dict):
            raise KnowledgeError(f"{path}: entry #{index + 1} is not a mapping")
        raw = dict(raw)
        language = raw.pop("language", EN)
        if language not in (EN, ES):
            raise KnowledgeError(f"{path}: entry '{raw.get('id')}': language must be en or es")
        (spanish if language == ES else english).append(raw)
    ids = {
        lang: {str(r.get("id")) for r in items} for lang, items in ((EN, english), (ES, spanish))
    }
    lonely = sorted(ids[EN] ^ ids[ES])
    if lonely:
        raise KnowledgeError(
            f"{path}: the practice's wording for {', '.join(lonely)} is in one language only: "
            "give it in English and in Spanish (an entry with `language: es`)"
        )
    return english, spanish


def _apply_overrides(entries: Dict[str, Entry], overrides: List[Any], path: Path) -> None:
    for index, raw in enumerate(overrides):
        topic = raw.get("id")
        if topic not in entries:
            raise KnowledgeError(
                f"{path}: entry '{topic or index + 1}': no shipped answer has this id"
            )
        entries[str(topic)] = _entry(raw, path, index, base=entries[str(topic)])


def _spanish(
    english: Knowledge,
    shipped: Dict[str, Entry],
    folder: Path,
    overrides: List[Any],
    override_path: Path,
    where: str,
) -> Knowledge:
    """The Spanish knowledge: `shipped` are the English answers before the
    practice's own wording, which the Spanish ones are checked against."""
    language = _read_yaml(folder / "language.yml") or {}
    entries = _read_entries(folder, folder, shipped)
    _check_pairs(shipped, entries, folder)
    _apply_overrides(entries, overrides, override_path)
    raw_phrases = dict(language.get("phrases") or {})
    if "and" in raw_phrases:
        raw_phrases["and_"] = raw_phrases.pop("and")
    if "or" in raw_phrases:
        raw_phrases["or_"] = raw_phrases.pop("or")
    routes = dict(english.routes)
    names = language.get("procedure_names") or {}
    if set(names) != set(routes.get("procedure_names") or {}):
        raise KnowledgeError(f"{folder / 'language.yml'}: procedure_names must match routes.yml")
    routes["procedure_names"] = names
    return Knowledge(
        entries=entries,
        sources=english.sources,
        routes=routes,
        practice=_spanish_practice(english.practice, language, where),
        thresholds=_spanish_thresholds(english.thresholds, folder / "thresholds.yml"),
        choices=_spanish_choices(english.choices, folder / "choices.yml"),
        language=ES,
        phrases=Phrases(**raw_phrases),
    )


def load_knowledge(
    content_dir: Path = CONTENT_DIR, practice_file: Optional[Path] = None
) -> Knowledge:
    """Loads and validates everything, in English and Spanish; raises KnowledgeError
    naming file and entry. The result is the English knowledge;
    `in_language("es")` gives the Spanish one."""
    content_dir = Path(content_dir)
    sources = _load_sources(content_dir)
    routes = _read_yaml(content_dir / "routes.yml") or {}
    choices = _read_yaml(content_dir / "choices.yml") or {}
    try:
        thresholds = load_thresholds(content_dir / "thresholds.yml")
    except ThresholdError as exc:
        raise KnowledgeError(str(exc)) from exc
    entries = _read_entries(content_dir, content_dir)
    practice = _load_practice(practice_file)
    practice_file = practice_path(practice_file)
    _check_choices(practice, choices, str(practice_file))
    override_path, overrides = _overrides(practice, practice_file)
    english_overrides, spanish_overrides = _split_overrides(overrides, override_path)
    shipped = dict(entries)
    _apply_overrides(entries, english_overrides, override_path)
    knowledge = Knowledge(
        entries=entries,
        sources=sources,
        routes=routes,
        practice=practice,
        thresholds=thresholds,
        choices=choices,
    )
    _validate(knowledge, content_dir)
    spanish_dir = content_dir / SPANISH_DIR_NAME
    spanish = _spanish(
        knowledge, shipped, spanish_dir, spanish_overrides, override_path, str(practice_file)
    )
    _validate(spanish, spanish_dir)
    knowledge.translations[ES] = spanish
    spanish.translations[EN] = knowledge
    return knowledge
