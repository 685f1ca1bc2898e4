from django.urls import path

from backend.accounts.api import views
from backend.core.api import Router

router = Router()
router.register("offices", views.OfficeViewSet, basename="office")

urlpatterns = [
    path("auth/login", views.LoginView.as_view(), name="auth-login"),
    path("auth/logout", views.LogoutView.as_view(), name="auth-logout"),
    path("auth/me", views.MeView.as_view(), name="auth-me"),
    path("auth/otp-device", views.OtpDeviceView.as_view(), name="auth-otp-device"),
    path("auth/otp-device/confirm", views.OtpDeviceConfirmView.as_view(), name="auth-otp-device-confirm"),
    path("ping", views.PingView.as_view(), name="ping"),
    *router.urls,
]
