"""What tests of the server-rendered pages read in them."""

import re


def field_errors(page: str, field_id: str) -> list[str]:
    """The errors tied to a field by its aria-describedby."""
    tag = re.search(rf'<(?:input|textarea|select)[^>]*id="{field_id}"[^>]*>', page)
    assert tag, f"no field {field_id}"
    described = re.search(r'aria-describedby="([^"]*)"', tag.group(0))
    ids = described.group(1).split() if described else []
    return [
        re.search(rf'id="{i}">([^<]*)<', page).group(1)  # type: ignore[union-attr]
        for i in ids
        if "error" in i
    ]
