from django.db import migrations, models

import config.references


def give_each_a_token(apps, schema_editor):
    Participant = apps.get_model("enrollments", "Participant")
    for participant in Participant.objects.filter(token__isnull=True).only("pk").iterator():
        Participant.objects.filter(pk=participant.pk).update(token=config.references.new_token())


class Migration(migrations.Migration):
    dependencies = [
        ("enrollments", "0016_booked_by_hand"),
    ]

    operations = [
        migrations.AddField(
            model_name="participant",
            name="registration_number",
            field=models.CharField(
                blank=True,
                help_text="Printed on their certificates, if they give it.",
                max_length=60,
                verbose_name="professional registration number",
            ),
        ),
        migrations.AddField(
            model_name="participant",
            name="token",
            field=models.CharField(editable=False, max_length=64, null=True),
        ),
        migrations.RunPython(give_each_a_token, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="participant",
            name="token",
            field=models.CharField(
                default=config.references.new_token, editable=False, max_length=64, unique=True
            ),
        ),
    ]
