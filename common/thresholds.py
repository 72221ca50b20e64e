"""The one table of safety thresholds (`knowledge/content/thresholds.yml`).

What is 911 or the emergency room, what is "call the practice today", what can
wait: the red-flag patterns take each rule's severity from here, and the answers
render every safety sentence from it. Pure data and a reader; no rendering of
practice details (that is the knowledge module's job).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any, Dict, Optional, Tuple

import yaml

from common.names import EMERGENCY, URGENT
from common.paths import THRESHOLDS_FILE

ROUTINE = "routine"
TIERS = (EMERGENCY, URGENT, ROUTINE)  # most serious first
SEVERITY_ORDER = {EMERGENCY: 2, URGENT: 1, ROUTINE: 0}


class ThresholdError(ValueError):
    """The table is not fit to use; the message names the file and the entry."""


@dataclass(frozen=True)
class Tier:
    id: str
    label: str
    chat: str  # the action, as said in a full answer ("call 911 or go to ...")
    sms: str  # the same action in fewer characters
    reply: Optional[str]  # the answer sent when a pattern of this tier fires


@dataclass(frozen=True)
class Sign:
    id: str
    tier: str
    chat: str
    sms: str
    reply: Optional[str]
    sources: Tuple[str, ...]
    examples: Tuple[str, ...] = ()  # parent messages that must reach this tier


@dataclass(frozen=True)
class Fever:
    f: float
    c: float
    max_f: float
    max_c: float

    def is_fever(self, text: str) -> bool:
        """True when a token such as "101.5", "38.5c" or "102f" reads as a fever."""
        match = re.fullmatch(r"(\d{2,3}(?:\.\d+)?)(?:°|º|deg)?([fc])?", text.strip().lower())
        if not match:
            return False
        value, unit = float(match.group(1)), match.group(2)
        if unit == "c" or (unit is None and value < 50):
            return self.c <= value <= self.max_c
        return self.f <= value <= self.max_f

    def words(self) -> str:
        """How the threshold is said: "100.4 F (38 C)"."""
        return f"{_number(self.f)} F ({_number(self.c)} C)"


def _number(value: float) -> str:
    return f"{value:g}"


@dataclass(frozen=True)
class Thresholds:
    fever: Fever
    tiers: Dict[str, Tier]
    signs: Dict[str, Sign]

    def severity(self, sign_id: str) -> str:
        return self.signs[sign_id].tier

    def signs_of(self, tier: str) -> Tuple[Sign, ...]:
        return tuple(s for s in self.signs.values() if s.tier == tier)


def _text(raw: Dict[str, Any], key: str, where: str) -> str:
    value = raw.get(key)
    if not isinstance(value, str) or not value.strip():
        raise ThresholdError(f"{where}: missing {key}")
    return " ".join(value.split())


def parse(spec: Dict[str, Any], path: Path = THRESHOLDS_FILE) -> Thresholds:
    try:
        fever_raw = spec["fever"]
        fever = Fever(
            float(fever_raw["f"]),
            float(fever_raw["c"]),
            float(fever_raw["max_f"]),
            float(fever_raw["max_c"]),
        )
    except (KeyError, TypeError, ValueError) as exc:
        raise ThresholdError(f"{path}: fever needs numbers f, c, max_f and max_c") from exc
    tiers: Dict[str, Tier] = {}
    for tier_id in TIERS:
        raw = (spec.get("tiers") or {}).get(tier_id)
        where = f"{path}: tier '{tier_id}'"
        if not isinstance(raw, dict):
            raise ThresholdError(f"{where}: missing")
        tiers[tier_id] = Tier(
            tier_id,
            _text(raw, "label", where),
            _text(raw, "chat", where),
            _text(raw, "sms", where),
            raw.get("reply"),
        )
    unknown = set(spec.get("tiers") or {}) - set(TIERS)
    if unknown:
        raise ThresholdError(f"{path}: unknown tier(s) {sorted(unknown)}")
    signs: Dict[str, Sign] = {}
    for sign_id, raw in (spec.get("signs") or {}).items():
        where = f"{path}: sign '{sign_id}'"
        if not isinstance(raw, dict) or raw.get("tier") not in TIERS:
            raise ThresholdError(f"{where}: tier must be one of {', '.join(TIERS)}")
        signs[sign_id] = Sign(
            str(sign_id),
            raw["tier"],
            _text(raw, "chat", where),
            _text(raw, "sms", where),
            raw.get("reply"),
            tuple(map(str, raw.get("sources") or ())),
            tuple(map(str, raw.get("examples") or ())),
        )
    return Thresholds(fever, tiers, signs)


def load(path: Path = THRESHOLDS_FILE) -> Thresholds:
    try:
        with open(path, encoding="utf-8") as handle:
            spec = yaml.safe_load(handle)
    except FileNotFoundError as exc:
        raise ThresholdError(f"{path}: file not found") from exc
    except yaml.YAMLError as exc:
        raise ThresholdError(f"{path}: not valid YAML: {exc}") from exc
    if not isinstance(spec, dict):
        raise ThresholdError(f"{path}: must be a mapping")
    return parse(spec, path)


@lru_cache(maxsize=1)
def table() -> Thresholds:
    """The shipped table (read once per process)."""
    return load()
