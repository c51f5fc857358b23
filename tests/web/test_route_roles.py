"""Issue 11: every route against a declared table of the roles that may use it.

The table below names, for each endpoint of the URL map, the roles that may use it. A new
route without an entry fails (as does an entry for a route that is gone), and each route is
requested as each role: a role not in its entry must be refused, one in it must not be.

Refused means: for a page, a redirect to /login (anonymous) or 403 (a signed-in role; 404
also counts on a case page, which hides a case its user may not see); for the API, 401
(anonymous) or 403/404 (a signed-in role). A few manager-only case pages refuse a consultant
by sending them back to the case page with a message (a 302 there): see REFUSED_BACK_TO_CASE.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from flask import Flask
from werkzeug.test import TestResponse

from caseapp import clock
from caseapp.models import Role, User
from caseapp.services import cases as case_service
from caseapp.services import checks as check_service
from caseapp.services import tokens
from tests.api.conftest import ApiClient
from tests.conftest import login_client
from tests.factories import (
    add_reference_rate,
    dependant_values,
    open_case,
    record_linked_deposit,
    upload_bank_statement,
)

ANON, CONS, MGR, ADM = "anonymous", "consultant", "manager", "admin"
ROLES = (ANON, CONS, MGR, ADM)
SIGNED_IN = frozenset({CONS, MGR, ADM})
MANAGERS = frozenset({MGR, ADM})
ADMIN = frozenset({ADM})
CONSULTANT = frozenset({CONS})
EVERYONE = frozenset(ROLES)

ROUTE_ROLES: dict[str, frozenset[str]] = {
    # Anyone.
    "static": EVERYONE,
    "auth.login": EVERYONE,
    # The token in the address is the key (an unknown one is 404 for everyone).
    "calendar_feed.feed": EVERYONE,
    "api-docs.openapi_json": EVERYONE,
    "api_docs.docs": EVERYONE,
    # Admins' pages.
    "admin.index": ADMIN,
    "admin.rates": ADMIN,
    "admin.new_rate": ADMIN,
    "admin.delete_rate": ADMIN,
    "admin.rule_sets": ADMIN,
    "admin.rule_set": ADMIN,
    "admin.new_rule_set": ADMIN,
    "admin.edit_rule_set": ADMIN,
    "admin.rule_set_impact": ADMIN,
    "admin.users": ADMIN,
    "admin.new_user": ADMIN,
    "admin.user": ADMIN,
    "admin.edit_user": ADMIN,
    "admin.deactivate_user": ADMIN,
    "admin.reactivate_user": ADMIN,
    "admin.reset_password": ADMIN,
    # Managers' pages.
    "manage.dashboard": MANAGERS,
    "manage.audit": MANAGERS,
    "manage.audit_export": MANAGERS,
    "manage.export_csv": MANAGERS,
    "manage.export_xlsx": MANAGERS,
    "manage.reassign_case": MANAGERS,
    "manage.reassign_filtered": MANAGERS,
    "manage.reassign_selected": MANAGERS,
    # Signed-in pages.
    "auth.logout": SIGNED_IN,
    "profile.index": SIGNED_IN,
    "profile.change_password": SIGNED_IN,
    "profile.turn_on_calendar_feed": SIGNED_IN,
    "profile.turn_off_calendar_feed": SIGNED_IN,
    "profile.create_token": SIGNED_IN,
    "profile.revoke_token": SIGNED_IN,
    "cases.index": SIGNED_IN,
    "cases.new_case": CONSULTANT,
    "cases.show": SIGNED_IN,
    "cases.history": SIGNED_IN,
    "cases.edit_applicant": SIGNED_IN,
    "cases.edit_details": SIGNED_IN,
    "cases.add_dependant": SIGNED_IN,
    "cases.edit_dependant": SIGNED_IN,
    "cases.remove_dependant": SIGNED_IN,
    "cases.new_view": SIGNED_IN,
    "cases.edit_view": SIGNED_IN,
    "cases.delete_view": SIGNED_IN,
    "checks.index": SIGNED_IN,
    "deadlines.this_week": SIGNED_IN,
    "deadlines.mark_done": SIGNED_IN,
    "deadlines.snooze": SIGNED_IN,
    "notes.index": SIGNED_IN,
    "notes.add_note": SIGNED_IN,
    "notes.edit_note": SIGNED_IN,
    "checks.run": SIGNED_IN,
    "checks.show": SIGNED_IN,
    "deposits.new": SIGNED_IN,
    "deposits.edit": SIGNED_IN,
    "deposits.verify": SIGNED_IN,
    "deposits.reject": SIGNED_IN,
    "deposits.reference_rate": SIGNED_IN,
    "documents.upload": SIGNED_IN,
    "documents.replace": SIGNED_IN,
    "documents.download": SIGNED_IN,
    "workflow.move": SIGNED_IN,
    "submission.review": MANAGERS,
    "submission.submit": MANAGERS,
    "submission.new_request": MANAGERS,
    "submission.package": SIGNED_IN,
    "submission.download_package": SIGNED_IN,
    "submission.reply": SIGNED_IN,
    "submission.send_reply": SIGNED_IN,
    "submission.log_correspondence": SIGNED_IN,
    # The API.
    "api_me.me": SIGNED_IN,
    "api_cases.list_cases": SIGNED_IN,
    "api_cases.open_case": CONSULTANT,
    "api_cases.read_case": SIGNED_IN,
    "api_cases.update_case": SIGNED_IN,
    "api_exports.export_csv": MANAGERS,
    "api_checks.list_runs": SIGNED_IN,
    "api_checks.read_run": SIGNED_IN,
    "api_checks.run_case_checks": SIGNED_IN,
    "api_deposits.list_deposits": SIGNED_IN,
    "api_deposits.read_deposit": SIGNED_IN,
    "api_deposits.record_deposit": SIGNED_IN,
    "api_deposits.reject_deposit": SIGNED_IN,
    "api_deposits.update_deposit": SIGNED_IN,
    "api_deposits.verify_deposit": SIGNED_IN,
    "api_documents.download_document": SIGNED_IN,
    "api_documents.list_documents": SIGNED_IN,
    "api_documents.read_document": SIGNED_IN,
    "api_documents.replace_document": SIGNED_IN,
    "api_documents.upload_document": SIGNED_IN,
    "api_people.add_dependant": SIGNED_IN,
    "api_people.list_dependants": SIGNED_IN,
    "api_people.read_applicant": SIGNED_IN,
    "api_people.read_dependant": SIGNED_IN,
    "api_people.remove_dependant": SIGNED_IN,
    "api_people.update_applicant": SIGNED_IN,
    "api_people.update_dependant": SIGNED_IN,
    "api_users.create_user": ADMIN,
    "api_users.list_users": ADMIN,
    "api_users.read_user": ADMIN,
    "api_users.update_user": ADMIN,
    "api_workflow.download_package": SIGNED_IN,
    "api_workflow.gates": SIGNED_IN,
    "api_workflow.list_correspondence": SIGNED_IN,
    "api_workflow.list_information_requests": SIGNED_IN,
    "api_workflow.list_moves": SIGNED_IN,
    "api_workflow.list_packages": SIGNED_IN,
    "api_workflow.log_correspondence": SIGNED_IN,
    "api_workflow.move": SIGNED_IN,
    "api_workflow.open_information_request": MANAGERS,
    "api_workflow.read_correspondence": SIGNED_IN,
    "api_workflow.read_information_request": SIGNED_IN,
    "api_workflow.read_package": SIGNED_IN,
    "api_workflow.reassign_case": MANAGERS,
    "api_workflow.reassign_cases": MANAGERS,
    "api_workflow.review": MANAGERS,
    "api_workflow.save_reply_notes": SIGNED_IN,
    "api_workflow.send_reply": SIGNED_IN,
    "api_workflow.submit": MANAGERS,
}

# Manager-only case pages that refuse a consultant with a message on the case page (302 to
# it) rather than a 403.
REFUSED_BACK_TO_CASE = {"submission.review", "submission.submit", "submission.new_request"}

ANONYMOUS_PATHS = ("/api/v1/openapi.json", "/api/v1/docs")


def _endpoints(app: Flask) -> set[str]:
    return {rule.endpoint for rule in app.url_map.iter_rules()}


def test_every_route_is_in_the_role_table(app: Flask) -> None:
    endpoints = _endpoints(app)
    missing = sorted(endpoints - ROUTE_ROLES.keys())
    gone = sorted(ROUTE_ROLES.keys() - endpoints)
    assert not missing, f"Routes with no entry in ROUTE_ROLES (declare who may use them): {missing}"
    assert not gone, f"ROUTE_ROLES entries for routes that no longer exist: {gone}"
    for entry, roles in ROUTE_ROLES.items():
        assert roles <= EVERYONE, f"{entry}: unknown roles {sorted(roles - EVERYONE)}"
    anonymous = {rule.rule for rule in app.url_map.iter_rules()
                 if ANON in ROUTE_ROLES.get(rule.endpoint, frozenset())}
    assert set(ANONYMOUS_PATHS) <= anonymous


def _path(location: str) -> str:
    return location.split("#")[0].split("?")[0]


def _refusal(api: bool, role: str, response: TestResponse, case_page: str | None,
             endpoint: str) -> str | None:
    """Why ``response`` reads as a refusal by role, or None if it does not."""
    status = response.status_code
    location = response.headers.get("Location", "")
    if api:
        if status == 401:
            return "401"
        if status == 403:
            return "403"
        return None
    # login_required sends to /login?next=...; logging out also ends on /login, without next.
    if status in (301, 302, 303) and _path(location).endswith("/login") and "next=" in location:
        return "redirect to /login"
    if status == 403:
        return "403"
    if (endpoint in REFUSED_BACK_TO_CASE and case_page is not None
            and status in (302, 303) and _path(location).endswith(case_page)):
        return "sent back to the case page"
    return None


def _expected_refusal(api: bool, role: str, response: TestResponse, case_page: str | None,
                      endpoint: str, path_has_case: bool) -> bool:
    status = response.status_code
    location = _path(response.headers.get("Location", ""))
    if role == ANON:
        return status == 401 if api else (status in (302, 303) and location.endswith("/login"))
    if api:
        return status in (403, 404)
    if status == 403 or (path_has_case and status == 404):
        return True
    return (endpoint in REFUSED_BACK_TO_CASE and case_page is not None
            and status in (302, 303) and location.endswith(case_page))


def test_each_route_admits_exactly_its_roles(app: Flask, make_user: Any) -> None:
    users: dict[str, User] = {
        CONS: make_user(Role.CONSULTANT), MGR: make_user(Role.MANAGER),
        ADM: make_user(Role.ADMIN),
    }
    secrets = {role: tokens.create_token(user, user, f"Roles {role}",
                                         clock.today() + timedelta(days=30))
               for role, user in users.items()}
    consultant = users[CONS]
    case = open_case(consultant)
    dependant = case_service.add_dependant(consultant, case, dependant_values(), case.version)
    document = upload_bank_statement(consultant, case)
    deposit = record_linked_deposit(consultant, case)
    run = check_service.run_checks(consultant, case)
    rate = add_reference_rate("USD", "7.80", clock.today())
    values: dict[str, Any] = {
        "reference": case.reference,
        "dependant_id": dependant.id,
        "document_id": document.id,
        "evidence_id": deposit.id,
        "run_id": run.id,
        "rate_id": rate.id,
        "token_id": secrets[CONS].token.id,
        # Someone none of the callers is: a reset or a deactivation would sign a caller out.
        "user_id": make_user(Role.CONSULTANT).id,
        "version": "qmas-2024-11",
        "filename": "app.css",
        "token": "no-such-feed-token",
        # No cheap object: an id nobody has.
        "view_id": 1, "package_id": 1, "request_id": 1, "entry_id": 1, "note_id": 1,
        "deadline_id": 1,
    }
    case_page = f"/cases/{case.reference}"

    mismatches: list[str] = []
    checked = 0
    for rule in sorted(app.url_map.iter_rules(), key=lambda r: r.endpoint):
        allowed = ROUTE_ROLES.get(rule.endpoint)
        if allowed is None:
            continue  # the other test names it
        methods = rule.methods or set()
        method = "GET" if "GET" in methods else next(
            m for m in ("POST", "PATCH", "PUT", "DELETE") if m in methods)
        path = rule.build({arg: values[arg] for arg in rule.arguments}, append_unknown=False)[1]
        api = path.startswith("/api/") and ANON not in allowed
        for role in ROLES:
            client = app.test_client() if role in (ANON,) or api else login_client(
                app, users[role])
            headers = ({"Authorization": f"Bearer {secrets[role].secret}"}
                       if api and role != ANON else {})
            kwargs: dict[str, Any] = {}
            if method in ("POST", "PATCH", "PUT"):
                # An empty body: every API route checks the role before reading it.
                kwargs = {"json": {}} if api else {"data": {}}
            if api:
                response = ApiClient(client, headers["Authorization"][7:]).open(
                    method, path, **kwargs) if headers else client.open(
                    path, method=method, **kwargs)
            else:
                response = client.open(path, method=method, **kwargs)
            response.get_data()  # a streamed export runs to its end, then lets go
            response.close()
            checked += 1
            status = response.status_code
            where = response.headers.get("Location", "")
            shown = f"{method} {path} as {role}: {status}" + (f" -> {where}" if where else "")
            if role in allowed:
                why = _refusal(api, role, response, case_page, rule.endpoint)
                if why is not None:
                    mismatches.append(f"{rule.endpoint}: allowed but refused ({why}): {shown}")
            elif not _expected_refusal(api, role, response, case_page, rule.endpoint,
                                       "reference" in rule.arguments):
                mismatches.append(f"{rule.endpoint}: not allowed but not refused: {shown}")

    assert checked == 4 * len(ROUTE_ROLES)
    assert not mismatches, "Routes whose roles differ from ROUTE_ROLES:\n" + "\n".join(mismatches)
