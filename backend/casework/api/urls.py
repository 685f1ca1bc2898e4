from django.urls import path

from backend.casework.api import views
from backend.core.api import Router

router = Router()
router.register("leave-requests", views.LeaveRequestViewSet, basename="leave-request")
router.register("positioning-orders", views.PositioningOrderViewSet, basename="positioning-order")
router.register("curfew-checks", views.CurfewCheckViewSet, basename="curfew-check")

urlpatterns = [
    path("mobile/leave-requests", views.MobileLeaveRequestsView.as_view(), name="mobile-leave-requests"),
    path(
        "subjects/<int:pk>/positioning-regimes",
        views.PositioningRegimesView.as_view(),
        name="subject-regimes",
    ),
    path("subjects/<int:pk>/home-zones", views.HomeZonesView.as_view(), name="subject-home-zones"),
    path("geocode", views.GeocodeView.as_view(), name="geocode"),
    *router.urls,
]
