"""check runs: facts fingerprint, system runs

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-25

"""
from collections.abc import Sequence

from alembic import op
import sqlalchemy as sa


revision: str = '0003'
down_revision: str | None = '0002'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('check_runs', schema=None) as batch_op:
        batch_op.add_column(sa.Column('facts_sha256', sa.String(length=64), server_default='', nullable=False))
        batch_op.alter_column('run_by_id',
               existing_type=sa.INTEGER(),
               nullable=True)



def downgrade() -> None:
    # Refuses (NOT NULL) while system check runs exist: they have no user to fall back to.
    with op.batch_alter_table('check_runs', schema=None) as batch_op:
        batch_op.alter_column('run_by_id',
               existing_type=sa.INTEGER(),
               nullable=False)
        batch_op.drop_column('facts_sha256')

