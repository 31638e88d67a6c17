"""A short-lived cache of the public catalog's answers, dropped whenever the catalog changes.

Offerings and sessions are read far more than they change; on the day a popular workshop
opens, the list is fetched by everyone at once. Answers are kept for
`CATALOG_CACHE_SECONDS`, each with the version of the catalog it was read under; every
write to the catalog (or to seats) moves the version on, and an answer is served only
while its version is the current one, so nobody reads a stale price, date or seat count
for long. The version and the answer are fetched together, in one round trip.

A web process also keeps the answers it read, and serves them again without a round
trip for `CATALOG_LOCAL_SECONDS` (1 s); on `make bench` that round trip alone held a
cached answer to about 0.8 of a constant one. A change made in the same process is seen
at once (it forgets them); one made in another process, within that second. Booking
never reads these answers: seats are counted under the session's lock.

Invalidation hangs on model signals on purpose: it must follow every path a row can
change by (services, admin, shell), and it carries no business rule. A write made with
`QuerySet.update()` sends no signal; code that writes so calls `catalog_changed()` itself.

The same versions keep a note of sessions found full, so that in a rush on a full
session each further request is refused from the note, with no SQL (`known_full`). Notes
are kept only in Redis, which every process shares: a process's own cache would not hear
of a seat freed in another. A note is a shortcut, never the answer: if Redis fails, the
request takes the locked check as if there were none. Everything here fails open
(`config.cache.fail_open`).
"""

import hashlib
import time
import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.db.models import Model
from django.db.models.signals import m2m_changed, post_delete, post_save

from config.cache import fail_open, shared_cache

VERSION_KEY = "catalog:version"
# What goes without Redis when it fails, as the warnings name it.
CACHE = "the catalog cache"
FULL_NOTES = "notes of full sessions"


def _new_catalog_version() -> str:
    # The version was never set, or was evicted: the first process to add one wins.
    version = uuid.uuid4().hex
    cache.add(VERSION_KEY, version, None)
    return str(cache.get(VERSION_KEY, version))


def catalog_changed(**kwargs: Any) -> None:
    # After commit: a reader between the write and the commit would cache the old rows
    # under the new version.
    transaction.on_commit(_move_on)


def _move_on() -> None:
    forget_local_answers()
    # If Redis fails here the change is committed all the same, and the request and its
    # other on-commit work go on; other processes' answers lapse with their time.
    fail_open(CACHE, lambda: cache.set(VERSION_KEY, uuid.uuid4().hex, None), None)


def cached_answer_key(path: str) -> str:
    return f"catalog:answer:{hashlib.sha256(path.encode()).hexdigest()}"


def _kept(key: str) -> tuple[Any | None, str]:
    """What is kept under `key` if it is of the current version (else None), and that version.

    Keep fresh data with this version, read before the rows were: if the catalog changes
    meanwhile, the data is kept under the old version and never used.
    """
    found = cache.get_many([VERSION_KEY, key])
    version = found.get(VERSION_KEY)
    if version is None:
        return None, _new_catalog_version()
    kept = found.get(key)
    if kept is not None and kept["version"] == version:
        return kept["data"], str(version)
    return None, str(version)


def _keep(key: str, data: Any, version: str, seconds: int) -> None:
    cache.set(key, {"version": version, "data": data}, seconds)


# Answers this process read from the cache, by path: (when read, answer, version).
_local: dict[str, tuple[float, Any, str]] = {}
LOCAL_ANSWERS = 256  # past this many paths (filters, pages) the process starts afresh
_clock = time.monotonic
# Moved on by every forgetting: an answer read from Redis before a change this process
# made (in another thread) is not kept after it.
_forgotten = 0


def forget_local_answers() -> None:
    global _forgotten
    _forgotten += 1
    _local.clear()


def cached_answer(path: str) -> tuple[Any | None, str]:
    """The answer kept for `path` if it is of the current version (else None), and that
    version; or the one this process read less than `CATALOG_LOCAL_SECONDS` ago."""
    now = _clock()
    local = _local.get(path)
    if local is not None and now - local[0] < settings.CATALOG_LOCAL_SECONDS:
        return local[1], local[2]
    forgotten = _forgotten
    data, version = fail_open(CACHE, lambda: _kept(cached_answer_key(path)), (None, ""))
    if data is not None and settings.CATALOG_LOCAL_SECONDS > 0:
        if len(_local) >= LOCAL_ANSWERS:
            _local.clear()
        if _forgotten == forgotten:
            _local[path] = (now, data, version)
    return data, version


def cache_answer(path: str, data: Any, version: str) -> None:
    if version:  # none when Redis failed as the answer was asked for
        key = cached_answer_key(path)
        fail_open(CACHE, lambda: _keep(key, data, version, cache_seconds()), None)


@dataclass(frozen=True)
class FullSession:
    """A session seen with no seat left, and whether it keeps a waitlist."""

    waitlist_enabled: bool


def _full_key(session_id: int) -> str:
    return f"catalog:full:{session_id}"


def known_full(session_id: int, *, now: datetime) -> tuple[FullSession | None, str]:
    """Whether the session was seen full under the current version, and that version
    (empty without Redis, with the cache off or when Redis fails: then nothing is noted)."""
    if shared_cache() is None or not cache_seconds():
        return None, ""
    kept, version = fail_open(FULL_NOTES, lambda: _kept(_full_key(session_id)), (None, ""))
    if kept is None or now >= datetime.fromisoformat(kept["until"]):
        return None, version
    return FullSession(waitlist_enabled=kept["waitlist_enabled"]), version


def note_full(
    session_id: int, full: FullSession, *, version: str, until: datetime, now: datetime
) -> None:
    """Note that the session had no seat left when read under `version`.

    The note holds until the catalog next changes, or until `until`, the first moment the
    answer could change by time alone (a hold lapsing, enrollment closing); and never
    longer than the catalog's answers are kept.
    """
    seconds = min(cache_seconds(), int((until - now).total_seconds()))
    if not version or seconds <= 0:
        return
    data = {"waitlist_enabled": full.waitlist_enabled, "until": until.isoformat()}
    fail_open(FULL_NOTES, lambda: _keep(_full_key(session_id), data, version, seconds), None)


def cache_seconds() -> int:
    return int(settings.CATALOG_CACHE_SECONDS)


def watch(*models: type[Model]) -> None:
    """Move the catalog on whenever a row of these models is saved or deleted.

    The catalog's own models are watched by `WorkshopsConfig.ready()`; an app that keeps
    what the catalog shows (the bookings behind seat counts) watches its own in its ready().
    """
    for model in models:
        label = model._meta.label
        post_save.connect(catalog_changed, sender=model, dispatch_uid=f"catalog-{label}")
        post_delete.connect(catalog_changed, sender=model, dispatch_uid=f"catalog-del-{label}")


def watch_relations(*throughs: type[Model]) -> None:
    """The same for many-to-many links (an offering's topics and facilitators)."""
    for through in throughs:
        m2m_changed.connect(
            catalog_changed, sender=through, dispatch_uid=f"catalog-{through._meta.label}"
        )
