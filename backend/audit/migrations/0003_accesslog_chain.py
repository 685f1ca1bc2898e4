import django.utils.timezone
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("audit", "0002_append_only_trigger"),
    ]

    operations = [
        migrations.AlterField(
            model_name="accesslog",
            name="at",
            field=models.DateTimeField(db_index=True, default=django.utils.timezone.now, verbose_name="time"),
        ),
        migrations.AlterField(
            model_name="accesslog",
            name="action",
            field=models.CharField(
                choices=[
                    ("read", "read"),
                    ("list", "list"),
                    ("create", "create"),
                    ("update", "update"),
                    ("delete", "delete"),
                    ("action", "action"),
                    ("export", "export"),
                    ("login", "login"),
                    ("login_failed", "failed login"),
                    ("logout", "logout"),
                    ("reveal", "reveal identity number"),
                    ("purge", "purge past retention"),
                ],
                max_length=20,
                verbose_name="action",
            ),
        ),
        migrations.AddField(
            model_name="accesslog",
            name="reason",
            field=models.CharField(blank=True, max_length=200, verbose_name="reason"),
        ),
        migrations.AddField(
            model_name="accesslog",
            name="sha256",
            field=models.CharField(blank=True, default="", max_length=64, verbose_name="SHA-256"),
        ),
        migrations.AddField(
            model_name="accesslog",
            name="sm3",
            field=models.CharField(blank=True, default="", max_length=64, verbose_name="SM3"),
        ),
        migrations.AddField(
            model_name="accesslog",
            name="previous_hash",
            field=models.CharField(blank=True, default="", max_length=64, verbose_name="previous entry hash"),
        ),
        migrations.AddField(
            model_name="accesslog",
            name="entry_hash",
            field=models.CharField(blank=True, default="", max_length=64, verbose_name="entry hash"),
        ),
    ]
