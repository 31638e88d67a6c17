"""The calendar feeds, for calendar applications that subscribe to them."""

from django.http import HttpRequest, HttpResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from config.errors import NotFound
from integrations.calendar_feeds import feed_calendar, live_feed


@never_cache  # a secret address: never kept by a proxy
@require_GET
def calendar_feed(request: HttpRequest, token: str) -> HttpResponse:
    try:
        feed = live_feed(token)
    except NotFound as error:
        return HttpResponse(
            str(error.message), status=404, content_type="text/plain; charset=utf-8"
        )
    response = HttpResponse(feed_calendar(feed), content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = 'inline; filename="sessions.ics"'
    return response
