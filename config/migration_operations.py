"""Operations the apps' migrations share."""

from typing import Any

from django.db import migrations


def move_content_types(from_app: str, to_app: str, models: list[str]) -> migrations.RunPython:
    """Move the content types of models that changed app in place, keeping their ids.

    Everything that points to a content type goes with it: the permissions and so the
    groups that hold them, admin log entries, and generic links such as an outbox row's
    `related` inquiry. Django would otherwise make new ones and leave all that behind.
    """

    def move(apps: Any, schema_editor: Any, source: str, target: str) -> None:
        db = schema_editor.connection.alias
        content_types = apps.get_model("contenttypes", "ContentType").objects.using(db)
        for model in models:
            kept = content_types.filter(app_label=source, model=model).first()
            if kept is None:
                continue  # a new database: post_migrate makes them afterwards
            stray = content_types.filter(app_label=target, model=model).first()
            if stray is not None:
                _repoint(apps, db, stray, kept)
                stray.delete()
            content_types.filter(pk=kept.pk).update(app_label=target)

    return migrations.RunPython(
        lambda apps, schema_editor: move(apps, schema_editor, from_app, to_app),
        lambda apps, schema_editor: move(apps, schema_editor, to_app, from_app),
    )


def _repoint(apps: Any, db: str, stray: Any, kept: Any) -> None:
    """Code running before the migration (a rolling deploy) may already have made a content
    type under the new app, and written rows that point to it (an outbox row's `related`):
    they point to the one that is kept instead, so erasure still finds them."""
    for model in apps.get_models():
        for field in model._meta.concrete_fields:
            target = field.related_model
            if not field.many_to_one or target is None:
                continue
            if target._meta.label_lower != "contenttypes.contenttype":
                continue
            rows = model._base_manager.using(db).filter(**{field.name: stray})
            if model._meta.label_lower == "auth.permission":
                # The kept type has its own of each codename; only others move across.
                codenames = model._base_manager.using(db).filter(content_type=kept)
                rows = rows.exclude(codename__in=codenames.values("codename"))
            rows.update(**{field.name: kept})
