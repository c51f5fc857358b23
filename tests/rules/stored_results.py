"""A check result stored by the code before issue 9 (points table, no ``kind`` key), frozen.

Produced on 2026-03-02 by ``evaluate`` at commit af83fe3 for the case ``stored_case()`` builds,
under qmas-2006-165 with the single deposit threshold overridden to HKD 260,000. Its page as it
rendered then is ``data/points_result_before_issue_9.html``. Never regenerate these: they stand
for runs already in the database.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from caseapp.rules import CaseFacts, RuleSet, default_rule_set

from .builders import UNKNOWN, applicant, case, child, deposit, spouse


def stored_case() -> CaseFacts:
    return case(
        applicant=applicant(
            english_spoken=UNKNOWN,
            master_count=None,
            hk_permanent_resident_family=UNKNOWN,
            graduate_work_years=None,
            senior_work_years=None,
            date_of_birth=date(1986, 4, 1),
            passport_expiry=date(2026, 6, 1),
        ),
        dependants=(spouse(spouse_has_degree=UNKNOWN), child("c1", born=date(2008, 4, 1))),
        deposits=(deposit("300000"),),
        planned_submission_date=date(2026, 5, 1),
    )


def stored_rules() -> RuleSet:
    return default_rule_set().with_overrides(deposit_single_hkd="260000")


POINTS_RESULT_BEFORE_ISSUE_9: dict[str, Any] = {
    "format": 1,
    "rule_set_version": "qmas-2006-165",
    "rule_set_overrides": {"deposit_single_hkd": "260000"},
    "check_date": "2026-03-02",
    "planned_submission_date": "2026-05-01",
    "verdict": "not_eligible",
    "summary": "Not eligible: P2 Financial capability fails.",
    "prerequisites": [
        {
            "code": "P1",
            "title": "Age",
            "outcome": "pass",
            "reason": "The applicant is 39 on 2026-03-02 (18 or above is required).",
            "short": "",
            "data": {
                "date_of_birth": "1986-04-01",
                "age": 39,
                "minimum_age": 18,
                "reaches_minimum_age_on": "2004-04-01",
            },
            "actions": [],
            "warnings": [],
        },
        {
            "code": "P2",
            "title": "Financial capability",
            "outcome": "fail",
            "reason": "Verified fresh deposits total HKD 300,000.00 against the HKD "
            "450,000.00 required for a family application: short by HKD "
            "150,000.00.",
            "short": "short by HKD 150,000.00 for a family application",
            "data": {
                "family_application": True,
                "threshold_hkd": "450000",
                "single_threshold_hkd": "260000",
                "family_threshold_hkd": "450000",
                "total_hkd": "300000.00",
                "shortfall_hkd": "150000.00",
                "fresh_from": "2025-12-02",
                "counted_ids": [1],
                "counted": [{"id": 1, "amount_hkd": "300000.00", "statement_date": "2026-02-15"}],
                "excluded": [],
            },
            "actions": [
                "Collect further evidence of at least HKD 150,000.00 dated 2025-12-02 or later."
            ],
            "warnings": [],
        },
        {
            "code": "P3",
            "title": "Good character",
            "outcome": "pass",
            "reason": "The applicant has declared no criminal record and no adverse "
            "immigration record, in Hong Kong or elsewhere.",
            "short": "",
            "data": {"criminal_record": "no", "adverse_immigration_record": "no"},
            "actions": [],
            "warnings": [],
        },
        {
            "code": "P4",
            "title": "Language",
            "outcome": "missing",
            "reason": "Language proficiency is not established yet: spoken English not yet known.",
            "short": "spoken English not yet known",
            "data": {
                "english_written": "yes",
                "english_spoken": "unknown",
                "chinese_written": "no",
                "putonghua_spoken": "no",
                "cantonese_spoken": "no",
            },
            "actions": ["Record whether the applicant is proficient in spoken English."],
            "warnings": [],
        },
        {
            "code": "P5",
            "title": "Education",
            "outcome": "pass",
            "reason": "The applicant holds a master's degree from a recognised institution.",
            "short": "",
            "data": {"highest_qualification": "master", "qualification_recognised": "yes"},
            "actions": [],
            "warnings": [],
        },
        {
            "code": "P6",
            "title": "Nationality",
            "outcome": "pass",
            "reason": "Nationality GBR is not excluded from QMAS.",
            "short": "",
            "data": {"nationality": "GBR", "excluded": ["AFG", "CUB", "LAO", "NPL", "PRK", "VNM"]},
            "actions": [],
            "warnings": [],
        },
        {
            "code": "P7",
            "title": "Dependants",
            "outcome": "pass",
            "reason": "1 dependant may accompany (Sam); 1 dependant cannot accompany (Kid c1).",
            "short": "",
            "data": {
                "family_application": True,
                "eligible": [
                    {
                        "id": "s",
                        "name": "Sam",
                        "relationship": "spouse",
                        "reason": "Sam may accompany as spouse.",
                    }
                ],
                "excluded": [
                    {
                        "id": "c1",
                        "name": "Kid c1",
                        "relationship": "child",
                        "reason": "Kid c1 turns 18 on 2026-04-01, on or "
                        "before the planned submission on "
                        "2026-05-01: Kid c1 will no longer be an "
                        "eligible dependant then.",
                        "turns_adult_on": "2026-04-01",
                    }
                ],
                "undecided": [],
            },
            "actions": [
                "Submit before 2026-04-01 to include Kid c1, or plan the application without them."
            ],
            "warnings": [
                "Kid c1 turns 18 on 2026-04-01, on or before the planned "
                "submission on 2026-05-01: Kid c1 will no longer be an "
                "eligible dependant then."
            ],
        },
    ],
    "general_points": {
        "factors": [
            {
                "code": "age",
                "title": "Age",
                "points": 30,
                "max": 30,
                "best_case": 30,
                "complete": True,
                "explanation": "Age 39 on 2026-03-02: band 18-39 scores 30.",
                "missing": [],
                "actions": [],
            },
            {
                "code": "education",
                "title": "Education",
                "points": 35,
                "max": 45,
                "best_case": 40,
                "complete": False,
                "explanation": "Holds one master's degree: 35. Up to 40 once "
                "the missing inputs are known.",
                "missing": ["master_count"],
                "actions": ["Record how many master's degrees the applicant holds."],
            },
            {
                "code": "work_experience",
                "title": "Work experience",
                "points": 0,
                "max": 50,
                "best_case": 50,
                "complete": False,
                "explanation": "unknown years at graduate or specialist "
                "level, unknown of them senior: 0. Up to 50 "
                "once the missing inputs are known.",
                "missing": ["graduate_work_years", "senior_work_years"],
                "actions": [
                    "Record the applicant's years of work experience "
                    "at graduate or specialist level.",
                    "Record how many of those years of work experience were at senior level.",
                ],
            },
            {
                "code": "language",
                "title": "Language",
                "points": 0,
                "max": 20,
                "best_case": 10,
                "complete": False,
                "explanation": "Neither Chinese nor English at the required "
                "level: 0. Not yet known: spoken English. Up "
                "to 10 once the missing inputs are known.",
                "missing": ["english_spoken"],
                "actions": ["Record whether the applicant is proficient in spoken English."],
            },
            {
                "code": "family",
                "title": "Family background",
                "points": 0,
                "max": 20,
                "best_case": 10,
                "complete": False,
                "explanation": "0 accompanying children: 0; spouse with a "
                "degree: 0; Hong Kong permanent resident "
                "family member: 0. Up to 10 once the missing "
                "inputs are known.",
                "missing": ["spouse_has_degree", "hk_permanent_resident_family"],
                "actions": [
                    "Record whether Sam (spouse) holds a bachelor's degree or above.",
                    "Record whether an immediate family member of the "
                    "applicant is a Hong Kong permanent resident "
                    "living in Hong Kong.",
                ],
            },
        ],
        "total": 65,
        "best_possible": 140,
        "pass_mark": 80,
        "maximum": 165,
        "complete": False,
        "passed": None,
        "missing": [
            "master_count",
            "graduate_work_years",
            "senior_work_years",
            "english_spoken",
            "spouse_has_degree",
            "hk_permanent_resident_family",
        ],
        "reason": "65 points so far, 15 short of the pass mark of 80; up to 140 "
        "possible once the missing inputs are recorded.",
        "actions": [
            "Record how many master's degrees the applicant holds.",
            "Record the applicant's years of work experience at graduate or specialist level.",
            "Record how many of those years of work experience were at senior level.",
            "Record whether the applicant is proficient in spoken English.",
            "Record whether Sam (spouse) holds a bachelor's degree or above.",
            "Record whether an immediate family member of the applicant is "
            "a Hong Kong permanent resident living in Hong Kong.",
        ],
        "warnings": [
            "The applicant turns 40 on 2026-04-01, before the planned "
            "submission on 2026-05-01: the age score drops from 30 to "
            "20."
        ],
    },
    "achievement_points": {
        "outcome": "fail",
        "points": 0,
        "pass_mark": 245,
        "complete": True,
        "passed": False,
        "reason": "No outstanding achievement is claimed.",
        "actions": [],
    },
    "family_application": True,
    "warnings": [
        "Kid c1 turns 18 on 2026-04-01, on or before the planned submission on "
        "2026-05-01: Kid c1 will no longer be an eligible dependant then.",
        "The applicant turns 40 on 2026-04-01, before the planned submission on "
        "2026-05-01: the age score drops from 30 to 20.",
        "The applicant's passport expires on 2026-06-01, within 6 months of the check "
        "date (2026-03-02).",
    ],
    "next_actions": [
        "Collect further evidence of at least HKD 150,000.00 dated 2025-12-02 or later.",
        "Record whether the applicant is proficient in spoken English.",
        "Submit before 2026-04-01 to include Kid c1, or plan the application without them.",
        "Record how many master's degrees the applicant holds.",
        "Record the applicant's years of work experience at graduate or specialist level.",
        "Record how many of those years of work experience were at senior level.",
        "Record whether Sam (spouse) holds a bachelor's degree or above.",
        "Record whether an immediate family member of the applicant is a Hong Kong "
        "permanent resident living in Hong Kong.",
        "Ask the applicant to renew the passport before submission.",
    ],
    "headline": [
        {
            "code": "P2",
            "title": "Financial capability",
            "status": "fail",
            "text": "short by HKD 150,000.00 for a family application",
        },
        {
            "code": "P4",
            "title": "Language",
            "status": "missing",
            "text": "spoken English not yet known",
        },
        {
            "code": "P7",
            "title": "Dependants",
            "status": "flagged",
            "text": "Kid c1 (child, 18 on 2026-04-01, by the planned submission on "
            "2026-05-01) cannot accompany",
        },
    ],
}
