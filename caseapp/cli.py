"""``flask --app caseapp`` commands: users, tokens, seed-demo, seed-bulk, checks, rates,
backup, reminders."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import NoReturn, TextIO

import click
from flask import Flask
from flask.cli import AppGroup
from sqlalchemy import func, select

from caseapp import clock
from caseapp.extensions import db
from caseapp.models import Case, Role, User
from caseapp.rules import CheckResult
from caseapp.services import users as user_service
from caseapp.services.errors import NotAllowed, ServiceError, ValidationFailed

users_cli = AppGroup("users", help="Manage user accounts.")


def _fail(error: ValidationFailed) -> NoReturn:
    for field, messages in error.errors.items():
        for message in messages:
            click.echo(f"error: {field}: {message}", err=True)
    raise SystemExit(1)


def _refused(error: ServiceError) -> NoReturn:
    """A service's refusal on stderr, field by field where it names them; exit status 1."""
    if isinstance(error, ValidationFailed):
        _fail(error)
    click.echo(f"error: {error.message}", err=True)
    raise SystemExit(1)


def _user_by_email(email: str) -> User:
    user = user_service.find_by_email(email)
    if user is None:
        raise click.ClickException(f"No user with email {email}")
    return user


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
    user = _user_by_email(email)
    try:
        user_service.set_active(user, False)
    except NotAllowed as error:  # the last active admin
        _refused(error)
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


tokens_cli = AppGroup("tokens", help="Personal API tokens (Authorization: Bearer <token>).")


def _acting(owner: User, as_email: str | None) -> User:
    """Who the change is attributed to: the admin of ``--as``, else the token's owner."""
    if not as_email:
        return owner
    actor = _user_by_email(as_email)
    if not actor.active:
        raise click.ClickException(f"{actor.email} is deactivated and cannot act.")
    return actor


@tokens_cli.command("create")
@click.option("--user", "user_email", required=True, help="Email of the token's owner.")
@click.option("--name", required=True, help="What will use it, for example \"CRM sync\".")
@click.option("--expires", type=click.DateTime(formats=["%Y-%m-%d"]),
              help="The last day it works, YYYY-MM-DD (default: 90 days from today).")
@click.option("--as", "as_email",
              help="An admin creating it for the user (default: the user themselves).")
def create_token_command(user_email: str, name: str, expires: datetime | None,
                         as_email: str | None) -> None:
    """Create a token and print its secret, once: only its hash is kept.

    The secret alone goes to stdout (to pipe into a secret store); what was created, to
    stderr."""
    from caseapp.services import tokens

    owner = _user_by_email(user_email)
    actor = _acting(owner, as_email)
    last_day = expires.date() if expires is not None else tokens.default_expiry()
    try:
        issued = tokens.create_token(actor, owner, name, last_day)
    except ServiceError as error:
        _refused(error)
    click.echo(issued.secret)
    click.echo(f"Created the token \"{issued.token.name}\" ({issued.token.prefix}...) for "
               f"{owner.email}, working through {last_day.isoformat()}. The line above is its "
               "secret: it is shown only this once.", err=True)


@tokens_cli.command("list")
@click.option("--user", "user_email", required=True, help="Email of the tokens' owner.")
def list_tokens_command(user_email: str) -> None:
    """List a user's tokens, newest first: id, name, first characters, created, last working
    day, last used, status. Never a secret."""
    from caseapp.queries.tokens import token_status, tokens_of
    from caseapp.services.tokens import last_valid_day

    owner = _user_by_email(user_email)
    listed = tokens_of(owner)
    if not listed:
        click.echo(f"{owner.email} has no API tokens.")
        return
    zone = clock.business_timezone()  # times as the profile page shows them
    for token in listed:
        used = (f"{token.last_used_at.astimezone(zone):%Y-%m-%d %H:%M}"
                if token.last_used_at is not None else "never")
        click.echo(f"{token.id:>6}  {token.name:<30} {token.prefix}...  "
                   f"created {token.created_at.astimezone(zone):%Y-%m-%d %H:%M}  "
                   f"through {last_valid_day(token).isoformat()}  last used {used:<16}  "
                   f"{token_status(token)}")


@tokens_cli.command("revoke")
@click.option("--user", "user_email", required=True, help="Email of the token's owner.")
@click.option("--name", help="The name of the working token to revoke.")
@click.option("--id", "token_id", type=click.IntRange(min=1, max=2**31 - 1),
              help="The id of the token to revoke (as tokens list shows it).")
@click.option("--as", "as_email",
              help="An admin revoking it for the user (default: the user themselves).")
def revoke_token_command(user_email: str, name: str | None, token_id: int | None,
                         as_email: str | None) -> None:
    """Revoke a user's token, by --name or --id: it is refused from this moment on."""
    from caseapp.queries.tokens import get_token, working_token_named
    from caseapp.services import tokens

    if (name is None) == (token_id is None):
        raise click.UsageError("Give the token's --name or its --id (not both).")
    owner = _user_by_email(user_email)
    actor = _acting(owner, as_email)
    if token_id is not None:
        token = get_token(owner, token_id)
        if token is None:
            raise click.ClickException(f"{owner.email} has no token {token_id}")
    else:
        token = working_token_named(owner, name or "")
        if token is None:
            raise click.ClickException(f"{owner.email} has no working token called {name!r}")
    try:
        tokens.revoke_token(actor, token)
    except ServiceError as error:
        _refused(error)
    click.echo(f"Revoked the token \"{token.name}\" ({token.prefix}...) of {owner.email}.")


@click.command("seed-demo")
def seed_demo() -> None:
    """Demo users and cases, into an empty database only; prints the logins."""
    from flask import current_app

    from caseapp.demo import DEMO_PASSWORD, DEMO_USERS, seed

    if current_app.config.get("CASEAPP_ENV") == "production":
        raise click.ClickException("Demo users have a published password: not in production.")

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


@click.command("seed-bulk")
@click.option("--cases", type=click.IntRange(min=0), default=100_000, show_default=True)
@click.option("--consultants", type=click.IntRange(min=1), default=40, show_default=True)
@click.option("--seed", type=int, default=None, help="Random seed (default: a fixed one).")
def seed_bulk_command(cases: int, consultants: int, seed: int | None) -> None:
    """Benchmark data: many varied cases with history and real check runs, into an empty
    database only; prints the logins."""
    import time

    from flask import current_app

    from caseapp.bulk import (
        BULK_EMAIL_DOMAIN,
        BULK_PASSWORD,
        DEFAULT_SEED,
        BulkSeedRefused,
        seed_bulk,
    )

    if current_app.config.get("CASEAPP_ENV") == "production":
        raise click.ClickException("Bulk users have a published password: not in production.")
    started = time.perf_counter()
    try:
        with click.progressbar(length=cases, label="Seeding cases") as bar:
            counts = seed_bulk(cases, consultants, DEFAULT_SEED if seed is None else seed,
                               progress=bar.update)
    except BulkSeedRefused as refused:
        raise click.ClickException(str(refused)) from None
    click.echo(f"Seeded in {time.perf_counter() - started:.1f} s:")
    for table, count in counts.items():
        click.echo(f"  {table:<17} {count:>9,}")
    click.echo(f"Logins (password for each: {BULK_PASSWORD}): admin@{BULK_EMAIL_DOMAIN}, "
               f"manager1@{BULK_EMAIL_DOMAIN}, manager2@{BULK_EMAIL_DOMAIN}, "
               f"consultant01@{BULK_EMAIL_DOMAIN} ... consultant{consultants:02d}@"
               f"{BULK_EMAIL_DOMAIN}")


checks_cli = AppGroup("checks", help="Run the QMAS requirement checks.")


@checks_cli.command("run")
@click.argument("reference", required=False)
@click.option("--all", "all_open", is_flag=True, help="Re-check every open case.")
@click.option("--as", "as_email", help="Attribute the run to this user (default: the system).")
def run_checks_command(reference: str | None, all_open: bool, as_email: str | None) -> None:
    """Check one case by REFERENCE and print the result, or --all open cases and count."""
    from caseapp.services import checks

    if bool(reference) == all_open:
        raise click.UsageError("Give a case REFERENCE or --all (not both).")
    actor = None
    if as_email:
        actor = user_service.find_by_email(as_email)
        if actor is None:
            raise click.ClickException(f"No user with email {as_email}")
    if all_open:
        counts = checks.check_open_cases(actor)
        total = sum(counts.values())
        click.echo(f"Checked {total} open case{'' if total == 1 else 's'}:")
        for verdict in ("eligible", "not_eligible", "incomplete"):
            click.echo(f"  {verdict.replace('_', ' '):<13} {counts.get(verdict, 0)}")
        if counts.get("error"):
            click.echo(f"  {'failed':<13} {counts['error']} (see the log)", err=True)
            raise SystemExit(1)
        return
    case = db.session.scalars(select(Case).where(Case.reference == reference)).one_or_none()
    if case is None:
        raise click.ClickException(f"No case {reference}")
    run = checks.run_checks(actor, case)
    click.echo(format_result(case.reference, checks.stored_result(run)))


@checks_cli.command("compare")
@click.option("--rule-set", "version", required=True,
              help="The version to preview, packaged or stored (e.g. one not yet in force).")
def compare_command(version: str) -> None:
    """Preview a rule set version: the open cases whose verdict would change under it."""
    from caseapp.queries.rulesets import find_rule_set
    from caseapp.services.impact import ChangedCase, preview_impact

    candidate = find_rule_set(version)
    if candidate is None:
        click.echo(f"error: no rule set {version!r}", err=True)
        raise SystemExit(1)

    def print_change(change: ChangedCase) -> None:
        click.echo(f"{change.reference}  {change.consultant}  {change.current} -> "
                   f"{change.candidate}  ({change.current_version} -> {version}): {change.why}")

    click.echo(f"Open cases not yet submitted, lodged on or after "
               f"{candidate.effective_date.isoformat()}, now and under {version}:")
    report = preview_impact(candidate, limit=0, each_change=print_change)
    if report.pinned:
        click.echo(f"CASEAPP_RULE_SET_VERSION pins {report.pinned}: every case is checked "
                   f"under it, so {version} changes no verdict while the pin stays.")
    click.echo(f"{report.changed} of {report.evaluated} case"
               f"{'' if report.evaluated == 1 else 's'} would change verdict "
               f"({report.considered} open cases not yet submitted).")
    for name, count in report.consultants:
        click.echo(f"  {name:<30} {count}")


def format_result(reference: str, result: CheckResult) -> str:
    """The check result as plain text, in the order the case page shows it."""
    lines = [f"{reference}: {result.verdict.label.upper()} ({result.summary})",
             *(f"  {item.line}" for item in result.headline),
             f"Rule set {result.rule_set_version}, checked as of {result.check_date}", ""]
    for rule in result.prerequisites:
        lines.append(f"  {rule.code} {rule.title:<28} {rule.outcome.label:<20} {rule.reason}")
        lines.extend(f"      -> {action}" for action in rule.actions)
    gpt = result.general_points
    if gpt.kind == "criteria":
        lines += ["", f"  General Points Test: {gpt.met} of {len(gpt.criteria)} criteria met "
                      f"(at least {gpt.threshold} needed)"]
        lines.extend(f"      {c.number:>2}. {c.title:<60} {c.status.label:<14} {c.reason}"
                     for c in gpt.criteria)
    else:
        lines += ["", f"  General Points Test: {gpt.total}/{gpt.maximum} "
                      f"(pass mark {gpt.pass_mark})"]
        lines.extend(f"      {f.title:<28} {f.points:>3}/{f.max:<3} {f.explanation}"
                     for f in gpt.factors)
    abpt = result.achievement_points
    lines.append(f"  Achievement-based Points Test: {abpt.outcome.label} - {abpt.reason}")
    if result.warnings:
        lines += ["", "Warnings:", *(f"  - {w}" for w in result.warnings)]
    if result.next_actions:
        lines += ["", "Next actions:", *(f"  {i}. {a}" for i, a in
                                         enumerate(result.next_actions, 1))]
    return "\n".join(lines)


rates_cli = AppGroup("rates", help="Reference exchange rates to HKD.")


@rates_cli.command("import")
@click.argument("csv_file", type=click.File("r", encoding="utf-8-sig"))
@click.option("--replace", is_flag=True,
              help="Replace a rate already in the table for the same currency and day.")
@click.option("--as", "as_email", help="Attribute the import to this user (default: the system).")
def import_rates_command(csv_file: TextIO, replace: bool, as_email: str | None) -> None:
    """Import CSV_FILE with the header currency,date,rate,source, all or nothing."""
    from caseapp.services import rates

    actor = None
    if as_email:
        actor = user_service.find_by_email(as_email)
        if actor is None:
            raise click.ClickException(f"No user with email {as_email}")
    try:
        counts = rates.import_rates(csv_file, replace=replace, actor=actor)
    except rates.ImportFailed as failed:
        for line, message in failed.errors:
            click.echo(f"{csv_file.name}:{line}: {message}", err=True)
        click.echo(f"error: {failed.message}", err=True)
        raise SystemExit(1) from None
    click.echo(f"Added {counts.added}, replaced {counts.replaced}, skipped {counts.skipped} "
               "(already in the table with the same rate).")


backup_cli = AppGroup("backup", help="Back up and restore the database and the documents.")


def _known_revisions() -> set[str]:
    """The Alembic revisions this code has migrations for."""
    from alembic.config import Config as AlembicConfig
    from alembic.script import ScriptDirectory

    from caseapp import ROOT

    config = AlembicConfig()
    config.set_main_option("script_location", str(ROOT / "migrations"))
    return {script.revision for script in ScriptDirectory.from_config(config).walk_revisions()}


@backup_cli.command("create")
@click.argument("path", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--force", is_flag=True, help="Replace PATH if it exists.")
def backup_create_command(path: Path, force: bool) -> None:
    """Write one archive (.tar.gz, mode 0600) to PATH: a consistent dump of the database, every
    uploaded document, and a manifest with their SHA-256. It holds personal data."""
    from flask import current_app

    from caseapp.backup import BackupError, create_backup

    try:
        result = create_backup(current_app.config["SQLALCHEMY_DATABASE_URI"],
                               Path(current_app.config["UPLOAD_DIR"]), path, force=force,
                               pg_bindir=current_app.config.get("PG_BINDIR"))
    except BackupError as error:
        raise click.ClickException(str(error)) from None
    rows = sum(result.tables.values())
    click.echo(f"Wrote {result.path} ({result.archive_bytes:,} bytes): {result.kind} database "
               f"at revision {result.alembic_revision or 'none'}, {rows:,} rows in "
               f"{len(result.tables)} tables, {result.files:,} uploaded files "
               f"({result.upload_bytes:,} bytes).")


@backup_cli.command("restore")
@click.argument("path", type=click.Path(dir_okay=False, path_type=Path))
def backup_restore_command(path: Path) -> None:
    """Restore the archive at PATH into this app's database and upload folder; both must be
    empty. The archive is checked against its manifest before anything is written."""
    from flask import current_app

    from caseapp.backup import BackupError, restore_backup

    try:
        result = restore_backup(path, current_app.config["SQLALCHEMY_DATABASE_URI"],
                                Path(current_app.config["UPLOAD_DIR"]),
                                known_revisions=_known_revisions(),
                                pg_bindir=current_app.config.get("PG_BINDIR"))
    except BackupError as error:
        raise click.ClickException(str(error)) from None
    click.echo(f"Restored the backup of {result.created_at} ({result.kind}, revision "
               f"{result.alembic_revision or 'none'}):")
    for table, count in result.tables.items():
        click.echo(f"  {table:<28} {count:>9,}")
    click.echo(f"  {'uploaded files':<28} {result.files:>9,} ({result.upload_bytes:,} bytes)")
    for note in result.notes:
        click.echo(f"warning: {note}", err=True)
    click.echo("Next: .venv/bin/alembic upgrade head (a no-op when the revision is current), "
               "then start the app.")


reminders_cli = AppGroup("reminders", help="The daily e-mail digest of deadlines.")


@reminders_cli.command("send")
@click.option("--retry-for", "retry_minutes", type=click.IntRange(min=0, max=12 * 60),
              default=0, show_default=True, metavar="MINUTES",
              help="Wait out the backoff and retry failed digests within this run, for up to "
                   "MINUTES; 0: one pass, a later run retries them.")
def reminders_send_command(retry_minutes: int) -> None:
    """Send each active consultant today's digest of what is overdue or due within 7 days,
    once a day however often it runs; retry the failed ones whose backoff has passed.

    Exit status 0 when every digest of today is sent, 1 when any waits for a retry or was
    given up (run it again later: nothing is sent twice)."""
    import time

    from caseapp.models.base import utcnow
    from caseapp.services import digests

    today = clock.today()  # one day for the whole run, even one that crosses midnight
    give_up_at = time.monotonic() + retry_minutes * 60
    report = digests.run(today)
    while retry_minutes and report.pending_today:
        when = digests.next_attempt_at(today)
        if when is None:
            break
        wait = max((when - utcnow()).total_seconds(), 0) + 0.1
        if time.monotonic() + wait > give_up_at:
            break
        time.sleep(wait)
        again = digests.run(today)
        again.composed += report.composed
        again.sent += report.sent
        again.expired += report.expired
        report = again
    click.echo(report.summary())
    if not report.ok:
        raise SystemExit(1)


def register(app: Flask) -> None:
    app.cli.add_command(users_cli)
    app.cli.add_command(tokens_cli)
    app.cli.add_command(seed_demo)
    app.cli.add_command(seed_bulk_command)
    app.cli.add_command(checks_cli)
    app.cli.add_command(rates_cli)
    app.cli.add_command(backup_cli)
    app.cli.add_command(reminders_cli)
