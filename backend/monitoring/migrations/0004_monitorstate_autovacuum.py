"""The monitoring state's own autovacuum threshold (PostgreSQL).

One row per person, rewritten by every upload (its mark, its next due time) and every evaluation
round: with the default threshold (20 % of the table) a county's few thousand rows gather tens of
thousands of dead versions between runs, which every lookup and the evaluators' probe wade through.
"""

from django.db import migrations

TABLE = "monitoring_monitorstate"


def tune(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(
            f"ALTER TABLE {TABLE} SET (autovacuum_vacuum_scale_factor = 0, "
            "autovacuum_vacuum_threshold = 5000, autovacuum_analyze_scale_factor = 0.05)"
        )


def untune(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(
            f"ALTER TABLE {TABLE} RESET (autovacuum_vacuum_scale_factor, "
            "autovacuum_vacuum_threshold, autovacuum_analyze_scale_factor)"
        )


class Migration(migrations.Migration):
    dependencies = [
        ("monitoring", "0003_checkin_lean_indexes"),
    ]

    operations = [migrations.RunPython(tune, untune)]
