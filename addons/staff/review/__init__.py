"""What parents asked: an HTML report from the tracker store, for a date range.

    python -m addons.staff.review --from 2026-01-01 --to 2026-03-31 [--out FILE] [--show-senders]
    make review FROM=2026-01-01 TO=2026-03-31

One self-contained HTML file (charts embedded as images; nothing is loaded from
anywhere else): conversations and parent messages per week and per channel; the
most asked topics (the `last_topic` slot each answer sets) and intents; red-flag
conversations with what the parent wrote; and the messages the assistant could not
answer (`nlu_fallback`, `out_of_scope`), grouped by the word they share, with the
classifier's closest intent, so the team knows what to add. Senders are shown as a
pseudonym with the last two digits of a phone number unless `--show-senders` is
given, and phone numbers inside messages are masked.

A section "What the practice heard" reads the practice loop's tables on the same
database: red-flag alerts by severity and channel, their deliveries (sent, failed
with the error, pending), callback requests by status, check-ins by status, and
the time to the first staff action where the staff console recorded it; counts
and masked contacts only, never a parent's words or a whole number or address.

One module per step:

- `load`: reads the `events` table of Rasa's SQLTrackerStore (`Message`, `Data`, `load()`);
- `heard`: reads and counts the practice loop's tables (`Heard`, `load_heard()`, `figures()`);
- `group`: per-week counts, asked topics, red-flag conversations, unanswered messages
  grouped by word (`group_unanswered()`);
- `charts`: the matplotlib figures, as base64 PNG (matplotlib imported when drawing);
- `render`: the page, from the Jinja2 template `templates/report.html` (autoescaped);
- `cli`: the command line (`main(argv)`), run by `__main__`.
"""

from __future__ import annotations

from addons.staff.review.charts import charts
from addons.staff.review.cli import main
from addons.staff.review.group import (
    asked_topics,
    group_unanswered,
    per_week,
    red_flag_conversations,
    unanswered,
    week_of,
    weeks,
)
from addons.staff.review.heard import Heard, figures, load_heard
from addons.staff.review.load import UNANSWERED, Data, Message, load
from addons.staff.review.render import render

__all__ = [
    "UNANSWERED",
    "Data",
    "Heard",
    "Message",
    "asked_topics",
    "charts",
    "figures",
    "group_unanswered",
    "load",
    "load_heard",
    "main",
    "per_week",
    "red_flag_conversations",
    "render",
    "unanswered",
    "week_of",
    "weeks",
]
