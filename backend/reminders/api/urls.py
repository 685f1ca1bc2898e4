from django.urls import path

from backend.reminders.api import views

urlpatterns = [
    path("mobile/push-token", views.DevicePushTokenView.as_view(), name="mobile-push-token"),
    path("mobile/reminders", views.PendingRemindersView.as_view(), name="mobile-reminders"),
    path("mobile/reminders/<int:pk>/ack", views.ReminderAckView.as_view(), name="mobile-reminder-ack"),
    path("staff/push-token", views.StaffPushTokenView.as_view(), name="staff-push-token"),
    path("subjects/<int:pk>/deliveries", views.SubjectDeliveriesView.as_view(), name="subject-deliveries"),
]
