from django.apps import AppConfig


class CertificatesConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "certificates"

    def ready(self) -> None:
        from django.conf import settings

        from certificates.privacy import Certificates
        from config import privacy

        privacy.register(Certificates())
        privacy.keep_on_purpose(
            "certificates",
            f"Certificates are kept for {settings.CERTIFICATE_RETENTION_YEARS} years, for "
            "the audits of the bodies that accredit continuing education; they hold the "
            "name, the programme, its dates and hours.",
        )
