from __future__ import annotations

from sqlalchemy import func, select

from caseapp.demo import DEMO_PASSWORD, DEMO_USERS
from caseapp.models import Case, CheckRun, DepositEvidence, Role, User
from caseapp.rules.workflow import CaseStatus
from caseapp.services.users import authenticate


def _cli(app, *args, **kwargs):
    return app.test_cli_runner().invoke(args=list(args), **kwargs)


def test_users_create_list_and_deactivate(app, db):
    result = _cli(app, "users", "create", "--email", "Ann@Example.test", "--name", "Ann Lee",
                  "--role", "manager", "--password", "a-long-password")
    assert result.exit_code == 0, result.output
    assert "Created manager ann@example.test" in result.output
    assert authenticate("ann@example.test", "a-long-password") is not None

    listing = _cli(app, "users", "list").output
    assert "ann@example.test" in listing and "manager" in listing and "active" in listing

    result = _cli(app, "users", "deactivate", "ann@example.test")
    assert result.exit_code == 0
    assert authenticate("ann@example.test", "a-long-password") is None
    assert "deactivated" in _cli(app, "users", "list").output


def test_users_create_rejects_bad_input_and_duplicates(app, db):
    args = ["users", "create", "--email", "ann@example.test", "--name", "Ann",
            "--role", "consultant", "--password"]
    assert _cli(app, *args, "short").exit_code == 1
    assert _cli(app, *args, "long-enough-pw").exit_code == 0
    result = _cli(app, *args, "long-enough-pw")
    assert result.exit_code == 1
    assert "exists already" in result.output
    assert db.session.scalar(select(func.count(User.id))) == 1
    assert _cli(app, "users", "create", "--email", "b@example.test", "--name", "B", "--role",
                "superuser", "--password", "long-enough-pw").exit_code == 2


def test_deactivating_an_unknown_user_fails(app, db):
    result = _cli(app, "users", "deactivate", "nobody@example.test")
    assert result.exit_code == 1
    assert "No user" in result.output


def test_seed_demo_fills_an_empty_database_and_prints_the_logins(app, db):
    result = _cli(app, "seed-demo")
    assert result.exit_code == 0, result.output
    assert db.session.scalar(select(func.count(Case.id))) >= 20
    roles = {u.role for u in db.session.scalars(select(User))}
    assert roles == {Role.ADMIN, Role.MANAGER, Role.CONSULTANT}
    for email, _, _ in DEMO_USERS:
        assert email in result.output
        assert authenticate(email, DEMO_PASSWORD) is not None
    assert DEMO_PASSWORD in result.output
    verdicts = set(db.session.scalars(select(CheckRun.verdict)))
    assert verdicts == {"eligible", "not_eligible", "incomplete"}
    statuses = set(db.session.scalars(select(Case.status)))
    assert {CaseStatus.COLLECTING_DOCUMENTS, CaseStatus.READY_FOR_REVIEW, CaseStatus.ON_HOLD,
            CaseStatus.UNDER_ASSESSMENT, CaseStatus.VISA_ISSUED, CaseStatus.WITHDRAWN} <= statuses
    assert db.session.scalar(select(func.count(DepositEvidence.id))) > 10


def test_seed_demo_never_adds_to_a_database_with_data(app, db, consultant):
    result = _cli(app, "seed-demo")
    assert "has data already" in result.output
    assert db.session.scalar(select(func.count(Case.id))) == 0
    assert db.session.scalar(select(func.count(User.id))) == 1


def test_checks_run_prints_the_result_of_one_case(app, db, consultant):
    from tests.factories import open_case

    case = open_case(consultant)
    result = _cli(app, "checks", "run", case.reference, "--as", consultant.email)
    assert result.exit_code == 0, result.output
    assert f"{case.reference}: INCOMPLETE" in result.output
    # The headline under the verdict, as on the page: each prerequisite not a pass.
    header = result.output.split("Rule set")[0]
    assert "  P2 Financial capability: " in header
    assert "P2 Financial capability" in result.output and "General Points Test" in result.output
    run = db.session.scalars(select(CheckRun)).one()
    assert run.run_by_id == consultant.id


def test_checks_run_all_counts_verdicts_of_open_cases(app, db, consultant):
    from tests.factories import open_case

    open_case(consultant)
    open_case(consultant, nationality="AFG")
    result = _cli(app, "checks", "run", "--all")
    assert result.exit_code == 0, result.output
    assert "Checked 2 open cases" in result.output
    assert "not eligible  1" in result.output and "incomplete    1" in result.output
    assert db.session.scalar(select(func.count(CheckRun.id))) == 2


def test_checks_run_needs_a_known_case_or_all(app, db):
    assert "No case QM-1999-000001" in _cli(app, "checks", "run", "QM-1999-000001").output
    assert _cli(app, "checks", "run").exit_code == 2


def test_seed_demo_is_refused_in_production(app, db):
    app.config["CASEAPP_ENV"] = "production"
    result = _cli(app, "seed-demo")
    assert result.exit_code == 1
    assert "not in production" in result.output
    assert db.session.scalar(select(func.count(User.id))) == 0


def test_checks_run_prints_a_criteria_result_too(app, db, consultant):
    from tests.factories import open_case

    case = open_case(consultant)
    app.config["RULE_SET_VERSION"] = "qmas-2024-11"
    try:
        result = _cli(app, "checks", "run", case.reference, "--as", consultant.email)
    finally:
        app.config["RULE_SET_VERSION"] = "qmas-2006-165"
    assert result.exit_code == 0, result.output
    assert "criteria met (at least 6 needed)" in result.output
    assert " 1. Aged 50 or below" in result.output
