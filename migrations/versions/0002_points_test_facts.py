"""points test facts, spouse degree, deposit rejection

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-25

"""
from collections.abc import Sequence

from alembic import op
import sqlalchemy as sa


revision: str = '0002'
down_revision: str | None = '0001'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('applicants', schema=None) as batch_op:
        batch_op.add_column(sa.Column('doctorate_count', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('master_count', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('bachelor_count', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('professional_qualification', sa.Boolean(), server_default=sa.false(), nullable=False))
        batch_op.add_column(sa.Column('graduate_work_years', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('senior_work_years', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('other_foreign_language', sa.Enum('yes', 'no', 'unknown', name='other_foreign_language', native_enum=False, create_constraint=True, length=32), server_default='unknown', nullable=False))
        batch_op.add_column(sa.Column('hk_permanent_resident_family', sa.Enum('yes', 'no', 'unknown', name='hk_permanent_resident_family', native_enum=False, create_constraint=True, length=32), server_default='unknown', nullable=False))
        batch_op.add_column(sa.Column('achievement_claim', sa.Enum('yes', 'no', 'unknown', name='achievement_claim', native_enum=False, create_constraint=True, length=32), server_default='unknown', nullable=False))
        batch_op.add_column(sa.Column('achievement_description', sa.Text(), server_default='', nullable=False))

    with op.batch_alter_table('dependants', schema=None) as batch_op:
        batch_op.add_column(sa.Column('spouse_has_degree', sa.Enum('yes', 'no', 'unknown', name='spouse_has_degree', native_enum=False, create_constraint=True, length=32), server_default='unknown', nullable=False))

    with op.batch_alter_table('deposit_evidence', schema=None) as batch_op:
        batch_op.add_column(sa.Column('rejected_by_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('rejected_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_deposit_evidence_rejected_by_id_users'), 'users', ['rejected_by_id'], ['id'])



def downgrade() -> None:
    # Named CHECK constraints go first: SQLite's table copy would keep them otherwise.
    with op.batch_alter_table('deposit_evidence', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_deposit_evidence_rejected_by_id_users'), type_='foreignkey')
        batch_op.drop_column('rejected_at')
        batch_op.drop_column('rejected_by_id')

    with op.batch_alter_table('dependants', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('ck_dependants_spouse_has_degree'), type_='check')
        batch_op.drop_column('spouse_has_degree')

    with op.batch_alter_table('applicants', schema=None) as batch_op:
        batch_op.drop_column('achievement_description')
        batch_op.drop_constraint(batch_op.f('ck_applicants_achievement_claim'), type_='check')
        batch_op.drop_column('achievement_claim')
        batch_op.drop_constraint(batch_op.f('ck_applicants_hk_permanent_resident_family'), type_='check')
        batch_op.drop_column('hk_permanent_resident_family')
        batch_op.drop_constraint(batch_op.f('ck_applicants_other_foreign_language'), type_='check')
        batch_op.drop_column('other_foreign_language')
        batch_op.drop_column('senior_work_years')
        batch_op.drop_column('graduate_work_years')
        batch_op.drop_column('professional_qualification')
        batch_op.drop_column('bachelor_count')
        batch_op.drop_column('master_count')
        batch_op.drop_column('doctorate_count')

