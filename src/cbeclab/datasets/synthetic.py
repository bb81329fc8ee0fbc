"""Synthetic panels: generated numbers, never data. Every output says so.

Every frame returned here has ``attrs["source"] = "synthetic"`` and ``attrs["synthetic"] = True``
(and, with ``source_column=True``, a text column ``source`` filled with ``"synthetic"``, which survives
a CSV round trip). :func:`cbeclab.io.load_panel` turns either marker into a note on the panel so that
reports flag the numbers as synthetic.

Generator (:func:`synthetic_panel`): for entity :math:`e`, period index :math:`t = 0..T-1` and
indicator :math:`k` with direction :math:`d_k \\in \\{+1, -1\\}`,

.. math::

    x_{etk} = L_k \\, s_{ek} \\, (1 + d_k\\, g_{ek})^{t} \\, \\exp(\\sigma \\varepsilon_{etk}),
    \\qquad \\varepsilon_{etk} \\sim N(0, 1),

with level :math:`L_k`, entity scale :math:`s_{ek} \\sim \\mathrm{LogNormal}(0, 0.5)`, growth rate
:math:`g_{ek} = \\text{trend} \\cdot U(0.5, 1.5)` and noise :math:`\\sigma`. Values are positive; cost
indicators drift down, benefit indicators up. Cells are blanked at ``missing_rate`` except the first
and last period of each series (so the trend imputation of :func:`~cbeclab.io.load_panel` always works).
Checked against: hand calculation of the noiseless case (``noise=0``: exact geometric growth).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from cbeclab.errors import DataError
from cbeclab.i18n import _

__all__ = [
    "synthetic_panel",
    "synthetic_cluster_indicators",
    "cluster_trends",
    "synthetic_large_panel",
    "guangzhou_demo_with_synthetic",
]

_MARK = {"source": "synthetic", "synthetic": True}


def _as_list(x: int | Sequence[Any], prefix: str, width: int) -> list[Any]:
    if isinstance(x, int | np.integer) and not isinstance(x, bool):
        if x < 1:
            raise DataError(
                _("need at least 1 {prefix}, got {x}", prefix=prefix, x=x),
                where="synthetic_panel",
                fix=_("pass a positive count"),
            )
        return [f"{prefix}{k + 1:0{width}d}" for k in range(int(x))]
    out = list(x) if not isinstance(x, bool) else []
    if not out:
        raise DataError(
            _("empty list of {prefix}s", prefix=prefix),
            where="synthetic_panel",
            fix=_("pass a non-empty list or a count"),
        )
    return out


def _directions(indicators: Any) -> dict[str, int]:
    if hasattr(indicators, "directions") and callable(indicators.directions):  # a Framework
        return dict(indicators.directions())
    if isinstance(indicators, Mapping):
        from cbeclab.frameworks import parse_direction

        flat: dict[str, int] = {}
        for k, v in indicators.items():
            if isinstance(v, Mapping):  # {subsystem: {indicator: dir}}
                flat.update({str(i): parse_direction(d, f"indicators.{k}.{i}") for i, d in v.items()})
            else:
                flat[str(k)] = parse_direction(v, f"indicators.{k}")
        return flat
    return {str(i): 1 for i in _as_list(indicators, "X", 2)}


def synthetic_panel(
    entities: int | Sequence[Any] = 5,
    periods: int | Sequence[int] = 10,
    indicators: Any = 6,
    *,
    seed: int = 0,
    trend: float = 0.05,
    noise: float = 0.1,
    missing_rate: float = 0.0,
    level: float | Mapping[str, float] = 100.0,
    entity_name: str = "entity",
    period_name: str = "period",
    start: int = 2010,
    source_column: bool = False,
) -> pd.DataFrame:
    """Seeded synthetic wide panel: ``entity_name, period_name, <indicators...>`` (see module docstring).

    Parameters
    ----------
    entities
        Count (labels ``E1``...) or list of labels.
    periods
        Count (``start``, ``start+1``...) or list of integer periods.
    indicators
        Count (``X01``...), list of names, ``{name: "+"/"-"}``, ``{subsystem: {name: "+"/"-"}}`` or a
        :class:`~cbeclab.frameworks.Framework` (its indicator ids and directions).
    seed
        Seed of :func:`numpy.random.default_rng`; same seed, same numbers.
    trend, noise
        Mean growth rate per period and log-scale noise standard deviation.
    missing_rate
        Share of cells (excluding each series' first and last period) set to NaN.
    level
        Typical level of every indicator, or ``{indicator: level}``.
    source_column
        Add a text column ``source`` = ``"synthetic"``.

    Examples
    --------
    >>> df = synthetic_panel(2, 3, ["a", "b"], seed=1, noise=0.0, trend=0.1)
    >>> df.attrs["source"], df.shape
    ('synthetic', (6, 4))
    """
    ents = _as_list(entities, "E", 1)
    pers = (
        [start + k for k in range(int(periods))]
        if isinstance(periods, int | np.integer) and not isinstance(periods, bool)
        else [int(p) for p in periods]  # type: ignore[union-attr]
    )
    if not pers:
        raise DataError(
            _("no periods"), where="synthetic_panel", fix=_("pass a positive count or a list of periods")
        )
    dirs = _directions(indicators)
    names = list(dirs)
    if not 0.0 <= missing_rate < 1.0:
        raise DataError(
            _("missing_rate {missing_rate} is outside [0, 1)", missing_rate=missing_rate),
            where="synthetic_panel",
            fix=_("use e.g. 0.05"),
        )
    rng = np.random.default_rng(seed)
    n_e, n_t, n_k = len(ents), len(pers), len(names)
    lv = np.array([float(level.get(n, 100.0)) if isinstance(level, Mapping) else float(level) for n in names])
    d = np.array([dirs[n] for n in names], dtype=float)
    scale = rng.lognormal(0.0, 0.5, size=(n_e, 1, n_k))
    growth = trend * rng.uniform(0.5, 1.5, size=(n_e, 1, n_k))
    t = np.arange(n_t, dtype=float)[None, :, None]
    eps = rng.standard_normal((n_e, n_t, n_k))
    base = np.maximum(1.0 + d[None, None, :] * growth, 1e-3)
    x = lv[None, None, :] * scale * base**t * np.exp(noise * eps)
    if missing_rate > 0 and n_t > 2:
        drop = rng.random((n_e, n_t, n_k)) < missing_rate
        drop[:, 0, :] = False
        drop[:, -1, :] = False
        x = np.where(drop, np.nan, x)
    out = pd.DataFrame(x.reshape(n_e * n_t, n_k), columns=names)
    out.insert(0, period_name, np.tile(np.asarray(pers, dtype=np.int64), n_e))
    out.insert(0, entity_name, np.repeat(np.asarray(ents, dtype=object), n_t))
    if source_column:
        out["source"] = "synthetic"
    out.attrs.update(_MARK)
    out.attrs.update({"seed": seed, "trend": trend, "noise": noise, "missing_rate": missing_rate})
    return out


# Typical level and count/real flag of seed 001's industrial-cluster order parameters (Table 4, B1-B11 with
# B8 split into B8a/B8b). Orders of magnitude follow the cluster descriptions in seed 001 §2.2 (e.g.
# leather: > 7,200 producers; jewelry: 11,000 market entities; beauty: 1,259 certified producers + 4,200
# traders; clothing and leather around 50 billion yuan revenue, jewelry around 10 billion). The paths over
# time come from datasets/data/guangzhou_cluster_trends.yaml (the paper's described trends).
_CLUSTER_LEVELS: dict[str, dict[str, float]] = {
    #                     B1 output (10k yuan), B2 firms, B3 park km2, B6 employees, B8a patents, B10 intermediaries
    "textile_clothing": {"B1": 5.0e6, "B2": 9000, "B3": 12.0, "B6": 320000, "B8a": 420, "B10": 60},
    "beauty_daily_chemical": {"B1": 1.2e6, "B2": 5400, "B3": 6.0, "B6": 90000, "B8a": 650, "B10": 45},
    "luggage_leather": {"B1": 5.0e6, "B2": 7200, "B3": 9.0, "B6": 260000, "B8a": 260, "B10": 40},
    "jewelry": {"B1": 1.0e6, "B2": 11000, "B3": 4.0, "B6": 110000, "B8a": 180, "B10": 35},
    "food_beverage": {"B1": 4.5e5, "B2": 600, "B3": 3.0, "B6": 30000, "B8a": 140, "B10": 20},
}
#: counts large enough to round without adding steps bigger than the weakest trend
_COUNTS = ("B2", "B6")


def cluster_trends() -> dict[str, Any]:
    """The described trajectories of the five Guangzhou clusters (``datasets/data/guangzhou_cluster_trends.yaml``)."""
    from importlib import resources

    import yaml

    text = (
        resources.files("cbeclab.datasets")
        .joinpath("data", "guangzhou_cluster_trends.yaml")
        .read_text("utf-8")
    )
    data: dict[str, Any] = yaml.safe_load(text)
    return data


def synthetic_cluster_indicators(
    seed: int = 0,
    *,
    years: Sequence[int] = tuple(range(2010, 2023)),
    noise: float | None = None,
    source_column: bool = False,
) -> pd.DataFrame:
    r"""Synthetic industrial-cluster indicators (seed 001 Table 4, B1–B11 with B8a/B8b) for the five clusters.

    The paper does not publish its cluster-side indicator values, so the demo needs stand-ins. They follow
    the trends the paper describes for each cluster (§3.2, §4), written down in
    ``datasets/data/guangzhou_cluster_trends.yaml``: a cumulative growth path ``g_c(t)`` per cluster
    (``g_c(2010) = 0``, linear between the listed years). Indicator ``k`` of cluster ``c`` is

    .. math::

        x_{ctk} = L_{ck}\,\bigl(1 + e_{ck}\, g_c(t)\bigr)\, \exp(\sigma\, \varepsilon_{ctk}),
        \qquad e_{ck} \sim U(0.8, 1.2),\ \varepsilon \sim N(0, 1),

    with level ``L_ck`` (2010 level; magnitudes anchored to seed 001 §2.2: profit B4 ≈ 5–8 % of output
    B1, fixed assets B5 ≈ 35–45 %, R&D spending B7 ≈ 2 %, R&D staff share B9 in %, small counts B8b, B10,
    B11), elasticity ``e_ck`` and noise ``sigma`` (default from the YAML, 0.2 %). Firms B2 and employees B6
    are whole numbers; the small counts are left unrounded (rounding would add steps larger than the
    weakest trends). Columns ``cluster, year, B1, ..., B11`` for 2010–2022. **Synthetic: not data**
    (``attrs["source"] == "synthetic"``).

    Why the growth is small for four clusters: with seed 001's bounds (``min (1 - a)``, ``max (1 + a)``,
    ``a = 0.1``, per cluster) an indicator growing by ``G`` in total moves its order degree by about
    ``G / (2a + (1 + a) G)``, so the paper's "low synergy" corresponds to a few per cent of growth and
    its "expansion" to near doubling (docs/models.md, "The Guangzhou demo").

    Examples
    --------
    >>> df = synthetic_cluster_indicators(seed=0)
    >>> df.shape, df.attrs["source"]
    ((65, 14), 'synthetic')
    """
    from cbeclab.datasets.guangzhou import CLUSTERS

    trends = cluster_trends()
    sd = float(trends["noise"]) if noise is None else float(noise)
    e_lo, e_hi = (float(v) for v in trends["elasticity"])
    rng = np.random.default_rng(seed)
    yrs = np.asarray(list(years), dtype=np.int64)
    n_t = len(yrs)
    frames = []
    for cluster in CLUSTERS:
        lv = _CLUSTER_LEVELS[cluster]
        anchors = {int(k): float(v) for k, v in trends["clusters"][cluster]["growth"].items()}
        g = np.interp(yrs, sorted(anchors), [anchors[k] for k in sorted(anchors)])
        b1 = lv["B1"]
        level = {
            "B1": b1,
            "B2": lv["B2"],
            "B3": lv["B3"],
            "B4": b1 * rng.uniform(0.05, 0.08),
            "B5": b1 * rng.uniform(0.35, 0.45),
            "B6": lv["B6"],
            "B7": b1 * rng.uniform(0.015, 0.03),
            "B8a": lv["B8a"],
            "B8b": lv["B8a"] / 12.0,
            "B9": 5.0 * rng.uniform(0.8, 1.2),
            "B10": lv["B10"],
            "B11": 5.0 * rng.uniform(0.8, 1.2),
        }
        cols = {
            k: v * (1.0 + rng.uniform(e_lo, e_hi) * g) * np.exp(sd * rng.standard_normal(n_t))
            for k, v in level.items()
        }
        frame = pd.DataFrame(cols)
        for c in _COUNTS:
            frame[c] = np.round(frame[c]).astype(float)
        frame.insert(0, "year", yrs)
        frame.insert(0, "cluster", cluster)
        frames.append(frame)
    out = pd.concat(frames, ignore_index=True)
    if source_column:
        out["source"] = "synthetic"
    out.attrs.update(_MARK)
    out.attrs.update(
        {
            "seed": seed,
            "framework": "seed001",
            "trends": "datasets/data/guangzhou_cluster_trends.yaml (seed 001 §3.2 described trends)",
            "description": "synthetic industrial-cluster indicators (seed 001 Table 4, subsystem B); not data",
        }
    )
    return out


def synthetic_large_panel(
    n_entities: int = 3000, n_periods: int = 20, n_indicators: int = 40, seed: int = 0
) -> pd.DataFrame:
    """Large synthetic panel for benchmarks (vectorised; 3000 × 20 × 40 in well under a second).

    Columns ``entity`` (``E0001``...), ``period`` (2001...), ``X01``...; positive values with
    entity-specific levels and trends. Every 5th indicator is meant as a cost indicator and drifts down
    (``attrs["directions"]``). **Synthetic: not data.**
    """
    rng = np.random.default_rng(seed)
    w_e = len(str(n_entities))
    w_k = max(2, len(str(n_indicators)))
    names = [f"X{k + 1:0{w_k}d}" for k in range(n_indicators)]
    d = np.where(np.arange(n_indicators) % 5 == 4, -1.0, 1.0)
    level = rng.lognormal(3.0, 1.0, size=(n_entities, 1, n_indicators))
    growth = rng.uniform(0.01, 0.08, size=(n_entities, 1, n_indicators))
    t = np.arange(n_periods, dtype=float)[None, :, None]
    x = (
        level
        * (1.0 + d * growth) ** t
        * np.exp(0.1 * rng.standard_normal((n_entities, n_periods, n_indicators)))
    )
    out = pd.DataFrame(x.reshape(n_entities * n_periods, n_indicators), columns=names)
    out.insert(0, "period", np.tile(np.arange(2001, 2001 + n_periods, dtype=np.int64), n_entities))
    ents = np.array([f"E{e + 1:0{w_e}d}" for e in range(n_entities)], dtype=object)
    out.insert(0, "entity", np.repeat(ents, n_periods))
    out.attrs.update(_MARK)
    out.attrs["directions"] = {n: int(v) for n, v in zip(names, d)}
    out.attrs["seed"] = seed
    return out


def guangzhou_demo_with_synthetic(seed: int = 0) -> pd.DataFrame:
    """Demo frame: real cluster trade (seed 001 Table 2) joined with synthetic cluster indicators.

    Columns ``cluster, year, exports, imports, total, balance`` (real, 10,000 USD, 2010–2021) and
    ``B1`` ... ``B11`` (synthetic, see :func:`synthetic_cluster_indicators`). ``attrs`` records
    which columns are real and which synthetic; ``attrs["source"]`` contains "synthetic".
    """
    from cbeclab.datasets.guangzhou import guangzhou_trade

    real = guangzhou_trade()
    synth = synthetic_cluster_indicators(seed=seed)
    out = real.merge(synth, on=["cluster", "year"], how="inner", validate="one_to_one")
    out.attrs.clear()
    out.attrs.update(
        {
            "source": "seed 001 Table 2 (real) + synthetic cluster indicators",
            "synthetic": True,
            "real_columns": ["exports", "imports", "total", "balance"],
            "synthetic_columns": [c for c in synth.columns if c not in ("cluster", "year")],
            "unit": {
                "exports": "10,000 USD",
                "imports": "10,000 USD",
                "total": "10,000 USD",
                "balance": "10,000 USD",
            },
            "seed": seed,
        }
    )
    return out
