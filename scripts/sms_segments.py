"""What every Spanish SMS answer costs, folded to GSM-7 and as UCS-2 (issue 13).

GSM-7 has é, ñ, ü, ¿ and ¡ but not á, í, ó or ú. A text with one of those is sent
either with the accent folded (a -> a: GSM-7, 160 characters in one segment, 153 a
part) or as UCS-2 (70 in one segment, 67 a part). This prints both for every
Spanish answer, filled in with the practice's details (the longest procedure name),
and the totals; the channel sends the folded form (common/gsm7.to_gsm7).
Usage: python scripts/sms_segments.py [--practice FILE]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from common.gsm7 import segments, to_gsm7  # noqa: E402
from knowledge import load_knowledge  # noqa: E402
from knowledge.loader import SMS  # noqa: E402


def measure(practice: Path | None = None) -> list:
    spanish = load_knowledge(practice_file=practice).in_language("es")
    procedures = list(spanish.routes.get("procedure_names", {})) or [None]
    rows = []
    for topic, entry in sorted(spanish.entries.items()):
        text = max((spanish.fill(entry.sms, p, SMS) for p in procedures), key=len)
        folded = to_gsm7(text)
        rows.append((topic, len(text), segments(folded), segments(text)))
    return rows


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--practice", type=Path, default=None)
    args = parser.parse_args()
    rows = measure(args.practice)
    print(f"{'answer':28} {'chars':>5} {'GSM-7 folded':>13} {'UCS-2':>6}")
    for topic, chars, folded, ucs2 in rows:
        print(f"{topic:28} {chars:5d} {folded:13d} {ucs2:6d}")
    total_folded = sum(r[2] for r in rows)
    total_ucs2 = sum(r[3] for r in rows)
    print(
        f"\n{len(rows)} Spanish SMS answers: {total_folded} segments folded to GSM-7 "
        f"(at most {max(r[2] for r in rows)} per reply), {total_ucs2} as UCS-2 "
        f"(at most {max(r[3] for r in rows)} per reply)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
