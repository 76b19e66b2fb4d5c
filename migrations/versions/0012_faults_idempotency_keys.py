"""Idempotency-Key records in the database, next to the writes they answer for (issue 16)

Revision ID: faults_1
Revises: school_web_2
Create Date: 2026-11-29 23:02:20

"""
from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import mysql

# revision identifiers, used by Alembic.
revision = 'faults_1'
down_revision = 'school_web_2'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('idempotency_keys',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('caller', sa.String(length=40), nullable=False),
    sa.Column('key_hash', sa.String(length=64), nullable=False),
    sa.Column('request_hash', sa.String(length=64), nullable=False),
    sa.Column('state', sa.String(length=10), nullable=False),
    sa.Column('owner', sa.String(length=32), nullable=False),
    sa.Column('lease_until', sa.DateTime(), nullable=True),
    sa.Column('status_code', sa.SmallInteger(), nullable=True),
    sa.Column('body', sa.Text().with_variant(mysql.MEDIUMTEXT(), 'mysql'), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('expires_at', sa.DateTime(), nullable=False),
    sa.CheckConstraint("(state = 'done') = (status_code IS NOT NULL AND body IS NOT NULL)",
                       name=op.f('ck_idempotency_keys_done_has_answer')),
    sa.CheckConstraint("(state = 'running') = (lease_until IS NOT NULL)",
                       name=op.f('ck_idempotency_keys_running_has_lease')),
    sa.CheckConstraint("state IN ('running', 'done')", name=op.f('ck_idempotency_keys_state')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_idempotency_keys')),
    sa.UniqueConstraint('caller', 'key_hash', name=op.f('uq_idempotency_keys_caller_key_hash')),
    mysql_charset='utf8mb4',
    mysql_collate='utf8mb4_unicode_ci',
    mysql_engine='InnoDB'
    )
    with op.batch_alter_table('idempotency_keys', schema=None) as batch_op:
        batch_op.create_index('ix_idempotency_keys_expires', ['expires_at'], unique=False)



def downgrade():
    with op.batch_alter_table('idempotency_keys', schema=None) as batch_op:
        batch_op.drop_index('ix_idempotency_keys_expires')

    op.drop_table('idempotency_keys')
