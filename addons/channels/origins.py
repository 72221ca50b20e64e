"""The web origins allowed to embed the chat widget, from the practice settings.

Both the Socket.IO channel (`addons.channels.webchat`) and the HTTP CORS settings
(the run command, `addons.server.serve`, passes them to `rasa run --cors`) read
the same list through `common.practice`, so a practice edits one place:
`allowed_origins` in practice.yml (or `PRACTICE_FILE`).

`python -m addons.channels.origins` prints them, one a line.
"""

from __future__ import annotations

import sys

from common.practice import PracticeError, allowed_origins, load_practice, normalize_origin

__all__ = ["allowed_origins", "normalize_origin", "main"]


def main() -> int:
    try:
        print("\n".join(allowed_origins(load_practice())))
    except (PracticeError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
