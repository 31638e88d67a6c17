from django.apps import AppConfig


class InquiriesConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "inquiries"

    def ready(self) -> None:
        from config import privacy
        from inquiries.privacy import Inquiries

        privacy.register(Inquiries())
