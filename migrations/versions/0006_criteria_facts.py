"""general points test criteria facts (the 12 criteria of 1 November 2024)

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-25

The facts the General Points Test in force since 1 November 2024 reads (12 criteria): the
degree's eligible university and STEM subject, two languages, years of multinational, sector
and international work, the last full year's income and an owned business's profit (amount,
currency, rate and HKD value, as deposit evidence keeps them), and a listed company owned.
Every answer starts "unknown" and every number empty: nothing is known until recorded.

"""
from collections.abc import Sequence

from alembic import op
import sqlalchemy as sa


revision: str = '0006'
down_revision: str | None = '0005'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('applicants', schema=None) as batch_op:
        batch_op.add_column(sa.Column('degree_eligible_university', sa.Enum('yes', 'no', 'unknown', name='degree_eligible_university', native_enum=False, create_constraint=True, length=32), server_default='unknown', nullable=False))
        batch_op.add_column(sa.Column('degree_stem', sa.Enum('yes', 'no', 'unknown', name='degree_stem', native_enum=False, create_constraint=True, length=32), server_default='unknown', nullable=False))
        batch_op.add_column(sa.Column('two_languages', sa.Enum('yes', 'no', 'unknown', name='two_languages', native_enum=False, create_constraint=True, length=32), server_default='unknown', nullable=False))
        batch_op.add_column(sa.Column('multinational_work_years', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('sector_work_years', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('international_work_years', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('income_amount', sa.Numeric(precision=16, scale=2), nullable=True))
        batch_op.add_column(sa.Column('income_currency', sa.String(length=3), nullable=True))
        batch_op.add_column(sa.Column('income_rate_to_hkd', sa.Numeric(precision=18, scale=8), nullable=True))
        batch_op.add_column(sa.Column('income_hkd', sa.Numeric(precision=16, scale=2), nullable=True))
        batch_op.add_column(sa.Column('profit_amount', sa.Numeric(precision=16, scale=2), nullable=True))
        batch_op.add_column(sa.Column('profit_currency', sa.String(length=3), nullable=True))
        batch_op.add_column(sa.Column('profit_rate_to_hkd', sa.Numeric(precision=18, scale=8), nullable=True))
        batch_op.add_column(sa.Column('profit_hkd', sa.Numeric(precision=16, scale=2), nullable=True))
        batch_op.add_column(sa.Column('owns_listed_company', sa.Enum('yes', 'no', 'unknown', name='owns_listed_company', native_enum=False, create_constraint=True, length=32), server_default='unknown', nullable=False))


def downgrade() -> None:
    # Named CHECK constraints go first: SQLite's table copy would keep them otherwise.
    with op.batch_alter_table('applicants', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('ck_applicants_owns_listed_company'), type_='check')
        batch_op.drop_column('owns_listed_company')
        batch_op.drop_column('profit_hkd')
        batch_op.drop_column('profit_rate_to_hkd')
        batch_op.drop_column('profit_currency')
        batch_op.drop_column('profit_amount')
        batch_op.drop_column('income_hkd')
        batch_op.drop_column('income_rate_to_hkd')
        batch_op.drop_column('income_currency')
        batch_op.drop_column('income_amount')
        batch_op.drop_column('international_work_years')
        batch_op.drop_column('sector_work_years')
        batch_op.drop_column('multinational_work_years')
        batch_op.drop_constraint(batch_op.f('ck_applicants_two_languages'), type_='check')
        batch_op.drop_column('two_languages')
        batch_op.drop_constraint(batch_op.f('ck_applicants_degree_stem'), type_='check')
        batch_op.drop_column('degree_stem')
        batch_op.drop_constraint(batch_op.f('ck_applicants_degree_eligible_university'), type_='check')
        batch_op.drop_column('degree_eligible_university')

