from django.urls import path

from backend.archives.api import views
from backend.core.api import Router

router = Router()
router.register("archives", views.ArchiveViewSet, basename="archive")
router.register("archive-documents", views.DocumentViewSet, basename="archive-document")
router.register("archive-files", views.ArchiveFileViewSet, basename="archive-file")
router.register("sanctions", views.SanctionViewSet, basename="sanction")

urlpatterns = [
    path("archive-catalogue", views.CatalogueView.as_view(), name="archive-catalogue"),
    path("archive-completeness", views.OfficeCompletenessView.as_view(), name="archive-completeness"),
    path(
        "subjects/<int:pk>/archive-completeness",
        views.SubjectCompletenessView.as_view(),
        name="subject-archive-completeness",
    ),
    path(
        "subjects/<int:pk>/archive-export", views.ArchiveExportView.as_view(), name="subject-archive-export"
    ),
    path("mobile/reports", views.MonthlyReportView.as_view(), name="mobile-reports"),
    *router.urls,
]
