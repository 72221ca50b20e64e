"""The command line of the review report.

    python -m addons.staff.review --from 2026-01-01 --to 2026-03-31 [--out FILE] [--show-senders]
    make review FROM=2026-01-01 TO=2026-03-31

Exit status 0 when the report is written, 2 for a bad argument, 3 when the
tracker store cannot be reached.
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
from pathlib import Path
from typing import Optional, Sequence

from addons.server.database import StoreUnavailable, database_url, safe_url
from addons.staff.review.heard import summary
from addons.staff.review.load import load
from addons.staff.review.render import render
from common.paths import PROJECT_ROOT

DEFAULT_DIR = PROJECT_ROOT / "results" / "review"


def _date(value: str) -> dt.date:
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{value!r} is not a date like 2026-03-31") from None


def parser() -> argparse.ArgumentParser:
    """The command's arguments."""
    result = argparse.ArgumentParser(
        prog="python -m addons.staff.review",
        description=(
            "Write an HTML report of what parents asked, and what the practice heard "
            "(alerts, callback requests, check-ins), from the tracker store."
        ),
    )
    result.add_argument(
        "--from",
        dest="start",
        type=_date,
        default=None,
        help="first day (default: 90 days before --to)",
    )
    result.add_argument(
        "--to", dest="end", type=_date, default=dt.date.today(), help="last day (default today)"
    )
    result.add_argument(
        "--out",
        type=Path,
        default=None,
        help="the HTML file (default results/review/review_FROM_TO.html)",
    )
    result.add_argument(
        "--show-senders",
        action="store_true",
        help="show sender ids and phone numbers in full (staff follow-up)",
    )
    return result


def main(argv: Optional[Sequence[str]] = None) -> int:
    """Writes the report for the arguments (`sys.argv` when None); the exit status."""
    arguments = parser()
    args = arguments.parse_args(argv)
    start = args.start or (args.end - dt.timedelta(days=90))
    if start > args.end:
        arguments.error("--from is after --to")
    out = args.out or DEFAULT_DIR / f"review_{start}_{args.end}.html"
    try:
        data = load(start, args.end)
    except StoreUnavailable as error:
        print(f"error: {error}", file=sys.stderr)
        return 3
    out.parent.mkdir(parents=True, exist_ok=True)
    page = render(data, args.show_senders, source=safe_url(database_url()[0]))
    out.write_text(page, encoding="utf-8")
    conversations = len({m.conversation for m in data.messages})
    print(
        f"Review written to {out}: {conversations} conversation(s), {len(data.messages)} "
        f"message(s) from {start} to {args.end}."
    )
    if data.heard is not None:
        print(summary(data.heard))
    else:
        print(f"warning: the report has no alerts section: {data.heard_error}", file=sys.stderr)
    return 0
