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
    # The General Points Test since 1 November 2024 (criteria count).
    "degree_eligible_university": (
        "whether the applicant's master's or doctoral degree is from a university on the "
        "eligible list"
    ),
    "degree_stem": "whether that degree is in a STEM subject",
    "two_languages": (
        "whether the applicant has good written and spoken proficiency in two languages"
    ),
    "multinational_work_years": (
        "the applicant's years of graduate-level work in a multinational company or renowned "
        "enterprise"
    ),
    "sector_work_years": (
        "the applicant's years of graduate-level work in innovation and technology, finance or "
        "international trade"
    ),
    "international_work_years": (
        "the applicant's years of international graduate-level work (outside their own country)"
    ),
    "income_hkd": "the applicant's income in the last full year before applying, in HKD",
    "business_profit_hkd": (
        "the profit in the last full year of any business the applicant now owns, in HKD "
        "(0 if none)"
    ),
    "owns_listed_company": "whether the applicant now owns a listed company",
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
    "highest_qualification": "highest qualification",
    "date_of_birth": "date of birth",
    "degree_eligible_university": "whether the degree is from an eligible university",
    "degree_stem": "whether the degree is in a STEM subject",
    "two_languages": "proficiency in two languages",
    "multinational_work_years": "years in a multinational or renowned enterprise",
    "sector_work_years": "years in innovation and technology, finance or international trade",
    "international_work_years": "years of international work",
    "income_hkd": "income of the last full year",
    "business_profit_hkd": "profit of an owned business in the last full year",
    "owns_listed_company": "whether the applicant owns a listed company",
}


def collect(name: str) -> str:
    """The next action that records input ``name``: ``Record the applicant's date of birth.``"""
    return f"Record {INPUT_LABELS[name]}."


def short(name: str) -> str:
    return SHORT_LABELS.get(name, INPUT_LABELS.get(name, name))
