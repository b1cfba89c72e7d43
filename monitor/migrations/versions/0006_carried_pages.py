"""links: unchanged pages refer to the run that stored their links instead of copying them

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-23 21:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "carried_pages",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("run_id", sa.Integer(), nullable=False),
        sa.Column("source_url", sa.Text(), nullable=False),
        sa.Column("from_run", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["run_id"],
            ["runs.id"],
            name=op.f("fk_carried_pages_run_id_runs"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["from_run"],
            ["runs.id"],
            name=op.f("fk_carried_pages_from_run_runs"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_carried_pages")),
    )
    with op.batch_alter_table("carried_pages", schema=None) as batch_op:
        batch_op.create_index("ix_carried_pages_run_source", ["run_id", "source_url"])
        batch_op.create_index("ix_carried_pages_from_source", ["from_run", "source_url"])


def downgrade() -> None:
    with op.batch_alter_table("carried_pages", schema=None) as batch_op:
        batch_op.drop_index("ix_carried_pages_from_source")
        batch_op.drop_index("ix_carried_pages_run_source")
    op.drop_table("carried_pages")
