"""The report page: the figures, counts and groups rendered with `templates/report.html`.

Jinja2 escapes every value (autoescaping); charts are `data:image/png;base64` URIs,
so the page loads nothing from anywhere else. Unless `show_senders`, senders are
shown as a pseudonym with the last two digits of a phone number, and phone numbers
inside messages are masked. The section on what the practice heard (`heard`) always
masks parents and on-call contacts and never shows a parent's words.
"""

from __future__ import annotations

import datetime as dt
import functools
import re
from collections import Counter
from typing import Any, Dict, List, Optional, Sequence

import jinja2

from addons.server.logging_filters import pseudonym
from addons.staff.review import heard as practice
from addons.staff.review.charts import charts
from addons.staff.review.group import (
    asked_topics,
    group_unanswered,
    per_week,
    red_flag_conversations,
    unanswered,
)
from addons.staff.review.heard import CALLBACK, RED_FLAG, FirstAction, Heard
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


def _local(at: dt.datetime) -> str:
    """An aware date-time in the server's local time, as the rest of the report shows."""
    return f"{at.astimezone():%Y-%m-%d %H:%M}"


def _first_action(action: FirstAction) -> str:
    if not action.recorded:
        return "not yet recorded"
    return (
        f"median {practice.duration(action.median)} "
        f"({action.handled} handled, {action.not_handled} not yet handled)"
    )


KIND_NAMES = {RED_FLAG: "red-flag alerts", CALLBACK: "callback alerts"}
MEDIUM_NAMES = {"sms": "SMS", "email": "e-mail"}
CHECKIN_NAMES = {
    "scheduled": "scheduled (still to send)",
    "sent": "sent",
    "skipped": "skipped (opted out)",
    "failed": "failed",
    "cancelled": "cancelled",
}


def _red_flag_table(heard: Heard) -> Dict[str, Any]:
    counts = practice.red_flag_counts(heard)
    found: Counter[str] = Counter()
    for by_severity in counts.values():
        found.update(by_severity)
    severities = practice.ordered(practice.SEVERITIES, found)
    rows = [
        [channel, *(by_severity[s] for s in severities), sum(by_severity.values())]
        for channel, by_severity in sorted(counts.items())
    ]
    rows.append(
        [
            "all channels",
            *(sum(c[s] for c in counts.values()) for s in severities),
            sum(sum(c.values()) for c in counts.values()),
        ]
    )
    return {"headers": ["channel", *severities, "all"], "rows": rows}


def _heard(heard: Optional[Heard]) -> Optional[Dict[str, Any]]:
    """The "What the practice heard" section: counts, masked contacts, no words."""
    if heard is None:
        return None
    flags = practice.red_flags(heard)
    alerted = practice.alerted(heard)
    deliveries = practice.delivery_counts(heard)
    callbacks = practice.callback_counts(heard)
    with_alert, reached = practice.callbacks_alerted(heard)
    checkins = practice.checkin_counts(heard)
    return {
        "red_flags": len(flags),
        "red_flag_table": _red_flag_table(heard),
        "alerted": len(alerted),
        "within_window": len(flags) - len(alerted),
        "alert_action": _first_action(practice.alert_first_action(heard)),
        "deliveries": [
            [
                KIND_NAMES.get(kind, kind),
                *(counts[c] for c in practice.DELIVERY_COLUMNS),
                sum(counts.values()),
            ]
            for kind, counts in deliveries.items()
        ],
        "failures": [
            [
                _local(f.last_attempt),
                f"{f.severity} red flag" if f.kind == RED_FLAG else "callback request",
                _who(f.conversation_id, False),
                MEDIUM_NAMES.get(f.medium, f.medium),
                f.contact,
                f.attempts,
                f.error or "-",
            ]
            for f in practice.failures(heard)
        ],
        "callbacks": len(heard.callbacks),
        "callback_rows": [
            *([s, callbacks[s]] for s in practice.ordered(practice.CALLBACK_STATUSES, callbacks)),
            ["staff alerted", with_alert],
            ["alert delivered to at least one contact", reached],
        ],
        "callback_action": _first_action(practice.callback_first_action(heard)),
        "checkins": len(heard.checkins),
        "checkin_rows": [
            [CHECKIN_NAMES.get(s, s), checkins[s]]
            for s in practice.ordered(practice.CHECKIN_COLUMNS, checkins)
        ],
        "checkin_reasons": practice.checkin_failure_reasons(heard).most_common(),
    }


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
        "heard": _heard(data.heard),
        "heard_error": data.heard_error,
    }
    return environment().get_template(TEMPLATE).render(context)
