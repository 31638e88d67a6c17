"""A short-lived cache of the public catalog's answers, dropped whenever the catalog changes.

Offerings and sessions are read far more than they change; on the day a popular workshop
opens, the list is fetched by everyone at once. Answers are kept for
`CATALOG_CACHE_SECONDS` under a version that every write to the catalog (or to seats)
moves on, so nobody reads a stale price, date or seat count for long. Invalidation hangs
on model signals on purpose: it must follow every path a row can change by (services,
admin, shell), and it carries no business rule.
"""

import hashlib
import uuid
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.db.models.signals import m2m_changed, post_delete, post_save

VERSION_KEY = "catalog:version"


def catalog_version() -> str:
    version = cache.get(VERSION_KEY)
    if version is None:
        version = uuid.uuid4().hex
        cache.add(VERSION_KEY, version, None)
        version = cache.get(VERSION_KEY, version)
    return str(version)


def catalog_changed(**kwargs: Any) -> None:
    # After commit: a reader between the write and the commit would cache the old rows
    # under the new version.
    transaction.on_commit(lambda: cache.set(VERSION_KEY, uuid.uuid4().hex, None))


def cached_answer_key(path: str) -> str:
    return f"catalog:{catalog_version()}:{hashlib.sha256(path.encode()).hexdigest()}"


def cache_seconds() -> int:
    return int(settings.CATALOG_CACHE_SECONDS)


def connect() -> None:
    from enrollments.models import Enrollment
    from workshops.models import Facilitator, Offering, Session, Topic

    for model in (Offering, Session, Topic, Facilitator, Enrollment):
        post_save.connect(catalog_changed, sender=model, dispatch_uid=f"catalog-{model.__name__}")
        post_delete.connect(
            catalog_changed, sender=model, dispatch_uid=f"catalog-del-{model.__name__}"
        )
    for through in (Offering.topics.through, Offering.facilitators.through):
        m2m_changed.connect(
            catalog_changed, sender=through, dispatch_uid=f"catalog-{through.__name__}"
        )
