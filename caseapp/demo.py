"""Demo users and varied demo cases for ``make run``: never added to a database with data."""

from __future__ import annotations

import io
import random
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

from caseapp import clock
from caseapp.extensions import db
from caseapp.models import (
    Case,
    CorrespondenceKind,
    Dependant,
    DepositEvidence,
    Direction,
    Document,
    DocumentKind,
    ExchangeRate,
    ReviewOutcome,
    Role,
    User,
)
from caseapp.queries.documents import checklist_people
from caseapp.rules.vocab import Answer, MaritalStatus, Qualification, Relationship
from caseapp.rules.workflow import CaseStatus
from caseapp.services import cases as case_service
from caseapp.services import deposits as deposit_service
from caseapp.services import documents as document_service
from caseapp.services import submission
from caseapp.services import users as user_service
from caseapp.services.checks import run_checks
from caseapp.services.workflow import move_status

DEMO_PASSWORD = "demo-password-2026"
DEMO_USERS = [
    ("admin@demo.caseapp.test", "Ada Admin", Role.ADMIN),
    ("manager@demo.caseapp.test", "Mona Manager", Role.MANAGER),
    ("consultant@demo.caseapp.test", "Connie Consultant", Role.CONSULTANT),
    ("consultant2@demo.caseapp.test", "Carl Consultant", Role.CONSULTANT),
]

GIVEN = ["Wei", "Priya", "James", "Mei Ling", "Arjun", "Sofia", "Hiroshi", "Olga", "Daniel",
         "Aisha", "Tomasz", "Chen", "Laura", "Kwame", "Yuki", "Mateo", "Nadia", "Ravi", "Emma",
         "Farid"]
FAMILY = ["Zhang", "Sharma", "Whitfield", "Tan", "Patel", "Rossi", "Tanaka", "Ivanova", "Cohen",
          "Rahman", "Nowak", "Li", "Müller", "Mensah", "Sato", "García", "Haddad", "Iyer",
          "Brown", "Karimi"]
NATIONALITIES = ["CHN", "IND", "GBR", "MYS", "IND", "ITA", "JPN", "UKR", "ISR", "BGD", "POL",
                 "CHN", "DEU", "GHA", "JPN", "ESP", "VNM", "IND", "AUS", "AFG"]


def _years_ago(years: int, days: int = 0) -> date:
    today = clock.today()
    try:
        return today.replace(year=today.year - years) - timedelta(days=days)
    except ValueError:  # 29 February
        return today.replace(year=today.year - years, day=28) - timedelta(days=days)


DEGREE_COUNTS = {
    Qualification.DOCTORATE: (1, 1, 1),
    Qualification.MASTER: (0, 1, 1),
    Qualification.BACHELOR: (0, 0, 1),
    Qualification.SUB_DEGREE: (0, 0, 0),
    Qualification.SECONDARY: (0, 0, 0),
}


def demo_applicant(i: int, rng: random.Random) -> dict[str, Any]:
    """A varied applicant: some complete and strong, some with gaps or failing facts."""
    complete = i % 4 != 3
    strong = i % 5 != 4
    yes_no = Answer.YES if strong else Answer.NO
    qualification = ([Qualification.BACHELOR, Qualification.MASTER, Qualification.DOCTORATE,
                      Qualification.MASTER][i % 4] if strong else Qualification.SECONDARY)
    doctorates, masters, bachelors = DEGREE_COUNTS[qualification]
    work_years = rng.randint(4, 16)
    return {
        "given_name": GIVEN[i % len(GIVEN)],
        "family_name": FAMILY[i % len(FAMILY)],
        "chinese_name": "張偉" if FAMILY[i % len(FAMILY)] == "Zhang" else "",
        "date_of_birth": _years_ago(17 if i == 7 else rng.randint(24, 55), rng.randint(0, 360)),
        "nationality": NATIONALITIES[i % len(NATIONALITIES)],
        "passport_number": f"E{rng.randint(10_000_000, 99_999_999)}",
        # One passport runs out within the warning window; the others have years left.
        "passport_expiry": clock.today() + timedelta(
            days=120 if i == 6 else rng.randint(400, 3000)),
        "email": f"client{i + 1}@example.com",
        "phone": f"+85261{rng.randint(10, 99)}{rng.randint(1000, 9999)}",  # 61xx: HK mobiles
        "criminal_record": Answer.YES if i == 13 else (Answer.NO if complete else Answer.UNKNOWN),
        "adverse_immigration_record": Answer.NO if complete else Answer.UNKNOWN,
        "english_written": Answer.YES,
        "english_spoken": yes_no if complete else Answer.UNKNOWN,
        "chinese_written": Answer.YES if i % 3 == 0 else Answer.NO,
        "putonghua_spoken": Answer.YES if i % 3 == 0 else Answer.NO,
        "cantonese_spoken": Answer.NO,
        "highest_qualification": qualification,
        "qualification_recognised": Answer.YES if complete else Answer.UNKNOWN,
        "doctorate_count": doctorates if complete else None,
        "master_count": masters if complete else None,
        "bachelor_count": bachelors if complete else None,
        "professional_qualification": False,
        "graduate_work_years": work_years if complete else None,
        "senior_work_years": rng.randint(0, min(work_years, 6)) if complete else None,
        "other_foreign_language": Answer.YES if i % 5 == 1 else Answer.NO,
        "hk_permanent_resident_family": Answer.YES if i % 6 == 0 else Answer.NO,
        **demo_criteria(i, complete, qualification, work_years if complete else None),
        "achievement_claim": Answer.YES if i == 10 else Answer.NO,
        "achievement_description": (
            "Olympic bronze medal, women's rowing (eight), Tokyo 2020; certificate on file."
            if i == 10 else ""
        ),
    }


def demo_criteria(i: int, complete: bool, qualification: Qualification,
                  work_years: int | None) -> dict[str, Any]:
    """The facts of the 2024 General Points Test: most complete files answer all of them
    (some meet 6 or more criteria, one exactly 5); the others leave some unknown."""
    if not complete:
        return {"two_languages": Answer.YES if i % 3 == 0 else Answer.UNKNOWN}
    postgraduate = qualification in (Qualification.MASTER, Qualification.DOCTORATE)
    years = work_years or 0
    high_earner = i % 2 == 0
    return {
        "degree_eligible_university": Answer.YES if postgraduate else Answer.NO,
        "degree_stem": Answer.YES if postgraduate and i % 3 != 1 else Answer.NO,
        "two_languages": Answer.YES if i % 3 == 0 else Answer.NO,
        "multinational_work_years": min(years, 3 + i % 3),
        "sector_work_years": min(years, 4) if i % 2 == 0 else 0,
        "international_work_years": min(years, 2) if i % 5 in (0, 1) else 0,
        "income_amount": Decimal("1250000.00") if high_earner else Decimal("640000.00"),
        "income_currency": "HKD",
        "income_rate_to_hkd": Decimal(1),
        "profit_amount": Decimal("0.00"),
        "profit_currency": "HKD",
        "profit_rate_to_hkd": Decimal(1),
        "owns_listed_company": Answer.NO,
    }


def demo_dependants(i: int, rng: random.Random) -> list[dict[str, Any]]:
    if i % 3 == 2:
        return []
    family = FAMILY[i % len(FAMILY)]
    people: list[dict[str, Any]] = [{
        "relation": Relationship.SPOUSE, "given_name": GIVEN[(i + 7) % len(GIVEN)],
        "family_name": family, "date_of_birth": _years_ago(rng.randint(25, 50)),
        "marital_status": MaritalStatus.MARRIED, "nationality": NATIONALITIES[i % 20],
        "spouse_has_degree": Answer.YES if i % 2 == 0 else Answer.NO,
    }]
    for child in range(i % 3):
        age = 17 if (i + child) % 6 == 0 else rng.randint(2, 16)
        people.append({
            "relation": Relationship.CHILD, "given_name": GIVEN[(i + child + 3) % len(GIVEN)],
            "family_name": family, "date_of_birth": _years_ago(age, rng.randint(0, 300)),
            "marital_status": MaritalStatus.SINGLE, "nationality": NATIONALITIES[i % 20],
        })
    if i == 5:
        people.append({
            "relation": Relationship.PARENT, "given_name": "Ruth", "family_name": family,
            "date_of_birth": _years_ago(72), "marital_status": MaritalStatus.WIDOWED,
            "nationality": NATIONALITIES[i % 20],
        })
    return people


FOREIGN = [("HKD", Decimal("1")), ("USD", Decimal("7.8125")), ("CNY", Decimal("1.0842")),
           ("GBP", Decimal("9.8741"))]
BANKS = ["HSBC Hong Kong", "Bank of China (Hong Kong)", "Standard Chartered", "DBS Bank",
         "Citibank N.A."]


def demo_deposit(i: int, family: bool, rng: random.Random) -> dict[str, Any] | None:
    """Deposit evidence in a mix of currencies; some short, one stale, some still pending."""
    if i % 6 == 5:
        return None
    hkd = Decimal(480_000 if family else 300_000) + rng.randint(0, 80) * 1000
    if i % 7 == 3:
        hkd = Decimal(200_000)  # short of either threshold
    currency, rate = FOREIGN[i % len(FOREIGN)]
    amount = (hkd / rate).quantize(Decimal("0.01"))
    days_old = 150 if i == 12 else rng.randint(3, 40)
    return {
        "amount": amount, "currency": currency, "rate_to_hkd": rate,
        "statement_date": clock.today() - timedelta(days=days_old),
        "bank": BANKS[i % len(BANKS)], "account_holder": GIVEN[i % len(GIVEN)] + " "
        + FAMILY[i % len(FAMILY)],
    }


def demo_pdf(label: str) -> bytes:
    """A tiny well-formed PDF, different for every label (so every hash differs)."""
    body = f"BT /F1 12 Tf 72 720 Td (caseapp demo: {label}) Tj ET".encode()
    return (b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n"
            b"2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj\n"
            b"3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 612 792]/Contents 4 0 R>>endobj\n"
            + f"4 0 obj<</Length {len(body)}>>stream\n".encode() + body
            + b"\nendstream endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n")


def _upload(actor: User, case: Case, kind: DocumentKind, who: Dependant | None = None) -> Document:
    name = (who.full_name if who else case.applicant.full_name).replace(" ", "-").lower()
    return document_service.upload_document(
        actor, case, kind, f"{kind.value}-{name}.pdf",
        io.BytesIO(demo_pdf(f"{case.reference} {kind.value} {name}")), case.version,
        dependant=who)


def _upload_documents(actor: User, case: Case, complete: bool) -> None:
    """Every document of the checklist (rules.checklist), or only the first two of each person
    for a case still collecting them."""
    dependants = {d.id: d for d in case.dependants}
    for person in checklist_people(case):
        kinds = person.kinds if complete else person.kinds[:2]
        who = dependants.get(person.dependant_id) if person.dependant_id else None
        for kind in kinds:
            if kind == DocumentKind.BANK_STATEMENT.value and who is None:
                continue  # uploaded with the deposit evidence it backs
            _upload(actor, case, DocumentKind(kind), who)


def record_demo_deposit(actor: User, case: Case, values: dict[str, Any],
                        statement: Document) -> DepositEvidence:
    """Record the evidence, linked to the bank statement it comes from."""
    return deposit_service.record_deposit(actor, case, {**values, "document_id": statement.id},
                                          case.version)


def _progress(actor: User, case: Case, i: int) -> None:
    """Move cases along the workflow so every list has something to show."""
    path: list[tuple[CaseStatus, str]] = [(CaseStatus.COLLECTING_DOCUMENTS, "")]
    if i == 2:
        path.append((CaseStatus.ON_HOLD, "Waiting for the client's police certificate."))
    elif i == 9:
        path.append((CaseStatus.WITHDRAWN, "The client accepted a job offer in Singapore."))
    elif i % 4 == 0:
        path.append((CaseStatus.READY_FOR_REVIEW, ""))
    for target, reason in path:
        move_status(actor, case, target, reason, case.version)


def _review_submit_and_decide(consultant: User, manager: User, case: Case, i: int) -> None:
    """A ready, eligible case is reviewed by the manager and, with every gate passed, goes to
    ImmD; some hear back: a request for further information, a decision."""
    run_checks(consultant, case)
    submission.review_case(manager, case, ReviewOutcome.APPROVED,
                           "File checked against the originals.", case.version)
    if any(not gate.passed for gate in submission.submission_gates(case)):
        return  # approved, but a gate still fails: the manager decides on the page
    lodged = clock.today()  # demo cases open today: nothing can be lodged before that
    submission.submit_case(manager, case, f"QMAS/{lodged.year}/{100_000 + i * 37}", lodged,
                           case.version)
    submission.log_correspondence(
        manager, case, lodged, Direction.FROM_IMMD, CorrespondenceKind.ACKNOWLEDGEMENT,
        "ImmD acknowledged receipt of the application.", case.version)
    move_status(manager, case, CaseStatus.UNDER_ASSESSMENT, "", case.version)
    if i % 8 == 0 and i % 16 != 0:
        move_status(manager, case, CaseStatus.APPROVED_IN_PRINCIPLE, "", case.version)
        submission.log_correspondence(
            manager, case, lodged, Direction.FROM_IMMD, CorrespondenceKind.DECISION_LETTER,
            "Approval-in-principle letter.", case.version)
        move_status(manager, case, CaseStatus.VISA_ISSUED, "", case.version)
    else:
        submission.open_information_request(
            manager, case, lodged, "Employment reference letters for the last five years.",
            lodged + timedelta(days=28), case.version)


def _lodged_in_october_2024(consultant: User, manager: User, rng: random.Random) -> None:
    """A file lodged on paper on 15 October 2024, before the criteria took effect, and entered
    here afterwards: checked and decided under the 2006 points table for good."""
    checked_on, lodged = date(2024, 10, 10), date(2024, 10, 15)
    case = case_service.open_case(consultant, {**demo_applicant(0, rng), "given_name": "Grace",
                                               "family_name": "Ho", "chinese_name": "何恩"})
    case.opened_at = datetime(2024, 9, 2, 2, 0, tzinfo=UTC)  # when the paper file was opened
    db.session.commit()
    _upload_documents(consultant, case, complete=True)
    statement = _upload(consultant, case, DocumentKind.BANK_STATEMENT)
    evidence = record_demo_deposit(consultant, case, {
        "amount": Decimal("320000.00"), "currency": "HKD", "rate_to_hkd": Decimal(1),
        "statement_date": date(2024, 9, 30), "bank": "HSBC Hong Kong",
        "account_holder": "Grace Ho"}, statement)
    deposit_service.verify_deposit(manager, case, evidence, case.version)
    for target in (CaseStatus.COLLECTING_DOCUMENTS, CaseStatus.READY_FOR_REVIEW):
        move_status(consultant, case, target, "", case.version)
    run_checks(consultant, case, checked_on)
    submission.review_case(manager, case, ReviewOutcome.APPROVED,
                           "Paper file checked against the originals.", case.version)
    submission.submit_case(
        manager, case, "QMAS/2024/088412", lodged, case.version, override=True,
        reason="Lodged on paper on 15 October 2024; the file was entered afterwards, so its "
               "check run is older than the submission limit.")
    move_status(manager, case, CaseStatus.UNDER_ASSESSMENT, "", case.version)
    move_status(manager, case, CaseStatus.APPROVED_IN_PRINCIPLE, "", case.version)


def _seed_rates(admin: User) -> None:
    """Reference rates for the demo's foreign currencies, weekly over the last six months."""
    today = clock.today()
    for currency, rate in FOREIGN:
        if currency == "HKD":
            continue
        for weeks in range(26):
            db.session.add(ExchangeRate(
                currency=currency, rate_date=today - timedelta(weeks=weeks), rate=rate,
                source="HKMA indicative rate (demo)", recorded_by_id=admin.id))
    db.session.commit()


def seed(case_count: int = 20) -> tuple[list[User], int]:
    """Create the demo users and ``case_count`` cases split between the two consultants:
    eligible, not eligible and incomplete ones, at every stage of the workflow, each having
    gone through the same services and gates a person would."""
    rng = random.Random(2026)
    users = [
        user_service.create_user(email, name, role, DEMO_PASSWORD)
        for email, name, role in DEMO_USERS
    ]
    consultants = [u for u in users if u.role is Role.CONSULTANT]
    manager = next(u for u in users if u.role is Role.MANAGER)
    _seed_rates(next(u for u in users if u.role is Role.ADMIN))
    for i in range(case_count):
        consultant = consultants[i % len(consultants)]
        case = case_service.open_case(consultant, demo_applicant(i, rng))
        dependants = demo_dependants(i, rng)
        for dependant in dependants:
            case_service.add_dependant(consultant, case, dependant, case.version)
        heads_for_review = i % 4 == 0 and i not in (2, 9)
        _upload_documents(consultant, case, complete=heads_for_review or i % 5 == 1)
        deposit = demo_deposit(i, bool(dependants), rng)
        if deposit is not None:
            statement = _upload(consultant, case, DocumentKind.BANK_STATEMENT)
            evidence = record_demo_deposit(consultant, case, deposit, statement)
            if i == 11:
                deposit_service.reject_deposit(manager, case, evidence, "The statement is not "
                                               "in the applicant's name.", case.version)
            elif i % 4 != 3:
                deposit_service.verify_deposit(manager, case, evidence, case.version)
        _progress(consultant, case, i)
        if case.is_closed:
            continue
        run = run_checks(consultant, case)
        if case.status is CaseStatus.READY_FOR_REVIEW and run.verdict == "eligible":
            _review_submit_and_decide(consultant, manager, case, i)
    _lodged_in_october_2024(consultants[0], manager, rng)
    db.session.commit()
    return users, case_count + 1
