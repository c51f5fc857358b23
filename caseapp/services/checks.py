"""Running the QMAS checks on a case: build the facts, ask the rules, keep the run."""

from __future__ import annotations

import hashlib
import json
import logging
from collections import Counter
from collections.abc import Mapping
from dataclasses import asdict, fields
from datetime import date
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from flask import current_app
from sqlalchemy import select, update
from sqlalchemy.orm import selectinload
from sqlalchemy.orm.attributes import set_committed_value

from caseapp import clock
from caseapp.extensions import db
from caseapp.models import Applicant, Case, CheckRun, Dependant, DepositEvidence, User, utcnow
from caseapp.rules import (
    ApplicantFacts,
    CaseFacts,
    CheckResult,
    DependantFacts,
    DepositFacts,
    RuleSet,
    Verdict,
    evaluate,
)
from caseapp.rules.ruleset import rule_set_in_force
from caseapp.rules.workflow import OPEN_STATUSES
from caseapp.services.deadlines import refresh_deadlines
from caseapp.services.derived import attention_values, reply_due_reasons

if TYPE_CHECKING:
    from caseapp.services.cases import ExpectedVersion

logger = logging.getLogger(__name__)

# App settings that override the packaged rule set: setting name -> rule-set field.
RULE_SET_SETTINGS = {
    "DEPOSIT_SINGLE_HKD": "deposit_single_hkd",
    "DEPOSIT_FAMILY_HKD": "deposit_family_hkd",
    "DEPOSIT_FRESHNESS_MONTHS": "deposit_freshness_months",
    "PASSPORT_WARNING_MONTHS": "passport_warning_months",
}
# Facts named differently from their column: fact -> Applicant attribute.
_FACT_COLUMNS = {"business_profit_hkd": "profit_hkd"}
_APPLICANT_FACT_FIELDS = {
    name: _FACT_COLUMNS.get(name, name) for name in ApplicantFacts.__dataclass_fields__
    if hasattr(Applicant, _FACT_COLUMNS.get(name, name))
}


def known_rule_sets() -> tuple[RuleSet, ...]:
    """Every rule set a case may be checked under, packaged and stored by admins, oldest
    effective date first."""
    from caseapp.queries.rulesets import all_rule_sets

    # Read without autoflush: asked in the middle of a change, the lookup must not write the
    # case row early (its version would move twice).
    with db.session.no_autoflush:
        return all_rule_sets()


def with_config_overrides(rule_set: RuleSet,
                          config: Mapping[str, Any] | None = None) -> RuleSet:
    """``rule_set`` with the consultancy's CASEAPP_* threshold overrides applied (from
    ``config``: the app's, or settings read without one, as a migration does)."""
    config = current_app.config if config is None else config
    overrides: dict[str, Any] = {}
    for setting, field in RULE_SET_SETTINGS.items():
        value = config.get(setting)
        if value in (None, ""):
            continue
        # Months arrive as text from CASEAPP_* variables; money stays text (exact Decimal).
        overrides[field] = int(value) if field.endswith("_months") else str(value)
    return rule_set.with_overrides(**overrides) if overrides else rule_set


def pinned_rule_set() -> RuleSet | None:
    """The version CASEAPP_RULE_SET_VERSION pins for a consultancy that must use one, or None
    (the lodging date decides)."""
    version = current_app.config.get("RULE_SET_VERSION")
    if not version:
        return None
    found = next((r for r in known_rule_sets() if r.version == version), None)
    if found is None:
        raise LookupError(f"CASEAPP_RULE_SET_VERSION names {version!r}, which is no known "
                          "rule set")
    return found


def rule_set_for_facts(facts: CaseFacts) -> RuleSet:
    """The rule set a case is checked under: the one in force on its lodging date (the
    submission date once submitted, else the planned submission date, else the check date),
    unless the configuration pins one; with the configured threshold overrides."""
    rule_set = pinned_rule_set() or rule_set_in_force(known_rule_sets(), facts.lodging_date)
    return with_config_overrides(rule_set)


def rule_set_for_case(case: Case, on: date | None = None) -> RuleSet:
    """The rule set ``case`` is checked under if checked ``on`` (default today)."""
    return rule_set_for_facts(case_facts(case, on or clock.today()))


def configured_rule_set() -> RuleSet:
    """The rule set in force today (or the pinned one): for what has no case behind it."""
    rule_set = pinned_rule_set() or rule_set_in_force(known_rule_sets(), clock.today())
    return with_config_overrides(rule_set)


def applicant_facts(applicant: Applicant) -> ApplicantFacts:
    """The applicant as the rules read it. An unset answer (a new applicant not yet flushed,
    whose column defaults apply on insert) is left to the facts' own default, "unknown"; so is
    a fact an older schema's row does not have (migration 0004 backfills through here)."""
    values = {fact: getattr(applicant, column, None)
              for fact, column in _APPLICANT_FACT_FIELDS.items()}
    return ApplicantFacts(**{fact: value for fact, value in values.items() if value is not None})


def dependant_facts(dependant: Dependant) -> DependantFacts:
    return DependantFacts(
        id=dependant.id,
        name=dependant.full_name,
        relationship=dependant.relation,
        date_of_birth=dependant.date_of_birth,
        marital_status=dependant.marital_status,
        spouse_has_degree=dependant.spouse_has_degree,
        # Rows of an older schema (migration 0004's backfill) have no passport expiry.
        passport_expiry=getattr(dependant, "passport_expiry", None),
    )


def deposit_facts(evidence: DepositEvidence) -> DepositFacts:
    return DepositFacts(
        id=evidence.id,
        amount=evidence.amount,
        currency=evidence.currency,
        rate_to_hkd=evidence.rate_to_hkd,
        amount_hkd=evidence.amount_hkd,
        statement_date=evidence.statement_date,
        status=evidence.status,
        bank=evidence.bank,
    )


def case_facts(case: Case, check_date: date) -> CaseFacts:
    """Everything the rules read about ``case``, as plain data."""
    return CaseFacts(
        applicant=applicant_facts(case.applicant),
        dependants=tuple(dependant_facts(d) for d in case.dependants),
        deposits=tuple(deposit_facts(e) for e in case.deposits),
        check_date=check_date,
        planned_submission_date=case.planned_submission_date,
        # Rows of an older schema (migration 0004's backfill) have no submission date yet.
        submitted_on=getattr(case, "submitted_on", None),
    )


# Facts the rules gained after runs were first stored (issue 9: the 2024 criteria, the
# submission date). Left out of the fingerprint while they hold their default, so a run
# stored before them still matches a case nobody has changed since.
_LATER_APPLICANT_FACTS = ("degree_eligible_university", "degree_stem", "two_languages",
                          "multinational_work_years", "sector_work_years",
                          "international_work_years", "income_hkd", "business_profit_hkd",
                          "owns_listed_company")
_APPLICANT_DEFAULTS = {f.name: f.default for f in fields(ApplicantFacts)}


def facts_fingerprint(facts: CaseFacts) -> str:
    """SHA-256 of the facts without the check date: equal hashes mean nothing relevant changed."""
    data = asdict(facts)
    data.pop("check_date")
    if data.get("submitted_on") is None:
        data.pop("submitted_on", None)
    for name in _LATER_APPLICANT_FACTS:
        if data["applicant"].get(name) == _APPLICANT_DEFAULTS[name]:
            data["applicant"].pop(name)
    for dependant in data["dependants"]:  # issue 12: a dependant's passport, for deadlines
        if dependant.get("passport_expiry") is None:
            dependant.pop("passport_expiry", None)
    encoded = json.dumps(data, sort_keys=True, default=str).encode()
    return hashlib.sha256(encoded).hexdigest()


def load_case_for_checks(case_id: int) -> Case:
    """The case with every part the rules read, in a fixed number of statements."""
    return db.session.scalars(
        select(Case)
        .where(Case.id == case_id)
        .options(
            selectinload(Case.applicant),
            selectinload(Case.dependants),
            selectinload(Case.deposits),
        )
        .execution_options(populate_existing=True)
    ).one()


def run_checks(actor: User | None, case: Case, check_date: date | None = None) -> CheckRun:
    """Check ``case`` as it is now and store the run (who, when, rule-set version, result).

    A run is a record, not a change to the case: the case's version does not move. The
    verdict, check time, counted HKD and attention date the lists read are kept on the case row
    in the same transaction.
    """
    check_date = check_date or clock.today()
    case = load_case_for_checks(case.id)
    facts = case_facts(case, check_date)
    rule_set = rule_set_for_facts(facts)
    result = evaluate(facts, rule_set)
    run_at = utcnow()
    latest = {
        "latest_verdict": result.verdict.value,
        "latest_check_at": run_at,
        "counted_hkd": Decimal(result.prerequisite("P2").data["total_hkd"]),
        **attention_values(facts, rule_set, reply_due_reasons(case)),
    }
    # A Core UPDATE: the ORM would move the version and make colleagues' open forms stale.
    db.session.execute(update(Case).where(Case.id == case.id).values(**latest),
                       execution_options={"synchronize_session": False})
    for name, value in latest.items():
        set_committed_value(case, name, value)
    refresh_deadlines(case, facts, rule_set)  # an eligible check starts its own clock
    run = CheckRun(
        case_id=case.id,
        run_by_id=actor.id if actor is not None else None,
        run_at=run_at,
        check_date=check_date,
        rule_set_version=result.rule_set_version,
        verdict=result.verdict.value,
        case_version=case.version,
        facts_sha256=facts_fingerprint(facts),
        result=result.to_dict(),
    )
    db.session.add(run)
    try:
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise
    return run


def run_checks_on_request(actor: User, case: Case, expected_version: ExpectedVersion) -> CheckRun:
    """A person asks for the checks (the case page's button, the API): a closed case is
    read-only and is not checked again (NotAllowed), and a stale ``expected_version`` is
    refused (ConflictError) before anything is stored. The page's button carries no version
    and passes ``VersionCheck.SKIP``: a run changes nothing a colleague is editing."""
    from caseapp.services.cases import check_version, ensure_editable

    ensure_editable(case)
    check_version(case, expected_version)
    return run_checks(actor, case)


def stored_result(run: CheckRun) -> CheckResult:
    return CheckResult.from_dict(run.result)


def latest_run(case: Case) -> CheckRun | None:
    return db.session.scalars(
        select(CheckRun)
        .where(CheckRun.case_id == case.id)
        .order_by(CheckRun.run_at.desc(), CheckRun.id.desc())
        .limit(1)
    ).first()


def current_facts(case: Case, on: date) -> CaseFacts:
    """The case's facts as stored now, as the rules would read them on ``on``."""
    return case_facts(load_case_for_checks(case.id), on)


def is_current(run: CheckRun, case: Case, facts: CaseFacts | None = None) -> bool:
    """True when the case's facts are still those the run checked."""
    facts = facts or current_facts(case, run.check_date)
    return facts_fingerprint(facts) == run.facts_sha256


def evaluate_facts(facts: CaseFacts) -> Verdict:
    """The verdict for ``facts`` under the configured rule set, without storing a run."""
    return evaluate(facts, rule_set_for_facts(facts)).verdict


def check_open_cases(actor: User | None, check_date: date | None = None,
                     batch_size: int = 200) -> Counter[str]:
    """Re-check every open case; returns how many came out with each verdict."""
    counts: Counter[str] = Counter()
    last_id = 0
    while True:
        ids = db.session.scalars(
            select(Case.id)
            .where(Case.status.in_(OPEN_STATUSES), Case.id > last_id)
            .order_by(Case.id)
            .limit(batch_size)
        ).all()
        if not ids:
            return counts
        for case_id in ids:
            try:
                run = run_checks(actor, db.session.get(Case, case_id), check_date)  # type: ignore[arg-type]
            except Exception:
                # One broken case must not stop the nightly re-check of all the others.
                logger.exception("Checks failed for case id %s", case_id)
                counts["error"] += 1
            else:
                counts[run.verdict] += 1
        last_id = ids[-1]
        db.session.expunge_all()  # keep memory flat over tens of thousands of cases
