"""Today's periodic jobs in django-celery-beat's schedule, and the escalation policy.

The entries are written out here as they were on the day (a migration must not read settings
that change later); a job added to ``CELERY_BEAT_SCHEDULE`` afterwards is added by the scheduler
when it starts. An entry that exists (staff may have changed it) is left as it is.
"""

from django.db import migrations

TIME_ZONE = "Asia/Shanghai"
# name: (task, every n seconds or a daily "HH:MM", description)
JOBS = {
    "detect-offline-phones": (
        "backend.monitoring.tasks.detect_offline_phones",
        300,
        "脱管检测：定位签到逾期的手机生成预警",
    ),
    "evaluate-waiting-checkins": (
        "backend.monitoring.tasks.evaluate_waiting_checkins",
        30,
        "兜底评估：等待超过数秒的定位签到",
    ),
    "prompt-checkins": (
        "backend.monitoring.tasks.schedule_checkin_prompts",
        300,
        "签到提醒：即将到期或刚逾期的手机",
    ),
    "monthly-report-reminders": (
        "backend.reminders.tasks.schedule_monthly_report_reminders",
        "09:00",
        "月度报告提醒（每月25日起）",
    ),
    "dispatch-due-reminders": (
        "backend.reminders.tasks.dispatch_due_reminders",
        60,
        "发送到期的提醒推送",
    ),
    "escalate-alerts": (
        "backend.duty.tasks.escalate_unacknowledged_alerts",
        60,
        "预警升级：超时未签收的预警报所长、局值班",
    ),
}
POLICIES = {"critical": (10, 30), "warning": (60, 240)}


def seed(apps, schema_editor):
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    IntervalSchedule = apps.get_model("django_celery_beat", "IntervalSchedule")
    CrontabSchedule = apps.get_model("django_celery_beat", "CrontabSchedule")
    PeriodicTasks = apps.get_model("django_celery_beat", "PeriodicTasks")
    EscalationPolicy = apps.get_model("duty", "EscalationPolicy")
    for name, (task, when, description) in JOBS.items():
        if PeriodicTask.objects.filter(name=name).exists():
            continue
        schedule = {}
        if isinstance(when, int):
            schedule["interval"], _ = IntervalSchedule.objects.get_or_create(every=when, period="seconds")
        else:
            hour, minute = when.split(":")
            schedule["crontab"], _ = CrontabSchedule.objects.get_or_create(
                minute=str(int(minute)),
                hour=str(int(hour)),
                day_of_week="*",
                day_of_month="*",
                month_of_year="*",
                timezone=TIME_ZONE,
            )
        PeriodicTask.objects.create(name=name, task=task, description=description, **schedule)
    # The running scheduler reads the schedule again when this changes.
    from django.utils import timezone

    PeriodicTasks.objects.update_or_create(ident=1, defaults={"last_update": timezone.now()})
    for severity, (office_head, bureau) in POLICIES.items():
        EscalationPolicy.objects.get_or_create(
            severity=severity,
            defaults={"office_head_after_minutes": office_head, "bureau_after_minutes": bureau},
        )


class Migration(migrations.Migration):
    dependencies = [
        ("duty", "0001_initial"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
