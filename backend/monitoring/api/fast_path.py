"""The check-in upload's fast path: a middleware that answers well-formed uploads itself.

Check-in uploads are most of the server's requests (every phone, every few minutes, all day),
and for a one-fix upload Django's middleware stack, URL resolution and DRF's request wrapping,
content negotiation and authentication classes cost about as much as storing the fix. This
middleware sits right after ``SecurityMiddleware`` and answers the uploads it can answer
exactly as ``CheckinView`` would: a POST of JSON to the check-in path with a device token that
authenticates and a body that ``decode_batch`` takes whole. It calls the view's own functions
(``parse_sent_at``, ``checkin_answer``) and the token's variant of its service
(``record_checkins_with_token``: on PostgreSQL the upload's one statement authenticates the
token, so a one-fix upload is one round trip), and writes the same JSON and headers. Anything
else (a bad token, a malformed body, an odd ``Accept``) goes down the normal stack untouched, so
every error is still the view's. ``CHECKIN_FAST_PATH=0`` turns it off.
"""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from django.utils import translation
from rest_framework.exceptions import ValidationError

from backend.monitoring.api.views import checkin_answer, parse_sent_at
from backend.monitoring.checkin_input import decode_batch
from backend.monitoring.services import record_checkins_with_token
from backend.supervision.api.renderers import PhoneJSONRenderer

_render = PhoneJSONRenderer().render
# What DRF's content negotiation would answer with JSON for; anything else takes the view.
_JSON_ACCEPT = frozenset(("", "*/*", "application/json", "application/*"))
# Accept-Language header -> the language Django picks for it (phones send a handful of values).
_languages: dict[str, str] = {}


class CheckinFastPathMiddleware:
    """Answers well-formed check-in uploads without the rest of the stack (see the module text)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response
        self.enabled = settings.CHECKIN_FAST_PATH
        self.path = reverse("mobile-checkins")
        self.allow = "POST, OPTIONS"

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if not self.enabled or request.path_info != self.path or request.method != "POST":
            return self.get_response(request)
        return self._answer(request) or self.get_response(request)

    def _answer(self, request: HttpRequest) -> HttpResponse | None:
        request.get_host()  # ALLOWED_HOSTS, as CommonMiddleware checks it (DisallowedHost: a 400)
        meta = request.META
        scheme, _space, token = meta.get("HTTP_AUTHORIZATION", "").partition(" ")
        if scheme.lower() != "device" or not token or " " in token:
            return None
        if request.content_type != "application/json" or meta.get("HTTP_ACCEPT", "").strip() not in _JSON_ACCEPT:
            return None
        length = meta.get("CONTENT_LENGTH") or ""
        if not length.isdigit() or int(length) > settings.DATA_UPLOAD_MAX_MEMORY_SIZE:
            return None
        decoded = decode_batch(request.body)
        if decoded is None:
            return None
        fixes, raw_sent_at = decoded
        try:
            sent_at = parse_sent_at(raw_sent_at)
        except ValidationError:
            return None
        # As LocaleMiddleware would: the answer's few texts (a conflict's error) in the phone's
        # language. Phones send no cookies; the language of a header is looked up once.
        header = meta.get("HTTP_ACCEPT_LANGUAGE", "")
        language = _languages.get(header) if "HTTP_COOKIE" not in meta else None
        if language is None:
            language = translation.get_language_from_request(request)
            if "HTTP_COOKIE" not in meta and len(_languages) < 1000:
                _languages[header] = language
        translation.activate(language)
        outcome = record_checkins_with_token(token, fixes, sent_at)
        if outcome is None:  # the token did not authenticate: nothing was stored, the view says why
            return None
        status, answer = checkin_answer(outcome)
        response = HttpResponse(_render(answer), status=status, content_type="application/json")
        # The headers the rest of the stack adds to this answer: DRF's Allow, LocaleMiddleware's
        # language, CommonMiddleware's length, XFrameOptionsMiddleware's frame option.
        response["Allow"] = self.allow
        response["Content-Language"] = language
        response["Vary"] = "Accept-Language"
        response["Content-Length"] = str(len(response.content))
        response["X-Frame-Options"] = settings.X_FRAME_OPTIONS
        return response
