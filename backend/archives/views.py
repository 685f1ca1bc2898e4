"""The completeness page beside the console (档案完整性): same login, the caller's offices only.

Rendered on the server from the same services as the API; every view of it is written to the
access log. Without a session it sends the browser to the console, which has the login.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_safe

from backend.accounts.models import User
from backend.accounts.scoping import scope_to_offices
from backend.archives.models import Stage
from backend.archives.services.completeness import expected_documents, office_completeness
from backend.audit.models import AccessLog
from backend.audit.services import record_access
from backend.supervision.models import Subject

MAX_PEOPLE_SHOWN = 500


@require_safe
def completeness_page(request: HttpRequest) -> HttpResponse:
    user = request.user
    if not isinstance(user, User) or not user.is_authenticated or not user.is_active:
        return HttpResponseRedirect("/console/")
    stage = request.GET.get("stage") or None
    if stage not in (None, *Stage.values):
        stage = None
    subjects = scope_to_offices(Subject.objects.filter(status=Subject.Status.IN_SUPERVISION), user)
    summary = office_completeness(subjects, stage=stage)
    people = list(subjects.select_related("office").order_by("office_id", "name")[:MAX_PEOPLE_SHOWN])
    missing: dict[int, list[Any]] = defaultdict(list)
    for expected in expected_documents(people, stage=stage):
        if not expected.present:
            missing[expected.subject_id].append(expected)
    rows = [
        {"subject": s, "missing": missing[s.pk], "overdue": sum(e.overdue for e in missing[s.pk])}
        for s in people
        if missing[s.pk]
    ]
    record_access(
        request,
        action=AccessLog.Action.LIST,
        resource="archive_completeness",
        detail={"page": True, "stage": stage, "ids": [row["subject"].pk for row in rows][:500]},
    )
    response = render(
        request,
        "archives/completeness.html",
        {
            "summary": summary,
            "rows": rows,
            "stages": Stage.choices,
            "stage": stage or "",
            "today": timezone.localdate(),
            "stage_names": dict(Stage.choices),
        },
    )
    response["Content-Security-Policy"] = (
        "default-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
    )
    return response
