"""Deposit evidence over the API: record, correct, verify, reject; money as decimal strings."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from typing import Any

from caseapp import clock
from caseapp.extensions import db
from caseapp.models import AuditEntry, Case, DepositEvidence, User
from caseapp.rules.vocab import EvidenceStatus
from caseapp.services.cases import VersionCheck
from caseapp.services.deposits import record_deposit
from tests.api.conftest import ApiClient
from tests.factories import (
    add_reference_rate,
    hkd_statement,
    open_case,
    record_linked_deposit,
    upload_bank_statement,
    verified_deposit,
)


def deposits_path(case: Case) -> str:
    return f"/api/v1/cases/{case.reference}/deposits"


def statement(**overrides: Any) -> dict[str, Any]:
    """A statement as a client sends it: money as strings, the date as ISO."""
    body: dict[str, Any] = {
        "amount": "300000.00", "currency": "HKD",
        "statement_date": (clock.today() - timedelta(days=5)).isoformat(),
        "bank": "HSBC", "account_holder": "Mei Ling Tan"}
    body.update(overrides)
    return body


def reload(case: Case) -> Case:
    db.session.expire_all()
    return db.session.get(Case, case.id)


def evidence_of(case: Case) -> list[DepositEvidence]:
    return list(db.session.query(DepositEvidence).filter_by(case_id=case.id)
                .order_by(DepositEvidence.id))


def test_recording_a_statement_takes_the_reference_rate_and_computes_hkd(
        consultant: User, consultant_api: ApiClient) -> None:
    case = open_case(consultant)
    day = clock.today() - timedelta(days=5)
    add_reference_rate("USD", "7.8125", day - timedelta(days=2))
    document = upload_bank_statement(consultant, case)
    case = reload(case)
    response = consultant_api.post(deposits_path(case), if_match=case, json=statement(
        amount="100,000.50", currency="USD", document_id=document.id))
    assert response.status_code == 201, response.json
    body = response.json
    assert response.headers["Location"] == f"{deposits_path(case)}/{body['id']}"
    assert response.headers["ETag"] == f'"{reload(case).version}"'
    assert body["amount"] == "100000.50"
    assert body["rate_to_hkd"] == "7.81250000"  # as stored, as any later read shows it
    assert body["amount_hkd"] == "781253.91"
    assert body["reference_rate"] == "7.81250000"
    assert body["status"] == "pending"
    assert body["document_id"] == document.id
    assert body["recorded_by"]["name"] == consultant.name
    assert body["review_refusal"] == "Recorded by you: another colleague verifies it."
    assert body["verification_blocker"] is None

    read = consultant_api.get(response.headers["Location"])
    assert read.status_code == 200 and read.json == body
    entry = db.session.query(AuditEntry).filter_by(entity=f"deposit:{body['id']}").one()
    assert entry.action == "created"
    assert entry.via == "api" and entry.api_token_id is not None


def test_money_sent_as_a_json_number_is_refused_per_field(
        consultant: User, consultant_api: ApiClient) -> None:
    case = open_case(consultant)
    response = consultant_api.post(deposits_path(case), if_match=case, json=statement(
        amount=300000.5, rate_to_hkd=1, currency="hkd", statement_date="31/01/2026",
        bank="", colour="blue"))
    assert response.status_code == 422
    errors = response.json["errors"]
    assert set(errors) == {"amount", "rate_to_hkd", "currency", "statement_date", "bank",
                           "colour"}
    assert errors["amount"] == ['Send the amount as a string of digits, such as "250000.00": '
                                "a JSON number is not accepted, so that no digit is lost on "
                                "the way."]
    assert errors["rate_to_hkd"][0].startswith('Send the rate as a string of digits')
    assert errors["bank"] == ["Enter the bank's name."]
    assert evidence_of(case) == []


def test_the_service_reads_the_strings_with_the_deposit_forms_parser(
        consultant: User, consultant_api: ApiClient) -> None:
    case = open_case(consultant)
    tomorrow = (clock.today() + timedelta(days=1)).isoformat()
    response = consultant_api.post(deposits_path(case), if_match=case, json=statement(
        amount="1,25,000", rate_to_hkd="2.5", statement_date=tomorrow))
    assert response.status_code == 422
    assert response.json["errors"] == {
        "amount": ["Put thousands commas every three digits (1,250,000.00), or leave them "
                   "out."],
        "statement_date": ["The statement date cannot be in the future."]}

    for amount, message in (("1e5", "an exponent (like 1e5) is not accepted"),
                            ("-5", "The amount must be more than zero."),
                            ("10.005", "at most 2 decimal places"),
                            ("NaN", "Enter the amount as a number")):
        refused = consultant_api.post(deposits_path(case), if_match=case,
                                      json=statement(amount=amount))
        assert refused.status_code == 422
        assert message in refused.json["errors"]["amount"][0], amount

    hkd_rate = consultant_api.post(deposits_path(case), if_match=case,
                                   json=statement(rate_to_hkd="7.8"))
    assert hkd_rate.json["errors"] == {"rate_to_hkd": [
        "An amount in HKD has a rate of exactly 1."]}
    assert evidence_of(case) == []
    assert reload(case).version == case.version


def test_a_rate_off_the_reference_stands_only_with_a_managers_confirmation(
        consultant: User, manager: User, consultant_api: ApiClient,
        manager_api: ApiClient) -> None:
    case = open_case(consultant)
    day = clock.today() - timedelta(days=5)
    add_reference_rate("USD", "7.80", day)
    off = statement(amount="10000.00", currency="USD", rate_to_hkd="8.50")

    plain = consultant_api.post(deposits_path(case), if_match=case, json=off)
    assert plain.status_code == 422
    assert "above the reference rate" in plain.json["errors"]["rate_to_hkd"][0]

    consultant_confirms = consultant_api.post(deposits_path(case), if_match=case, json={
        **off, "confirm_rate": True, "confirm_reason": "The bank's own rate."})
    assert consultant_confirms.status_code == 422
    assert consultant_confirms.json["errors"]["confirm_rate"] == [
        "Only a manager or an admin can confirm a rate away from the reference rate."]

    no_reason = manager_api.post(deposits_path(case), if_match=case,
                                 json={**off, "confirm_rate": True})
    assert no_reason.status_code == 422
    assert "confirm_reason" in no_reason.json["errors"]
    assert evidence_of(case) == []

    confirmed = manager_api.post(deposits_path(case), if_match=case, json={
        **off, "confirm_rate": True, "confirm_reason": "The bank's own rate, printed."})
    assert confirmed.status_code == 201, confirmed.json
    assert confirmed.json["rate_confirmed_by"]["id"] == manager.id
    assert confirmed.json["rate_confirmation_reason"] == "The bank's own rate, printed."
    assert confirmed.json["amount_hkd"] == "85000.00"


def test_four_eyes_the_recorder_does_not_verify_a_colleague_does(
        consultant: User, manager: User, consultant_api: ApiClient,
        manager_api: ApiClient) -> None:
    case = open_case(consultant)
    evidence = record_linked_deposit(consultant, case)
    case = reload(case)
    path = f"{deposits_path(case)}/{evidence.id}/verify"

    own = consultant_api.post(path, if_match=case)
    assert own.status_code == 409
    assert own.json["errors"] == {"request": [
        "Recorded by you: another colleague verifies it."]}
    assert reload(case).deposits[0].status is EvidenceStatus.PENDING

    verified = manager_api.post(path, if_match=case)
    assert verified.status_code == 200, verified.json
    assert verified.json["status"] == "verified"
    assert verified.json["verified_by"]["id"] == manager.id
    assert verified.headers["ETag"] == f'"{reload(case).version}"'
    assert reload(case).has_verified_deposit

    again = manager_api.post(path, if_match=reload(case))
    assert again.status_code == 409
    assert "already verified" in again.json["errors"]["request"][0]


def test_evidence_without_its_statement_cannot_be_verified(
        consultant: User, manager_api: ApiClient) -> None:
    case = open_case(consultant)
    evidence = record_deposit(consultant, case, hkd_statement(), VersionCheck.SKIP)
    response = manager_api.post(f"{deposits_path(case)}/{evidence.id}/verify",
                                if_match=reload(case))
    assert response.status_code == 409
    assert "Link the bank statement" in response.json["errors"]["request"][0]
    assert reload(case).deposits[0].status is EvidenceStatus.PENDING


def test_rejecting_needs_a_reason_and_another_colleague(
        consultant: User, manager: User, consultant_api: ApiClient,
        manager_api: ApiClient) -> None:
    case = open_case(consultant)
    evidence = record_linked_deposit(consultant, case)
    case = reload(case)
    path = f"{deposits_path(case)}/{evidence.id}/reject"

    for body, message in (({}, "Missing data for required field."),
                          ({"reason": "   "}, "Say why the evidence is rejected."),
                          ({"reason": "x" * 1001}, "Keep the reason to 1000 characters.")):
        refused = manager_api.post(path, if_match=case, json=body)
        assert refused.status_code == 422
        assert refused.json["errors"] == {"reason": [message]}

    own = consultant_api.post(path, if_match=case, json={"reason": "Blurred."})
    assert own.status_code == 409
    assert reload(case).deposits[0].status is EvidenceStatus.PENDING

    rejected = manager_api.post(path, if_match=case,
                                json={"reason": "The balance is cut off.\nAsk again."})
    assert rejected.status_code == 200, rejected.json
    assert rejected.json["status"] == "rejected"
    assert rejected.json["rejection_reason"] == "The balance is cut off.\nAsk again."
    assert rejected.json["rejected_by"]["id"] == manager.id
    entry = db.session.query(AuditEntry).filter_by(entity=f"deposit:{evidence.id}",
                                                    action="rejected").one()
    assert entry.via == "api" and entry.api_token_id is not None


def test_a_correction_is_partial_and_sends_reviewed_evidence_back_to_pending(
        consultant: User, manager: User, consultant_api: ApiClient) -> None:
    case = open_case(consultant)
    evidence = verified_deposit(consultant, manager, case)
    case = reload(case)
    path = f"{deposits_path(case)}/{evidence.id}"

    response = consultant_api.patch(path, if_match=case, json={"amount": "350000"})
    assert response.status_code == 200, response.json
    body = response.json
    assert body["amount"] == "350000.00" and body["amount_hkd"] == "350000.00"
    assert body["bank"] == "HSBC" and body["document_id"] == evidence.document_id
    assert body["status"] == "pending" and body["verified_by"] is None
    assert body["edited_by"]["id"] == consultant.id
    assert response.headers["ETag"] == f'"{reload(case).version}"'

    unlinked = consultant_api.patch(path, if_match=reload(case), json={"document_id": None})
    assert unlinked.status_code == 200
    assert unlinked.json["document_id"] is None


def test_a_refused_correction_changes_nothing(
        consultant: User, manager: User, consultant_api: ApiClient) -> None:
    case = open_case(consultant)
    evidence = verified_deposit(consultant, manager, case)
    other = open_case(consultant, family_name="Lim")
    stranger = upload_bank_statement(consultant, other)
    case = reload(case)
    response = consultant_api.patch(f"{deposits_path(case)}/{evidence.id}", if_match=case,
                                    json={"amount": "0", "document_id": stranger.id})
    assert response.status_code == 422
    assert response.json["errors"] == {
        "amount": ["The amount must be more than zero."],
        "document_id": ["Choose one of this case's uploaded bank statements."]}
    stored = reload(case).deposits[0]
    assert stored.status is EvidenceStatus.VERIFIED
    assert stored.amount == Decimal("300000.00")
    assert reload(case).version == case.version


def test_deposit_writes_need_if_match_and_a_stale_one_saves_nothing(
        consultant: User, manager_api: ApiClient, consultant_api: ApiClient) -> None:
    case = open_case(consultant)
    evidence = record_linked_deposit(consultant, case)
    case = reload(case)
    path = f"{deposits_path(case)}/{evidence.id}"
    writes = (
        lambda **kw: consultant_api.post(deposits_path(case), json=statement(), **kw),
        lambda **kw: consultant_api.patch(path, json={"bank": "Citi"}, **kw),
        lambda **kw: manager_api.post(f"{path}/verify", **kw),
        lambda **kw: manager_api.post(f"{path}/reject", json={"reason": "Blurred"}, **kw),
    )
    for write in writes:
        missing = write()
        assert missing.status_code == 428, missing.json
        stale = write(if_match=f'"{case.version - 1}"')
        assert stale.status_code == 412, stale.json
        assert stale.json["current_version"] == case.version
    stored = evidence_of(case)
    assert [(e.bank, e.status) for e in stored] == [("HSBC", EvidenceStatus.PENDING)]
    assert reload(case).version == case.version


def test_another_consultants_deposits_and_another_cases_evidence_are_404(
        consultant: User, other_consultant: User, consultant_api: ApiClient) -> None:
    theirs = open_case(other_consultant)
    their_evidence = record_linked_deposit(other_consultant, theirs)
    theirs = reload(theirs)
    assert consultant_api.get(deposits_path(theirs)).status_code == 404
    assert consultant_api.post(deposits_path(theirs), if_match=theirs,
                               json=statement()).status_code == 404
    assert consultant_api.get(
        f"{deposits_path(theirs)}/{their_evidence.id}").status_code == 404

    mine = open_case(consultant)
    # Their evidence's id under my case: not mine either.
    crossed = f"{deposits_path(mine)}/{their_evidence.id}"
    assert consultant_api.get(crossed).status_code == 404
    assert consultant_api.patch(crossed, if_match=mine,
                                json={"bank": "Citi"}).status_code == 404
    assert len(evidence_of(theirs)) == 1 and evidence_of(theirs)[0].bank == "HSBC"


def test_the_list_is_newest_statement_first_in_the_same_statements_however_long(
        consultant: User, consultant_api: ApiClient, manager: User, count_statements) -> None:
    case = open_case(consultant)

    def record(days_ago: int) -> None:
        record_linked_deposit(consultant, reload(case), hkd_statement(
            statement_date=clock.today() - timedelta(days=days_ago)))

    def listed() -> tuple[list[str], int]:
        consultant_api.get(deposits_path(case))  # the token's last use is recorded once
        count_statements.reset()
        response = consultant_api.get(deposits_path(case))
        assert response.status_code == 200
        assert response.headers["ETag"] == f'"{reload(case).version}"'
        return [d["statement_date"] for d in response.json["items"]], count_statements.count

    # Both lists read the same kinds of people: recorders and a verifier.
    verified_deposit(consultant, manager, reload(case))
    record(10)
    two_dates, two = listed()
    assert len(two_dates) == 2
    for days_ago in (9, 3, 7, 6):
        record(days_ago)
    six_dates, six = listed()
    assert len(six_dates) == 6 and six_dates == sorted(six_dates, reverse=True)
    assert six == two
