"""Benchmark: the whole engine pipeline on 3,000 entities x 20 periods x 40 indicators.

Runs, in the same process and on the same synthetic panel:

* ``cbeclab``: :func:`cbeclab.pipeline.run_spec` (entropy weights per subsystem, per-entity synergy,
  pooled coupling coordination, stages, obstacle degree, GM(1,1) forecasts of subsystem order, synergy
  and D) — timed end to end, panel already in memory;
* ``loop``: a straightforward implementation of the core formulas (entropy weights, synergy, coupling;
  no obstacles or forecasts, so the ratio understates the gap) that loops over entities with pandas,
  the way a one-off script would.

It checks that both give the same synergy and D (max abs difference printed), then prints the times and
the ratio. Usage: ``python benchmarks/bench_pipeline.py [--entities 3000 --periods 20 --indicators 40]``.
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import pandas as pd
from _common import make_panel


def loop_pipeline(
    X: pd.DataFrame, subs: dict[str, dict[str, int]], margin: float = 0.1
) -> tuple[pd.Series, pd.Series]:
    """Per-entity loop version: entropy weights per entity (synergy) and pooled (coupling)."""

    def entropy(frame: pd.DataFrame, dirs: dict[str, int]) -> pd.Series:
        z = pd.DataFrame(index=frame.index)
        for c, d in dirs.items():
            lo, hi = frame[c].min(), frame[c].max()
            z[c] = (frame[c] - lo) / (hi - lo) if d > 0 else (hi - frame[c]) / (hi - lo)
        p = z / z.sum()
        m = len(frame)
        plnp = p * np.log(p.where(p > 0, 1.0))
        e = -plnp.sum() / np.log(m)
        d = 1 - e
        return d / d.sum()

    syn_out = {}
    for _ent, g in X.groupby(level=0, sort=False):
        orders = {}
        for s, dirs in subs.items():
            w = entropy(g[list(dirs)], dirs)
            u = pd.DataFrame(index=g.index)
            for c, d in dirs.items():
                mx, mn = g[c].max(), g[c].min()
                hi, lo = mx + margin * abs(mx), mn - margin * abs(mn)
                u[c] = (g[c] - lo) / (hi - lo) if d > 0 else (hi - g[c]) / (hi - lo)
            orders[s] = (u * w).sum(axis=1)
        O = pd.DataFrame(orders)
        delta = O - O.iloc[0]
        prod = np.abs(delta).prod(axis=1) ** (1 / len(subs))
        theta = np.where((delta > 0).all(axis=1), 1.0, -1.0)
        c = theta * prod
        c.iloc[0] = np.nan
        for k, v in c.items():
            syn_out[k] = v
    synergy = pd.Series(syn_out)

    U = {}
    for s, dirs in subs.items():
        w = entropy(X[list(dirs)], dirs)
        z = pd.DataFrame(index=X.index)
        for col, d in dirs.items():
            lo, hi = X[col].min(), X[col].max()
            z[col] = (X[col] - lo) / (hi - lo) if d > 0 else (hi - X[col]) / (hi - lo)
        U[s] = (z * w).sum(axis=1)
    Uf = pd.DataFrame(U)
    n = Uf.shape[1]
    C = n * Uf.prod(axis=1) ** (1 / n) / Uf.sum(axis=1)
    T = Uf.mean(axis=1)
    D = np.sqrt(C * T)
    return synergy, D


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--entities", type=int, default=3000)
    ap.add_argument("--periods", type=int, default=20)
    ap.add_argument("--indicators", type=int, default=40)
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()

    from cbeclab.io.panel import panel_from_frame
    from cbeclab.pipeline import run_spec
    from cbeclab.spec import spec_from_dict

    X = make_panel(args.entities, args.periods, args.indicators)
    cols = list(X.columns)
    half = len(cols) // 2
    subs = {
        "digital_trade": {c: 1 for c in cols[:half]},
        "industrial_cluster": {c: (-1 if i % 7 == 3 else 1) for i, c in enumerate(cols[half:])},
    }
    spec = spec_from_dict(
        {
            "data": {"dataset": "in-memory", "entity": "entity", "period": "period"},
            "subsystems": {s: {c: ("+" if d > 0 else "-") for c, d in v.items()} for s, v in subs.items()},
            "weights": "entropy",
            "forecast": {"enabled": True, "horizon": 3},
        }
    )
    panel = panel_from_frame(
        X.reset_index(), entity="entity", period="period", name="synthetic benchmark panel"
    )

    t_ours = []
    for _ in range(args.repeat):
        t0 = time.perf_counter()
        res = run_spec(spec, panel=panel)
        t_ours.append(time.perf_counter() - t0)
    t0 = time.perf_counter()
    syn_loop, d_loop = loop_pipeline(X, subs)
    t_loop = time.perf_counter() - t0

    ours_syn = res.synergy.synergy.set_index(["entity", "period"])["synergy"]
    ours_d = res.coupling.table.set_index(["entity", "period"])["D"]
    dsyn = np.nanmax(np.abs(ours_syn.to_numpy() - syn_loop.reindex(ours_syn.index).to_numpy()))
    dd = np.nanmax(np.abs(ours_d.to_numpy() - d_loop.reindex(ours_d.index).to_numpy()))
    best = min(t_ours)
    print(f"panel: {args.entities} entities x {args.periods} periods x {args.indicators} indicators")
    print(f"cbeclab run_spec (best of {args.repeat}): {best:.3f} s")
    print(f"per-entity loop implementation:        {t_loop:.3f} s")
    print(f"ratio loop / cbeclab: {t_loop / best:.1f}x")
    print(f"agreement: max |synergy diff| = {dsyn:.2e}, max |D diff| = {dd:.2e}")
    import resource

    print(f"peak memory (RSS of this process): {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB")


if __name__ == "__main__":
    main()
