"""The first rule table (version 1): monitoring's factors, and the modules' factors waiting for data."""

from typing import Any

from django.db import migrations

RULES: dict[str, Any] = {
    "subject": {
        "factors": [
            {"code": "zone_alerts", "weight": 2, "cuts": [1, 3, 6]},
            {"code": "device_alerts", "weight": 2, "cuts": [1, 3, 6]},
            {"code": "overdue_episodes", "weight": 1, "cuts": [2, 5, 10]},
            {"code": "lost_contact_episodes", "weight": 3, "cuts": [1, 2, 4]},
            {"code": "curfew_violations", "weight": 2, "cuts": [1, 3, 6]},
            {"code": "leave_violations", "weight": 3, "cuts": [1, 2, 3]},
            {"code": "unacknowledged_reminders", "weight": 1, "cuts": [3, 10, 20]},
            {"code": "unreachable_phone", "weight": 2, "cuts": [1, 2, 4]},
            {"code": "sanctions", "weight": 3, "cuts": [1, 2, 3]},
            {"code": "education_attendance", "weight": 1, "cuts": [1, 3, 6]},
        ],
        "bands": {"medium": 6, "high": 15},
        "max_missing": 3,
    },
    "released": {
        "factors": [
            {"code": "key_person", "weight": 3, "cuts": [1]},
            {"code": "handover_overdue", "weight": 3, "cuts": [1]},
            {"code": "resettlement_visits", "weight": 2, "cuts": [1, 2, 3]},
            {"code": "education_attendance", "weight": 1, "cuts": [1, 3, 6]},
        ],
        "bands": {"medium": 3, "high": 6},
        "max_missing": 2,
    },
}


def seed(apps: Any, schema_editor: Any) -> None:
    RuleTable = apps.get_model("screening", "RuleTable")
    if not RuleTable.objects.exists():
        RuleTable.objects.create(
            version=1,
            name="季度风险排查规则（第1版）",
            rules=RULES,
            notes="各因素按季度计数，达到分界点各得1分，乘以权重后相加；缺少数据的因素过多时评为“数据不全”。",
        )


class Migration(migrations.Migration):
    dependencies = [("screening", "0001_initial")]

    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
