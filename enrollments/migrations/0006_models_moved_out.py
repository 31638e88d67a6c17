from django.db import migrations


class Migration(migrations.Migration):
    """The outbox, inquiries and surveys moved to apps of their own, tables and all: here
    they only leave Django's idea of this app. Nothing in the database changes."""

    dependencies = [
        ("enrollments", "0005_default_survey_template"),
        ("outbox", "0001_initial"),
        ("inquiries", "0001_initial"),
        ("surveys", "0001_initial"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                # What points to another moved model goes first.
                migrations.DeleteModel("SurveyAnswer"),
                migrations.DeleteModel("OfferingSurvey"),
                migrations.DeleteModel("SurveyInvitation"),
                migrations.DeleteModel("SurveyQuestion"),
                migrations.DeleteModel("SurveyTemplate"),
                migrations.DeleteModel("InquiryNote"),
                migrations.DeleteModel("InquiryStatusChange"),
                migrations.DeleteModel("Inquiry"),
                migrations.DeleteModel("OutgoingMail"),
            ],
        ),
    ]
