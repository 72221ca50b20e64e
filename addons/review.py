"""What parents asked: an HTML report from the tracker store, for a date range.

    python -m addons.review --from 2026-01-01 --to 2026-03-31 [--out FILE] [--show-senders]
    make review FROM=2026-01-01 TO=2026-03-31

Reads the `events` table of Rasa's SQLTrackerStore (`DATABASE_URL`, or the
SQLite file) and writes one self-contained HTML file (charts drawn with
matplotlib and embedded as images; nothing is loaded from anywhere else):

* conversations and parent messages per week and per channel;
* the most asked topics (the `last_topic` slot each answer sets) and intents;
* red-flag conversations (intent `report_red_flag`) with what the parent wrote;
* the messages the assistant could not answer (`nlu_fallback`, `out_of_scope`),
  grouped by the word they share (identical messages together, then the
  content word found in the most of them, and so on), with the classifier's
  closest intent, so the team knows what to add.

A conversation is a Rasa session: a sender's messages until two hours of
silence. Dates are the server's local time; a day range is inclusive. Senders
are shown as a pseudonym with the last two digits of a phone number unless
`--show-senders` is given, and phone numbers inside messages are masked.
"""
from __future__ import annotations

import argparse
import base64
import datetime as dt
import html
import io
import json
import re
import sys
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Dict, Iterable, List, Optional, Sequence, Tuple

ROOT = Path(__file__).resolve().parent.parent
RED_FLAG = "report_red_flag"
UNANSWERED = {"nlu_fallback": "not understood", "out_of_scope": "out of scope"}
SESSION_START = "action_session_start"
MAX_GROUPED_TEXTS = 3000


@dataclass
class Message:
    sender: str
    conversation: Tuple[str, int]
    when: dt.datetime
    channel: str
    text: str
    intent: Optional[str]
    nearest: Optional[str]          # best intent other than the fallback, if any
    red_flag: Optional[str]


@dataclass
class Data:
    start: dt.date
    end: dt.date
    messages: List[Message] = field(default_factory=list)
    topics: Counter = field(default_factory=Counter)              # topic -> answers
    topic_conversations: Dict[str, set] = field(default_factory=lambda: defaultdict(set))


# --- reading ------------------------------------------------------------------

def _ts(day: dt.date, end: bool = False) -> float:
    moment = dt.datetime.combine(day, dt.time.max if end else dt.time.min)
    return moment.timestamp()


def _nearest(parse: Dict[str, Any]) -> Optional[str]:
    for item in parse.get("intent_ranking") or []:
        name = item.get("name")
        if name and name not in UNANSWERED and name != RED_FLAG:
            return name
    return None


def load(start: dt.date, end: dt.date, url: Optional[str] = None) -> Data:
    import sqlalchemy as sa

    from addons import database

    data = Data(start=start, end=end)
    engine = database.engine(url)
    events = database.events_table()
    try:
        if not sa.inspect(engine).has_table("events", schema=events.schema):
            return data
        query = (sa.select(events.c.sender_id, events.c.type_name, events.c.timestamp,
                           events.c.action_name, events.c.data)
                 .where(events.c.timestamp >= _ts(start), events.c.timestamp <= _ts(end, True),
                        sa.or_(events.c.type_name.in_(("user", "slot", "session_started")),
                               sa.and_(events.c.type_name == "action",
                                       events.c.action_name == SESSION_START)))
                 .order_by(events.c.sender_id, events.c.id))
        with engine.connect() as connection:
            rows = connection.execute(query)
            sender, session, carried = None, 0, False
            for row in rows:
                if row.sender_id != sender:
                    sender, session, carried = row.sender_id, 0, False
                if row.type_name == "action":
                    session += 1
                    continue
                if row.type_name == "session_started":
                    carried = True        # slots re-set at a session start are not answers
                    continue
                try:
                    event = json.loads(row.data or "{}")
                except ValueError:
                    continue
                key = (sender, session)
                if row.type_name == "user":
                    carried = False
                    parse = event.get("parse_data") or {}
                    intent = (parse.get("intent") or {}).get("name")
                    channel = event.get("input_channel") or "unknown"
                    flags = [e.get("value") for e in parse.get("entities") or []
                             if e.get("entity") == "red_flag"]
                    data.messages.append(Message(
                        sender=sender, conversation=key,
                        when=dt.datetime.fromtimestamp(row.timestamp), channel=channel,
                        text=event.get("text") or "", intent=intent, nearest=_nearest(parse),
                        red_flag=flags[0] if flags else None))
                elif row.type_name == "slot" and event.get("name") == "last_topic" and not carried:
                    value = event.get("value")
                    if value:
                        data.topics[value] += 1
                        data.topic_conversations[value].add(key)
    finally:
        engine.dispose()
    return data


# --- figures ------------------------------------------------------------------

def week_of(day: dt.date) -> dt.date:
    return day - dt.timedelta(days=day.weekday())


def weeks(start: dt.date, end: dt.date) -> List[dt.date]:
    first, result = week_of(start), []
    while first <= end:
        result.append(first)
        first += dt.timedelta(days=7)
    return result


def per_week(data: Data) -> Tuple[List[dt.date], List[str], Dict[str, List[int]], Dict[str, List[int]]]:
    """weeks, channels, conversations[channel][week], messages[channel][week]."""
    all_weeks = weeks(data.start, data.end)
    index = {w: i for i, w in enumerate(all_weeks)}
    channels = sorted({m.channel for m in data.messages})
    conversations = {c: [0] * len(all_weeks) for c in channels}
    messages = {c: [0] * len(all_weeks) for c in channels}
    first_seen: Dict[Tuple[str, int], Message] = {}
    for message in data.messages:
        messages[message.channel][index[week_of(message.when.date())]] += 1
        first_seen.setdefault(message.conversation, message)
    for message in first_seen.values():
        conversations[message.channel][index[week_of(message.when.date())]] += 1
    return all_weeks, channels, conversations, messages


# Words too common here to say what a message is about.
_DOMAIN_STOP = set("""
tooth teeth dentist dental child children kid kids son daughter baby babies boy girl
get got can could will would need needs know want like does did just really also
hi hello hey thanks thank please pls okay ok yes question ask tell say
""".split())


def _stem(word: str) -> str:
    for suffix in ("ing", "ed"):
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            return word[: -len(suffix)]
    if word.endswith("s") and not word.endswith("ss") and len(word) > 4:
        return word[:-1]
    return word


def _keywords(text: str) -> Dict[str, str]:
    """stem -> the word as written, for the content words of a message."""
    from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS

    words = re.findall(r"[a-z][a-z']+", text.lower())
    result: Dict[str, str] = {}
    for word in words:
        word = word.strip("'")
        if len(word) < 3 or word in ENGLISH_STOP_WORDS or word in _DOMAIN_STOP:
            continue
        result.setdefault(_stem(word), word)
    return result


def group_unanswered(messages: Sequence[Message]) -> List[Dict[str, Any]]:
    """Groups unanswered messages by the word they share; biggest group first.

    Identical messages (case and punctuation aside) count together. Then, again
    and again, the content word found in the most remaining messages (at least
    two) makes a group of all the messages that contain it; what is left is
    listed as "not grouped"."""
    texts: Dict[str, Dict[str, Any]] = {}
    for message in messages:
        norm = " ".join(re.sub(r"[^\w\s']", " ", message.text.lower()).split())
        item = texts.setdefault(norm, {"text": message.text.strip(), "count": 0,
                                       "kinds": Counter(), "nearest": Counter()})
        item["count"] += 1
        item["kinds"][UNANSWERED.get(message.intent or "", message.intent)] += 1
        if message.nearest:
            item["nearest"][message.nearest] += 1
    items = sorted(texts.values(), key=lambda t: (-t["count"], t["text"]))[:MAX_GROUPED_TEXTS]
    for item in items:
        item["keywords"] = _keywords(item["text"])
    groups: List[Dict[str, Any]] = []
    left = list(items)
    while left:
        weight: Counter = Counter()
        spelled: Dict[str, Counter] = defaultdict(Counter)
        for item in left:
            for stem, word in item["keywords"].items():
                weight[stem] += item["count"]
                spelled[stem][word] += item["count"]
        best = min(((stem, n) for stem, n in weight.items() if n >= 2),
                   key=lambda sn: (-sn[1], sn[0]), default=None)
        members = ([i for i in left if best[0] in i["keywords"]] if best
                   else [i for i in left if i["count"] >= 2])
        if not members:
            break
        label = spelled[best[0]].most_common(1)[0][0] if best else None
        groups.append(_group(members, [label] if label else []))
        left = [i for i in left if i not in members]
    if left:
        groups.append(_group(left, [], other=True))
    groups.sort(key=lambda g: (g["other"], -g["count"], g["examples"][0][0]))
    return groups


def _group(items: Sequence[Dict[str, Any]], terms: List[str], other: bool = False) -> Dict[str, Any]:
    group = {"count": 0, "kinds": Counter(), "nearest": Counter(), "terms": terms,
             "examples": [], "other": other}
    for item in items:
        group["count"] += item["count"]
        group["kinds"].update(item["kinds"])
        group["nearest"].update(item["nearest"])
        group["examples"].append((item["text"], item["count"]))
    group["examples"].sort(key=lambda e: (-e[1], e[0]))
    return group


def _png(figure) -> str:
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=110, bbox_inches="tight")
    import matplotlib.pyplot as plt

    plt.close(figure)
    return base64.b64encode(buffer.getvalue()).decode("ascii")


def charts(data: Data, titles: Dict[str, str], asked: Counter) -> Dict[str, str]:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    all_weeks, channels, conversations, messages = per_week(data)
    labels = [w.strftime("%d %b") for w in all_weeks]
    result = {}
    for key, series, title in (("conversations", conversations, "Conversations per week"),
                               ("messages", messages, "Parent messages per week")):
        figure, axis = plt.subplots(figsize=(8, 3.2))
        bottom = [0] * len(all_weeks)
        for channel in channels:
            axis.bar(labels, series[channel], bottom=bottom, label=channel)
            bottom = [b + v for b, v in zip(bottom, series[channel])]
        axis.set_title(title)
        axis.set_xlabel("week starting")
        axis.yaxis.get_major_locator().set_params(integer=True)
        if channels:
            axis.legend(title="channel", fontsize=8)
        axis.tick_params(axis="x", labelrotation=45, labelsize=8)
        result[key] = _png(figure)
    top = asked.most_common(12)
    figure, axis = plt.subplots(figsize=(8, 0.35 * max(len(top), 3) + 1))
    axis.barh([titles.get(t, t) for t, _ in reversed(top)], [n for _, n in reversed(top)],
              color="#4c72b0")
    axis.set_title("Most asked topics (answers given)")
    axis.xaxis.get_major_locator().set_params(integer=True)
    result["topics"] = _png(figure)
    unanswered = {kind: [0] * len(all_weeks) for kind in UNANSWERED}
    index = {w: i for i, w in enumerate(all_weeks)}
    for message in data.messages:
        if message.intent in UNANSWERED:
            unanswered[message.intent][index[week_of(message.when.date())]] += 1
    figure, axis = plt.subplots(figsize=(8, 3))
    bottom = [0] * len(all_weeks)
    for kind, series in unanswered.items():
        axis.bar(labels, series, bottom=bottom, label=UNANSWERED[kind])
        bottom = [b + v for b, v in zip(bottom, series)]
    axis.set_title("Messages not answered per week")
    axis.yaxis.get_major_locator().set_params(integer=True)
    axis.legend(fontsize=8)
    axis.tick_params(axis="x", labelrotation=45, labelsize=8)
    result["unanswered"] = _png(figure)
    return result


# --- HTML ---------------------------------------------------------------------

def _e(value: Any) -> str:
    return html.escape(str(value), quote=True)


def _who(sender: str, show: bool) -> str:
    if show:
        return sender
    from addons.logging_filters import pseudonym

    digits = re.sub(r"\D", "", sender)
    tail = f" (phone ...{digits[-2:]})" if sender.lstrip("+").isdigit() and len(digits) >= 7 else ""
    return pseudonym(sender) + tail


def _text(text: str, show: bool) -> str:
    if show:
        return text
    from addons.logging_filters import _PHONE, mask_phone

    return _PHONE.sub(lambda m: mask_phone(m.group(0)), text)


def _table(headers: Sequence[str], rows: Iterable[Sequence[Any]], raw: Sequence[int] = ()) -> str:
    head = "".join(f"<th>{_e(h)}</th>" for h in headers)
    body = "".join("<tr>" + "".join(f"<td>{cell if i in raw else _e(cell)}</td>"
                                    for i, cell in enumerate(row)) + "</tr>" for row in rows)
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


STYLE = """
body{font-family:system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:2rem auto;max-width:60rem;
color:#222;padding:0 1rem}h1{font-size:1.6rem}h2{margin-top:2.2rem;border-bottom:1px solid #ddd}
table{border-collapse:collapse;width:100%;margin:.8rem 0;font-size:.9rem}th,td{border:1px solid #ddd;
padding:.35rem .5rem;text-align:left;vertical-align:top}th{background:#f4f4f4}.num{text-align:right}
.cards{display:flex;gap:1rem;flex-wrap:wrap}.card{border:1px solid #ddd;border-radius:.4rem;
padding:.6rem 1rem;min-width:9rem}.card b{display:block;font-size:1.5rem}img{max-width:100%}
.muted{color:#666;font-size:.85rem}.group{border:1px solid #ddd;border-radius:.4rem;padding:.5rem 1rem;
margin:.8rem 0}.group h3{margin:.3rem 0;font-size:1rem}
"""


def render(data: Data, show_senders: bool = False, source: str = "") -> str:
    from addons import replies

    knowledge = replies.knowledge()
    titles = {key: entry.title for key, entry in knowledge.entries.items()}
    practice = knowledge.practice.get("name", "")
    # Topics parents ask about: the answers of topics.yml (not greetings, fallbacks,
    # red-flag replies, which have their own sections).
    asked = Counter({topic: n for topic, n in data.topics.items()
                     if topic not in knowledge.entries or knowledge.entries[topic].file == "topics.yml"})
    images = charts(data, titles, asked)
    all_weeks, channels, conversations, messages = per_week(data)
    conversation_keys = {m.conversation for m in data.messages}
    red = defaultdict(list)
    for message in data.messages:
        if message.intent == RED_FLAG:
            red[message.conversation].append(message)
    unanswered = [m for m in data.messages if m.intent in UNANSWERED]
    groups = group_unanswered(unanswered)

    parts = [f"<!doctype html><html lang='en'><head><meta charset='utf-8'>"
             f"<meta name='viewport' content='width=device-width,initial-scale=1'>"
             f"<title>Assistant review {data.start} to {data.end}</title><style>{STYLE}</style>"
             f"</head><body>",
             f"<h1>What parents asked the assistant: {_e(practice)}</h1>",
             f"<p class='muted'>{_e(data.start)} to {_e(data.end)} (inclusive, server local time). "
             f"Made {dt.datetime.now():%Y-%m-%d %H:%M} from {_e(source)}.</p>",
             "<div class='cards'>"]
    for label, value in (("conversations", len(conversation_keys)),
                         ("parent messages", len(data.messages)),
                         ("red-flag conversations", len(red)),
                         ("messages not answered", len(unanswered)),
                         ("channels", len(channels))):
        parts.append(f"<div class='card'><b>{value}</b>{_e(label)}</div>")
    parts.append("</div>")

    parts.append("<h2 id='weekly'>Conversations and messages per week</h2>")
    parts.append(f"<img alt='Conversations per week by channel' src='data:image/png;base64,{images['conversations']}'>")
    parts.append(f"<img alt='Messages per week by channel' src='data:image/png;base64,{images['messages']}'>")
    rows = []
    for i, week in enumerate(all_weeks):
        rows.append([f"{week:%Y-%m-%d}"]
                    + [f"{conversations[c][i]} / {messages[c][i]}" for c in channels]
                    + [f"{sum(conversations[c][i] for c in channels)} / "
                       f"{sum(messages[c][i] for c in channels)}"])
    parts.append("<p class='muted'>conversations / messages</p>")
    parts.append(_table(["week starting", *channels, "all channels"], rows))

    parts.append("<h2 id='topics'>Most asked topics</h2>")
    if asked:
        parts.append(f"<img alt='Most asked topics' src='data:image/png;base64,{images['topics']}'>")
        parts.append(_table(["topic", "answers", "conversations"],
                            [(titles.get(t, t), n, len(data.topic_conversations[t]))
                             for t, n in asked.most_common(25)]))
    else:
        parts.append("<p>No answers in this period.</p>")
    intents = Counter(m.intent or "unknown" for m in data.messages)
    parts.append("<details><summary>Intents (what the classifier read)</summary>")
    parts.append(_table(["intent", "messages"], intents.most_common()))
    parts.append("</details>")

    parts.append("<h2 id='red-flags'>Red-flag conversations</h2>")
    if red:
        rows = []
        for key, flagged in sorted(red.items(), key=lambda kv: kv[1][0].when):
            first = flagged[0]
            severity = ", ".join(sorted({m.red_flag for m in flagged if m.red_flag})) or "-"
            said = "<br>".join(_e(_text(m.text, show_senders)) for m in flagged)
            rows.append([f"{first.when:%Y-%m-%d %H:%M}", first.channel,
                         _who(first.sender, show_senders), severity, said])
        parts.append(_table(["when", "channel", "who", "severity", "what the parent wrote"],
                            rows, raw=(4,)))
    else:
        parts.append("<p>No red-flag conversation in this period.</p>")

    parts.append("<h2 id='unanswered'>Messages the assistant could not answer</h2>")
    parts.append(f"<img alt='Messages not answered per week' src='data:image/png;base64,{images['unanswered']}'>")
    if groups:
        parts.append("<p class='muted'>Messages are grouped by the word they share; the closest "
                     "intent is the classifier's best guess, where new training examples could go.</p>")
        for number, group in enumerate(groups, 1):
            about = ("not grouped" if group["other"] else
                     f"“{group['terms'][0]}”" if group["terms"] else "the same message")
            kinds = ", ".join(f"{n} {k}" for k, n in group["kinds"].most_common())
            nearest = ", ".join(f"{k} ({n})" for k, n in group["nearest"].most_common(3)) or "-"
            examples = "".join(
                f"<li>{_e(_text(text, show_senders))}" + (f" <span class='muted'>x{n}</span>" if n > 1 else "")
                + "</li>" for text, n in group["examples"][:8])
            more = len(group["examples"]) - 8
            parts.append(
                f"<div class='group'><h3>{number}. {_e(about)}: {group['count']} message(s)</h3>"
                f"<p class='muted'>{_e(kinds)}; closest intents: {_e(nearest)}</p>"
                f"<ul>{examples}</ul>" + (f"<p class='muted'>and {more} more</p>" if more > 0 else "")
                + "</div>")
    else:
        parts.append("<p>Every message in this period was answered.</p>")
    parts.append("</body></html>")
    return "\n".join(parts)


def _date(value: str) -> dt.date:
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{value!r} is not a date like 2026-03-31")


def main(argv: Optional[Sequence[str]] = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m addons.review",
        description="Write an HTML report of what parents asked, from the tracker store.")
    today = dt.date.today()
    parser.add_argument("--from", dest="start", type=_date, default=None,
                        help="first day (default: 90 days before --to)")
    parser.add_argument("--to", dest="end", type=_date, default=today, help="last day (default today)")
    parser.add_argument("--out", type=Path, default=None,
                        help="the HTML file (default results/review/review_FROM_TO.html)")
    parser.add_argument("--show-senders", action="store_true",
                        help="show sender ids and phone numbers in full (staff follow-up)")
    args = parser.parse_args(argv)
    start = args.start or (args.end - dt.timedelta(days=90))
    if start > args.end:
        parser.error("--from is after --to")
    out = args.out or ROOT / "results" / "review" / f"review_{start}_{args.end}.html"
    from addons.database import StoreUnavailable, database_url, safe_url

    try:
        data = load(start, args.end)
    except StoreUnavailable as error:
        print(f"error: {error}", file=sys.stderr)
        return 3
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(render(data, args.show_senders, source=safe_url(database_url()[0])),
                   encoding="utf-8")
    conversations = len({m.conversation for m in data.messages})
    print(f"Review written to {out}: {conversations} conversation(s), {len(data.messages)} "
          f"message(s) from {start} to {args.end}.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
