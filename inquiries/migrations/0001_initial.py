import django.db.models.deletion
import django.utils.timezone
from django.conf import settings
from django.db import migrations, models

from config.migration_operations import move_content_types


class Migration(migrations.Migration):
    """These models were born in enrollments: their tables stay where they are (db_table)
    and only Django's idea of where they live moves, with their content types."""

    initial = True

    dependencies = [
        ("contenttypes", "0002_remove_content_type_name"),
        ("enrollments", "0005_default_survey_template"),
        ("workshops", "0002_calendar_sequence"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name='Inquiry',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('reference', models.CharField(editable=False, max_length=10, unique=True)),
                        ('kind', models.CharField(choices=[('personal_guidance', 'Personal guidance'), ('team_training', 'Team training'), ('general', 'General question')], max_length=20)),
                        ('status', models.CharField(choices=[('new', 'New'), ('contacted', 'Contacted'), ('proposal_sent', 'Proposal sent'), ('won', 'Won'), ('lost', 'Lost'), ('closed', 'Closed')], default='new', max_length=20)),
                        ('status_changed_at', models.DateTimeField(default=django.utils.timezone.now)),
                        ('source', models.CharField(choices=[('form', 'Inquiry form'), ('survey', 'Follow-up survey')], default='form', max_length=10)),
                        ('urgent', models.BooleanField(default=False, help_text='The message contains words that may mean the person is in crisis.')),
                        ('name', models.CharField(blank=True, max_length=200)),
                        ('email', models.EmailField(blank=True, db_index=True, max_length=254)),
                        ('phone', models.CharField(blank=True, max_length=40)),
                        ('organization', models.CharField(blank=True, max_length=200)),
                        ('team_size', models.PositiveIntegerField(blank=True, null=True)),
                        ('preferred_dates', models.CharField(blank=True, max_length=500)),
                        ('message', models.TextField(blank=True, max_length=5000)),
                        ('consent_at', models.DateTimeField(blank=True, help_text='When the person agreed that we keep and use these details to reply.', null=True, verbose_name='consent given at')),
                        ('created_at', models.DateTimeField(db_index=True, default=django.utils.timezone.now)),
                        ('updated_at', models.DateTimeField(auto_now=True)),
                        ('anonymized_at', models.DateTimeField(blank=True, null=True)),
                        ('assignee', models.ForeignKey(blank=True, limit_choices_to={'is_staff': True}, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='assigned_inquiries', to=settings.AUTH_USER_MODEL)),
                        ('offering', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='inquiries', to='workshops.offering')),
                    ],
                    options={
                        'verbose_name_plural': 'inquiries',
                        'db_table': 'enrollments_inquiry',
                        'ordering': ['-urgent', '-created_at', '-id'],
                    },
                ),
                migrations.CreateModel(
                    name='InquiryNote',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('text', models.TextField(max_length=5000)),
                        ('created_at', models.DateTimeField(default=django.utils.timezone.now)),
                        ('author', models.ForeignKey(null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
                        ('inquiry', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='notes', to='inquiries.inquiry')),
                    ],
                    options={
                        'db_table': 'enrollments_inquirynote',
                        'ordering': ['created_at', 'id'],
                    },
                ),
                migrations.CreateModel(
                    name='InquiryStatusChange',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('from_status', models.CharField(blank=True, choices=[('new', 'New'), ('contacted', 'Contacted'), ('proposal_sent', 'Proposal sent'), ('won', 'Won'), ('lost', 'Lost'), ('closed', 'Closed')], max_length=20, verbose_name='from')),
                        ('to_status', models.CharField(choices=[('new', 'New'), ('contacted', 'Contacted'), ('proposal_sent', 'Proposal sent'), ('won', 'Won'), ('lost', 'Lost'), ('closed', 'Closed')], max_length=20, verbose_name='to')),
                        ('at', models.DateTimeField(default=django.utils.timezone.now)),
                        ('by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
                        ('inquiry', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='status_changes', to='inquiries.inquiry')),
                    ],
                    options={
                        'db_table': 'enrollments_inquirystatuschange',
                        'ordering': ['at', 'id'],
                    },
                ),
                migrations.AddIndex(
                    model_name='inquiry',
                    index=models.Index(fields=['status', 'status_changed_at'], name='enrollments_status_2eb998_idx'),
                ),
                migrations.AddConstraint(
                    model_name='inquiry',
                    constraint=models.CheckConstraint(condition=models.Q(('team_size__isnull', True), models.Q(('team_size__gte', 2), ('team_size__lte', 1000)), _connector='OR'), name='inquiry_team_size_in_range'),
                ),
                migrations.AddConstraint(
                    model_name='inquiry',
                    constraint=models.CheckConstraint(condition=models.Q(models.Q(('kind', 'team_training'), _negated=True), ('anonymized_at__isnull', False), models.Q(models.Q(('organization', ''), _negated=True), ('team_size__isnull', False)), _connector='OR'), name='inquiry_team_training_names_team'),
                ),
                migrations.AddConstraint(
                    model_name='inquiry',
                    constraint=models.CheckConstraint(condition=models.Q(('source', 'survey'), ('consent_at__isnull', False), _connector='OR'), name='inquiry_form_has_consent'),
                ),
                migrations.AddConstraint(
                    model_name='inquirystatuschange',
                    constraint=models.CheckConstraint(condition=models.Q(('from_status', models.F('to_status')), _negated=True), name='inquiry_status_change_changes'),
                ),
            ],
        ),
        move_content_types("enrollments", "inquiries", ['inquiry', 'inquirynote', 'inquirystatuschange']),
    ]
