"""Scores a trained model on the held-out parent messages (never used in training).

Prints intent accuracy, per-intent precision/recall/F1, out-of-scope precision and
recall, and red-flag recall; writes the same figures as JSON.

Counting rules, stated once:
* accuracy compares the final intent (after the red-flag and input guards, before
  the dialogue) with the label; `nlu_fallback` counts as wrong.
* out-of-scope: the assistant handles a message as out of scope when it does not
  answer it with a topic: final intent `out_of_scope` or `nlu_fallback`.
* red-flag recall: share of red-flag messages whose final intent is report_red_flag.

Usage: python scripts/evaluate_heldout.py [MODEL] [--set FILE ...] [--blind]
(default: every blind set in tests/heldout/, each one and all together; the five
older sets also split-aware, the content set also by red-flag severity)
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
from collections import Counter, defaultdict
from pathlib import Path
from typing import Dict, List, Tuple

os.environ.setdefault("RASA_TELEMETRY_ENABLED", "false")

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # custom components live in the addons package
# Blind sets, written on 2026-11-22 by people who saw neither the training
# data nor any other set; only their figures are ever printed (`--blind`). The two
# earlier held-out sets were retired into data/nlu/retired_evaluation_sets.yml.
HELDOUT_BLIND = ROOT / "tests" / "heldout" / "heldout_blind.yml"
HELDOUT_FINAL = ROOT / "tests" / "heldout" / "heldout_final.yml"
# Two more, written after the model was chosen by cross-validation; each measured
# once with that model, unchanged (set D's 7 messages identical to a training
# example were dropped from it unread, so it is 258 messages, not 265).
HELDOUT_C = ROOT / "tests" / "heldout" / "heldout_c.yml"
HELDOUT_D = ROOT / "tests" / "heldout" / "heldout_d.yml"
# Written while data/nlu/parents_written_2026_11_22.yml was being written by
# someone else; 10 messages identical to a training example dropped unread.
HELDOUT_E = ROOT / "tests" / "heldout" / "heldout_e.yml"
HELDOUT_SETS = (HELDOUT_BLIND, HELDOUT_FINAL, HELDOUT_C, HELDOUT_D, HELDOUT_E)
# On 2026-12-01 (issue 12) questions parents ask next got their own intents, split
# out of older ones; the training examples that moved went from the old intent to
# these. The five sets above were labelled before the split, so they are scored
# twice: strictly, and "split-aware", where predicting an intent split out of the
# label counts as right (the parent gets a narrower answer to the same question).
# The pairs come from the moves, not from reading any blind message.
SPLIT_SETS = HELDOUT_SETS
SPLIT_INTENTS = {
    "ask_aftercare": {"ask_eating", "ask_lip_bite"},
    "ask_antibiotics": {"ask_allergy"},
    "ask_cause": {"ask_dark_tooth"},
    "ask_cost": {"ask_crown_types", "ask_medicaid", "ask_payment"},
    "ask_crown": {"ask_bite_high", "ask_crown_types", "ask_fall_out_normally", "ask_mercury"},
    "ask_filling_material": {"ask_adult_tooth_harm", "ask_formocresol", "ask_mercury"},
    "ask_how_decided": {"ask_no_pain"},
    "ask_safety": {
        "ask_adult_tooth_harm",
        "ask_fall_out_normally",
        "ask_risks",
        "ask_success_rate",
    },
    "ask_sedation": {"ask_after_sedation", "ask_anxious_child", "ask_before_sedation"},
    "ask_untreated": {"ask_due_to_fall_out", "ask_no_pain"},
    "ask_why_not_extract": {"ask_due_to_fall_out", "ask_second_opinion"},
}
# Written 2026-12-01 for issue 12 (new topics, lay names, new red flags) by someone
# who saw no training data; labelled with the new intents.
HELDOUT_CONTENT = ROOT / "tests" / "heldout" / "heldout_content.yml"
# The second set for the new topics (2026-12-01, a fresh writer who saw no training
# data and no other set), with out-of-scope messages; first measured after the
# word-pair features, once.
HELDOUT_CONTENT2 = ROOT / "tests" / "heldout" / "heldout_content2.yml"
# A third (2026-12-01, another fresh writer), first measured after 190 more training
# examples for the six weakest new intents and out-of-scope, once.
HELDOUT_CONTENT3 = ROOT / "tests" / "heldout" / "heldout_content3.yml"
# Issue 13: the Spanish blind set, written by someone who saw no training data.
HELDOUT_ES = ROOT / "tests" / "heldout" / "heldout_es.yml"
ENGLISH_SETS = HELDOUT_SETS + (HELDOUT_CONTENT, HELDOUT_CONTENT2, HELDOUT_CONTENT3)
EVERY_SET = ENGLISH_SETS + (HELDOUT_ES,)
RED_FLAG = "report_red_flag"
OUT_OF_SCOPE = "out_of_scope"
NOT_ANSWERED = {OUT_OF_SCOPE, "nlu_fallback"}


def _english_set(path: Path) -> bool:
    return path.resolve() in {p.resolve() for p in ENGLISH_SETS}


def written_in_spanish(text: str) -> bool:
    """Before issue 13 the English sets labelled a Spanish message `out_of_scope`
    (another language); Spanish is now answered, so such a message (8 of them,
    found by the language detector, not read) is left out of the English figures."""
    from addons.nlu.language import detect
    from common.language import ES, FIRST

    found = detect(text)
    return found.language == ES and found.confidence >= FIRST


def load_examples(path: Path = HELDOUT_BLIND) -> List[Tuple[str, str]]:
    from rasa.shared.nlu.training_data.loading import load_data

    data = load_data(str(path))
    pairs = [(m.get("text"), m.get("intent")) for m in data.intent_examples]
    if _english_set(path):
        pairs = [(t, i) for t, i in pairs if not written_in_spanish(t)]
    return pairs


def load_severities(path: Path) -> List[str]:
    """Each message's expected red-flag severity (intent metadata), "" when none."""
    from rasa.shared.nlu.training_data.loading import load_data

    data = load_data(str(path))
    english = _english_set(path)
    return [
        str(((m.get("metadata") or {}).get("intent") or {}).get("severity") or "")
        for m in data.intent_examples
        if not english or not written_in_spanish(m.get("text"))
    ]


async def predict(model: str, texts: List[str]) -> List[Tuple[str, str]]:
    import logging

    from rasa.core.agent import Agent
    from rasa.utils.log_utils import configure_structlog

    configure_structlog(logging.WARNING)
    logging.getLogger().setLevel(logging.WARNING)
    agent = Agent.load(model)
    results = []
    for text in texts:
        parsed = await agent.parse_message(text)
        severity = next(
            (e["value"] for e in parsed.get("entities", []) if e.get("entity") == "red_flag"),
            "",
        )
        results.append((parsed["intent"]["name"], severity))
    return results


def score(gold: List[str], predicted: List[str]) -> Dict:
    labels = sorted(set(gold))
    per_intent = {}
    for label in labels:
        tp = sum(g == label and p == label for g, p in zip(gold, predicted, strict=False))
        fp = sum(g != label and p == label for g, p in zip(gold, predicted, strict=False))
        fn = sum(g == label and p != label for g, p in zip(gold, predicted, strict=False))
        precision = tp / (tp + fp) if tp + fp else 0.0
        recall = tp / (tp + fn) if tp + fn else 0.0
        f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
        per_intent[label] = {"precision": precision, "recall": recall, "f1": f1, "support": tp + fn}
    oos_gold = [g == OUT_OF_SCOPE for g in gold]
    oos_pred = [p in NOT_ANSWERED for p in predicted]
    oos_tp = sum(g and p for g, p in zip(oos_gold, oos_pred, strict=False))
    red = [(g, p) for g, p in zip(gold, predicted, strict=False) if g == RED_FLAG]
    return {
        "examples": len(gold),
        "accuracy": sum(g == p for g, p in zip(gold, predicted, strict=False)) / len(gold),
        "per_intent": per_intent,
        "out_of_scope_precision": oos_tp / max(1, sum(oos_pred)),
        "out_of_scope_recall": oos_tp / max(1, sum(oos_gold)),
        "red_flag_recall": sum(p == RED_FLAG for _, p in red) / max(1, len(red)),
        "red_flag_support": len(red),
    }


def severity_scores(expected: List[str], predicted: List[str]) -> Dict:
    """Emergencies must get the 911 reply; urgent ones at least "call now"."""
    order = {"": 0, "urgent": 1, "emergency": 2}
    out = {}
    for level in ("emergency", "urgent"):
        rows = [(e, p) for e, p in zip(expected, predicted, strict=True) if e == level]
        out[f"{level}_recall"] = sum(order[p] >= order[e] for e, p in rows) / max(1, len(rows))
        out[f"{level}_support"] = len(rows)
    return out


def split_aware(gold: List[str], predicted: List[str]) -> List[str]:
    """The predictions, with an intent split out of the label read as the label."""
    return [g if p in SPLIT_INTENTS.get(g, ()) else p for g, p in zip(gold, predicted, strict=True)]


def evaluate(model: str, sets=HELDOUT_SETS) -> Tuple[Dict, Dict]:
    """Scores every set, and all of them together under the key "all".

    Returns (scores, predictions): predictions maps each set to its
    (text, label, predicted) triples. The model is loaded once.
    """
    examples = {held_out: load_examples(held_out) for held_out in sets}
    texts = [text for held_out in sets for text, _ in examples[held_out]]
    predicted = iter(asyncio.run(predict(model, texts)))
    scores, predictions, all_gold, all_predicted = {}, {}, [], []
    for held_out in sets:
        pairs = [next(predicted) for _ in examples[held_out]]
        triples = [
            (text, gold, p[0]) for (text, gold), p in zip(examples[held_out], pairs, strict=True)
        ]
        predictions[held_out] = triples
        gold, guessed = [g for _, g, _ in triples], [p for _, _, p in triples]
        scores[held_out] = score(gold, guessed)
        expected = load_severities(held_out)
        if any(expected):
            scores[held_out].update(severity_scores(expected, [p[1] for p in pairs]))
        if held_out in SPLIT_SETS:
            scores[held_out]["split_aware"] = score(gold, split_aware(gold, guessed))
        all_gold += gold
        all_predicted += guessed
    scores["all"] = score(all_gold, all_predicted)
    older = [h for h in sets if h in SPLIT_SETS]
    if len(older) > 1:
        gold = [g for h in older for _, g, _ in predictions[h]]
        guessed = [p for h in older for _, _, p in predictions[h]]
        scores["older"] = score(gold, guessed)
        scores["older"]["split_aware"] = score(gold, split_aware(gold, guessed))
    return scores, predictions


def report(result: Dict, errors: List[Tuple[str, str, str]]) -> str:
    lines = [
        f"held-out messages: {result['examples']}",
        f"intent accuracy:   {result['accuracy']:.1%}",
    ]
    if "split_aware" in result:
        aware = result["split_aware"]
        lines += [
            f"  split-aware:     {aware['accuracy']:.1%}  (out-of-scope recall "
            f"{aware['out_of_scope_recall']:.1%})"
        ]
    lines += [
        f"out-of-scope precision: {result['out_of_scope_precision']:.1%}  "
        f"recall: {result['out_of_scope_recall']:.1%}",
        f"red-flag recall:   {result['red_flag_recall']:.1%} "
        f"({result['red_flag_support']} messages)",
        *(
            [
                f"  at the right severity: emergency {result['emergency_recall']:.1%} "
                f"({result['emergency_support']}), urgent or above "
                f"{result['urgent_recall']:.1%} ({result['urgent_support']})"
            ]
            if "emergency_recall" in result
            else []
        ),
        "",
        "per-intent F1:",
    ]
    for label, row in sorted(result["per_intent"].items()):
        lines.append(
            f"  {label:24s} F1 {row['f1']:.2f}  P {row['precision']:.2f}  "
            f"R {row['recall']:.2f}  n={row['support']}"
        )
    if errors:
        lines += ["", "misclassified (label -> predicted):"]
        confusions = Counter((g, p) for _, g, p in errors)
        by_pair = defaultdict(list)
        for text, g, p in errors:
            by_pair[(g, p)].append(text)
        for (g, p), count in confusions.most_common():
            lines.append(f"  {g} -> {p} ({count}): {by_pair[(g, p)][0][:90]!r}")
    return "\n".join(lines)


def _name(path: Path) -> str:
    return str(path.relative_to(ROOT) if path.is_relative_to(ROOT) else path)


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("model", nargs="?", default=str(ROOT / "models" / "pulpcare.tar.gz"))
    parser.add_argument(
        "--set",
        action="append",
        type=Path,
        default=None,
        help="held-out file; repeat for several (default: every blind set)",
    )
    parser.add_argument(
        "--blind",
        action="store_true",
        help="figures only: the misclassified messages are neither printed nor "
        "saved, so nobody tunes the training data to this set by accident",
    )
    args = parser.parse_args()
    sets = tuple(path.resolve() for path in (args.set or EVERY_SET))
    scores, predictions = evaluate(args.model, sets)
    results = ROOT / "results"
    results.mkdir(parents=True, exist_ok=True)
    for held_out in sets:
        result = scores[held_out]
        errors = [] if args.blind else [t for t in predictions[held_out] if t[1] != t[2]]
        if errors:
            result["errors"] = errors
        print(f"held-out set: {_name(held_out)}")
        if args.blind:
            print("(blind set: misclassified messages are not shown)")
        print(report(result, errors), end="\n\n")
        (results / f"{held_out.stem}.json").write_text(json.dumps(result, indent=2))
    if "older" in scores:
        print("the five sets labelled before 2026-12-01, together:")
        print(report(scores["older"], []), end="\n\n")
        (results / "heldout_older.json").write_text(json.dumps(scores["older"], indent=2))
    if len(sets) > 1:
        print(f"all {len(sets)} sets together:")
        print(report(scores["all"], []))
        (results / "heldout_all.json").write_text(json.dumps(scores["all"], indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
