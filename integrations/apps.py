from django.apps import AppConfig


class IntegrationsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "integrations"

    def ready(self) -> None:
        from integrations import privacy  # noqa: F401  (declares its fields)
        from integrations.subscribers import subscribe_all

        subscribe_all()
