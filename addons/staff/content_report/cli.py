"""The command line of the content sign-off report.

    python -m addons.staff.content_report [--out FILE] [--practice practice.yml]
    make content-report [OUT=FILE] [PRACTICE=practice.yml]

Exit status 0 when the report is written, 2 for a bad argument, 3 when the
answers or the practice settings cannot be loaded (the error names the file).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Optional, Sequence

from addons.staff.content_report.render import render
from common.paths import PROJECT_ROOT
from common.practice import practice_path
from knowledge.loader import KnowledgeError, load_knowledge

DEFAULT_OUT = PROJECT_ROOT / "results" / "content-report.html"


def parser() -> argparse.ArgumentParser:
    """The command's arguments."""
    result = argparse.ArgumentParser(
        prog="python -m addons.staff.content_report",
        description=(
            "Write one HTML page with every answer, SMS text and safety threshold, "
            "for the practice's dentist to read and sign off."
        ),
    )
    result.add_argument(
        "--out",
        type=Path,
        default=DEFAULT_OUT,
        help="the HTML file (default results/content-report.html)",
    )
    result.add_argument(
        "--practice",
        type=Path,
        default=None,
        help="the practice settings (default: the PRACTICE_FILE setting, else practice.yml)",
    )
    return result


def main(argv: Optional[Sequence[str]] = None) -> int:
    """Writes the report for the arguments (`sys.argv` when None); the exit status."""
    args = parser().parse_args(argv)
    practice = practice_path(args.practice)
    try:
        knowledge = load_knowledge(practice_file=practice)
    except KnowledgeError as error:
        print(f"error: {error}", file=sys.stderr)
        return 3
    page = render(knowledge, practice)
    out: Path = args.out
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(page, encoding="utf-8")
    replaced = sum(1 for entry in knowledge.entries.values() if entry.overridden)
    print(
        f"Content report written to {out}: {len(knowledge.entries)} answer(s), "
        f"{replaced} replaced by the practice, {len(knowledge.thresholds.signs)} safety sign(s)."
    )
    return 0
