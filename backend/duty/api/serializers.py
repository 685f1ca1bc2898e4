from __future__ import annotations

from django_celery_beat.models import PeriodicTask
from rest_framework import serializers

from backend.accounts.models import Office, User
from backend.core.api import ModelSerializer
from backend.duty.models import DutyShift


class DutyShiftSerializer(ModelSerializer[DutyShift]):
    """One shift of an office's (or the bureau's) duty roster."""

    office = serializers.PrimaryKeyRelatedField(queryset=Office.objects.all())
    user = serializers.PrimaryKeyRelatedField(queryset=User.objects.filter(is_active=True))
    office_name = serializers.CharField(source="office.name", read_only=True)
    user_name = serializers.SerializerMethodField()

    class Meta:
        model = DutyShift
        fields = [
            "id",
            "office",
            "office_name",
            "user",
            "user_name",
            "starts_at",
            "ends_at",
            "note",
            "created_at",
        ]
        read_only_fields = ["id", "office_name", "user_name", "created_at"]

    def get_user_name(self, obj: DutyShift) -> str:
        return obj.user.get_full_name() or obj.user.username


class PeriodicJobSerializer(serializers.ModelSerializer[PeriodicTask]):
    """One entry of the periodic jobs' schedule (django-celery-beat's, changed in the admin)."""

    schedule = serializers.SerializerMethodField(
        help_text="Every n seconds, or a crontab line in its time zone."
    )

    class Meta:
        model = PeriodicTask
        fields = [
            "id",
            "name",
            "task",
            "description",
            "schedule",
            "enabled",
            "last_run_at",
            "total_run_count",
        ]
        read_only_fields = fields

    def get_schedule(self, job: PeriodicTask) -> str:
        return str(job.interval or job.crontab or job.solar or job.clocked or "")
