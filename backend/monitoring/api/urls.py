from django.urls import path

from backend.core.api import Router
from backend.monitoring.api import views

router = Router()
router.register("alerts", views.AlertViewSet, basename="alert")
router.register("zones", views.ZoneViewSet, basename="zone")

urlpatterns = [
    path("mobile/checkins", views.CheckinView.as_view(), name="mobile-checkins"),
    path("mobile/status", views.PhoneStatusView.as_view(), name="mobile-status"),
    path("mobile/commands", views.PendingCommandsView.as_view(), name="mobile-commands"),
    path("mobile/commands/<int:pk>/ack", views.CommandAckView.as_view(), name="mobile-command-ack"),
    path("subjects/<int:pk>/track", views.TrackView.as_view(), name="subject-track"),
    path("positions", views.LatestPositionsView.as_view(), name="positions"),
    *router.urls,
]
