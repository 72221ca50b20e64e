"""The sources an answer or a sign cites, as links a reader can follow.

A parent reads one label per publisher (`Knowledge.source_label`), so sources with
the same label are shown once, with a link to each of their distinct pages. Only
http(s) addresses become links; the copy actually read (`mirror`) is named in the
link's tooltip, not linked.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Dict, Iterable, List, Tuple
from urllib.parse import urlsplit

from knowledge.loader import Knowledge


@dataclass(frozen=True)
class SourceLink:
    """One label as a parent reads it, with the pages it stands for."""

    label: str
    urls: Tuple[str, ...]  # distinct http(s) pages, in citing order
    note: str  # tooltip: the titles, keys and mirrors


def is_web_url(value: object) -> bool:
    """True for an http(s) address with a host (the only kind linked)."""
    if not isinstance(value, str):
        return False
    parts = urlsplit(value.strip())
    return parts.scheme in ("http", "https") and bool(parts.netloc)


def _note(key: str, source: Dict[str, object]) -> str:
    title = str(source.get("title") or "").strip()
    mirror = source.get("mirror")
    note = f"{key}: {title}" if title else key
    return f"{note} (read via {mirror})" if mirror else note


def source_links(knowledge: Knowledge, keys: Iterable[str]) -> List[SourceLink]:
    """The cited sources grouped by the label a parent reads, in citing order."""
    labels: Dict[str, Tuple[List[str], List[str]]] = {}
    for key in keys:
        source = knowledge.sources[key]
        urls, notes = labels.setdefault(knowledge.source_label(key), ([], []))
        url = str(source.get("url") or "").strip()
        if is_web_url(url) and url not in urls:
            urls.append(url)
        notes.append(_note(key, source))
    return [
        SourceLink(label, tuple(urls), "; ".join(notes)) for label, (urls, notes) in labels.items()
    ]


def cited_urls(knowledge: Knowledge) -> List[str]:
    """Every page a report may link: the http(s) url of each known source."""
    urls = (str(s.get("url") or "").strip() for s in knowledge.sources.values())
    return sorted({url for url in urls if is_web_url(url)})
