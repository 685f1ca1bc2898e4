"""The three levels' policies, seeded with the defaults the README lists (a row staff already
changed is left alone)."""

import datetime as dt
from decimal import Decimal

from django.db import migrations

# A copy of ``backend.supervision.rules.DEFAULT_ROWS`` as it was when this migration was written:
# a migration must not change when the code does.
DEFAULTS = {
    "strict": (60, 30, 180, True, dt.time(21, 0), dt.time(6, 0), 500.0, 20.0, 3, False, Decimal("10")),
    "normal": (240, 30, 180, True, dt.time(22, 0), dt.time(6, 0), 300.0, 15.0, 3, False, Decimal("8")),
    "lenient": (720, 30, 180, False, dt.time(22, 0), dt.time(6, 0), 200.0, 15.0, 3, False, Decimal("6")),
}
FIELDS = (
    "checkin_interval_minutes",
    "overdue_grace_minutes",
    "lost_contact_after_minutes",
    "curfew_applies",
    "curfew_start",
    "curfew_end",
    "approach_buffer_m",
    "low_battery_percent",
    "unsupervised_after_days",
    "auto_end_at_term",
    "education_hours_per_month",
)


def seed(apps, schema_editor):
    policy = apps.get_model("supervision", "SupervisionPolicy")
    for level, values in DEFAULTS.items():
        policy.objects.get_or_create(level=level, defaults=dict(zip(FIELDS, values, strict=True)))


class Migration(migrations.Migration):
    dependencies = [("supervision", "0004_level_policy_and_changes")]

    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
