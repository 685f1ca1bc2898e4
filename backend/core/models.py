"""The core's one table: Celery tasks waiting to be handed to the broker (``backend.core.outbox``)."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class OutboxTask(models.Model):
    """A task a transaction asked for, committed with it; deleted once it has run."""

    task = models.CharField(_("task"), max_length=200)
    args = models.JSONField(_("arguments"), default=list)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True, db_index=True)
    handed_over_at = models.DateTimeField(_("last handed to the queue"), null=True, blank=True)
    attempts = models.PositiveIntegerField(_("attempts to queue"), default=0)
    last_error = models.CharField(_("last error"), max_length=500, blank=True)

    class Meta:
        verbose_name = _("task waiting for the queue")
        verbose_name_plural = _("tasks waiting for the queue")
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"{self.task}{tuple(self.args)}"
