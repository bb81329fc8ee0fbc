"""Shared pieces of the benchmark scripts (run them as `python benchmarks/bench_*.py`)."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd


def make_panel(n_e: int, n_t: int, n_k: int, seed: int = 0) -> pd.DataFrame:
    """Synthetic positive panel (MultiIndex entity, period) with an upward trend: the benchmark input."""
    rng = np.random.default_rng(seed)
    trend = np.linspace(1.0, 2.0, n_t)[None, :, None]
    level = rng.uniform(10, 100, size=(n_e, 1, n_k))
    vals = level * trend * rng.lognormal(0, 0.1, size=(n_e, n_t, n_k))
    idx = pd.MultiIndex.from_product(
        [[f"e{i:04d}" for i in range(n_e)], range(2001, 2001 + n_t)], names=["entity", "period"]
    )
    return pd.DataFrame(vals.reshape(n_e * n_t, n_k), index=idx, columns=[f"x{k:02d}" for k in range(n_k)])


def engine_spec(cols: list[str], *, forecast: bool = True) -> dict[str, Any]:
    """The benchmarks' in-memory engine spec: two subsystems over ``cols`` (every 7th of the second a
    cost indicator), entropy weights, GM(1,1) forecasts when ``forecast``."""
    half = len(cols) // 2
    return {
        "data": {"dataset": "in-memory", "entity": "entity", "period": "period"},
        "subsystems": {
            "digital_trade": {c: "+" for c in cols[:half]},
            "industrial_cluster": {c: ("-" if i % 7 == 3 else "+") for i, c in enumerate(cols[half:])},
        },
        "weights": "entropy",
        "forecast": {"enabled": forecast, "horizon": 3},
    }


def best_of(fn: Callable[[], Any], repeat: int) -> tuple[float, Any]:
    """Best wall time of ``repeat`` calls and the last result."""
    best = float("inf")
    res = None
    for _ in range(repeat):
        t0 = time.perf_counter()
        res = fn()
        best = min(best, time.perf_counter() - t0)
    return best, res
