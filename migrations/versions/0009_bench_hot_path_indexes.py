"""Hot-path indexes: the unread inbox count, the employer's workbench counts and list

Revision ID: bench_1
Revises: e_agreement_1
Create Date: 2026-11-24 22:40:00

- ix_notifications_unread (recipient_type, recipient_id, read_at): the unread badge counts only
  the unread rows instead of the recipient's whole inbox;
- ix_invitations_workbench (employer_id, state, deadline_at, termination_status): the grouped
  workbench count is answered from the index alone;
- ix_invitations_employer_recent (employer_id, id): the employer's list, newest first, reads
  one page instead of sorting every letter of the employer.
Plain CREATE INDEX: portable to MySQL, MariaDB, TiDB and OceanBase (and SQLite).
"""
from alembic import op

revision = 'bench_1'
down_revision = 'e_agreement_1'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('notifications', schema=None) as batch_op:
        batch_op.create_index('ix_notifications_unread', ['recipient_type', 'recipient_id', 'read_at'],
                              unique=False)
    with op.batch_alter_table('invitations', schema=None) as batch_op:
        batch_op.create_index('ix_invitations_workbench',
                              ['employer_id', 'state', 'deadline_at', 'termination_status'], unique=False)
        batch_op.create_index('ix_invitations_employer_recent', ['employer_id', 'id'], unique=False)


def downgrade():
    with op.batch_alter_table('invitations', schema=None) as batch_op:
        batch_op.drop_index('ix_invitations_employer_recent')
        batch_op.drop_index('ix_invitations_workbench')
    with op.batch_alter_table('notifications', schema=None) as batch_op:
        batch_op.drop_index('ix_notifications_unread')
