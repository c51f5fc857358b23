"""Users, for admins: list (keyset pages by name), create, read, change name, role and active.

Every route is for admins only (403 for anyone else, before the request is read). The
changes go through `services.users`, audited like the pages' and the CLI's: a change that
would leave no active admin is refused with 409. Password hashes never leave.
"""

from __future__ import annotations

from typing import Any

from marshmallow import ValidationError, fields, validate, validates_schema

from caseapp.api.base import ApiBlueprint, api_user, found_or_404, require_role
from caseapp.api.fields import Text
from caseapp.api.schemas import CursorPageSchema, StrictSchema
from caseapp.extensions import db
from caseapp.models import Role, User
from caseapp.queries.users import UserPage, user_page
from caseapp.services import users as user_service

blp = ApiBlueprint("api_users", __name__, url_prefix="/api/v1/users",
                   description="User accounts (admins only): list, create, read, change.")

ROLES = [r.value for r in Role]
MAX_PER_PAGE = 200
MAX_PASSWORD_LENGTH = 1000  # argon2 hashes whatever it is given: no megabyte passwords


@blp.before_request
def _admins_only() -> None:
    require_role(Role.ADMIN)


class UserListQuery(StrictSchema):
    role = fields.String(validate=validate.OneOf(ROLES))
    active = fields.Boolean(metadata={"description": "Only active (true) or deactivated "
                                                     "(false) users."})
    after = fields.String(validate=validate.Length(max=1000),
                          metadata={"description": "next_cursor of the page before."})
    before = fields.String(validate=validate.Length(max=1000),
                           metadata={"description": "prev_cursor of the page after."})
    per_page = fields.Integer(validate=validate.Range(1, MAX_PER_PAGE), load_default=50)


class UserSchema(StrictSchema):
    id = fields.Integer(required=True)
    email = fields.String(required=True)
    name = fields.String(required=True)
    role = fields.String(required=True, validate=validate.OneOf(ROLES))
    active = fields.Boolean(required=True, metadata={
        "description": "False: the user cannot sign in and their API tokens do not work."})
    created_at = fields.DateTime(required=True)


class UserPageSchema(CursorPageSchema):
    items = fields.List(fields.Nested(UserSchema), required=True)


class UserCreateSchema(StrictSchema):
    email = Text(required=True, validate=validate.Length(max=254))
    name = Text(required=True, validate=validate.Length(max=1000))
    role = fields.String(required=True, validate=validate.OneOf(ROLES))
    password = Text(required=True, load_only=True,
                             validate=validate.Length(max=MAX_PASSWORD_LENGTH),
                             metadata={"description": "At least 10 characters."})


class UserUpdateSchema(StrictSchema):
    name = Text(validate=validate.Length(max=1000))
    role = fields.String(validate=validate.OneOf(ROLES))
    active = fields.Boolean(metadata={"description": "false deactivates the user: signed "
                                                     "out, and their tokens stop working."})

    @validates_schema
    def _something(self, data: dict[str, Any], **_kwargs: Any) -> None:
        if not data:
            raise ValidationError("Send at least one of name, role and active.")


# ---- the routes ------------------------------------------------------------------------------

@blp.get("")
@blp.arguments(UserListQuery, location="query")
@blp.response(200, UserPageSchema)
def list_users(query: dict[str, Any]) -> UserPage:
    """Every user by name, a page at a time; optionally of one role, or only active (or
    only deactivated) ones. Follow `next_cursor` with `after`."""
    return user_page(query.get("role"), query.get("active"), query.get("after"),
                     query.get("before"), query["per_page"])


@blp.post("")
@blp.arguments(UserCreateSchema)
@blp.response(201, UserSchema)
def create_user(data: dict[str, Any]) -> Any:
    """Create a user who can sign in (and create their own API tokens)."""
    user = user_service.create_user(data["email"], data["name"], Role(data["role"]),
                                    data["password"], actor=api_user())
    return user, 201, {"Location": f"/api/v1/users/{user.id}"}


@blp.get("/<int:user_id>")
@blp.response(200, UserSchema)
def read_user(user_id: int) -> User:
    """One user."""
    return found_or_404(db.session.get(User, user_id))


@blp.patch("/<int:user_id>")
@blp.arguments(UserUpdateSchema)
@blp.response(200, UserSchema)
def update_user(data: dict[str, Any], user_id: int) -> User:
    """Change a user's name, role or active state (only the fields sent). The last active
    admin cannot be demoted or deactivated: 409."""
    user = found_or_404(db.session.get(User, user_id))
    user_service.update_user(api_user(), user, name=data.get("name"),
                             role=Role(data["role"]) if "role" in data else None,
                             active=data.get("active"))
    return user
