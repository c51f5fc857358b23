"""Forms of the admins' pages."""

from __future__ import annotations

from decimal import Decimal
from typing import Any, ClassVar

from wtforms import HiddenField, SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, InputRequired, Length, ValidationError

from caseapp.models import Role
from caseapp.rules import RuleSet
from caseapp.services.deposits import MAX_RATE, RATE_PLACES
from caseapp.services.people import has_unsafe_characters
from caseapp.services.rates import MAX_SOURCE_LENGTH
from caseapp.services.rulesets import criterion_fields
from caseapp.services.users import MAX_NAME_LENGTH
from caseapp.web.deposits.forms import CurrencyField, positive_decimal
from caseapp.web.fields import ExactDecimalField, FriendlyDateField, not_in_future
from caseapp.web.textcheck import SafeTextForm


def _strip(value: Any) -> Any:
    return value.strip() if isinstance(value, str) else value


class RateForm(SafeTextForm):
    """One reference rate: HKD for one unit of a currency on a day, and where it comes from."""

    currency = CurrencyField("Currency", without_hkd=True, default="USD")
    rate_date = FriendlyDateField(
        "Date", validators=[InputRequired(message="Enter the date of the rate."),
                            not_in_future()])
    rate = ExactDecimalField(
        "Rate to HKD", normalize=True, what="rate", example="7.8125",
        validators=[InputRequired(message="Enter the rate: HKD for one unit of the currency."),
                    positive_decimal(MAX_RATE, RATE_PLACES, "rate")])
    source = StringField(
        "Source",
        validators=[DataRequired(message="Say where the rate comes from, such as HKMA."),
                    Length(max=MAX_SOURCE_LENGTH,
                           message=f"Keep the source to {MAX_SOURCE_LENGTH} characters.")],
        filters=[_strip])

    def rate_values(self) -> dict[str, Any]:
        return {"currency": self.currency.data, "rate_date": self.rate_date.data,
                "rate": self.rate.data, "source": self.source.data}


class DeleteForm(SafeTextForm):
    """The delete button: CSRF only."""


# ---- rule sets ---------------------------------------------------------------------------------

def _text(label: str, **kwargs: Any) -> StringField:
    # Numbers are read by the service (caseapp.services.rulesets), which says what is wrong
    # with each in words, beside its field; the form keeps exactly what was typed.
    return StringField(label, filters=[_strip], render_kw={"inputmode": "numeric",
                                                            "autocomplete": "off"}, **kwargs)


class RuleSetForm(SafeTextForm):
    """A rule set version: its name, title, effective date and every number an admin may
    change. The General Points Test's fields are added per base by :func:`rule_set_form`."""

    version = StringField("Version", filters=[_strip],
                          render_kw={"autocomplete": "off", "spellcheck": "false"})
    title = StringField("Title", filters=[_strip])
    effective_date = FriendlyDateField("Effective date")
    minimum_age = _text("Minimum age of the applicant (P1)")
    dependant_child_max_age = _text("A child may accompany while under this age (P7)")
    deposit_single_hkd = _text("Deposit, single applicant (HKD, P2)")
    deposit_family_hkd = _text("Deposit, family application (HKD, P2)")
    deposit_freshness_months = _text("A bank statement counts for (months)")
    passport_warning_months = _text("Warn when the passport expires within (months)")
    excluded_nationalities = TextAreaField(
        "Excluded nationalities (P6): ISO 3166-1 alpha-3 codes", filters=[_strip],
        render_kw={"rows": 3, "spellcheck": "false"})

    general_fields: ClassVar[list[str]] = []

    def rule_set_values(self) -> dict[str, Any]:
        return {name: field.data for name, field in self._fields.items()
                if name != "csrf_token"}


def _as_text(value: Any) -> Any:
    if isinstance(value, list):
        return " ".join(value)
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, int):
        return str(value)
    return value


def rule_set_form(base: RuleSet, prefill: dict[str, Any]) -> RuleSetForm:
    """The form for a version made from (or editing) ``base``: one field per number of its
    General Points Test (the pass mark of a points table; the threshold count and each
    criterion's numbers), prefilled from ``prefill`` unless the request carries the form."""

    class Form(RuleSetForm):
        pass

    general: list[str] = []
    if base.general_points_kind == "criteria":
        Form.threshold = _text("Criteria to meet (threshold count)")
        general.append("threshold")
        for spec in criterion_fields(base):
            unit = "HKD" if spec.name == "min_hkd" else (
                "age" if spec.name == "max_age" else "years")
            setattr(Form, spec.key, _text(f"Criterion {spec.number}: {spec.title} ({unit})"))
            general.append(spec.key)
    else:
        Form.pass_mark = _text("Pass mark of the General Points Test")
        general.append("pass_mark")
    Form.general_fields = general
    return Form(data={name: _as_text(value) for name, value in prefill.items()})


# ---- users -------------------------------------------------------------------------------------

ROLE_CHOICES = [(role.value, role.label) for role in Role]
MAX_EMAIL_LENGTH = 254


class RoleField(SelectField):
    """One of the roles; anything else sent is an error beside the field."""

    def __init__(self, label: str = "Role", **kwargs: Any) -> None:
        super().__init__(label, choices=[SelectChoice(value=value, label=text)
                                         for value, text in ROLE_CHOICES],
                         default=Role.CONSULTANT.value, **kwargs)

    def pre_validate(self, form: Any) -> None:
        if self.data not in {value for value, _text in ROLE_CHOICES}:
            raise ValidationError("Choose one of the roles listed.")


def _name_field() -> StringField:
    return StringField(
        "Name",
        validators=[DataRequired(message="Enter the user's name."),
                    Length(max=MAX_NAME_LENGTH,
                           message=f"Keep the name to {MAX_NAME_LENGTH} characters.")],
        filters=[_strip], render_kw={"autocomplete": "off"})


def _as_shown(value: Any) -> Any:
    # Sent back by the browser, not typed: anything a name cannot hold simply differs from
    # the current value (the edit is then refused as stale), and is never rendered again.
    return "" if isinstance(value, str) and has_unsafe_characters(value) else value


class UserCreateForm(SafeTextForm):
    """A new user: who they are and their role. The password is generated (shown once) and
    must be changed at the first sign-in; the service checks the email and name again."""

    email = StringField(
        "Email",
        validators=[DataRequired(message="Enter the user's email address: they sign in "
                                         "with it."),
                    Length(max=MAX_EMAIL_LENGTH,
                           message=f"Keep the address to {MAX_EMAIL_LENGTH} characters.")],
        filters=[_strip],
        render_kw={"type": "email", "autocomplete": "off", "spellcheck": "false"})
    name = _name_field()
    role = RoleField()


class UserEditForm(SafeTextForm):
    """A user's name and role, with the values the form showed (users carry no version: an
    edit whose shown values changed meanwhile is refused rather than undoing that change)."""

    name = _name_field()
    role = RoleField()
    seen_name = HiddenField(filters=[_as_shown])
    seen_role = HiddenField(filters=[_as_shown])

    def seen(self) -> dict[str, str]:
        return {"name": self.seen_name.data or "", "role": self.seen_role.data or ""}


class UserActionForm(SafeTextForm):
    """A button on a user (deactivate, reactivate, reset the password): CSRF only."""
