"""Bad filters and unknown ids: the one error shape, 400 or 404, never a 500."""

from http import HTTPStatus

import pytest

from tests.factories import SessionFactory

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("method", "url", "status", "code", "field"),
    [
        ("get", "/api/v1/offerings/?kind=seminar", 400, "invalid", "kind"),
        ("get", "/api/v1/offerings/?format=telepathy", 400, "invalid", "format"),
        ("get", "/api/v1/offerings/?topic=no-such-topic", 400, "invalid", "topic"),
        ("get", "/api/v1/offerings/?upcoming=perhaps", 400, "invalid", "upcoming"),
        ("get", "/api/v1/offerings/?search=" + "x" * 201, 400, "invalid", "search"),
        ("get", "/api/v1/offerings/?page=999", 404, "not_found", None),
        ("get", "/api/v1/offerings/?page=first", 404, "not_found", None),
        ("get", "/api/v1/offerings/?page_size=-3", 200, None, None),
        ("get", "/api/v1/offerings/no-such-offering/", 404, "not_found", None),
        ("get", "/api/v1/offerings/%E2%9C%93/", 404, "not_found", None),
        ("get", "/api/v1/sessions/?starts_after=yesterday", 400, "invalid", "starts_after"),
        ("get", "/api/v1/sessions/?starts_before=2026-13-45", 400, "invalid", "starts_before"),
        ("get", "/api/v1/sessions/?offering=no-such-offering", 400, "invalid", "offering"),
        # Found by the schema fuzzer: its UTC moment falls before year 1.
        (
            "get",
            "/api/v1/sessions/?starts_before=0060-06-14T20%3A46%3A59-02%3A03",
            400,
            "invalid",
            "starts_before",
        ),
        (
            "get",
            "/api/v1/sessions/?starts_after=9999-12-31T23%3A59%3A59-05%3A00",
            400,
            "invalid",
            "starts_after",
        ),
        ("get", "/api/v1/sessions/999999/", 404, "not_found", None),
        ("get", "/api/v1/sessions/not-a-number/", 404, "not_found", None),
        ("get", "/api/v1/sessions/99999999999999999999999/", 404, "not_found", None),
        ("get", "/api/v1/nowhere/", 404, "not_found", None),
        # Found by the schema fuzzer: PostgreSQL cannot compare text with a NUL in it.
        ("get", "/api/v1/offerings/?topic=a%00b", 400, "invalid", None),
        ("get", "/api/v1/enrollments/abc%00def/", 400, "invalid", None),
        ("get", "/api/v1/surveys/abc%00def/", 400, "invalid", None),
        ("post", "/api/v1/offerings/", 405, "method_not_allowed", None),
        ("delete", "/api/v1/sessions/{session}/", 405, "method_not_allowed", None),
    ],
)
def test_bad_requests_get_the_error_shape(api, method, url, status, code, field):
    session = SessionFactory.create()

    response = getattr(api, method)(url.format(session=session.id))

    assert response.status_code == status
    assert response["Content-Type"] == "application/json"
    if code is None:
        return
    body = response.json()
    assert body["code"] == code
    assert body["message"]
    if field:
        assert set(body["fields"]) == {field}
        assert body["fields"][field]
    else:
        assert "fields" not in body


def test_a_crash_in_an_api_view_still_answers_in_the_error_shape(rf):
    from config.errors import server_error

    response = server_error(rf.get("/api/v1/offerings/"))

    assert response.status_code == HTTPStatus.INTERNAL_SERVER_ERROR
    assert b'"code": "server_error"' in response.content
