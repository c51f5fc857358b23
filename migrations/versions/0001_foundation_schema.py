"""foundation schema: users, cases, applicants, dependants, evidence, history

Revision ID: 0001
Revises: 
Create Date: 2026-11-25

"""
from collections.abc import Sequence

from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

revision: str = '0001'
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('reference_counters',
    sa.Column('year', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('last_number', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('year', name=op.f('pk_reference_counters'))
    )
    op.create_table('users',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('email', sa.String(length=254), nullable=False),
    sa.Column('name', sa.String(length=120), nullable=False),
    sa.Column('role', sa.Enum('consultant', 'manager', 'admin', name='role', native_enum=False, create_constraint=True, length=32), nullable=False),
    sa.Column('password_hash', sa.String(length=255), nullable=False),
    sa.Column('active', sa.Boolean(), server_default=sa.true(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('(CURRENT_TIMESTAMP)'), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_users')),
    sa.UniqueConstraint('email', name=op.f('uq_users_email'))
    )
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_users_role'), ['role'], unique=False)

    op.create_table('cases',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('reference', sa.String(length=20), nullable=False),
    sa.Column('consultant_id', sa.Integer(), nullable=False),
    sa.Column('status', sa.Enum('intake', 'collecting_documents', 'ready_for_review', 'submitted', 'under_assessment', 'approved_in_principle', 'visa_issued', 'refused', 'withdrawn', 'on_hold', name='status', native_enum=False, create_constraint=True, length=32), nullable=False),
    sa.Column('planned_submission_date', sa.Date(), nullable=True),
    sa.Column('opened_at', sa.DateTime(timezone=True), server_default=sa.text('(CURRENT_TIMESTAMP)'), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.text('(CURRENT_TIMESTAMP)'), nullable=False),
    sa.Column('updated_by_id', sa.Integer(), nullable=True),
    sa.Column('version', sa.Integer(), server_default='1', nullable=False),
    sa.ForeignKeyConstraint(['consultant_id'], ['users.id'], name=op.f('fk_cases_consultant_id_users')),
    sa.ForeignKeyConstraint(['updated_by_id'], ['users.id'], name=op.f('fk_cases_updated_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_cases')),
    sa.UniqueConstraint('reference', name=op.f('uq_cases_reference'))
    )
    with op.batch_alter_table('cases', schema=None) as batch_op:
        batch_op.create_index('ix_cases_consultant_id_updated_at', ['consultant_id', 'updated_at'], unique=False)
        batch_op.create_index('ix_cases_status_updated_at', ['status', 'updated_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_cases_updated_at'), ['updated_at'], unique=False)

    op.create_table('applicants',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=False),
    sa.Column('given_name', sa.String(length=100), nullable=False),
    sa.Column('family_name', sa.String(length=100), nullable=False),
    sa.Column('chinese_name', sa.String(length=50), server_default='', nullable=False),
    sa.Column('date_of_birth', sa.Date(), nullable=True),
    sa.Column('nationality', sa.String(length=3), nullable=True),
    sa.Column('passport_number', sa.String(length=20), server_default='', nullable=False),
    sa.Column('passport_expiry', sa.Date(), nullable=True),
    sa.Column('email', sa.String(length=254), server_default='', nullable=False),
    sa.Column('phone', sa.String(length=40), server_default='', nullable=False),
    sa.Column('criminal_record', sa.Enum('yes', 'no', 'unknown', name='criminal_record', native_enum=False, create_constraint=True, length=32), server_default='unknown', nullable=False),
    sa.Column('adverse_immigration_record', sa.Enum('yes', 'no', 'unknown', name='adverse_immigration_record', native_enum=False, create_constraint=True, length=32), server_default='unknown', nullable=False),
    sa.Column('english_written', sa.Enum('yes', 'no', 'unknown', name='english_written', native_enum=False, create_constraint=True, length=32), server_default='unknown', nullable=False),
    sa.Column('english_spoken', sa.Enum('yes', 'no', 'unknown', name='english_spoken', native_enum=False, create_constraint=True, length=32), server_default='unknown', nullable=False),
    sa.Column('chinese_written', sa.Enum('yes', 'no', 'unknown', name='chinese_written', native_enum=False, create_constraint=True, length=32), server_default='unknown', nullable=False),
    sa.Column('putonghua_spoken', sa.Enum('yes', 'no', 'unknown', name='putonghua_spoken', native_enum=False, create_constraint=True, length=32), server_default='unknown', nullable=False),
    sa.Column('cantonese_spoken', sa.Enum('yes', 'no', 'unknown', name='cantonese_spoken', native_enum=False, create_constraint=True, length=32), server_default='unknown', nullable=False),
    sa.Column('highest_qualification', sa.Enum('none', 'secondary', 'sub_degree', 'bachelor', 'master', 'doctorate', name='highest_qualification', native_enum=False, create_constraint=True, length=32), nullable=True),
    sa.Column('qualification_recognised', sa.Enum('yes', 'no', 'unknown', name='qualification_recognised', native_enum=False, create_constraint=True, length=32), server_default='unknown', nullable=False),
    sa.ForeignKeyConstraint(['case_id'], ['cases.id'], name=op.f('fk_applicants_case_id_cases'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_applicants')),
    sa.UniqueConstraint('case_id', name=op.f('uq_applicants_case_id'))
    )
    with op.batch_alter_table('applicants', schema=None) as batch_op:
        batch_op.create_index('ix_applicants_family_name_given_name', ['family_name', 'given_name'], unique=False)

    op.create_table('audit_entries',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=True),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('action', sa.String(length=40), nullable=False),
    sa.Column('entity', sa.String(length=60), nullable=False),
    sa.Column('changes', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.ForeignKeyConstraint(['case_id'], ['cases.id'], name=op.f('fk_audit_entries_case_id_cases'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_audit_entries_user_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_audit_entries'))
    )
    with op.batch_alter_table('audit_entries', schema=None) as batch_op:
        batch_op.create_index('ix_audit_entries_case_id_at', ['case_id', 'at'], unique=False)

    op.create_table('check_runs',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=False),
    sa.Column('run_by_id', sa.Integer(), nullable=False),
    sa.Column('run_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('check_date', sa.Date(), nullable=False),
    sa.Column('rule_set_version', sa.String(length=40), nullable=False),
    sa.Column('verdict', sa.String(length=20), nullable=False),
    sa.Column('case_version', sa.Integer(), nullable=False),
    sa.Column('result', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.ForeignKeyConstraint(['case_id'], ['cases.id'], name=op.f('fk_check_runs_case_id_cases'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['run_by_id'], ['users.id'], name=op.f('fk_check_runs_run_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_check_runs'))
    )
    with op.batch_alter_table('check_runs', schema=None) as batch_op:
        batch_op.create_index('ix_check_runs_case_id_run_at', ['case_id', 'run_at'], unique=False)

    op.create_table('dependants',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=False),
    sa.Column('relationship', sa.Enum('spouse', 'child', 'parent', 'other', name='relationship', native_enum=False, create_constraint=True, length=32), nullable=False),
    sa.Column('given_name', sa.String(length=100), nullable=False),
    sa.Column('family_name', sa.String(length=100), nullable=False),
    sa.Column('date_of_birth', sa.Date(), nullable=True),
    sa.Column('marital_status', sa.Enum('single', 'married', 'divorced', 'widowed', name='marital_status', native_enum=False, create_constraint=True, length=32), nullable=True),
    sa.Column('nationality', sa.String(length=3), nullable=True),
    sa.ForeignKeyConstraint(['case_id'], ['cases.id'], name=op.f('fk_dependants_case_id_cases'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_dependants'))
    )
    with op.batch_alter_table('dependants', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_dependants_case_id'), ['case_id'], unique=False)

    op.create_table('deposit_evidence',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=False),
    sa.Column('amount', sa.Numeric(precision=16, scale=2), nullable=False),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('rate_to_hkd', sa.Numeric(precision=18, scale=8), nullable=False),
    sa.Column('amount_hkd', sa.Numeric(precision=16, scale=2), nullable=False),
    sa.Column('statement_date', sa.Date(), nullable=False),
    sa.Column('bank', sa.String(length=120), nullable=False),
    sa.Column('account_holder', sa.String(length=120), nullable=False),
    sa.Column('status', sa.Enum('pending', 'verified', 'rejected', name='status', native_enum=False, create_constraint=True, length=32), nullable=False),
    sa.Column('verified_by_id', sa.Integer(), nullable=True),
    sa.Column('verified_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('rejection_reason', sa.Text(), server_default='', nullable=False),
    sa.Column('recorded_by_id', sa.Integer(), nullable=False),
    sa.Column('recorded_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint('amount > 0', name=op.f('ck_deposit_evidence_amount_positive')),
    sa.CheckConstraint('rate_to_hkd > 0', name=op.f('ck_deposit_evidence_rate_positive')),
    sa.ForeignKeyConstraint(['case_id'], ['cases.id'], name=op.f('fk_deposit_evidence_case_id_cases'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['recorded_by_id'], ['users.id'], name=op.f('fk_deposit_evidence_recorded_by_id_users')),
    sa.ForeignKeyConstraint(['verified_by_id'], ['users.id'], name=op.f('fk_deposit_evidence_verified_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_deposit_evidence'))
    )
    with op.batch_alter_table('deposit_evidence', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_deposit_evidence_case_id'), ['case_id'], unique=False)

    op.create_table('documents',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.Enum('passport', 'degree_certificate', 'bank_statement', 'police_certificate', 'photo', 'other', name='kind', native_enum=False, create_constraint=True, length=32), nullable=False),
    sa.Column('original_filename', sa.String(length=255), nullable=False),
    sa.Column('stored_name', sa.String(length=80), nullable=False),
    sa.Column('content_type', sa.String(length=80), nullable=False),
    sa.Column('size_bytes', sa.Integer(), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('uploaded_by_id', sa.Integer(), nullable=False),
    sa.Column('uploaded_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('replaced_by_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['case_id'], ['cases.id'], name=op.f('fk_documents_case_id_cases'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['replaced_by_id'], ['documents.id'], name=op.f('fk_documents_replaced_by_id_documents')),
    sa.ForeignKeyConstraint(['uploaded_by_id'], ['users.id'], name=op.f('fk_documents_uploaded_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_documents')),
    sa.UniqueConstraint('stored_name', name=op.f('uq_documents_stored_name'))
    )
    with op.batch_alter_table('documents', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_documents_case_id'), ['case_id'], unique=False)

    op.create_table('status_changes',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=False),
    sa.Column('from_status', sa.Enum('intake', 'collecting_documents', 'ready_for_review', 'submitted', 'under_assessment', 'approved_in_principle', 'visa_issued', 'refused', 'withdrawn', 'on_hold', name='from_status', native_enum=False, create_constraint=True, length=32), nullable=True),
    sa.Column('to_status', sa.Enum('intake', 'collecting_documents', 'ready_for_review', 'submitted', 'under_assessment', 'approved_in_principle', 'visa_issued', 'refused', 'withdrawn', 'on_hold', name='to_status', native_enum=False, create_constraint=True, length=32), nullable=False),
    sa.Column('reason', sa.Text(), server_default='', nullable=False),
    sa.Column('override', sa.Boolean(), nullable=False),
    sa.Column('changed_by_id', sa.Integer(), nullable=False),
    sa.Column('changed_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['case_id'], ['cases.id'], name=op.f('fk_status_changes_case_id_cases'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['changed_by_id'], ['users.id'], name=op.f('fk_status_changes_changed_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_status_changes'))
    )
    with op.batch_alter_table('status_changes', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_status_changes_case_id'), ['case_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('status_changes', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_status_changes_case_id'))

    op.drop_table('status_changes')
    with op.batch_alter_table('documents', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_documents_case_id'))

    op.drop_table('documents')
    with op.batch_alter_table('deposit_evidence', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_deposit_evidence_case_id'))

    op.drop_table('deposit_evidence')
    with op.batch_alter_table('dependants', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_dependants_case_id'))

    op.drop_table('dependants')
    with op.batch_alter_table('check_runs', schema=None) as batch_op:
        batch_op.drop_index('ix_check_runs_case_id_run_at')

    op.drop_table('check_runs')
    with op.batch_alter_table('audit_entries', schema=None) as batch_op:
        batch_op.drop_index('ix_audit_entries_case_id_at')

    op.drop_table('audit_entries')
    with op.batch_alter_table('applicants', schema=None) as batch_op:
        batch_op.drop_index('ix_applicants_family_name_given_name')

    op.drop_table('applicants')
    with op.batch_alter_table('cases', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_cases_updated_at'))
        batch_op.drop_index('ix_cases_status_updated_at')
        batch_op.drop_index('ix_cases_consultant_id_updated_at')

    op.drop_table('cases')
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_users_role'))

    op.drop_table('users')
    op.drop_table('reference_counters')
