"""Existing monitoring states take what their person's level now demands (the seeded policies)."""

import datetime as dt

from django.db import migrations


def copy(apps, schema_editor):
    policy = apps.get_model("supervision", "SupervisionPolicy")
    state = apps.get_model("monitoring", "MonitorState")
    for row in policy.objects.all():
        state.objects.filter(subject__supervision_level=row.level).update(
            checkin_interval=dt.timedelta(minutes=row.checkin_interval_minutes),
            overdue_grace=dt.timedelta(minutes=row.overdue_grace_minutes),
            lost_contact_after=dt.timedelta(
                minutes=max(row.lost_contact_after_minutes, row.overdue_grace_minutes)
            ),
            expectation_sources=[f"level:{row.level}"],
        )


class Migration(migrations.Migration):
    dependencies = [
        ("monitoring", "0008_expectations_and_phone_commands"),
        ("supervision", "0005_seed_level_policies"),
    ]

    operations = [migrations.RunPython(copy, migrations.RunPython.noop)]
