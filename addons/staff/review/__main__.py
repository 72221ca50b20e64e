"""`python -m addons.staff.review`: see `addons.staff.review.cli`."""

from __future__ import annotations

import sys

from addons.staff.review.cli import main

sys.exit(main())
