"""Deterministic red-flag detection on lemmas.

The classifier may miss a symptom written in an unusual way, so red flags are also
found by hand-written patterns (``red_flags.yml``) over the message's tokens. The
matcher is pure Python: it takes ``(text, lemma)`` pairs from any tokenizer, so it
is tested without Rasa and runs inside the Rasa NLU pipeline unchanged.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Dict, FrozenSet, Iterable, List, Optional, Sequence, Set, Tuple, Union

import yaml

from common.language import fold
from common.names import EMERGENCY, URGENT
from common.thresholds import SEVERITY_ORDER, Thresholds, table

PATTERN_FILE = Path(__file__).with_name("red_flags.yml")
PATTERN_FILE_ES = Path(__file__).with_name("red_flags_es.yml")


# Contractions and run-together negatives parents type, split into what they mean.
_EXPANSIONS: Dict[str, Tuple[str, ...]] = {
    "n't": ("not",),
    "nt": ("not",),
    "ca": ("can",),
    "wo": ("will",),
    "cant": ("can", "not"),
    "cannot": ("can", "not"),
    "wont": ("will", "not"),
    "dont": ("do", "not"),
    "doesnt": ("does", "not"),
    "didnt": ("did", "not"),
    "isnt": ("is", "not"),
    "arent": ("are", "not"),
    "couldnt": ("could", "not"),
    "wouldnt": ("would", "not"),
    "hasnt": ("has", "not"),
    "havent": ("have", "not"),
    "aint": ("is", "not"),
    "wasnt": ("was", "not"),
    "wouldn't": ("would", "not"),
}
_NEGATION_CUES = frozenset({"no", "without", "never", "zero", "nor", "deny", "denies", "none"})
_NEGATION_WITH_NOT = frozenset({"have", "has", "had", "got", "any", "see", "notice"})
_WORD = re.compile(r"\w", re.UNICODE)

Forms = FrozenSet[str]
Element = Union[Tuple[str, FrozenSet[str]], Tuple[str, int]]


@dataclass(frozen=True)
class RedFlag:
    rule: str
    severity: str
    matched: str


@dataclass(frozen=True)
class _Rule:
    id: str
    severity: str
    negatable: bool
    patterns: Tuple[Tuple[Element, ...], ...]
    all_of: bool


def normalise(tokens: Iterable[Tuple[str, Optional[str]]]) -> List[Forms]:
    """Turns (text, lemma) pairs into a list of word-form sets, one per word."""
    words: List[Forms] = []
    for text, lemma in tokens:
        low = (text or "").lower().replace("\u2019", "'")
        if not _WORD.search(low):
            continue  # punctuation does not count as a word between pattern parts
        if low in _EXPANSIONS:
            words.extend(frozenset({part}) for part in _EXPANSIONS[low])
            continue
        forms = {low, low.strip("'.")}
        if lemma:
            forms.add(lemma.lower())
        forms |= {fold(form) for form in forms}  # "hinchazón" is also "hinchazon"
        words.append(frozenset(f for f in forms if f))
    return words


class RedFlagDetector:
    """Finds red-flag symptoms in a tokenised message."""

    def __init__(self, spec: dict, thresholds: Optional[Thresholds] = None) -> None:
        self._table = thresholds or table()
        vocab = {name: value.split("|") for name, value in (spec.get("vocab") or {}).items()}
        # Words that cancel a negatable rule just before it (English by default).
        self._negation = frozenset(str(w) for w in spec.get("negation") or _NEGATION_CUES)
        self._negation_with_not = _NEGATION_WITH_NOT if "negation" not in spec else frozenset()
        self._rules = [self._compile_rule(rule, vocab) for rule in spec["rules"]]

    @classmethod
    def from_file(cls, path: Path = PATTERN_FILE) -> "RedFlagDetector":
        with open(path, encoding="utf-8") as handle:
            return cls(yaml.safe_load(handle))

    def _compile_rule(self, rule: dict, vocab: Dict[str, List[str]]) -> _Rule:
        # A rule is named after a sign of the thresholds table and takes its tier.
        sign = self._table.signs.get(str(rule.get("sign") or rule.get("id")))
        if sign is None or sign.tier not in (EMERGENCY, URGENT):
            raise ValueError(
                f"red flag rule {rule.get('id')!r}: not an emergency or urgent sign "
                "of knowledge/content/thresholds.yml"
            )
        if "severity" in rule:
            raise ValueError(
                f"red flag rule {rule.get('id')!r}: severity comes from the thresholds table"
            )
        raw = rule.get("all") or rule.get("patterns")
        if not raw:
            raise ValueError(f"red flag rule {rule.get('id')!r}: no patterns")
        patterns = tuple(RedFlagDetector._compile_pattern(p, vocab) for p in raw)
        return _Rule(sign.id, sign.tier, bool(rule.get("negatable")), patterns, "all" in rule)

    @staticmethod
    def _compile_pattern(pattern: str, vocab: Dict[str, List[str]]) -> Tuple[Element, ...]:
        elements: List[Element] = []
        for part in pattern.split():
            if re.fullmatch(r"~\d+", part):
                elements.append(("gap", int(part[1:])))
                continue
            options: Set[str] = set()
            for option in part.split("|"):
                if option in vocab:
                    options.update(fold(word) for word in vocab[option])
                elif option.isupper() and option != "#FEVER":
                    raise ValueError(f"unknown vocabulary {option!r} in {pattern!r}")
                else:
                    options.add(fold(option) if option != "#FEVER" else option)
            elements.append(("word", frozenset(options)))
        if elements[0][0] == "gap" or elements[-1][0] == "gap":
            raise ValueError(f"pattern {pattern!r} starts or ends with a gap")
        return tuple(elements)

    # --- matching ---------------------------------------------------------
    def _word_matches(self, options: FrozenSet[str], forms: Forms) -> bool:
        if options & forms:
            return True
        return "#FEVER" in options and any(self._table.fever.is_fever(f) for f in forms)

    def _match_from(self, pattern, words, start) -> Optional[int]:
        """Returns the end index of a match of pattern beginning at words[start]."""

        def walk(p_index: int, w_index: int) -> Optional[int]:
            if p_index == len(pattern):
                return w_index
            kind, value = pattern[p_index]
            if kind == "gap":
                _, options = pattern[p_index + 1]
                for skip in range(value + 1):
                    pos = w_index + skip
                    if pos < len(words) and self._word_matches(options, words[pos]):
                        end = walk(p_index + 2, pos + 1)
                        if end is not None:
                            return end
                return None
            if w_index < len(words) and self._word_matches(value, words[w_index]):
                return walk(p_index + 1, w_index + 1)
            return None

        return walk(0, start)

    def _negated(self, words: Sequence[Forms], start: int) -> bool:
        window = words[max(0, start - 3) : start]
        forms = set().union(*window) if window else set()
        if forms & self._negation:
            return True
        return "not" in forms and bool(forms & self._negation_with_not)

    def _possible(self, pattern, present: FrozenSet[str], fever: bool) -> bool:
        """Whether every word of the pattern is somewhere in the message: most patterns
        are ruled out by this one set check, without walking the message."""
        return all(
            kind == "gap" or bool(value & present) or (fever and "#FEVER" in value)
            for kind, value in pattern
        )

    def _find(self, pattern, words, negatable: bool) -> Optional[str]:
        for start in range(len(words)):
            end = self._match_from(pattern, words, start)
            if end is not None and not (negatable and self._negated(words, start)):
                return " ".join(min(w) for w in words[start:end])
        return None

    def detect(self, tokens: Iterable[Tuple[str, Optional[str]]]) -> List[RedFlag]:
        """All red flags in the message, most severe first."""
        words = normalise(tokens)
        present: FrozenSet[str] = frozenset().union(*words)
        fever = any(self._table.fever.is_fever(form) for form in present)
        found: List[RedFlag] = []
        for rule in self._rules:
            hits = [
                self._find(p, words, rule.negatable) if self._possible(p, present, fever) else None
                for p in rule.patterns
            ]
            if rule.all_of:
                if all(hits):
                    found.append(RedFlag(rule.id, rule.severity, " + ".join(h for h in hits if h)))
            else:
                hit = next((h for h in hits if h), None)
                if hit:
                    found.append(RedFlag(rule.id, rule.severity, hit))
        found.sort(key=lambda flag: -SEVERITY_ORDER[flag.severity])
        return found

    def severity(self, tokens: Iterable[Tuple[str, Optional[str]]]) -> Optional[str]:
        flags = self.detect(tokens)
        return flags[0].severity if flags else None
