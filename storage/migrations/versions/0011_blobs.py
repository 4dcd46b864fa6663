"""blobs in the database: on PostgreSQL the filed documents live in table ``blob``
(content-addressed by sha256, bytea), so every client, from any folder, sees the same
documents and a pg_dump carries them

SQLite keeps its folder beside the database file and leaves this table empty. On
PostgreSQL the documents filed before this revision are copied in from the folder manyi
used then (``$MANYI_HOME/manyi-blobs``; run the upgrade where that folder is). On
PostgreSQL the table is under row-level security: any mapped operator may read and add
documents, nobody may change or delete one (no UPDATE or DELETE policy); logins mapped
before this revision are granted what they need.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-03
"""

import hashlib
import os
import re
from datetime import UTC, datetime
from pathlib import Path

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None

_ROLE = "(SELECT manyi_role())"


def upgrade() -> None:
    op.create_table(
        "blob",
        sa.Column("sha256", sa.String(), nullable=False),
        sa.Column("size", sa.BigInteger(), nullable=False),
        sa.Column("content", sa.LargeBinary(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("sha256"),
    )
    conn = op.get_bind()
    if conn.dialect.name != "postgresql":
        return
    conn.exec_driver_sql("ALTER TABLE blob ENABLE ROW LEVEL SECURITY")
    conn.exec_driver_sql(f"CREATE POLICY manyi_read ON blob FOR SELECT USING ({_ROLE} IS NOT NULL)")
    conn.exec_driver_sql(f"CREATE POLICY manyi_insert ON blob FOR INSERT WITH CHECK ({_ROLE} IS NOT NULL)")
    quote = conn.dialect.identifier_preparer.quote
    logins = conn.execute(sa.text("SELECT db_login FROM operator WHERE db_login IS NOT NULL")).scalars()
    for login in logins:
        conn.exec_driver_sql(f"GRANT SELECT, INSERT ON blob TO {quote(login)}")
    if not os.environ.get("MANYI_BLOBS", "").strip():
        _move_in_documents(conn, Path(os.environ.get("MANYI_HOME", ".")).resolve() / "manyi-blobs")


def _move_in_documents(conn: sa.engine.Connection, folder: Path) -> None:
    """Documents filed before this revision, from the folder manyi then used
    (``$MANYI_HOME/manyi-blobs``, or ``./manyi-blobs``): each one whose content still
    matches its name is copied in; the folder is left as it is (delete it by hand)."""
    if not folder.is_dir():
        return
    now = datetime.now(UTC)
    for path in sorted(folder.glob("??/*")):
        if not re.fullmatch(r"[0-9a-f]{64}", path.name) or not path.is_file():
            continue
        data = path.read_bytes()
        if hashlib.sha256(data).hexdigest() != path.name:
            continue  # altered: left out, so audit verify names it as missing
        conn.execute(
            sa.text(
                "INSERT INTO blob (sha256, size, content, created_at) VALUES (:s, :n, :c, :t) "
                "ON CONFLICT (sha256) DO NOTHING"
            ),
            {"s": path.name, "n": len(data), "c": data, "t": now},
        )


def downgrade() -> None:
    if op.get_bind().execute(sa.text("SELECT count(*) FROM blob")).scalar():
        raise RuntimeError("table blob holds filed documents; copy them out before downgrading below 0011")
    op.drop_table("blob")
