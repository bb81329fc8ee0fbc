"""Benchmark: writing the outputs of a 3,000 x 20 x 40 run.

Runs, in one process, on the same :class:`~cbeclab.pipeline.RunResult`:

* ``cbeclab``: :func:`cbeclab.store.write_run` -- every table as Parquet, result.json, result.xlsx
  (contents, summary, tables that fit), report.html, manifest, staged folder swap;
* ``csv``: what a script would do to keep every table: ``DataFrame.to_csv`` of each table of
  ``RunResult.tables()`` into a folder (no JSON, workbook, report or checksums).

Prints both times, the ratio and the peak memory (RSS of this process).
Usage: ``python benchmarks/bench_writing.py [--entities 3000]``.
"""

from __future__ import annotations

import argparse
import resource
import tempfile
import time
from pathlib import Path

from _common import engine_spec, make_panel


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--entities", type=int, default=3000)
    args = ap.parse_args()
    from cbeclab.io.panel import panel_from_frame
    from cbeclab.pipeline import run_spec
    from cbeclab.spec import spec_from_dict
    from cbeclab.store import open_run, write_run

    X = make_panel(args.entities, 20, 40)
    cols = list(X.columns)
    spec = spec_from_dict(engine_spec(cols, forecast=True))
    panel = panel_from_frame(X.reset_index(), entity="entity", period="period", name="synthetic")
    res = run_spec(spec, panel=panel)
    with tempfile.TemporaryDirectory() as tmp:
        t0 = time.perf_counter()
        write_run(res, Path(tmp) / "run")
        t_ours = time.perf_counter() - t0
        open_run(Path(tmp) / "run").verify()
        t0 = time.perf_counter()
        out = Path(tmp) / "csv"
        out.mkdir()
        for name, frame in res.tables().items():
            frame.to_csv(out / f"{name}.csv", index=False)
        t_csv = time.perf_counter() - t0
    print(f"{args.entities} entities x 20 periods x 40 indicators, {len(res.tables())} tables")
    print(f"cbeclab write_run (store + json + xlsx + html + manifest): {t_ours:.2f} s")
    print(f"to_csv of every table:                                    {t_csv:.2f} s")
    print(f"ratio cbeclab / to_csv: {t_ours / t_csv:.2f}x")
    print(f"peak memory (RSS of this process): {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB")


if __name__ == "__main__":
    main()
