"""long work: jobs with progress and a result to come back to

Revision ID: school_web_1
Revises: bench_1
Create Date: 2026-11-29 22:30:00

"""
from alembic import op
import sqlalchemy as sa


revision = 'school_web_1'
down_revision = 'bench_1'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('long_jobs',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=40), nullable=False),
    sa.Column('params', sa.JSON(), nullable=False),
    sa.Column('state', sa.Enum('queued', 'running', 'done', 'failed', name='work_state', native_enum=False, create_constraint=True, length=32), nullable=False),
    sa.Column('progress_done', sa.Integer(), nullable=False),
    sa.Column('progress_total', sa.Integer(), nullable=True),
    sa.Column('message', sa.String(length=200), nullable=True),
    sa.Column('result', sa.JSON(), nullable=True),
    sa.Column('result_file', sa.String(length=80), nullable=True),
    sa.Column('result_filename', sa.String(length=120), nullable=True),
    sa.Column('error', sa.String(length=500), nullable=True),
    sa.Column('created_by_id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('started_at', sa.DateTime(), nullable=True),
    sa.Column('finished_at', sa.DateTime(), nullable=True),
    sa.CheckConstraint("state <> 'failed' OR error IS NOT NULL", name=op.f('ck_long_jobs_failure_has_error')),
    sa.CheckConstraint("state NOT IN ('done', 'failed') OR finished_at IS NOT NULL", name=op.f('ck_long_jobs_finished_has_time')),
    sa.CheckConstraint('progress_done >= 0 AND (progress_total IS NULL OR progress_total >= 0)', name=op.f('ck_long_jobs_progress_nonneg')),
    sa.CheckConstraint('(result_file IS NULL) = (result_filename IS NULL)', name=op.f('ck_long_jobs_file_has_name')),
    sa.ForeignKeyConstraint(['created_by_id'], ['accounts.id'], name=op.f('fk_long_jobs_created_by_id_accounts')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_long_jobs')),
    mysql_charset='utf8mb4',
    mysql_collate='utf8mb4_unicode_ci',
    mysql_engine='InnoDB'
    )
    with op.batch_alter_table('long_jobs', schema=None) as batch_op:
        batch_op.create_index('ix_long_jobs_owner', ['created_by_id', 'id'], unique=False)


def downgrade():
    # The table takes its index with it (MariaDB refuses to drop an index its foreign key uses).
    op.drop_table('long_jobs')
