"""The workbench's embedded store: one SQLite file under the data folder, with ordered schema migrations.

Tables: ``projects``, ``datasets`` (the uploaded file is kept as uploaded, with its SHA-256),
``analyses`` (an analysis kind and its options as JSON), ``runs`` (status, progress, error) and
``results`` (the files a finished run wrote, with checksums). Result tables themselves live in the
run's output folder, written by the same functions the CLI calls.

Migrations are an ordered list of SQL scripts; ``schema_version`` holds how many were applied. A new
migration is appended, never edited, so an old data folder upgrades in place.
"""

from __future__ import annotations

import json
import sqlite3
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

__all__ = ["MIGRATIONS", "Store", "display", "new_id"]

#: ordered schema migrations; index + 1 is the schema version after applying it
MIGRATIONS: list[str] = [
    """
    CREATE TABLE projects (
        id TEXT PRIMARY KEY, name TEXT NOT NULL, description TEXT NOT NULL DEFAULT '',
        created REAL NOT NULL
    );
    CREATE TABLE datasets (
        id TEXT PRIMARY KEY, project_id TEXT NOT NULL REFERENCES projects(id),
        name TEXT NOT NULL, filename TEXT NOT NULL, kind TEXT NOT NULL, size INTEGER NOT NULL,
        sha256 TEXT NOT NULL, created REAL NOT NULL
    );
    CREATE TABLE analyses (
        id TEXT PRIMARY KEY, project_id TEXT NOT NULL REFERENCES projects(id),
        dataset_id TEXT REFERENCES datasets(id), kind TEXT NOT NULL, name TEXT NOT NULL,
        options TEXT NOT NULL, created REAL NOT NULL
    );
    CREATE TABLE runs (
        id TEXT PRIMARY KEY, analysis_id TEXT NOT NULL REFERENCES analyses(id),
        status TEXT NOT NULL, progress REAL NOT NULL DEFAULT 0, step TEXT NOT NULL DEFAULT '',
        error TEXT, lang TEXT NOT NULL DEFAULT 'en', pid INTEGER,
        created REAL NOT NULL, started REAL, finished REAL
    );
    CREATE TABLE results (
        run_id TEXT NOT NULL REFERENCES runs(id), name TEXT NOT NULL, kind TEXT NOT NULL,
        size INTEGER NOT NULL, sha256 TEXT NOT NULL, PRIMARY KEY (run_id, name)
    );
    CREATE INDEX runs_analysis ON runs(analysis_id);
    CREATE INDEX datasets_project ON datasets(project_id);
    CREATE INDEX analyses_project ON analyses(project_id);
    """,
    """
    CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
    """,
    # names in each language, {"en": {"name": ..., "description": ...}, "zh": {...}} (demo projects)
    """
    ALTER TABLE projects ADD COLUMN names TEXT;
    ALTER TABLE analyses ADD COLUMN names TEXT;
    """,
]

#: run states; ``queued`` and ``running`` are live, the others final
LIVE = ("queued", "running")
FINAL = ("done", "failed", "cancelled")


def _names_json(names: dict[str, dict[str, str]] | None) -> str | None:
    return json.dumps(names, ensure_ascii=False) if names else None


def _with_names(row: dict[str, Any]) -> dict[str, Any]:
    """The row with ``names`` parsed (``{}`` when it has none)."""
    raw = row.get("names")
    row["names"] = json.loads(raw) if isinstance(raw, str) and raw else {}
    return row


def display(row: dict[str, Any], field: str, lang: str) -> str:
    """A project's or analysis's ``name`` / ``description`` in ``lang`` (stored names), else as typed."""
    return str(((row.get("names") or {}).get(lang) or {}).get(field) or row.get(field) or "")


def new_id() -> str:
    """A fresh random id (32 hex digits): ids name folders, so they are never taken from a request."""
    return uuid.uuid4().hex


class Store:
    """Thin typed access to the SQLite file (one connection per call; WAL so workers can write)."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()
        self.migrate()

    @contextmanager
    def connect(self) -> Iterator[sqlite3.Connection]:
        con = sqlite3.connect(self.path, timeout=30, isolation_level=None)
        con.row_factory = sqlite3.Row
        try:
            con.execute("PRAGMA busy_timeout = 30000")
            con.execute("PRAGMA foreign_keys = ON")
            yield con
        finally:
            con.close()

    # ---- migrations ----------------------------------------------------------------------------
    def version(self) -> int:
        with self.connect() as con:
            con.execute("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)")
            row = con.execute("SELECT version FROM schema_version").fetchone()
            return int(row[0]) if row else 0

    def migrate(self) -> int:
        """Apply the migrations not applied yet, each in its own transaction; returns the new version."""
        with self._lock, self.connect() as con:
            con.execute("PRAGMA journal_mode = WAL")
            con.execute("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)")
            row = con.execute("SELECT version FROM schema_version").fetchone()
            current = int(row[0]) if row else 0
            for i, script in enumerate(MIGRATIONS[current:], start=current + 1):
                con.execute("BEGIN IMMEDIATE")
                try:
                    for stmt in (s.strip() for s in script.split(";")):
                        if stmt:
                            con.execute(stmt)
                    con.execute("DELETE FROM schema_version")
                    con.execute("INSERT INTO schema_version (version) VALUES (?)", (i,))
                    con.execute("COMMIT")
                except BaseException:
                    con.execute("ROLLBACK")
                    raise
                current = i
            return current

    # ---- generic helpers -----------------------------------------------------------------------
    def _one(self, sql: str, args: tuple[Any, ...]) -> dict[str, Any] | None:
        with self.connect() as con:
            row = con.execute(sql, args).fetchone()
            return dict(row) if row else None

    def _all(self, sql: str, args: tuple[Any, ...] = ()) -> list[dict[str, Any]]:
        with self.connect() as con:
            return [dict(r) for r in con.execute(sql, args).fetchall()]

    def _exec(self, sql: str, args: tuple[Any, ...]) -> None:
        with self.connect() as con:
            con.execute(sql, args)

    # ---- projects ------------------------------------------------------------------------------
    def add_project(
        self, name: str, description: str = "", names: dict[str, dict[str, str]] | None = None
    ) -> dict[str, Any]:
        pid = new_id()
        self._exec(
            "INSERT INTO projects (id, name, description, created, names) VALUES (?, ?, ?, ?, ?)",
            (pid, name, description, time.time(), _names_json(names)),
        )
        return self.project(pid) or {}

    def project(self, pid: str) -> dict[str, Any] | None:
        row = self._one("SELECT * FROM projects WHERE id = ?", (pid,))
        return _with_names(row) if row else None

    def projects(self) -> list[dict[str, Any]]:
        return [_with_names(r) for r in self._all("SELECT * FROM projects ORDER BY created")]

    def set_names(self, table: str, rid: str, names: dict[str, dict[str, str]]) -> None:
        """Store the names of a project or analysis in each language."""
        if table not in ("projects", "analyses"):
            raise ValueError(table)
        self._exec(f"UPDATE {table} SET names = ? WHERE id = ?", (_names_json(names), rid))  # noqa: S608

    # ---- datasets ------------------------------------------------------------------------------
    def add_dataset(
        self, did: str, project_id: str, name: str, filename: str, kind: str, size: int, sha256: str
    ) -> dict[str, Any]:
        self._exec(
            "INSERT INTO datasets (id, project_id, name, filename, kind, size, sha256, created) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (did, project_id, name, filename, kind, size, sha256, time.time()),
        )
        return self.dataset(did) or {}

    def dataset(self, did: str) -> dict[str, Any] | None:
        return self._one("SELECT * FROM datasets WHERE id = ?", (did,))

    def datasets(self, project_id: str) -> list[dict[str, Any]]:
        return self._all("SELECT * FROM datasets WHERE project_id = ? ORDER BY created", (project_id,))

    # ---- analyses ------------------------------------------------------------------------------
    def add_analysis(
        self,
        project_id: str,
        dataset_id: str | None,
        kind: str,
        name: str,
        options: dict[str, Any],
        names: dict[str, dict[str, str]] | None = None,
    ) -> dict[str, Any]:
        aid = new_id()
        self._exec(
            "INSERT INTO analyses (id, project_id, dataset_id, kind, name, options, created, names) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (
                aid,
                project_id,
                dataset_id,
                kind,
                name,
                json.dumps(options, ensure_ascii=False),
                time.time(),
                _names_json(names),
            ),
        )
        return self.analysis(aid) or {}

    def analysis(self, aid: str) -> dict[str, Any] | None:
        row = self._one("SELECT * FROM analyses WHERE id = ?", (aid,))
        if row is not None:
            row["options"] = json.loads(row["options"])
            _with_names(row)
        return row

    def analyses(self, project_id: str) -> list[dict[str, Any]]:
        rows = self._all("SELECT * FROM analyses WHERE project_id = ? ORDER BY created", (project_id,))
        for r in rows:
            r["options"] = json.loads(r["options"])
            _with_names(r)
        return rows

    # ---- runs ----------------------------------------------------------------------------------
    def add_run(self, analysis_id: str, lang: str) -> dict[str, Any]:
        rid = new_id()
        self._exec(
            "INSERT INTO runs (id, analysis_id, status, lang, created) VALUES (?, ?, 'queued', ?, ?)",
            (rid, analysis_id, lang, time.time()),
        )
        return self.run(rid) or {}

    def run(self, rid: str) -> dict[str, Any] | None:
        return self._one("SELECT * FROM runs WHERE id = ?", (rid,))

    def runs(self, analysis_id: str | None = None) -> list[dict[str, Any]]:
        if analysis_id is None:
            return self._all("SELECT * FROM runs ORDER BY created DESC")
        return self._all("SELECT * FROM runs WHERE analysis_id = ? ORDER BY created DESC", (analysis_id,))

    def live_runs(self) -> list[dict[str, Any]]:
        return self._all("SELECT * FROM runs WHERE status IN ('queued', 'running')")

    def set_progress(self, rid: str, progress: float, step: str) -> None:
        self._exec(
            "UPDATE runs SET progress = ?, step = ? WHERE id = ? AND status = 'running'",
            (float(progress), step, rid),
        )

    def start_run(self, rid: str, pid: int | None) -> None:
        self._exec(
            "UPDATE runs SET status = 'running', pid = ?, started = ? WHERE id = ? AND status = 'queued'",
            (pid, time.time(), rid),
        )

    def finish_run(self, rid: str, status: str, error: str | None = None) -> bool:
        """Move a live run to a final state; returns False if it was already final (first writer wins)."""
        if status not in FINAL:
            raise ValueError(status)
        with self.connect() as con:
            cur = con.execute(
                "UPDATE runs SET status = ?, error = ?, finished = ?, "
                "progress = CASE WHEN ? = 'done' THEN 1.0 ELSE progress END "
                "WHERE id = ? AND status IN ('queued', 'running')",
                (status, error, time.time(), status, rid),
            )
            return cur.rowcount == 1

    def fail_interrupted(self, reason: str) -> int:
        """Mark every live run failed (called at start-up: their worker died with the old server)."""
        with self.connect() as con:
            cur = con.execute(
                "UPDATE runs SET status = 'failed', error = ?, finished = ? "
                "WHERE status IN ('queued', 'running')",
                (reason, time.time()),
            )
            return cur.rowcount

    # ---- results -------------------------------------------------------------------------------
    def add_result(self, run_id: str, name: str, kind: str, size: int, sha256: str) -> None:
        self._exec(
            "INSERT OR REPLACE INTO results (run_id, name, kind, size, sha256) VALUES (?, ?, ?, ?, ?)",
            (run_id, name, kind, size, sha256),
        )

    def results(self, run_id: str) -> list[dict[str, Any]]:
        return self._all("SELECT * FROM results WHERE run_id = ? ORDER BY name", (run_id,))

    # ---- meta ----------------------------------------------------------------------------------
    def meta(self, key: str) -> str | None:
        row = self._one("SELECT value FROM meta WHERE key = ?", (key,))
        return None if row is None else str(row["value"])

    def set_meta(self, key: str, value: str) -> None:
        self._exec("INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)", (key, value))
