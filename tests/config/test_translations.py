"""The Dutch catalog is complete and compiled, and a Dutch request is answered in Dutch.

English is the source language: every msgid is the English text itself. The catalog in
locale/nl is made with `makemessages -l nl --no-obsolete` (see its header) and compiled
with `compilemessages`; these tests fail when a new text was marked but not translated.
"""

import re
import shutil
from http import HTTPStatus
from pathlib import Path

import polib  # type: ignore[import-untyped]
import pytest
from django.conf import settings
from django.core.management import call_command

from inquiries.models import Inquiry

PO = settings.BASE_DIR / "locale" / "nl" / "LC_MESSAGES" / "django.po"
MO = PO.with_suffix(".mo")

# Texts whose Dutch is the very same as the English: only words Dutch took over as they
# are (the kinds and formats of offerings). Keep this short; a sentence never belongs here.
SAME_IN_DUTCH: frozenset[str] = frozenset({"Workshop", "Online"})

# What the Dutch must carry over unchanged: %(name)s placeholders (blocktranslate's
# {{ name }} too), a literal %%, str.format fields (DRF formats some messages), HTML tags.
_CARRIED = re.compile(r"%\([A-Za-z_][A-Za-z0-9_]*\)[sd]|%%|\{[^{}]*\}|</?[a-z]+[^>]*>")

# The folders `makemessages` reads, as in the command in the catalog's header: everything
# at the top of the project but these (and hidden folders).
_NOT_SCANNED = {".venv", "node_modules", "var", "bench", "tests", "locale"}


def carried(text: str) -> list[str]:
    return sorted(_CARRIED.findall(text))


@pytest.fixture(scope="module")
def catalog() -> polib.POFile:
    return polib.pofile(str(PO))


def entry_name(entry: polib.POEntry) -> str:
    return entry.msgid[:60]


def test_the_catalog_says_dutch_with_two_plural_forms(catalog):
    assert catalog.metadata["Language"] == "nl"
    assert catalog.metadata["Plural-Forms"] == "nplurals=2; plural=(n != 1);"
    assert not catalog.metadata_is_fuzzy


def test_no_entry_is_fuzzy_or_obsolete(catalog):
    assert [entry_name(e) for e in catalog.fuzzy_entries()] == []
    assert [entry_name(e) for e in catalog.obsolete_entries()] == []


def test_every_entry_is_translated_with_every_plural_form(catalog):
    empty = [
        entry_name(entry)
        for entry in catalog
        if (not entry.msgstr_plural and not entry.msgstr.strip())
        or (entry.msgid_plural and sorted(entry.msgstr_plural) != [0, 1])
        or any(not form.strip() for form in entry.msgstr_plural.values())
    ]
    assert empty == []


def test_no_entry_is_left_in_english(catalog):
    same = [
        entry_name(entry)
        for entry in catalog
        if entry.msgid not in SAME_IN_DUTCH
        and (
            entry.msgstr == entry.msgid
            or entry.msgstr_plural.get(0) == entry.msgid
            or entry.msgstr_plural.get(1) == entry.msgid_plural
        )
    ]
    assert same == []


def test_placeholders_and_markup_are_carried_over_exactly(catalog):
    wrong = []
    for entry in catalog:
        if entry.msgid_plural:
            pairs = [
                (entry.msgid, entry.msgstr_plural.get(0, "")),
                (entry.msgid_plural, entry.msgstr_plural.get(1, "")),
            ]
        else:
            pairs = [(entry.msgid, entry.msgstr)]
        wrong += [entry_name(entry) for source, dutch in pairs if carried(source) != carried(dutch)]
    assert wrong == []


def test_the_compiled_catalog_holds_exactly_what_the_po_says(catalog):
    # Compared by content, not by file times: a fresh clone gives both files the same age.
    compiled = polib.mofile(str(MO))

    def texts(entries):
        return {
            (e.msgctxt, e.msgid, e.msgid_plural): e.msgstr or tuple(sorted(e.msgstr_plural.items()))
            for e in entries
            if e.msgid  # the header
        }

    assert texts(compiled) == texts(catalog.translated_entries())


def test_every_marked_text_is_in_the_catalog(catalog, tmp_path, settings, monkeypatch):
    # makemessages over a copy of the project's source, into an empty locale folder: what
    # it finds today must be exactly what the catalog holds, no more and no fewer.
    for folder in sorted(Path(settings.BASE_DIR).iterdir()):
        scanned = folder.name not in _NOT_SCANNED and not folder.name.endswith(".egg-info")
        if folder.is_dir() and scanned and not folder.name.startswith("."):
            shutil.copytree(
                folder,
                tmp_path / folder.name,
                ignore=shutil.ignore_patterns("__pycache__", "*.pyc"),
            )
    (tmp_path / "locale").mkdir()
    settings.LOCALE_PATHS = [tmp_path / "locale"]
    monkeypatch.chdir(tmp_path)

    call_command("makemessages", locale=["nl"], no_obsolete=True, verbosity=0)

    def ids(entries):
        return {(e.msgctxt, e.msgid, e.msgid_plural) for e in entries if e.msgid}

    found = ids(polib.pofile(str(tmp_path / "locale" / "nl" / "LC_MESSAGES" / "django.po")))
    kept = ids(catalog)
    assert sorted(found - kept, key=str) == [], "marked but not in the catalog: makemessages"
    assert sorted(kept - found, key=str) == [], "in the catalog but no longer marked"


@pytest.mark.django_db
def test_a_dutch_request_has_its_field_errors_in_dutch(api):
    body = {
        "kind": "personal_guidance",
        "name": "Ada de Vries",
        "email": "not-an-address",
        "message": "Ik zoek begeleiding bij een burn-out.",
        "consent": True,
    }

    response = api.post("/api/v1/inquiries/", body, format="json", HTTP_ACCEPT_LANGUAGE="nl")

    assert response.status_code == HTTPStatus.BAD_REQUEST
    answer = response.json()
    assert answer["code"] == "invalid"
    assert answer["message"] == (
        "Een paar gegevens hebben nog even aandacht nodig. Kijk de velden hieronder nog eens na."
    )
    assert answer["fields"] == {
        "email": ["Dit lijkt nog niet op een e-mailadres. Wil je het even nakijken?"]
    }
    assert response["Content-Language"] == "nl"


@pytest.mark.django_db
def test_an_english_request_still_reads_english(api):
    response = api.post("/api/v1/inquiries/", {"email": "x"}, format="json")

    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert response.json()["fields"]["email"] == [
        "This doesn't look like an email address yet. Could you check it?"
    ]


@pytest.mark.django_db
def test_dutch_crisis_language_is_answered_with_dutch_support(api, settings):
    settings.PRACTICE_NOTIFY_EMAIL = "team@practice.test"
    body = {
        "kind": "personal_guidance",
        "name": "Ada de Vries",
        "email": "ada@example.org",
        "message": "Het werk is zwaar en eerlijk gezegd zie ik het niet meer zitten.",
        "consent": True,
    }

    response = api.post("/api/v1/inquiries/", body, format="json", HTTP_ACCEPT_LANGUAGE="nl")

    assert response.status_code == HTTPStatus.CREATED
    support = response.json()["support"]
    assert support["resources"] == settings.CRISIS_SUPPORT_TEXT_NL
    assert support["message"].startswith("Dank je wel dat je het ons vertelt.")
    assert Inquiry.objects.get().urgent is True


@pytest.mark.django_db
def test_a_refusal_by_a_rule_of_the_practice_is_in_dutch(api):
    body = {"session": 999999, "name": "Ada de Vries", "email": "ada@example.org", "consent": True}

    response = api.post("/api/v1/enrollments/", body, format="json", HTTP_ACCEPT_LANGUAGE="nl")

    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert response.json()["fields"] == {
        "session": ["We konden deze sessie niet vinden. Kies er alsjeblieft een uit ons aanbod."]
    }


def test_a_nul_refused_before_the_language_is_chosen_is_still_in_dutch(client):
    response = client.get("/api/v1/offerings/?q=%00", HTTP_ACCEPT_LANGUAGE="nl")

    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert response.json()["message"] == (
        "Een deel van dit verzoek bevat een teken dat we niet kunnen aannemen (NUL). "
        "Haal het alsjeblieft weg."
    )
