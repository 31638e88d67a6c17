from django.apps import AppConfig


class BillingConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "billing"

    def ready(self) -> None:
        from django.conf import settings

        from billing.privacy import StripePayloads
        from config import privacy

        privacy.register(StripePayloads())
        privacy.keep_on_purpose(
            "invoices",
            "Invoices and credit notes are kept for "
            f"{settings.INVOICE_RETENTION_YEARS} years, as the law asks of bookkeeping; "
            "they hold only the buyer's billing details.",
        )
