"""The result store of a run: one Parquet file a table under ``tables/`` and ``manifest.json``.

Layout of a run folder (``cbeclab run SPEC --out DIR``)::

    DIR/manifest.json        written last: format, schema_version, cbeclab_version, spec, tables
                             (file, rows, columns, sha256) and files (result.json, result.xlsx,
                             report.html with their sha256)
    DIR/tables/<name>.parquet  every table of the run, written once
    DIR/result.json          metadata, summary, small tables; names the files of the long ones
    DIR/result.xlsx          what a spreadsheet user can use, and where the rest is
    DIR/report.html

Read a run with :func:`open_run`::

    run = open_run("out/national")
    run.tables                  # ['summary', 'panel', 'synergy', ...]
    run.info("synergy")         # {'file': 'tables/synergy.parquet', 'rows': 60000, ...}
    df = run.table("synergy")   # a DataFrame (checksum verified)
    run.verify()                # every table and file against its checksum; raises StoreError
    run.result()                # result.json as a dict
"""

from __future__ import annotations

import hashlib
import io
import json
import os
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pandas as pd

from cbeclab import __version__
from cbeclab.errors import DataError
from cbeclab.i18n import _
from cbeclab.io.atomic import atomic_write_bytes

__all__ = ["SCHEMA_VERSION", "MANIFEST", "RunStore", "StoreError", "StoreWriter", "open_run"]

#: version of result.json and manifest.json (1: everything inline in result.json; 2: the store)
SCHEMA_VERSION = 2
MANIFEST = "manifest.json"
FORMAT = "cbeclab-run"
TABLES_DIR = "tables"


class StoreError(DataError):
    """A run folder is missing, incomplete or damaged (no manifest, a missing file, a bad checksum)."""


def sha256_bytes(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def _arrow_table(df: pd.DataFrame) -> Any:
    """DataFrame -> arrow table; object columns of mixed types are stored as text (None kept)."""
    import pyarrow as pa

    frame = df.copy(deep=False)
    frame.columns = [str(c) for c in frame.columns]
    try:
        return pa.Table.from_pandas(frame, preserve_index=False)
    except (pa.ArrowInvalid, pa.ArrowTypeError):
        for c in frame.columns:
            if frame[c].dtype == object:
                try:
                    pa.array(frame[c], from_pandas=True)
                except (pa.ArrowInvalid, pa.ArrowTypeError):
                    frame[c] = frame[c].map(lambda v: None if v is None or v != v else str(v))
        return pa.Table.from_pandas(frame, preserve_index=False)


@dataclass
class RunStore:
    """A run folder opened for reading. Build it with :func:`open_run`."""

    path: Path
    manifest: dict[str, Any]

    @property
    def tables(self) -> list[str]:
        """Names of the stored tables, in the order they were written."""
        return list(self.manifest.get("tables", {}))

    @property
    def spec(self) -> dict[str, Any]:
        """The validated spec of the run (every default filled in)."""
        return dict(self.manifest.get("spec") or {})

    def info(self, name: str) -> dict[str, Any]:
        """Manifest entry of table ``name``: ``file``, ``rows``, ``columns``, ``sha256``."""
        try:
            return dict(self.manifest["tables"][name])
        except KeyError:
            raise StoreError(
                _("the run has no table {name!r}", name=name),
                where=str(self.path / MANIFEST),
                fix=_("use one of: {names}", names=", ".join(self.tables)),
            ) from None

    def table(self, name: str, *, columns: list[str] | None = None, verify: bool = True) -> pd.DataFrame:
        """Table ``name`` as a DataFrame (``columns`` to read only some); checks the sha256 first."""
        import pyarrow.parquet as pq

        entry = self.info(name)
        path = self.path / entry["file"]
        try:
            data = path.read_bytes()
        except FileNotFoundError:
            raise StoreError(
                _("the table file {file} of the run is missing", file=entry["file"]),
                where=str(self.path),
                fix=_("run the spec again to rebuild the folder"),
            ) from None
        if verify and sha256_bytes(data) != entry["sha256"]:
            raise self._damaged(entry["file"])
        return pq.read_table(io.BytesIO(data), columns=columns).to_pandas()

    def file(self, name: str) -> Path:
        """Path of an output file named in the manifest (``result.json``, ``result.xlsx``, ``report.html``)."""
        if name not in self.manifest.get("files", {}):
            raise StoreError(
                _("the run has no file {name!r}", name=name),
                where=str(self.path / MANIFEST),
                fix=_("use one of: {names}", names=", ".join(self.manifest.get("files", {}))),
            )
        return self.path / name

    def result(self) -> dict[str, Any]:
        """``result.json`` of the run as a dict (schema in docs/result-schema.md)."""
        return dict(json.loads(self.file("result.json").read_text(encoding="utf-8")))

    def verify(self) -> None:
        """Check every table and output file against the manifest's sha256; raise :class:`StoreError`."""
        entries = [(t["file"], t["sha256"]) for t in self.manifest.get("tables", {}).values()]
        entries += [(name, f["sha256"]) for name, f in self.manifest.get("files", {}).items()]
        for rel, digest in entries:
            path = self.path / rel
            if not path.is_file():
                raise StoreError(
                    _("the file {file} of the run is missing", file=rel),
                    where=str(self.path),
                    fix=_("run the spec again to rebuild the folder"),
                )
            if sha256_file(path) != digest:
                raise self._damaged(rel)

    def _damaged(self, rel: str) -> StoreError:
        return StoreError(
            _("the file {file} does not match its checksum in the manifest (changed or damaged)", file=rel),
            where=str(self.path),
            fix=_("run the spec again to rebuild the folder"),
        )


def open_run(path: str | os.PathLike[str]) -> RunStore:
    """Open the run folder ``path`` (written by ``cbeclab run``/``demo``) for reading.

    Raises :class:`StoreError` when the folder has no manifest (not a run, or a run from before the
    store: schema 1) or the manifest is not one this version can read. Tables are checked against
    their checksum when loaded; :meth:`RunStore.verify` checks everything at once.
    """
    root = Path(path)
    mpath = root / MANIFEST
    try:
        manifest = json.loads(mpath.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise StoreError(
            _("{path} is not a complete cbeclab run folder (no {manifest})", path=root, manifest=MANIFEST),
            where=str(root),
            fix=_("give the --out folder of a finished `cbeclab run`, or run the spec again"),
        ) from None
    except (OSError, ValueError) as exc:
        raise StoreError(
            _("cannot read {manifest} ({error})", manifest=mpath, error=exc),
            where=str(mpath),
            fix=_("run the spec again to rebuild the folder"),
        ) from None
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise StoreError(_("{manifest} is not a cbeclab run manifest", manifest=mpath), where=str(mpath))
    version = manifest.get("schema_version")
    if not isinstance(version, int) or version > SCHEMA_VERSION:
        raise StoreError(
            _(
                "the run was written with schema version {version}; this cbeclab reads up to {max}",
                version=version,
                max=SCHEMA_VERSION,
            ),
            where=str(mpath),
            fix=_("upgrade cbeclab"),
        )
    return RunStore(root, manifest)


@dataclass
class StoreWriter:
    """Writes the tables and files of one run into a (staging) folder; :meth:`finish` writes the manifest."""

    root: Path
    tables: dict[str, dict[str, Any]] = field(default_factory=dict)
    files: dict[str, dict[str, Any]] = field(default_factory=dict)

    def add_table(self, name: str, df: pd.DataFrame) -> dict[str, Any]:
        """Write ``df`` as ``tables/<name>.parquet`` (once) and record rows, columns and sha256."""
        import pyarrow as pa
        import pyarrow.parquet as pq

        from cbeclab.store.folder import _hook

        if name in self.tables:
            raise ValueError(f"table {name!r} written twice")
        rel = f"{TABLES_DIR}/{name}.parquet"
        _hook(rel)
        sink = pa.BufferOutputStream()
        table = _arrow_table(df)
        # dictionary-encode only text columns: trying it on float columns costs more than it saves
        text_cols = [f.name for f in table.schema if not pa.types.is_floating(f.type)]
        pq.write_table(table, sink, compression="snappy", use_dictionary=text_cols)
        data = sink.getvalue().to_pybytes()
        atomic_write_bytes(self.root / rel, data)
        entry = {
            "file": rel,
            "rows": int(len(df)),
            "columns": [str(c) for c in df.columns],
            "sha256": sha256_bytes(data),
            "bytes": len(data),
        }
        self.tables[name] = entry
        return entry

    def add_file(self, name: str, data: bytes) -> Path:
        """Write an output file (``result.json``...) and record its sha256."""
        from cbeclab.store.folder import _hook

        _hook(name)
        path = atomic_write_bytes(self.root / name, data)
        self.files[name] = {"sha256": sha256_bytes(data), "bytes": len(data)}
        return path

    def pending(self) -> RunStore:
        """A reader over what is written so far (before the manifest exists): the writers read it."""
        return RunStore(self.root, self._manifest({}))

    def _manifest(self, spec: dict[str, Any]) -> dict[str, Any]:
        return {
            "format": FORMAT,
            "schema_version": SCHEMA_VERSION,
            "cbeclab_version": __version__,
            "created": datetime.now(UTC).isoformat(timespec="seconds"),
            "spec": spec,
            "tables": dict(self.tables),
            "files": dict(self.files),
        }

    def finish(self, spec: dict[str, Any]) -> Path:
        """Write ``manifest.json`` last: its presence marks a complete set."""
        from cbeclab.jsonsafe import json_safe
        from cbeclab.store.folder import _hook

        _hook(MANIFEST)
        text = json.dumps(json_safe(self._manifest(spec)), ensure_ascii=False, indent=2, allow_nan=False)
        return atomic_write_bytes(self.root / MANIFEST, (text + "\n").encode("utf-8"))
