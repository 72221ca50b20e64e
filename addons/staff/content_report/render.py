"""The sign-off page: the header, the contents, the threshold table and every answer,
rendered with the Jinja2 template `templates/report.html`.

Jinja2 escapes every value (autoescaping). The page is one file: its CSS is inline,
it has no script, font or image, and its only links to other hosts are the cited
sources' pages (http(s) addresses only), so it opens offline and prints as is.
"""

from __future__ import annotations

import datetime as dt
import functools
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Dict, Optional

import jinja2

from addons.staff.content_report.answers import answers, sections
from addons.staff.content_report.safety_table import fever_words, table
from knowledge.loader import CHAT_WORD_LIMIT, CONTENT_DIR, SMS_LIMIT, Knowledge
from knowledge.readability import GRADE_LIMIT

TEMPLATE = "report.html"


@dataclass(frozen=True)
class SignOff:
    """Who approved the answers, from practice.yml `content_review` (blank when unset)."""

    dentist: str
    date: str


def sign_off(practice: Dict[str, Any]) -> SignOff:
    review = practice.get("content_review")
    if not isinstance(review, dict):
        review = {}

    def text(key: str) -> str:
        value = review.get(key)
        return "" if value is None else str(value).strip()

    return SignOff(text("dentist"), text("date"))


@functools.lru_cache(maxsize=1)
def environment() -> jinja2.Environment:
    """The Jinja2 environment of the report's template (autoescaping on)."""
    return jinja2.Environment(
        loader=jinja2.PackageLoader("addons.staff.content_report", "templates"),
        autoescape=True,
        trim_blocks=True,
        lstrip_blocks=True,
        undefined=jinja2.StrictUndefined,
    )


def render(
    knowledge: Knowledge,
    practice_file: Optional[Path] = None,
    now: Optional[dt.datetime] = None,
    content_dir: Path = CONTENT_DIR,
) -> str:
    """The report's HTML page (one self-contained file)."""
    all_answers = answers(knowledge, content_dir)
    practice = knowledge.practice
    context = {
        "practice": str(practice.get("name", "")),
        "phone": str(practice.get("phone", "")),
        "practice_file": str(practice_file or ""),
        "made": f"{now or dt.datetime.now():%Y-%m-%d %H:%M}",
        "count": len(all_answers),
        "replaced": sum(1 for a in all_answers if a.overridden),
        "signoff": sign_off(practice),
        "tiers": table(knowledge),
        "fever": fever_words(knowledge),
        "sections": sections(all_answers),
        "limits": {"grade": GRADE_LIMIT, "words": CHAT_WORD_LIMIT, "sms": SMS_LIMIT},
    }
    page: str = environment().get_template(TEMPLATE).render(context)
    return page
