"""The check-in upload's fast path: a WSGI layer in front of Django that answers well-formed uploads.

Check-in uploads are most of the server's requests (every phone, every few minutes, all day),
and for a one-fix upload Django's request and response objects, its middleware stack, URL
resolution and DRF's request wrapping, content negotiation and authentication classes cost
more than storing the fix. ``CheckinFastPath`` wraps the WSGI application (``config/wsgi.py``,
what gunicorn serves) and answers the uploads it can answer exactly as ``CheckinView`` would: a
POST of JSON to the check-in path, on an allowed host, with a device token that authenticates,
signed by its phone (``supervision.signing``: the phone's key is cached by token in the
process, and the request's receipt is recorded by the upload's statement, so the check costs no
round trip) and a body that ``decode_batch`` takes whole. It
calls the view's own functions (``parse_sent_at``, ``checkin_answer``) and the token's variant of its service
(``record_checkins_with_token``: on PostgreSQL the upload's one statement authenticates the
token, so a one-fix upload is one round trip), sends Django's request signals (which keep the
database connections healthy) and writes the same JSON and headers, those of
``SecurityMiddleware`` included. Anything else (a bad token or signature, a malformed body, an odd
``Accept``, a host not allowed, plain HTTP where HTTPS is required) goes to Django untouched,
so every error is still the view's or the middleware's. ``CHECKIN_FAST_PATH=0`` turns it off.
The ASGI application (the embedded ``make run`` server) has no fast path: uploads take the view.
"""

from __future__ import annotations

import functools
import io
from collections.abc import Callable, Iterable
from http.client import responses
from typing import Any

from django.conf import settings
from django.core import signals
from django.core.handlers.exception import response_for_exception
from django.core.handlers.wsgi import WSGIRequest, get_path_info, get_script_name
from django.core.signals import setting_changed
from django.dispatch import receiver
from django.http import HttpRequest, HttpResponse
from django.http.request import split_domain_port, validate_host
from django.middleware.security import SecurityMiddleware
from django.urls import reverse
from django.utils import translation
from django.utils.encoding import escape_uri_path, iri_to_uri
from rest_framework.exceptions import APIException, ValidationError

from backend.monitoring.api.views import checkin_answer, parse_sent_at
from backend.monitoring.checkin_input import decode_batch
from backend.monitoring.services import record_checkins_with_token
from backend.supervision.api.renderers import PhoneJSONRenderer
from backend.supervision.services import public_key_for_token
from backend.supervision.signing import (
    Receipt,
    SignedRequest,
    body_digest,
    signature_headers,
    verify_signature,
)

StartResponse = Callable[..., Any]
WSGIApp = Callable[[dict[str, Any], StartResponse], Iterable[bytes]]

_render = PhoneJSONRenderer().render
# What DRF's content negotiation would answer with JSON for; anything else takes the view.
_JSON_ACCEPT = frozenset(("", "*/*", "application/json", "application/*"))
# The body's media types the view's JSON parser reads the same way as ``decode_batch`` (UTF-8).
_JSON_CONTENT = frozenset(("application/json", "application/json;charset=utf-8"))
# Accept-Language header -> the language Django picks for it (phones send a handful of values).
_languages: dict[str, str] = {}


class CheckinFastPath:
    """WSGI middleware: answers well-formed check-in uploads without Django's stack (see the module text)."""

    def __init__(self, app: WSGIApp) -> None:
        self.app = app
        self.path = reverse("mobile-checkins")

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        if (
            environ.get("PATH_INFO") != self.path
            or environ.get("REQUEST_METHOD") != "POST"
            or not settings.CHECKIN_FAST_PATH
        ):
            return self.app(environ, start_response)
        upload = _json_upload(environ)
        if upload is None:
            return self.app(environ, start_response)
        token, body = upload
        decoded = decode_batch(body)
        if decoded is None:
            return self.app(environ, start_response)
        fixes, raw_sent_at = decoded
        try:
            sent_at = parse_sent_at(raw_sent_at)
        except ValidationError:
            return self.app(environ, start_response)
        signals.request_started.send(sender=self.__class__, environ=environ)
        language = _language(environ)
        translation.activate(language)
        try:
            signed, signature = _signed_by_its_phone(environ, token, body)
            if not signed:  # the view says what is wrong
                return self.app(environ, start_response)
            outcome = record_checkins_with_token(token, fixes, sent_at, signature)
            # None: the token did not authenticate, or a replay; nothing was stored, the view says why.
            if outcome is None:
                return self.app(environ, start_response)
            status, answer = checkin_answer(outcome)
            content = _render(answer)
        except Exception as exc:  # as Django's handler would: logged, and its error page
            response = response_for_exception(WSGIRequest(environ), exc)
            start_response(f"{response.status_code} {response.reason_phrase}", list(response.items()))
            return response  # closing it sends request_finished
        # The headers the rest of the stack adds to this answer: DRF's Allow, LocaleMiddleware's
        # language, CommonMiddleware's length, XFrameOptionsMiddleware's frame option, and
        # SecurityMiddleware's.
        start_response(
            f"{status} {responses.get(status, 'Unknown Status Code')}",
            [
                ("Content-Type", "application/json"),
                ("Allow", "POST, OPTIONS"),
                ("Content-Language", language),
                ("Vary", "Accept-Language"),
                ("Content-Length", str(len(content))),
                ("X-Frame-Options", settings.X_FRAME_OPTIONS),
                *_security_headers(_is_secure(environ)),
            ],
        )
        signals.request_finished.send(sender=self.__class__)
        return [content]


def _json_upload(environ: dict[str, Any]) -> tuple[str, bytes] | None:
    """The device token and body of a request the fast path may answer, or ``None`` to leave it
    to Django.

    Once read, the body is put back as the request's input, so whoever answers instead reads it.
    """
    scheme, _space, token = str(environ.get("HTTP_AUTHORIZATION", "")).partition(" ")
    if scheme.lower() != "device" or not token or " " in token:
        return None
    content_type = str(environ.get("CONTENT_TYPE", "")).lower().replace(" ", "")
    if content_type not in _JSON_CONTENT or str(environ.get("HTTP_ACCEPT", "")).strip() not in _JSON_ACCEPT:
        return None
    length = str(environ.get("CONTENT_LENGTH") or "")
    if not length.isdigit() or int(length) > settings.DATA_UPLOAD_MAX_MEMORY_SIZE:
        return None
    # SecurityMiddleware redirects plain HTTP when HTTPS is required; CommonMiddleware refuses a
    # host not allowed (a 400). Both are left to them.
    if (settings.SECURE_SSL_REDIRECT and not _is_secure(environ)) or not _host_allowed(environ):
        return None
    body: bytes = environ["wsgi.input"].read(int(length))
    environ["wsgi.input"] = io.BytesIO(body)
    return token, body


def _signed_by_its_phone(environ: dict[str, Any], token: str, body: bytes) -> tuple[bool, Receipt | None]:
    """Whether the upload is signed by the phone holding ``token`` (``supervision.signing``), as
    the view's authentication would find it, and the receipt the upload's statement records
    (``None``: a phone accepted unsigned). Anything else is left to the view, which says why.

    The phone's key comes from the process's cache of keys by token: no round trip after a
    process's first upload from the phone. The token itself is still checked by the upload's
    statement (a revoked phone stores nothing and the view answers it), and so is the replay.
    """
    key = public_key_for_token(token)
    if key is None:
        return False, None
    time_text, signature = signature_headers(environ)
    request = SignedRequest(
        method="POST",
        target=_target(environ),
        time_text=time_text,
        signature=signature,
        digest=body_digest(body),
    )
    try:
        return True, verify_signature(key, request)
    except APIException:
        return False, None


def _target(environ: dict[str, Any]) -> str:
    """``HttpRequest.get_full_path()`` of the request, from Django's own pieces."""
    path_info = get_path_info(environ) or "/"
    path = "{}/{}".format(get_script_name(environ).rstrip("/"), path_info.replace("/", "", 1))
    query = environ.get("QUERY_STRING", "")
    return escape_uri_path(path) + (f"?{iri_to_uri(query)}" if query else "")


def _host_allowed(environ: dict[str, Any]) -> bool:
    """The Host header is one of ALLOWED_HOSTS (``HttpRequest.get_host``'s test; anything less
    plain, such as a forwarded host, is left to Django)."""
    host = environ.get("HTTP_HOST")
    if settings.USE_X_FORWARDED_HOST or not host:
        return False
    domain, _port = split_domain_port(host)
    return bool(domain) and validate_host(domain, settings.ALLOWED_HOSTS)


def _is_secure(environ: dict[str, Any]) -> bool:
    """``HttpRequest.is_secure``: the proxy's header when one is configured, else the scheme."""
    if settings.SECURE_PROXY_SSL_HEADER:
        header, secure_value = settings.SECURE_PROXY_SSL_HEADER
        value = environ.get(header)
        if value is not None:
            return bool(value.split(",", 1)[0].strip() == secure_value)
    return bool(environ.get("wsgi.url_scheme") == "https")


def _language(environ: dict[str, Any]) -> str:
    """The answer's language, as LocaleMiddleware would pick it (phones send no cookies, so the
    language of an Accept-Language header is looked up once)."""
    header = str(environ.get("HTTP_ACCEPT_LANGUAGE", ""))
    cookies = "HTTP_COOKIE" in environ
    language = None if cookies else _languages.get(header)
    if language is None:
        language = translation.get_language_from_request(WSGIRequest(environ))
        if not cookies and len(_languages) < 1000:
            _languages[header] = language
    return language


@functools.cache
def _security_headers(secure: bool) -> list[tuple[str, str]]:
    """The headers ``SecurityMiddleware`` adds to an answer (HSTS only over HTTPS), from its own code."""
    request = HttpRequest()
    request.is_secure = lambda: secure  # type: ignore[method-assign]
    response = SecurityMiddleware(lambda _request: HttpResponse()).process_response(request, HttpResponse())
    return [(name, value) for name, value in response.items() if name != "Content-Type"]


@receiver(setting_changed)
def _settings_changed(**_kwargs: Any) -> None:
    _security_headers.cache_clear()
    _languages.clear()
