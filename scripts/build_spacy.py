"""Builds the rule-based spaCy pipelines Rasa loads (no download).

English (`build/spacy_en_pulpcare`): spacy_pipeline/config.cfg and entities.yml.
Spanish (`build/spacy_es_pulpcare`): spacy_pipeline/config_es.cfg and entities_es.yml,
with a trimmed lemma table: spacy-lookups-data's Spanish table has 491,547 word forms
and takes about 200 MB in memory. The build keeps every form whose lemma is the lemma
of a word of this domain (the Spanish training data, the Spanish red-flag patterns
and entity patterns), so "hinchó" still reads as "hinchar", and applies the
corrections of spacy_pipeline/lemmas_es.yml ("muela" is not the verb "moler").

Usage: python scripts/build_spacy.py OUTPUT_DIR [en|es]
"""

import gzip
import json
import re
import subprocess
import sys
from pathlib import Path
from typing import Any, Dict, Iterable, Set

import yaml

ROOT = Path(__file__).resolve().parent.parent
PIPELINE = ROOT / "spacy_pipeline"
SOURCES = {"en": PIPELINE / "entities.yml", "es": PIPELINE / "entities_es.yml"}
CONFIGS = {"en": PIPELINE / "config.cfg", "es": PIPELINE / "config_es.cfg"}
LEMMA_FIXES = PIPELINE / "lemmas_es.yml"
_WORD = re.compile(r"[^\W\d_]+", re.UNICODE)


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


def _domain_words() -> Set[str]:
    """Every word of the Spanish training data and patterns, lower case."""
    texts: Iterable[str] = []
    files = sorted((ROOT / "data" / "nlu" / "es").glob("*.yml"))
    files += [ROOT / "addons" / "nlu" / "red_flags_es.yml", SOURCES["es"]]
    words: Set[str] = set()
    for path in files:
        if path.exists():
            texts = [path.read_text(encoding="utf-8")]
            for text in texts:
                words.update(w.lower() for w in _WORD.findall(text))
    return words


def trimmed_lemmas() -> Dict[str, str]:
    import spacy_lookups_data

    data = Path(spacy_lookups_data.__file__).parent / "data" / "es_lemma_lookup.json.gz"
    with gzip.open(data, "rt", encoding="utf-8") as handle:
        full: Dict[str, str] = json.load(handle)
    fixes = {str(k): str(v) for k, v in (yaml.safe_load(LEMMA_FIXES.read_text()) or {}).items()}
    words = _domain_words()
    lemmas = {fixes.get(w, full.get(w, w)) for w in words}
    kept = {form: lemma for form, lemma in full.items() if lemma in lemmas or form in words}
    kept.update(fixes)
    return kept


def main(output: str, lang: str = "en") -> None:
    out = Path(output)
    out.parent.mkdir(parents=True, exist_ok=True)
    suffix = "" if lang == "en" else f"_{lang}"
    jsonl = out.parent / f"entity_patterns{suffix}.jsonl"
    spec = yaml.safe_load(SOURCES[lang].read_text(encoding="utf-8"))
    with open(jsonl, "w", encoding="utf-8") as handle:
        for item in patterns(spec):
            handle.write(json.dumps(item, ensure_ascii=False) + "\n")
    subprocess.run(
        [
            sys.executable,
            "-m",
            "spacy",
            "assemble",
            str(CONFIGS[lang]),
            str(out),
            "--paths.patterns",
            str(jsonl),
        ],
        check=True,
    )
    if lang == "es":
        import spacy
        from spacy.lookups import Lookups

        nlp = spacy.load(out)
        lookups = Lookups()
        lookups.add_table("lemma_lookup", trimmed_lemmas())
        lemmatizer: Any = nlp.get_pipe("lemmatizer")
        lemmatizer.lookups = lookups
        nlp.to_disk(out)


if __name__ == "__main__":
    main(
        sys.argv[1] if len(sys.argv) > 1 else str(ROOT / "build" / "spacy_en_pulpcare"),
        sys.argv[2] if len(sys.argv) > 2 else "en",
    )
