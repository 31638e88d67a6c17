"""The public verification page of a certificate."""

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from certificates.services import certificate_by_code
from config.errors import NotFound
from config.pages import page_not_found


@never_cache
@require_GET
def certificate_page(request: HttpRequest, code: str) -> HttpResponse:
    try:
        certificate = certificate_by_code(code)
    except NotFound as error:
        return page_not_found(request, error)
    return render(request, "certificates/verify.html", {"certificate": certificate})
