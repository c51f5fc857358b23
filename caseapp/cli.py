"""``flask --app caseapp`` commands: users, seed-demo."""

from __future__ import annotations

import click
from flask import Flask
from flask.cli import AppGroup
from sqlalchemy import func, select

from caseapp.extensions import db
from caseapp.models import Case, Role, User
from caseapp.services import users as user_service
from caseapp.services.errors import ValidationFailed

users_cli = AppGroup("users", help="Manage user accounts.")


def _fail(error: ValidationFailed) -> None:
    for field, messages in error.errors.items():
        for message in messages:
            click.echo(f"error: {field}: {message}", err=True)
    raise SystemExit(1)


@users_cli.command("create")
@click.option("--email", required=True)
@click.option("--name", required=True)
@click.option("--role", type=click.Choice([r.value for r in Role]), required=True)
@click.option("--password", prompt=True, hide_input=True, confirmation_prompt=True)
def create_user(email: str, name: str, role: str, password: str) -> None:
    """Create a user who can sign in."""
    try:
        user = user_service.create_user(email, name, Role(role), password)
    except ValidationFailed as error:
        _fail(error)
    else:
        click.echo(f"Created {user.role.value} {user.email}")


@users_cli.command("list")
def list_users() -> None:
    """List every user with role and state."""
    for user in db.session.scalars(select(User).order_by(User.role, User.email)):
        state = "active" if user.active else "deactivated"
        click.echo(f"{user.email:<40} {user.role.value:<11} {state:<12} {user.name}")


@users_cli.command("deactivate")
@click.argument("email")
def deactivate_user(email: str) -> None:
    """Stop a user from signing in; their open sessions end on their next request."""
    user = user_service.find_by_email(email)
    if user is None:
        raise click.ClickException(f"No user with email {email}")
    user_service.set_active(user, False)
    click.echo(f"Deactivated {user.email}")


@users_cli.command("activate")
@click.argument("email")
def activate_user(email: str) -> None:
    """Let a deactivated user sign in again."""
    user = user_service.find_by_email(email)
    if user is None:
        raise click.ClickException(f"No user with email {email}")
    user_service.set_active(user, True)
    click.echo(f"Activated {user.email}")


@click.command("seed-demo")
def seed_demo() -> None:
    """Demo users and cases, into an empty database only; prints the logins."""
    from caseapp.demo import DEMO_PASSWORD, DEMO_USERS, seed

    has_data = (db.session.scalar(select(func.count(User.id))) or 0) + (
        db.session.scalar(select(func.count(Case.id))) or 0
    )
    if has_data:
        click.echo("The database has data already: demo data not added.")
    else:
        users, cases = seed()
        click.echo(f"Seeded {len(users)} demo users and {cases} demo cases.")
    click.echo(f"Demo logins (password for each: {DEMO_PASSWORD}):")
    demo_emails = [email for email, _, _ in DEMO_USERS]
    for user in db.session.scalars(select(User).where(User.email.in_(demo_emails))):
        click.echo(f"  {user.role.value:<11} {user.email}")


def register(app: Flask) -> None:
    app.cli.add_command(users_cli)
    app.cli.add_command(seed_demo)
