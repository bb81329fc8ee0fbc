"""The result store: each table of a run as Parquet, a manifest written last, one reader.

Public API (documented in docs/result-schema.md)::

    from cbeclab.store import open_run, write_run
    write_run(result, "out/run")          # what `cbeclab run SPEC --out out/run` does
    run = open_run("out/run")             # RunStore: .tables, .info(n), .table(n), .verify(), .result()
"""

from cbeclab.store.folder import RunFolderError, run_folder
from cbeclab.store.runstore import SCHEMA_VERSION, RunStore, StoreError, StoreWriter, open_run
from cbeclab.store.write import result_document, write_run

__all__ = [
    "SCHEMA_VERSION",
    "RunFolderError",
    "RunStore",
    "StoreError",
    "StoreWriter",
    "open_run",
    "result_document",
    "run_folder",
    "write_run",
]
