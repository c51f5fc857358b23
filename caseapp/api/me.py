"""`GET /api/v1/me`: who the request acts as, and through which token."""

from __future__ import annotations

from typing import Any

from flask import g
from marshmallow import fields

from caseapp.api.base import ApiBlueprint, api_user
from caseapp.api.schemas import StrictSchema

blp = ApiBlueprint("api_me", __name__, url_prefix="/api/v1",
                   description="The signed-in user.")


class TokenInfoSchema(StrictSchema):
    id = fields.Integer(required=True)
    name = fields.String(required=True)
    prefix = fields.String(required=True, metadata={"description": "The token's first "
                                                    "characters, as your profile page lists it."})
    expires_at = fields.DateTime(required=True)
    last_used_at = fields.DateTime(allow_none=True, required=True)


class MeSchema(StrictSchema):
    id = fields.Integer(required=True)
    name = fields.String(required=True)
    email = fields.String(required=True)
    role = fields.String(required=True)
    sees_all_cases = fields.Boolean(required=True)
    token = fields.Nested(TokenInfoSchema, allow_none=True, required=True, metadata={
        "description": "The token this request came with; null for a browser session."})


@blp.get("/me")
@blp.response(200, MeSchema)
def me() -> dict[str, Any]:
    """Who you are: your name, role and the token you are using."""
    user = api_user()
    return {"id": user.id, "name": user.name, "email": user.email, "role": user.role.value,
            "sees_all_cases": user.sees_all_cases, "token": g.get("api_token")}
