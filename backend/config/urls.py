from django.contrib import admin
from django.http import HttpRequest, JsonResponse
from django.urls import URLPattern, URLResolver, include, path, re_path
from django.views.decorators.csrf import csrf_exempt
from django.views.generic import RedirectView
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView
from rest_framework.exceptions import NotFound

from backend.archives.views import completeness_page
from backend.core.errors import readiness
from backend.monitoring.views import console_page
from backend.plan.views import plan_page, plotly_js


def health(request: HttpRequest) -> JsonResponse:
    """Liveness for load balancers and docker-compose health checks."""
    return JsonResponse({"status": "ok"})


@csrf_exempt  # nothing is changed here; the 404 must not become a CSRF refusal page
def api_not_found(request: HttpRequest, unmatched: str) -> JsonResponse:
    """Any other path under the API (an id that is not a number, a typo): a 404 in the API's
    error shape, whatever the method, instead of Django's HTML page."""
    return JsonResponse(
        {"detail": str(NotFound.default_detail), "code": "not_found"},
        status=404,
        json_dumps_params={"ensure_ascii": False},  # as the rest of the API writes Chinese
    )


api_v1: list[URLPattern | URLResolver] = [
    path("", include("backend.accounts.api.urls")),
    # Before supervision: /released-persons/ledger.xlsx is resettlement's, not a released person.
    path("", include("backend.resettlement.api.urls")),
    path("", include("backend.education.api.urls")),
    path("", include("backend.supervision.api.urls")),
    path("", include("backend.audit.api.urls")),
    path("", include("backend.monitoring.api.urls")),
    path("", include("backend.reminders.api.urls")),
    path("", include("backend.duty.api.urls")),
    path("", include("backend.casework.api.urls")),
    path("", include("backend.bureau.api.urls")),
    path("", include("backend.lawadmin.api.urls")),
    path("", include("backend.business.api.urls")),
    path("", include("backend.screening.api.urls")),
    path("", include("backend.archives.api.urls")),
    path("", include("backend.publicity.api.urls")),
    path("", include("backend.mediation.api.urls")),
    path("", include("backend.learning.api.urls")),
    path("", include("backend.plan.api.urls")),
    re_path(r"^(?P<unmatched>.*)$", api_not_found),
]

urlpatterns = [
    path("", RedirectView.as_view(url="/console/", permanent=False)),
    path("healthz", health, name="health"),
    path("readyz", readiness, name="readiness"),
    path("admin/", admin.site.urls),
    path("api/v1/", include(api_v1)),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="schema"), name="swagger-ui"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("console/", console_page, name="console"),
    path("console/archives/", completeness_page, name="console-archives"),
    path("plan/", plan_page, name="plan"),
    path("plan/plotly-<str:version>.min.js", plotly_js, name="plotly-js"),
]

admin.site.site_header = admin.site.site_title = "corrections-monitor"

# An unreachable database is a 503 with Retry-After; any other failure under /api/ a JSON 500.
handler404 = "backend.core.errors.not_found"
handler500 = "backend.core.errors.server_error"
