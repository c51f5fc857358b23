"""Hostile or odd input gets a clear refusal, never a 500, and changes nothing."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from caseapp.models import Case
from tests.factories import applicant_form, open_case


def _cases(db):
    return db.session.scalar(select(func.count(Case.id)))


@pytest.mark.parametrize("path", ["/cases/QM%00", "/cases/QM-2026%1b", "/cases/QM%E2%80%AE1"])
def test_control_characters_in_the_path_are_refused(app, consultant_client, path):
    response = consultant_client.get(path)
    assert response.status_code == 400
    assert b"not allowed" in response.data


@pytest.mark.parametrize("query", ["q=%00", "q=a%1bb", "q=ab%E2%80%AEc"])
def test_control_characters_in_the_search_are_a_message_beside_it(app, consultant_client,
                                                                   query):
    response = consultant_client.get(f"/?{query}")
    assert response.status_code == 200
    assert 'id="q-error"' in response.get_data(as_text=True)


def test_control_characters_in_a_form_are_a_message_and_nothing_is_saved(app, db,
                                                                         consultant_client):
    response = consultant_client.post("/cases/new", data=applicant_form(family_name="Ta\x00n"))
    assert response.status_code == 200
    assert "text-direction characters" in response.get_data(as_text=True)
    assert _cases(db) == 0


def test_a_nul_byte_in_the_login_form_signs_nobody_in(app, make_user):
    make_user(email="a@x.test", password="correct-horse")
    client = app.test_client()
    response = client.post("/login", data={"email": "a\x00@x.test", "password": "correct-horse"})
    assert response.status_code == 200
    assert "text-direction characters" in response.get_data(as_text=True)
    assert client.get("/").status_code == 302  # still signed out


def test_newlines_in_a_text_area_are_fine(app, db, consultant, consultant_client):
    case = open_case(consultant)
    response = consultant_client.post(
        f"/cases/{case.reference}/applicant",
        data=applicant_form(achievement_claim="yes", version="1",
                            achievement_description="Olympic medal\r\nTokyo 2020"))
    assert response.status_code == 302


@pytest.mark.parametrize("path", [
    "/cases/{ref}/checks/99999999999999999999",
    "/cases/{ref}/deposits/9223372036854775808/edit",
    "/cases/{ref}/documents/18446744073709551616/download",
    "/cases/{ref}/dependants/2147483648",
    "/cases/{ref}/dependants/0",
])
def test_ids_beyond_the_database_integer_are_not_found(app, consultant, consultant_client, path):
    case = open_case(consultant)
    assert consultant_client.get(path.format(ref=case.reference)).status_code == 404


@pytest.mark.parametrize("page", ["99999999999999999999", "-1", "0", "abc"])
def test_any_page_number_shows_a_page(app, consultant, consultant_client, page):
    case = open_case(consultant)
    response = consultant_client.get(f"/?page={page}")
    assert response.status_code == 200
    assert case.reference in response.get_data(as_text=True)


def test_passport_numbers_are_checked_as_they_are_stored(app, db, consultant_client):
    response = consultant_client.post("/cases/new",
                                      data=applicant_form(passport_number="ß" * 20))
    assert response.status_code == 200
    assert "letters A-Z and digits 0-9" in response.get_data(as_text=True)
    assert _cases(db) == 0
    full_width = consultant_client.post("/cases/new",
                                        data=applicant_form(passport_number="\uff21\uff11\uff12"))
    assert "letters A-Z and digits 0-9" in full_width.get_data(as_text=True)
    ok = consultant_client.post("/cases/new", data=applicant_form(passport_number="e 1234 567"))
    assert ok.status_code == 302
    assert db.session.scalars(select(Case)).one().applicant.passport_number == "E1234567"


@pytest.mark.parametrize("target", ["/%09/evil.example", "/\\evil.example", "//evil.example",
                                    "https://evil.example/", "javascript:alert(1)"])
def test_sign_in_never_redirects_off_the_site(app, make_user, target):
    make_user(email="conn@example.test", password="correct-horse")
    client = app.test_client()
    response = client.post("/login", data={"email": "conn@example.test",
                                           "password": "correct-horse"},
                           query_string={"next": target.replace("%09", "\t")})
    assert response.headers["Location"] == "/"


def test_next_keeps_a_path_on_the_site(app, make_user):
    make_user(email="conn@example.test", password="correct-horse")
    response = app.test_client().post(
        "/login?next=/cases/QM-2026-000001", data={"email": "conn@example.test",
                                                   "password": "correct-horse"})
    assert response.headers["Location"] == "/cases/QM-2026-000001"


def test_pages_with_client_data_are_not_cached_or_framed(app, consultant, consultant_client):
    case = open_case(consultant)
    response = consultant_client.get(f"/cases/{case.reference}")
    assert response.headers["Cache-Control"] == "private, no-store"
    assert response.headers["X-Frame-Options"] == "DENY"
    assert "frame-ancestors 'none'" in response.headers["Content-Security-Policy"]


def test_database_errors_do_not_carry_client_data(app):
    assert app.config["SQLALCHEMY_ENGINE_OPTIONS"]["hide_parameters"] is True
    from caseapp.extensions import db
    assert db.engine.hide_parameters is True
