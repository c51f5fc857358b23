"""Deposit evidence: the bank statements behind QMAS P2. Record, correct, verify, reject.

Money and rates are decimal strings both ways. The figures go to `services.deposits` as
they were sent, and it reads them with the same parser as the deposit form, compares the
rate with the admins' reference rate and keeps four-eyes: whoever recorded or last edited a
statement does not verify or reject it (409, with the reason).
"""

from __future__ import annotations

from typing import Any

from marshmallow import fields, validate

from caseapp.api.base import (
    ETAG_HEADER,
    IF_MATCH,
    ApiBlueprint,
    api_user,
    case_or_404,
    etag_headers,
    expected_version,
    found_or_404,
)
from caseapp.api.fields import (
    CREATED_HEADERS,
    CURRENCY_CODES,
    DecimalText,
    EnumText,
    InputSchema,
    PartialUpdate,
    StrictBoolean,
    Text,
    not_blank,
)
from caseapp.api.schemas import DecimalString, StrictSchema, UserRefSchema
from caseapp.extensions import db
from caseapp.models import DepositEvidence
from caseapp.queries.deposits import deposit_panel_context, get_deposit
from caseapp.rules.vocab import EvidenceStatus
from caseapp.services import deposits as deposit_service
from caseapp.services.deposits import (
    FIGURE_FIELDS,
    MAX_REASON_LENGTH,
    MAX_TEXT_LENGTH,
    RateConfirmation,
)
from caseapp.web.security import MAX_ID

blp = ApiBlueprint("api_deposits", __name__, url_prefix="/api/v1/cases",
                   description="Deposit evidence: bank statements, their HKD value, and their "
                               "review (four-eyes).")


def _statement_text(what: str, **kwargs: Any) -> Text:
    return Text(validate=[validate.Length(max=MAX_TEXT_LENGTH,
                                          error=f"Keep the {what} to {MAX_TEXT_LENGTH} "
                                                "characters."),
                          not_blank(f"Enter the {what}.")], **kwargs)


class DepositInputSchema(InputSchema):
    """A bank statement as a client records it."""

    amount = DecimalText(required=True, what="amount", example="250000.00", metadata={
        "description": "The balance shown on the statement, in its currency."})
    currency = fields.String(required=True, validate=validate.OneOf(
        CURRENCY_CODES, error="Use the ISO 4217 code of a currency a bank account holds, "
                              "such as USD."))
    rate_to_hkd = DecimalText(allow_none=True, what="rate", example="7.8125", metadata={
        "description": "HKD for one unit of the currency. Left out or null: the reference "
                       "rate of the statement date (1 for HKD)."})
    statement_date = fields.Date(required=True, metadata={
        "description": "Not in the future."})
    bank = _statement_text("bank's name", required=True)
    account_holder = _statement_text("account holder's name", required=True)
    document_id = fields.Integer(strict=True, allow_none=True,
                                 validate=validate.Range(1, MAX_ID), metadata={
        "description": "The uploaded bank statement the figures come from (a current "
                       "bank_statement document of the case); verifying needs it. Null: "
                       "not linked."})
    confirm_rate = StrictBoolean(metadata={
        "description": "Managers and admins: the rate stands although it is away from the "
                       "reference rate (or there is none)."})
    confirm_reason = Text(multi_line=True, validate=validate.Length(max=MAX_REASON_LENGTH),
                          metadata={"description": "Why the rate stands; needed with "
                                                   "confirm_rate."})


class DepositUpdateSchema(PartialUpdate, DepositInputSchema):
    """A correction: the figures sent replace the stored ones, the others stay (send
    `rate_to_hkd` null to take the reference rate again). `document_id` left out keeps
    the link; null removes it. Reviewed evidence goes back to pending."""


class DepositRejectSchema(InputSchema):
    reason = Text(required=True, multi_line=True, validate=[
        validate.Length(max=MAX_REASON_LENGTH,
                        error=f"Keep the reason to {MAX_REASON_LENGTH} characters."),
        not_blank("Say why the evidence is rejected.")])


class DepositSchema(StrictSchema):
    id = fields.Integer(required=True)
    amount = DecimalString(required=True)
    currency = fields.String(required=True)
    rate_to_hkd = DecimalString(required=True)
    amount_hkd = DecimalString(required=True, metadata={
        "description": "amount times rate_to_hkd, computed by the service."})
    statement_date = fields.Date(required=True)
    bank = fields.String(required=True)
    account_holder = fields.String(required=True)
    document_id = fields.Integer(allow_none=True, required=True)
    status = EnumText(EvidenceStatus, required=True, metadata={
        "description": "Only verified evidence counts."})
    recorded_by = fields.Nested(UserRefSchema, required=True)
    recorded_at = fields.DateTime(required=True)
    edited_by = fields.Nested(UserRefSchema, allow_none=True, required=True)
    edited_at = fields.DateTime(allow_none=True, required=True)
    verified_by = fields.Nested(UserRefSchema, allow_none=True, required=True)
    verified_at = fields.DateTime(allow_none=True, required=True)
    rejected_by = fields.Nested(UserRefSchema, allow_none=True, required=True)
    rejected_at = fields.DateTime(allow_none=True, required=True)
    rejection_reason = fields.String(required=True)
    reference_rate = DecimalString(allow_none=True, required=True, metadata={
        "description": "The admins' reference rate the rate was compared with."})
    reference_rate_date = fields.Date(allow_none=True, required=True)
    rate_confirmed_by = fields.Nested(UserRefSchema, allow_none=True, required=True)
    rate_confirmed_at = fields.DateTime(allow_none=True, required=True)
    rate_confirmation_reason = fields.String(required=True)
    review_refusal = fields.Method("_review_refusal", allow_none=True, required=True,
                                   metadata={"type": "string", "description": (
                                       "Why you may not verify or reject it (four-eyes), "
                                       "or null.")})
    verification_blocker = fields.Method("_verification_blocker", allow_none=True,
                                         required=True, metadata={
                                             "type": "string", "description": (
                                                 "What it lacks before anyone may verify "
                                                 "it, or null.")})

    def _review_refusal(self, evidence: DepositEvidence) -> str | None:
        return deposit_service.review_refusal(api_user(), evidence)

    def _verification_blocker(self, evidence: DepositEvidence) -> str | None:
        return deposit_service.verification_blocker(evidence)


class DepositListSchema(StrictSchema):
    items = fields.List(fields.Nested(DepositSchema), required=True, metadata={
        "description": "Newest statement first."})


def _confirmation(data: dict[str, Any]) -> RateConfirmation:
    return RateConfirmation(bool(data.get("confirm_rate", False)),
                            data.get("confirm_reason") or "")


def _figures(data: dict[str, Any]) -> dict[str, Any]:
    """What the service takes: the statement's figures and (if sent) its document."""
    return {name: data[name] for name in deposit_service.DEPOSIT_FIELDS if name in data}


@blp.get("/<reference>/deposits")
@blp.response(200, DepositListSchema, headers=ETAG_HEADER)
def list_deposits(reference: str) -> Any:
    """The case's deposit evidence, newest statement first, as the case page lists it."""
    case = case_or_404(reference)
    return {"items": deposit_panel_context(case)["deposits"]}, 200, etag_headers(case)


@blp.post("/<reference>/deposits")
@blp.arguments(DepositInputSchema)
@blp.response(201, DepositSchema, headers=CREATED_HEADERS)
@blp.doc(parameters=[IF_MATCH])
def record_deposit(data: dict[str, Any], reference: str) -> Any:
    """Record a bank statement; it waits, pending, for a colleague to verify it. The HKD
    value is computed from the amount and the rate."""
    case = case_or_404(reference)
    evidence = deposit_service.record_deposit(api_user(), case, _figures(data),
                                              expected_version(), _confirmation(data))
    db.session.refresh(evidence)  # money as stored ("300000.00"), as a GET reads it
    return evidence, 201, {**etag_headers(case),
                           "Location": f"/api/v1/cases/{case.reference}/deposits/{evidence.id}"}


@blp.get("/<reference>/deposits/<int:evidence_id>")
@blp.response(200, DepositSchema, headers=ETAG_HEADER)
def read_deposit(reference: str, evidence_id: int) -> Any:
    case = case_or_404(reference)
    return found_or_404(get_deposit(case, evidence_id)), 200, etag_headers(case)


@blp.patch("/<reference>/deposits/<int:evidence_id>")
@blp.arguments(DepositUpdateSchema)
@blp.response(200, DepositSchema, headers=ETAG_HEADER)
@blp.doc(parameters=[IF_MATCH])
def update_deposit(data: dict[str, Any], reference: str, evidence_id: int) -> Any:
    """Correct the figures or the linked statement. Verified or rejected evidence goes back
    to pending (the review was of other figures), and the editor may not review it."""
    case = case_or_404(reference)
    evidence = found_or_404(get_deposit(case, evidence_id))
    values = {name: getattr(evidence, name) for name in FIGURE_FIELDS}
    values.update(_figures(data))
    if deposit_service.update_deposit(api_user(), case, evidence, values, expected_version(),
                                      _confirmation(data)):
        db.session.refresh(evidence)
    return evidence, 200, etag_headers(case)


@blp.post("/<reference>/deposits/<int:evidence_id>/verify")
@blp.response(200, DepositSchema, headers=ETAG_HEADER)
@blp.doc(parameters=[IF_MATCH])
def verify_deposit(reference: str, evidence_id: int) -> Any:
    """Mark the statement as checked against the original: it counts from now on. Not by
    whoever recorded or last edited it; it needs its uploaded statement linked."""
    case = case_or_404(reference)
    evidence = found_or_404(get_deposit(case, evidence_id))
    deposit_service.verify_deposit(api_user(), case, evidence, expected_version())
    return evidence, 200, etag_headers(case)


@blp.post("/<reference>/deposits/<int:evidence_id>/reject")
@blp.arguments(DepositRejectSchema)
@blp.response(200, DepositSchema, headers=ETAG_HEADER)
@blp.doc(parameters=[IF_MATCH])
def reject_deposit(data: dict[str, Any], reference: str, evidence_id: int) -> Any:
    """Refuse the statement, saying why, so the consultant knows what to ask the client
    for. Not by whoever recorded or last edited it."""
    case = case_or_404(reference)
    evidence = found_or_404(get_deposit(case, evidence_id))
    deposit_service.reject_deposit(api_user(), case, evidence, data["reason"],
                                   expected_version())
    return evidence, 200, etag_headers(case)
