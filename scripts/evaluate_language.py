"""Measures the language detectors on held-out messages of both languages.

English: every blind English held-out set (tests/heldout/, never trained on).
Spanish: the blind Spanish held-out set (tests/heldout/heldout_es.yml) and, with
--spanish-training, the Spanish training examples (the detectors are not trained
on them: lingua ships its own models and the cue words were written beforehand).

Prints, per detector: accuracy per language, how many messages of each language
would set a new conversation's language wrongly (confidence >= FIRST: "en->es set"
is an English message taken for Spanish) and how many would switch an existing
conversation wrongly (>= CLEAR with enough words), memory and time.
Usage: python scripts/evaluate_language.py [--spanish-training] [--no-blind]
"""

from __future__ import annotations

import argparse
import resource
import sys
import time
from pathlib import Path
from typing import List, Tuple

import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from addons.nlu import language as detectors  # noqa: E402
from common.language import CLEAR, CLEAR_WORDS, EN, ES, FIRST  # noqa: E402


def _examples(path: Path) -> List[str]:
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    out = []
    for item in data.get("nlu") or []:
        for line in str(item.get("examples") or "").splitlines():
            line = line.strip()
            if line.startswith("- "):
                out.append(line[2:].strip())
    return out


def messages(spanish_training: bool, blind: bool = True) -> List[Tuple[str, str]]:
    english = [
        p for p in sorted((ROOT / "tests" / "heldout").glob("*.yml")) if p.name != "heldout_es.yml"
    ]
    pairs = [(EN, text) for p in english for text in _examples(p)]
    blind_es = ROOT / "tests" / "heldout" / "heldout_es.yml"
    if blind and blind_es.exists():
        pairs += [(ES, text) for text in _examples(blind_es)]
    if spanish_training:
        pairs += [
            (ES, t) for p in sorted((ROOT / "data/nlu/es").glob("*.yml")) for t in _examples(p)
        ]
    return pairs


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--spanish-training", action="store_true")
    parser.add_argument(
        "--no-blind", action="store_true", help="leave the blind Spanish set out (tuning)"
    )
    args = parser.parse_args()
    pairs = messages(args.spanish_training, blind=not args.no_blind)
    counts = {lang: sum(1 for found, _ in pairs if found == lang) for lang in (EN, ES)}
    print(f"messages: {counts[EN]} English, {counts[ES]} Spanish")
    print(
        f"{'detector':12} {'en acc':>7} {'es acc':>7} {'en->es set':>11} {'es->en set':>11} "
        f"{'wrong switch':>13} {'ms/msg':>7} {'MB':>6}"
    )
    for name in ("cues", "lingua", "lingua_high", "combined"):
        before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        detectors.detect("warm up", name)
        grown = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) / 1024
        right = {EN: 0, ES: 0}
        wrong_first = {EN: 0, ES: 0}
        wrong_switch = 0
        start = time.perf_counter()
        for lang, text in pairs:
            found = detectors.detect(text, name)
            right[lang] += found.language == lang
            wrong = found.language != lang and not found.mixed
            if wrong and found.confidence >= FIRST:
                wrong_first[lang] += 1
            if wrong and found.confidence >= CLEAR and found.words >= CLEAR_WORDS:
                wrong_switch += 1
        ms = (time.perf_counter() - start) * 1000 / max(1, len(pairs))
        acc = {k: right[k] / counts[k] if counts[k] else float("nan") for k in right}
        print(
            f"{name:12} {acc[EN]:7.1%} {acc[ES]:7.1%} {wrong_first[EN]:11d} {wrong_first[ES]:11d} "
            f"{wrong_switch:13d} {ms:7.3f} {grown:6.0f}"
        )


if __name__ == "__main__":
    main()
