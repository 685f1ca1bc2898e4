"""Choosing a transport by name, so configuration (not code) decides how pushes leave."""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping
from typing import Any, TypeVar, overload

from notifications.transport import Transport

TransportFactory = Callable[..., Transport]
_F = TypeVar("_F", bound=TransportFactory)

_registry: dict[str, TransportFactory] = {}
_lock = threading.Lock()


@overload
def register_transport(name: str, factory: _F, *, replace: bool = False) -> _F: ...


@overload
def register_transport(name: str, factory: None = None, *, replace: bool = False) -> Callable[[_F], _F]: ...


def register_transport(
    name: str, factory: _F | None = None, *, replace: bool = False
) -> _F | Callable[[_F], _F]:
    """Make ``build_transport(name, **options)`` call ``factory(**options)``.

    Works as a call, ``register_transport("jpush", JPushTransport)``, or as a class
    decorator, ``@register_transport("jpush")``. Registering a taken name is an error
    unless ``replace=True``, so two plugins cannot silently shadow each other.
    """

    def add(target: _F) -> _F:
        if not name or not isinstance(name, str):
            raise ValueError("transport name must be a non-empty string")
        with _lock:
            if name in _registry and not replace:
                raise ValueError(f"transport {name!r} is already registered")
            _registry[name] = target
        return target

    if factory is not None:
        return add(factory)
    return add


def unregister_transport(name: str) -> None:
    """Remove a registered name (for tests of plugins)."""
    with _lock:
        _registry.pop(name, None)


def available_transports() -> tuple[str, ...]:
    """The registered names, sorted."""
    with _lock:
        return tuple(sorted(_registry))


def build_transport(name: str, **options: Any) -> Transport:
    """A new transport of the registered kind ``name``, configured by ``options``."""
    with _lock:
        factory = _registry.get(name)
    if factory is None:
        raise ValueError(f"unknown push transport {name!r}; available: {', '.join(available_transports())}")
    return factory(**options)


def transport_from_env(env: Mapping[str, str]) -> Transport:
    """Build the transport that environment variables describe (pass ``os.environ``).

    ``PUSH_TRANSPORT`` picks it (default ``console``). For ``fcm``: ``FCM_CREDENTIALS_FILE``
    (service-account JSON, required), ``FCM_PROJECT_ID`` (default: the one in that file),
    ``FCM_DRY_RUN`` (``true``/``false``, default false). For ``hms`` (Huawei Push Kit):
    ``HMS_APP_ID`` and ``HMS_CLIENT_SECRET`` (required), ``HMS_VALIDATE_ONLY``. Several names
    separated by commas (``fcm,hms``) route each token by its provider prefix
    (``notifications.routing``), the first name taking tokens without one. Malformed values raise
    ``ValueError`` rather than falling back, so a typo cannot silently disable pushes.
    """
    names = [part.strip() for part in env.get("PUSH_TRANSPORT", "console").split(",") if part.strip()]
    names = names or ["console"]
    if len(names) == 1:
        return _one_from_env(names[0], env)
    from notifications.routing import RoutingTransport

    return RoutingTransport({name: _one_from_env(name, env) for name in names}, default=names[0])


def _one_from_env(name: str, env: Mapping[str, str]) -> Transport:
    if name == "hms":
        app_id = env.get("HMS_APP_ID", "").strip()
        secret = env.get("HMS_CLIENT_SECRET", "").strip()
        if not app_id or not secret:
            raise ValueError("PUSH_TRANSPORT=hms needs HMS_APP_ID and HMS_CLIENT_SECRET")
        return build_transport(
            "hms",
            app_id=app_id,
            client_secret=secret,
            validate_only=_env_bool(env, "HMS_VALIDATE_ONLY", default=False),
        )
    if name != "fcm":
        return build_transport(name)
    credentials_file = env.get("FCM_CREDENTIALS_FILE", "").strip()
    if not credentials_file:
        raise ValueError("PUSH_TRANSPORT=fcm needs FCM_CREDENTIALS_FILE (path to a service-account JSON)")
    return build_transport(
        "fcm",
        credentials_file=credentials_file,
        project_id=env.get("FCM_PROJECT_ID", "").strip() or None,
        dry_run=_env_bool(env, "FCM_DRY_RUN", default=False),
    )


def _env_bool(env: Mapping[str, str], key: str, *, default: bool) -> bool:
    raw = env.get(key, "").strip().lower()
    if not raw:
        return default
    if raw in {"1", "true", "yes", "on"}:
        return True
    if raw in {"0", "false", "no", "off"}:
        return False
    raise ValueError(f"{key}={raw!r} is not a boolean (use true or false)")


def _console(**options: Any) -> Transport:
    from notifications.console import ConsoleTransport

    return ConsoleTransport(**options)


def _fcm(**options: Any) -> Transport:
    # Imported on first use: firebase-admin pulls in google-auth, httpx and more, which the
    # console transport (tests, development) has no need for.
    from notifications.fcm import FCMTransport

    return FCMTransport(**options)


def _hms(**options: Any) -> Transport:
    from notifications.huawei import HuaweiTransport

    return HuaweiTransport(**options)


register_transport("console", _console)
register_transport("fcm", _fcm)
register_transport("hms", _hms)
