"""Monitoring's fixed thresholds. What each supervision level demands (intervals, grace, loss of
contact, low battery…) is data: supervision's ``SupervisionPolicy`` (``backend.supervision.rules``),
copied into each person's monitoring state by ``services.expectations``."""

from __future__ import annotations

# Fixes whose phone clock differs from the server's by more than this are flagged.
CLOCK_SKEW_FLAG_S = 120.0
