"""Seed the catalogue of required documents (``backend.archives.catalogue``), and on PostgreSQL
refuse UPDATE and DELETE of document versions and their files at the database itself."""

from django.db import migrations

TABLES = ("archives_documentversion", "archives_versionfile")

FORWARD = """
CREATE OR REPLACE FUNCTION archives_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION '% is append-only: a correction is a new version', TG_TABLE_NAME;
END;
$$ LANGUAGE plpgsql;
""" + "".join(
    f"CREATE TRIGGER {table}_no_update_delete BEFORE UPDATE OR DELETE ON {table} "
    "FOR EACH ROW EXECUTE FUNCTION archives_append_only();\n"
    for table in TABLES
)

BACKWARD = "".join(f"DROP TRIGGER IF EXISTS {table}_no_update_delete ON {table};\n" for table in TABLES) + (
    "DROP FUNCTION IF EXISTS archives_append_only();\n"
)


def forward(apps, schema_editor):  # type: ignore[no-untyped-def]
    from backend.archives.catalogue import seed_rows

    CatalogueItem = apps.get_model("archives", "CatalogueItem")
    for row in seed_rows():
        CatalogueItem.objects.update_or_create(code=row["code"], defaults=row)
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(FORWARD, params=None)


def backward(apps, schema_editor):  # type: ignore[no-untyped-def]
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(BACKWARD)


class Migration(migrations.Migration):
    dependencies = [("archives", "0001_initial")]
    operations = [migrations.RunPython(forward, backward)]
