"""The wording for asking about each input, shared so a question asked by two rules reads the
same and appears once in the case's next actions."""

from __future__ import annotations

__all__ = ["INPUT_LABELS", "SHORT_LABELS", "collect", "short"]

INPUT_LABELS: dict[str, str] = {
    "date_of_birth": "the applicant's date of birth",
    "nationality": "the applicant's nationality (ISO 3166-1 alpha-3 code)",
    "passport_expiry": "the applicant's passport expiry date",
    "criminal_record": "whether the applicant has a criminal record, in Hong Kong or elsewhere",
    "adverse_immigration_record": (
        "whether the applicant has an adverse immigration record, in Hong Kong or elsewhere"
    ),
    "english_written": "whether the applicant is proficient in written English",
    "english_spoken": "whether the applicant is proficient in spoken English",
    "chinese_written": "whether the applicant is proficient in written Chinese",
    "putonghua_spoken": "whether the applicant is proficient in spoken Putonghua",
    "cantonese_spoken": "whether the applicant is proficient in spoken Cantonese",
    "other_foreign_language": (
        "whether the applicant is proficient in a foreign language other than Chinese and English"
    ),
    "highest_qualification": "the applicant's highest qualification",
    "qualification_recognised": (
        "whether the degree is from a recognised university or tertiary institution"
    ),
    "doctorate_count": "how many doctorates the applicant holds",
    "master_count": "how many master's degrees the applicant holds",
    "bachelor_count": "how many bachelor's degrees the applicant holds",
    "graduate_work_years": (
        "the applicant's years of work experience at graduate or specialist level"
    ),
    "senior_work_years": "how many of those years of work experience were at senior level",
    "hk_permanent_resident_family": (
        "whether an immediate family member of the applicant is a Hong Kong permanent resident "
        "living in Hong Kong"
    ),
    "achievement_claim": (
        "whether the applicant has an outstanding achievement (an award of national or "
        "international standing, or work recognised by peers as a significant contribution)"
    ),
    "achievement_description": "the applicant's achievement and its evidence",
}

# Short names for listing several inputs in one sentence.
SHORT_LABELS: dict[str, str] = {
    "english_written": "written English",
    "english_spoken": "spoken English",
    "chinese_written": "written Chinese",
    "putonghua_spoken": "spoken Putonghua",
    "cantonese_spoken": "spoken Cantonese",
    "other_foreign_language": "another foreign language",
    "criminal_record": "criminal record",
    "adverse_immigration_record": "adverse immigration record",
    "doctorate_count": "number of doctorates",
    "master_count": "number of master's degrees",
    "bachelor_count": "number of bachelor's degrees",
    "graduate_work_years": "years at graduate level",
    "senior_work_years": "years at senior level",
}


def collect(name: str) -> str:
    """The next action that records input ``name``: ``Record the applicant's date of birth.``"""
    return f"Record {INPUT_LABELS[name]}."


def short(name: str) -> str:
    return SHORT_LABELS.get(name, INPUT_LABELS.get(name, name))
