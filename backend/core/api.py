"""What every list endpoint of the API shares: bounded pages, and filters that refuse numbers
and times the database or ``datetime`` cannot hold with a field-level 400 instead of a 500."""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import MutableMapping
from typing import Any, Generic, TypeVar

from django import forms
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_filters import rest_framework as filters
from django_filters.fields import IsoDateTimeField
from rest_framework import serializers
from rest_framework.pagination import LimitOffsetPagination
from rest_framework.request import Request
from rest_framework.routers import SimpleRouter
from rest_framework.throttling import ScopedRateThrottle as DRFScopedRateThrottle

from backend.core.errors import redis_unreachable
from backend.core.times import OutsideWindow, time_window_message, window_utc

log = logging.getLogger(__name__)

# The largest value of a 64-bit signed column (ids, sequence numbers): anything past it matches
# nothing, and a database given it fails (SQLite: "Python int too large", PostgreSQL: bigint out
# of range).
MAX_DB_INT = 2**63 - 1
MAX_PAGE_SIZE = 1000
# Past any table this system will hold; a larger offset is an empty page, not a database error.
MAX_OFFSET = 10**12


class Pagination(LimitOffsetPagination):
    """``?limit=&offset=``: at most ``MAX_PAGE_SIZE`` rows a page, offsets clamped."""

    max_limit = MAX_PAGE_SIZE

    def get_offset(self, request: Request) -> int:
        return min(super().get_offset(request), MAX_OFFSET)


class _BoundedIntegerField(forms.IntegerField):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("min_value", 0)
        kwargs.setdefault("max_value", MAX_DB_INT)
        super().__init__(*args, **kwargs)

    def to_python(self, value: Any) -> int | None:
        # Django's IntegerField reads "1e30" through float and "-2.4e228" to a 229-digit int;
        # only plain integers are ids.
        if isinstance(value, str) and value.strip() and not value.strip().lstrip("+-").isdigit():
            raise forms.ValidationError(self.error_messages["invalid"], code="invalid")
        return super().to_python(value)


class IdFilter(filters.NumberFilter):
    """An integer filter (ids, sequence numbers) limited to what a 64-bit column holds."""

    # The stubs narrow NumberFilter's field to a DecimalField; django-filter takes any form field.
    field_class = _BoundedIntegerField  # type: ignore[assignment]


class _ClientTimeField(IsoDateTimeField):
    def to_python(self, value: Any) -> Any:
        try:
            result = super().to_python(value)
            return None if result is None else window_utc(result)
        except (OverflowError, OutsideWindow):
            raise forms.ValidationError(time_window_message(), code="invalid") from None


class TimeFilter(filters.IsoDateTimeFilter):
    """An ISO 8601 time filter limited to the window of ``backend.core.times``."""

    field_class = _ClientTimeField


class ClientDateTimeField(serializers.DateTimeField):
    """A time sent by a client, held to the window of ``backend.core.times`` and kept in UTC.

    Outside it, a time overflows on its way (Python ends at year 9999) or comes back in an
    odd form (before 1901 the Asia/Shanghai zone is local mean time, +08:05:43).
    """

    def to_internal_value(self, value: Any) -> dt.datetime:
        try:
            return window_utc(super().to_internal_value(value))
        except (OverflowError, OutsideWindow):
            raise serializers.ValidationError(time_window_message(), code="invalid") from None


_M = TypeVar("_M", bound=models.Model)


class ModelSerializer(serializers.ModelSerializer[_M], Generic[_M]):
    """The API's model serializer: its time fields take only times in the window."""

    serializer_field_mapping = {
        **serializers.ModelSerializer.serializer_field_mapping,
        models.DateTimeField: ClientDateTimeField,
    }

    def include_extra_kwargs(
        self, kwargs: MutableMapping[str, Any], extra_kwargs: MutableMapping[str, Any]
    ) -> MutableMapping[str, Any]:
        # A read-only choice that may be empty says so: DRF drops ``allow_blank`` from a field made
        # read-only, so the spec's enum of a choice the model allows blank (``blank=True``) left
        # out the "" the server answers.
        blank = bool(kwargs.get("allow_blank")) and "choices" in kwargs
        kwargs = super().include_extra_kwargs(kwargs, extra_kwargs)
        if blank and kwargs.get("read_only"):
            kwargs["allow_blank"] = True
        return kwargs


class Router(SimpleRouter):
    """The API's router: no trailing slash, and a record's id in a path is an ``int`` converter.

    Anything else under the API (``/subjects/AAA``, ``/zones/%00``) then names nothing and gets
    the API's JSON 404 before a view, a lookup or the access log ever sees it (PostgreSQL
    refuses a NUL in the access log's text column: that was a 500).
    """

    def __init__(self) -> None:
        super().__init__(trailing_slash=False, use_regex_path=False)

    def get_lookup_regex(self, viewset: Any, lookup_prefix: str = "") -> str:
        kwarg = getattr(viewset, "lookup_url_kwarg", None) or getattr(viewset, "lookup_field", "pk")
        return f"<{getattr(viewset, 'lookup_value_converter', 'int')}:{lookup_prefix}{kwarg}>"


# The dates a record of the bureau's work may carry (an event held, a case served, a term's end):
# from 2000, and never further ahead than the record's kind allows.
EARLIEST_RECORD_DATE = dt.date(2000, 1, 1)
_D = TypeVar("_D", dt.date, dt.date | None)
_RECORD_DATE_MESSAGES = {
    0: _("A date from 2000 to today."),
    366: _("A date from 2000 to a year from today."),
    366 * 5: _("A date from 2000 to five years from today."),
}


def record_date(value: _D, *, days_ahead: int = 0) -> _D:
    """``value`` (a date, or ``None``) if it lies from 2000 to ``days_ahead`` days from today
    (0: it has happened; 366: within a year; 1830: within five years); else a field error."""
    latest = timezone.localdate() + dt.timedelta(days=days_ahead)
    if value is not None and not EARLIEST_RECORD_DATE <= value <= latest:
        raise serializers.ValidationError(_RECORD_DATE_MESSAGES[days_ahead])
    return value


class ScopedRateThrottle(DRFScopedRateThrottle):
    """DRF's scoped throttle, open while its cache (Redis) is away instead of failing the request:
    staff can still sign in and phones enroll during an outage. The lockout after failed sign-ins
    (django-axes) is kept in the database and still holds; enrollment codes are single-use."""

    def allow_request(self, request: Any, view: Any) -> bool:
        try:
            return bool(super().allow_request(request, view))
        except Exception as exc:
            if not redis_unreachable(exc):
                raise
            log.warning("throttle %s not applied, its cache is away: %s", self.scope, exc)
            return True
