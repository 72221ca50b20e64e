"""The report page: the figures, counts and groups rendered with `templates/report.html`.

Jinja2 escapes every value (autoescaping); charts are `data:image/png;base64` URIs,
so the page loads nothing from anywhere else. Unless `show_senders`, senders are
shown as a pseudonym with the last two digits of a phone number, and phone numbers
inside messages are masked.
"""

from __future__ import annotations

import datetime as dt
import functools
import re
from collections import Counter
from typing import Any, Dict, List, Sequence

import jinja2

from addons.server.logging_filters import pseudonym
from addons.staff.review.charts import charts
from addons.staff.review.group import (
    asked_topics,
    group_unanswered,
    per_week,
    red_flag_conversations,
    unanswered,
)
from addons.staff.review.load import Data, Message
from common.conversations import split
from common.phones import last_digits, mask_phones_in

TEMPLATE = "report.html"
MAX_EXAMPLES = 8  # messages shown per group of unanswered messages


@functools.lru_cache(maxsize=1)
def environment() -> jinja2.Environment:
    """The Jinja2 environment of the report's templates (autoescaping on)."""
    return jinja2.Environment(
        loader=jinja2.PackageLoader("addons.staff.review", "templates"),
        autoescape=True,
        trim_blocks=True,
        lstrip_blocks=True,
        undefined=jinja2.StrictUndefined,
    )


def _who(sender: str, show: bool) -> str:
    if show:
        return sender
    # An SMS conversation (`sms:+1...`; an unmigrated bare number too) shows the
    # number's last digits, the one masking rule (common.phones).
    own = split(sender)[1]
    digits = re.sub(r"\D", "", own)
    phone = own.lstrip("+").isdigit() and len(digits) >= 7
    return pseudonym(sender) + (f" (phone ...{last_digits(own)})" if phone else "")


def _text(text: str, show: bool) -> str:
    return text if show else mask_phones_in(text)


def _weekly_rows(data: Data) -> Dict[str, Any]:
    all_weeks, channels, conversations, messages = per_week(data)
    rows = [
        [f"{week:%Y-%m-%d}"]
        + [f"{conversations[c][i]} / {messages[c][i]}" for c in channels]
        + [
            f"{sum(conversations[c][i] for c in channels)} / "
            f"{sum(messages[c][i] for c in channels)}"
        ]
        for i, week in enumerate(all_weeks)
    ]
    return {"headers": ["week starting", *channels, "all channels"], "rows": rows}


def _red_flag_rows(data: Data, show: bool) -> List[Dict[str, Any]]:
    rows = []
    red = red_flag_conversations(data)
    for flagged in sorted(red.values(), key=lambda messages: messages[0].when):
        first = flagged[0]
        rows.append(
            {
                "when": f"{first.when:%Y-%m-%d %H:%M}",
                "channel": first.channel,
                "who": _who(first.sender, show),
                "severity": ", ".join(sorted({m.red_flag for m in flagged if m.red_flag})) or "-",
                "said": [_text(m.text, show) for m in flagged],
            }
        )
    return rows


def _groups(messages: Sequence[Message], show: bool) -> List[Dict[str, Any]]:
    result = []
    for group in group_unanswered(messages):
        if group["other"]:
            about = "not grouped"
        else:
            about = f"“{group['terms'][0]}”" if group["terms"] else "the same message"
        nearest = ", ".join(f"{k} ({n})" for k, n in group["nearest"].most_common(3))
        result.append(
            {
                "about": about,
                "count": group["count"],
                "kinds": ", ".join(f"{n} {k}" for k, n in group["kinds"].most_common()),
                "nearest": nearest or "-",
                "examples": [
                    (_text(text, show), n) for text, n in group["examples"][:MAX_EXAMPLES]
                ],
                "more": len(group["examples"]) - MAX_EXAMPLES,
            }
        )
    return result


def render(data: Data, show_senders: bool = False, source: str = "") -> str:
    """The report's HTML page (one self-contained file)."""
    from addons.server import replies

    knowledge = replies.knowledge()
    titles = {key: entry.title for key, entry in knowledge.entries.items()}
    asked = asked_topics(data, {key: entry.file for key, entry in knowledge.entries.items()})
    red = _red_flag_rows(data, show_senders)
    not_answered = unanswered(data)
    channels = {m.channel for m in data.messages}
    intents = Counter(m.intent or "unknown" for m in data.messages)
    context = {
        "start": data.start,
        "end": data.end,
        "practice": knowledge.practice.get("name", ""),
        "made": f"{dt.datetime.now():%Y-%m-%d %H:%M}",
        "source": source,
        "cards": [
            ("conversations", len({m.conversation for m in data.messages})),
            ("parent messages", len(data.messages)),
            ("red-flag conversations", len(red)),
            ("messages not answered", len(not_answered)),
            ("channels", len(channels)),
        ],
        "images": charts(data, titles, asked),
        "weekly": _weekly_rows(data),
        "topics": [
            (titles.get(t, t), n, len(data.topic_conversations[t]))
            for t, n in asked.most_common(25)
        ],
        "intents": intents.most_common(),
        "red_flags": red,
        "groups": _groups(not_answered, show_senders),
    }
    return environment().get_template(TEMPLATE).render(context)
