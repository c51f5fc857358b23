"""Deposit evidence pages: the panel on the case page, record, edit, verify and reject."""

from __future__ import annotations

import io
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
from caseapp.services.deposits import (
    RateConfirmation,
    record_deposit,
    reject_deposit,
    update_deposit,
    verify_deposit,
)
from tests.factories import add_reference_rate, open_case, upload_bank_statement

STATEMENT_DATE = clock.today() - timedelta(days=10)
RATE_DATE = STATEMENT_DATE - timedelta(days=2)
REFERENCE = f"Reference rate 7.8125 (HKMA, {RATE_DATE.isoformat()})"


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


@pytest.fixture(autouse=True)
def reference_rates(app):
    add_reference_rate("USD", "7.8125", RATE_DATE)


@pytest.fixture
def case(consultant):
    return open_case(consultant)


@pytest.fixture
def bank_statement(case, consultant):
    return upload_bank_statement(consultant, case, "hsbc-statement.pdf")


@pytest.fixture
def evidence(case, consultant, bank_statement):
    """Pending evidence the consultant recorded, linked to its uploaded statement."""
    return record_deposit(consultant, case, statement(document_id=bank_statement.id),
                          case.version)


# ---- recording -------------------------------------------------------------------------------

def test_the_new_form_offers_hkd_first_and_a_blank_rate(app, case, consultant_client):
    page = consultant_client.get(f"/cases/{case.reference}/deposits/new").get_data(as_text=True)
    options = re.findall(r'<option[^>]*value="([A-Z]{3})"', page)
    assert options[0] == "HKD" and "USD" in options and len(options) > 150
    rate = re.search(r'<input[^>]*name="rate_to_hkd"[^>]*>', page).group(0)
    assert 'value=""' in rate and 'type="text"' in rate  # commas survive the browser
    assert "Leave it blank to use the reference rate" in page
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
    ("amount", "lots", "Enter the amount as a number, such as 250000.00."),
    ("amount", "NaN", "Enter the amount as a number, such as 250000.00."),
    ("amount", "Infinity", "Enter the amount as a number, such as 250000.00."),
    ("amount", "1e5", "Write the amount in plain digits, such as 250000.00: an exponent "
                      "(like 1e5) is not accepted."),
    ("amount", "1,00,000.00", "Put thousands commas every three digits (1,250,000.00), or "
                              "leave them out."),
    ("amount", "", "Enter the balance shown on the statement."),
    ("amount", "1000000000000", "The amount cannot be more than 999,999,999,999.99."),
    ("amount", "999,999,999,999.99", "In HKD this is more than 999,999,999,999.99"),
    ("rate_to_hkd", "7.8e0", "Write the rate in plain digits, such as 7.8125"),
    ("currency", "XYZ", "&#39;XYZ&#39; is not a known ISO 4217 currency code."),
    ("currency", "XAU", "XAU is a precious metal, not a currency a bank account holds"),
    ("currency", "USN", "USN is a fund code"),
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
    assert f'value="{value}"' in page or field == "currency"  # kept to correct
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
        app, db, manager, case, evidence, manager_client):
    panel = _deposits_panel(_page(manager_client, case))
    verify_url = f"/cases/{case.reference}/deposits/{evidence.id}/verify"
    assert f'action="{verify_url}"' in panel and ">Verify</button>" in panel
    response = manager_client.post(verify_url, data={"version": str(case.version)})
    assert response.status_code == 302
    stored = _reload(db, evidence)
    assert stored.status is EvidenceStatus.VERIFIED and stored.verified_by_id == manager.id
    page = manager_client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Deposit evidence verified" in page
    panel = _deposits_panel(page)
    assert "Verified" in panel and "by Mona Manager" in panel
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
    document = upload_bank_statement(other_consultant, theirs)
    evidence = record_deposit(other_consultant, theirs, statement(document_id=document.id),
                              theirs.version)
    response = manager_client.post(f"/cases/{theirs.reference}/deposits/{evidence.id}/verify",
                                   data={"version": str(theirs.version)})
    assert response.status_code == 302
    assert _reload(db, evidence).verified_by_id == manager.id


def test_the_panels_buttons_carry_a_working_csrf_token(app, db, case, evidence,
                                                       manager_client):
    app.config["WTF_CSRF_ENABLED"] = True
    verify_url = f"/cases/{case.reference}/deposits/{evidence.id}/verify"
    assert manager_client.post(verify_url, data={"version": str(case.version)}
                               ).status_code == 400
    panel = _deposits_panel(_page(manager_client, case))
    verify_form = panel[panel.index(f'action="{verify_url}"'):]
    token = re.search(r'name="csrf_token" value="([^"]+)"', verify_form).group(1)
    version = re.search(r'name="version" value="(\d+)"', verify_form).group(1)
    response = manager_client.post(verify_url, data={"csrf_token": token, "version": version})
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
    """Three statements by ``recorder`` (a manager) with their uploaded statement: one
    pending at a rate the recorder confirmed and the rejecter edited since, one verified,
    one rejected."""
    document = upload_bank_statement(recorder, case)
    linked = statement(document_id=document.id)
    pending = record_deposit(recorder, case, {**linked, "rate_to_hkd": Decimal("7.00")},
                             case.version, RateConfirmation(True, "The bank's rate."))
    verified, rejected = [record_deposit(recorder, case, linked, case.version)
                          for _ in range(2)]
    update_deposit(rejecter, case, pending, {**linked, "rate_to_hkd": Decimal("7.00"),
                                             "bank": "Citibank"}, case.version)
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
    _add_reviewed_statements(case, manager, make_user(Role.MANAGER), make_user(Role.MANAGER))
    with_three = _statements_for_case_page(db, consultant_client, case, count_statements)
    case = db.session.get(Case, case.id)  # the session was replaced
    # Other people record and review these: many rows and many users, more than the history
    # panel lists (it loads the people it shows, which would hide a lazy load here).
    for _ in range(15):
        _add_reviewed_statements(case, *(make_user(Role.MANAGER) for _ in range(3)))
    assert _evidence_count(db) == 48
    assert _statements_for_case_page(db, consultant_client, case, count_statements) == with_three


def test_every_deposit_change_is_in_the_case_history(app, db, consultant, case, evidence,
                                                     consultant_client, manager_client):
    manager_client.post(f"/cases/{case.reference}/deposits/{evidence.id}/verify",
                        data={"version": str(case.version)})
    actions = [e.action for e in db.session.scalars(
        select(AuditEntry).where(AuditEntry.entity == f"deposit:{evidence.id}")
        .order_by(AuditEntry.id))]
    assert actions == ["created", "verified"]
    page = _page(consultant_client, case)
    assert f"verified deposit evidence #{evidence.id}" in page


# ---- four-eyes on the page ---------------------------------------------------------------------

def test_the_recorder_is_not_offered_verify_or_reject_and_is_told_why(
        app, db, case, evidence, consultant_client):
    panel = _deposits_panel(_page(consultant_client, case))
    assert "Recorded by you: another colleague verifies it." in panel
    assert ">Verify</button>" not in panel and ">Reject<" not in panel
    assert ">Edit<" in panel


@pytest.mark.parametrize("action", ["verify", "reject"])
def test_a_forged_review_by_the_recorder_is_refused(app, db, case, evidence, consultant_client,
                                                    action):
    url = f"/cases/{case.reference}/deposits/{evidence.id}/{action}"
    version = db.session.get(Case, case.id).version
    response = consultant_client.post(url, data={"version": str(version), "reason": "Blurred."},
                                      follow_redirects=True)
    page = response.get_data(as_text=True)
    verb = "verifies" if action == "verify" else "rejects"
    assert f"Recorded by you: another colleague {verb} it." in page
    assert _reload(db, evidence).status is EvidenceStatus.PENDING
    assert db.session.get(Case, case.id).version == version


def test_a_colleague_who_edited_the_figures_may_not_review_them(
        app, db, case, evidence, admin, manager, client_for):
    update_deposit(admin, case, evidence, statement(bank="Citibank"), case.version)
    panel = _deposits_panel(_page(client_for(manager), case))
    assert "last edited by Ada Admin" in panel and ">Verify</button>" in panel
    editor = client_for(admin)
    response = editor.post(f"/cases/{case.reference}/deposits/{evidence.id}/verify",
                           data={"version": str(db.session.get(Case, case.id).version)},
                           follow_redirects=True)
    assert "Not verified: Last edited by you: another colleague verifies it." in (
        response.get_data(as_text=True))
    assert _reload(db, evidence).status is EvidenceStatus.PENDING


def test_without_four_eyes_the_recorder_verifies(app, db, consultant, case, evidence,
                                                 consultant_client):
    app.config["DEPOSIT_FOUR_EYES"] = False
    panel = _deposits_panel(_page(consultant_client, case))
    assert ">Verify</button>" in panel and "another colleague" not in panel
    response = consultant_client.post(f"/cases/{case.reference}/deposits/{evidence.id}/verify",
                                      data={"version": str(case.version)})
    assert response.status_code == 302
    assert _reload(db, evidence).verified_by_id == consultant.id


# ---- the linked bank statement -----------------------------------------------------------------

def test_the_form_offers_the_cases_current_bank_statements_only(
        app, db, consultant, case, bank_statement, consultant_client):
    from caseapp.models import DocumentKind
    from caseapp.services.cases import VersionCheck
    from caseapp.services.documents import replace_document, upload_document
    from tests.factories import pdf_statement

    old = upload_bank_statement(consultant, case, "old-statement.pdf")
    replace_document(consultant, case, old, "march.pdf", io.BytesIO(pdf_statement("m")),
                     VersionCheck.SKIP)
    upload_document(consultant, case, DocumentKind.PASSPORT, "passport.pdf",
                    io.BytesIO(pdf_statement("p")), VersionCheck.SKIP)
    upload_bank_statement(consultant, open_case(consultant), "someone-elses.pdf")
    page = consultant_client.get(f"/cases/{case.reference}/deposits/new").get_data(as_text=True)
    select_html = page[page.index('name="document_id"'):]
    select_html = select_html[:select_html.index("</select>")]
    labels = re.findall(r"<option[^>]*>([^<]*)</option>", select_html)
    assert labels[0] == "— not linked yet —"
    assert [label.split(" · ")[0] for label in labels[1:]] == ["march.pdf",
                                                               "hsbc-statement.pdf"]


def test_recording_with_a_linked_statement_shows_a_download_link(
        app, db, case, bank_statement, consultant_client):
    response = consultant_client.post(f"/cases/{case.reference}/deposits/new", data=deposit_form(
        document_id=str(bank_statement.id), version=str(case.version)))
    assert response.status_code == 302
    stored = db.session.scalars(select(DepositEvidence)).one()
    assert stored.document_id == bank_statement.id
    panel = _deposits_panel(_page(consultant_client, case))
    download = f"/cases/{case.reference}/documents/{bank_statement.id}/download"
    assert f'href="{download}">hsbc-statement.pdf</a>' in panel
    assert consultant_client.get(download).status_code == 200


def test_a_forged_document_of_another_case_is_refused_beside_the_field(
        app, db, consultant, case, consultant_client):
    theirs = upload_bank_statement(consultant, open_case(consultant))
    response = consultant_client.post(f"/cases/{case.reference}/deposits/new", data=deposit_form(
        document_id=str(theirs.id), version=str(case.version)))
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Choose one of this case&#39;s uploaded bank statements." in page
    assert 'value="100000.00"' in page
    assert _evidence_count(db) == 0


def test_unlinked_evidence_says_what_to_do_and_can_be_linked_on_edit(
        app, db, consultant, manager, case, bank_statement, consultant_client, manager_client):
    unlinked = record_deposit(consultant, case, statement(), case.version)
    panel = _deposits_panel(_page(manager_client, case))
    assert "not linked" in panel
    assert "Link the bank statement this evidence comes from before verifying it." in panel
    assert ">Verify</button>" not in panel
    verify_url = f"/cases/{case.reference}/deposits/{unlinked.id}/verify"
    page = manager_client.post(verify_url, data={"version": str(case.version)},
                               follow_redirects=True).get_data(as_text=True)
    assert ("Not verified: Link the bank statement this evidence comes from before verifying "
            "it.") in page
    assert _reload(db, unlinked).status is EvidenceStatus.PENDING

    response = consultant_client.post(
        f"/cases/{case.reference}/deposits/{unlinked.id}/edit",
        data=deposit_form(document_id=str(bank_statement.id),
                          version=str(db.session.get(Case, case.id).version)))
    assert response.status_code == 302
    assert _reload(db, unlinked).document_id == bank_statement.id
    assert manager_client.post(verify_url, data={
        "version": str(db.session.get(Case, case.id).version)}).status_code == 302
    assert _reload(db, unlinked).status is EvidenceStatus.VERIFIED


# ---- the rate and the reference rate -----------------------------------------------------------

def test_a_blank_rate_takes_the_reference_rate(app, db, case, consultant_client):
    response = consultant_client.post(f"/cases/{case.reference}/deposits/new",
                                      data=deposit_form(rate_to_hkd=""))
    assert response.status_code == 302
    stored = db.session.scalars(select(DepositEvidence)).one()
    assert stored.rate_to_hkd == Decimal("7.8125") and stored.amount_hkd == Decimal("781250.00")


def test_a_rate_far_from_the_reference_is_refused_beside_the_field(app, db, case,
                                                                     consultant_client):
    response = consultant_client.post(f"/cases/{case.reference}/deposits/new",
                                      data=deposit_form(rate_to_hkd="7.00"))
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    rate_field = page[page.index('for="rate_to_hkd"'):page.index('name="document_id"')]
    assert (f"7.00 is 10.4% below the reference rate 7.8125 (HKMA, {RATE_DATE.isoformat()}); "
            "the most allowed is 2%. A manager can confirm a different rate with a reason."
            ) in rate_field
    assert 'value="7.00"' in rate_field  # kept
    assert REFERENCE in rate_field  # shown without JavaScript
    assert "Confirm this rate" not in page  # a consultant cannot
    assert _evidence_count(db) == 0


def test_a_rate_within_the_tolerance_is_recorded(app, db, case, consultant_client):
    response = consultant_client.post(f"/cases/{case.reference}/deposits/new",
                                      data=deposit_form(rate_to_hkd="7.70"))
    assert response.status_code == 302
    assert db.session.scalars(select(DepositEvidence)).one().rate_to_hkd == Decimal("7.70")


def test_a_consultant_forging_the_confirmation_is_refused(app, db, case, consultant_client):
    response = consultant_client.post(f"/cases/{case.reference}/deposits/new", data=deposit_form(
        rate_to_hkd="7.00", confirm_rate="y", confirm_reason="Trust me."))
    page = response.get_data(as_text=True)
    assert "Only a manager or an admin can confirm a rate away from the reference rate." in page
    assert "10.4% below the reference rate" in page
    assert _evidence_count(db) == 0


def test_a_manager_confirms_a_rate_with_a_reason_and_the_panel_shows_it(
        app, db, manager, case, bank_statement, manager_client):
    url = f"/cases/{case.reference}/deposits/new"
    form_page = manager_client.get(url).get_data(as_text=True)
    assert "Confirm this rate" in form_page and "more than 2% away" in form_page
    response = manager_client.post(url, data=deposit_form(
        rate_to_hkd="7.00", confirm_rate="y", confirm_reason=" "))
    page = response.get_data(as_text=True)
    assert "Say why this rate stands" in page and _evidence_count(db) == 0
    response = manager_client.post(url, data=deposit_form(
        rate_to_hkd="7.00", confirm_rate="y", confirm_reason="The bank's own rate.",
        document_id=str(bank_statement.id), version=str(case.version)))
    assert response.status_code == 302
    stored = db.session.scalars(select(DepositEvidence)).one()
    assert stored.rate_confirmed_by_id == manager.id
    assert stored.rate_confirmation_reason == "The bank's own rate."
    panel = _deposits_panel(_page(manager_client, case))
    assert "rate confirmed by Mona Manager" in panel and "The bank&#39;s own rate." in panel
    assert f"reference 7.8125 ({RATE_DATE.isoformat()})" in panel


def test_the_edit_form_shows_the_reference_rate(app, db, case, evidence, consultant_client):
    page = consultant_client.get(f"/cases/{case.reference}/deposits/{evidence.id}/edit"
                                 ).get_data(as_text=True)
    assert REFERENCE in page


def test_the_form_loads_its_script_from_the_app(app, case, consultant_client):
    page = consultant_client.get(f"/cases/{case.reference}/deposits/new").get_data(as_text=True)
    src = re.search(r'<script src="(/static/deposit-rate\.js\?v=[0-9a-f]{16})" defer></script>',
                    page)
    assert src is not None  # addressed by the file's digest (cache-busting)
    assert re.search(r"<script(?![^>]*\bsrc=)[^>]*>", page) is None  # no inline script
    assert 'data-reference-rate-url="/deposits/reference-rate"' in page
    script = consultant_client.get(src.group(1))
    assert script.status_code == 200
    assert 'getElementById("rate-reference")' in script.get_data(as_text=True)


# ---- the reference-rate look-up ----------------------------------------------------------------

def test_the_look_up_gives_the_rate_of_the_day_or_the_latest_before(app, consultant_client):
    answer = consultant_client.get(
        f"/deposits/reference-rate?currency=usd&date={STATEMENT_DATE.isoformat()}").get_json()
    assert answer == {"currency": "USD", "date": STATEMENT_DATE.isoformat(), "rate": "7.8125",
                      "rate_date": RATE_DATE.isoformat(), "source": "HKMA", "label": REFERENCE}


def test_the_look_up_says_when_there_is_no_rate_and_hkd_is_one(app, manager_client):
    day = STATEMENT_DATE.isoformat()
    none = manager_client.get(f"/deposits/reference-rate?currency=SGD&date={day}").get_json()
    assert none["rate"] is None
    assert none["label"] == f"No reference rate for SGD on or before {day}."
    hkd = manager_client.get(f"/deposits/reference-rate?currency=HKD&date={day}").get_json()
    assert hkd["rate"] == "1" and hkd["label"] == "HKD is always 1."
    early = (RATE_DATE - timedelta(days=1)).isoformat()
    assert manager_client.get(f"/deposits/reference-rate?currency=USD&date={early}"
                              ).get_json()["rate"] is None


@pytest.mark.parametrize("query", ["currency=XAU&date=2026-01-01", "currency=&date=2026-01-01",
                                   "currency=USD&date=20260101", "currency=USD&date=nope",
                                   "currency=USD", "currency=USD&date=2999-01-01"])
def test_the_look_up_refuses_bad_questions_plainly(app, consultant_client, query):
    response = consultant_client.get(f"/deposits/reference-rate?{query}")
    assert response.status_code == 400 and response.get_json()["error"]


def test_the_look_up_needs_signing_in(app):
    response = app.test_client().get("/deposits/reference-rate?currency=USD&date=2026-01-01")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


# ---- currencies --------------------------------------------------------------------------------

def test_metals_units_and_fund_codes_are_not_offered(app, case, consultant_client):
    page = consultant_client.get(f"/cases/{case.reference}/deposits/new").get_data(as_text=True)
    offered = set(re.findall(r'<option[^>]*value="([A-Z]{3})"', page))
    assert {"XAU", "XAG", "XDR", "XTS", "XXX", "BOV", "CLF", "USN"}.isdisjoint(offered)
    assert {"XAF", "XCD", "XOF", "XPF"} <= offered


# ---- versions on the deposit form ----------------------------------------------------------------

@pytest.mark.parametrize("version", [None, "", "abc", "1"])
def test_an_edit_without_its_current_version_changes_nothing(
        app, db, case, evidence, bank_statement, consultant_client, version):
    data = deposit_form(bank="Citibank", document_id=str(bank_statement.id))
    data.pop("version")
    if version is not None:
        data["version"] = version
    response = consultant_client.post(f"/cases/{case.reference}/deposits/{evidence.id}/edit",
                                      data=data)
    page = response.get_data(as_text=True)
    assert "while you were editing" in page
    assert 'value="Citibank"' in page  # kept to send again
    assert _reload(db, evidence).bank == "HSBC"
