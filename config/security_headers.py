"""Headers that keep the server-rendered pages to themselves."""

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse


class ContentSecurityPolicyMiddleware:
    """Every HTML page (the admin's too) says where its scripts, styles and forms may come
    from: our own origin only, so an injected script or a form posting elsewhere cannot
    run. The API's documentation page is left out: Swagger UI starts with an inline script.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        is_page = response.get("Content-Type", "").startswith("text/html")
        if is_page and not request.path.startswith("/api/"):
            response.headers.setdefault("Content-Security-Policy", settings.CONTENT_SECURITY_POLICY)
        return response
