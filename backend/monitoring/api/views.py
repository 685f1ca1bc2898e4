from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.exceptions import RequestDataTooBig
from django.db.models import QuerySet
from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _
from django_filters import rest_framework as filters
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import UnsupportedMediaType, ValidationError
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from backend.accounts.api.errors import flatten_errors
from backend.accounts.permissions import staff_user
from backend.accounts.scoping import scope_to_offices
from backend.audit.api.mixins import AuditedViewSetMixin
from backend.audit.models import AccessLog
from backend.audit.services import record_access
from backend.core.api import IdFilter, TimeFilter
from backend.core.parsers import StrictJSONParser, too_large
from backend.core.times import parse_client_time
from backend.monitoring.api.serializers import (
    RESOLVE_REQUEST_SCHEMA,
    AlertSerializer,
    CheckinAnswerSerializer,
    CheckinBatchSerializer,
    CheckinErrorSerializer,
    CommandAckSerializer,
    LatestPositionSerializer,
    PhoneCommandSerializer,
    PhoneStatusAnswerSerializer,
    PhoneStatusSerializer,
    ResolveAlertSerializer,
    TrackPointSerializer,
    ZoneSerializer,
)
from backend.monitoring.checkin_input import MAX_BATCH, decode_batch
from backend.monitoring.models import Alert, CheckIn, MonitorState, Zone
from backend.monitoring.services import (
    CheckinOutcome,
    acknowledge_alert,
    record_checkins,
    record_status,
    resolve_alert,
)
from backend.monitoring.services.commands import acknowledge_command, pending_commands
from backend.monitoring.tracks import regime_finder
from backend.supervision.api.views import MobileAPIView
from backend.supervision.models import Subject

MAX_TRACK_POINTS = 20_000

# ---------------------------------------------------------------------------------------------
# Staff API
# ---------------------------------------------------------------------------------------------


class AlertFilter(filters.FilterSet):
    since = TimeFilter(field_name="occurred_at", lookup_expr="gte")
    until = TimeFilter(field_name="occurred_at", lookup_expr="lt")
    after_seq = IdFilter(field_name="seq", lookup_expr="gt")
    person = IdFilter(field_name="subject_id")

    class Meta:
        model = Alert
        fields = [
            "status",
            "office",
            "subject",
            "person",
            "kind",
            "category",
            "severity",
            "since",
            "until",
            "after_seq",
        ]


class AlertViewSet(AuditedViewSetMixin, viewsets.ReadOnlyModelViewSet[Alert]):
    """Alerts of the caller's offices, newest first; acknowledge (签收) and resolve (处置) them."""

    audit_resource = "alert"
    serializer_class = AlertSerializer
    filterset_class = AlertFilter
    ordering_fields = ["seq", "occurred_at", "severity"]

    def get_queryset(self) -> QuerySet[Alert]:
        queryset = Alert.objects.select_related("subject", "office", "zone", "acknowledged_by", "resolved_by")
        return scope_to_offices(queryset, self.request.user)

    @extend_schema(request=None, responses=AlertSerializer, tags=["alerts"])
    @action(detail=True, methods=["post"])
    def acknowledge(self, request: Request, pk: str | None = None) -> Response:
        return Response(AlertSerializer(acknowledge_alert(self.get_object(), staff_user(request))).data)

    @extend_schema(
        request={"application/json": RESOLVE_REQUEST_SCHEMA}, responses=AlertSerializer, tags=["alerts"]
    )
    @action(detail=True, methods=["post"])
    def resolve(self, request: Request, pk: str | None = None) -> Response:
        alert = self.get_object()
        form = ResolveAlertSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        alert = resolve_alert(
            alert,
            staff_user(request),
            form.validated_data["resolution"],
            form.validated_data["note"],
        )
        return Response(AlertSerializer(alert).data)


class ZoneViewSet(AuditedViewSetMixin, viewsets.ModelViewSet[Zone]):
    """Electronic fences as GeoJSON. Deleting a zone deactivates it (alerts keep pointing at it)."""

    audit_resource = "zone"
    serializer_class = ZoneSerializer
    filterset_fields = ["subject", "office", "kind", "purpose", "is_active"]

    def get_queryset(self) -> QuerySet[Zone]:
        return scope_to_offices(Zone.objects.all(), self.request.user)

    def get_serializer(self, *args: Any, **kwargs: Any) -> Any:
        serializer = super().get_serializer(*args, **kwargs)
        if hasattr(serializer, "fields"):
            office_ids_scope = scope_to_offices(Subject.objects.all(), self.request.user)
            serializer.fields["subject"].queryset = office_ids_scope
            from backend.accounts.models import Office

            serializer.fields["office"].queryset = scope_to_offices(
                Office.objects.all(), self.request.user, "pk"
            )
        return serializer

    def perform_create(self, serializer: Any) -> None:
        serializer.save(created_by=staff_user(self.request))

    def perform_destroy(self, instance: Zone) -> None:
        instance.is_active = False
        instance.save(update_fields=["is_active", "updated_at"])


def _parse_time(request: Request, name: str, default: dt.datetime) -> dt.datetime:
    raw = request.query_params.get(name)
    if raw is None:
        return default
    value, problem = parse_client_time(raw, naive_ok=True)
    if value is None:
        raise ValidationError({name: [problem]})
    return value


class TrackView(AuditedViewSetMixin, APIView):
    """A person's fixes in a time window (default: the last 24 hours). Every read is audited."""

    audit_resource = "track"
    action = "retrieve"  # logged as a read of the person's track, refused reads included
    audit_reason_param = "reason"  # why the track is read (PIPL Art. 28), kept in the access log

    @extend_schema(
        parameters=[
            OpenApiParameter("from", str, description="ISO 8601, default 24 h ago"),
            OpenApiParameter("to", str, description="ISO 8601, default now"),
            OpenApiParameter("reason", str, description="Why the track is read; kept in the access log."),
        ],
        responses=TrackPointSerializer(many=True),
        tags=["subjects"],
    )
    def get(self, request: Request, pk: int) -> Response:
        subject = get_object_or_404(scope_to_offices(Subject.objects.all(), request.user), pk=pk)
        until = _parse_time(request, "to", timezone.now())
        since = _parse_time(request, "from", until - dt.timedelta(hours=24))
        if since >= until:
            raise ValidationError({"from": [_("'from' must be before 'to'.")]})
        points = list(
            CheckIn.objects.filter(subject=subject, recorded_at__gte=since, recorded_at__lt=until).order_by(
                "recorded_at"
            )[:MAX_TRACK_POINTS]
        )
        self.audit_detail = {"from": since.isoformat(), "to": until.isoformat(), "points": len(points)}
        context = {"regime_at": regime_finder(subject.pk, since, until)}
        return Response(TrackPointSerializer(points, many=True, context=context).data)


class LatestPositionsView(APIView):
    """The latest good position of every monitored person the caller may see (for the console map)."""

    @extend_schema(responses=LatestPositionSerializer(many=True), tags=["alerts"])
    def get(self, request: Request) -> Response:
        states = scope_to_offices(
            MonitorState.objects.select_related("subject"),
            request.user,
            "subject__office",
        ).filter(last_fix_at__isnull=False, subject__status=Subject.Status.IN_SUPERVISION)
        rows = [
            {
                "subject_id": s.subject_id,
                "name": s.subject.name,
                "office_id": s.subject.office_id,
                "supervision_level": s.subject.supervision_level,
                "lat": s.last_lat,
                "lon": s.last_lon,
                "accuracy_m": s.last_accuracy_m,
                "recorded_at": s.last_fix_at,
            }
            for s in states
        ]
        record_access(
            request,
            action=AccessLog.Action.LIST,
            resource="position",
            detail={"ids": [r["subject_id"] for r in rows][:500]},
        )
        return Response(LatestPositionSerializer(rows, many=True).data)


# ---------------------------------------------------------------------------------------------
# Mobile API
# ---------------------------------------------------------------------------------------------


class _CheckinParser(StrictJSONParser):
    check_text = False  # ``parse_fix`` applies the text rule fix by fix: one bad fix, not the batch


class CheckinView(MobileAPIView):
    """Upload 1–500 fixes (buffered offline, in any order). Idempotent per fix id."""

    parser_classes = [_CheckinParser]

    @extend_schema(
        request=CheckinBatchSerializer,
        responses={200: CheckinAnswerSerializer, 400: CheckinErrorSerializer},
        tags=["mobile"],
    )
    def post(self, request: Request) -> Response:
        # A batch of well-formed fixes is decoded and checked in one go from the bytes; anything
        # else is parsed as JSON and checked field by field, to say exactly what is wrong.
        # The fast path reads the bytes itself, so it must hold to what the parser would take.
        if request.content_type.split(";")[0].strip().lower() != "application/json":
            raise UnsupportedMediaType(request.content_type or "")
        try:
            raw = request.body
        except RequestDataTooBig:
            raise too_large() from None
        well_formed = decode_batch(raw)
        if well_formed is not None:
            items, raw_sent_at = well_formed
        else:
            body = request.data
            if not isinstance(body, dict):
                raise ValidationError({"non_field_errors": [_("The body must be a JSON object.")]})
            checkins, raw_sent_at = body.get("checkins"), body.get("sent_at")
            if not isinstance(checkins, list):
                raise ValidationError(
                    {"checkins": [_("A list of 1 to %(n)d check-ins is required.") % {"n": MAX_BATCH}]}
                )
            items = checkins
            if not 1 <= len(items) <= MAX_BATCH:
                raise ValidationError(
                    {"checkins": [_("Send 1 to %(n)d check-ins per request.") % {"n": MAX_BATCH}]},
                    code="batch_size",
                )
        outcome_status, answer = checkin_answer(
            record_checkins(self.device, items, parse_sent_at(raw_sent_at))
        )
        return Response(answer, status=outcome_status)


def parse_sent_at(raw: Any) -> dt.datetime | None:
    """The batch's optional ``sent_at`` (the phone's clock when it sent), for the clock-skew flag."""
    if raw is None:
        return None
    sent_at = parse_datetime(raw) if isinstance(raw, str) else None
    if sent_at is None or timezone.is_naive(sent_at):
        raise ValidationError({"sent_at": [_("An ISO 8601 time with an offset is required.")]})
    return sent_at


def checkin_answer(outcome: CheckinOutcome) -> tuple[int, dict[str, Any]]:
    """The answer to a stored batch: ``(HTTP status, body)``.

    The answer is built from plain values already in its documented shape: running 500 results
    through a serializer would cost more than storing the fixes. A batch with nothing accepted
    and nothing already stored is a 400 that still lists each fix's fate.
    """
    answer = {
        "results": outcome.results,
        "accepted": outcome.accepted,
        "server_time": outcome.server_time,
        "next_checkin_due": outcome.next_checkin_due,
        "reminders": outcome.reminders,
        "commands": outcome.commands,
    }
    if any(r["status"] in ("accepted", "duplicate") for r in outcome.results):
        return status.HTTP_200_OK, answer
    errors = flatten_errors({"checkins": {str(r["index"]): r.get("errors", {}) for r in outcome.results}})
    first = next(iter(errors.items()))
    answer.update(detail=f"{first[0]}: {first[1][0]}", code="invalid", errors=errors)
    return status.HTTP_400_BAD_REQUEST, answer


class PhoneStatusView(MobileAPIView):
    """Heartbeat: battery, location permission, GPS switch, app state."""

    @extend_schema(request=PhoneStatusSerializer, responses=PhoneStatusAnswerSerializer, tags=["mobile"])
    def post(self, request: Request) -> Response:
        form = PhoneStatusSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        state = record_status(self.device, dict(form.validated_data))
        now = timezone.now()
        return Response(
            {
                "server_time": now,
                "next_checkin_due": state.next_checkin_due,
                "commands": pending_commands(self.device.subject_id, now),
            }
        )


class PendingCommandsView(MobileAPIView):
    """The commands waiting for this phone (the same list every check-in and status answer carries)."""

    @extend_schema(responses=PhoneCommandSerializer(many=True), tags=["mobile"])
    def get(self, request: Request) -> Response:
        return Response(PhoneCommandSerializer(pending_commands(self.device.subject_id), many=True).data)


class CommandAckView(MobileAPIView):
    """The phone has carried out the command: it is no longer sent. Idempotent (a retry after a
    lost answer gets the same answer); another person's command is 404."""

    @extend_schema(request=None, responses=CommandAckSerializer, tags=["mobile"])
    def post(self, request: Request, pk: int) -> Response:
        command = acknowledge_command(self.device, pk)
        return Response(
            CommandAckSerializer({"id": str(command.pk), "acknowledged_at": command.acknowledged_at}).data
        )
