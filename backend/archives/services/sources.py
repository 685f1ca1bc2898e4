"""Generated documents: records that exist elsewhere appear in the working archive, not retyped.

A *source* turns one kind of record (a resolved alert, a leave decision, a positioning order,
education attendance, a screening result) into ``Generated`` documents of a subject. Sources are
registered by name (``register_source``); ``sync_generated_documents`` files each record once
(by its ``source_key``) and adds a version when the record changed since (a correction is a
new version, never an edit).

The modules above monitoring are written alongside this one: their sources look their models up
by name (``apps.get_model``) and give nothing while a model does not exist, so the archive fills
in as each module lands.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from django.apps import apps
from django.db import models
from django.utils import timezone

from backend.archives.models import Document, Origin
from backend.archives.services.documents import add_document, add_version, catalogue_item
from backend.core.chain import canonical_json
from backend.monitoring.models import Alert
from backend.supervision.models import Subject


@dataclass(frozen=True)
class Generated:
    """One document a source makes of one record."""

    source_key: str  # "alert:12", once per archive
    catalogue_code: str
    title: str
    data: dict[str, Any]
    period: str = ""


Source = Callable[[Subject], Iterable[Generated]]
_sources: dict[str, Source] = {}


def register_source(name: str, source: Source) -> None:
    """Add (or replace, by name) a source of generated documents."""
    _sources[name] = source


def registered_sources() -> dict[str, Source]:
    return dict(_sources)


def _jsonable(value: Any) -> Any:
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, models.Model):
        return value.pk
    if isinstance(value, str | int | float | bool | dict | list) or value is None:
        return value
    return str(value)


def snapshot(instance: models.Model, exclude: Iterable[str] = ()) -> dict[str, Any]:
    """A record's concrete fields as JSON values (foreign keys by id), for a generated document."""
    skip = set(exclude)
    return {
        field.attname: _jsonable(getattr(instance, field.attname))
        for field in instance._meta.concrete_fields
        if field.attname not in skip
    }


def sync_generated_documents(subject: Subject) -> int:
    """File every source's records of ``subject``; the number of versions added."""
    added = 0
    for source in list(_sources.values()):
        for generated in source(subject):
            added += _file(subject, generated)
    return added


def _file(subject: Subject, generated: Generated) -> int:
    item = catalogue_item(generated.catalogue_code)
    kind = item.archive_kind if item is not None else "work"
    document = Document.objects.filter(
        archive__subject=subject, archive__kind=kind, source_key=generated.source_key
    ).first()
    if document is None:
        add_document(
            subject,
            title=generated.title,
            item=item,
            origin=Origin.GENERATED,
            data=generated.data,
            source_key=generated.source_key,
            period=generated.period,
            kind=kind,
        )
        return 1
    latest = document.versions.order_by("-number").values_list("data", flat=True).first()
    if latest is not None and canonical_json(latest) == canonical_json(generated.data):
        return 0
    add_version(document, data=generated.data, note="the source record changed")
    return 1


# ---------------------------------------------------------------------------------------------
# The sources
# ---------------------------------------------------------------------------------------------


def resolved_alerts(subject: Subject) -> Iterable[Generated]:
    """Alerts resolved (预警处置): what happened and what staff did."""
    for alert in Alert.objects.filter(subject=subject, status=Alert.Status.RESOLVED).order_by("pk"):
        yield alert_document(alert)


def alert_document(alert: Alert) -> Generated:
    return Generated(
        source_key=f"alert:{alert.pk}",
        catalogue_code="alert_handling",
        title=f"预警处置记录 #{alert.seq} {alert.get_kind_display()}",
        data={
            "alert": alert.pk,
            "seq": alert.seq,
            "kind": alert.kind,
            "severity": alert.severity,
            "occurred_at": _jsonable(alert.occurred_at),
            "resolved_at": _jsonable(alert.resolved_at),
            "resolved_by": alert.resolved_by_id,
            "resolution": alert.resolution,
            "note": alert.resolution_note,
            "evidence": alert.evidence,
        },
    )


def model_source(
    app_label: str,
    model_name: str,
    *,
    catalogue_code: str,
    title: str,
    of_subject: Callable[[Subject], dict[str, Any]] | None = None,
    only: Callable[[Any], bool] | None = None,
    period: Callable[[Any], str] | None = None,
) -> Source:
    """A source over another module's model, found by name at call time; empty while it is absent.

    ``of_subject`` gives the filter of a subject's records (default ``{"subject": subject}``);
    ``only`` keeps the records that belong in the archive (decided, finished); ``period`` names
    the month a record counts for (an education session's).
    """

    def source(subject: Subject) -> Iterable[Generated]:
        try:
            model = apps.get_model(app_label, model_name)
        except LookupError:
            return
        lookup = of_subject(subject) if of_subject is not None else {"subject": subject}
        field_names = {f.name for f in model._meta.get_fields()}
        if not {key.split("__", 1)[0] for key in lookup} <= field_names:
            return
        for record in model._default_manager.filter(**lookup).order_by("pk"):
            if only is not None and not only(record):
                continue
            yield Generated(
                source_key=f"{app_label}.{model_name.lower()}:{record.pk}",
                catalogue_code=catalogue_code,
                title=f"{title} #{record.pk}",
                data={"model": f"{app_label}.{model_name}", **snapshot(record)},
                period=period(record) if period is not None else "",
            )

    return source


def _decided(record: Any) -> bool:
    """A decision counts once made (approved, refused, in force, ended), not while it waits."""
    status = str(getattr(record, "status", "") or getattr(record, "outcome", "") or "")
    return status not in {"", "pending", "draft", "submitted", "queued", "running"}


def _screening_finished(result: Any) -> bool:
    return str(result.screening.status) == "finished"


def _session_month(enrollment: Any) -> str:
    return str(timezone.localtime(enrollment.session.starts_at).strftime("%Y-%m"))


def register_builtin_sources() -> None:
    register_source("monitoring.alerts_resolved", resolved_alerts)
    register_source(
        "supervision.level_changes",
        model_source("supervision", "LevelChange", catalogue_code="level_change", title="分类管理调整"),
    )
    register_source(
        "casework.leave",
        model_source(
            "casework", "LeaveRequest", catalogue_code="leave_approval", title="外出审批", only=_decided
        ),
    )
    register_source(
        "casework.positioning",
        model_source(
            "casework",
            "PositioningOrder",
            catalogue_code="positioning_order",
            title="电子定位审批",
            only=_decided,
        ),
    )
    register_source(
        "education.attendance",
        model_source(
            "education",
            "Enrollment",
            catalogue_code="education_record",
            title="教育学习记录",
            only=_decided,
            period=_session_month,
        ),
    )
    register_source(
        "screening.results",
        model_source(
            "screening",
            "ScreeningResult",
            catalogue_code="screening_result",
            title="风险评估结果",
            of_subject=lambda subject: {"person_kind": "subject", "person_id": subject.pk},
            only=_screening_finished,
        ),
    )
