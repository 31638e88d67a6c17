"""CSV exports from the admin: streamed row by row, every cell safe to open in a spreadsheet."""

import csv
from collections.abc import Iterable, Iterator, Sequence
from datetime import datetime
from decimal import Decimal
from typing import Any

from django.contrib.admin.models import CHANGE, LogEntry
from django.db.models import QuerySet
from django.http import HttpRequest, StreamingHttpResponse
from django.utils import timezone

from config.text import normal_form

# What a spreadsheet may take as the start of a formula (OWASP's CSV injection advice).
_FORMULA_STARTS = ("=", "+", "-", "@", "|", "%")


def csv_safe(value: object) -> str:
    """A cell a spreadsheet shows as text: never a formula. Spreadsheets skip leading
    whitespace and read look-alikes (a full-width `＝`) as the real sign, so the cell is
    judged as they read it: whitespace stripped, NFKC-normalized."""
    text = "" if value is None else str(value)
    if text.startswith(("\t", "\r")) or normal_form(text).lstrip().startswith(_FORMULA_STARTS):
        return "'" + text
    return text


class _Echo:
    """A file-like object that hands back what csv.writer writes, for streaming."""

    def write(self, value: str) -> str:
        return value


def csv_response(rows: Iterable[Sequence[object]], *, filename: str) -> StreamingHttpResponse:
    """Rows (the header first) as a download, written while they are read. Every cell
    but a number is passed through `csv_safe`: no export can forget it."""
    writer = csv.writer(_Echo())

    def lines() -> Iterator[str]:
        for row in rows:
            yield writer.writerow(
                cell if isinstance(cell, int | float | Decimal) else csv_safe(cell) for cell in row
            )

    return StreamingHttpResponse(
        lines(),
        content_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


def moment_cell(moment: datetime | None) -> str:
    """A time as a spreadsheet reads it, with its offset, in the current zone (the admin's:
    the practice's); empty when there is none."""
    return timezone.localtime(moment).isoformat(timespec="seconds") if moment else ""


def log_export(
    request: HttpRequest, queryset: QuerySet[Any], message: str = "Exported as CSV."
) -> None:
    """Who took which records out of the admin, and when: one admin log entry each."""
    LogEntry.objects.log_actions(
        user_id=request.user.pk or 0,  # the admin lets only signed-in staff this far
        queryset=queryset,
        action_flag=CHANGE,
        change_message=message,
        single_object=False,
    )
