from django.apps import AppConfig


class OutboxConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "outbox"
    verbose_name = "Outgoing email"

    def ready(self) -> None:
        from config import privacy
        from outbox.privacy import Emails

        privacy.register(Emails())
