"""Grouping and counting: per-week figures, the sections' counts, unanswered messages by word.

Weeks start on Monday. Unanswered messages (`nlu_fallback`, `out_of_scope`) are
grouped by the word they share: identical messages together, then the content word
found in the most of them, and so on, with the classifier's closest intent.
"""

from __future__ import annotations

import datetime as dt
import re
from collections import Counter, defaultdict
from typing import Any, DefaultDict, Dict, List, Mapping, Sequence, Tuple

from addons.staff.review.load import UNANSWERED, Conversation, Data, Message
from common.names import RED_FLAG_INTENT

MAX_GROUPED_TEXTS = 3000

Series = Dict[str, List[int]]  # channel (or kind) -> a count per week


def week_of(day: dt.date) -> dt.date:
    """The Monday of the day's week."""
    return day - dt.timedelta(days=day.weekday())


def weeks(start: dt.date, end: dt.date) -> List[dt.date]:
    """The Mondays of the weeks from `start` to `end`."""
    first, result = week_of(start), []
    while first <= end:
        result.append(first)
        first += dt.timedelta(days=7)
    return result


def per_week(data: Data) -> Tuple[List[dt.date], List[str], Series, Series]:
    """weeks, channels, conversations[channel][week], messages[channel][week]."""
    all_weeks = weeks(data.start, data.end)
    index = {w: i for i, w in enumerate(all_weeks)}
    channels = sorted({m.channel for m in data.messages})
    conversations = {c: [0] * len(all_weeks) for c in channels}
    messages = {c: [0] * len(all_weeks) for c in channels}
    first_seen: Dict[Conversation, Message] = {}
    for message in data.messages:
        messages[message.channel][index[week_of(message.when.date())]] += 1
        first_seen.setdefault(message.conversation, message)
    for message in first_seen.values():
        conversations[message.channel][index[week_of(message.when.date())]] += 1
    return all_weeks, channels, conversations, messages


def unanswered_per_week(data: Data, all_weeks: Sequence[dt.date]) -> Series:
    """Unanswered messages per week, by intent (`nlu_fallback`, `out_of_scope`)."""
    index = {w: i for i, w in enumerate(all_weeks)}
    result = {kind: [0] * len(all_weeks) for kind in UNANSWERED}
    for message in data.messages:
        if message.intent in UNANSWERED:
            result[message.intent][index[week_of(message.when.date())]] += 1
    return result


def asked_topics(data: Data, topic_files: Mapping[str, str]) -> Counter[str]:
    """Answers per topic parents asked about: the answers of `topics.yml`.

    `topic_files` maps a knowledge entry to its file; greetings, fallbacks and
    red-flag replies (other files) have their own sections. Unknown topics count."""
    return Counter(
        {
            topic: n
            for topic, n in data.topics.items()
            if topic not in topic_files or topic_files[topic] == "topics.yml"
        }
    )


def red_flag_conversations(data: Data) -> Dict[Conversation, List[Message]]:
    """conversation -> its red-flag messages, in the order they were written."""
    red: DefaultDict[Conversation, List[Message]] = defaultdict(list)
    for message in data.messages:
        if message.intent == RED_FLAG_INTENT:
            red[message.conversation].append(message)
    return red


def unanswered(data: Data) -> List[Message]:
    """The messages the assistant could not answer."""
    return [m for m in data.messages if m.intent in UNANSWERED]


# Words too common here to say what a message is about.
_DOMAIN_STOP = set(
    """
tooth teeth dentist dental child children kid kids son daughter baby babies boy girl
get got can could will would need needs know want like does did just really also
hi hello hey thanks thank please pls okay ok yes question ask tell say
""".split()
)


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


def _distinct_texts(messages: Sequence[Message]) -> List[Dict[str, Any]]:
    """Identical messages (case and punctuation aside) counted together; most frequent first."""
    texts: Dict[str, Dict[str, Any]] = {}
    for message in messages:
        norm = " ".join(re.sub(r"[^\w\s']", " ", message.text.lower()).split())
        item = texts.setdefault(
            norm,
            {"text": message.text.strip(), "count": 0, "kinds": Counter(), "nearest": Counter()},
        )
        item["count"] += 1
        item["kinds"][UNANSWERED.get(message.intent or "", message.intent)] += 1
        if message.nearest:
            item["nearest"][message.nearest] += 1
    items = sorted(texts.values(), key=lambda t: (-t["count"], t["text"]))[:MAX_GROUPED_TEXTS]
    for item in items:
        item["keywords"] = _keywords(item["text"])
    return items


def group_unanswered(messages: Sequence[Message]) -> List[Dict[str, Any]]:
    """Groups unanswered messages by the word they share; biggest group first.

    Identical messages (case and punctuation aside) count together. Then, again
    and again, the content word found in the most remaining messages (at least
    two) makes a group of all the messages that contain it; what is left is
    listed as "not grouped"."""
    groups: List[Dict[str, Any]] = []
    left = _distinct_texts(messages)
    while left:
        weight: Counter[str] = Counter()
        spelled: DefaultDict[str, Counter[str]] = defaultdict(Counter)
        for item in left:
            for stem, word in item["keywords"].items():
                weight[stem] += item["count"]
                spelled[stem][word] += item["count"]
        best = min(
            ((stem, n) for stem, n in weight.items() if n >= 2),
            key=lambda sn: (-sn[1], sn[0]),
            default=None,
        )
        members = (
            [i for i in left if best[0] in i["keywords"]]
            if best
            else [i for i in left if i["count"] >= 2]
        )
        if not members:
            break
        label = spelled[best[0]].most_common(1)[0][0] if best else None
        groups.append(_group(members, [label] if label else []))
        left = [i for i in left if i not in members]
    if left:
        groups.append(_group(left, [], other=True))
    groups.sort(key=lambda g: (g["other"], -g["count"], g["examples"][0][0]))
    return groups


def _group(
    items: Sequence[Dict[str, Any]], terms: List[str], other: bool = False
) -> Dict[str, Any]:
    group: Dict[str, Any] = {
        "count": 0,
        "kinds": Counter(),
        "nearest": Counter(),
        "terms": terms,
        "examples": [],
        "other": other,
    }
    for item in items:
        group["count"] += item["count"]
        group["kinds"].update(item["kinds"])
        group["nearest"].update(item["nearest"])
        group["examples"].append((item["text"], item["count"]))
    group["examples"].sort(key=lambda e: (-e[1], e[0]))
    return group
