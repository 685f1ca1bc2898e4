"""The OAuth token comes from a JWT grant signed with the key in the service-account file."""

from __future__ import annotations

import base64
import json
from urllib.parse import parse_qs

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding

from notifications import Message


def _b64url(part: str) -> bytes:
    return base64.urlsafe_b64decode(part + "=" * (-len(part) % 4))


def test_token_request_is_a_jwt_grant_signed_by_the_service_account_key(
    make_fcm_transport, fake_google, rsa_private_key
):
    make_fcm_transport().send(Message(tokens=("token-a",), title="t", body="b"))

    form = parse_qs(fake_google.token_requests[0].body.decode())
    assert form["grant_type"] == ["urn:ietf:params:oauth:grant-type:jwt-bearer"]
    header, claims, signature = form["assertion"][0].split(".")
    # verify() raises InvalidSignature unless the file's private key made this signature.
    rsa_private_key.public_key().verify(
        _b64url(signature), f"{header}.{claims}".encode(), padding.PKCS1v15(), hashes.SHA256()
    )
    payload = json.loads(_b64url(claims))
    assert payload["iss"] == fake_google.CLIENT_EMAIL
    assert payload["aud"] == fake_google.TOKEN_URI
    assert "https://www.googleapis.com/auth/cloud-platform" in payload["scope"].split()


def test_token_is_fetched_once_and_reused(make_fcm_transport, fake_google):
    transport = make_fcm_transport()
    transport.send(Message(tokens=("token-a",), title="t", body="b"))
    fetched = len(fake_google.token_requests)

    transport.send(Message(tokens=("token-b", "token-c"), title="t", body="b"))

    assert len(fake_google.token_requests) == fetched
