"""The HTML part of an email: its text, with only Regard's own links made links.

Emails carry what people typed (names, organizations, messages). Django's `urlize` would
turn "Booking.com" or a name posing as `refund-desk.com/claim` into a link in someone
else's inbox; here nothing becomes a link but an address on `SITE_URL` that Regard wrote
(a booking page, a survey, the admin).
"""

import re

from django import template
from django.conf import settings
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.text import normalize_newlines

register = template.Library()

# What may close a sentence after a link without being part of it.
_TRAILING = ".,;:!?)"


@register.filter
def own_links(text: str) -> SafeString:
    """`text` escaped, with each address on `SITE_URL` (and only those) an `<a>`."""
    escaped = escape(normalize_newlines(text))
    site = escape(settings.SITE_URL.rstrip("/"))
    if not site:
        return mark_safe(escaped)  # noqa: S308 - escaped just above

    def link(match: re.Match[str]) -> str:
        address = match.group(0)
        kept = address.rstrip(_TRAILING)
        return f'<a href="{kept}">{kept}</a>{address[len(kept) :]}'

    own = re.compile(rf"(?<![\w/.-]){re.escape(site)}/[^\s<>\"']*")
    return mark_safe(own.sub(link, escaped))  # noqa: S308 - built from escaped text only
