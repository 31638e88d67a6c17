"""A short-lived cache of the public catalog's answers, dropped whenever the catalog changes.

Offerings and sessions are read far more than they change; on the day a popular workshop
opens, the list is fetched by everyone at once. Answers are kept for
`CATALOG_CACHE_SECONDS`, each with the version of the catalog it was read under; every
write to the catalog (or to seats) moves the version on, and an answer is served only
while its version is the current one, so nobody reads a stale price, date or seat count
for long. The version and the answer are fetched together, in one round trip.

Invalidation hangs on model signals on purpose: it must follow every path a row can
change by (services, admin, shell), and it carries no business rule.
"""

import hashlib
import uuid
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.db.models.signals import m2m_changed, post_delete, post_save

VERSION_KEY = "catalog:version"


def _new_catalog_version() -> str:
    # The version was never set, or was evicted: the first process to add one wins.
    version = uuid.uuid4().hex
    cache.add(VERSION_KEY, version, None)
    return str(cache.get(VERSION_KEY, version))


def catalog_changed(**kwargs: Any) -> None:
    # After commit: a reader between the write and the commit would cache the old rows
    # under the new version.
    transaction.on_commit(lambda: cache.set(VERSION_KEY, uuid.uuid4().hex, None))


def cached_answer_key(path: str) -> str:
    return f"catalog:answer:{hashlib.sha256(path.encode()).hexdigest()}"


def cached_answer(path: str) -> tuple[Any | None, str]:
    """The answer kept for `path` if it is of the current version (else None), and that version.

    Store a fresh answer with this version, read before the rows were: if the catalog
    changes meanwhile, the answer is stored under the old version and never served.
    """
    key = cached_answer_key(path)
    found = cache.get_many([VERSION_KEY, key])
    version = found.get(VERSION_KEY)
    if version is None:
        return None, _new_catalog_version()
    kept = found.get(key)
    if kept is not None and kept["version"] == version:
        return kept["data"], str(version)
    return None, str(version)


def cache_answer(path: str, data: Any, version: str) -> None:
    cache.set(cached_answer_key(path), {"version": version, "data": data}, cache_seconds())


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
