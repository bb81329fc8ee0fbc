"""Benchmark: entropy weights + min–max normalisation per entity, 3,000 entities x 20 periods x 40 indicators.

Times, in the same process and on the same synthetic panel (made here, always synthetic):

* cbeclab: ``compute_weights(X, d, "entropy", scope="per_entity")`` and ``normalize(X, d, scope="per_entity")``
  (the (entity, period, indicator) cube, no Python loop over entities);
* peer 1: pandas ``groupby(level=0).transform`` for min/max and a grouped entropy (what a careful pandas
  user would write);
* peer 2: a plain per-entity loop (``for entity, g in X.groupby(level=0)``), as a one-off script would do.

It checks that all three agree (max abs difference printed), then prints the times and ratios.
A second run on an unbalanced panel (5 % of rows dropped) times the NaN-padded path.
Usage: ``python benchmarks/bench_weights.py [--entities 3000 --periods 20 --indicators 40 --repeat 7]``.
"""

from __future__ import annotations

import argparse

import numpy as np
import pandas as pd
from _common import best_of, make_panel

from cbeclab.evaluate import compute_weights, normalize


def pandas_grouped(X: pd.DataFrame, d: dict[str, int]) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Peer 1: groupby-transform min-max and grouped entropy."""
    g = X.groupby(level=0, sort=False)
    lo, hi = g.transform("min"), g.transform("max")
    s = pd.Series(d)[X.columns]
    z = (X - lo).div(hi - lo)
    z.loc[:, s < 0] = (hi - X).div(hi - lo).loc[:, s < 0]
    p = z / z.groupby(level=0, sort=False).transform("sum")
    plogp = p * np.log(p.where(p > 0, 1.0))
    m = X.groupby(level=0, sort=False).size()
    e = -plogp.groupby(level=0, sort=False).sum().div(np.log(m), axis=0)
    dd = 1 - e
    return dd.div(dd.sum(axis=1), axis=0), z


def loop(X: pd.DataFrame, d: dict[str, int]) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Peer 2: one entity at a time."""
    sign = np.array([d[c] for c in X.columns])
    ws, zs = {}, []
    for ent, g in X.groupby(level=0, sort=False):
        a = g.to_numpy()
        lo, hi = a.min(axis=0), a.max(axis=0)
        z = np.where(sign > 0, (a - lo) / (hi - lo), (hi - a) / (hi - lo))
        p = z / z.sum(axis=0)
        with np.errstate(divide="ignore", invalid="ignore"):
            e = -np.nansum(np.where(p > 0, p * np.log(p), 0.0), axis=0) / np.log(len(a))
        ws[ent] = (1 - e) / (1 - e).sum()
        zs.append(pd.DataFrame(z, index=g.index, columns=X.columns))
    return pd.DataFrame(ws, index=X.columns).T, pd.concat(zs)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--entities", type=int, default=3000)
    ap.add_argument("--periods", type=int, default=20)
    ap.add_argument("--indicators", type=int, default=40)
    ap.add_argument("--repeat", type=int, default=7)
    a = ap.parse_args()
    X = make_panel(a.entities, a.periods, a.indicators)
    d = {c: (1 if k % 4 else -1) for k, c in enumerate(X.columns)}
    print(f"panel: {a.entities} entities x {a.periods} periods x {a.indicators} indicators (synthetic)")

    def ours() -> tuple[pd.DataFrame, pd.DataFrame]:
        return compute_weights(X, d, "entropy", scope="per_entity").table, normalize(X, d, scope="per_entity")

    t_ours, (w_ours, z_ours) = best_of(ours, a.repeat)
    t_pd, (w_pd, z_pd) = best_of(lambda: pandas_grouped(X, d), max(2, a.repeat // 2))
    t_loop, (w_loop, z_loop) = best_of(lambda: loop(X, d), 2)
    dw = max(
        np.abs(w_ours.to_numpy() - w_pd.to_numpy()).max(), np.abs(w_ours.to_numpy() - w_loop.to_numpy()).max()
    )
    dz = max(
        np.abs(z_ours.to_numpy() - z_pd.to_numpy()).max(), np.abs(z_ours.to_numpy() - z_loop.to_numpy()).max()
    )
    print(f"agreement: max |dw| = {dw:.2e}, max |dz| = {dz:.2e}")
    print(f"cbeclab entropy + normalize (per_entity): {t_ours * 1e3:8.1f} ms")
    print(f"pandas groupby-transform peer:            {t_pd * 1e3:8.1f} ms  ratio {t_pd / t_ours:5.1f}x")
    print(f"per-entity loop peer:                     {t_loop * 1e3:8.1f} ms  ratio {t_loop / t_ours:5.1f}x")
    t_w, _ = best_of(lambda: compute_weights(X, d, "entropy", scope="per_entity"), a.repeat)
    t_c, _ = best_of(lambda: compute_weights(X, d, "critic", scope="per_entity"), a.repeat)
    print(f"  of which entropy weights: {t_w * 1e3:.1f} ms; CRITIC per_entity: {t_c * 1e3:.1f} ms")
    rng = np.random.default_rng(1)
    Xu = X[rng.random(len(X)) > 0.05]
    t_u, _ = best_of(
        lambda: (compute_weights(Xu, d, scope="per_entity"), normalize(Xu, d, scope="per_entity")), a.repeat
    )
    print(f"unbalanced panel ({len(Xu)} rows, NaN-padded cube): {t_u * 1e3:.1f} ms")


if __name__ == "__main__":
    main()
