"""workflow constraints: fields tied to state, the termination status as an enum, school and
student settings of the seeds' rules (forced terminations count; why signing is closed)

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-29 23:00:00

"""
from alembic import op
import sqlalchemy as sa


revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None

CLOSED = "'expired', 'invalidated', 'rejected', 'review_rejected', 'terminated', 'voided'"
INVITATION_CHECKS = {
    'closed_state': f"(state IN ({CLOSED})) = (closed_at IS NOT NULL)",
    'numbered_state': "agreement_no IS NULL OR state IN ('effective', 'invalidated', 'school_review', "
                      "'terminated', 'voided')",
    'termination_status_state': (
        "termination_status IS NULL OR (termination_status = 'in_flight' AND state = 'effective')"
        f" OR (termination_status = 'failed' AND state IN ('effective', {CLOSED}))"
        " OR (termination_status IN ('approved', 'forced') AND state = 'terminated')"),
    'termination_status': "termination_status IN ('in_flight', 'failed', 'approved', 'forced')",
}
EFFECTIVE_OLD = "state <> 'effective' OR agreement_no IS NOT NULL"
EFFECTIVE_NEW = "state <> 'effective' OR (agreement_no IS NOT NULL AND effective_at IS NOT NULL)"
TERMINATION_CLOSED = "(state IN ('approved', 'disagreed', 'rejected')) = (closed_at IS NOT NULL)"


def upgrade():
    with op.batch_alter_table('schools', schema=None) as batch_op:
        batch_op.add_column(sa.Column('forced_terminations_count', sa.Boolean(), nullable=False,
                                      server_default=sa.true()))
    with op.batch_alter_table('students', schema=None) as batch_op:
        batch_op.add_column(sa.Column('signing_closed_reason', sa.String(length=200), nullable=True))

    # An agreement the school terminated itself was marked "failed" (or nothing) before.
    op.execute("UPDATE invitations SET termination_status = 'forced' WHERE state = 'terminated'"
               " AND (termination_status IS NULL OR termination_status <> 'approved')")
    with op.batch_alter_table('invitations', schema=None) as batch_op:
        batch_op.alter_column('termination_status', existing_type=sa.String(length=16),
                              type_=sa.String(length=32), existing_nullable=True)
        batch_op.drop_constraint(op.f('ck_invitations_effective_has_no'), type_='check')
        batch_op.create_check_constraint('effective_has_no', EFFECTIVE_NEW)
        for name, condition in INVITATION_CHECKS.items():
            batch_op.create_check_constraint(name, condition)
    with op.batch_alter_table('terminations', schema=None) as batch_op:
        batch_op.create_check_constraint('closed_state', TERMINATION_CLOSED)


def downgrade():
    with op.batch_alter_table('terminations', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_terminations_closed_state'), type_='check')
    with op.batch_alter_table('invitations', schema=None) as batch_op:
        for name in reversed(list(INVITATION_CHECKS)):
            batch_op.drop_constraint(op.f(f'ck_invitations_{name}'), type_='check')
        batch_op.drop_constraint(op.f('ck_invitations_effective_has_no'), type_='check')
        batch_op.create_check_constraint('effective_has_no', EFFECTIVE_OLD)
        batch_op.alter_column('termination_status', existing_type=sa.String(length=32),
                              type_=sa.String(length=16), existing_nullable=True)
    op.execute("UPDATE invitations SET termination_status = 'failed' WHERE termination_status = 'forced'")
    with op.batch_alter_table('students', schema=None) as batch_op:
        batch_op.drop_column('signing_closed_reason')
    with op.batch_alter_table('schools', schema=None) as batch_op:
        batch_op.drop_column('forced_terminations_count')
