from __future__ import annotations

import re
from typing import Any

from django.conf import settings
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers
from rest_framework.exceptions import ValidationError

from backend.archives.models import (
    Archive,
    CatalogueItem,
    Document,
    DocumentVersion,
    Recurrence,
    Sanction,
    SanctionKind,
    VersionFile,
)
from backend.archives.services.reports import MAX_PHOTOS, MAX_TEXT
from backend.core.api import ModelSerializer
from backend.core.parsers import too_large
from backend.supervision.models import Subject

MAX_FILES = 10
PERIOD = re.compile(r"^(20[0-9]{2})-(0[1-9]|1[0-2])$")


def upload_limit(files: int) -> int:
    """The largest multipart body accepted: ``files`` files at the size limit, and the fields."""
    return files * settings.ARCHIVE_MAX_FILE_SIZE + settings.DATA_UPLOAD_MAX_MEMORY_SIZE


def refuse_oversized(request: Any, files: int) -> None:
    """413 before a body is read that could not hold only accepted files."""
    try:
        length = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        length = 0
    if length > upload_limit(files):
        raise too_large()


class CatalogueItemSerializer(ModelSerializer[CatalogueItem]):
    class Meta:
        model = CatalogueItem
        fields = [
            "id",
            "code",
            "name",
            "archive_kind",
            "stage",
            "recurrence",
            "required",
            "deadline_days",
            "sentence_types",
            "legal_basis",
            "order",
            "is_active",
        ]


class ArchiveSerializer(ModelSerializer[Archive]):
    subject_name = serializers.CharField(source="subject.name", read_only=True)
    case_number = serializers.CharField(source="subject.case_number", read_only=True)
    documents = serializers.IntegerField(source="document_total", read_only=True)

    class Meta:
        model = Archive
        fields = [
            "id",
            "subject",
            "subject_name",
            "case_number",
            "kind",
            "created_at",
            "length",
            "head_hash",
            "documents",
        ]


class VersionFileSerializer(ModelSerializer[VersionFile]):
    class Meta:
        model = VersionFile
        fields = ["id", "index", "name", "content_type", "size", "sha256", "sm3"]


class VersionSerializer(ModelSerializer[DocumentVersion]):
    files = VersionFileSerializer(many=True, read_only=True)
    created_by_name = serializers.SerializerMethodField()

    class Meta:
        model = DocumentVersion
        fields = [
            "id",
            "number",
            "position",
            "data",
            "note",
            "created_by",
            "created_by_name",
            "created_at",
            "sha256",
            "sm3",
            "previous_hash",
            "entry_hash",
            "files",
        ]

    def get_created_by_name(self, version: DocumentVersion) -> str:
        return version.created_by.get_full_name() if version.created_by else ""


class DocumentSerializer(ModelSerializer[Document]):
    item = serializers.CharField(source="catalogue_item.code", read_only=True, allow_null=True)
    subject = serializers.IntegerField(source="archive.subject_id", read_only=True)
    kind = serializers.CharField(source="archive.kind", read_only=True)

    class Meta:
        model = Document
        fields = [
            "id",
            "archive",
            "subject",
            "kind",
            "item",
            "title",
            "period",
            "origin",
            "source_key",
            "created_at",
            "created_by",
            "version_count",
        ]


class DocumentDetailSerializer(DocumentSerializer):
    versions = VersionSerializer(many=True, read_only=True)

    class Meta(DocumentSerializer.Meta):
        fields = [*DocumentSerializer.Meta.fields, "versions"]


class FilesField(serializers.ListField):
    child = serializers.FileField(allow_empty_file=False)


class NewVersionSerializer(serializers.Serializer[Any]):
    """A new version (a correction): its content and files. A multipart body, or JSON without files."""

    description = serializers.CharField(max_length=MAX_TEXT, required=False, allow_blank=True, default="")
    note = serializers.CharField(max_length=500, required=False, allow_blank=True, default="")
    files = FilesField(required=False, max_length=MAX_FILES, default=list)


class NewDocumentSerializer(NewVersionSerializer):
    """A new document of a subject's archive, for an item of the catalogue, with its first version."""

    subject = serializers.PrimaryKeyRelatedField(queryset=Subject.objects.none())
    item = serializers.SlugRelatedField(
        slug_field="code", queryset=CatalogueItem.objects.filter(is_active=True)
    )
    title = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")
    period = serializers.CharField(
        max_length=7,
        required=False,
        allow_blank=True,
        default="",
        help_text=gettext_lazy("The month (YYYY-MM) of a monthly item."),
    )

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        item: CatalogueItem = attrs["item"]
        period = attrs.get("period", "")
        subject: Subject = attrs["subject"]
        if item.recurrence == Recurrence.MONTHLY:
            match = PERIOD.match(period)
            if not match:
                raise ValidationError({"period": [_("Give the month as YYYY-MM.")]})
            first = subject.supervision_start.strftime("%Y-%m")
            last = subject.supervision_end.strftime("%Y-%m")
            if not first <= period <= last:
                raise ValidationError({"period": [_("The month is outside the person's supervision.")]})
        elif period:
            raise ValidationError({"period": [_("Only a monthly item has a period.")]})
        if not item.applies_to(subject):
            raise ValidationError({"item": [_("This item does not apply to the person's sentence.")]})
        return attrs


class RewardSanctionSerializer(ModelSerializer[Sanction]):
    class Meta:
        model = Sanction
        fields = [
            "id",
            "subject",
            "kind",
            "status",
            "facts",
            "legal_basis",
            "proposed_by",
            "proposed_at",
            "approved_by",
            "decided_on",
            "alert_id",
            "document",
        ]
        read_only_fields = [
            "status",
            "proposed_by",
            "proposed_at",
            "approved_by",
            "decided_on",
            "alert_id",
            "document",
        ]


class SanctionProposalSerializer(serializers.Serializer[Any]):
    subject = serializers.PrimaryKeyRelatedField(queryset=Subject.objects.none())
    kind = serializers.ChoiceField(choices=SanctionKind.choices)
    facts = serializers.CharField(max_length=5000)
    legal_basis = serializers.CharField(max_length=300, required=False, allow_blank=True, default="")


class SanctionApprovalSerializer(serializers.Serializer[Any]):
    decided_on = serializers.DateField(required=False)


class MonthlyReportSerializer(serializers.Serializer[Any]):
    """The phone's monthly report: its text and up to five photos (multipart), or text alone (JSON)."""

    text = serializers.CharField(max_length=MAX_TEXT)
    photos = FilesField(required=False, max_length=MAX_PHOTOS, default=list)


class MonthlyReportFiledSerializer(serializers.Serializer[Any]):
    document = serializers.IntegerField()
    period = serializers.CharField()
    version = serializers.IntegerField()
    photos = serializers.IntegerField()


@extend_schema_field({"type": "object", "additionalProperties": True})
class _Any(serializers.DictField):
    pass


class CompletenessSerializer(serializers.Serializer[Any]):
    subject = serializers.IntegerField()
    due = serializers.IntegerField(help_text=gettext_lazy("required documents due by now"))
    present = serializers.IntegerField()
    overdue = serializers.IntegerField()
    missing = serializers.ListField(child=_Any())


class OfficeCompletenessSerializer(serializers.Serializer[Any]):
    office = serializers.IntegerField()
    office_name = serializers.CharField()
    stage = serializers.CharField()
    due = serializers.IntegerField(help_text=gettext_lazy("required documents due by now"))
    present = serializers.IntegerField()
    missing = serializers.IntegerField()
    overdue = serializers.IntegerField()
