"""Phone answers are encoded by msgspec and are the same JSON DRF's encoder writes."""

from __future__ import annotations

import datetime as dt
import json

from django.utils.translation import gettext_lazy
from rest_framework.exceptions import ErrorDetail
from rest_framework.renderers import JSONRenderer

from backend.supervision.api.renderers import PhoneJSONRenderer

ANSWER = {
    "results": [
        {
            "index": 0,
            "id": "c5a2b3f4-0000-4000-8000-000000000000",
            "status": "accepted",
            "quality": "ok",
            "clock_skew_s": -12.5,
        }
    ],
    "accepted": 1,
    "server_time": dt.datetime(2026, 11, 30, 5, 0, 1, 123456, tzinfo=dt.UTC),
    "next_checkin_due": dt.datetime(2026, 11, 30, 5, 30, tzinfo=dt.UTC),
    "reminders": [
        {"id": "7", "type": "checkin", "title": "请签到", "body": "", "data": {"k": [1, 2.5, None]}}
    ],
    "commands": [],
}


def test_it_writes_the_json_drf_writes() -> None:
    fast = PhoneJSONRenderer().render(ANSWER)
    assert json.loads(fast) == json.loads(JSONRenderer().render(ANSWER))
    assert (
        b'"server_time":"2026-11-30T05:00:01.123456Z"' in fast
        and b'"next_checkin_due":"2026-11-30T05:30:00Z"' in fast
    )


def test_what_it_cannot_encode_goes_to_drfs_encoder() -> None:
    errors = {"checkins": [ErrorDetail("bad", code="invalid")], "detail": gettext_lazy("Not found.")}
    assert json.loads(PhoneJSONRenderer().render(errors)) == json.loads(JSONRenderer().render(errors))
