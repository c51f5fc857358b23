"""The admins' rule set pages: every version, one in full, a new version from one, edits of an
unused stored version, and the impact preview (admins only, on the ``admin`` blueprint)."""

from __future__ import annotations

from typing import Any

from flask import abort, current_app, flash, redirect, render_template, url_for

from caseapp import clock
from caseapp.models import Role
from caseapp.queries.rulesets import (
    RuleSetEntry,
    find_rule_set,
    get_stored,
    rule_set_entries,
    times_used,
)
from caseapp.rules import RuleSet
from caseapp.services import rulesets as rule_set_service
from caseapp.services.errors import ServiceError
from caseapp.services.impact import LISTED, PREVIEW_STATUSES, preview_impact
from caseapp.web.access import acting_user, roles_required
from caseapp.web.admin.forms import rule_set_form
from caseapp.web.admin.routes import bp
from caseapp.web.formflow import form_failed


def _rule_set_or_404(version: str) -> RuleSet:
    rule_set = find_rule_set(version)
    if rule_set is None:
        abort(404)
    return rule_set


def _entry(version: str) -> RuleSetEntry:
    for entry in rule_set_entries(clock.today()):
        if entry.rule_set.version == version:
            return entry
    abort(404)


@bp.route("/rule-sets")
@roles_required(Role.ADMIN)
def rule_sets() -> str:
    today = clock.today()
    return render_template("admin/rule_sets.html", entries=rule_set_entries(today), today=today,
                           pinned=current_app.config.get("RULE_SET_VERSION"))


@bp.route("/rule-sets/<version>")
@roles_required(Role.ADMIN)
def rule_set(version: str) -> str:
    entry = _entry(version)
    return render_template("admin/rule_set.html", entry=entry, rule_set=entry.rule_set)


@bp.route("/rule-sets/<version>/new", methods=["GET", "POST"])
@roles_required(Role.ADMIN)
def new_rule_set(version: str) -> Any:
    base = _rule_set_or_404(version)
    prefill = rule_set_service.editable_values(base)
    # The name, title and day are the new version's own: nothing to copy from the base.
    prefill.update(version="", title="", effective_date=None)
    form = rule_set_form(base, prefill)
    if form.validate_on_submit():
        try:
            row = rule_set_service.create_rule_set(acting_user(), base.version,
                                                   form.rule_set_values())
        except ServiceError as error:
            form_failed(form, error)
        else:
            flash(f"Rule set {row.version} created from {base.version}; it takes effect on "
                  f"{row.effective_date.isoformat()}. Preview its impact before then.",
                  "success")
            return redirect(url_for("admin.rule_set", version=row.version))
    return render_template("admin/rule_set_form.html", form=form, base=base, editing=False)


@bp.route("/rule-sets/<version>/edit", methods=["GET", "POST"])
@roles_required(Role.ADMIN)
def edit_rule_set(version: str) -> Any:
    current = _rule_set_or_404(version)
    if get_stored(version) is None:
        flash(f"{version} is a packaged rule set: it cannot change here; create a new version "
              "from it.", "error")
        return redirect(url_for("admin.rule_set", version=version))
    if times_used(version):
        flash(rule_set_service.used_message(version), "error")
        return redirect(url_for("admin.rule_set", version=version))
    form = rule_set_form(current, rule_set_service.editable_values(current))
    if form.validate_on_submit():
        try:
            row = rule_set_service.update_rule_set(acting_user(), version,
                                                   form.rule_set_values())
        except ServiceError as error:
            form_failed(form, error)
        else:
            flash(f"Rule set {row.version} saved.", "success")
            return redirect(url_for("admin.rule_set", version=row.version))
    return render_template("admin/rule_set_form.html", form=form, base=current, editing=True)


@bp.route("/rule-sets/<version>/impact")
@roles_required(Role.ADMIN)
def rule_set_impact(version: str) -> str:
    candidate = _rule_set_or_404(version)
    report = preview_impact(candidate, limit=LISTED)
    return render_template("admin/rule_set_impact.html", report=report, candidate=candidate,
                           statuses=[s.label for s in PREVIEW_STATUSES])
