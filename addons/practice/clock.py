"""The practice loop's time: `common.clock` (the action server reads it too)."""

from common.clock import now, set_file_clock

__all__ = ["now", "set_file_clock"]
