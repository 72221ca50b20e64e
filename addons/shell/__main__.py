import sys

from addons.shell.cli import main

sys.exit(main())
