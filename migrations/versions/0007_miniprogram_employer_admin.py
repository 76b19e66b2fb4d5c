"""employer admin: the user who adds colleagues and resets their passwords

Revision ID: miniprogram_1
Revises: 0006
Create Date: 2026-11-29 22:30:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'miniprogram_1'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('accounts', schema=None) as batch_op:
        batch_op.add_column(sa.Column('employer_admin', sa.Boolean(), server_default=sa.false(),
                                      nullable=False))
        batch_op.create_check_constraint(op.f('ck_accounts_employer_admin_role'),
                                         "NOT employer_admin OR role = 'employer_user'")
    # Each employer's first user (the one who registered it) administers its accounts.
    op.execute("UPDATE accounts SET employer_admin = true WHERE id IN (SELECT id FROM ("
               "SELECT MIN(id) AS id FROM accounts WHERE role = 'employer_user' GROUP BY employer_id"
               ") AS firsts)")


def downgrade():
    with op.batch_alter_table('accounts', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_accounts_employer_admin_role'), type_='check')
        batch_op.drop_column('employer_admin')
