"""Per-token routing: each push token says which provider delivers it.

A token carries its provider as a prefix, ``<provider>:<token>`` (``hms:0863…`` for Huawei Push
Kit); a token with no known prefix goes to the default provider (FCM tokens contain colons of their
own, so only the registered provider names count as prefixes). The phone app registers its token
with the prefix of the push service it got it from; the backend stores and passes it unchanged.

``RoutingTransport`` splits a message by provider, sends each part with the provider's transport
(without the prefix) and gives back one result per original token, in order, so the backend's
token cleanup finds the tokens it stored.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import ClassVar

from notifications.message import Message
from notifications.transport import DeliveryResult, Transport, TransportError, fail_all


def split_token(token: str, providers: frozenset[str] | set[str]) -> tuple[str | None, str]:
    """``(provider, bare token)``; ``None`` when the token names no provider of ``providers``."""
    prefix, sep, rest = token.partition(":")
    if sep and prefix in providers and rest:
        return prefix, rest
    return None, token


class RoutingTransport(Transport):
    """Sends each token through the transport of its provider (``transports`` by prefix)."""

    name: ClassVar[str] = "routing"

    def __init__(self, transports: Mapping[str, Transport], default: str) -> None:
        if default not in transports:
            raise ValueError(f"default provider {default!r} has no transport")
        self.transports = dict(transports)
        self.default = default

    def provider_of(self, token: str) -> tuple[str, str]:
        provider, bare = split_token(token, set(self.transports))
        return provider or self.default, bare

    def send(self, message: Message) -> list[DeliveryResult]:
        groups: dict[str, list[tuple[str, str]]] = {}
        for token in message.tokens:
            provider, bare = self.provider_of(token)
            groups.setdefault(provider, []).append((token, bare))
        by_token: dict[str, DeliveryResult] = {}
        for provider, pairs in groups.items():
            originals: dict[str, list[str]] = {}
            for token, bare in pairs:
                originals.setdefault(bare, []).append(token)
            try:
                results = self.transports[provider].send(message.with_tokens(tuple(originals)))
            except TransportError as error:
                results = fail_all(originals, error)
            for result in results:
                for original in originals.get(result.token, [result.token]):
                    by_token[original] = DeliveryResult(
                        token=original, ok=result.ok, message_id=result.message_id, error=result.error
                    )
        return [by_token[token] for token in message.tokens]

    def close(self) -> None:
        for transport in self.transports.values():
            transport.close()
