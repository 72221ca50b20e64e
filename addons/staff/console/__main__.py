"""`python -m addons.staff.console`: staff accounts from the command line (see cli.py)."""

import sys

from addons.staff.console.cli import main

sys.exit(main())
