from django.db import migrations

# What the admin's log said of these records before their __str__ stopped naming people.
NAMED = [
    ("enrollments", "enrollment"),
    ("enrollments", "participant"),
    ("enrollments", "idempotencykey"),
    ("outbox", "outgoingmail"),
    ("surveys", "surveyinvitation"),
]


def forget_names(apps, schema_editor):
    """Admin log entries keep the name a record had when it was logged: rewrite the old
    ones to the reference the record shows now (DESIGN.md invariant 8)."""
    db = schema_editor.connection.alias
    entries = apps.get_model("admin", "LogEntry").objects.using(db)
    content_types = apps.get_model("contenttypes", "ContentType").objects.using(db)
    for app_label, model in NAMED:
        kind = content_types.filter(app_label=app_label, model=model).first()
        if kind is None:
            continue
        records = apps.get_model(app_label, model).objects.using(db)
        for entry in entries.filter(content_type=kind).only("pk", "object_id"):
            record = (
                records.filter(pk=entry.object_id).first() if entry.object_id.isdigit() else None
            )
            if model == "enrollment" and record is not None:
                shown = f"{record.reference} ({record.seats} seat(s), {record.status})"
            else:
                shown = f"{model} {entry.object_id}"
            entries.filter(pk=entry.pk).update(object_repr=shown[:200])


class Migration(migrations.Migration):
    dependencies = [
        ("admin", "0003_logentry_add_action_flag_choices"),
        ("enrollments", "0010_audit_trail"),
        ("outbox", "0001_initial"),
        ("surveys", "0002_staff_roles_permissions"),
    ]

    operations = [migrations.RunPython(forget_names, migrations.RunPython.noop)]
