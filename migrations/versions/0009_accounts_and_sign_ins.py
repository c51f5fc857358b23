"""accounts and sign-ins: sign-out everywhere, forced password change, sign-in history

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-26

users gains ``session_epoch`` (every session carries it; a password change, a reset or a
deactivation adds one, so every session of that user ends), ``must_change_password`` (an
admin's reset) and ``password_changed_at``. sign_ins keeps every attempt to sign in (time,
address, success or why not) for the admins and for throttling per account and per address.
audit_entries gains the indexes of the audit page's newest-first keyset, whole or by user, by
action or through the API (by case has its own since 0001), and (case_id, entity) for the passport numbers
a case's trail recorded, which the audit page blanks out. The new user columns are added in place.

"""
from collections.abc import Sequence

from alembic import op
import sqlalchemy as sa


revision: str = '0009'
down_revision: str | None = '0008'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('sign_ins',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('email_digest', sa.String(length=64), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.Column('address', sa.String(length=45), nullable=False),
    sa.Column('succeeded', sa.Boolean(), nullable=False),
    sa.Column('reason', sa.String(length=20), server_default='', nullable=False),
    sa.Column('user_agent', sa.String(length=200), server_default='', nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_sign_ins_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_sign_ins'))
    )
    with op.batch_alter_table('sign_ins', schema=None) as batch_op:
        batch_op.create_index('ix_sign_ins_address_at', ['address', 'at'], unique=False)
        batch_op.create_index('ix_sign_ins_email_digest_at', ['email_digest', 'at'], unique=False)
        batch_op.create_index('ix_sign_ins_user_id_at', ['user_id', 'at', 'id'], unique=False)

    with op.batch_alter_table('audit_entries', schema=None) as batch_op:
        batch_op.create_index('ix_audit_entries_action_at_id', ['action', 'at', 'id'], unique=False)
        batch_op.create_index('ix_audit_entries_at_id', ['at', 'id'], unique=False)
        batch_op.create_index('ix_audit_entries_user_id_at_id', ['user_id', 'at', 'id'], unique=False)
        batch_op.create_index('ix_audit_entries_case_id_entity', ['case_id', 'entity'], unique=False)
        batch_op.create_index('ix_audit_entries_via_at_id', ['via', 'at', 'id'], unique=False)

    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('session_epoch', sa.Integer(), server_default='0', nullable=False))
        batch_op.add_column(sa.Column('must_change_password', sa.Boolean(), server_default=sa.false(), nullable=False))
        batch_op.add_column(sa.Column('password_changed_at', sa.DateTime(timezone=True), nullable=True))



def downgrade() -> None:
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_column('password_changed_at')
        batch_op.drop_column('must_change_password')
        batch_op.drop_column('session_epoch')

    with op.batch_alter_table('audit_entries', schema=None) as batch_op:
        batch_op.drop_index('ix_audit_entries_via_at_id')
        batch_op.drop_index('ix_audit_entries_case_id_entity')
        batch_op.drop_index('ix_audit_entries_user_id_at_id')
        batch_op.drop_index('ix_audit_entries_at_id')
        batch_op.drop_index('ix_audit_entries_action_at_id')

    with op.batch_alter_table('sign_ins', schema=None) as batch_op:
        batch_op.drop_index('ix_sign_ins_user_id_at')
        batch_op.drop_index('ix_sign_ins_email_digest_at')
        batch_op.drop_index('ix_sign_ins_address_at')

    op.drop_table('sign_ins')
