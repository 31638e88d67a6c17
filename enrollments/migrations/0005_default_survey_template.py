"""The default follow-up survey, used for every offering without a template of its own."""

from django.db import migrations

QUESTIONS = [
    ("overall", "rating", "All in all, how valuable was the session for you?", True),
    ("felt_heard", "rating", "I felt heard and respected.", True),
    ("recommend", "nps", "How likely are you to recommend this training to a colleague?", True),
    ("most_valuable", "free_text", "What was most valuable for you?", False),
    ("could_be_better", "free_text", "What could we do better?", False),
    (
        "wants_guidance",
        "yes_no",
        "Would you like personal guidance? If you say yes, we'll write to you personally.",
        False,
    ),
]


def create_default(apps, schema_editor):
    SurveyTemplate = apps.get_model("enrollments", "SurveyTemplate")
    SurveyQuestion = apps.get_model("enrollments", "SurveyQuestion")
    if SurveyTemplate.objects.filter(is_default=True).exists():
        return
    template = SurveyTemplate.objects.create(name="Follow-up survey", is_default=True)
    SurveyQuestion.objects.bulk_create(
        SurveyQuestion(
            template=template, position=position, key=key, type=type_, text=text, required=required
        )
        for position, (key, type_, text, required) in enumerate(QUESTIONS, start=1)
    )


class Migration(migrations.Migration):
    dependencies = [("enrollments", "0004_surveys")]

    # Going back, 0004 drops the tables with the template in them.
    operations = [migrations.RunPython(create_default, migrations.RunPython.noop)]
