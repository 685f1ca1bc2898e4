"""The sampling regime each fix of a track was taken under.

A fix does not store its regime (the upload statement stays as it is): it follows from the time
ranges of the positioning orders, which live in a module above monitoring (casework). That module
registers ``fn(subject_id, since, until) -> [(start, end)]``, the spans of continuous positioning
overlapping the window; every other time is information-based verification.
"""

from __future__ import annotations

import bisect
import datetime as dt
from collections.abc import Callable, Iterable

from backend.monitoring.models import SamplingRegime

ContinuousSpans = Callable[[int, dt.datetime, dt.datetime], Iterable[tuple[dt.datetime, dt.datetime]]]
_sources: list[ContinuousSpans] = []


def register_continuous_spans(fn: ContinuousSpans) -> None:
    """Let ``fn`` say when a person's phone was under continuous positioning (``AppConfig.ready``)."""
    if fn not in _sources:
        _sources.append(fn)


def regime_finder(subject_id: int, since: dt.datetime, until: dt.datetime) -> Callable[[dt.datetime], str]:
    """``regime_at(recorded_at)`` for the person's fixes recorded in ``[since, until)``: one
    lookup of the spans for the whole track, a bisection per fix."""
    spans = sorted(span for fn in _sources for span in fn(subject_id, since, until) if span[1] > span[0])
    starts = [start for start, _end in spans]

    def regime_at(at: dt.datetime) -> str:
        # Spans do not overlap (one order at a time), so the last one starting at or before ``at``
        # is the only one that can hold it.
        i = bisect.bisect_right(starts, at) - 1
        if i >= 0 and at < spans[i][1]:
            return str(SamplingRegime.CONTINUOUS)
        return str(SamplingRegime.VERIFICATION)

    return regime_at
