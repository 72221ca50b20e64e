"""The project root and the files found from it."""

from __future__ import annotations

from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_PRACTICE_FILE = PROJECT_ROOT / "practice.yml"
VAR_DIR = PROJECT_ROOT / "var"
DEFAULT_TRACKER_SQLITE = VAR_DIR / "tracker.db"
DEFAULT_SMS_STATE_FILE = VAR_DIR / "sms_state.sqlite3"
DEFAULT_SHELL_HISTORY = VAR_DIR / "shell_history"
MODEL_FILE = PROJECT_ROOT / "models" / "pulpcare.tar.gz"
# The one table of safety thresholds (content, read by the NLU patterns and the answers).
THRESHOLDS_FILE = PROJECT_ROOT / "knowledge" / "content" / "thresholds.yml"
