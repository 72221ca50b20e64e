"""Every answer, SMS text and safety threshold on one page, for the dentist's sign-off.

    python -m addons.staff.content_report [--out FILE] [--practice practice.yml]
    make content-report [OUT=FILE] [PRACTICE=practice.yml]

One self-contained HTML file (inline CSS; no script, font or image; nothing loaded
from anywhere else), meant to be read on a laptop and printed or saved as PDF:
a header with the practice, the counts and a sign-off box (pre-filled from
practice.yml `content_review`); a contents list; the threshold table (each sign's
words, the reply its red flag leads to, its sources and example messages; the
fever threshold); then every answer as a parent sees it, on the web (text,
buttons, linked sources) and by SMS (the exact text, its length and SMS
segments), with its reading grade, word count, review date, content file, what
routes to it, and a badge when the practice replaced the wording.

One module per step:

- `sms`: characters and SMS segments of a GSM-7 text (`segments()`);
- `sources`: cited sources as links, one per label a parent reads (`source_links()`);
- `safety_table`: the tiers and signs of thresholds.yml (`table()`);
- `answers`: every answer rendered and annotated, in sections (`answers()`, `sections()`);
- `render`: the page, from the Jinja2 template `templates/report.html` (autoescaped);
- `cli`: the command line (`main(argv)`), run by `__main__`.
"""

from __future__ import annotations

from addons.staff.content_report.answers import Answer, Section, answers, sections
from addons.staff.content_report.cli import main
from addons.staff.content_report.render import render
from addons.staff.content_report.safety_table import SignRow, TierRow, table
from addons.staff.content_report.sms import segments, septets
from addons.staff.content_report.sources import SourceLink, source_links

__all__ = [
    "Answer",
    "Section",
    "SignRow",
    "SourceLink",
    "TierRow",
    "answers",
    "main",
    "render",
    "sections",
    "segments",
    "septets",
    "source_links",
    "table",
]
