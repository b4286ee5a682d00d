"""Placeholder for revision 0007, which main holds (an index). Delete this file when main's
0007 is merged in: 0008 follows it.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-03
"""

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
