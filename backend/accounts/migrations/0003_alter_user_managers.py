# Superusers are made by the staff manager (system administrators, no office).

from django.db import migrations

import backend.accounts.models


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0002_alter_office_phone_alter_user_phone"),
    ]

    operations = [
        migrations.AlterModelManagers(
            name="user",
            managers=[
                ("objects", backend.accounts.models.StaffManager()),
            ],
        ),
    ]
