"""The peer of bench_end_to_end.py: a plain numpy script that reads the benchmark CSV and computes
the tables of the engine run with the benchmark spec:

* synergy (entropy weights per entity and subsystem, bound margin 0.1, base = first period);
* coupling coordination (pooled min-max, pooled entropy weights, classical C, T = mean, D);
* obstacle degrees (pooled min-max, the coupling weights rescaled over all indicators, I = 1 - z,
  O = F I / sum F I; subsystem sums; the top 3 per entity-period);
* GM(1,1) of each entity's D, subsystem order degrees and synergy (classical least squares,
  horizon 3; series failing the class-ratio test or not positive are refused, as the engine does).

It writes no report, workbook or store: only the arrays, for the agreement check.

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


def gm11_batch(x0: np.ndarray, h: int) -> tuple[np.ndarray, np.ndarray]:
    """GM(1,1) of every row of ``x0`` (m, n): refused rows (class ratio outside exp(+-2/(n+1)), values
    <= 0 or missing) and fitted + forecast values (m, n + h) of the others (NaN rows if refused)."""
    m, n = x0.shape
    with np.errstate(invalid="ignore", divide="ignore"):
        sigma = x0[:, :-1] / x0[:, 1:]
        lo, hi = np.exp(-2 / (n + 1)), np.exp(2 / (n + 1))
        ok = np.isfinite(x0).all(axis=1) & (x0 > 0).all(axis=1) & ((sigma > lo) & (sigma < hi)).all(axis=1)
    x = x0[ok]
    x1 = np.cumsum(x, axis=1)
    z = 0.5 * (x1[:, 1:] + x1[:, :-1])
    B = np.stack([-z, np.ones_like(z)], axis=-1)  # (m, n-1, 2)
    ab = np.linalg.solve(B.transpose(0, 2, 1) @ B, B.transpose(0, 2, 1) @ x[:, 1:, None])[..., 0]
    a, b = ab[:, 0:1], ab[:, 1:2]
    k = np.arange(n + h)[None, :]
    x1hat = (x[:, :1] - b / a) * np.exp(-a * k) + b / a
    fit = np.concatenate([x[:, :1], np.diff(x1hat, axis=1)], axis=1)
    out = np.full((m, n + h), np.nan)
    out[ok] = fit
    return ok, out


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
    O_ord = np.stack(orders, axis=-1)  # (E, T, n)
    dU = O_ord - O_ord[:, :1, :]
    theta = np.where((dU > 0).all(axis=-1), 1.0, -1.0)
    syn = theta * np.abs(dU).prod(axis=-1) ** (1 / O_ord.shape[-1])
    syn[:, 0] = np.nan
    # coupling: pooled min-max and pooled entropy weights
    Xf = X.reshape(E * T, -1)
    zf = minmax(Xf, sign, axis=0)
    U = np.stack([zf[:, a:b] @ entropy_weights(zf[:, a:b]) for a, b in zip(blocks[:-1], blocks[1:])], axis=-1)
    n = U.shape[1]
    C = n * U.prod(axis=1) ** (1 / n) / U.sum(axis=1)
    D = np.sqrt(C * U.mean(axis=1))
    # obstacles: F = coupling weights over all indicators (each subsystem's weights sum to 1 -> / n)
    F = np.concatenate([entropy_weights(zf[:, a:b]) for a, b in zip(blocks[:-1], blocks[1:])]) / n
    FI = F * np.clip(1 - zf, 0, 1)
    O = FI / FI.sum(axis=1, keepdims=True)
    O_sub = np.stack([O[:, a:b].sum(axis=1) for a, b in zip(blocks[:-1], blocks[1:])], axis=-1)
    top = np.argsort(-O, axis=1, kind="stable")[:, :3]
    # GM(1,1), horizon 3: D, the subsystem order degrees, synergy (without the base period)
    h = int(spec.get("forecast", {}).get("horizon", 3))
    ok_d, gm_d = gm11_batch(D.reshape(E, T), h)
    ok_o = [gm11_batch(O_[:, :, j], h)[0] for O_ in [O_ord] for j in range(O_ord.shape[-1])]
    ok_s, _gm_s = gm11_batch(syn[:, 1:], h)
    np.savez(
        out,
        synergy=syn.reshape(-1),
        D=D,
        obstacle=O,
        obstacle_subsystem=O_sub,
        top=top,
        gm_D=gm_d,
        gm_ok=np.concatenate([ok_d, ok_s, *ok_o]),
    )


if __name__ == "__main__":
    main()
