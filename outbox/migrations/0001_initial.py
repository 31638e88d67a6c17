import django.db.models.deletion
from django.db import migrations, models

from config.migration_operations import move_content_types


class Migration(migrations.Migration):
    """These models were born in enrollments: their tables stay where they are (db_table)
    and only Django's idea of where they live moves, with their content types."""

    initial = True

    dependencies = [
        ("contenttypes", "0002_remove_content_type_name"),
        ("enrollments", "0005_default_survey_template"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name='OutgoingMail',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('kind', models.CharField(db_index=True, max_length=50)),
                        ('to', models.EmailField(max_length=254, verbose_name='recipient')),
                        ('subject', models.CharField(max_length=255)),
                        ('body_text', models.TextField()),
                        ('body_html', models.TextField(blank=True)),
                        ('attachments', models.JSONField(blank=True, default=list, help_text='[{filename, content_type, content}] of text files.')),
                        ('related_id', models.PositiveBigIntegerField(blank=True, null=True)),
                        ('dedupe_key', models.CharField(blank=True, help_text='Set for mail that must never go out twice, such as a reminder.', max_length=200, null=True, unique=True)),
                        ('status', models.CharField(choices=[('queued', 'Queued'), ('sending', 'Sending'), ('sent', 'Sent'), ('failed', 'Failed')], default='queued', max_length=10)),
                        ('attempts', models.PositiveSmallIntegerField(default=0)),
                        ('next_attempt_at', models.DateTimeField()),
                        ('claimed_at', models.DateTimeField(blank=True, null=True)),
                        ('last_error', models.TextField(blank=True)),
                        ('created_at', models.DateTimeField(auto_now_add=True)),
                        ('sent_at', models.DateTimeField(blank=True, null=True)),
                        ('related_type', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to='contenttypes.contenttype')),
                    ],
                    options={
                        'verbose_name': 'outgoing email',
                        'verbose_name_plural': 'outgoing emails',
                        'db_table': 'enrollments_outgoingmail',
                        'ordering': ['-created_at', '-id'],
                        'indexes': [models.Index(fields=['status', 'next_attempt_at'], name='enrollments_status_01ffd6_idx'), models.Index(fields=['related_type', 'related_id'], name='enrollments_related_326fad_idx')],
                        'constraints': [models.CheckConstraint(condition=models.Q(models.Q(('status', 'sent'), _negated=True), ('sent_at__isnull', False), _connector='OR'), name='outgoing_mail_sent_has_time')],
                    },
                ),
            ],
        ),
        move_content_types("enrollments", "outbox", ['outgoingmail']),
    ]
