"""Monitoring's warning thresholds. The check-in schedule of each level (intervals, the offline
grace) is supervision's (``backend.supervision.rules``), read by reminders as well."""

from __future__ import annotations

from backend.supervision.rules import CHECKIN_INTERVAL, OFFLINE_GRACE, checkin_interval

__all__ = [
    "CHECKIN_INTERVAL",
    "CLOCK_SKEW_FLAG_S",
    "LOW_BATTERY_PERCENT",
    "OFFLINE_GRACE",
    "checkin_interval",
]

LOW_BATTERY_PERCENT = 15.0
# Fixes whose phone clock differs from the server's by more than this are flagged.
CLOCK_SKEW_FLAG_S = 120.0
