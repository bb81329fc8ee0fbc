"""Composite-system synergy model (seed 001, after Meng & Han 2000).

A composite system (for example digital trade x industrial cluster) is made of subsystems; each
subsystem is described by order parameters (indicators). The model measures how far each order
parameter sits between its bounds (order degree), aggregates them into a subsystem order degree,
and calls the composite system synergistic between two periods when *every* subsystem's order
degree rose.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any, Literal

import numpy as np
import pandas as pd

from cbeclab.errors import SpecError
from cbeclab.i18n import _
from cbeclab.models._common import (
    Progress,
    SubsystemWeights,
    check_panel,
    check_subsystems,
    json_safe,
    key_frame,
    records,
    report,
    resolve_weights,
)

__all__ = ["SynergyResult", "order_degrees", "synergy"]


@dataclass(frozen=True)
class SynergyResult:
    """Result of :func:`synergy`.

    Attributes
    ----------
    order_wide
        Order degree u of every indicator, indexed like the input panel (entity, period).
    subsystem_order
        Columns ``entity``, ``period`` and one column per subsystem (its order degree U).
    synergy
        Columns ``entity``, ``period``, ``base_period``, ``delta_<subsystem>`` ..., ``theta``,
        ``synergy`` (NaN at each entity's first period, which has no base).
    bounds
        Columns ``group`` (entity, or ``"pooled"``), ``indicator``, ``direction``, ``min``, ``max``,
        ``lo``, ``hi``.
    weights
        :class:`~cbeclab.models._common.SubsystemWeights` (``.table``, ``.for_entity(e)``, ``.details``
        holding each subsystem's WeightResult when they were computed here).
    options
        The options the model ran with.
    notes
        Data issues met on the way (degenerate bounds, single-period entities...).
    """

    order_wide: pd.DataFrame
    subsystem_order: pd.DataFrame
    synergy: pd.DataFrame
    bounds: pd.DataFrame
    weights: SubsystemWeights
    subsystems: dict[str, dict[str, int]]
    options: dict[str, Any]
    notes: tuple[str, ...] = field(default=())
    index_names: tuple[str, str] = ("entity", "period")

    @cached_property
    def order_degree(self) -> pd.DataFrame:
        """Long frame: ``entity``, ``period``, ``subsystem``, ``indicator``, ``value``."""
        keys = key_frame(self.order_wide.index)  # type: ignore[arg-type]
        n = len(keys)
        inds = list(self.order_wide.columns)
        owner = {i: s for s, d in self.subsystems.items() for i in d}
        k = len(inds)
        return pd.DataFrame(
            {
                "entity": np.repeat(keys["entity"].to_numpy(), k),
                "period": np.repeat(keys["period"].to_numpy(), k),
                "subsystem": np.tile(np.array([owner[i] for i in inds], dtype=object), n),
                "indicator": np.tile(np.array(inds, dtype=object), n),
                "value": self.order_wide.to_numpy().reshape(-1),
            }
        )

    def latest(self) -> pd.DataFrame:
        """Each entity's last period (subsystem orders and synergy)."""
        t = self.to_frame()
        return t.groupby("entity", sort=False).tail(1).reset_index(drop=True)

    def to_frame(self) -> pd.DataFrame:
        """One row per entity-period: ``entity``, ``period``, ``U_<subsystem>``..., ``synergy``."""
        t = self.subsystem_order.rename(columns={s: f"U_{s}" for s in self.subsystems})
        t = t.copy()
        t["theta"] = self.synergy["theta"].to_numpy()
        t["synergy"] = self.synergy["synergy"].to_numpy()
        return t

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe dict of every table (NaN -> None)."""
        return {
            "model": "composite-system synergy",
            "options": json_safe(self.options),
            "subsystems": json_safe(self.subsystems),
            "index_names": list(self.index_names),
            "bounds": records(self.bounds),
            "weights": self.weights.to_dict(),
            "order_degree": records(self.order_degree),
            "subsystem_order": records(self.subsystem_order),
            "synergy": records(self.synergy),
            "notes": list(self.notes),
        }


def _bounds(
    values: np.ndarray, starts: np.ndarray, per_entity: bool, margin: float
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """min, max, lo, hi per group: (G, K) arrays."""
    if per_entity:
        mx = np.maximum.reduceat(values, starts, axis=0)
        mn = np.minimum.reduceat(values, starts, axis=0)
    else:
        mx = values.max(axis=0, keepdims=True)
        mn = values.min(axis=0, keepdims=True)
    hi = mx + margin * np.abs(mx)
    lo = mn - margin * np.abs(mn)
    return mn, mx, lo, hi


def _zero_width(lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
    """True where the bounds span no range: hi <= lo, or a span below the smallest normal float or
    below machine epsilon relative to the bounds (rounding noise, not a range)."""
    span = hi - lo
    scale = np.maximum(np.abs(hi), np.abs(lo))
    return ~((span > np.finfo(float).tiny) & (span > np.finfo(float).eps * scale))


def order_degrees(values: np.ndarray, lo: np.ndarray, hi: np.ndarray, directions: np.ndarray) -> np.ndarray:
    r"""Order degree of order parameters (seed 001 formula (1), corrected).

    .. math::

        u = \frac{e - lo}{hi - lo} \ \text{(benefit)},\qquad
        u = \frac{hi - e}{hi - lo} \ \text{(cost)}

    Arrays broadcast against each other; ``directions`` holds +1/-1 per column. Where
    ``hi == lo`` (a constant indicator with zero margin, or a constant zero) the value sits at the
    middle of a zero-width range and u = 0.5 is returned. A span below the smallest normal float or
    below machine epsilon relative to the bounds counts as zero width (rounding noise, not a range).

    Checked against: hand calculation (tests/test_models_synergy.py).
    """
    span = hi - lo
    ok = ~_zero_width(lo, hi)
    safe = np.where(ok, span, 1.0)
    up = (values - lo) / safe
    u = np.where(directions > 0, up, (hi - values) / safe)
    return np.where(ok, u, 0.5)


def synergy(
    X: pd.DataFrame,
    subsystems: Mapping[str, Mapping[str, Any]],
    *,
    weights: Any = "entropy",
    bound_margin: float = 0.1,
    aggregate: Literal["weighted", "geometric"] = "weighted",
    base: Literal["first", "previous"] = "first",
    scope: Literal["per_entity", "pooled"] = "per_entity",
    progress: Progress | None = None,
    weight_options: Mapping[str, Any] | None = None,
) -> SynergyResult:
    r"""Composite-system synergy degree of k >= 2 subsystems (seed 001, §3.1).

    **Order degree of an order parameter.** For indicator *i* with values *e* over the scope group
    (each entity's own series for ``scope="per_entity"``, all rows for ``"pooled"``) the bounds are

    .. math::

        hi_i = \max e + m\,|\max e|, \qquad lo_i = \min e - m\,|\min e|

    with ``m = bound_margin`` (seed 001: upper bound = max·(1+α), lower bound = min·(1−α); the
    absolute values give the same numbers for positive data and keep lo <= min <= max <= hi for
    negative data). Then

    .. math::

        u_i = \frac{e_i - lo_i}{hi_i - lo_i} \ \text{(benefit)},\qquad
        u_i = \frac{hi_i - e_i}{hi_i - lo_i} \ \text{(cost)},\qquad u_i \in [0, 1].

    **Subsystem order degree** (seed 001 formula (2)), with weights w (sum 1 within the subsystem):
    ``aggregate="weighted"``: :math:`U_j = \sum_i w_i u_i`; ``aggregate="geometric"``: the weighted
    geometric mean :math:`U_j = \prod_i u_i^{w_i}`, which with equal weights (``weights="equal"``)
    is the paper's plain geometric mean :math:`(\prod_i u_i)^{1/n}`.

    **Synergy degree** between a base period :math:`t_0` and a period :math:`t_1`, with
    :math:`\Delta U_j = U_j(t_1) - U_j(t_0)`:

    .. math::

        C = \theta \left(\prod_{j=1}^{k} |\Delta U_j|\right)^{1/k},\qquad
        \theta = \begin{cases} 1 & \min_j \Delta U_j > 0 \\ -1 & \text{otherwise} \end{cases}

    so C is in [-1, 1] and positive only when every subsystem's order degree rose. Edge case: when
    some :math:`\Delta U_j = 0` (and none is negative) θ = -1 but the product is 0, so C = 0
    (returned as +0.0); the ``theta`` column still records -1, i.e. "not synergistic".

    **Seed 001 defects.** The paper's formula (1) is garbled (it prints
    (α_n − β_n)/(β_n − α_n), which is identically −1) and its formula (3) drops the sign factor θ,
    which leaves the "U < 0" case it then describes impossible. This function implements the
    standard form above (Meng Qingsong & Han Wenxiu 2000, "复合系统协调度模型研究", 天津大学学报).

    Parameters
    ----------
    X
        Panel matrix (MultiIndex entity, period; one float column per indicator), no missing cells.
    subsystems
        ``subsystem -> {indicator: direction}``; directions ``+``/``-`` or +1/-1; k >= 2.
    weights
        ``"entropy"`` (default) or any method name of :func:`cbeclab.evaluate.weights.compute_weights`
        (computed per subsystem on its indicators with the same ``scope``), ``"equal"``/``None``, a
        WeightResult, or a dict (``indicator -> w`` or ``subsystem -> {indicator: w}``). Weights are
        renormalised to sum to 1 within each subsystem.
    bound_margin
        m >= 0 (default 0.1; seed 001's α).
    aggregate
        ``"weighted"`` (sum) or ``"geometric"`` (weighted geometric mean).
    base
        ``"first"``: every period against the entity's first period (cumulative synergy, as in seed
        001); ``"previous"``: against the entity's previous row (rolling). Unbalanced panels use the
        entity's own rows, so "previous" is the previous *available* period.
    scope
        ``"per_entity"`` (default: bounds and weights from each entity's own series) or ``"pooled"``
        (one set of bounds and weights over all rows, comparable across entities).
    progress
        Optional callback ``progress(fraction, step)``.
    weight_options
        Passed on to ``compute_weights`` (e.g. ``{"shift": 0.0001}``, ``{"on_constant": "zero"}``,
        ``{"ahp_matrix": {subsystem: matrix}}``).

    Returns
    -------
    SynergyResult

    Examples
    --------
    >>> import pandas as pd
    >>> idx = pd.MultiIndex.from_product([["c1"], [2020, 2021, 2022]], names=["cluster", "year"])
    >>> X = pd.DataFrame({"a": [1.0, 2.0, 3.0], "b": [2.0, 3.0, 5.0]}, index=idx)
    >>> r = synergy(X, {"A": {"a": "+"}, "B": {"b": "+"}}, weights="equal", bound_margin=0.0)
    >>> [round(v, 4) for v in r.synergy["synergy"].tolist()[1:]]
    [0.4082, 1.0]

    Checked against: hand calculation (tests/test_models_synergy.py, a 2-subsystem, 2-indicator,
    3-period example worked out in the test) and a per-entity loop (benchmarks/bench_models.py).
    """
    subs = check_subsystems(subsystems, min_subsystems=2)
    if aggregate not in ("weighted", "geometric"):
        raise SpecError(
            _("aggregate={aggregate!r} is not known", aggregate=aggregate),
            where="aggregate",
            fix=_("use 'weighted' or 'geometric'"),
        )
    if base not in ("first", "previous"):
        raise SpecError(
            _("base={base!r} is not known", base=base), where="base", fix=_("use 'first' or 'previous'")
        )
    if scope not in ("per_entity", "pooled"):
        raise SpecError(
            _("scope={scope!r} is not known", scope=scope),
            where="scope",
            fix=_("use 'per_entity' or 'pooled'"),
        )
    try:
        m = float(bound_margin)
    except (TypeError, ValueError) as exc:
        raise SpecError(_("bound_margin must be a number"), where="bound_margin") from exc
    if not np.isfinite(m) or m < 0:
        raise SpecError(
            _("bound_margin={bound_margin!r} must be a finite number >= 0", bound_margin=bound_margin),
            where="bound_margin",
            fix=_("use 0.1 (seed 001) or 0 for plain min-max bounds"),
        )
    cols = [i for d in subs.values() for i in d]
    panel = check_panel(X, cols)
    notes: list[str] = []
    report(progress, 0.0, "checked input")

    per_entity = scope == "per_entity"
    V = panel.values
    mn, mx, lo, hi = _bounds(V, panel.starts, per_entity, m)
    g = panel.entity_code if per_entity else np.zeros(len(V), dtype=np.intp)
    dirs = np.array([subs[s][i] for s in subs for i in subs[s]], dtype=float)
    flat = _zero_width(lo, hi)
    if flat.any():
        bad = sorted({cols[j] for j in np.argwhere(flat)[:, 1]})
        notes.append(
            _(
                "indicator(s) {bad} have zero-width bounds in some scope group (constant zero, or constant with bound_margin=0); their order degree is set to 0.5 there",
                bad=bad,
            )
        )
    single = panel.entities[panel.counts == 1]
    if len(single):
        notes.append(
            _("entity(ies) {v1} have a single period: no synergy can be computed", v1=list(single)[:10])
        )
    report(progress, 0.25, "bounds")

    # order_degrees() written as one fused pass: u = (e - ref) * (direction / span), ref = lo or hi
    span = hi - lo
    scale = dirs / np.where(flat, 1.0, span)
    ref = np.where(dirs > 0, lo, hi)
    u = V - ref[g]
    u *= scale[g]
    if flat.any():
        u = np.where(flat[g], 0.5, u)
    W, wobj = resolve_weights(X, subs, weights, panel, scope=scope, weight_options=weight_options)
    report(progress, 0.5, "weights")

    # subsystem order degrees: columns are laid out subsystem by subsystem, so each block is contiguous
    sizes = [len(d) for d in subs.values()]
    block_starts = np.concatenate([[0], np.cumsum(sizes)[:-1]]).astype(np.intp)
    Wr = W[panel.entity_code]
    if aggregate == "weighted":
        U = np.add.reduceat(Wr * u, block_starts, axis=1)
    else:
        with np.errstate(divide="ignore", invalid="ignore"):
            logs = np.where(Wr > 0, Wr * np.log(u), 0.0)
        U = np.exp(np.add.reduceat(logs, block_starts, axis=1))
    report(progress, 0.75, "subsystem order")

    # synergy against the base row
    pos = panel.position
    rows = np.arange(len(V))
    base_row = panel.starts[panel.entity_code] if base == "first" else rows - 1
    has_base = pos > 0
    base_row = np.where(has_base, base_row, rows)
    dU = U - U[base_row]
    k = U.shape[1]
    theta = np.where(dU.min(axis=1) > 0, 1.0, -1.0)
    with np.errstate(divide="ignore"):
        mag = np.exp(np.log(np.abs(dU)).sum(axis=1) / k)
    C = np.where(mag > 0, theta * mag, 0.0)
    C = np.where(has_base, C, np.nan)
    theta = np.where(has_base, theta, np.nan)
    dU[~has_base] = np.nan

    keys = key_frame(panel.index)
    periods = keys["period"].to_numpy()
    base_period = pd.Series(periods[base_row], dtype=object)
    base_period[~has_base] = None
    sub_names = list(subs)
    so = keys.copy()
    for j, s in enumerate(sub_names):
        so[s] = U[:, j]
    syn = keys.copy()
    syn["base_period"] = base_period.to_numpy()
    for j, s in enumerate(sub_names):
        syn[f"delta_{s}"] = dU[:, j]
    syn["theta"] = theta
    syn["synergy"] = C

    groups = list(panel.entities) if per_entity else ["pooled"]
    G, K = lo.shape
    bounds = pd.DataFrame(
        {
            "group": np.repeat(np.array(groups, dtype=object), K),
            "indicator": np.tile(np.array(cols, dtype=object), G),
            "direction": np.tile(dirs.astype(int), G),
            "min": mn.reshape(-1),
            "max": mx.reshape(-1),
            "lo": lo.reshape(-1),
            "hi": hi.reshape(-1),
        }
    )
    order_wide = pd.DataFrame(u, index=panel.index, columns=cols)
    report(progress, 1.0, "synergy")
    return SynergyResult(
        order_wide=order_wide,
        subsystem_order=so,
        synergy=syn,
        bounds=bounds,
        weights=wobj,
        subsystems=subs,
        options={
            "weights": wobj.method,
            "bound_margin": m,
            "aggregate": aggregate,
            "base": base,
            "scope": scope,
        },
        notes=tuple(notes),
        index_names=panel.names,
    )
