"""What the outbox relay remembers about Redis: a lost queue is noticed at its next run (issue 16)

Revision ID: faults_2
Revises: faults_1
Create Date: 2026-11-30 00:16:58.689118

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'faults_2'
down_revision = 'faults_1'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('relay_markers',
    sa.Column('name', sa.String(length=40), nullable=False),
    sa.Column('token', sa.String(length=64), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('name', name=op.f('pk_relay_markers')),
    mysql_charset='utf8mb4',
    mysql_collate='utf8mb4_unicode_ci',
    mysql_engine='InnoDB'
    )


def downgrade():
    op.drop_table('relay_markers')
