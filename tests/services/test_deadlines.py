"""Deadlines stored per case: derived after every change and check run (the scheme's dates,
an eligible check's last day, ImmD's reply date, a note's follow-up), gone with a closed case;
marked done or snoozed with a reason, audited; a mark kept while the cause's date stands."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from caseapp import clock
from caseapp.models import (
    AuditEntry,
    Case,
    CaseNote,
    ContactChannel,
    Deadline,
    DeadlineKind,
    DocumentKind,
)
from caseapp.queries.deadlines import open_deadlines
from caseapp.rules.attention import passport_window_opens
from caseapp.rules.workflow import CaseStatus
from caseapp.services import cases as case_service
from caseapp.services import deadlines as service
from caseapp.services import submission as submission_service
from caseapp.services.cases import VersionCheck
from caseapp.services.checks import run_checks
from caseapp.services.errors import NotAllowed, ValidationFailed
from caseapp.services.workflow import move_status
from tests.factories import applicant_values, dependant_values, open_case
from tests.services.test_checks import add_verified_deposit

SKIP = VersionCheck.SKIP
K = DeadlineKind


def stored(db, case: Case) -> dict[str, Deadline]:
    db.session.expire_all()
    return {d.source: d for d in db.session.scalars(
        select(Deadline).where(Deadline.case_id == case.id))}


def expiring_in(days: int) -> dict[str, object]:
    return {"passport_expiry": clock.today() + timedelta(days=days)}


# ---- derived, stored, recomputed ------------------------------------------------------------

def test_a_new_case_has_its_applicants_passport_and_planned_submission(db, consultant):
    planned = clock.today() + timedelta(days=45)
    case = case_service.open_case(consultant, applicant_values(**expiring_in(400)),
                                  planned_submission_date=planned)
    found = stored(db, case)
    assert set(found) == {"passport:applicant", "planned"}
    passport = found["passport:applicant"]
    assert passport.kind is K.PASSPORT_EXPIRY and passport.person == "applicant"
    assert passport.due_on == passport_window_opens(clock.today() + timedelta(days=400), 6)
    assert found["planned"].kind is K.PLANNED_SUBMISSION and found["planned"].due_on == planned


def test_a_dependants_passport_and_coming_of_age_follow_their_edits(db, consultant):
    case = open_case(consultant)
    born = clock.today() - timedelta(days=18 * 365 - 40)  # 18 in about five weeks
    child = case_service.add_dependant(consultant, case, dependant_values(
        date_of_birth=born, **expiring_in(300)), SKIP)
    found = stored(db, case)
    assert found[f"passport:dependant:{child.id}"].person == f"dependant:{child.id}"
    adult = found[f"child:{child.id}"]
    assert adult.kind is K.CHILD_TURNS_ADULT and adult.due_on < born.replace(year=born.year + 18)
    case_service.update_dependant(consultant, case, child, {"marital_status": "married"}, SKIP)
    assert f"child:{child.id}" not in stored(db, case)  # a married child is no dependant child
    case_service.remove_dependant(consultant, case, child, SKIP)
    assert f"passport:dependant:{child.id}" not in stored(db, case)


def test_a_counted_statement_goes_stale_on_its_last_fresh_day(db, consultant):
    case = open_case(consultant)
    add_verified_deposit(db, case, consultant, "300000.00", clock.today() - timedelta(days=5))
    run_checks(consultant, case)  # as any change does, a check run recomputes them
    (stale,) = [d for d in stored(db, case).values() if d.kind is K.STATEMENT_STALE]
    assert stale.source.startswith("statement:") and stale.due_on > clock.today()


def test_an_eligible_check_starts_the_too_old_to_submit_on_clock(app, db, consultant):
    case = open_case(consultant)
    add_verified_deposit(db, case, consultant, "300000.00", clock.today())
    assert "check" not in stored(db, case)
    run = run_checks(consultant, case)
    assert run.verdict == "eligible"
    check = stored(db, case)["check"]
    assert check.kind is K.CHECK_TOO_OLD
    days = app.config["SUBMISSION_CHECK_MAX_AGE_DAYS"]
    checked_on = run.run_at.astimezone(clock.business_timezone()).date()
    assert check.due_on == checked_on + timedelta(days=days)


def test_an_incomplete_check_has_no_clock(db, consultant):
    case = open_case(consultant)
    assert run_checks(consultant, case).verdict != "eligible"
    assert "check" not in stored(db, case)


def test_immds_reply_date_is_a_deadline_until_the_reply_is_sent(db, consultant, manager):
    from tests.services.test_submission import approve, ready_for_review, submit, upload

    case = ready_for_review(db, consultant)
    approve(manager, case)
    submit(manager, case)
    assert not [d for d in stored(db, case).values() if d.kind is not K.CHECK_TOO_OLD]
    due = clock.today() + timedelta(days=28)
    request = submission_service.open_information_request(
        manager, case, clock.today(), "Latest payslips.", due, case.version)
    reply = stored(db, case)[f"request:{request.id}"]
    assert reply.kind is K.IMMD_REPLY_DUE and reply.due_on == due
    upload(consultant, case, DocumentKind.OTHER)
    submission_service.send_reply(consultant, case, request, clock.today(), case.version)
    assert f"request:{request.id}" not in stored(db, case)


def test_a_notes_follow_up_date_is_a_deadline(db, consultant):
    case = open_case(consultant)
    on = clock.today() + timedelta(days=3)
    note = CaseNote(case_id=case.id, author_id=consultant.id, channel=ContactChannel.PHONE,
                    text="Client  will send\nthe payslips next week; call back.",
                    follow_up_on=on)
    db.session.add(note)
    db.session.commit()
    case_service.refresh_derived(case)
    db.session.commit()
    follow_up = stored(db, case)[f"note:{note.id}"]
    assert follow_up.kind is K.FOLLOW_UP and follow_up.due_on == on
    assert follow_up.action == "Follow up: Client will send the payslips next week; call back."


def test_closing_a_case_takes_its_deadlines_and_reopening_none_back(db, consultant):
    case = case_service.open_case(consultant, applicant_values(**expiring_in(60)),
                                  planned_submission_date=clock.today() + timedelta(days=9))
    assert stored(db, case)
    move_status(consultant, case, CaseStatus.WITHDRAWN, "Client changed plans", case.version)
    assert stored(db, case) == {}


def test_a_status_move_that_keeps_the_case_open_keeps_them(db, consultant):
    case = open_case(consultant)
    before = {s: d.id for s, d in stored(db, case).items()}
    move_status(consultant, case, CaseStatus.ON_HOLD, "Waiting for the client", case.version)
    assert {s: d.id for s, d in stored(db, case).items()} == before


# ---- the marks and recomputation ------------------------------------------------------------

def test_a_done_passport_deadline_comes_back_when_the_expiry_is_edited(db, consultant):
    case = open_case(consultant, **expiring_in(100))
    passport = stored(db, case)["passport:applicant"]
    service.mark_done(consultant, passport, "Renewal booked at the consulate", passport.due_on)
    # Another edit keeps the mark: the cause and its date stand.
    case_service.update_applicant(consultant, case, {"email": "new@example.com"}, SKIP)
    assert stored(db, case)["passport:applicant"].done_at is not None
    # A renewed passport is a new date to meet: the same row, open again.
    case_service.update_applicant(consultant, case, expiring_in(200), SKIP)
    again = stored(db, case)["passport:applicant"]
    assert again.id == passport.id and again.done_at is None and again.done_by_id is None
    assert again.mark_reason == ""
    assert again.due_on == passport_window_opens(clock.today() + timedelta(days=200), 6)


def test_the_applicant_form_recomputes_the_passport_deadline(db, consultant, consultant_client):
    from tests.factories import applicant_form

    case = open_case(consultant, **expiring_in(100))
    expiry = clock.today() + timedelta(days=150)
    response = consultant_client.post(
        f"/cases/{case.reference}/applicant",
        data=applicant_form(passport_expiry=expiry.isoformat(), version=str(case.version)))
    assert response.status_code == 302
    assert stored(db, case)["passport:applicant"].due_on == passport_window_opens(expiry, 6)


def test_a_snooze_is_cleared_when_the_date_moves_and_kept_otherwise(db, consultant):
    case = case_service.open_case(consultant, applicant_values(),
                                  planned_submission_date=clock.today() + timedelta(days=5))
    planned = stored(db, case)["planned"]
    until = clock.today() + timedelta(days=2)
    service.snooze(consultant, planned, until, "Client travelling", planned.due_on)
    run_checks(consultant, case)
    assert stored(db, case)["planned"].snoozed_until == until
    case_service.update_case_details(consultant, case, clock.today() + timedelta(days=6), SKIP)
    assert stored(db, case)["planned"].snoozed_until is None


def test_a_snoozed_deadline_is_open_again_from_the_day_it_was_snoozed_to(db, consultant):
    today = clock.today()
    case = case_service.open_case(consultant, applicant_values(),
                                  planned_submission_date=today + timedelta(days=5))
    planned = stored(db, case)["planned"]
    until = today + timedelta(days=3)
    service.snooze(consultant, planned, until, "Client travelling", planned.due_on)

    def listed(on):
        return planned.id in {d.id for d in open_deadlines(on, on + timedelta(days=30))}

    assert not listed(today) and not listed(until - timedelta(days=1))
    assert listed(until) and listed(until + timedelta(days=1))


def test_marks_are_audited_with_who_what_and_why(db, consultant):
    case = case_service.open_case(consultant, applicant_values(),
                                  planned_submission_date=clock.today() + timedelta(days=5))
    planned = stored(db, case)["planned"]
    until = clock.today() + timedelta(days=2)
    service.snooze(consultant, planned, until, "  Client travelling  ", planned.due_on)
    planned = stored(db, case)["planned"]
    assert planned.mark_reason == "Client travelling" and planned.snoozed_by_id == consultant.id
    service.mark_done(consultant, planned, "Submitted", planned.due_on)
    entries = list(db.session.scalars(select(AuditEntry).where(
        AuditEntry.entity == f"deadline:{planned.id}").order_by(AuditEntry.id)))
    assert [(e.action, e.user_id, e.case_id) for e in entries] == [
        ("snoozed", consultant.id, case.id), ("marked_done", consultant.id, case.id)]
    assert entries[0].changes["snoozed_until"] == [None, until.isoformat()]
    assert entries[0].changes["reason"] == [None, "Client travelling"]
    assert entries[1].changes["kind"] == [None, "planned_submission"]
    planned = stored(db, case)["planned"]
    assert planned.snoozed_until is None and planned.done_at is not None


@pytest.mark.parametrize(("reason", "until_days", "errors"), [
    ("", 3, {"reason"}),
    (" \n ", 3, {"reason"}),
    ("x" * 301, 3, {"reason"}),
    ("bad\x07bell", 3, {"reason"}),
    ("ok", 0, {"until"}),
    ("ok", -1, {"until"}),
    ("ok", 367, {"until"}),
    ("ok", None, {"until"}),
    ("", -1, {"reason", "until"}),
])
def test_bad_marks_are_refused_and_change_nothing(db, consultant, reason, until_days, errors):
    case = case_service.open_case(consultant, applicant_values(),
                                  planned_submission_date=clock.today() + timedelta(days=5))
    planned = stored(db, case)["planned"]
    until = None if until_days is None else clock.today() + timedelta(days=until_days)
    with pytest.raises(ValidationFailed) as refused:
        service.snooze(consultant, planned, until, reason, planned.due_on)
    assert set(refused.value.errors) == errors
    if errors == {"reason"}:
        with pytest.raises(ValidationFailed):
            service.mark_done(consultant, planned, reason, planned.due_on)
    planned = stored(db, case)["planned"]
    assert planned.snoozed_until is None and planned.done_at is None
    assert db.session.scalar(select(AuditEntry).where(
        AuditEntry.entity == f"deadline:{planned.id}")) is None


def test_a_year_ahead_is_the_furthest_snooze(db, consultant):
    case = case_service.open_case(consultant, applicant_values(),
                                  planned_submission_date=clock.today() + timedelta(days=5))
    planned = stored(db, case)["planned"]
    service.snooze(consultant, planned, service.latest_snooze(clock.today()), "Next year",
                   planned.due_on)
    assert stored(db, case)["planned"].snoozed_until == service.latest_snooze(clock.today())


def test_a_closed_cases_deadline_and_another_consultants_are_refused(
        db, consultant, other_consultant, manager):
    case = case_service.open_case(consultant, applicant_values(),
                                  planned_submission_date=clock.today() + timedelta(days=5))
    planned = stored(db, case)["planned"]
    with pytest.raises(NotAllowed, match="another consultant"):
        service.mark_done(other_consultant, planned, "Not mine", planned.due_on)
    # A row left from before the case closed (the recomputation removes them) is refused.
    db.session.get(Case, case.id).status = CaseStatus.WITHDRAWN
    db.session.commit()
    with pytest.raises(NotAllowed, match="withdrawn"):
        service.mark_done(manager, planned, "Closed", planned.due_on)
    with pytest.raises(NotAllowed, match="withdrawn"):
        service.snooze(manager, planned, clock.today() + timedelta(days=2), "Closed",
                       planned.due_on)
    assert stored(db, case)["planned"].done_at is None


def test_marking_leaves_the_case_version_alone(db, consultant):
    case = case_service.open_case(consultant, applicant_values(),
                                  planned_submission_date=clock.today() + timedelta(days=5))
    version = case.version
    planned = stored(db, case)["planned"]
    service.mark_done(consultant, planned, "Submitted", planned.due_on)
    db.session.expire_all()
    assert db.session.get(Case, case.id).version == version


def test_derive_reads_plain_rows_as_the_backfill_gives_them(app):
    from types import SimpleNamespace

    from caseapp.rules import default_rule_set
    from tests.rules.builders import case as facts

    row = SimpleNamespace(status="collecting_documents", latest_verdict="eligible",
                          latest_check_at=datetime(2026, 3, 1, 20, 0, tzinfo=UTC))
    found = service.derive(row, facts(), default_rule_set(), check_max_age_days=7,
                           requests=[], notes=[])
    check = {d.source: d for d in found}["check"]
    assert check.due_on.isoformat() == "2026-03-09"  # 04:00 on 2 March in Hong Kong
