"""The access log: who read or changed which record, when, from where, with what outcome.

Location data and identities of supervised people are sensitive personal information (PIPL
Art. 28); every staff read of them and every write is recorded here. Rows are append-only: the
model refuses updates and deletes, and on PostgreSQL a trigger refuses them too, so the log holds
even against code that bypasses the ORM.

Rows are hash-chained (``backend.core.chain``: SHA-256 and SM3 of the row's content, linked to the
previous row's hash), so a row changed, removed or slipped in by someone who can bypass the
trigger breaks the chain; ``manage.py verify_access_log`` walks it (``backend.audit.chain``).
"""

from __future__ import annotations

from typing import Any, NoReturn

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class AppendOnlyError(RuntimeError):
    """Raised on any attempt to change or delete an access-log row."""


class AccessLogQuerySet(models.QuerySet["AccessLog"]):
    def update(self, **kwargs: Any) -> NoReturn:
        raise AppendOnlyError("the access log is append-only")

    def delete(self) -> NoReturn:
        raise AppendOnlyError("the access log is append-only")


class AccessLog(models.Model):
    """One staff access to a protected record (append-only)."""

    class Action(models.TextChoices):
        READ = "read", _("read")
        LIST = "list", _("list")
        CREATE = "create", _("create")
        UPDATE = "update", _("update")
        DELETE = "delete", _("delete")
        ACTION = "action", _("action")
        EXPORT = "export", _("export")
        LOGIN = "login", _("login")
        LOGIN_FAILED = "login_failed", _("failed login")
        LOGOUT = "logout", _("logout")
        REVEAL = "reveal", _("reveal identity number")
        PURGE = "purge", _("purge past retention")

    class Outcome(models.TextChoices):
        OK = "ok", _("allowed")
        DENIED = "denied", _("denied")
        NOT_FOUND = "not_found", _("not found")
        INVALID = "invalid", _("invalid input")
        ERROR = "error", _("error")

    # Set before the row is hashed (not auto_now_add, which would set it after).
    at = models.DateTimeField(_("time"), default=timezone.now, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("staff member"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    actor_username = models.CharField(_("username"), max_length=150, blank=True)
    actor_role = models.CharField(_("role"), max_length=20, blank=True)
    actor_office_id = models.BigIntegerField(_("staff office id"), null=True, blank=True)
    action = models.CharField(_("action"), max_length=20, choices=Action.choices)
    resource = models.CharField(_("resource"), max_length=40, db_index=True)
    object_id = models.CharField(_("object id"), max_length=64, blank=True, db_index=True)
    detail = models.JSONField(_("detail"), default=dict, blank=True)
    method = models.CharField(_("HTTP method"), max_length=10, blank=True)
    path = models.CharField(_("path"), max_length=300, blank=True)
    ip = models.GenericIPAddressField(_("IP address"), null=True, blank=True)
    user_agent = models.CharField(_("user agent"), max_length=300, blank=True)
    status_code = models.PositiveSmallIntegerField(_("status code"), null=True, blank=True)
    outcome = models.CharField(_("outcome"), max_length=12, choices=Outcome.choices, default=Outcome.OK)
    reason = models.CharField(_("reason"), max_length=200, blank=True)
    # The chain (backend.audit.chain): digests of this row's content, the previous row's hash, its own.
    sha256 = models.CharField(_("SHA-256"), max_length=64, blank=True, default="")
    sm3 = models.CharField(_("SM3"), max_length=64, blank=True, default="")
    previous_hash = models.CharField(_("previous entry hash"), max_length=64, blank=True, default="")
    entry_hash = models.CharField(_("entry hash"), max_length=64, blank=True, default="")

    objects = AccessLogQuerySet.as_manager()

    class Meta:
        verbose_name = _("access log entry")
        verbose_name_plural = _("access log")
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["actor", "-at"], name="audit_actor_at")]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M:%S} {self.actor_username} {self.action} {self.resource}#{self.object_id}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.pk is not None and not kwargs.get("force_insert"):
            raise AppendOnlyError("the access log is append-only")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> NoReturn:
        raise AppendOnlyError("the access log is append-only")
