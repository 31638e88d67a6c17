"""Integrations hold no one's personal data: a feed is a secret address and whose it is."""

from config.privacy import declare_free
from integrations.models import CalendarFeed

declare_free(CalendarFeed, "token", "owner", why="the secret address, and whose feed it is")
