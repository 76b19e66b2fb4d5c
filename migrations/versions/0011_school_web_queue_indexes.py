"""reviewer queue indexes: newest last action first, per state and across states; student names

Revision ID: school_web_2
Revises: school_web_1
Create Date: 2026-11-29 23:00:00

"""
from alembic import op


revision = 'school_web_2'
down_revision = 'school_web_1'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('invitations', schema=None) as batch_op:
        batch_op.create_index('ix_invitations_school_state_recent', ['school_id', 'state', 'updated_at'],
                              unique=False)
        batch_op.create_index('ix_invitations_school_recent', ['school_id', 'updated_at', 'id', 'state'], unique=False)
        batch_op.create_index('ix_invitations_college_recent', ['college_id', 'updated_at', 'id', 'state'], unique=False)
    with op.batch_alter_table('students', schema=None) as batch_op:
        batch_op.create_index('ix_students_school_name', ['school_id', 'name'], unique=False)


def downgrade():
    with op.batch_alter_table('students', schema=None) as batch_op:
        batch_op.drop_index('ix_students_school_name')
    with op.batch_alter_table('invitations', schema=None) as batch_op:
        batch_op.drop_index('ix_invitations_college_recent')
        batch_op.drop_index('ix_invitations_school_recent')
        batch_op.drop_index('ix_invitations_school_state_recent')
