"""The report's charts: matplotlib figures as base64 PNG, for `data:image/png` URIs.

matplotlib is imported when the charts are drawn (with the Agg backend), not when
this module is imported.
"""

from __future__ import annotations

import base64
import io
from typing import TYPE_CHECKING, Dict, List, Mapping, Sequence

from addons.staff.review.group import Series, per_week, unanswered_per_week
from addons.staff.review.load import UNANSWERED, Data

if TYPE_CHECKING:
    from collections import Counter

    from matplotlib.axes import Axes
    from matplotlib.figure import Figure


def _png(figure: Figure) -> str:
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=110, bbox_inches="tight")
    import matplotlib.pyplot as plt

    plt.close(figure)
    return base64.b64encode(buffer.getvalue()).decode("ascii")


def _stacked(axis: Axes, labels: List[str], series: Series, names: Mapping[str, str]) -> None:
    """One bar per week, stacked by the series' keys (legend: `names`)."""
    bottom = [0] * len(labels)
    for key, values in series.items():
        axis.bar(labels, values, bottom=bottom, label=names.get(key, key))
        bottom = [b + v for b, v in zip(bottom, values, strict=False)]


def _weekly(labels: List[str], series: Series, title: str, channels: Sequence[str]) -> str:
    import matplotlib.pyplot as plt

    figure, axis = plt.subplots(figsize=(8, 3.2))
    _stacked(axis, labels, {c: series[c] for c in channels}, {})
    axis.set_title(title)
    axis.set_xlabel("week starting")
    axis.yaxis.get_major_locator().set_params(integer=True)
    if channels:
        axis.legend(title="channel", fontsize=8)
    axis.tick_params(axis="x", labelrotation=45, labelsize=8)
    return _png(figure)


def _topics(titles: Mapping[str, str], asked: Counter[str]) -> str:
    import matplotlib.pyplot as plt

    top = asked.most_common(12)
    figure, axis = plt.subplots(figsize=(8, 0.35 * max(len(top), 3) + 1))
    axis.barh(
        [titles.get(t, t) for t, _ in reversed(top)],
        [n for _, n in reversed(top)],
        color="#4c72b0",
    )
    axis.set_title("Most asked topics (answers given)")
    axis.xaxis.get_major_locator().set_params(integer=True)
    return _png(figure)


def _unanswered(labels: List[str], series: Series) -> str:
    import matplotlib.pyplot as plt

    figure, axis = plt.subplots(figsize=(8, 3))
    _stacked(axis, labels, series, UNANSWERED)
    axis.set_title("Messages not answered per week")
    axis.yaxis.get_major_locator().set_params(integer=True)
    axis.legend(fontsize=8)
    axis.tick_params(axis="x", labelrotation=45, labelsize=8)
    return _png(figure)


def charts(data: Data, titles: Mapping[str, str], asked: Counter[str]) -> Dict[str, str]:
    """base64 PNGs: `conversations`, `messages`, `topics`, `unanswered`."""
    import matplotlib

    matplotlib.use("Agg")

    all_weeks, channels, conversations, messages = per_week(data)
    labels = [w.strftime("%d %b") for w in all_weeks]
    return {
        "conversations": _weekly(labels, conversations, "Conversations per week", channels),
        "messages": _weekly(labels, messages, "Parent messages per week", channels),
        "topics": _topics(titles, asked),
        "unanswered": _unanswered(labels, unanswered_per_week(data, all_weeks)),
    }
