"""The standardized archives (档案标准化): each subject's execution and working archive.

Where they come from: the Community Corrections Law of the PRC (《中华人民共和国社区矫正法》, 2019)
and its implementing measures (《社区矫正法实施办法》, 司发通〔2020〕59号, Art. 18) have the county's
community-corrections body keep an **execution archive** (执行档案) for every subject — the legal
documents that placed the person under community correction and those of every decision taken in
executing it (intake, approvals, rewards and sanctions, revocation, termination) — and have the
township justice office entrusted with daily supervision keep a **working archive** (工作档案) — the
records of its own work (reports, visits, education, leave, positioning). The catalogue of required
documents (``CatalogueItem``) is seeded from that practice (``backend.archives.catalogue``) and
bureau staff edit it.

Tamper evidence (DA/T 70-2018's four properties: authentic, complete, usable, secure): documents
are never changed. A correction is a new ``DocumentVersion``; every version is an entry of its
archive's hash chain (``backend.core.chain``) carrying the SHA-256 and SM3 digests of its record
(which names every file's digests), and each file is stored through the storage API under the data
folder with its own digests. ``manage.py verify_archives`` walks all of it.
"""

from __future__ import annotations

from typing import Any, NoReturn

from django.conf import settings
from django.core.files.storage import storages
from django.db import models
from django.utils.translation import gettext_lazy as _

from backend.core.chain import GENESIS_HASH
from backend.supervision.models import Subject


class AppendOnlyError(RuntimeError):
    """Raised on any attempt to change or delete a stored version or file of an archive."""


def archive_storage() -> Any:
    """The storage the archives' files go through (``STORAGES["archives"]``): never a public URL."""
    return storages["archives"]


class ArchiveKind(models.TextChoices):
    EXECUTION = "execution", _("execution archive (执行档案)")
    WORK = "work", _("working archive (工作档案)")


class Stage(models.TextChoices):
    INTAKE = "intake", _("intake (入矫)")
    SUPERVISION = "supervision", _("during supervision (矫正期间)")
    TERMINATION = "termination", _("termination (解矫)")


class Recurrence(models.TextChoices):
    ONCE = "once", _("once")
    MONTHLY = "monthly", _("every month")


class CatalogueItem(models.Model):
    """A kind of document an archive holds, at which stage, and by when (editable by the bureau).

    ``deadline_days`` counts from the stage's anchor: the supervision's start (intake), the end
    of each month (monthly items) or the supervision's end (termination; negative is before it).
    A ``required`` item counts towards completeness; others are filed when they happen (leave
    approvals, rewards and sanctions, positioning orders).
    """

    code = models.SlugField(_("code"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=100)
    archive_kind = models.CharField(_("archive"), max_length=10, choices=ArchiveKind.choices)
    stage = models.CharField(_("stage"), max_length=12, choices=Stage.choices)
    recurrence = models.CharField(
        _("recurrence"), max_length=10, choices=Recurrence.choices, default=Recurrence.ONCE
    )
    required = models.BooleanField(_("required"), default=True)
    deadline_days = models.SmallIntegerField(_("deadline (days from the stage's anchor)"), default=10)
    sentence_types = models.JSONField(
        _("only for sentence types"), default=list, blank=True, help_text=_("empty: every sentence type")
    )
    legal_basis = models.CharField(_("legal basis"), max_length=200, blank=True)
    order = models.PositiveSmallIntegerField(_("order"), default=0)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("required document")
        verbose_name_plural = _("catalogue of required documents")
        ordering = ["archive_kind", "stage", "order", "code"]

    def __str__(self) -> str:
        return f"{self.name} ({self.get_archive_kind_display()})"

    def applies_to(self, subject: Subject) -> bool:
        return not self.sentence_types or subject.sentence_type in self.sentence_types


class Archive(models.Model):
    """One subject's execution or working archive: a hash chain of document versions.

    ``head_hash`` and ``length`` are the chain's last entry hash and its number of entries,
    advanced under a row lock by every new version, so a removed tail is found too.
    """

    subject = models.ForeignKey(
        Subject, verbose_name=_("subject"), on_delete=models.PROTECT, related_name="archives"
    )
    kind = models.CharField(_("archive"), max_length=10, choices=ArchiveKind.choices)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    head_hash = models.CharField(_("last entry hash"), max_length=64, default=GENESIS_HASH)
    length = models.PositiveIntegerField(_("entries"), default=0)

    class Meta:
        verbose_name = _("archive")
        verbose_name_plural = _("archives")
        ordering = ["subject_id", "kind"]
        constraints = [models.UniqueConstraint(fields=["subject", "kind"], name="archive_once_per_kind")]

    def __str__(self) -> str:
        return f"{self.subject} · {self.get_kind_display()}"


class Origin(models.TextChoices):
    UPLOADED = "uploaded", _("uploaded by staff")
    PHONE = "phone", _("sent from the phone")
    GENERATED = "generated", _("generated from a record")
    SANCTION = "sanction", _("reward or sanction")


class Document(models.Model):
    """A document of an archive; its content is in its versions (the latest is current).

    A generated document (a resolved alert, a leave decision…) names its record in
    ``source_key`` (``alert:12``), once per archive.
    """

    archive = models.ForeignKey(
        Archive, verbose_name=_("archive"), on_delete=models.PROTECT, related_name="documents"
    )
    catalogue_item = models.ForeignKey(
        CatalogueItem,
        verbose_name=_("catalogue item"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="documents",
    )
    title = models.CharField(_("title"), max_length=200)
    period = models.CharField(_("period (month)"), max_length=7, blank=True)
    origin = models.CharField(_("origin"), max_length=10, choices=Origin.choices)
    source_key = models.CharField(_("source record"), max_length=80, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    version_count = models.PositiveIntegerField(_("versions"), default=0)

    class Meta:
        verbose_name = _("archive document")
        verbose_name_plural = _("archive documents")
        ordering = ["archive_id", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["archive", "source_key"],
                condition=~models.Q(source_key=""),
                name="document_once_per_source",
            )
        ]
        indexes = [models.Index(fields=["archive", "catalogue_item", "period"], name="document_item_period")]

    def __str__(self) -> str:
        return self.title


class AppendOnlyQuerySet(models.QuerySet[Any]):
    def update(self, **kwargs: Any) -> NoReturn:
        raise AppendOnlyError("archive versions are append-only: add a new version")

    def delete(self) -> NoReturn:
        raise AppendOnlyError("archive versions are append-only: add a new version")


class AppendOnlyModel(models.Model):
    class Meta:
        abstract = True

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.pk is not None and not kwargs.get("force_insert"):
            raise AppendOnlyError("archive versions are append-only: add a new version")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> NoReturn:
        raise AppendOnlyError("archive versions are append-only: add a new version")


class DocumentVersion(AppendOnlyModel):
    """One version of a document and one entry of its archive's hash chain (append-only).

    ``sha256``/``sm3`` digest the version's record (``backend.archives.services.chain.record_of``:
    the document's title, item and period, this version's data, note, author, time and every
    file's digests); ``entry_hash`` links it to the archive's previous entry.
    """

    archive = models.ForeignKey(
        Archive, verbose_name=_("archive"), on_delete=models.PROTECT, related_name="entries"
    )
    position = models.PositiveIntegerField(_("position in the archive"))
    document = models.ForeignKey(
        Document, verbose_name=_("document"), on_delete=models.PROTECT, related_name="versions"
    )
    number = models.PositiveIntegerField(_("version"))
    data = models.JSONField(_("content"), default=dict, blank=True)
    note = models.CharField(_("reason for this version"), max_length=500, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created at"))
    sha256 = models.CharField(_("SHA-256 of the record"), max_length=64)
    sm3 = models.CharField(_("SM3 of the record"), max_length=64)
    previous_hash = models.CharField(_("previous entry hash"), max_length=64)
    entry_hash = models.CharField(_("entry hash"), max_length=64)

    objects = AppendOnlyQuerySet.as_manager()

    class Meta:
        verbose_name = _("document version")
        verbose_name_plural = _("document versions")
        ordering = ["archive_id", "position"]
        constraints = [
            models.UniqueConstraint(fields=["archive", "position"], name="version_position_once"),
            models.UniqueConstraint(fields=["document", "number"], name="version_number_once"),
        ]

    def __str__(self) -> str:
        return f"{self.document} v{self.number}"


class VersionFile(AppendOnlyModel):
    """A file of a document version, stored through ``archive_storage`` (never a public URL)."""

    version = models.ForeignKey(
        DocumentVersion, verbose_name=_("version"), on_delete=models.PROTECT, related_name="files"
    )
    index = models.PositiveSmallIntegerField(_("index"))
    name = models.CharField(_("file name"), max_length=200)
    path = models.CharField(_("stored at"), max_length=300, unique=True)
    content_type = models.CharField(_("content type"), max_length=100)
    size = models.BigIntegerField(_("size (bytes)"))
    sha256 = models.CharField(_("SHA-256"), max_length=64)
    sm3 = models.CharField(_("SM3"), max_length=64)

    objects = AppendOnlyQuerySet.as_manager()

    class Meta:
        verbose_name = _("document file")
        verbose_name_plural = _("document files")
        ordering = ["version_id", "index"]
        constraints = [models.UniqueConstraint(fields=["version", "index"], name="file_index_once")]

    def __str__(self) -> str:
        return self.name


class SanctionKind(models.TextChoices):
    COMMENDATION = "commendation", _("commendation (表扬)")
    REPRIMAND = "reprimand", _("reprimand (训诫)")
    WARNING = "warning", _("warning (警告)")
    REVOKE_PROBATION = "revoke_probation", _("proposal to revoke probation (提请撤销缓刑)")
    REVOKE_PAROLE = "revoke_parole", _("proposal to revoke parole (提请撤销假释)")
    IMPRISONMENT = "imprisonment", _("proposal of imprisonment (提请收监执行)")


class Sanction(models.Model):
    """A reward or sanction (奖惩): facts, legal basis, proposer, approver and date.

    A draft is proposed (by an officer, or by resolving an alert as a 训诫/警告 proposal) and
    approved by an office head or the bureau; both steps are versions of its archive document.
    """

    class Status(models.TextChoices):
        DRAFT = "draft", _("draft")
        APPROVED = "approved", _("approved")
        WITHDRAWN = "withdrawn", _("withdrawn")

    subject = models.ForeignKey(
        Subject, verbose_name=_("subject"), on_delete=models.PROTECT, related_name="sanctions"
    )
    kind = models.CharField(_("kind"), max_length=20, choices=SanctionKind.choices)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.DRAFT)
    facts = models.TextField(_("facts"))
    legal_basis = models.CharField(_("legal basis"), max_length=300)
    proposed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("proposed by"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    proposed_at = models.DateTimeField(_("proposed at"), auto_now_add=True)
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("approved by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    decided_on = models.DateField(_("date of decision"), null=True, blank=True)
    alert_id = models.BigIntegerField(_("from alert"), null=True, blank=True, unique=True)
    document = models.OneToOneField(
        Document,
        verbose_name=_("archive document"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="sanction",
    )

    class Meta:
        verbose_name = _("reward or sanction")
        verbose_name_plural = _("rewards and sanctions")
        ordering = ["-proposed_at", "-id"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} · {self.subject}"
