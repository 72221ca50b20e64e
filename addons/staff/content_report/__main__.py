"""`python -m addons.staff.content_report`: see `addons.staff.content_report.cli`."""

from __future__ import annotations

import sys

from addons.staff.content_report.cli import main

sys.exit(main())
