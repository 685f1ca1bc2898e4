from django.urls import path

from backend.core.api import Router
from backend.education.api import views

router = Router()
router.register("education-sessions", views.EducationSessionViewSet, basename="education-session")
router.register("education-enrollments", views.EnrollmentViewSet, basename="education-enrollment")
router.register("attendance-rules", views.AttendanceRuleViewSet, basename="education-rule")

urlpatterns = [
    path("education/hours-behind", views.HoursBehindView.as_view(), name="education-hours-behind"),
    path("education/hours-behind.xlsx", views.HoursBehindLedgerView.as_view(), name="education-hours-ledger"),
    path("mobile/education", views.MobileEducationView.as_view(), name="mobile-education"),
    *router.urls,
]
