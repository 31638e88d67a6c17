"""Every page of every registered admin opens, for the practice lead: no page answers 500."""

from http import HTTPStatus

import pytest
from django.contrib import admin

from tests.config.test_admin_permissions import world  # noqa: F401 -- a fixture

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("world", "stripe_settings")]


def test_every_admin_page_opens(admin_client):
    opened = 0
    for model in admin.site._registry:
        base = f"/admin/{model._meta.app_label}/{model._meta.model_name}/"
        record = model._default_manager.order_by("pk").first()
        pages = [base, f"{base}?q=ada", f"{base}add/"]
        if record is not None:
            pages += [f"{base}{record.pk}/change/", f"{base}{record.pk}/history/"]
        for page in pages:
            response = admin_client.get(page)
            assert response.status_code in {
                HTTPStatus.OK,
                HTTPStatus.FORBIDDEN,  # adding by hand is refused for some, on purpose
            }, (page, response.status_code)
            opened += response.status_code == HTTPStatus.OK
    assert opened > 40
