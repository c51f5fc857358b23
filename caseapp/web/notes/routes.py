"""Notes on a case and the client contact log.

Whoever may see the case (its consultant; managers and admins) may add a note; only a note's
author may correct it, within the edit window. The case page shows the newest notes and the
form (``notes_panel``); this blueprint's own pages hold the form again when it needs fixing,
the correction form and the older notes.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, flash, render_template, request
from flask_login import login_required

from caseapp.models import Case, CaseNote, User
from caseapp.queries.notes import get_note, notes_page
from caseapp.services import notes as note_service
from caseapp.services.errors import ServiceError
from caseapp.web.access import acting_user, case_or_404
from caseapp.web.formflow import case_page, save_form
from caseapp.web.notes.forms import NoteForm

bp = Blueprint("notes", __name__)

ANCHOR = "notes"


@bp.app_template_global("notes_panel")
def notes_panel(case: Case) -> dict[str, Any]:
    """What the case page's notes section shows: the newest notes, which of them the viewer
    may still correct, and a blank form stamped with the case version."""
    page = notes_page(case)
    user = acting_user()
    return {"page": page, "form": NoteForm(formdata=None, version=str(case.version)),
            "editable": _editable_ids(user, page.items)}


def _editable_ids(user: User, notes: list[CaseNote]) -> set[int]:
    return {n.id for n in notes if note_service.can_edit(user, n)}


@bp.route("/cases/<reference>/notes")
@login_required
def index(reference: str) -> str:
    case = case_or_404(reference)
    page = notes_page(case, request.args.get("after"))
    return render_template("notes/index.html", case=case, page=page,
                           editable=_editable_ids(acting_user(), page.items))


@bp.route("/cases/<reference>/notes/new", methods=["GET", "POST"])
@login_required
def add_note(reference: str) -> Any:
    case = case_or_404(reference)
    form = NoteForm()
    return save_form(
        case, form,
        save=lambda: note_service.add_note(acting_user(), case, form.note_values(),
                                           form.expected_version()),
        success=lambda note: ("Note added; its follow-up is on the case's deadlines."
                              if note.follow_up_on else "Note added."),
        render=lambda: render_template("notes/form.html", form=form, case=case, note=None),
        anchor=ANCHOR,
    )


@bp.route("/cases/<reference>/notes/<int:note_id>/edit", methods=["GET", "POST"])
@login_required
def edit_note(reference: str, note_id: int) -> Any:
    case = case_or_404(reference)
    note = get_note(case, note_id)
    if note is None:
        abort(404)
    user = acting_user()
    try:
        note_service.ensure_editable_by(user, note)
    except ServiceError as refusal:
        flash(refusal.message, "error")
        return case_page(case, ANCHOR)
    form = NoteForm.for_note(note)
    return save_form(
        case, form,
        save=lambda: note_service.edit_note(user, note, form.note_values(),
                                            form.expected_version()),
        success=lambda changes: "Note corrected." if changes else "Nothing changed.",
        render=lambda: render_template("notes/form.html", form=form, case=case, note=note,
                                       editable_until=note_service.editable_until(note)),
        anchor=ANCHOR,
    )

