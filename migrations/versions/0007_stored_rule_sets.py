"""stored rule sets: versions an admin made from another one, with a future effective date

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-26

Rule sets stored by admins live here; packaged ones stay in caseapp/rules/rulesets/. Each row
keeps the rule set as canonical JSON (exactly RuleSet.to_dict()), its version (unique, as check
runs record it), title and effective date, the version it was made from, and who created and
last changed it, when. No backfill: the packaged versions are not copied here.

"""
from collections.abc import Sequence

from alembic import op
import sqlalchemy as sa


revision: str = '0007'
down_revision: str | None = '0006'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('stored_rule_sets',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('version', sa.String(length=40), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('effective_date', sa.Date(), nullable=False),
    sa.Column('based_on', sa.String(length=40), nullable=False),
    sa.Column('content', sa.Text(), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_by_id', sa.Integer(), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_stored_rule_sets_created_by_id_users')),
    sa.ForeignKeyConstraint(['updated_by_id'], ['users.id'], name=op.f('fk_stored_rule_sets_updated_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_stored_rule_sets')),
    sa.UniqueConstraint('effective_date', name=op.f('uq_stored_rule_sets_effective_date')),
    sa.UniqueConstraint('version', name=op.f('uq_stored_rule_sets_version'))
    )


def downgrade() -> None:
    op.drop_table('stored_rule_sets')
