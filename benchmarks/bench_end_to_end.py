"""Benchmark: the whole `cbeclab run SPEC --out DIR` command at national scale, with the defaults.

Writes a synthetic panel CSV (3,000 entities x 20 years x 40 indicators by default, from
``_common.make_panel``) and a spec (entropy weights, per-entity synergy, pooled coupling, obstacles,
GM(1,1) forecasts: the spec of bench_pipeline.py), then runs, each as a whole subprocess:

* ``cbeclab``: ``python -m cbeclab run SPEC --out DIR --quiet`` -- every output written (Parquet
  store, result.json, result.xlsx, report.html, manifest);
* ``numpy``: ``_numpy_peer.py``, a plain numpy script that reads the same CSV and computes the
  same tables: synergy, coupling coordination, obstacle degrees (indicator, subsystem, top 3) and
  the GM(1,1) fits and refusals of D, the subsystem order degrees and synergy. It writes no
  outputs (no store, report, workbook or JSON), so the ratio still includes all of cbeclab's writing.

Peak memory of each command is its own maximum RSS (``os.wait4`` resource usage of that child) and,
for cbeclab, the sum of that and the PNG helper process's own peak RSS (``VmHWM``, read from /proc
every 100 ms; an upper bound of the two processes' memory at any one moment).
Prints the wall times, the ratio, the peak memory and the agreement of the two (max abs diff of
synergy, D, obstacle degrees and the GM(1,1) values of D; share of equal top-3 obstacles and of equal
GM(1,1) refusals).
The targets of issue 8 are ratio <= 5 and peak memory <= 1.5 GB.

Usage: ``python benchmarks/bench_end_to_end.py [--entities 3000 --periods 20 --indicators 40]``.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import yaml
from _common import make_panel

HERE = Path(__file__).resolve().parent


def _children(pid: int) -> list[int]:
    """Every descendant of ``pid`` (Linux ``/proc/<pid>/task/<tid>/children``; empty elsewhere)."""
    found: list[int] = []
    todo = [pid]
    while todo:
        p = todo.pop()
        try:
            tasks = os.listdir(f"/proc/{p}/task")
        except OSError:
            continue
        for tid in tasks:
            try:
                kids = [int(k) for k in Path(f"/proc/{p}/task/{tid}/children").read_text().split()]
            except (OSError, ValueError):
                continue
            found.extend(kids)
            todo.extend(kids)
    return found


def _high_water(pid: int) -> tuple[bytes, int] | None:
    """(command line, peak RSS in kB so far: ``VmHWM``) of a live process, else None."""
    try:
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return cmdline, int(line.split()[1])
    except (OSError, ValueError):
        pass
    return None


def timed(cmd: list[str], env: dict[str, str]) -> tuple[float, float, float]:
    """Wall seconds, peak RSS (MB) of the process (its maximum, or its largest reaped child's) and the
    sum of the peak RSS of the process and of each descendant (the run's PNG helper process works
    beside it).

    The sum adds each process's own high-water mark (``VmHWM``, read every 100 ms), so it is an upper
    bound of their peak at any one moment. Sampling is kept this sparse and cheap (two small /proc
    reads a process) because the command is CPU-bound on two cores: the psutil tree walk every 20 ms
    used before took about 2 ms a sample and slowed the timed command by 5-10 %.
    """
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    marks: dict[int, int] = {}
    own = b""
    while True:
        pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
        if pid:
            break
        for p in [proc.pid, *_children(proc.pid)]:
            seen = _high_water(p)
            if seen is None:
                continue
            if p == proc.pid:
                own = seen[0]
            elif seen[0] == own:
                continue  # a child between fork and exec still shows the parent's command line and memory
            marks[p] = max(marks.get(p, 0), seen[1])
        time.sleep(0.1)
    wall = time.perf_counter() - t0
    err = proc.stderr.read().decode() if proc.stderr else ""
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"command failed: {' '.join(cmd)}\n{err}")
    peak = usage.ru_maxrss / 1024  # Linux: kB
    tree = (sum(marks.values()) - marks.get(proc.pid, 0)) / 1024 + peak
    return wall, peak, tree


def write_inputs(folder: Path, n_e: int, n_t: int, n_k: int) -> Path:
    X = make_panel(n_e, n_t, n_k)
    X.reset_index().to_csv(folder / "panel.csv", index=False)
    cols = list(X.columns)
    half = len(cols) // 2
    spec = {
        "title": f"national benchmark {n_e} x {n_t} x {n_k}",
        "data": {"path": "panel.csv", "entity": "entity", "period": "period"},
        "subsystems": {
            "digital_trade": {c: "+" for c in cols[:half]},
            "industrial_cluster": {c: ("-" if i % 7 == 3 else "+") for i, c in enumerate(cols[half:])},
        },
        "weights": "entropy",
        "forecast": {"enabled": True, "horizon": 3},
    }
    if n_e > 5000:  # a firm-level CSV is past the readers' default 200 MB limit: the spec raises it
        spec["data"]["max_mb"] = 2000  # type: ignore[index]
    (folder / "spec.yaml").write_text(yaml.safe_dump(spec), encoding="utf-8")
    return folder / "spec.yaml"


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--entities", type=int, default=3000)
    ap.add_argument("--periods", type=int, default=20)
    ap.add_argument("--indicators", type=int, default=40)
    ap.add_argument("--repeat", type=int, default=2, help="best of N for each command")
    ap.add_argument("--skip-peer", action="store_true", help="only run cbeclab (e.g. 30,000 entities)")
    args = ap.parse_args()
    env = dict(os.environ)
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        spec = write_inputs(folder, args.entities, args.periods, args.indicators)
        out = folder / "out"
        ours = [
            timed([sys.executable, "-m", "cbeclab", "run", str(spec), "--out", str(out), "--quiet"], env)
            for _ in range(args.repeat)
        ]
        t_ours, m_ours = min(o[0] for o in ours), max(o[1] for o in ours)
        m_tree = max(o[2] for o in ours)
        sizes = {p.name: p.stat().st_size for p in out.iterdir() if p.is_file()}
        tables = sum(p.stat().st_size for p in (out / "tables").iterdir())
        print(f"panel: {args.entities} entities x {args.periods} periods x {args.indicators} indicators")
        print(
            f"cbeclab run (whole command, best of {args.repeat}): {t_ours:.2f} s, peak RSS {m_ours:.0f} MB, "
            f"with its PNG helper process {m_tree:.0f} MB"
        )
        print(
            "outputs: "
            + ", ".join(f"{k} {v / 1e6:.1f} MB" for k, v in sorted(sizes.items()))
            + f", tables/ {tables / 1e6:.1f} MB"
        )
        if args.skip_peer:
            print(f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
            return
        npz = folder / "peer.npz"
        peer_cmd = [
            sys.executable,
            str(HERE / "_numpy_peer.py"),
            str(folder / "panel.csv"),
            str(spec),
            str(npz),
        ]
        peer = [timed(peer_cmd, env) for _ in range(args.repeat)]
        t_peer, m_peer = min(p[0] for p in peer), max(p[1] for p in peer)
        load = os.getloadavg()[0]
        print(f"plain numpy script (read CSV + the same tables): {t_peer:.2f} s, peak RSS {m_peer:.0f} MB")
        print(
            f"ratio cbeclab / numpy: {t_ours / t_peer:.2f}x (target <= 5x); peak memory {m_tree:.0f} MB "
            f"with the helper (target <= 1536 MB); load average {load:.1f} on {os.cpu_count()} cores"
        )

        from cbeclab.store import open_run

        run = open_run(out)
        run.verify()
        ref = np.load(npz)
        syn = run.table("synergy", columns=["synergy"])["synergy"].to_numpy(float)
        d = run.table("coupling", columns=["D"])["D"].to_numpy(float)
        obst = run.table("obstacles_indicator")
        inds = [c for c in obst.columns if c not in ("entity", "period")]
        top = run.table("obstacles_top", columns=["indicator"])["indicator"].to_numpy().reshape(-1, 3)
        gm_d = run.table("forecast_D", columns=["fitted"])["fitted"].to_numpy(float)
        ok = np.concatenate(
            [
                run.table(f"forecast_{k}_params", columns=["status"])["status"].eq("ok").to_numpy()
                for k in ("D", "synergy")
            ]
        )
        n_ok = sum(
            int(run.table(f"forecast_{k}_params", columns=["status"])["status"].eq("ok").sum())
            for k in ("D", "synergy", "subsystem_order")
        )
        print(
            f"agreement: max |synergy diff| = {np.nanmax(np.abs(syn - ref['synergy'])):.2e}, "
            f"max |D diff| = {np.nanmax(np.abs(d - ref['D'])):.2e}, "
            f"max |obstacle diff| = {np.abs(obst[inds].to_numpy(float) - ref['obstacle']).max():.2e}, "
            f"top-3 equal {np.mean(top == np.asarray(inds, dtype=object)[ref['top']]):.0%}, "
            f"max |GM(1,1) D diff| = {np.nanmax(np.abs(gm_d - ref['gm_D'][ref['gm_ok'][: len(ref['gm_D'])]].reshape(-1))):.2e}, "
            f"GM(1,1) refusals equal {np.mean(ok == ref['gm_ok'][: len(ok)]):.0%} "
            f"({n_ok} fitted by cbeclab, {int(ref['gm_ok'].sum())} by the peer)"
        )


if __name__ == "__main__":
    main()
