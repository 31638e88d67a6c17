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
        content_types = apps.get_model("contenttypes", "ContentType").objects.using(
            schema_editor.connection.alias
        )
        for model in models:
            if not content_types.filter(app_label=source, model=model).exists():
                continue  # a new database: post_migrate makes them afterwards
            # One made meanwhile for the new app (a `migrate` run halfway) holds nothing yet.
            content_types.filter(app_label=target, model=model).delete()
            content_types.filter(app_label=source, model=model).update(app_label=target)

    return migrations.RunPython(
        lambda apps, schema_editor: move(apps, schema_editor, from_app, to_app),
        lambda apps, schema_editor: move(apps, schema_editor, to_app, from_app),
    )
