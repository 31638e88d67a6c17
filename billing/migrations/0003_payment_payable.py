import django.db.models.deletion
from django.db import migrations, models
from django.db.models import F, OuterRef, Subquery


def pay_for_payables(apps, schema_editor):
    """Every payment so far paid a booking: it becomes that booking's, named by reference."""
    db = schema_editor.connection.alias
    Payment = apps.get_model("billing", "Payment")
    if not Payment.objects.using(db).exists():
        return
    Enrollment = apps.get_model("enrollments", "Enrollment")
    booking, _ = (
        apps.get_model("contenttypes", "ContentType")
        .objects.using(db)
        .get_or_create(app_label="enrollments", model="enrollment")
    )
    reference = Enrollment.objects.using(db).filter(pk=OuterRef("enrollment_id"))
    Payment.objects.using(db).update(
        payable_type=booking,
        payable_id=F("enrollment_id"),
        payable_reference=Subquery(reference.values("reference")[:1]),
    )


def pay_for_bookings(apps, schema_editor):
    db = schema_editor.connection.alias
    Payment = apps.get_model("billing", "Payment")
    bookings = Payment.objects.using(db).filter(
        payable_type__app_label="enrollments", payable_type__model="enrollment"
    )
    others = Payment.objects.using(db).exclude(pk__in=bookings.values("pk")).count()
    if others:
        raise RuntimeError(
            f"Cannot go back before billing 0003: {others} payment(s) pay something other "
            "than a booking, and before it a payment could only pay a booking."
        )
    bookings.update(enrollment_id=F("payable_id"))


class Migration(migrations.Migration):
    """A payment pays a payable (DESIGN.md): a booking so far, an invoice later. Billing
    keeps what it pays as a generic link, and no longer refers to enrollments' table."""

    dependencies = [
        ("billing", "0002_initial"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("enrollments", "0006_models_moved_out"),
    ]

    operations = [
        migrations.AddField(
            model_name="payment",
            name="payable_type",
            field=models.ForeignKey(
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to="contenttypes.contenttype",
            ),
        ),
        migrations.AddField(
            model_name="payment",
            name="payable_id",
            field=models.PositiveBigIntegerField(null=True),
        ),
        migrations.AddField(
            model_name="payment",
            name="payable_reference",
            field=models.CharField(
                db_index=True,
                default="",
                help_text="The reference of what is paid, such as ENR-7KQ2M9.",
                max_length=40,
            ),
            preserve_default=False,
        ),
        # Nullable before the data moves, so that going back can fill it in again first.
        migrations.AlterField(
            model_name="payment",
            name="enrollment",
            field=models.ForeignKey(
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="payments",
                to="enrollments.enrollment",
            ),
        ),
        migrations.RunPython(pay_for_payables, pay_for_bookings),
        migrations.RemoveConstraint(
            model_name="payment",
            name="payment_attempt_once_per_enrollment",
        ),
        migrations.RemoveField(
            model_name="payment",
            name="enrollment",
        ),
        migrations.AlterField(
            model_name="payment",
            name="payable_type",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to="contenttypes.contenttype",
            ),
        ),
        migrations.AlterField(
            model_name="payment",
            name="payable_id",
            field=models.PositiveBigIntegerField(),
        ),
        migrations.AddConstraint(
            model_name="payment",
            constraint=models.UniqueConstraint(
                fields=("payable_type", "payable_id", "attempt"),
                name="payment_attempt_once_per_payable",
            ),
        ),
    ]
