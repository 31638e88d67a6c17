from django.apps import AppConfig


class WorkshopsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "workshops"

    def ready(self) -> None:
        from workshops import cache

        cache.connect()
