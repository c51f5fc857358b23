"""``flask checks compare --rule-set VERSION``: the impact preview on the command line."""

from __future__ import annotations

from datetime import timedelta

import pytest

from caseapp import clock
from caseapp.queries import rulesets as loader
from caseapp.rules.vocab import Answer
from caseapp.services.rulesets import create_rule_set, editable_values
from tests.factories import hkd_statement, open_case, verified_deposit

SOON = clock.today() + timedelta(days=30)


@pytest.fixture
def by_date(app):
    app.config["RULE_SET_VERSION"] = None
    yield
    app.config["RULE_SET_VERSION"] = "qmas-2006-165"


def _cli(app, *args):
    return app.test_cli_runner().invoke(args=list(args))


def test_compare_prints_each_changed_case_and_the_counts(app, db, admin, consultant, manager,
                                                         by_date):
    case = open_case(consultant, degree_eligible_university=Answer.YES, degree_stem=Answer.YES,
                     two_languages=Answer.YES)
    verified_deposit(consultant, manager, case, hkd_statement("300000.00"))
    case.planned_submission_date = SOON + timedelta(days=3)
    db.session.commit()
    values = editable_values(loader.find_rule_set("qmas-2024-11"))
    values.update(version="qmas-2027-01", title="Higher deposit", effective_date=SOON,
                  deposit_single_hkd="400000")
    create_rule_set(admin, "qmas-2024-11", values)

    result = _cli(app, "checks", "compare", "--rule-set", "qmas-2027-01")
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert (f"{case.reference}  Connie Consultant  Eligible -> Not eligible  (qmas-2024-11 -> "
            "qmas-2027-01): P2 Financial capability: pass -> fail (short by HKD 100,000.00 "
            "for a single application)") in lines
    assert "1 of 1 case would change verdict (1 open cases not yet submitted)." in lines
    assert any(line.split() == ["Connie", "Consultant", "1"] for line in lines)


def test_compare_with_nothing_to_change_exits_0(app, db, by_date):
    result = _cli(app, "checks", "compare", "--rule-set", "qmas-2024-11")
    assert result.exit_code == 0, result.output
    assert "0 of 0 cases would change verdict (0 open cases not yet submitted)." in result.output


def test_an_unknown_version_exits_1_with_a_message(app, db):
    result = _cli(app, "checks", "compare", "--rule-set", "qmas-1999")
    assert result.exit_code == 1
    assert "error: no rule set 'qmas-1999'" in result.output
