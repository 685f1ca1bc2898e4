from __future__ import annotations

from typing import Any

from rest_framework import serializers

from backend.core.api import ModelSerializer
from backend.reminders.models import DeliveryAttempt, StaffPushToken

# ---------------------------------------------------------------------------------------------
# Mobile API
# ---------------------------------------------------------------------------------------------


class DevicePushTokenSerializer(serializers.Serializer[Any]):
    push_token = serializers.CharField(
        max_length=400,
        allow_blank=True,
        allow_null=True,
        help_text="The FCM (or other provider's) token; empty or null clears it.",
    )


class DevicePushTokenAnswerSerializer(serializers.Serializer[Any]):
    has_push_token = serializers.BooleanField()


class PendingReminderSerializer(serializers.Serializer[Any]):
    """The same shape as the ``reminders`` items of the check-in answer."""

    id = serializers.CharField()
    type = serializers.CharField()
    title = serializers.CharField()
    body = serializers.CharField()
    # A declared field, not the property of the same name: DRF's metaclass moves it out of the class.
    data = serializers.DictField(child=serializers.CharField())  # type: ignore[assignment]


class ReminderAckSerializer(serializers.Serializer[Any]):
    id = serializers.CharField()
    acknowledged_at = serializers.DateTimeField()


# ---------------------------------------------------------------------------------------------
# Staff API
# ---------------------------------------------------------------------------------------------


class StaffPushTokenSerializer(serializers.Serializer[Any]):
    push_token = serializers.CharField(max_length=400)
    platform = serializers.ChoiceField(choices=StaffPushToken.Platform.choices)


class StaffPushTokenRemoveSerializer(serializers.Serializer[Any]):
    push_token = serializers.CharField(max_length=400)


class StaffPushTokenAnswerSerializer(ModelSerializer[StaffPushToken]):
    token_prefix = serializers.CharField(read_only=True)

    class Meta:
        model = StaffPushToken
        fields = ["id", "platform", "token_prefix", "created_at", "updated_at"]
        read_only_fields = fields


class DeliveryAttemptSerializer(ModelSerializer[DeliveryAttempt]):
    """One push attempt about a person: to their phone, or to a staff member about their alert."""

    reminder_kind = serializers.CharField(
        source="reminder.kind", read_only=True, allow_null=True, default=None
    )
    reminder_title = serializers.CharField(
        source="reminder.title", read_only=True, allow_null=True, default=None
    )
    staff_user_name = serializers.SerializerMethodField()

    class Meta:
        model = DeliveryAttempt
        fields = [
            "id",
            "at",
            "recipient",
            "reminder",
            "reminder_kind",
            "reminder_title",
            "alert",
            "device",
            "staff_user",
            "staff_user_name",
            "token_prefix",
            "transport",
            "attempt",
            "result",
            "error_code",
            "error_message",
            "message_id",
            "token_forgotten",
            "next_retry_at",
        ]
        read_only_fields = fields

    def get_staff_user_name(self, obj: DeliveryAttempt) -> str | None:
        user = obj.staff_user
        return (user.get_full_name() or user.username) if user else None
