"""personal API tokens, and audit entries that say a change came through the API

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-26

api_tokens holds each token's SHA-256 (never the secret), its name, owner, expiry, last use
and revocation. audit_entries gains ``via`` ("api" for changes made through the JSON API) and
the token used. Both new audit columns are nullable, so the upgrade adds them in place (no
rebuild of a table that grows with every change); existing entries keep NULL (pages, CLI).

"""
from collections.abc import Sequence

from alembic import op
import sqlalchemy as sa


revision: str = '0008'
down_revision: str | None = '0007'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('api_tokens',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=80), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('prefix', sa.String(length=16), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('last_used_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('revoked_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('revoked_by_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_api_tokens_created_by_id_users')),
    sa.ForeignKeyConstraint(['revoked_by_id'], ['users.id'], name=op.f('fk_api_tokens_revoked_by_id_users')),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_api_tokens_user_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_api_tokens')),
    sa.UniqueConstraint('token_hash', name=op.f('uq_api_tokens_token_hash'))
    )
    with op.batch_alter_table('api_tokens', schema=None) as batch_op:
        batch_op.create_index('ix_api_tokens_user_id_created_at', ['user_id', 'created_at'], unique=False)

    # Plain ADD COLUMN on both databases; SQLite takes the reference inline (Alembic would
    # rebuild the table to add it as a separate constraint).
    op.add_column('audit_entries', sa.Column('via', sa.String(length=8), nullable=True))
    if op.get_bind().dialect.name == 'sqlite':
        op.execute('ALTER TABLE audit_entries ADD COLUMN api_token_id INTEGER '
                   'CONSTRAINT fk_audit_entries_api_token_id_api_tokens '
                   'REFERENCES api_tokens (id)')
    else:
        op.add_column('audit_entries', sa.Column('api_token_id', sa.Integer(), nullable=True))
        op.create_foreign_key(op.f('fk_audit_entries_api_token_id_api_tokens'), 'audit_entries',
                              'api_tokens', ['api_token_id'], ['id'])



def downgrade() -> None:
    if op.get_bind().dialect.name == 'sqlite':
        # SQLite cannot drop a column that holds a reference: the table is rebuilt.
        with op.batch_alter_table('audit_entries', schema=None) as batch_op:
            batch_op.drop_column('api_token_id')
            batch_op.drop_column('via')
    else:
        op.drop_constraint(op.f('fk_audit_entries_api_token_id_api_tokens'), 'audit_entries',
                           type_='foreignkey')
        op.drop_column('audit_entries', 'api_token_id')
        op.drop_column('audit_entries', 'via')

    with op.batch_alter_table('api_tokens', schema=None) as batch_op:
        batch_op.drop_index('ix_api_tokens_user_id_created_at')

    op.drop_table('api_tokens')
