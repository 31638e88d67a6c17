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
        ("workshops", "0002_calendar_sequence"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name='SurveyTemplate',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('name', models.CharField(max_length=200)),
                        ('is_default', models.BooleanField(default=False, help_text='Used for every offering that has no template of its own. Exactly one is.', verbose_name='default')),
                        ('created_at', models.DateTimeField(auto_now_add=True)),
                    ],
                    options={
                        'db_table': 'enrollments_surveytemplate',
                        'ordering': ['-is_default', 'name'],
                        'constraints': [models.UniqueConstraint(condition=models.Q(('is_default', True)), fields=('is_default',), name='survey_template_one_default')],
                    },
                ),
                migrations.CreateModel(
                    name='SurveyQuestion',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('position', models.PositiveSmallIntegerField(default=0)),
                        ('key', models.SlugField(help_text='Stable name of the answer. The results read `overall` and `felt_heard` (ratings) and `recommend` (0–10); a yes to `wants_guidance` is passed on to the practice.')),
                        ('type', models.CharField(choices=[('rating', 'Rating 1–5'), ('nps', 'Recommendation 0–10'), ('yes_no', 'Yes or no'), ('single_choice', 'One of several choices'), ('free_text', 'Free text')], max_length=20)),
                        ('text', models.CharField(max_length=300)),
                        ('required', models.BooleanField(default=False)),
                        ('choices', models.JSONField(blank=True, default=list, help_text='Only for "one of several choices": a list of texts.')),
                        ('template', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='questions', to='surveys.surveytemplate')),
                    ],
                    options={
                        'db_table': 'enrollments_surveyquestion',
                        'ordering': ['template', 'position', 'id'],
                    },
                ),
                migrations.CreateModel(
                    name='SurveyInvitation',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('token', models.CharField(editable=False, max_length=64, unique=True)),
                        ('invited_at', models.DateTimeField()),
                        ('reminded_at', models.DateTimeField(blank=True, null=True)),
                        ('submitted_at', models.DateTimeField(blank=True, null=True)),
                        ('flagged', models.BooleanField(default=False, help_text='A low rating (1–2) for the whole or for feeling heard.')),
                        ('wants_guidance', models.BooleanField(default=False)),
                        ('participant', models.OneToOneField(on_delete=django.db.models.deletion.CASCADE, related_name='survey_invitation', to='enrollments.participant')),
                        ('session', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='survey_invitations', to='workshops.session')),
                        ('template', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to='surveys.surveytemplate')),
                    ],
                    options={
                        'db_table': 'enrollments_surveyinvitation',
                        'ordering': ['-flagged', '-submitted_at', '-invited_at', '-id'],
                    },
                ),
                migrations.CreateModel(
                    name='OfferingSurvey',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('offering', models.OneToOneField(on_delete=django.db.models.deletion.CASCADE, related_name='survey', to='workshops.offering')),
                        ('template', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='offering_surveys', to='surveys.surveytemplate')),
                    ],
                    options={
                        'verbose_name': "offering's own survey",
                        'db_table': 'enrollments_offeringsurvey',
                    },
                ),
                migrations.CreateModel(
                    name='SurveyAnswer',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('key', models.SlugField()),
                        ('type', models.CharField(choices=[('rating', 'Rating 1–5'), ('nps', 'Recommendation 0–10'), ('yes_no', 'Yes or no'), ('single_choice', 'One of several choices'), ('free_text', 'Free text')], max_length=20)),
                        ('question_text', models.CharField(max_length=300)),
                        ('number', models.PositiveSmallIntegerField(blank=True, null=True)),
                        ('yes', models.BooleanField(blank=True, null=True)),
                        ('text', models.TextField(blank=True)),
                        ('invitation', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='answers', to='surveys.surveyinvitation')),
                        ('question', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='answers', to='surveys.surveyquestion')),
                    ],
                    options={
                        'db_table': 'enrollments_surveyanswer',
                        'ordering': ['id'],
                        'constraints': [models.UniqueConstraint(fields=('invitation', 'key'), name='survey_answer_once'), models.CheckConstraint(condition=models.Q(models.Q(('number__gte', 1), ('number__lte', 5), ('type', 'rating')), models.Q(('number__gte', 0), ('number__lte', 10), ('type', 'nps')), models.Q(('type', 'yes_no'), ('yes__isnull', False)), models.Q(('type__in', ['single_choice', 'free_text']), models.Q(('text', ''), _negated=True)), _connector='OR'), name='survey_answer_value_fits_type')],
                    },
                ),
                migrations.AddConstraint(
                    model_name='surveyquestion',
                    constraint=models.UniqueConstraint(fields=('template', 'key'), name='survey_question_key_unique'),
                ),
                migrations.AddIndex(
                    model_name='surveyinvitation',
                    index=models.Index(fields=['submitted_at', 'reminded_at', 'invited_at'], name='enrollments_submitt_841b4e_idx'),
                ),
                migrations.AddConstraint(
                    model_name='surveyinvitation',
                    constraint=models.CheckConstraint(condition=models.Q(('flagged', False), ('submitted_at__isnull', False), _connector='OR'), name='survey_invitation_flag_needs_answers'),
                ),
            ],
        ),
        move_content_types("enrollments", "surveys", ['surveytemplate', 'surveyquestion', 'offeringsurvey', 'surveyinvitation', 'surveyanswer']),
    ]
