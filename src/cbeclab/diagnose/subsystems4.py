r"""Coordination of seed 002's four subsystems: all four together, every pair, the lagging one and why.

Seed 002 (Zhang & Wu, §3-§4) models CBEC and industrial clusters as four interacting subsystems:
cross-border e-commerce (``cbec``), industrial cluster (``cluster``), production factors and
products (``factors_products``) and external environment (``environment``); their sustainable
development depends on the components of each subsystem matching and supporting one another.
This module measures that on a panel with the ``seed002`` framework (or a user's own mapping of
indicator columns to the subsystems):

1. subsystem scores :math:`U_s` and the coupling coordination degree of all subsystems
   (:func:`cbeclab.models.coupling.coupling_coordination`: min-max normalisation, per-subsystem
   weights, :math:`C`, :math:`T = \sum a_s U_s`, :math:`D = \sqrt{CT}`, ten grades);
2. the same for each of the :math:`\binom{4}{2} = 6` pairs, from the same :math:`U_s`
   (:func:`cbeclab.models.coupling.coupling_from_scores`), so pair and overall results agree;
3. the lagging subsystem (lowest :math:`U_s`) of every entity-period and its top obstacle
   indicators (:func:`cbeclab.diagnose.obstacles.obstacle_degree` over all indicators, weights over
   the whole system), plus the dimension with the largest obstacle degree.

Checked against: the coupling and obstacle functions it calls (their own hand-calculated tests) and,
in tests/test_diagnose_subsystems4.py, a pair recomputed by hand from the overall U columns.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from itertools import combinations
from typing import Any, Literal

import numpy as np
import pandas as pd

from cbeclab.errors import SpecError
from cbeclab.i18n import _

__all__ = ["FourSubsystemResult", "example_panel", "four_subsystem_coordination"]


@dataclass(frozen=True)
class FourSubsystemResult:
    """Result of :func:`four_subsystem_coordination`.

    Attributes
    ----------
    overall
        :class:`~cbeclab.models.coupling.CouplingResult` of all subsystems (``.table``: entity,
        period, U_<s>, C, T, D, grade, grade_en, grade_zh, lagging, lag_gap).
    pairs
        Long frame: entity, period, pair, a, b, U_a, U_b, C, T, D, grade, grade_en, grade_zh.
    lagging
        entity, period, lagging, U_lagging, obstacle_lagging (summed obstacle degree of the lagging
        subsystem), top_dimension, top_dimension_obstacle, rank, indicator, dimension, obstacle
        (the top-k obstacle indicators inside the lagging subsystem, one row each).
    obstacles
        :class:`~cbeclab.diagnose.obstacles.ObstacleResult` over dimensions (or subsystems).
    """

    overall: Any
    pairs: pd.DataFrame
    lagging: pd.DataFrame
    obstacles: Any
    subsystems: list[str]
    dimension_of: dict[str, str]
    subsystem_of_dimension: dict[str, str]
    names: dict[str, dict[str, str]] = field(default_factory=dict)
    notes: tuple[str, ...] = ()

    def latest(self) -> pd.DataFrame:
        """One row per entity, its latest period: D, grade, lagging subsystem, weakest pair, top obstacle."""
        t = self.overall.table
        last = t.groupby("entity", sort=False).tail(1)
        p = self.pairs.merge(last[["entity", "period"]], on=["entity", "period"])
        weakest = p.sort_values("D", kind="stable").groupby("entity", sort=False).head(1)
        lag = self.lagging[self.lagging["rank"] == 1].merge(
            last[["entity", "period"]], on=["entity", "period"]
        )
        out = last[["entity", "period", "C", "T", "D", "grade", "grade_en", "grade_zh", "lagging"]].merge(
            weakest[["entity", "pair", "D"]].rename(columns={"pair": "weakest_pair", "D": "weakest_pair_D"}),
            on="entity",
        )
        out = out.merge(
            lag[
                ["entity", "U_lagging", "indicator", "obstacle", "top_dimension", "top_dimension_obstacle"]
            ].rename(columns={"indicator": "top_indicator", "obstacle": "top_indicator_obstacle"}),
            on="entity",
            how="left",
        )
        return out.reset_index(drop=True)

    def to_frame(self) -> pd.DataFrame:
        return self.overall.table.copy()

    def to_dict(self) -> dict[str, Any]:
        from cbeclab.models._common import records

        return {
            "model": "four-subsystem coordination (seed 002)",
            "subsystems": list(self.subsystems),
            "names": self.names,
            "overall": self.overall.to_dict(),
            "pairs": records(self.pairs),
            "lagging": records(self.lagging),
            "latest": records(self.latest()),
            "obstacle_by_dimension": records(self.obstacles.subsystem),
            "notes": list(self.notes),
        }


def _mappings(
    framework: Any, subsystems: Mapping[str, Mapping[str, Any]] | None
) -> tuple[dict[str, dict[str, Any]], dict[str, dict[str, Any]], dict[str, str], dict[str, dict[str, str]]]:
    """(system mapping, dimension mapping, dimension -> system, names)."""
    if subsystems is not None:
        sys_map = {str(s): dict(d) for s, d in subsystems.items()}
        return sys_map, sys_map, {s: s for s in sys_map}, {s: {"en": s, "zh": s} for s in sys_map}
    from cbeclab.frameworks import load_framework

    fw = load_framework(framework)
    sys_map = fw.subsystems(level="system")
    dim_map: dict[str, dict[str, Any]] = {}
    owner: dict[str, str] = {}
    names: dict[str, dict[str, str]] = {}
    for s in fw.systems:
        names[s.id] = {"en": s.en, "zh": s.zh}
        for d in s.dimensions:
            dim_map[d.id] = {i.id: i.direction for i in d.indicators}
            owner[d.id] = s.id
            names[d.id] = {"en": d.en, "zh": d.zh}
    return sys_map, dim_map, owner, names


def four_subsystem_coordination(
    X: pd.DataFrame,
    framework: Any = "seed002",
    *,
    subsystems: Mapping[str, Mapping[str, Any]] | None = None,
    weights: Any = "entropy",
    model: Literal["classical", "modified"] = "classical",
    scope: Literal["pooled", "per_entity"] = "pooled",
    top_k: int = 3,
    on_constant: Literal["raise", "zero"] = "raise",
) -> FourSubsystemResult:
    """Coupling coordination of the four subsystems, their six pairs, and the lagging subsystem's obstacles.

    Parameters
    ----------
    X
        Panel matrix (MultiIndex entity, period) with the indicator columns.
    framework
        Framework name/path/object (default ``"seed002"``); ignored when ``subsystems`` is given.
    subsystems
        Optional ``subsystem -> {indicator: direction}`` mapping of the user's own columns (then the
        dimension level equals the subsystem level).
    weights, model, scope
        Passed to :func:`~cbeclab.models.coupling.coupling_coordination` (and ``weights``/``scope``
        to :func:`~cbeclab.diagnose.obstacles.obstacle_degree`).
    top_k
        Obstacle indicators listed inside the lagging subsystem.

    Examples
    --------
    >>> r = four_subsystem_coordination(example_panel())
    >>> len(r.subsystems), r.pairs["pair"].nunique()
    (4, 6)
    """
    from cbeclab.diagnose.obstacles import obstacle_degree
    from cbeclab.models.coupling import coupling_coordination, coupling_from_scores

    sys_map, dim_map, owner, names = _mappings(framework, subsystems)
    if len(sys_map) < 2:
        raise SpecError(
            _("{n_sys_map} subsystem(s) given; coordination needs at least 2", n_sys_map=len(sys_map)),
            where="subsystems",
        )
    if isinstance(top_k, bool) or not isinstance(top_k, int) or top_k < 1:
        raise SpecError(_("top_k={top_k!r} must be an integer >= 1", top_k=top_k), where="top_k")
    overall = coupling_coordination(X, sys_map, weights=weights, model=model, scope=scope)
    t = overall.table
    subs = list(overall.subsystems)
    idx = pd.MultiIndex.from_frame(t[["entity", "period"]])
    frames = []
    for a, b in combinations(subs, 2):
        U = pd.DataFrame({a: t[f"U_{a}"].to_numpy(), b: t[f"U_{b}"].to_numpy()}, index=idx)
        r = coupling_from_scores(U, model=model).table
        r.insert(2, "pair", f"{a}–{b}")
        r.insert(3, "a", a)
        r.insert(4, "b", b)
        frames.append(r.drop(columns=["lagging", "lag_gap"], errors="ignore"))
    pairs = pd.concat(frames, ignore_index=True)
    # U_a / U_b columns in a uniform layout
    pairs["U_a"] = np.nan
    pairs["U_b"] = np.nan
    for s in subs:
        col = f"U_{s}"
        if col in pairs:
            pairs.loc[pairs["a"] == s, "U_a"] = pairs.loc[pairs["a"] == s, col]
            pairs.loc[pairs["b"] == s, "U_b"] = pairs.loc[pairs["b"] == s, col]
    pairs = pairs[
        ["entity", "period", "pair", "a", "b", "U_a", "U_b", "C", "T", "D", "grade", "grade_en", "grade_zh"]
    ]

    ob = obstacle_degree(X, dim_map, weights, top_k=1, scope=scope, on_constant=on_constant)
    ind = ob.indicator
    ind = ind.assign(system=ind["subsystem"].map(owner))
    keys = t[["entity", "period", "lagging"]].copy()
    Umat = t[[f"U_{s}" for s in subs]].to_numpy(dtype=float)
    pos = {s: j for j, s in enumerate(subs)}
    keys["U_lagging"] = Umat[np.arange(len(t)), np.array([pos[s] for s in t["lagging"]], dtype=int)]
    m = ind.merge(keys, on=["entity", "period"])
    m = m[m["system"] == m["lagging"]]
    m = m.sort_values(["entity", "period", "obstacle"], ascending=[True, True, False], kind="stable")
    m["rank"] = m.groupby(["entity", "period"], sort=False).cumcount() + 1
    lag_sum = (
        m.groupby(["entity", "period"], sort=False)["obstacle"].sum().rename("obstacle_lagging").reset_index()
    )
    top = m[m["rank"] <= top_k]
    sub_long = ob.subsystem.melt(
        id_vars=["entity", "period"], var_name="top_dimension", value_name="top_dimension_obstacle"
    )
    best_dim = (
        sub_long.sort_values("top_dimension_obstacle", ascending=False, kind="stable")
        .groupby(["entity", "period"], sort=False)
        .head(1)
    )
    lag = (
        top[["entity", "period", "lagging", "U_lagging", "rank", "indicator", "subsystem", "obstacle"]]
        .rename(columns={"subsystem": "dimension"})
        .merge(lag_sum, on=["entity", "period"])
        .merge(best_dim, on=["entity", "period"])
    )
    order = t[["entity", "period"]].reset_index().rename(columns={"index": "_o"})
    lag = (
        lag.merge(order, on=["entity", "period"])
        .sort_values(["_o", "rank"], kind="stable")
        .drop(columns="_o")
    )
    lag = lag[
        [
            "entity",
            "period",
            "lagging",
            "U_lagging",
            "obstacle_lagging",
            "top_dimension",
            "top_dimension_obstacle",
            "rank",
            "indicator",
            "dimension",
            "obstacle",
        ]
    ].reset_index(drop=True)
    notes = list(overall.notes) + [
        _(
            "obstacle degrees use weights computed over all indicators together (obstacle model); the "
            "subsystem scores use weights within each subsystem (coupling model)"
        )
    ]
    return FourSubsystemResult(
        overall=overall,
        pairs=pairs.reset_index(drop=True),
        lagging=lag,
        obstacles=ob,
        subsystems=subs,
        dimension_of={i: d for d, inds in dim_map.items() for i in inds},
        subsystem_of_dimension=dict(owner),
        names=names,
        notes=tuple(notes),
    )


def example_panel(seed: int = 0, clusters: int = 3, years: int = 8) -> pd.DataFrame:
    """A SYNTHETIC panel with every seed002 indicator (MultiIndex cluster, year), for examples and tests.

    Generated by :func:`cbeclab.datasets.synthetic.synthetic_panel` (seeded, trending, noisy); the
    numbers describe no real cluster. ``attrs["source"] == "synthetic"``.
    """
    from cbeclab.datasets.synthetic import synthetic_panel
    from cbeclab.frameworks import load_framework

    fw = load_framework("seed002")
    df = synthetic_panel(
        [f"Synthetic cluster {chr(65 + i)}" for i in range(clusters)],
        years,
        fw,
        seed=seed,
        entity_name="cluster",
        period_name="year",
        start=2015,
    )
    out = df.set_index(["cluster", "year"]).sort_index()
    out.attrs.update(df.attrs)
    out.attrs["source"] = "synthetic"
    return out
