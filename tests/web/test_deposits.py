"""Deposit evidence pages: the panel on the case page, record, edit, verify and reject."""

from __future__ import annotations

import re
from datetime import timedelta
from decimal import Decimal

import pytest
from flask import g
from sqlalchemy import func, select

from caseapp import clock
from caseapp.models import AuditEntry, Case, DepositEvidence, Role
from caseapp.rules.vocab import EvidenceStatus
from caseapp.rules.workflow import CaseStatus
from caseapp.services.deposits import record_deposit, reject_deposit, verify_deposit
from tests.factories import open_case

STATEMENT_DATE = clock.today() - timedelta(days=10)


def deposit_form(**overrides: str) -> dict[str, str]:
    """The deposit form as a browser posts it."""
    form = {
        "statement_date": STATEMENT_DATE.isoformat(),
        "bank": "HSBC",
        "account_holder": "Mei Ling Tan",
        "currency": "USD",
        "amount": "100000.00",
        "rate_to_hkd": "7.8125",
        "version": "1",
    }
    form.update(overrides)
    return form


def statement(**overrides):
    values = {
        "amount": Decimal("100000.00"), "currency": "USD", "rate_to_hkd": Decimal("7.8125"),
        "statement_date": STATEMENT_DATE, "bank": "HSBC", "account_holder": "Mei Ling Tan",
    }
    values.update(overrides)
    return values


def _evidence_count(db) -> int:
    return db.session.scalar(select(func.count()).select_from(DepositEvidence))


def _reload(db, evidence):
    db.session.expire_all()
    return db.session.get(DepositEvidence, evidence.id)


def _page(client, case) -> str:
    return client.get(f"/cases/{case.reference}").get_data(as_text=True)


def _deposits_panel(page: str) -> str:
    start = page.index('id="deposits"')
    return page[start:page.index("</section>", start)]


@pytest.fixture
def case(consultant):
    return open_case(consultant)


@pytest.fixture
def evidence(case, consultant):
    return record_deposit(consultant, case, statement(), case.version)


# ---- recording -------------------------------------------------------------------------------

def test_the_new_form_offers_hkd_first_at_a_rate_of_one(app, case, consultant_client):
    page = consultant_client.get(f"/cases/{case.reference}/deposits/new").get_data(as_text=True)
    options = re.findall(r'<option[^>]*value="([A-Z]{3})"', page)
    assert options[0] == "HKD" and "USD" in options and len(options) > 150
    rate = re.search(r'<input[^>]*name="rate_to_hkd"[^>]*>', page).group(0)
    assert 'value="1"' in rate and 'type="text"' in rate  # commas survive the browser
    assert 'name="version" type="hidden" value="1"' in page


def test_recording_through_the_form_shows_the_statement_on_the_case_page(
        app, db, consultant, case, consultant_client):
    response = consultant_client.post(f"/cases/{case.reference}/deposits/new",
                                      data=deposit_form(amount="100,000.00"))
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/cases/{case.reference}#deposits")
    stored = db.session.scalars(select(DepositEvidence)).one()
    assert stored.amount_hkd == Decimal("781250.00")
    assert stored.recorded_by_id == consultant.id
    page = consultant_client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Deposit evidence recorded" in page  # the flash
    panel = _deposits_panel(page)
    assert "USD 100,000.00" in panel and "HKD 781,250.00" in panel and "7.8125" in panel
    assert "Pending" in panel and "recorded by Connie Consultant" in panel


@pytest.mark.parametrize("field,value,message", [
    ("amount", "-5", "The amount must be more than zero."),
    ("amount", "0", "The amount must be more than zero."),
    ("amount", "100.123", "Enter the amount to at most 2 decimal places."),
    ("amount", "lots", "Enter a number, such as 250000.00."),
    ("amount", "NaN", "Enter a number, such as 250000.00."),
    ("amount", "", "Enter the balance shown on the statement."),
    ("amount", "99999999999999", "The amount cannot be more than 9,999,999,999,999.99."),
    ("currency", "XYZ", "&#39;XYZ&#39; is not a known ISO 4217 currency code."),
    ("statement_date", (clock.today() + timedelta(days=1)).isoformat(),
     "This date cannot be in the future."),
    ("statement_date", "2026-02-30", "Enter a real date as YYYY-MM-DD."),
    ("statement_date", "", "Enter the statement date."),
    ("rate_to_hkd", "0", "The rate must be more than zero."),
    ("rate_to_hkd", "7.123456789", "Enter the rate to at most 8 decimal places."),
    ("bank", "", "Enter the bank&#39;s name."),
    ("account_holder", "x" * 121, "Keep the account holder&#39;s name to 120 characters."),
])
def test_an_invalid_deposit_form_shows_the_error_and_saves_nothing(
        app, db, case, consultant_client, field, value, message):
    response = consultant_client.post(f"/cases/{case.reference}/deposits/new",
                                      data=deposit_form(**{field: value}))
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert message in page
    assert "Nothing was saved" in page
    assert _evidence_count(db) == 0
    assert db.session.get(Case, case.id).version == 1


def test_hkd_at_a_rate_other_than_one_is_refused(app, db, case, consultant_client):
    response = consultant_client.post(f"/cases/{case.reference}/deposits/new",
                                      data=deposit_form(currency="HKD", rate_to_hkd="7.8"))
    page = response.get_data(as_text=True)
    assert "An amount in HKD has a rate of exactly 1." in page
    assert 'value="7.8"' in page  # the user's input is kept to correct
    assert _evidence_count(db) == 0


def test_a_stale_form_conflicts_and_records_nothing(app, db, consultant, case,
                                                    consultant_client):
    record_deposit(consultant, case, statement(bank="Citibank"), case.version)  # now v2
    response = consultant_client.post(f"/cases/{case.reference}/deposits/new",
                                      data=deposit_form(version="1"))
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Connie Consultant changed this case" in page
    assert 'name="version" type="hidden" value="2"' in page  # saving again goes through
    assert _evidence_count(db) == 1


# ---- editing -------------------------------------------------------------------------------

def test_editing_verified_evidence_warns_then_sends_it_back_for_review(
        app, db, manager, case, evidence, consultant_client):
    verify_deposit(manager, case, evidence, case.version)
    url = f"/cases/{case.reference}/deposits/{evidence.id}/edit"
    form_page = consultant_client.get(url).get_data(as_text=True)
    assert "This evidence is verified" in form_page and "back to pending" in form_page
    assert 'value="100000.00"' in form_page and 'value="7.8125"' in form_page
    response = consultant_client.post(url, data=deposit_form(amount="90000.00",
                                                             version=str(case.version)))
    assert response.status_code == 302
    stored = _reload(db, evidence)
    assert stored.status is EvidenceStatus.PENDING and stored.verified_by_id is None
    assert stored.amount_hkd == Decimal("703125.00")
    page = consultant_client.get(response.headers["Location"]).get_data(as_text=True)
    assert "It was verified and is pending again" in page
    assert "HKD 703,125.00" in _deposits_panel(page)


def test_saving_the_edit_form_unchanged_keeps_the_verification(
        app, db, manager, case, evidence, consultant_client):
    verify_deposit(manager, case, evidence, case.version)
    response = consultant_client.post(f"/cases/{case.reference}/deposits/{evidence.id}/edit",
                                      data=deposit_form(version=str(case.version)))
    assert response.status_code == 302
    assert _reload(db, evidence).status is EvidenceStatus.VERIFIED
    assert "Nothing changed." in consultant_client.get(
        response.headers["Location"]).get_data(as_text=True)


# ---- verifying and rejecting -----------------------------------------------------------------

def test_the_verify_button_verifies_and_the_panel_says_by_whom(
        app, db, consultant, case, evidence, consultant_client):
    panel = _deposits_panel(_page(consultant_client, case))
    verify_url = f"/cases/{case.reference}/deposits/{evidence.id}/verify"
    assert f'action="{verify_url}"' in panel and ">Verify</button>" in panel
    response = consultant_client.post(verify_url, data={"version": str(case.version)})
    assert response.status_code == 302
    stored = _reload(db, evidence)
    assert stored.status is EvidenceStatus.VERIFIED and stored.verified_by_id == consultant.id
    page = consultant_client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Deposit evidence verified" in page
    panel = _deposits_panel(page)
    assert "Verified" in panel and "by Connie Consultant" in panel
    assert ">Verify</button>" not in panel  # nothing left to verify


def test_verifying_what_someone_just_verified_says_who_did(
        app, db, manager, case, evidence, consultant_client):
    stale = case.version
    verify_deposit(manager, case, evidence, stale)
    response = consultant_client.post(f"/cases/{case.reference}/deposits/{evidence.id}/verify",
                                      data={"version": str(stale)}, follow_redirects=True)
    page = response.get_data(as_text=True)
    assert "Not verified: This deposit evidence (HSBC, " in page
    assert "is already verified by Mona Manager." in page
    assert _reload(db, evidence).verified_by_id == manager.id


def test_rejecting_from_a_stale_page_conflicts_and_keeps_the_reason(
        app, db, consultant, manager, case, evidence, manager_client):
    stale = case.version
    record_deposit(consultant, case, statement(bank="Citibank"), stale)
    response = manager_client.post(f"/cases/{case.reference}/deposits/{evidence.id}/reject",
                                   data={"reason": "Blurred scan.", "version": str(stale)})
    page = response.get_data(as_text=True)
    assert "Connie Consultant changed this case" in page
    assert "Blurred scan." in page  # still in the box, to send again
    assert f'name="version" type="hidden" value="{stale + 1}"' in page
    assert _reload(db, evidence).status is EvidenceStatus.PENDING


def test_rejecting_asks_for_a_reason_and_shows_it_on_the_case_page(
        app, db, manager, case, evidence, manager_client):
    url = f"/cases/{case.reference}/deposits/{evidence.id}/reject"
    assert f'href="{url}"' in _deposits_panel(_page(manager_client, case))
    page = manager_client.get(url).get_data(as_text=True)
    assert "HSBC" in page and "USD 100,000.00" in page
    response = manager_client.post(url, data={"reason": "  ", "version": str(case.version)})
    assert response.status_code == 200
    assert "Say why the evidence is rejected." in response.get_data(as_text=True)
    assert _reload(db, evidence).status is EvidenceStatus.PENDING
    response = manager_client.post(url, data={"reason": "Only page 1 of 3 was provided.",
                                              "version": str(case.version)})
    assert response.status_code == 302
    stored = _reload(db, evidence)
    assert stored.status is EvidenceStatus.REJECTED and stored.rejected_by_id == manager.id
    panel = _deposits_panel(manager_client.get(response.headers["Location"]).get_data(
        as_text=True))
    assert "Rejected" in panel and "by Mona Manager" in panel
    assert "Only page 1 of 3 was provided." in panel
    assert f'href="{url}"' not in panel  # already rejected


def test_a_manager_can_verify_evidence_on_any_case(app, db, manager, other_consultant,
                                                   manager_client):
    theirs = open_case(other_consultant)
    evidence = record_deposit(other_consultant, theirs, statement(), theirs.version)
    response = manager_client.post(f"/cases/{theirs.reference}/deposits/{evidence.id}/verify",
                                   data={"version": str(theirs.version)})
    assert response.status_code == 302
    assert _reload(db, evidence).verified_by_id == manager.id


def test_the_panels_buttons_carry_a_working_csrf_token(app, db, case, evidence,
                                                       consultant_client):
    app.config["WTF_CSRF_ENABLED"] = True
    verify_url = f"/cases/{case.reference}/deposits/{evidence.id}/verify"
    assert consultant_client.post(verify_url, data={"version": str(case.version)}
                                  ).status_code == 400
    panel = _deposits_panel(_page(consultant_client, case))
    verify_form = panel[panel.index(f'action="{verify_url}"'):]
    token = re.search(r'name="csrf_token" value="([^"]+)"', verify_form).group(1)
    version = re.search(r'name="version" value="(\d+)"', verify_form).group(1)
    response = consultant_client.post(verify_url, data={"csrf_token": token, "version": version})
    assert response.status_code == 302
    assert _reload(db, evidence).status is EvidenceStatus.VERIFIED


# ---- who may see what ------------------------------------------------------------------------

ROUTES = [("get", "/new"), ("post", "/new"), ("get", "/{id}/edit"), ("post", "/{id}/edit"),
          ("post", "/{id}/verify"), ("get", "/{id}/reject"), ("post", "/{id}/reject")]
POSTED = {**deposit_form(bank="Changed", version="2"), "reason": "Blurred."}


@pytest.mark.parametrize("method,path", ROUTES)
def test_another_consultants_case_is_not_found_on_every_deposit_route(
        app, db, consultant, other_consultant, client_for, method, path):
    theirs = open_case(other_consultant)
    evidence = record_deposit(other_consultant, theirs, statement(), theirs.version)
    url = f"/cases/{theirs.reference}/deposits" + path.format(id=evidence.id)
    response = getattr(client_for(consultant), method)(url, data=POSTED)
    assert response.status_code == 404
    stored = _reload(db, evidence)
    assert (stored.bank, stored.status) == ("HSBC", EvidenceStatus.PENDING)
    assert _evidence_count(db) == 1
    assert db.session.get(Case, theirs.id).version == 2


@pytest.mark.parametrize("method,path", [r for r in ROUTES if "{id}" in r[1]])
def test_evidence_of_another_case_is_not_found_through_my_case(
        app, db, consultant, consultant_client, method, path):
    mine, other = open_case(consultant), open_case(consultant)
    evidence = record_deposit(consultant, other, statement(), other.version)
    url = f"/cases/{mine.reference}/deposits" + path.format(id=evidence.id)
    response = getattr(consultant_client, method)(url, data=POSTED)
    assert response.status_code == 404
    assert _reload(db, evidence).status is EvidenceStatus.PENDING


@pytest.mark.parametrize("method,path", ROUTES)
def test_signing_in_is_required(app, db, case, evidence, method, path):
    url = f"/cases/{case.reference}/deposits" + path.format(id=evidence.id)
    response = getattr(app.test_client(), method)(url, data=POSTED)
    assert response.status_code == 302 and "/login" in response.headers["Location"]
    assert _reload(db, evidence).status is EvidenceStatus.PENDING


@pytest.mark.parametrize("method,path", ROUTES)
def test_a_closed_case_refuses_every_deposit_change(app, db, case, evidence,
                                                    consultant_client, method, path):
    case.status = CaseStatus.WITHDRAWN
    db.session.commit()
    url = f"/cases/{case.reference}/deposits" + path.format(id=evidence.id)
    posted = {**POSTED, "version": str(case.version)}
    response = getattr(consultant_client, method)(url, data=posted, follow_redirects=True)
    page = response.get_data(as_text=True)
    assert "withdrawn and can no longer be changed" in page
    stored = _reload(db, evidence)
    assert (stored.bank, stored.status) == ("HSBC", EvidenceStatus.PENDING)
    assert _evidence_count(db) == 1


def test_a_closed_case_shows_its_evidence_without_actions(app, db, case, evidence,
                                                          consultant_client):
    case.status = CaseStatus.WITHDRAWN
    db.session.commit()
    panel = _deposits_panel(_page(consultant_client, case))
    assert "USD 100,000.00" in panel
    for action in ("Record deposit evidence", ">Edit<", ">Verify<", ">Reject<"):
        assert action not in panel


# ---- the case page stays cheap ---------------------------------------------------------------

def _add_reviewed_statements(case, recorder, verifier, rejecter):
    """Three statements by ``recorder``: one left pending, one verified, one rejected."""
    _, verified, rejected = [record_deposit(recorder, case, statement(), case.version)
                             for _ in range(3)]
    verify_deposit(verifier, case, verified, case.version)
    reject_deposit(rejecter, case, rejected, "Blurred.", case.version)


def _statements_for_case_page(db, client, case, count_statements) -> int:
    # A fresh session and a signed-in user loaded anew, as every real request gets (the
    # tests share one app context, where Flask-Login keeps the user it loaded).
    db.session.remove()
    g.pop("_login_user", None)
    count_statements.reset()
    assert client.get(f"/cases/{case.reference}").status_code == 200
    return count_statements.count


def test_the_case_page_statement_count_does_not_grow_with_the_evidence(
        app, db, consultant, manager, make_user, case, consultant_client, count_statements):
    _add_reviewed_statements(case, consultant, manager, manager)
    with_three = _statements_for_case_page(db, consultant_client, case, count_statements)
    case = db.session.get(Case, case.id)  # the session was replaced
    # Other people record and review these: many rows and many users, more than the history
    # panel lists (it loads the people it shows, which would hide a lazy load here).
    for _ in range(15):
        _add_reviewed_statements(case, *(make_user(Role.MANAGER) for _ in range(3)))
    assert _evidence_count(db) == 48
    assert _statements_for_case_page(db, consultant_client, case, count_statements) == with_three


def test_every_deposit_change_is_in_the_case_history(app, db, consultant, case, evidence,
                                                     consultant_client):
    consultant_client.post(f"/cases/{case.reference}/deposits/{evidence.id}/verify",
                           data={"version": str(case.version)})
    actions = [e.action for e in db.session.scalars(
        select(AuditEntry).where(AuditEntry.entity == f"deposit:{evidence.id}")
        .order_by(AuditEntry.id))]
    assert actions == ["created", "verified"]
    page = _page(consultant_client, case)
    assert f"verified deposit evidence #{evidence.id}" in page
