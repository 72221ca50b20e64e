"""Builds the rule-based spaCy pipeline Rasa loads (no download).

Reads spacy_pipeline/entities.yml, writes the entity ruler's JSONL patterns and runs
`spacy assemble` with spacy_pipeline/config.cfg into the output folder.
Usage: python scripts/build_spacy.py OUTPUT_DIR
"""

import json
import subprocess
import sys
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
SOURCE = ROOT / "spacy_pipeline" / "entities.yml"
CONFIG = ROOT / "spacy_pipeline" / "config.cfg"


def patterns(spec: dict):
    for label, values in spec.items():
        for value, phrases in values.items():
            # A one-edit misspelling of one value can be another value's exact word
            # ("pulpetomy" -> pulpectomy is one edit from "pulpotomy"): the fuzzy
            # pattern must never take a word that is exactly another value's.
            others = sorted(
                {
                    str(p).lower()
                    for v, ps in values.items()
                    if v != value
                    for p in ps
                    if len(str(p).split()) == 1
                }
            )
            for phrase in phrases:
                phrase = str(phrase)
                yield {"label": label, "id": value, "pattern": phrase}
                words = phrase.split()
                if len(words) == 1 and len(phrase) >= 6:
                    yield {
                        "label": label,
                        "id": value,
                        "pattern": [{"LOWER": {"FUZZY1": phrase.lower(), "NOT_IN": others}}],
                    }


def main(output: str) -> None:
    out = Path(output)
    out.parent.mkdir(parents=True, exist_ok=True)
    jsonl = out.parent / "entity_patterns.jsonl"
    spec = yaml.safe_load(SOURCE.read_text(encoding="utf-8"))
    with open(jsonl, "w", encoding="utf-8") as handle:
        for item in patterns(spec):
            handle.write(json.dumps(item) + "\n")
    subprocess.run(
        [
            sys.executable,
            "-m",
            "spacy",
            "assemble",
            str(CONFIG),
            str(out),
            "--paths.patterns",
            str(jsonl),
        ],
        check=True,
    )


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else str(ROOT / "build" / "spacy_en_pulpcare"))
