"""Benchmark: cbeclab.models on 3,000 entities x 20 periods x 40 indicators (2 subsystems of 20).

Times, in the same process and on the same synthetic panel (made here, always synthetic):

* ``synergy`` (per-entity bounds, weighted order degrees, cumulative synergy), with fixed weights and
  with per-entity entropy weights from :mod:`cbeclab.evaluate`;
* a straightforward per-entity loop implementation of the same formulas (pandas group by entity,
  as a one-off script would do), written below — the peer for the ratio;
* ``coupling_coordination`` (pooled) and ``gm11_many`` (every entity x 2 subsystem scores).

It checks that the vectorised and the loop synergy agree (max abs difference printed), then prints
times and ratios. Usage: ``python benchmarks/bench_models.py [--entities 3000 --periods 20
--indicators 40 --repeat 5]``.
"""

from __future__ import annotations

import argparse

import numpy as np
import pandas as pd
from _common import best_of, make_panel

from cbeclab.models import coupling_coordination, gm11_many, synergy


def loop_synergy(
    X: pd.DataFrame, subs: dict[str, dict[str, int]], weights: dict[str, float], margin: float = 0.1
) -> pd.Series:
    """The same model, entity by entity (the peer)."""
    out = []
    for _, g in X.groupby(level=0, sort=False):
        orders = {}
        for s, dirs in subs.items():
            total = pd.Series(0.0, index=g.index)
            wsum = sum(weights[c] for c in dirs)
            for c, d in dirs.items():
                mx, mn = g[c].max(), g[c].min()
                hi, lo = mx + margin * abs(mx), mn - margin * abs(mn)
                u = (g[c] - lo) / (hi - lo) if d > 0 else (hi - g[c]) / (hi - lo)
                total += weights[c] / wsum * u
            orders[s] = total
        O = pd.DataFrame(orders)
        d = O - O.iloc[0]
        theta = np.where((d > 0).all(axis=1), 1.0, -1.0)
        c = theta * np.abs(d).prod(axis=1) ** (1.0 / len(subs))
        c.iloc[0] = np.nan
        out.append(c)
    return pd.concat(out)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--entities", type=int, default=3000)
    ap.add_argument("--periods", type=int, default=20)
    ap.add_argument("--indicators", type=int, default=40)
    ap.add_argument("--repeat", type=int, default=5)
    a = ap.parse_args()
    X = make_panel(a.entities, a.periods, a.indicators)
    cols = list(X.columns)
    half = len(cols) // 2
    subs = {
        "trade": {c: (1 if i % 5 else -1) for i, c in enumerate(cols[:half])},
        "cluster": {c: (1 if i % 7 else -1) for i, c in enumerate(cols[half:])},
    }
    rng = np.random.default_rng(1)
    w = {c: float(v) for c, v in zip(cols, rng.uniform(0.5, 1.5, len(cols)))}
    print(f"panel: {a.entities} entities x {a.periods} periods x {a.indicators} indicators, synthetic")

    t_fix, r_fix = best_of(lambda: synergy(X, subs, weights=w), a.repeat)
    t_ent, _ = best_of(lambda: synergy(X, subs, weights="entropy"), a.repeat)
    t_loop, s_loop = best_of(lambda: loop_synergy(X, subs, w), 1)
    diff = np.nanmax(np.abs(r_fix.synergy["synergy"].to_numpy() - s_loop.to_numpy()))
    print(f"synergy per_entity, fixed weights      : {t_fix * 1e3:8.1f} ms")
    print(f"synergy per_entity, entropy per entity : {t_ent * 1e3:8.1f} ms")
    print(f"per-entity loop (peer), fixed weights  : {t_loop * 1e3:8.1f} ms")
    print(f"ratio loop / vectorised (fixed weights): {t_loop / t_fix:8.1f} x")
    print(f"max |synergy vectorised - loop|        : {diff:.3e}")

    t_cc, _ = best_of(lambda: coupling_coordination(X, subs, weights="entropy"), a.repeat)
    print(f"coupling_coordination pooled, entropy  : {t_cc * 1e3:8.1f} ms")
    U = r_fix.subsystem_order.set_index(["entity", "period"]) + 0.05
    t_gm, g = best_of(lambda: gm11_many(U, h=3, check_ratio=False), a.repeat)
    print(f"gm11_many ({len(g.params)} series of {a.periods})     : {t_gm * 1e3:8.1f} ms")
    t_od, _ = best_of(lambda: r_fix.order_degree, 1)
    print(
        f"long order_degree frame (lazy, {a.entities * a.periods * a.indicators} rows): {t_od * 1e3:8.1f} ms"
    )


if __name__ == "__main__":
    main()
