"""CSV exports from the admin: streamed row by row, every cell safe to open in a spreadsheet."""

import csv
from collections.abc import Iterable, Iterator, Sequence

from django.http import StreamingHttpResponse


def csv_safe(value: object) -> str:
    """A cell a spreadsheet shows as text: never a formula (OWASP's CSV injection advice)."""
    text = "" if value is None else str(value)
    if text.startswith(("=", "+", "-", "@", "\t", "\r")):
        return "'" + text
    return text


class _Echo:
    """A file-like object that hands back what csv.writer writes, for streaming."""

    def write(self, value: str) -> str:
        return value


def csv_response(rows: Iterable[Sequence[object]], *, filename: str) -> StreamingHttpResponse:
    """Rows (the header first) as a download, written while they are read."""
    writer = csv.writer(_Echo())

    def lines() -> Iterator[str]:
        for row in rows:
            yield writer.writerow(row)

    return StreamingHttpResponse(
        lines(),
        content_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )
