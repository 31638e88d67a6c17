"""Text that people type: the form it is judged in, and the links a name may not carry.

A person's name is copied into emails to other people: a purchaser's into a
participant's confirmation, an inquirer's into the practice's notice. A "name" such as
`Refund desk: refund-desk.com/claim` would make Regard send someone else's phishing, so
names refuse anything that reads as a link, however it is spelled: with or without a
scheme, in full-width or other look-alike characters (NFKC folds them), with invisible
characters inside, or with its dots written `[.]`, `(dot) com` or ` dot com`.

A name looks like a link when it holds a scheme (`http:`), `www.`, or a dotted name ending
in letters (`refund-desk.com`, `bücher.de`, `113.nl`; an email address too). Initials are
not: "J.R.R. Tolkien" and "Dr. Ng" pass, as a dot followed by a space or by one letter
never makes a domain. "St.John", written without the space, is asked for again kindly.

Organization names and messages may mention a domain ("Booking.com"): they are only
ever shown as text, never turned into links (see outbox's `email_html`).
"""

import re
import unicodedata

from django.conf import settings
from django.utils import translation
from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

NAME_WITH_LINK = _(
    "Please write just your name here, without a web or email address. (After a full stop, "
    "a space, please: St. John rather than St.John.)"
)

# Full stops NFKC leaves alone but browsers read as dots in a domain.
_DOTS = str.maketrans({"\u3002": ".", "\uff61": ".", "\u2024": "."})
# "dot" spelled out is read as a dot only before a common ending: "Ada Dot Smith" and
# "Jean-Luc (Dot) Picard" are names.
_ENDINGS = (
    "com|net|org|info|biz|io|co|me|app|xyz|top|site|online|shop|link|click|live|ly|cc|ru"
    "|cn|nl|be|de|fr|eu|uk|es|it|pl|ch|at|se|dk|no|us|ca|au|in|br"
)
_WRITTEN_DOT = re.compile(
    r"\s*[\[({<]\s*\.\s*[\])}>]\s*"  # [.] (.) {.} <.>
    rf"|\s*[\[({{<]?\s*\bdot\b\s*[\])}}>]?\s*(?=(?:{_ENDINGS})\b)"  # (dot) com, dot com
    r"|\s+\.(?=[^\W_])",  # refund-desk .com
    re.IGNORECASE,
)
_SCHEME = re.compile(r"\b(?:https?|ftp|mailto|javascript|data)\s*:|\bwww\.", re.IGNORECASE)
_DOMAIN = re.compile(r"[^\W_](?:[\w-]*[^\W_])?\.[^\W\d_]{2,24}(?![\w-])", re.IGNORECASE)


def normal_form(text: str) -> str:
    """`text` as it is judged: NFKC-normalized (look-alikes folded), invisible format
    characters (zero-width spaces, soft hyphens, direction marks) dropped."""
    folded = unicodedata.normalize("NFKC", text).translate(_DOTS)
    return "".join(char for char in folded if unicodedata.category(char) != "Cf")


# Names are shorter; a longer text is refused for its length, and not read further here.
_LONGEST_JUDGED = 1000


def holds_link(text: str) -> bool:
    """Does `text` read as holding a link, in any of the spellings above?"""
    judged = _WRITTEN_DOT.sub(".", normal_form(text[:_LONGEST_JUDGED]))
    # A dot then a space ends a sentence or an initial; "Dr. Ng" is no domain.
    return bool(_SCHEME.search(judged) or _DOMAIN.search(judged))


def person_name(name: str) -> str:
    """A DRF validator for a person's name: refuses a link in it, kindly."""
    if holds_link(name):
        raise serializers.ValidationError(NAME_WITH_LINK)
    return name


def active_language() -> str:
    """The language active now, as one of LANGUAGES: a request's (LocaleMiddleware: the
    page's switcher, else Accept-Language), or an email's (written in its person's)."""
    known = {code for code, _name in settings.LANGUAGES}
    spoken = (translation.get_language() or "").lower()
    for code in (spoken, spoken.split("-")[0]):
        if code in known:
            return code
    return str(settings.LANGUAGE_CODE)


def language_field(help_text: str) -> serializers.ChoiceField:
    """The `language` a booking or an inquiry is kept in: given, else the request's."""
    return serializers.ChoiceField(
        choices=settings.LANGUAGES,
        default=active_language,
        help_text=f"{help_text} Left out: the request's (Accept-Language).",
        error_messages={"invalid_choice": _("Please choose en (English) or nl (Dutch).")},
    )
