from django.urls import path

from backend.core.api import Router
from backend.supervision.api import views

router = Router()
router.register("subjects", views.SubjectViewSet, basename="subject")
router.register("released-persons", views.ReleasedPersonViewSet, basename="released-person")

urlpatterns = [
    path("mobile/enroll", views.EnrollView.as_view(), name="mobile-enroll"),
    path("mobile/me", views.MeView.as_view(), name="mobile-me"),
    path("supervision-policy", views.SupervisionPolicyView.as_view(), name="supervision-policy"),
    *router.urls,
]
