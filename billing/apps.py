from django.apps import AppConfig


class BillingConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "billing"

    def ready(self) -> None:
        from django.conf import settings

        from billing.events import PaymentSucceeded
        from billing.privacy import Invoices, StripePayloads
        from billing.services.invoice_payments import on_payment_succeeded
        from config import events, privacy

        events.subscribe(PaymentSucceeded, on_payment_succeeded)
        privacy.register(StripePayloads())
        privacy.register(Invoices())
        privacy.keep_on_purpose(
            "invoices",
            "Invoices and credit notes are kept for "
            f"{settings.INVOICE_RETENTION_YEARS} years, as the law asks of bookkeeping; "
            "they hold only the buyer's billing details.",
        )
