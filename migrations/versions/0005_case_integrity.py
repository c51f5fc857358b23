"""case integrity: four-eyes deposits, exchange rates, review, submission packages, further information

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-25

Deposit evidence gains its bank-statement document, the last editor (four-eyes), the reference
rate it was compared with and a manager's rate confirmation; admins keep exchange_rates.
Documents may belong to a dependant, and two kinds join: marriage and birth certificates.
A case records its ImmD file number and submission date; reviews, the frozen packages sent,
ImmD's requests for further information and the correspondence log get their tables.
Backfill: a case already moved to "submitted" gets its submission date, the business day
(Asia/Hong_Kong, the default zone) of its latest move there, so the rules judge it by the rule
set in force when it was lodged. Its ImmD file number stays unknown. Existing evidence has no
document link (verifying it needs one from now on).

"""
from collections.abc import Sequence
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from alembic import op
import sqlalchemy as sa
from sqlalchemy import Text
from sqlalchemy.dialects import postgresql

OLD_KINDS = ('passport', 'degree_certificate', 'bank_statement', 'police_certificate', 'photo',
             'other')
NEW_KINDS = ('passport', 'degree_certificate', 'bank_statement', 'police_certificate', 'photo',
             'marriage_certificate', 'birth_certificate', 'other')


def _kinds(values: tuple[str, ...]) -> str:
    return "kind IN (" + ", ".join(f"'{v}'" for v in values) + ")"

revision: str = '0005'
down_revision: str | None = '0004'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('exchange_rates',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('rate_date', sa.Date(), nullable=False),
    sa.Column('rate', sa.Numeric(precision=18, scale=8), nullable=False),
    sa.Column('source', sa.String(length=120), nullable=False),
    sa.Column('recorded_by_id', sa.Integer(), nullable=True),
    sa.Column('recorded_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint('rate > 0', name=op.f('ck_exchange_rates_rate_positive')),
    sa.ForeignKeyConstraint(['recorded_by_id'], ['users.id'], name=op.f('fk_exchange_rates_recorded_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_exchange_rates')),
    sa.UniqueConstraint('currency', 'rate_date', name='uq_exchange_rates_currency_rate_date')
    )
    op.create_table('case_reviews',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=False),
    sa.Column('outcome', sa.Enum('approved', 'returned', name='outcome', native_enum=False, create_constraint=True, length=32), nullable=False),
    sa.Column('comment', sa.Text(), nullable=False),
    sa.Column('case_version', sa.Integer(), nullable=False),
    sa.Column('reviewed_by_id', sa.Integer(), nullable=False),
    sa.Column('reviewed_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['case_id'], ['cases.id'], name=op.f('fk_case_reviews_case_id_cases'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['reviewed_by_id'], ['users.id'], name=op.f('fk_case_reviews_reviewed_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_case_reviews'))
    )
    with op.batch_alter_table('case_reviews', schema=None) as batch_op:
        batch_op.create_index('ix_case_reviews_case_id_reviewed_at', ['case_id', 'reviewed_at'], unique=False)

    op.create_table('information_requests',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=False),
    sa.Column('requested_on', sa.Date(), nullable=False),
    sa.Column('details', sa.Text(), nullable=False),
    sa.Column('due_on', sa.Date(), nullable=False),
    sa.Column('opened_by_id', sa.Integer(), nullable=False),
    sa.Column('opened_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('reply_notes', sa.Text(), server_default='', nullable=False),
    sa.Column('answered_on', sa.Date(), nullable=True),
    sa.Column('answered_by_id', sa.Integer(), nullable=True),
    sa.Column('answered_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['answered_by_id'], ['users.id'], name=op.f('fk_information_requests_answered_by_id_users')),
    sa.ForeignKeyConstraint(['case_id'], ['cases.id'], name=op.f('fk_information_requests_case_id_cases'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['opened_by_id'], ['users.id'], name=op.f('fk_information_requests_opened_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_information_requests'))
    )
    with op.batch_alter_table('information_requests', schema=None) as batch_op:
        batch_op.create_index('ix_information_requests_case_id_id', ['case_id', 'id'], unique=False)

    op.create_table('submission_packages',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.Enum('submission', 'further_information', name='kind', native_enum=False, create_constraint=True, length=32), nullable=False),
    sa.Column('sent_on', sa.Date(), nullable=False),
    sa.Column('information_request_id', sa.Integer(), nullable=True),
    sa.Column('content', sa.Text(), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['case_id'], ['cases.id'], name=op.f('fk_submission_packages_case_id_cases'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_submission_packages_created_by_id_users')),
    sa.ForeignKeyConstraint(['information_request_id'], ['information_requests.id'], name=op.f('fk_submission_packages_information_request_id_information_requests')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_submission_packages'))
    )
    with op.batch_alter_table('submission_packages', schema=None) as batch_op:
        batch_op.create_index('ix_submission_packages_case_id_id', ['case_id', 'id'], unique=False)

    op.create_table('correspondence',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=False),
    sa.Column('dated', sa.Date(), nullable=False),
    sa.Column('direction', sa.Enum('from_immd', 'to_immd', name='direction', native_enum=False, create_constraint=True, length=32), nullable=False),
    sa.Column('kind', sa.Enum('application', 'information_request', 'reply', 'decision_letter', 'acknowledgement', 'other', name='kind', native_enum=False, create_constraint=True, length=32), nullable=False),
    sa.Column('summary', sa.Text(), nullable=False),
    sa.Column('document_id', sa.Integer(), nullable=True),
    sa.Column('recorded_by_id', sa.Integer(), nullable=False),
    sa.Column('recorded_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['case_id'], ['cases.id'], name=op.f('fk_correspondence_case_id_cases'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['document_id'], ['documents.id'], name=op.f('fk_correspondence_document_id_documents')),
    sa.ForeignKeyConstraint(['recorded_by_id'], ['users.id'], name=op.f('fk_correspondence_recorded_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_correspondence'))
    )
    with op.batch_alter_table('correspondence', schema=None) as batch_op:
        batch_op.create_index('ix_correspondence_case_id_dated', ['case_id', 'dated'], unique=False)

    with op.batch_alter_table('cases', schema=None) as batch_op:
        batch_op.add_column(sa.Column('immd_file_number', sa.String(length=40), nullable=True))
        batch_op.add_column(sa.Column('submitted_on', sa.Date(), nullable=True))

    with op.batch_alter_table('deposit_evidence', schema=None) as batch_op:
        batch_op.add_column(sa.Column('edited_by_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('edited_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('document_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('reference_rate', sa.Numeric(precision=18, scale=8), nullable=True))
        batch_op.add_column(sa.Column('reference_rate_date', sa.Date(), nullable=True))
        batch_op.add_column(sa.Column('rate_confirmed_by_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('rate_confirmed_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('rate_confirmation_reason', sa.Text(), server_default='', nullable=False))
        batch_op.create_index(batch_op.f('ix_deposit_evidence_document_id'), ['document_id'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_deposit_evidence_edited_by_id_users'), 'users', ['edited_by_id'], ['id'])
        batch_op.create_foreign_key(batch_op.f('fk_deposit_evidence_document_id_documents'), 'documents', ['document_id'], ['id'])
        batch_op.create_foreign_key(batch_op.f('fk_deposit_evidence_rate_confirmed_by_id_users'), 'users', ['rate_confirmed_by_id'], ['id'])

    with op.batch_alter_table('documents', schema=None) as batch_op:
        batch_op.add_column(sa.Column('dependant_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('detached_note', sa.String(length=200), server_default='', nullable=False))
        batch_op.add_column(sa.Column('information_request_id', sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f('ix_documents_dependant_id'), ['dependant_id'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_documents_information_request_id_information_requests'), 'information_requests', ['information_request_id'], ['id'])
        batch_op.create_foreign_key(batch_op.f('fk_documents_dependant_id_dependants'), 'dependants', ['dependant_id'], ['id'], ondelete='SET NULL')
        batch_op.drop_constraint('kind', type_='check')
        batch_op.create_check_constraint('kind', _kinds(NEW_KINDS))

    _backfill_submission_dates()

    with op.batch_alter_table('status_changes', schema=None) as batch_op:
        batch_op.add_column(sa.Column('overridden_gates', sa.JSON().with_variant(postgresql.JSONB(astext_type=Text()), 'postgresql'), server_default='[]', nullable=False))



def downgrade() -> None:
    with op.batch_alter_table('status_changes', schema=None) as batch_op:
        batch_op.drop_column('overridden_gates')

    # A document of a kind the old constraint does not know cannot stay: call it "other".
    op.execute("UPDATE documents SET kind = 'other' "
               "WHERE kind IN ('marriage_certificate', 'birth_certificate')")
    with op.batch_alter_table('documents', schema=None) as batch_op:
        batch_op.drop_constraint('kind', type_='check')
        batch_op.create_check_constraint('kind', _kinds(OLD_KINDS))
        batch_op.drop_constraint(batch_op.f('fk_documents_dependant_id_dependants'), type_='foreignkey')
        batch_op.drop_constraint(batch_op.f('fk_documents_information_request_id_information_requests'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_documents_dependant_id'))
        batch_op.drop_column('information_request_id')
        batch_op.drop_column('detached_note')
        batch_op.drop_column('dependant_id')

    with op.batch_alter_table('deposit_evidence', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_deposit_evidence_rate_confirmed_by_id_users'), type_='foreignkey')
        batch_op.drop_constraint(batch_op.f('fk_deposit_evidence_document_id_documents'), type_='foreignkey')
        batch_op.drop_constraint(batch_op.f('fk_deposit_evidence_edited_by_id_users'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_deposit_evidence_document_id'))
        batch_op.drop_column('rate_confirmation_reason')
        batch_op.drop_column('rate_confirmed_at')
        batch_op.drop_column('rate_confirmed_by_id')
        batch_op.drop_column('reference_rate_date')
        batch_op.drop_column('reference_rate')
        batch_op.drop_column('document_id')
        batch_op.drop_column('edited_at')
        batch_op.drop_column('edited_by_id')

    # Not batch mode: on SQLite it would rebuild cases and lose the search triggers and the
    # expression index of 0004. DROP COLUMN (SQLite 3.35+) leaves them be.
    op.execute("ALTER TABLE cases DROP COLUMN submitted_on")
    op.execute("ALTER TABLE cases DROP COLUMN immd_file_number")

    with op.batch_alter_table('correspondence', schema=None) as batch_op:
        batch_op.drop_index('ix_correspondence_case_id_dated')

    op.drop_table('correspondence')
    with op.batch_alter_table('submission_packages', schema=None) as batch_op:
        batch_op.drop_index('ix_submission_packages_case_id_id')

    op.drop_table('submission_packages')
    with op.batch_alter_table('information_requests', schema=None) as batch_op:
        batch_op.drop_index('ix_information_requests_case_id_id')

    op.drop_table('information_requests')
    with op.batch_alter_table('case_reviews', schema=None) as batch_op:
        batch_op.drop_index('ix_case_reviews_case_id_reviewed_at')

    op.drop_table('case_reviews')
    op.drop_table('exchange_rates')


BUSINESS_ZONE = ZoneInfo("Asia/Hong_Kong")


def _backfill_submission_dates() -> None:
    connection = op.get_bind()
    rows = connection.execute(sa.text(
        "SELECT case_id, MAX(changed_at) FROM status_changes WHERE to_status = 'submitted' "
        "GROUP BY case_id")).all()
    for case_id, changed_at in rows:
        if isinstance(changed_at, str):  # SQLite hands back text
            changed_at = datetime.fromisoformat(changed_at)
        if changed_at.tzinfo is None:  # stored in UTC
            changed_at = changed_at.replace(tzinfo=UTC)
        connection.execute(
            sa.text("UPDATE cases SET submitted_on = :day WHERE id = :id"),
            {"day": changed_at.astimezone(BUSINESS_ZONE).date(), "id": case_id})
