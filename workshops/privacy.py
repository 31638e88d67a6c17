"""The catalog holds no personal data of the people the practice serves: what is here the
practice writes and publishes itself, its facilitators' names and bios included."""

from config.privacy import declare_free, declare_history_free
from workshops.models import Facilitator, Offering, Session, Topic

PUBLISHED = "written and published by the practice"

declare_free(Topic, "name", "slug", why=PUBLISHED)
declare_free(Facilitator, "name", "credentials", "bio", why=PUBLISHED + ", about its own team")
declare_free(
    Offering,
    "title",
    "slug",
    "summary",
    "description",
    "title_nl",
    "summary_nl",
    "description_nl",
    "audience",
    "currency",
    "ce_accreditor",
    "ce_statement",
    why=PUBLISHED,
)
declare_free(
    Session,
    "title",
    "timezone",
    "location",
    "meeting_link",
    "organization",
    why=PUBLISHED + " (a private session names the organization it is for, not a person)",
)

declare_history_free(Offering, Session)
