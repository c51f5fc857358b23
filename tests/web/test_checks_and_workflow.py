from __future__ import annotations

from sqlalchemy import func, select

from caseapp import clock
from caseapp.models import Case, CheckRun
from caseapp.rules.workflow import CaseStatus
from caseapp.services import cases as case_service
from caseapp.services.checks import run_checks
from tests.factories import dependant_values, open_case
from tests.services.test_checks import add_verified_deposit


def _runs(db):
    return db.session.scalar(select(func.count(CheckRun.id)))


def test_run_checks_shows_the_verdict_each_rule_and_the_points(app, db, consultant,
                                                                consultant_client):
    case = open_case(consultant)
    add_verified_deposit(db, case, consultant, "250000.00", clock.today())
    response = consultant_client.post(f"/cases/{case.reference}/checks", follow_redirects=True)
    page = response.get_data(as_text=True)
    assert "Checks run: eligible." in page
    assert 'class="verdict verdict-eligible"' in page
    for code in ("P1", "P2", "P3", "P4", "P5", "P6", "P7"):
        assert f"<td>{code} " in page
    assert "General Points Test" in page and "pass mark 80" in page
    assert "Achievement-based Points Test" in page
    assert _runs(db) == 1


def test_an_incomplete_case_lists_what_to_collect(app, db, consultant, consultant_client):
    case = open_case(consultant)
    page = consultant_client.post(f"/cases/{case.reference}/checks",
                                  follow_redirects=True).get_data(as_text=True)
    assert "verdict-incomplete" in page
    assert "Next actions" in page and "bank statements" in page


def test_earlier_runs_stay_visible_and_open_as_they_were(app, db, consultant, consultant_client):
    case = open_case(consultant)
    first = run_checks(consultant, case)
    add_verified_deposit(db, case, consultant, "250000.00", clock.today())
    run_checks(consultant, case)
    page = consultant_client.get(f"/cases/{case.reference}").get_data(as_text=True)
    assert "Earlier runs (1)" in page
    old = consultant_client.get(f"/cases/{case.reference}/checks/{first.id}")
    assert old.status_code == 200
    text = old.get_data(as_text=True)
    assert "verdict-incomplete" in text and "The case has changed since this run" in text


def test_another_consultant_can_neither_run_nor_read_checks(app, db, consultant,
                                                             other_consultant, client_for):
    case = open_case(consultant)
    run = run_checks(consultant, case)
    client = client_for(other_consultant)
    assert client.post(f"/cases/{case.reference}/checks").status_code == 404
    assert client.get(f"/cases/{case.reference}/checks/{run.id}").status_code == 404
    assert _runs(db) == 1


def test_a_run_of_another_case_is_not_found_under_this_case(app, consultant, consultant_client):
    mine, other = open_case(consultant), open_case(consultant)
    run = run_checks(consultant, other)
    assert consultant_client.get(f"/cases/{mine.reference}/checks/{run.id}").status_code == 404


def _move(client, case, target, version=None, **extra):
    data = {"target": target, "version": str(version or case.version), **extra}
    return client.post(f"/cases/{case.reference}/status", data=data, follow_redirects=True)


def test_the_case_page_offers_only_the_moves_allowed_now(app, db, consultant, consultant_client):
    case = open_case(consultant)
    page = consultant_client.get(f"/cases/{case.reference}").get_data(as_text=True)
    assert 'value="collecting_documents"' in page and 'value="withdrawn"' in page
    assert 'value="submitted"' not in page and 'value="visa_issued"' not in page


def test_a_move_through_the_page_is_recorded_in_the_history(app, db, consultant,
                                                             consultant_client):
    case = open_case(consultant)
    page = _move(consultant_client, case, "collecting_documents").get_data(as_text=True)
    assert "moved to Collecting documents" in page
    assert "Intake → <strong>Collecting documents</strong>" in page
    db.session.expire_all()
    assert case.status is CaseStatus.COLLECTING_DOCUMENTS


def test_a_forged_or_stale_move_is_refused_with_a_message(app, db, consultant,
                                                           consultant_client):
    case = open_case(consultant)
    page = _move(consultant_client, case, "visa_issued").get_data(as_text=True)
    assert "cannot move from Intake to Visa issued" in page
    page = _move(consultant_client, case, "teleported").get_data(as_text=True)
    assert "that status does not exist" in page
    case_service.add_dependant(consultant, case, dependant_values(), case.version)
    page = _move(consultant_client, case, "collecting_documents", version=1).get_data(
        as_text=True)
    assert "changed this case" in page
    db.session.expire_all()
    assert case.status is CaseStatus.INTAKE


def test_withdrawing_without_a_reason_is_refused(app, db, consultant, consultant_client):
    case = open_case(consultant)
    page = _move(consultant_client, case, "withdrawn").get_data(as_text=True)
    assert "Say why the case is withdrawn" in page
    db.session.expire_all()
    assert case.status is CaseStatus.INTAKE


def test_the_case_page_statement_count_does_not_grow_with_its_contents(
        app, db, consultant, consultant_client, count_statements):
    case = open_case(consultant)

    def add_one_of_each():
        case_service.add_dependant(consultant, case, dependant_values(), case.version)
        add_verified_deposit(db, case, consultant, "1000.00", clock.today())
        run_checks(consultant, case)

    def statements_for_page():
        count_statements.reset()
        assert consultant_client.get(f"/cases/{case.reference}").status_code == 200
        return count_statements.count

    add_one_of_each()
    with_one = statements_for_page()
    for _ in range(5):
        add_one_of_each()
    assert statements_for_page() == with_one


def test_a_closed_case_cannot_be_checked_again(app, db, consultant, consultant_client):
    case = open_case(consultant)
    case.status = CaseStatus.WITHDRAWN
    db.session.commit()
    page = consultant_client.get(f"/cases/{case.reference}").get_data(as_text=True)
    assert "Run checks</button>" not in page
    response = consultant_client.post(f"/cases/{case.reference}/checks", follow_redirects=True)
    assert "can no longer be changed" in response.get_data(as_text=True)
    assert _runs(db) == 0


def test_every_run_and_every_change_stays_reachable(app, db, consultant, consultant_client,
                                                    count_statements):
    from caseapp.queries import history

    case = open_case(consultant)
    runs = [run_checks(consultant, case) for _ in range(4)]
    for n in range(5):
        case_service.update_applicant(consultant, case, {"phone": f"+852 9123 456{n}"},
                                      case.version)
    first = history.check_runs_page(case, 1, per_page=2)
    last = history.check_runs_page(case, 2, per_page=2)
    assert [r.id for r in first.items + last.items] == [r.id for r in reversed(runs)]
    assert first.has_next and not last.has_next

    page = consultant_client.get(f"/cases/{case.reference}/checks").get_data(as_text=True)
    assert all(f"/checks/{r.id}" in page for r in runs)
    count_statements.reset()
    page = consultant_client.get(f"/cases/{case.reference}/history").get_data(as_text=True)
    compact = page.replace(" ", "")  # the phone may be stored as typed or in E.164
    assert "+85291234560" in compact and "+85291234564" in compact
    assert "opened the case" in page
    assert count_statements.count < 10
    assert consultant_client.get(f"/cases/{case.reference}/history?page=x").status_code == 200


def test_the_move_menu_starts_empty_and_an_empty_choice_moves_nothing(app, db, consultant,
                                                                       consultant_client):
    case = open_case(consultant)
    page = consultant_client.get(f"/cases/{case.reference}").get_data(as_text=True)
    menu = page[page.index('<select name="target"'):]
    menu = menu[:menu.index("</select>")]
    # The first option is an empty choice; no move (backward or forward) is preselected.
    assert '<option value="" selected>Choose…</option>' in menu
    assert menu.count("selected") == 1
    response = consultant_client.post(f"/cases/{case.reference}/status", data={
        "target": "", "version": str(case.version)}, follow_redirects=True)
    assert "choose the status to move the case to" in response.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(Case, case.id).status is CaseStatus.INTAKE
