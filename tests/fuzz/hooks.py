"""Schemathesis hooks for the fuzz run (loaded by ``schemathesis run`` through SCHEMATHESIS_HOOKS).

Reads the run's context (``FUZZ_CONTEXT``: the JSON written by ``tests.fuzz.cast`` and the harness)
and the staff identity of this pass (``FUZZ_STAFF``: ``bureau`` or ``officer``), and:

- authenticates each operation as the spec says it is called: the phone's ``Authorization: Device
  <token>`` on ``/api/v1/mobile/*`` (but enroll), each such request signed with the phone's key as
  it goes out (``X-Signature-Time``, ``X-Signature``), a staff ``Authorization: Token <key>`` on the rest,
  nothing on the public operations (login, enroll, ping), and a token of its own, minted by the
  cast, for every ``POST /auth/logout`` (logging out deletes the token it is called with; a login
  per example would need a fresh TOTP step each time);
- names real rows in ``{id}`` path parameters about half the time (ids the harness read from the
  operation's list, ``/x`` for ``/x/{id}...``, as this identity), so operations are exercised past
  their 404, and real one-time codes in some enroll bodies;
- keeps generated staff writes off the phone's subject (revoking its phone or ending its supervision
  would turn later phone calls into 401s); the stateful phase takes ids from earlier responses and
  can still do it, so a 401 on a phone call has the phone enrolled again, for the next subject that
  takes a code if the first one's supervision was ended;
- gives each enroll request a client address of its own, as the proxy would for distinct phones.
"""

from __future__ import annotations

import itertools
import json
import os
import re
import threading
from pathlib import Path
from typing import Any

import httpx
import schemathesis
from hypothesis import strategies as st

from tests.fuzz.operations import operation_kind
from tests.phone_auth import key_from_seed, new_key, public_key_of, signed_headers

CONTEXT: dict[str, Any] = json.loads(Path(os.environ["FUZZ_CONTEXT"]).read_text())
STAFF = os.environ.get("FUZZ_STAFF", "bureau")
BASE_URL: str = CONTEXT["base_url"]
# The proxy in front of production sets it; without it the production settings redirect to https.
PROXY_HEADERS = {"X-Forwarded-Proto": "https"}

# The id pool for each path that takes an {id}: the list operation in front of it.
POOL_OF_PATH = re.compile(r"^(/api/v1/.+?)/\{id\}")


# ---------------------------------------------------------------------------------------------
# Credentials
# ---------------------------------------------------------------------------------------------


class _Phone:
    """The enrolled phone's token and signing key; enrolled again (through the staff API, with a
    new key pair) once it stops working."""

    def __init__(self) -> None:
        self.token: str = CONTEXT["phone"]["token"]
        self.key: Any = key_from_seed(CONTEXT["phone"]["key"])
        self.revoked = False
        self.lock = threading.Lock()

    def current(self) -> str:
        with self.lock:
            if self.revoked:
                self.key = new_key()
                self.token = self._enroll_again()
                self.revoked = False
            return self.token

    def signing_key(self) -> Any:
        with self.lock:
            return self.key

    def mark_revoked(self, token: str) -> None:
        with self.lock:
            if token == self.token:
                self.revoked = True

    def _enroll_again(self) -> str:
        """A code from the bureau head for the phone's subject (or, if its supervision was ended by a
        staff operation all the same, the next subject that takes one), then the phone's enroll call."""
        staff = {"Authorization": f"Token {CONTEXT['tokens']['bureau']}"}
        candidates = [CONTEXT["phone"]["subject"], *CONTEXT["pools"]["bureau"].get("/api/v1/subjects", [])]
        with httpx.Client(base_url=BASE_URL, headers=PROXY_HEADERS, timeout=30) as client:
            for subject in candidates:
                code = client.post(f"/api/v1/subjects/{subject}/enrollment-code", headers=staff)
                if code.status_code != 201:
                    continue
                enrolled = client.post(
                    "/api/v1/mobile/enroll",
                    headers={"X-Forwarded-For": next_phone_address()},
                    json={
                        "code": code.json()["code"],
                        "device": {**CONTEXT["phone"]["device"], "public_key": public_key_of(self.key)},
                    },
                )
                enrolled.raise_for_status()
                CONTEXT["phone"]["subject"] = subject
                return str(enrolled.json()["device_token"])
        raise RuntimeError("no subject left that can take an enrollment code")


_addresses = itertools.count(1)


def next_phone_address() -> str:
    """A client address of its own for each enroll request (see ``before_call``)."""
    n = next(_addresses)
    return f"10.{n >> 16 & 255}.{n >> 8 & 255}.{n & 255}"


PHONE_TOKEN = _Phone()


# Both passes spend from the cast's list: the bureau head's the first half, the officer's the second.
_half = len(CONTEXT["logout_tokens"]) // 2
_logout_tokens: list[str] = (
    CONTEXT["logout_tokens"][:_half] if STAFF == "bureau" else CONTEXT["logout_tokens"][_half:]
)
_logout_lock = threading.Lock()


def _fresh_logout_token() -> str:
    """An unspent token of the logout user (the last one again once the cast's are spent: a 401)."""
    with _logout_lock:
        return _logout_tokens.pop(0) if len(_logout_tokens) > 1 else _logout_tokens[0]


# No caching layer (refresh_interval=None): the provider picks the credential for each case itself,
# and schemathesis' re-login-on-401 stays off, so a 401 is reported as what the server answered.
@schemathesis.auth(refresh_interval=None)
class FuzzAuth:
    def get(self, case: Any, context: Any) -> str | None:
        kind = operation_kind(context.operation.path)
        if kind == "public":
            return None
        if kind == "phone":
            return f"Device {PHONE_TOKEN.current()}"
        if kind == "logout":
            return f"Token {_fresh_logout_token()}"
        return f"Token {CONTEXT['tokens'][STAFF]}"

    def set(self, case: Any, data: str, context: Any) -> None:
        case.headers = {**(case.headers or {}), "Authorization": data}


class _SignedByThePhone:
    """``requests`` authentication that signs a phone request as it goes out: after its body is
    serialized, so the signature covers the very bytes sent (backend/supervision/signing.py), and
    again for each sending, so a resent request is signed anew. Whatever token the case carries
    (a revoked one is refused for that before the signature is looked at)."""

    def __call__(self, request: Any) -> Any:
        body = request.body or b""
        if isinstance(body, str):
            body = body.encode()
        token = str(request.headers.get("Authorization", "")).removeprefix("Device ")
        headers = signed_headers(token, PHONE_TOKEN.signing_key(), request.method, request.path_url, body)
        request.headers.update({k: v for k, v in headers.items() if k != "Authorization"})
        return request


SIGNED_BY_THE_PHONE = _SignedByThePhone()


@schemathesis.hook
def before_call(context: Any, case: Any, kwargs: dict[str, Any]) -> None:
    # Each enroll request stands for another phone. The harness plays the reverse proxy, which sets
    # X-Forwarded-For to the client's address; without it the per-client enroll throttle (20/min)
    # would answer 429 to nearly all of the operation's examples and leave its logic untested.
    if case.operation.path == "/api/v1/mobile/enroll":
        case.headers = {**(case.headers or {}), "X-Forwarded-For": next_phone_address()}
    # The phone's operations have one security scheme (the device token), so schemathesis' negative
    # cases of an operation without parameters are mostly "no credentials": nearly every example of
    # GET /mobile/me was a 401 that never reached the view. Every phone call carries the token.
    if operation_kind(case.operation.path) == "phone":
        headers = kwargs.get("headers")
        present = {key.lower() for key in (case.headers or {})} | {key.lower() for key in (headers or {})}
        if "authorization" not in present:
            token = f"Device {PHONE_TOKEN.current()}"
            case.headers = {**(case.headers or {}), "Authorization": token}
            if isinstance(headers, dict):
                headers["Authorization"] = token
        # Every phone call is signed, as the app signs it.
        kwargs["auth"] = SIGNED_BY_THE_PHONE


# The 401s after which the phone enrolls again (the others are about the request's signature).
_ENROLL_AGAIN = {"device_revoked", "not_authenticated", "authentication_failed", "reenroll"}


@schemathesis.hook
def after_call(context: Any, case: Any, response: Any) -> None:
    if response.status_code == 401 and operation_kind(case.operation.path) == "phone":
        try:
            code = response.json().get("code")
        except (ValueError, AttributeError, TypeError):
            code = None
        sent = (case.headers or {}).get("Authorization", "")
        if sent.startswith("Device ") and code in _ENROLL_AGAIN:
            PHONE_TOKEN.mark_revoked(sent.removeprefix("Device "))


# ---------------------------------------------------------------------------------------------
# Real rows in path parameters and enroll bodies
# ---------------------------------------------------------------------------------------------


def _pool(path: str) -> list[int]:
    match = POOL_OF_PATH.match(path)
    if match is None:
        return []
    identity = "phone" if operation_kind(path) == "phone" else STAFF
    return list(CONTEXT["pools"][identity].get(match.group(1), []))


def _is_id(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


@schemathesis.hook
def flatmap_path_parameters(context: Any, path_parameters: dict[str, Any]) -> Any:
    pool = _pool(context.operation.path)
    # Negative cases may drop the parameters altogether (None).
    if not pool or not path_parameters or not _is_id(path_parameters.get("id")):
        return st.just(path_parameters)
    real = st.sampled_from(pool).map(lambda pk: {**path_parameters, "id": pk})
    return st.one_of(st.just(path_parameters), real)


@schemathesis.hook
def filter_path_parameters(context: Any, path_parameters: dict[str, Any]) -> bool:
    operation = context.operation
    writes = operation.method.upper() not in {"GET", "HEAD", "OPTIONS"}
    if writes and operation.path.startswith("/api/v1/subjects/{id}") and path_parameters:
        return bool(path_parameters.get("id") != CONTEXT["phone"]["subject"])
    return True


@schemathesis.hook("flatmap_body").apply_to(path="/api/v1/mobile/enroll")
def flatmap_enroll_body(context: Any, body: Any) -> Any:
    codes = CONTEXT["enroll_codes"]
    if not codes or not isinstance(body, dict) or not isinstance(body.get("code"), str):
        return st.just(body)
    return st.one_of(st.just(body), st.sampled_from(codes).map(lambda code: {**body, "code": code}))


def valid_id_number(seq: int) -> str:
    """A resident id number that passes the server's checksum (seq 0..999 gives distinct ones)."""
    from backend.supervision.identity import check_digit

    first17 = f"37108219850312{seq:03d}"
    return first17 + check_digit(first17)


@schemathesis.hook("flatmap_body").apply_to(
    path_regex=r"^/api/v1/(subjects|released-persons|zones)(/\{id\})?$"
)
def flatmap_record_body(context: Any, body: Any) -> Any:
    # The spec cannot say that an id number carries a checksum or that the office must be one the
    # caller may see, so nearly every generated record is refused with 400 before anything is saved.
    # Half the records get a real office and a valid id number, to exercise creating and updating.
    offices = CONTEXT["pools"][STAFF].get("/api/v1/offices", [])
    if not isinstance(body, dict) or not offices:
        return st.just(body)
    has_office = _is_id(body.get("office"))
    has_id_number = isinstance(body.get("id_number"), str)
    if not (has_office or has_id_number):
        return st.just(body)

    def fill(office: int, seq: int) -> dict[str, Any]:
        return {
            **body,
            **({"office": office} if has_office else {}),
            **({"id_number": valid_id_number(seq)} if has_id_number else {}),
        }

    return st.one_of(st.just(body), st.builds(fill, st.sampled_from(offices), st.integers(0, 999)))
