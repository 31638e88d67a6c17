from django.apps import AppConfig


class WorkshopsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "workshops"

    def ready(self) -> None:
        # Here, not at the top: models can be imported once the app registry is ready.
        from workshops import cache, privacy  # noqa: F401 -- privacy declares its fields
        from workshops.models import Facilitator, Offering, Session, Topic

        cache.watch(Offering, Session, Topic, Facilitator)
        cache.watch_relations(Offering.topics.through, Offering.facilitators.through)
