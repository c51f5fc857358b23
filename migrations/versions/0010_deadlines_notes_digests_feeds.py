"""deadlines, case notes, the digest outbox, calendar feeds; a dependant's passport expiry

Revision ID: 0010
Revises: 0009

deadlines holds each case's dated things to do, derived from its facts by the rules (and the
consultancy's own dates: a check too old to submit on, ImmD's reply dates, follow-ups) so the
"This week" lists filter and sort on them; existing cases are backfilled in batches, by the
same code the app recomputes them with (services.deadlines.derive), under the rule set in
force on each case's lodging date (or the pinned CASEAPP_RULE_SET_VERSION) with the
configured CASEAPP_* overrides and check age, read from the environment as the app reads
them. Rule sets stored by admins are not read here: a case under one is recomputed at its
next change or check run. case_notes are notes and the client contact log; digest_messages
the daily e-mail digest's outbox (one per consultant per day); calendar_feeds the hashed
tokens of the consultants' iCalendar feeds. dependants gains passport_expiry (added in place).
Create Date: 2026-11-26 05:15:48.969653

"""
from collections.abc import Sequence
from datetime import UTC, datetime
from types import SimpleNamespace
from zoneinfo import ZoneInfo

from alembic import op
import sqlalchemy as sa


revision: str = '0010'
down_revision: str | None = '0009'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('calendar_feeds',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('last_used_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('revoked_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_calendar_feeds_user_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_calendar_feeds')),
    sa.UniqueConstraint('token_hash', name=op.f('uq_calendar_feeds_token_hash'))
    )
    with op.batch_alter_table('calendar_feeds', schema=None) as batch_op:
        batch_op.create_index('ix_calendar_feeds_user_id_created_at', ['user_id', 'created_at'], unique=False)

    op.create_table('digest_messages',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('digest_on', sa.Date(), nullable=False),
    sa.Column('status', sa.Enum('pending', 'sent', 'failed', name='digest_status', native_enum=False, create_constraint=True, length=32), nullable=False),
    sa.Column('subject', sa.String(length=200), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('attempts', sa.Integer(), server_default='0', nullable=False),
    sa.Column('next_attempt_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('last_error', sa.String(length=300), server_default='', nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('sent_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_digest_messages_user_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_digest_messages')),
    sa.UniqueConstraint('user_id', 'digest_on', name='uq_digest_messages_user_id_digest_on')
    )
    with op.batch_alter_table('digest_messages', schema=None) as batch_op:
        batch_op.create_index('ix_digest_messages_status_next_attempt_at', ['status', 'next_attempt_at'], unique=False)

    op.create_table('case_notes',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=False),
    sa.Column('author_id', sa.Integer(), nullable=False),
    sa.Column('channel', sa.Enum('note', 'phone', 'email', 'meeting', 'message', name='channel', native_enum=False, create_constraint=True, length=32), nullable=False),
    sa.Column('happened_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('follow_up_on', sa.Date(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('edited_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['author_id'], ['users.id'], name=op.f('fk_case_notes_author_id_users')),
    sa.ForeignKeyConstraint(['case_id'], ['cases.id'], name=op.f('fk_case_notes_case_id_cases'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_case_notes'))
    )
    with op.batch_alter_table('case_notes', schema=None) as batch_op:
        batch_op.create_index('ix_case_notes_case_id_created_at_id', ['case_id', 'created_at', 'id'], unique=False)

    op.create_table('deadlines',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.Enum('passport_expiry', 'statement_stale', 'child_turns_adult', 'check_too_old', 'planned_submission', 'immd_reply_due', 'follow_up', name='deadline_kind', native_enum=False, create_constraint=True, length=32), nullable=False),
    sa.Column('source', sa.String(length=40), nullable=False),
    sa.Column('due_on', sa.Date(), nullable=False),
    sa.Column('action', sa.String(length=300), nullable=False),
    sa.Column('person', sa.String(length=40), server_default='', nullable=False),
    sa.Column('done_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('done_by_id', sa.Integer(), nullable=True),
    sa.Column('snoozed_until', sa.Date(), nullable=True),
    sa.Column('snoozed_by_id', sa.Integer(), nullable=True),
    sa.Column('mark_reason', sa.String(length=300), server_default='', nullable=False),
    sa.ForeignKeyConstraint(['case_id'], ['cases.id'], name=op.f('fk_deadlines_case_id_cases'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['done_by_id'], ['users.id'], name=op.f('fk_deadlines_done_by_id_users')),
    sa.ForeignKeyConstraint(['snoozed_by_id'], ['users.id'], name=op.f('fk_deadlines_snoozed_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_deadlines')),
    sa.UniqueConstraint('case_id', 'source', name='uq_deadlines_case_id_source')
    )
    with op.batch_alter_table('deadlines', schema=None) as batch_op:
        batch_op.create_index('ix_deadlines_due_on_id', ['due_on', 'id'], unique=False)

    with op.batch_alter_table('dependants', schema=None) as batch_op:
        batch_op.add_column(sa.Column('passport_expiry', sa.Date(), nullable=True))

    _backfill()



def downgrade() -> None:
    with op.batch_alter_table('dependants', schema=None) as batch_op:
        batch_op.drop_column('passport_expiry')

    with op.batch_alter_table('deadlines', schema=None) as batch_op:
        batch_op.drop_index('ix_deadlines_due_on_id')

    op.drop_table('deadlines')
    with op.batch_alter_table('case_notes', schema=None) as batch_op:
        batch_op.drop_index('ix_case_notes_case_id_created_at_id')

    op.drop_table('case_notes')
    with op.batch_alter_table('digest_messages', schema=None) as batch_op:
        batch_op.drop_index('ix_digest_messages_status_next_attempt_at')

    op.drop_table('digest_messages')
    with op.batch_alter_table('calendar_feeds', schema=None) as batch_op:
        batch_op.drop_index('ix_calendar_feeds_user_id_created_at')

    op.drop_table('calendar_feeds')


def _backfill(batch_size: int = 500) -> None:
    """The deadlines of existing cases, in batches of ``batch_size`` cases, from the rows."""
    from config import load_config

    from caseapp.rules.ruleset import packaged_rule_sets, rule_set_in_force
    from caseapp.services.checks import case_facts, with_config_overrides
    from caseapp.services.deadlines import derive

    settings = load_config()
    packaged = packaged_rule_sets()
    pinned = next((r for r in packaged if r.version == settings.get("RULE_SET_VERSION")), None)
    check_max_age_days = int(settings["SUBMISSION_CHECK_MAX_AGE_DAYS"])

    def rule_set_of(facts):
        chosen = pinned or rule_set_in_force(packaged, facts.lodging_date)
        return with_config_overrides(chosen, settings)

    bind = op.get_bind()
    meta = sa.MetaData()
    cases, applicants, dependants, deposits, requests, deadlines = (
        sa.Table(name, meta, autoload_with=bind)
        for name in ("cases", "applicants", "dependants", "deposit_evidence",
                     "information_requests", "deadlines"))
    today = datetime.now(ZoneInfo("Asia/Hong_Kong")).date()
    last_id = 0
    while True:
        case_rows = bind.execute(
            sa.select(cases.c.id, cases.c.status, cases.c.planned_submission_date,
                      cases.c.submitted_on, cases.c.latest_verdict, cases.c.latest_check_at)
            .where(cases.c.id > last_id).order_by(cases.c.id).limit(batch_size)).all()
        if not case_rows:
            return
        ids = [row.id for row in case_rows]
        last_id = ids[-1]
        by_case = {row.id: SimpleNamespace(**row._mapping, dependants=[], deposits=[],
                                           requests=[]) for row in case_rows}
        for case in by_case.values():
            if isinstance(case.latest_check_at, str):  # SQLite without the app's type
                case.latest_check_at = datetime.fromisoformat(case.latest_check_at)
            if case.latest_check_at is not None and case.latest_check_at.tzinfo is None:
                case.latest_check_at = case.latest_check_at.replace(tzinfo=UTC)
        for row in bind.execute(sa.select(applicants).where(applicants.c.case_id.in_(ids))):
            by_case[row.case_id].applicant = SimpleNamespace(**row._mapping)
        for row in bind.execute(sa.select(dependants).where(dependants.c.case_id.in_(ids))
                                .order_by(dependants.c.id)):
            values = dict(row._mapping)
            values["relation"] = values.pop("relationship")
            values["full_name"] = f"{row.given_name} {row.family_name}".strip()
            by_case[row.case_id].dependants.append(SimpleNamespace(**values))
        for row in bind.execute(sa.select(deposits).where(deposits.c.case_id.in_(ids))
                                .order_by(deposits.c.id)):
            by_case[row.case_id].deposits.append(SimpleNamespace(**row._mapping))
        for row in bind.execute(sa.select(requests).where(requests.c.case_id.in_(ids))):
            by_case[row.case_id].requests.append(SimpleNamespace(**row._mapping))
        rows = []
        for case_id, case in by_case.items():
            if not hasattr(case, "applicant"):
                continue  # no client file to read dates from (a row made by hand)
            facts = case_facts(case, today)
            found = derive(case, facts, rule_set_of(facts),
                           check_max_age_days=check_max_age_days, requests=case.requests,
                           notes=[])
            rows += [{"case_id": case_id, "kind": d.kind, "source": d.source,
                      "due_on": d.due_on, "action": d.action, "person": d.person,
                      "mark_reason": ""} for d in found]
        if rows:
            bind.execute(deadlines.insert(), rows)
