"""The applicant and the dependants of a case. (Being built: the full field set.)"""

from __future__ import annotations

from marshmallow import fields

from caseapp.api.base import ApiBlueprint
from caseapp.api.schemas import StrictSchema

blp = ApiBlueprint("api_people", __name__, url_prefix="/api/v1/cases",
                   description="The applicant and the dependants of a case.")


class ApplicantSchema(StrictSchema):
    given_name = fields.String(required=True)
    family_name = fields.String(required=True)


class ApplicantInputSchema(StrictSchema):
    given_name = fields.String(required=True)
    family_name = fields.String(required=True)
