"""The archives' staff API and the phone's monthly report.

Every staff request is written to the access log (reads included, with the archive's id in the
row's detail so each archive's own log can be shown); files are read only here, never from a URL.
Auditors read everything and write nothing (403); another office's archive is 404.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Count, Prefetch, Q, QuerySet
from django.http import FileResponse
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import generics, mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied, ValidationError
from rest_framework.parsers import MultiPartParser
from rest_framework.renderers import BaseRenderer, JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from backend.accounts.permissions import IsAuditReader, staff_user
from backend.accounts.scoping import scope_to_offices
from backend.archives.api.serializers import (
    MAX_FILES,
    ArchiveSerializer,
    CatalogueItemSerializer,
    CompletenessSerializer,
    DocumentDetailSerializer,
    DocumentSerializer,
    MonthlyReportFiledSerializer,
    MonthlyReportSerializer,
    NewDocumentSerializer,
    NewVersionSerializer,
    OfficeCompletenessSerializer,
    RewardSanctionSerializer,
    SanctionApprovalSerializer,
    SanctionProposalSerializer,
    VersionFileSerializer,
    refuse_oversized,
    upload_limit,
)
from backend.archives.models import (
    Archive,
    CatalogueItem,
    Document,
    DocumentVersion,
    Origin,
    Sanction,
    VersionFile,
)
from backend.archives.models import archive_storage as _storage
from backend.archives.services import (
    MAX_PHOTOS,
    add_document,
    add_version,
    approve_sanction,
    check_file,
    export_zip,
    office_completeness,
    propose_sanction,
    subject_completeness,
    submit_monthly_report,
    withdraw_sanction,
)
from backend.archives.services.files import ALLOWED_TYPES
from backend.audit.api.mixins import AuditedViewSetMixin
from backend.audit.api.views import AccessLogSerializer
from backend.audit.models import AccessLog
from backend.audit.services import record_access
from backend.core.parsers import StrictJSONParser
from backend.supervision.api.views import MobileAPIView
from backend.supervision.models import Subject

ARCHIVE_RESOURCES = ("archive", "archive_document", "archive_file", "archive_export", "sanction")


class ZipRenderer(BaseRenderer):
    media_type = "application/zip"
    format = "zip"

    def render(self, data: Any, accepted_media_type: str | None = None, renderer_context: Any = None) -> Any:
        return data


class BinaryRenderer(BaseRenderer):
    media_type = "application/octet-stream"
    format = "bin"

    def render(self, data: Any, accepted_media_type: str | None = None, renderer_context: Any = None) -> Any:
        return data


def _subjects(request: Request) -> QuerySet[Subject]:
    return scope_to_offices(Subject.objects.all(), request.user)


def _checked_files(uploads: list[Any], field: str, *, images_only: bool = False) -> list[Any]:
    return [check_file(upload, f"{field}.{n}", images_only=images_only) for n, upload in enumerate(uploads)]


def _data(form: dict[str, Any]) -> dict[str, Any]:
    return {"description": form["description"]} if form.get("description") else {}


# ---------------------------------------------------------------------------------------------
# Catalogue, archives, documents, files
# ---------------------------------------------------------------------------------------------


class CatalogueView(generics.ListAPIView[CatalogueItem]):
    """The catalogue of required documents per stage, with deadlines (bureau staff edit it in the admin)."""

    serializer_class = CatalogueItemSerializer
    queryset = CatalogueItem.objects.all()
    filterset_fields = ["archive_kind", "stage", "required", "is_active"]


class ArchiveViewSet(AuditedViewSetMixin, viewsets.ReadOnlyModelViewSet[Archive]):
    """The execution and working archives of the caller's offices' subjects."""

    audit_resource = "archive"
    serializer_class = ArchiveSerializer
    filterset_fields = ["subject", "kind"]

    def get_queryset(self) -> QuerySet[Archive]:
        return scope_to_offices(
            Archive.objects.select_related("subject").annotate(document_total=Count("documents")),
            self.request.user,
            "subject__office",
        )

    @extend_schema(responses=AccessLogSerializer(many=True), tags=["archives"])
    @action(detail=True, methods=["get"], url_path="access-log")
    def access_log(self, request: Request, pk: str | None = None) -> Response:
        """Who read, wrote or exported this archive and its documents (auditors, the bureau head)."""
        archive = self.get_object()  # another office's archive is 404 before anything else
        if not IsAuditReader().has_permission(request, self):
            raise PermissionDenied(_("Only those who read the access log may read an archive's log."))
        rows = AccessLog.objects.filter(
            Q(resource="archive", object_id=str(archive.pk))
            | Q(resource__in=ARCHIVE_RESOURCES, detail__archive=archive.pk)
            | Q(resource="archive_export", object_id=str(archive.subject_id))
        ).order_by("-at", "-id")
        page = self.paginate_queryset(rows)  # type: ignore[arg-type]
        return self.get_paginated_response(AccessLogSerializer(page, many=True).data)


class DocumentViewSet(AuditedViewSetMixin, mixins.CreateModelMixin, viewsets.ReadOnlyModelViewSet[Document]):
    """Archive documents with their versions; a correction is a new version, never an edit."""

    # Files come as multipart; a body without files may be JSON (the API's strict parser).
    parser_classes = [StrictJSONParser, MultiPartParser]

    audit_resource = "archive_document"
    filterset_fields = [
        "archive",
        "archive__subject",
        "archive__kind",
        "catalogue_item__code",
        "period",
        "origin",
    ]

    def get_queryset(self) -> QuerySet[Document]:
        queryset = Document.objects.select_related("archive", "catalogue_item")
        if self.action != "list":
            files = Prefetch("files", queryset=VersionFile.objects.order_by("index"))
            versions = DocumentVersion.objects.select_related("created_by").prefetch_related(files)
            queryset = queryset.prefetch_related(Prefetch("versions", queryset=versions.order_by("number")))
        return scope_to_offices(queryset, self.request.user, "archive__subject__office")

    def get_serializer_class(self) -> Any:
        if self.action == "create":
            return NewDocumentSerializer
        if self.action == "versions":
            return NewVersionSerializer
        return DocumentDetailSerializer if self.action == "retrieve" else DocumentSerializer

    def get_serializer(self, *args: Any, **kwargs: Any) -> Any:
        serializer = super().get_serializer(*args, **kwargs)
        fields = getattr(serializer, "fields", {})
        if self.action == "create" and "subject" in fields:
            fields["subject"].queryset = _subjects(self.request)
        return serializer

    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        document = self.get_object()
        self.audit_detail = {"archive": document.archive_id}
        return Response(DocumentDetailSerializer(document).data)

    @extend_schema(
        request=NewDocumentSerializer, responses={201: DocumentDetailSerializer}, tags=["archives"]
    )
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        """File a document (scans as multipart ``files``) in the subject's archive for a catalogue item."""
        refuse_oversized(request, MAX_FILES)
        form = self.get_serializer(data=request.data)
        form.is_valid(raise_exception=True)
        values = form.validated_data
        files = _checked_files(values["files"], "files")
        item = values["item"]
        document = add_document(
            values["subject"],
            title=values["title"] or item.name,
            item=item,
            origin=Origin.UPLOADED,
            data=_data(values),
            files=files,
            period=values["period"],
            note=values["note"],
            user=staff_user(request),
        )
        self.audit_detail = {"archive": document.archive_id, "document": document.pk}
        document = self.get_queryset().get(pk=document.pk)
        return Response(DocumentDetailSerializer(document).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=NewVersionSerializer, responses={201: DocumentDetailSerializer}, tags=["archives"])
    @action(detail=True, methods=["post"])
    def versions(self, request: Request, pk: str | None = None) -> Response:
        """Correct a document: its next version (content, files and the reason); earlier ones stay."""
        document = self.get_object()
        self.audit_detail = {"archive": document.archive_id}
        if document.origin in (Origin.GENERATED, Origin.SANCTION):
            raise ValidationError(
                {"document": [_("This document is generated from its record: change the record.")]},
                code="generated",
            )
        refuse_oversized(request, MAX_FILES)
        form = NewVersionSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        values = form.validated_data
        if not values["note"].strip():
            raise ValidationError({"note": [_("Say why the document is corrected.")]})
        files = _checked_files(values["files"], "files")
        add_version(document, data=_data(values), files=files, note=values["note"], user=staff_user(request))
        document = self.get_queryset().get(pk=document.pk)
        return Response(DocumentDetailSerializer(document).data, status=status.HTTP_201_CREATED)


class ArchiveFileViewSet(AuditedViewSetMixin, viewsets.GenericViewSet[VersionFile]):
    """One stored file of a document version, read through the access log."""

    audit_resource = "archive_file"
    serializer_class = VersionFileSerializer
    renderer_classes = [JSONRenderer, BinaryRenderer]

    def get_queryset(self) -> QuerySet[VersionFile]:
        return scope_to_offices(
            VersionFile.objects.select_related("version"),
            self.request.user,
            "version__archive__subject__office",
        )

    @extend_schema(
        # Served with the type its content was judged to be when it was filed (one of these).
        responses={
            (200, content_type): OpenApiResponse(OpenApiTypes.BINARY, description="The file")
            for content_type in ALLOWED_TYPES
        },
        tags=["archives"],
    )
    def retrieve(self, request: Request, pk: str | None = None) -> FileResponse:
        """The file's bytes, as stored (its digests are in its version)."""
        stored = self.get_object()
        self.audit_detail = {"archive": stored.version.archive_id, "sha256": stored.sha256}
        return FileResponse(
            _storage().open(stored.path, "rb"),
            as_attachment=True,
            filename=stored.name,
            content_type=stored.content_type,
        )


# ---------------------------------------------------------------------------------------------
# Per subject: completeness and export; per office: completeness
# ---------------------------------------------------------------------------------------------


class SubjectCompletenessView(APIView):
    """What the subject's archives lack, and what of it is overdue."""

    @extend_schema(responses=CompletenessSerializer, tags=["archives"])
    def get(self, request: Request, pk: int) -> Response:
        subject = get_object_or_404(_subjects(request), pk=pk)
        answer = subject_completeness(subject)
        record_access(request, action=AccessLog.Action.READ, resource="archive_completeness", object_id=pk)
        return Response(answer)


class OfficeCompletenessView(APIView):
    """Per office and stage: required, present, missing and overdue documents (the caller's offices)."""

    @extend_schema(
        parameters=[
            OpenApiParameter("stage", str, enum=["intake", "supervision", "termination"]),
            OpenApiParameter("office", int),
        ],
        responses=OfficeCompletenessSerializer(many=True),
        tags=["archives"],
    )
    def get(self, request: Request) -> Response:
        stage = request.query_params.get("stage") or None
        if stage not in (None, "intake", "supervision", "termination"):
            raise ValidationError({"stage": [_("Unknown stage.")]})
        subjects = _subjects(request).filter(status=Subject.Status.IN_SUPERVISION)
        office = request.query_params.get("office")
        if office:
            if not office.isdigit() or len(office) > 18:
                raise ValidationError({"office": [_("A valid integer is required.")]})
            subjects = subjects.filter(office_id=int(office))
        rows = office_completeness(subjects, stage=stage)
        record_access(
            request, action=AccessLog.Action.LIST, resource="archive_completeness", detail={"stage": stage}
        )
        return Response(rows)


class ArchiveExportView(APIView):
    """One subject's archives as a BagIt bag in a ZIP (an audited export)."""

    renderer_classes = [JSONRenderer, ZipRenderer]

    @extend_schema(
        responses={
            (200, "application/zip"): OpenApiResponse(OpenApiTypes.BINARY, description="A ZIP of one bag")
        },
        tags=["archives"],
    )
    def get(self, request: Request, pk: int) -> FileResponse:
        subject = get_object_or_404(_subjects(request).select_related("office"), pk=pk)
        zipped, versions = export_zip(subject)
        record_access(
            request,
            action=AccessLog.Action.EXPORT,
            resource="archive_export",
            object_id=pk,
            detail={"versions": versions, "case_number": subject.case_number},
        )
        return FileResponse(
            zipped, as_attachment=True, filename=f"archive-{subject.pk}.zip", content_type="application/zip"
        )


# ---------------------------------------------------------------------------------------------
# Rewards and sanctions
# ---------------------------------------------------------------------------------------------


class SanctionViewSet(AuditedViewSetMixin, mixins.CreateModelMixin, viewsets.ReadOnlyModelViewSet[Sanction]):
    """Rewards and sanctions: proposed as drafts, approved by the role the kind needs."""

    audit_resource = "sanction"
    serializer_class = RewardSanctionSerializer
    filterset_fields = ["subject", "kind", "status"]

    def get_queryset(self) -> QuerySet[Sanction]:
        return scope_to_offices(Sanction.objects.all(), self.request.user, "subject__office")

    @extend_schema(
        request=SanctionProposalSerializer, responses={201: RewardSanctionSerializer}, tags=["archives"]
    )
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        form = SanctionProposalSerializer(data=request.data)
        form.fields["subject"].queryset = _subjects(request)  # type: ignore[attr-defined]
        form.is_valid(raise_exception=True)
        values = form.validated_data
        sanction = propose_sanction(
            values["subject"],
            kind=values["kind"],
            facts=values["facts"],
            legal_basis=values["legal_basis"],
            user=staff_user(request),
        )
        return Response(RewardSanctionSerializer(sanction).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        request=SanctionApprovalSerializer, responses={200: RewardSanctionSerializer}, tags=["archives"]
    )
    @action(detail=True, methods=["post"])
    def approve(self, request: Request, pk: str | None = None) -> Response:
        """Approve a draft (the office head for 表扬/训诫/警告, the bureau head for proposals to revoke)."""
        sanction = self.get_object()
        form = SanctionApprovalSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        decided = approve_sanction(sanction, staff_user(request), form.validated_data.get("decided_on"))
        return Response(RewardSanctionSerializer(decided).data)

    @extend_schema(request=None, responses={200: RewardSanctionSerializer}, tags=["archives"])
    @action(detail=True, methods=["post"])
    def withdraw(self, request: Request, pk: str | None = None) -> Response:
        """Withdraw a draft; the withdrawal is the document's next version."""
        return Response(
            RewardSanctionSerializer(withdraw_sanction(self.get_object(), staff_user(request))).data
        )


# ---------------------------------------------------------------------------------------------
# The phone's monthly report
# ---------------------------------------------------------------------------------------------


class MonthlyReportView(MobileAPIView):
    """The monthly report (思想汇报): text and up to five photos, filed in the working archive."""

    parser_classes = [StrictJSONParser, MultiPartParser]

    def largest_body(self) -> int:
        """The largest body the signature check reads through (``supervision.authentication``)."""
        return upload_limit(MAX_PHOTOS)

    @extend_schema(
        request=MonthlyReportSerializer, responses={201: MonthlyReportFiledSerializer}, tags=["mobile"]
    )
    def post(self, request: Request) -> Response:
        refuse_oversized(request, MAX_PHOTOS)
        form = MonthlyReportSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        photos = _checked_files(form.validated_data["photos"], "photos", images_only=True)
        document = submit_monthly_report(self.device, text=form.validated_data["text"], photos=photos)
        return Response(
            {
                "document": document.pk,
                "period": document.period,
                "version": document.version_count,
                "photos": len(photos),
            },
            status=status.HTTP_201_CREATED,
        )
