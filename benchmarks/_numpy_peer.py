"""The peer of bench_end_to_end.py: a plain numpy script that reads the benchmark CSV and computes
the same synergy (entropy weights per entity and subsystem, bound margin 0.1, base = first period)
and coupling coordination (pooled min-max, pooled entropy weights, classical C, T = mean, D) tables.

Usage: python benchmarks/_numpy_peer.py PANEL.csv SPEC.yaml OUT.npz  (balanced panel, sorted rows).
"""

from __future__ import annotations

import sys

import numpy as np
import pandas as pd
import yaml


def entropy_weights(z: np.ndarray) -> np.ndarray:
    """Entropy weights over axis -2 (observations) of min-max normalised data ``z`` (..., n, k)."""
    p = z / z.sum(axis=-2, keepdims=True)
    plnp = np.where(p > 0, p * np.log(np.where(p > 0, p, 1.0)), 0.0)
    e = -plnp.sum(axis=-2) / np.log(z.shape[-2])
    d = 1 - e
    return d / d.sum(axis=-1, keepdims=True)


def minmax(x: np.ndarray, sign: np.ndarray, axis: int) -> np.ndarray:
    lo, hi = x.min(axis=axis, keepdims=True), x.max(axis=axis, keepdims=True)
    return np.where(sign > 0, (x - lo) / (hi - lo), (hi - x) / (hi - lo))


def main() -> None:
    csv, spec_path, out = sys.argv[1:4]
    spec = yaml.safe_load(open(spec_path, encoding="utf-8"))
    subs = spec["subsystems"]
    df = pd.read_csv(csv)
    ent, per = spec["data"]["entity"], spec["data"]["period"]
    E, T = df[ent].nunique(), df[per].nunique()
    cols = [c for s in subs.values() for c in s]
    sign = np.array([1.0 if subs[s][c] == "+" else -1.0 for s in subs for c in subs[s]])
    X = df[cols].to_numpy(float).reshape(E, T, len(cols))
    blocks = np.cumsum([0] + [len(s) for s in subs.values()])
    # synergy: per-entity bounds with margin 0.1, per-entity entropy weights per subsystem
    mx, mn = X.max(axis=1, keepdims=True), X.min(axis=1, keepdims=True)
    hi, lo = mx + 0.1 * np.abs(mx), mn - 0.1 * np.abs(mn)
    u = np.where(sign > 0, (X - lo) / (hi - lo), (hi - X) / (hi - lo))
    z = minmax(X, sign, axis=1)
    orders = []
    for a, b in zip(blocks[:-1], blocks[1:]):
        w = entropy_weights(z[:, :, a:b])  # (E, k)
        orders.append((u[:, :, a:b] * w[:, None, :]).sum(axis=-1))
    O = np.stack(orders, axis=-1)  # (E, T, n)
    dU = O - O[:, :1, :]
    theta = np.where((dU > 0).all(axis=-1), 1.0, -1.0)
    syn = theta * np.abs(dU).prod(axis=-1) ** (1 / O.shape[-1])
    syn[:, 0] = np.nan
    # coupling: pooled min-max and pooled entropy weights
    Xf = X.reshape(E * T, -1)
    zf = minmax(Xf, sign, axis=0)
    U = np.stack([zf[:, a:b] @ entropy_weights(zf[:, a:b]) for a, b in zip(blocks[:-1], blocks[1:])], axis=-1)
    n = U.shape[1]
    C = n * U.prod(axis=1) ** (1 / n) / U.sum(axis=1)
    D = np.sqrt(C * U.mean(axis=1))
    np.savez(out, synergy=syn.reshape(-1), D=D)


if __name__ == "__main__":
    main()
