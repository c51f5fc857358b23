"""Demo users and varied demo cases for ``make run``: never added to a database with data."""

from __future__ import annotations

import random
from datetime import date, timedelta
from typing import Any

from caseapp.extensions import db
from caseapp.models import Role, User
from caseapp.rules.vocab import Answer, MaritalStatus, Qualification, Relationship
from caseapp.services import cases as case_service
from caseapp.services import users as user_service

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
    today = date.today()
    try:
        return today.replace(year=today.year - years) - timedelta(days=days)
    except ValueError:  # 29 February
        return today.replace(year=today.year - years, day=28) - timedelta(days=days)


def demo_applicant(i: int, rng: random.Random) -> dict[str, Any]:
    """A varied applicant: some complete and strong, some with gaps or failing facts."""
    complete = i % 4 != 3
    strong = i % 5 != 4
    yes_no = Answer.YES if strong else Answer.NO
    return {
        "given_name": GIVEN[i % len(GIVEN)],
        "family_name": FAMILY[i % len(FAMILY)],
        "chinese_name": "張偉" if FAMILY[i % len(FAMILY)] == "Zhang" else "",
        "date_of_birth": _years_ago(17 if i == 7 else rng.randint(24, 55), rng.randint(0, 360)),
        "nationality": NATIONALITIES[i % len(NATIONALITIES)],
        "passport_number": f"E{rng.randint(10_000_000, 99_999_999)}",
        "passport_expiry": date.today() + timedelta(days=rng.randint(90, 3000)),
        "email": f"client{i + 1}@example.com",
        "phone": f"+852 5{rng.randint(100, 999)} {rng.randint(1000, 9999)}",
        "criminal_record": Answer.NO if complete else Answer.UNKNOWN,
        "adverse_immigration_record": Answer.NO if complete else Answer.UNKNOWN,
        "english_written": Answer.YES,
        "english_spoken": yes_no if complete else Answer.UNKNOWN,
        "chinese_written": Answer.YES if i % 3 == 0 else Answer.NO,
        "putonghua_spoken": Answer.YES if i % 3 == 0 else Answer.NO,
        "cantonese_spoken": Answer.NO,
        "highest_qualification": [Qualification.BACHELOR, Qualification.MASTER,
                                  Qualification.DOCTORATE, Qualification.SUB_DEGREE][i % 4]
        if strong else Qualification.SECONDARY,
        "qualification_recognised": Answer.YES if complete else Answer.UNKNOWN,
    }


def demo_dependants(i: int, rng: random.Random) -> list[dict[str, Any]]:
    if i % 3 == 2:
        return []
    family = FAMILY[i % len(FAMILY)]
    people: list[dict[str, Any]] = [{
        "relation": Relationship.SPOUSE, "given_name": GIVEN[(i + 7) % len(GIVEN)],
        "family_name": family, "date_of_birth": _years_ago(rng.randint(25, 50)),
        "marital_status": MaritalStatus.MARRIED, "nationality": NATIONALITIES[i % 20],
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


def seed(case_count: int = 20) -> tuple[list[User], int]:
    """Create the demo users and ``case_count`` cases split between the two consultants."""
    rng = random.Random(2026)
    users = [
        user_service.create_user(email, name, role, DEMO_PASSWORD)
        for email, name, role in DEMO_USERS
    ]
    consultants = [u for u in users if u.role is Role.CONSULTANT]
    for i in range(case_count):
        consultant = consultants[i % len(consultants)]
        case = case_service.open_case(consultant, demo_applicant(i, rng))
        for dependant in demo_dependants(i, rng):
            case_service.add_dependant(consultant, case, dependant, case.version)
    db.session.commit()
    return users, case_count
