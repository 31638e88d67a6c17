"""Personal data ends (DESIGN.md invariant 8): how long each kind is kept, and how one
person's is found, handed over and erased.

Every app that stores personal data registers a keeper for each kind of it in its
`AppConfig.ready()`. The daily purge (`enrollments.purge_expired_personal_data`),
`manage.py erase_person` and `manage.py export_person` (and their admin actions) ask every
keeper. A keeper names the fields it empties; every other text or email field of the
project's models is declared free of personal data with `declare_free`, and a test walks
every model so that a new one is covered or fails the suite (tests/test_privacy.py).

Anonymizing keeps the rows (counts and statistics stay right) and empties what tells who
someone is or what they said.
"""

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

from django.db import models, transaction
from django.utils import timezone

# The personal fields a keeper empties, by model.
Fields = Mapping[type[models.Model], tuple[str, ...]]


class Keeper(Protocol):
    """One kind of personal data (the report names it by `kind`)."""

    kind: str
    fields: Fields

    def purge(self, *, now: datetime) -> int:
        """Anonymize what is past its retention period; returns how many records."""
        ...

    def records_of(self, email: str) -> list[models.Model]:
        """The person's records of this kind, found before anything is erased (other
        keepers erase what points to them, such as the emails about a booking)."""
        ...

    def contexts_of(self, records: list[models.Model]) -> list[models.Model]:
        """What emails about these records are linked to: the records themselves, or the
        booking a participant attends on (its confirmation names everyone)."""
        ...

    def erase(self, *, email: str, records: "PersonsRecords", now: datetime, by: Any) -> int:
        """Anonymize the person's records of this kind (`by` a staff member, or None for a
        command); returns how many."""
        ...

    def export(self, *, email: str) -> list[dict[str, Any]]:
        """Everything of this kind held about the person, for them to read."""
        ...


@dataclass(frozen=True)
class PersonsRecords:
    """Every keeper's records of one person, by kind, and what emails about them hang on."""

    by_kind: dict[str, list[models.Model]]
    contexts: list[models.Model] = field(default_factory=list)

    def all(self) -> list[models.Model]:
        return [record for records in self.by_kind.values() for record in records]

    @property
    def names(self) -> set[str]:
        """The names the person gave us, in any of their records."""
        return {name for record in self.all() if (name := str(getattr(record, "name", "")))}


@dataclass
class Registry:
    keepers: list[Keeper] = field(default_factory=list)
    free: dict[type[models.Model], dict[str, str]] = field(default_factory=dict)
    # What a person is told about a kind that is kept on purpose, and why.
    kept_on_purpose: dict[str, str] = field(default_factory=dict)


registry = Registry()


def register(keeper: Keeper) -> None:
    if all(existing.kind != keeper.kind for existing in registry.keepers):
        registry.keepers.append(keeper)


def declare_free(model: type[models.Model], *fields: str, why: str) -> None:
    """These fields of `model` hold no personal data, for the reason given."""
    for name in fields:
        registry.free.setdefault(model, {})[name] = why


def declare_history_free(*tracked: type[models.Model]) -> None:
    """The audit trail of these models (django-simple-history) copies only fields declared
    free of personal data: those holding any are left out of it (`excluded_fields`)."""
    for model in tracked:
        history: Any = model.history.model  # type: ignore[attr-defined]
        for name, why in registry.free.get(model, {}).items():
            declare_free(history, name, why=why)
        declare_free(history, "history_change_reason", why="never set: the history says what")


def keep_on_purpose(kind: str, why: str) -> None:
    """A kind of record erasure leaves in place, and the sentence the report gives for it."""
    registry.kept_on_purpose[kind] = why


def kept_fields() -> dict[type[models.Model], set[str]]:
    kept: dict[type[models.Model], set[str]] = {}
    for keeper in registry.keepers:
        for model, names in keeper.fields.items():
            kept.setdefault(model, set()).update(names)
    return kept


def _top_down() -> Iterable[Keeper]:
    # Keepers of higher apps (surveys) find their records through lower ones (a survey's
    # participant), so they go first.
    return reversed(registry.keepers)


def purge_all(*, now: datetime | None = None) -> dict[str, int]:
    """Anonymize, kind by kind, every record past its retention period."""
    now = now or timezone.now()
    return {keeper.kind: keeper.purge(now=now) for keeper in _top_down()}


@dataclass(frozen=True)
class Erasure:
    email: str
    erased: dict[str, int]  # records anonymized, by kind
    kept: dict[str, str]  # kinds left in place on purpose, and why
    dry_run: bool


def erase_person(
    *, email: str, by: Any = None, dry_run: bool = False, now: datetime | None = None
) -> Erasure:
    """Erase one person everywhere, in one transaction; with `dry_run`, only count."""
    now = now or timezone.now()
    email = email.strip()
    with transaction.atomic():
        found = {keeper.kind: keeper.records_of(email) for keeper in _top_down()}
        contexts = [
            context for keeper in _top_down() for context in keeper.contexts_of(found[keeper.kind])
        ]
        records = PersonsRecords(found, contexts)
        erased = {
            keeper.kind: keeper.erase(email=email, records=records, now=now, by=by)
            for keeper in _top_down()
            if keeper.kind not in registry.kept_on_purpose  # their retention is the law's
        }
        if dry_run:  # the same work, undone: the counts are exactly what erasing would do
            transaction.set_rollback(True)
    return Erasure(email=email, erased=erased, kept=dict(registry.kept_on_purpose), dry_run=dry_run)


def export_person(*, email: str) -> dict[str, Any]:
    """Everything Regard holds about one person, by kind (the right of access)."""
    email = email.strip()
    return {
        "email": email,
        "exported_at": timezone.now().isoformat(),
        **{keeper.kind: keeper.export(email=email) for keeper in _top_down()},
    }
