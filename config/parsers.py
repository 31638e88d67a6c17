"""The API's JSON parser, which refuses the NUL character (see config/input_guards.py).

Kept apart from the middleware: DRF loads this module while its views are first imported,
so it imports nothing of ours that imports DRF's views.
"""

from typing import Any

from django.utils.translation import gettext_lazy as _
from rest_framework import exceptions, parsers

NUL = "\x00"
MESSAGE = _("Part of this request contains a character we cannot accept (NUL). Please remove it.")


def where_nul(data: Any, path: str = "") -> str | None:
    """The field path (`participants.0.name`) of the first NUL in parsed JSON, if any."""
    if isinstance(data, str):
        return (path or "non_field_errors") if NUL in data else None
    if isinstance(data, dict):
        items: Any = data.items()
    elif isinstance(data, list):
        items = enumerate(data)
    else:
        return None
    for key, value in items:
        here = f"{path}.{key}" if path else str(key)
        if NUL in str(key):
            return here
        found = where_nul(value, here)
        if found:
            return found
    return None


class JSONParser(parsers.JSONParser):
    def parse(self, stream: Any, media_type: str | None = None, parser_context: Any = None) -> Any:
        data = super().parse(stream, media_type, parser_context)
        field = where_nul(data)
        if field:
            raise exceptions.ValidationError({field: [MESSAGE]})
        return data
