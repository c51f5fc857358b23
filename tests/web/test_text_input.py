"""Control and text-direction characters, phone numbers, counts and people's dates: every
refusal is a message beside its field with the rest of the input kept, never a bare 400 page
or a 500, and nothing is saved."""

from __future__ import annotations

import base64
import html
import json
import re
from datetime import timedelta
from html.parser import HTMLParser
from typing import Any

import pytest
from flask_wtf import FlaskForm
from sqlalchemy import func, select

from caseapp import clock
from caseapp.models import Case, Dependant
from caseapp.services import cases as case_service
from caseapp.services import views as view_service
from caseapp.services.checks import run_checks
from caseapp.web.textcheck import SafeTextForm
from tests.conftest import login_client
from tests.factories import applicant_form, dependant_form, dependant_values, open_case

NUL = "\x00"
RLO = "\u202e"  # RIGHT-TO-LEFT OVERRIDE: "Tan\u202eabc" shows as "Tancba"
TAKEN_OUT = "text-direction characters"


def _page(response: Any) -> str:
    return response.get_data(as_text=True)


def _field_errors(page: str, field_id: str) -> list[str]:
    """The messages the field macro renders beside ``field_id``."""
    return [html.unescape(m) for m in
            re.findall(rf'<p class="error" id="{field_id}-error">([^<]*)</p>', page)]


def _value_of(page: str, name: str) -> str | None:
    match = re.search(rf'<input[^>]*name="{name}"[^>]*value="([^"]*)"', page)
    if match is None:
        match = re.search(rf'<input[^>]*value="([^"]*)"[^>]*name="{name}"', page)
    return match.group(1) if match else None


def _cases(db) -> int:
    return db.session.scalar(select(func.count(Case.id)))


# ---- every form derives from the shared base ---------------------------------------------------

def _subclasses(cls: type) -> set[type]:
    found = set()
    for sub in cls.__subclasses__():
        found |= {sub, *_subclasses(sub)}
    return found


def test_every_form_in_the_app_checks_its_text(app):
    forms = {f for f in _subclasses(FlaskForm)
             if f.__module__.startswith("caseapp.") and f is not SafeTextForm}
    assert forms, "the app's forms were not imported"
    unchecked = sorted(f"{f.__module__}.{f.__name__}" for f in forms
                       if not issubclass(f, SafeTextForm))
    assert unchecked == [], "derive these from caseapp.web.textcheck.SafeTextForm"


# ---- the applicant form ------------------------------------------------------------------------

@pytest.mark.parametrize("bad", [NUL, RLO, "\x1b", "\x85", "\u2066", "\u200f", "\t"])
def test_a_new_case_with_an_invisible_character_in_a_name_keeps_the_rest(app, db,
                                                                         consultant_client,
                                                                         bad):
    response = consultant_client.post("/cases/new", data=applicant_form(
        family_name=f"Ta{bad}n", given_name="Mei Ling", email="meiling@example.com"))
    page = _page(response)
    assert response.status_code == 200
    assert TAKEN_OUT in _field_errors(page, "family_name")[0]
    assert _field_errors(page, "given_name") == []
    # The field comes back without the invisible character, everything else as typed.
    assert _value_of(page, "family_name") == "Tan"
    assert _value_of(page, "given_name") == "Mei Ling"
    assert _value_of(page, "email") == "meiling@example.com"
    assert _cases(db) == 0


def test_line_breaks_and_tabs_are_fine_in_the_achievement_but_not_a_direction_override(
        app, db, consultant, consultant_client):
    case = open_case(consultant)
    url = f"/cases/{case.reference}/applicant"
    refused = consultant_client.post(url, data=applicant_form(
        version="1", achievement_claim="yes",
        achievement_description=f"Olympic medal\r\n\tTokyo {RLO}2020"))
    page = _page(refused)
    assert TAKEN_OUT in _field_errors(page, "achievement_description")[0]
    assert "Olympic medal\r\n\tTokyo 2020" in page  # the text area keeps the rest
    db.session.expire_all()
    assert case.version == 1 and case.applicant.achievement_description == ""
    saved = consultant_client.post(url, data=applicant_form(
        version="1", achievement_claim="yes",
        achievement_description="Olympic medal\r\n\tTokyo 2020"))
    assert saved.status_code == 302


def test_an_edit_with_a_nul_in_the_passport_number_saves_nothing(app, db, consultant,
                                                                 consultant_client):
    case = open_case(consultant)
    response = consultant_client.post(f"/cases/{case.reference}/applicant", data=applicant_form(
        version="1", passport_number=f"K{NUL}1234567", family_name="Lim"))
    page = _page(response)
    assert TAKEN_OUT in _field_errors(page, "passport_number")[0]
    assert _value_of(page, "family_name") == "Lim"
    db.session.expire_all()
    assert case.version == 1
    assert (case.applicant.family_name, case.applicant.passport_number) == ("Tan", "A12345678")


# ---- phone numbers -----------------------------------------------------------------------------

@pytest.mark.parametrize(("typed", "stored"), [
    ("2123 4567", "+85221234567"),          # no country code: a Hong Kong number
    ("+852 5123 4567", "+85251234567"),
    ("+60 12-345 6789", "+60123456789"),
    ("(+44) 20 7946 0018", "+442079460018"),
])
def test_phone_numbers_are_stored_in_e164(app, db, consultant, consultant_client, typed,
                                          stored):
    response = consultant_client.post("/cases/new", data=applicant_form(phone=typed))
    assert response.status_code == 302
    assert db.session.scalars(select(Case)).one().applicant.phone == stored


@pytest.mark.parametrize("typed", ["call me maybe", "12", "+852 1234 5678", "+999 1234"])
def test_an_unreadable_phone_number_says_how_to_type_one(app, db, consultant_client, typed):
    response = consultant_client.post("/cases/new", data=applicant_form(phone=typed,
                                                                        family_name="Lim"))
    page = _page(response)
    assert _field_errors(page, "phone") == [
        "Enter a phone number with its country code, such as +852 2123 4567."]
    assert _value_of(page, "phone") == typed  # as typed, to correct
    assert _value_of(page, "family_name") == "Lim"
    assert _cases(db) == 0


def test_the_form_shows_a_stored_number_in_international_format(app, consultant,
                                                                consultant_client):
    case = open_case(consultant, phone="+852 2123 4567")
    page = _page(consultant_client.get(f"/cases/{case.reference}/applicant"))
    assert _value_of(page, "phone") == "+852 2123 4567"


def test_the_phone_filter_formats_e164_and_shows_older_values_as_they_are(app):
    phone = app.jinja_env.filters["phone"]
    assert phone("+85221234567") == "+852 2123 4567"
    assert phone("+60123456789") == "+60 12-345 6789"
    assert phone("call the office") == "call the office"
    assert phone("999") == "999"
    assert phone("") == "—"


# ---- counts ------------------------------------------------------------------------------------

@pytest.mark.parametrize(("field", "typed", "message"), [
    ("doctorate_count", "-1", "The number of doctorates cannot be negative."),
    ("master_count", "-2", "The number of master's degrees cannot be negative."),
    ("bachelor_count", "-1", "The number of bachelor's degrees cannot be negative."),
    ("graduate_work_years", "-5", "The years of graduate or specialist work cannot be negative."),
    ("senior_work_years", "-1", "The years in a senior role cannot be negative."),
    ("doctorate_count", "two", "Enter a whole number, such as 3."),
    ("graduate_work_years", "3.5", "Enter a whole number, such as 3."),
    ("bachelor_count", "\uff11", "Enter a whole number, such as 3."),  # a full-width 1
    ("bachelor_count", "11", "Enter a whole number from 0 to 10."),
])
def test_counts_say_what_is_wrong_with_them(app, db, consultant_client, field, typed, message):
    response = consultant_client.post("/cases/new", data=applicant_form(
        **{field: typed}, family_name="Lim"))
    page = _page(response)
    assert message in _field_errors(page, field)
    assert _value_of(page, field) == typed
    assert _value_of(page, "family_name") == "Lim"
    assert _cases(db) == 0


# ---- people's dates ----------------------------------------------------------------------------

def test_a_passport_that_has_expired_is_refused_beside_its_field(app, db, consultant_client):
    yesterday = clock.today() - timedelta(days=1)
    response = consultant_client.post("/cases/new", data=applicant_form(
        passport_expiry=yesterday.isoformat(), family_name="Lim"))
    page = _page(response)
    assert f"This passport expired on {yesterday.isoformat()}" in _field_errors(
        page, "passport_expiry")[0]
    assert _value_of(page, "family_name") == "Lim"
    assert _cases(db) == 0
    today = consultant_client.post("/cases/new", data=applicant_form(
        passport_expiry=clock.today().isoformat()))
    assert today.status_code == 302  # valid through today


def test_a_child_born_before_the_applicant_is_refused_naming_the_applicants_birthday(
        app, db, consultant, consultant_client):
    case = open_case(consultant)  # the applicant was born on 1990-05-17
    response = consultant_client.post(
        f"/cases/{case.reference}/dependants/new",
        data=dependant_form(date_of_birth="1990-05-17", given_name="Ethan", version="1"))
    page = _page(response)
    assert "1990-05-17" in _field_errors(page, "date_of_birth")[0]
    assert _value_of(page, "given_name") == "Ethan"
    assert db.session.scalar(select(func.count(Dependant.id))) == 0
    db.session.expire_all()
    assert case.version == 1
    spouse = consultant_client.post(
        f"/cases/{case.reference}/dependants/new",
        data=dependant_form(relation="spouse", date_of_birth="1988-01-01", version="1"))
    assert spouse.status_code == 302  # an older spouse is fine


def test_moving_the_applicants_birthday_past_a_child_names_the_child(app, db, consultant,
                                                                    consultant_client):
    case = open_case(consultant)
    case_service.add_dependant(consultant, case, dependant_values(), case.version)
    response = consultant_client.post(f"/cases/{case.reference}/applicant", data=applicant_form(
        date_of_birth="2016-01-01", version=str(case.version), family_name="Lim"))
    page = _page(response)
    message = _field_errors(page, "date_of_birth")[0]
    assert "Ethan Tan" in message and "2015-03-02" in message
    assert _value_of(page, "family_name") == "Lim"
    db.session.expire_all()
    assert str(case.applicant.date_of_birth) == "1990-05-17"


def test_a_dependant_born_tomorrow_is_refused_and_their_name_kept(app, db, consultant,
                                                                 consultant_client):
    case = open_case(consultant)
    tomorrow = clock.today() + timedelta(days=1)
    response = consultant_client.post(
        f"/cases/{case.reference}/dependants/new",
        data=dependant_form(date_of_birth=tomorrow.isoformat(), given_name="Ava", version="1"))
    page = _page(response)
    assert _field_errors(page, "date_of_birth") == ["This date cannot be in the future."]
    assert _value_of(page, "given_name") == "Ava"
    assert db.session.scalar(select(func.count(Dependant.id))) == 0


# ---- the dependant form ------------------------------------------------------------------------

@pytest.mark.parametrize("bad", [NUL, RLO])
def test_an_invisible_character_in_a_dependants_name_keeps_the_rest(app, db, consultant,
                                                                    consultant_client, bad):
    case = open_case(consultant)
    dependant = case_service.add_dependant(consultant, case, dependant_values(), case.version)
    response = consultant_client.post(
        f"/cases/{case.reference}/dependants/{dependant.id}",
        data=dependant_form(given_name=f"Eth{bad}an", family_name="Lim",
                            date_of_birth="2016-04-04", version=str(case.version)))
    page = _page(response)
    assert response.status_code == 200
    assert TAKEN_OUT in _field_errors(page, "given_name")[0]
    assert _value_of(page, "given_name") == "Ethan"
    assert _value_of(page, "family_name") == "Lim"
    assert _value_of(page, "date_of_birth") == "2016-04-04"
    db.session.expire_all()
    assert (dependant.given_name, dependant.family_name) == ("Ethan", "Tan")


# ---- the case list -----------------------------------------------------------------------------

@pytest.mark.parametrize("bad", [NUL, RLO])
def test_a_search_with_an_invisible_character_is_reported_beside_the_box(
        app, consultant, consultant_client, bad):
    case = open_case(consultant)
    response = consultant_client.get("/", query_string={"q": f"Ta{bad}n", "status": "intake"})
    page = _page(response)
    assert response.status_code == 200
    assert TAKEN_OUT in _field_errors(page, "q")[0]
    assert 'id="q" name="q" value="Tan"' in page  # kept, without the character
    assert case.reference in page  # the rest of the filter still applies


@pytest.mark.parametrize("name", ["nationality", "stale", "opened_from", "status", "consultant"])
def test_any_filter_with_an_invisible_character_is_reported_not_applied(
        app, consultant, manager_client, name):
    case = open_case(consultant)
    response = manager_client.get("/", query_string={name: f"1{RLO}"})
    assert response.status_code == 200
    page = _page(response)
    assert any(TAKEN_OUT in m for m in re.findall(
        rf'<p class="error" id="{name}-error">([^<]*)</p>', page))
    assert case.reference in page


@pytest.mark.parametrize("bad", [NUL, RLO])
@pytest.mark.parametrize("name", ["page", "after", "before", "sort", "last", "kind", "next",
                                  "person", "attention"])
def test_other_query_arguments_with_invisible_characters_are_ignored(
        app, consultant, consultant_client, name, bad):
    case = open_case(consultant)
    for path in ("/", f"/cases/{case.reference}", f"/cases/{case.reference}/history",
                 f"/cases/{case.reference}/documents/upload"):
        response = consultant_client.get(path, query_string={name: f"x{bad}y"})
        assert response.status_code == 200, path


@pytest.mark.parametrize("sort", ["reference", "name", "consultant", "verdict", "-status"])
def test_a_forged_cursor_with_a_nul_shows_the_first_page(app, consultant, consultant_client,
                                                         sort):
    case = open_case(consultant)
    width = {"name": 3, "consultant": 3}.get(sort, 2)
    values = [f"a{NUL}b"] * (width - 1) + [1]
    token = base64.urlsafe_b64encode(json.dumps(values).encode()).decode().rstrip("=")
    for name in ("after", "before"):
        response = consultant_client.get("/", query_string={"sort": sort, name: token})
        assert response.status_code == 200
        assert case.reference in _page(response)


# ---- every route -------------------------------------------------------------------------------

class _Forms(HTMLParser):
    """The names and first values of the fields of every form on a page."""

    def __init__(self) -> None:
        super().__init__()
        self.fields: dict[str, str] = {}
        self._select: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        name = a.get("name")
        if tag in ("input", "textarea") and name and a.get("type") != "file":
            self.fields.setdefault(name, a.get("value") or "")
        elif tag == "select" and name:
            self._select = name
            self.fields.setdefault(name, "")
        elif tag == "option" and self._select and not self.fields[self._select]:
            self.fields[self._select] = a.get("value") or ""

    def handle_endtag(self, tag: str) -> None:
        if tag == "select":
            self._select = None


def _fields_on(page: str) -> dict[str, str]:
    parser = _Forms()
    parser.feed(page)
    return parser.fields


# Query arguments the routes read besides the fields of their forms.
QUERY_ARGS = ("page", "after", "before", "sort", "last", "kind", "person", "next", "q",
              "status", "entered", "consultant", "verdict", "nationality", "family", "waiting",
              "stale", "attention", "opened_from", "opened_to", "updated_from", "updated_to",
              "planned_from", "planned_to", "entered_from", "entered_to", "version")


@pytest.fixture
def a_full_case(db, consultant, manager):
    """A case with a dependant, a check run and a saved view: ids for the routes' arguments."""
    case = open_case(consultant)
    dependant = case_service.add_dependant(consultant, case, dependant_values(), case.version)
    run = run_checks(consultant, case)
    view = view_service.save_view(consultant, "Mine", "status=intake")
    return {"reference": case.reference, "dependant_id": dependant.id, "run_id": run.id,
            "view_id": view.id}


def _url(rule: Any, ids: dict[str, Any]) -> str:
    path = rule.rule
    for name in rule.arguments:
        path = re.sub(rf"<(?:[a-z]+:)?{name}>", str(ids.get(name, 1)), path)
    return path


@pytest.mark.parametrize("bad", [NUL, RLO])
def test_no_route_fails_on_invisible_characters_in_any_argument_or_field(
        app, db, consultant, manager, a_full_case, bad):
    users = {"consultant": consultant, "manager": manager}
    failures = []
    rules = [r for r in app.url_map.iter_rules()
             if r.endpoint not in ("static", "auth.logout")]
    for rule in sorted(rules, key=lambda r: r.rule):
        url = _url(rule, a_full_case)
        for who in ("consultant", "manager"):
            client = login_client(app, users[who])
            fields: dict[str, str] = {}
            if "GET" in rule.methods:
                shown = client.get(url)
                is_page = shown.status_code == 200 and shown.mimetype == "text/html"
                fields = _fields_on(_page(shown)) if is_page else {}
                query = {name: f"a{bad}b" for name in (*QUERY_ARGS, *fields)}
                if client.get(url, query_string=query).status_code >= 500:
                    failures.append(f"GET {url} as {who}")
            if "POST" in rule.methods:
                for name in dict.fromkeys([*fields, "version"]):
                    data = {**fields, name: f"{fields.get(name, '')}{bad}x"}
                    status = login_client(app, users[who]).post(url, data=data).status_code
                    if status >= 500:
                        failures.append(f"POST {url} as {who} with {name!r}")
            db.session.rollback()
    assert failures == []


def test_a_user_with_a_control_character_in_the_login_next_lands_on_the_list(app, make_user):
    make_user(email="conn@example.test", password="correct-horse")
    response = app.test_client().post(
        "/login", query_string={"next": f"/cases{NUL}"},
        data={"email": "conn@example.test", "password": "correct-horse"})
    assert response.status_code == 302
    assert response.headers["Location"] == "/"


def test_managers_reassign_reason_with_a_nul_is_refused_without_a_500(app, db, consultant,
                                                                      other_consultant,
                                                                      manager_client):
    case = open_case(consultant)
    response = manager_client.post("/manage/reassign", data={
        "case_id": str(case.id), "consultant": str(other_consultant.id),
        "reason": f"Leave{NUL}", "next": "/"})
    assert response.status_code == 200
    assert TAKEN_OUT in _page(response)
    db.session.expire_all()
    assert db.session.get(Case, case.id).consultant_id == consultant.id

