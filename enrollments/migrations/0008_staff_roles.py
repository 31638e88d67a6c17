from django.db import migrations

from config.roles import sync_roles


def create_roles(apps, schema_editor):
    """The four roles of DESIGN.md (kept up to date after every `migrate` since)."""
    sync_roles(apps, using=schema_editor.connection.alias)


class Migration(migrations.Migration):
    dependencies = [
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("billing", "0003_payment_payable"),
        ("enrollments", "0007_staff_roles_permissions"),
        ("inquiries", "0002_staff_roles_permissions"),
        ("outbox", "0001_initial"),
        ("surveys", "0002_staff_roles_permissions"),
        ("workshops", "0003_staff_roles_permissions"),
    ]

    # Going back leaves the groups: people may have been given them.
    operations = [migrations.RunPython(create_roles, migrations.RunPython.noop)]
