"""Staff learning's target (part 6): a staff lecture every week."""

from __future__ import annotations

from django.db.models import Count
from django.db.models.functions import ExtractMonth
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from backend.bureau.indicators import IndicatorSpec, Progress, cumulative, register_indicator
from backend.learning.models import LECTURES_TARGET, StaffLecture


def lectures_progress(year: int) -> Progress:
    today = timezone.localdate()
    through = 12 if year < today.year else (0 if year > today.year else today.month)
    monthly = {
        row["month"]: float(row["n"])
        for row in StaffLecture.objects.filter(held_on__year=year)
        .annotate(month=ExtractMonth("held_on"))
        .values("month")
        .annotate(n=Count("pk"))
    }
    return Progress(value=float(sum(monthly.values())), by_month=cumulative(monthly, through=through))


def register() -> None:
    register_indicator(
        IndicatorSpec(
            code="staff-lectures",
            module="learning",
            name=_("Weekly staff lectures held"),
            target=LECTURES_TARGET,
            measure="次",
            compute=lectures_progress,
            description=_("每周组织干警结合本职业务授课，班子成员现场点评."),
        )
    )
