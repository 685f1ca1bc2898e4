from django.contrib import admin

from backend.bureau.admin import BureauAdmin
from backend.learning.models import Attendance, LectureReview, StaffLecture, StudyTrip, TrainingClass


class AttendanceInline(admin.TabularInline):  # type: ignore[type-arg]  # generic in the stubs only
    model = Attendance
    extra = 0
    autocomplete_fields = ["staff"]


@admin.register(TrainingClass)
class TrainingClassAdmin(BureauAdmin):
    list_display = ["held_on", "topic", "lecturer", "lecturer_kind", "hours"]
    list_filter = ["lecturer_kind"]
    date_hierarchy = "held_on"
    inlines = [AttendanceInline]


class ReviewInline(admin.TabularInline):  # type: ignore[type-arg]  # generic in the stubs only
    model = LectureReview
    extra = 0
    autocomplete_fields = ["reviewer"]


@admin.register(StaffLecture)
class StaffLectureAdmin(BureauAdmin):
    list_display = ["held_on", "speaker", "topic"]
    date_hierarchy = "held_on"
    autocomplete_fields = ["speaker"]
    inlines = [ReviewInline]


@admin.register(StudyTrip)
class StudyTripAdmin(BureauAdmin):
    list_display = ["destination", "starts_on", "ends_on", "topics"]
    filter_horizontal = ["participants"]
