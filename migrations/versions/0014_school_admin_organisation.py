"""school administration: minimum wages, student corrections, signing-open scopes and their
log, service-level reminders, the password-change flag of accounts, admin edits of dictionaries

Revision ID: school_admin_1
Revises: faults_2
Create Date: 2026-11-29 22:13:38.024359

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'school_admin_1'
down_revision = 'faults_2'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('review_reminders',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('subject_type', sa.String(length=30), nullable=False),
    sa.Column('subject_id', sa.Integer(), nullable=False),
    sa.Column('stage', sa.String(length=32), nullable=False),
    sa.Column('entered_at', sa.DateTime(), nullable=False),
    sa.Column('level', sa.String(length=16), nullable=False),
    sa.Column('school_id', sa.Integer(), nullable=False),
    sa.Column('recipients', sa.Integer(), nullable=False),
    sa.Column('sent_at', sa.DateTime(), nullable=False),
    sa.CheckConstraint("level IN ('reviewer', 'school')", name=op.f('ck_review_reminders_level_known')),
    sa.ForeignKeyConstraint(['school_id'], ['schools.id'], name=op.f('fk_review_reminders_school_id_schools')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_review_reminders')),
    sa.UniqueConstraint('subject_type', 'subject_id', 'stage', 'entered_at', 'level', name='uq_review_reminders_item_level'),
    mysql_charset='utf8mb4',
    mysql_collate='utf8mb4_unicode_ci',
    mysql_engine='InnoDB'
    )
    op.create_table('minimum_wages',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('school_id', sa.Integer(), nullable=False),
    sa.Column('region_code', sa.String(length=6), nullable=False),
    sa.Column('monthly_wage', sa.Integer(), nullable=False),
    sa.Column('updated_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.CheckConstraint('monthly_wage BETWEEN 500 AND 50000', name=op.f('ck_minimum_wages_monthly_wage_range')),
    sa.ForeignKeyConstraint(['school_id'], ['schools.id'], name=op.f('fk_minimum_wages_school_id_schools')),
    sa.ForeignKeyConstraint(['updated_by_id'], ['accounts.id'], name=op.f('fk_minimum_wages_updated_by_id_accounts')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_minimum_wages')),
    sa.UniqueConstraint('school_id', 'region_code', name=op.f('uq_minimum_wages_school_id_region_code')),
    mysql_charset='utf8mb4',
    mysql_collate='utf8mb4_unicode_ci',
    mysql_engine='InnoDB'
    )
    op.create_table('scope_changes',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('school_id', sa.Integer(), nullable=False),
    sa.Column('cohort', sa.Integer(), nullable=False),
    sa.Column('college_id', sa.Integer(), nullable=True),
    sa.Column('field', sa.String(length=30), nullable=False),
    sa.Column('value', sa.String(length=20), nullable=False),
    sa.Column('reason', sa.String(length=200), nullable=True),
    sa.Column('affected', sa.Integer(), nullable=False),
    sa.Column('changed_by_id', sa.Integer(), nullable=True),
    sa.Column('changed_by_name', sa.String(length=100), nullable=False),
    sa.Column('changed_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['changed_by_id'], ['accounts.id'], name=op.f('fk_scope_changes_changed_by_id_accounts')),
    sa.ForeignKeyConstraint(['college_id'], ['colleges.id'], name=op.f('fk_scope_changes_college_id_colleges')),
    sa.ForeignKeyConstraint(['school_id'], ['schools.id'], name=op.f('fk_scope_changes_school_id_schools')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_scope_changes')),
    mysql_charset='utf8mb4',
    mysql_collate='utf8mb4_unicode_ci',
    mysql_engine='InnoDB'
    )
    with op.batch_alter_table('scope_changes', schema=None) as batch_op:
        batch_op.create_index('ix_scope_changes_school', ['school_id', 'id'], unique=False)

    op.create_table('signing_scopes',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('scope_key', sa.String(length=40), nullable=False),
    sa.Column('school_id', sa.Integer(), nullable=False),
    sa.Column('cohort', sa.Integer(), nullable=False),
    sa.Column('college_id', sa.Integer(), nullable=True),
    sa.Column('signing_open', sa.Boolean(), nullable=False),
    sa.Column('closed_reason', sa.String(length=200), nullable=True),
    sa.Column('updated_by_id', sa.Integer(), nullable=True),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.CheckConstraint('cohort BETWEEN 2000 AND 2100', name=op.f('ck_signing_scopes_cohort_range')),
    sa.CheckConstraint('signing_open = 1 OR closed_reason IS NOT NULL', name=op.f('ck_signing_scopes_closed_has_reason')),
    sa.ForeignKeyConstraint(['college_id'], ['colleges.id'], name=op.f('fk_signing_scopes_college_id_colleges')),
    sa.ForeignKeyConstraint(['school_id'], ['schools.id'], name=op.f('fk_signing_scopes_school_id_schools')),
    sa.ForeignKeyConstraint(['updated_by_id'], ['accounts.id'], name=op.f('fk_signing_scopes_updated_by_id_accounts')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_signing_scopes')),
    sa.UniqueConstraint('scope_key', name=op.f('uq_signing_scopes_scope_key')),
    mysql_charset='utf8mb4',
    mysql_collate='utf8mb4_unicode_ci',
    mysql_engine='InnoDB'
    )
    op.create_table('student_changes',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('student_id', sa.Integer(), nullable=False),
    sa.Column('field', sa.String(length=30), nullable=False),
    sa.Column('old_text', sa.String(length=200), nullable=True),
    sa.Column('new_text', sa.String(length=200), nullable=True),
    sa.Column('old_secret', sa.String(length=255), nullable=True),
    sa.Column('new_secret', sa.String(length=255), nullable=True),
    sa.Column('reason', sa.String(length=200), nullable=True),
    sa.Column('changed_by_id', sa.Integer(), nullable=True),
    sa.Column('changed_by_name', sa.String(length=100), nullable=False),
    sa.Column('changed_at', sa.DateTime(), nullable=False),
    sa.CheckConstraint("field IN ('id_number', 'phone') OR (old_secret IS NULL AND new_secret IS NULL)", name=op.f('ck_student_changes_secret_only_pii')),
    sa.CheckConstraint("field NOT IN ('id_number', 'phone') OR (old_text IS NULL AND new_text IS NULL)", name=op.f('ck_student_changes_pii_not_plain')),
    sa.ForeignKeyConstraint(['changed_by_id'], ['accounts.id'], name=op.f('fk_student_changes_changed_by_id_accounts')),
    sa.ForeignKeyConstraint(['student_id'], ['students.id'], name=op.f('fk_student_changes_student_id_students')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_student_changes')),
    mysql_charset='utf8mb4',
    mysql_collate='utf8mb4_unicode_ci',
    mysql_engine='InnoDB'
    )
    with op.batch_alter_table('student_changes', schema=None) as batch_op:
        batch_op.create_index('ix_student_changes_student', ['student_id', 'id'], unique=False)

    with op.batch_alter_table('accounts', schema=None) as batch_op:
        batch_op.add_column(sa.Column('must_change_password', sa.Boolean(), server_default=sa.false(), nullable=False))

    with op.batch_alter_table('dict_entries', schema=None) as batch_op:
        batch_op.add_column(sa.Column('edited_at', sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column('edited_by_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_dict_entries_edited_by_id_accounts'), 'accounts', ['edited_by_id'], ['id'])



def downgrade():
    with op.batch_alter_table('dict_entries', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_dict_entries_edited_by_id_accounts'), type_='foreignkey')
        batch_op.drop_column('edited_by_id')
        batch_op.drop_column('edited_at')

    with op.batch_alter_table('accounts', schema=None) as batch_op:
        batch_op.drop_column('must_change_password')

    # Dropping a table drops its indexes (MySQL refuses to drop one a foreign key uses first).
    op.drop_table('student_changes')
    op.drop_table('signing_scopes')
    op.drop_table('scope_changes')
    op.drop_table('minimum_wages')
    op.drop_table('review_reminders')
