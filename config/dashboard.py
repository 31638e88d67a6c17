"""The admin's front page: what needs the practice today, each panel linking to its list.

Each app adds its own panels from its admin module (`register`), so that config, at the
bottom of the dependency rule, knows none of them; a staff member sees the panels their
role may read (`permission`), in `order`.
"""

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Line:
    text: str
    url: str = ""
    flag: str = ""  # a word that says why this one comes first ("urgent", "overdue")


@dataclass(frozen=True)
class Reading:
    lines: Sequence[Line]
    count: int  # all there are; the lines are the first of them


@dataclass(frozen=True)
class Panel:
    key: str
    title: str
    permission: str
    read: Callable[[Any], Reading]  # given the staff member (a facilitator sees their own)
    list_url: Callable[[], str]
    empty: str  # what the panel says when nothing needs doing
    order: int = 100


@dataclass(frozen=True)
class Shown:
    panel: Panel
    reading: Reading
    list_url: str

    @property
    def more(self) -> int:
        return self.reading.count - len(self.reading.lines)


@dataclass
class _Registry:
    panels: dict[str, Panel] = field(default_factory=dict)


_registry = _Registry()

SHOWN_PER_PANEL = 8


def reading(rows: Any, line: Callable[[Any], Line]) -> Reading:
    """The first rows of a queryset, each as its line, and how many there are in all."""
    return Reading(lines=[line(row) for row in rows[:SHOWN_PER_PANEL]], count=rows.count())


def register(panel: Panel) -> None:
    _registry.panels[panel.key] = panel


def panels_for(user: Any) -> list[Shown]:
    """The panels this staff member may read, each read now."""
    mine = sorted(
        (p for p in _registry.panels.values() if user.has_perm(p.permission)),
        key=lambda p: (p.order, p.key),
    )
    return [Shown(panel, panel.read(user), panel.list_url()) for panel in mine]
