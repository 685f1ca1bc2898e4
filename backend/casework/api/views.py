"""Casework API: leave on the phone and for staff, positioning orders, regimes, curfew checks,
home zones, the optional geocoder. Views call ``backend.casework.services``; querysets are scoped
to the caller's offices (another office's record is a 404) and every staff request is audited."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db.models import QuerySet
from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.utils.translation import gettext as _
from django_filters import rest_framework as filters
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from backend.accounts.permissions import staff_user
from backend.accounts.scoping import scope_to_offices
from backend.audit.api.mixins import AuditedViewSetMixin
from backend.casework import services
from backend.casework.api import serializers as s
from backend.casework.models import CurfewCheck, LeaveRequest, PositioningOrder
from backend.casework.services import geocoding
from backend.casework.services.leave import check_may_decide
from backend.casework.services.orders import check_may_end, check_may_extend
from backend.core.api import IdFilter, TimeFilter
from backend.core.times import parse_client_time
from backend.monitoring.models import SamplingRegime
from backend.monitoring.zones import ZoneNotEvaluable
from backend.supervision.api.views import MobileAPIView
from backend.supervision.models import Subject

MAX_MOBILE_LEAVES = 100
MAX_REGIME_SPAN = dt.timedelta(days=400)

# ---------------------------------------------------------------------------------------------
# Phone
# ---------------------------------------------------------------------------------------------


class MobileLeaveRequestsView(MobileAPIView):
    """The person's own leave requests: ask for leave (外出请假), list them with their decisions."""

    @extend_schema(
        request=s.LeaveRequestInputSerializer,
        responses={201: s.MobileLeaveRequestSerializer},
        tags=["mobile"],
    )
    def post(self, request: Request) -> Response:
        form = s.LeaveRequestInputSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        data = form.validated_data
        leave = services.request_leave(
            self.device,
            destination=data["destination"],
            reason=data["reason"],
            starts_at=data["starts_at"],
            ends_at=data["ends_at"],
            point=data.get("destination_point"),
            radius_m=data.get("radius_m"),
        )
        return Response(s.MobileLeaveRequestSerializer(leave).data, status=status.HTTP_201_CREATED)

    @extend_schema(responses=s.MobileLeaveRequestSerializer(many=True), tags=["mobile"])
    def get(self, request: Request) -> Response:
        leaves = LeaveRequest.objects.filter(subject_id=self.device.subject_id).order_by("-created_at", "-id")
        return Response(s.MobileLeaveRequestSerializer(leaves[:MAX_MOBILE_LEAVES], many=True).data)


# ---------------------------------------------------------------------------------------------
# Staff: leave
# ---------------------------------------------------------------------------------------------


class LeaveFilter(filters.FilterSet):
    person = IdFilter(field_name="subject_id")
    starts_after = TimeFilter(field_name="starts_at", lookup_expr="gte")
    starts_before = TimeFilter(field_name="starts_at", lookup_expr="lt")

    class Meta:
        model = LeaveRequest
        fields = ["status", "subject", "person", "approver", "flagged", "starts_after", "starts_before"]


class LeaveRequestViewSet(AuditedViewSetMixin, viewsets.ReadOnlyModelViewSet[LeaveRequest]):
    """Leave requests of the caller's offices; approve, reject, take the report-back (销假).

    Who decides follows the length: up to 7 days the office head; longer, bureau staff or the
    bureau head; over 30 days, or more than 30 days of leave in 60, the bureau head only
    (flagged). Anyone else gets 403 saying who may.
    """

    audit_resource = "leave_request"
    serializer_class = s.LeaveRequestSerializer
    filterset_class = LeaveFilter
    ordering_fields = ["created_at", "starts_at", "ends_at"]

    def get_queryset(self) -> QuerySet[LeaveRequest]:
        queryset = LeaveRequest.objects.select_related("subject", "decided_by")
        return scope_to_offices(queryset, self.request.user, "subject__office")

    @extend_schema(
        request=s.ApproveLeaveSerializer, responses=s.LeaveRequestSerializer, tags=["leave-requests"]
    )
    @action(detail=True, methods=["post"])
    def approve(self, request: Request, pk: str | None = None) -> Response:
        # The body is parsed before the record is looked up (a hostile body is a 400 whatever the
        # id), and judged after it (another office's record is a 404 whatever the body says).
        data = request.data
        leave = self.get_object()
        check_may_decide(leave, staff_user(request))  # who may, before what they send
        form = s.ApproveLeaveSerializer(data=data)
        form.is_valid(raise_exception=True)
        data = form.validated_data
        leave = services.approve_leave(
            leave,
            staff_user(request),
            note=data["note"],
            point=data.get("destination_point"),
            radius_m=data.get("radius_m"),
            geometry=data.get("destination_zone"),
        )
        return Response(s.LeaveRequestSerializer(leave).data)

    @extend_schema(
        request=s.RejectLeaveSerializer, responses=s.LeaveRequestSerializer, tags=["leave-requests"]
    )
    @action(detail=True, methods=["post"])
    def reject(self, request: Request, pk: str | None = None) -> Response:
        data = request.data
        leave = self.get_object()
        check_may_decide(leave, staff_user(request))
        form = s.RejectLeaveSerializer(data=data)
        form.is_valid(raise_exception=True)
        leave = services.reject_leave(leave, staff_user(request), reason=form.validated_data["reason"])
        return Response(s.LeaveRequestSerializer(leave).data)

    @extend_schema(request=None, responses=s.LeaveRequestSerializer, tags=["leave-requests"])
    @action(detail=True, methods=["post"], url_path="report-back")
    def report_back(self, request: Request, pk: str | None = None) -> Response:
        leave = services.report_back(self.get_object(), staff_user(request))
        return Response(s.LeaveRequestSerializer(leave).data)


# ---------------------------------------------------------------------------------------------
# Staff: positioning orders
# ---------------------------------------------------------------------------------------------


class PositioningOrderViewSet(
    AuditedViewSetMixin, mixins.CreateModelMixin, viewsets.ReadOnlyModelViewSet[PositioningOrder]
):
    """Electronic positioning orders (电子定位, 社区矫正法第29条): on one of the law's grounds, at most
    3 months, in force once the bureau head approves; extended with a new reason, ended early,
    expired by themselves."""

    audit_resource = "positioning_order"
    serializer_class = s.PositioningOrderSerializer
    filterset_fields = ["status", "subject", "ground"]
    ordering_fields = ["created_at", "ends_on"]

    def get_queryset(self) -> QuerySet[PositioningOrder]:
        queryset = PositioningOrder.objects.select_related("subject").prefetch_related("changes")
        return scope_to_offices(queryset, self.request.user, "subject__office")

    def get_serializer(self, *args: Any, **kwargs: Any) -> Any:
        serializer = super().get_serializer(*args, **kwargs)
        if hasattr(serializer, "fields"):
            serializer.fields["subject"].queryset = scope_to_offices(Subject.objects.all(), self.request.user)
        return serializer

    def perform_create(self, serializer: Any) -> None:
        data = serializer.validated_data
        serializer.instance = services.request_order(
            data["subject"],
            staff_user(self.request),
            ground=data["ground"],
            reason=data["reason"],
            ends_on=data["ends_on"],
        )

    @extend_schema(request=None, responses=s.PositioningOrderSerializer, tags=["positioning-orders"])
    @action(detail=True, methods=["post"])
    def approve(self, request: Request, pk: str | None = None) -> Response:
        order = services.approve_order(self.get_object(), staff_user(request))
        return Response(self.get_serializer(order).data)

    @extend_schema(
        request=s.ExtendOrderSerializer, responses=s.PositioningOrderSerializer, tags=["positioning-orders"]
    )
    @action(detail=True, methods=["post"])
    def extend(self, request: Request, pk: str | None = None) -> Response:
        data = request.data
        order = self.get_object()
        check_may_extend(staff_user(request))
        form = s.ExtendOrderSerializer(data=data)
        form.is_valid(raise_exception=True)
        order = services.extend_order(
            order,
            staff_user(request),
            ends_on=form.validated_data["ends_on"],
            reason=form.validated_data["reason"],
        )
        return Response(self.get_serializer(order).data)

    @extend_schema(
        request=s.EndOrderSerializer, responses=s.PositioningOrderSerializer, tags=["positioning-orders"]
    )
    @action(detail=True, methods=["post"])
    def end(self, request: Request, pk: str | None = None) -> Response:
        data = request.data
        order = self.get_object()
        check_may_end(staff_user(request))
        form = s.EndOrderSerializer(data=data)
        form.is_valid(raise_exception=True)
        order = services.end_order(order, staff_user(request), reason=form.validated_data["reason"])
        return Response(self.get_serializer(order).data)


def _time(request: Request, name: str, default: dt.datetime) -> dt.datetime:
    raw = request.query_params.get(name)
    if raw is None:
        return default
    value, problem = parse_client_time(raw, naive_ok=True)
    if value is None:
        raise ValidationError({name: [problem]})
    return value


class PositioningRegimesView(AuditedViewSetMixin, APIView):
    """Under which regime the person's phone took fixes in a time window (default the last 24 h):
    ``continuous`` under a positioning order in force, ``verification`` otherwise. A fix of the
    track (``/subjects/{id}/track``) was taken under the regime of the period holding its
    ``recorded_at``."""

    audit_resource = "positioning_regime"
    action = "retrieve"

    @extend_schema(
        parameters=[
            OpenApiParameter("from", str, description="ISO 8601, default 24 h before 'to'"),
            OpenApiParameter("to", str, description="ISO 8601, default now"),
        ],
        responses=s.RegimesSerializer,
        tags=["subjects"],
    )
    def get(self, request: Request, pk: int) -> Response:
        subject = get_object_or_404(scope_to_offices(Subject.objects.all(), request.user), pk=pk)
        now = timezone.now()
        until = _time(request, "to", now)
        since = _time(request, "from", until - dt.timedelta(hours=24))
        if since >= until:
            raise ValidationError({"from": [_("'from' must be before 'to'.")]})
        if until - since > MAX_REGIME_SPAN:
            raise ValidationError({"from": [_("Ask for at most 400 days at a time.")]})
        periods = services.regime_periods(subject.pk, since, until)
        regime_now = (
            SamplingRegime.CONTINUOUS
            if services.order_in_force(subject.pk, now)
            else SamplingRegime.VERIFICATION
        )
        self.audit_detail = {"from": since.isoformat(), "to": until.isoformat()}
        return Response(s.RegimesSerializer({"regime_now": regime_now, "periods": periods}).data)


# ---------------------------------------------------------------------------------------------
# Staff: curfew checks, home zones, geocoder
# ---------------------------------------------------------------------------------------------


class CurfewCheckFilter(filters.FilterSet):
    person = IdFilter(field_name="subject_id")
    since = TimeFilter(field_name="window_start", lookup_expr="gte")
    until = TimeFilter(field_name="window_start", lookup_expr="lt")

    class Meta:
        model = CurfewCheck
        fields = ["status", "subject", "person", "since", "until"]


class CurfewCheckViewSet(AuditedViewSetMixin, viewsets.ReadOnlyModelViewSet[CurfewCheck]):
    """The curfew checks made at each window's start (at home, away, asked, no answer)."""

    audit_resource = "curfew_check"
    serializer_class = s.CurfewCheckSerializer
    filterset_class = CurfewCheckFilter

    def get_queryset(self) -> QuerySet[CurfewCheck]:
        return scope_to_offices(
            CurfewCheck.objects.select_related("subject"), self.request.user, "subject__office"
        )


class HomeZonesView(AuditedViewSetMixin, APIView):
    """Make (or bring up to date) the person's home and curfew zones from their home position, the
    one staff confirm here (``home_point``) or the stored one, and their level's curfew."""

    audit_resource = "home_zones"
    action = "update"

    @extend_schema(request=s.HomeZonesInputSerializer, responses=s.HomeZonesSerializer, tags=["subjects"])
    def post(self, request: Request, pk: int) -> Response:
        subject = get_object_or_404(scope_to_offices(Subject.objects.all(), request.user), pk=pk)
        form = s.HomeZonesInputSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        point = form.validated_data.get("home_point")
        try:
            zones = services.set_home(subject, staff_user(request), point)
        except ZoneNotEvaluable as exc:
            # A home at the edge of the map: the curfew circle would reach past lon ±180 or lat ±90.
            raise ValidationError({"home_point": [_("This point cannot be converted.")]}) from exc
        curfew = zones["curfew"]
        return Response(
            {
                "home_zone": zones["home"].pk if zones["home"] else None,
                "curfew_zone": curfew.pk if curfew else None,
                "curfew_active": bool(curfew and curfew.is_active),
            }
        )


class GeocodeView(AuditedViewSetMixin, APIView):
    """Look up an address's point (WGS-84) for staff to confirm: only when a geocoder is
    configured (``BAIDU_GEOCODER_KEY``); otherwise 400, and nothing reaches the network."""

    audit_resource = "geocode"
    action = "geocode"
    documented_errors = {"get": {"502": "The geocoder did not answer."}}

    @extend_schema(
        parameters=[OpenApiParameter("address", str, required=True)],
        responses=s.GeocodeAnswerSerializer,
        tags=["leave-requests"],
    )
    def get(self, request: Request) -> Response:
        form = s.GeocodeQuerySerializer(data={"address": request.query_params.get("address", "")})
        form.is_valid(raise_exception=True)
        if not geocoding.geocoder_configured():
            raise ValidationError({"address": [_("No geocoder is configured: set the point on the map.")]})
        try:
            found = geocoding.geocode(form.validated_data["address"])
        except Exception:  # the network or the service failed: say so, not a 500
            return Response(
                {"detail": _("The geocoder did not answer."), "code": "geocoder_failed"}, status=502
            )
        if found is None:
            raise ValidationError({"address": [_("The geocoder does not know this address.")]})
        return Response({"lat": found.lat, "lon": found.lon, "address": found.address})
