"""e-agreement documents: the rendered 电子就业协议书 and 解约函, one row per subject, with its
render requests (requested_seq / rendered_seq) and the random storage keys of its files

Revision ID: e_agreement_1
Revises: miniprogram_1
Create Date: 2026-11-29 23:07:19.041494

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'e_agreement_1'
down_revision = 'miniprogram_1'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('agreement_documents',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('subject_id', sa.Integer(), nullable=False),
    sa.Column('requested_seq', sa.Integer(), nullable=False),
    sa.Column('rendered_seq', sa.Integer(), nullable=False),
    sa.Column('next_attempt_at', sa.DateTime(), nullable=True),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('last_error', sa.String(length=300), nullable=True),
    sa.Column('state', sa.String(length=32), nullable=True),
    sa.Column('content_hash', sa.String(length=64), nullable=True),
    sa.Column('pages', sa.Integer(), nullable=True),
    sa.Column('pdf_key', sa.String(length=80), nullable=True),
    sa.Column('png_key', sa.String(length=80), nullable=True),
    sa.Column('masked_pdf_key', sa.String(length=80), nullable=True),
    sa.Column('masked_png_key', sa.String(length=80), nullable=True),
    sa.Column('rendered_at', sa.DateTime(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.CheckConstraint("kind IN ('online', 'paper', 'termination_letter')", name=op.f('ck_agreement_documents_kind')),
    sa.CheckConstraint('rendered_seq <= requested_seq', name=op.f('ck_agreement_documents_rendered_requested')),
    sa.CheckConstraint('rendered_seq = 0 OR (pdf_key IS NOT NULL AND png_key IS NOT NULL AND masked_pdf_key IS NOT NULL AND masked_png_key IS NOT NULL AND content_hash IS NOT NULL AND rendered_at IS NOT NULL)', name=op.f('ck_agreement_documents_rendered_files')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_agreement_documents')),
    sa.UniqueConstraint('kind', 'subject_id', name=op.f('uq_agreement_documents_kind_subject_id')),
    mysql_charset='utf8mb4',
    mysql_collate='utf8mb4_unicode_ci',
    mysql_engine='InnoDB'
    )
    with op.batch_alter_table('agreement_documents', schema=None) as batch_op:
        batch_op.create_index('ix_agreement_documents_due', ['next_attempt_at'], unique=False)



def downgrade():
    with op.batch_alter_table('agreement_documents', schema=None) as batch_op:
        batch_op.drop_index('ix_agreement_documents_due')

    op.drop_table('agreement_documents')
