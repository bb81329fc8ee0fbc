r"""Obstacle degree: which indicators hold a system back most (obstacle degree model).

For entity-period *r* and indicator *j*:

.. math::

    F_j = w_j \ (\times\, W_s \text{ of its subsystem } s \text{ when subsystem weights are given}),\qquad
    I_{rj} = 1 - z_{rj},\qquad
    O_{rj} = \frac{F_j I_{rj}}{\sum_k F_k I_{rk}}

with F the factor contribution (the indicator's weight in the whole system), I the indicator
deviation (distance of the min-max normalised value z from the best value 1) and O the obstacle
degree (shares summing to 1 per entity-period). The obstacle degree of a subsystem (dimension) is
the sum of its indicators' O. This is the model used throughout the Chinese regional-development
literature after the composite index or coupling step (e.g. obstacle diagnosis of
coupling-coordination studies); it completes the diagnosis of seed 001's composite system.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any, Literal

import numpy as np
import pandas as pd

from cbeclab.errors import DataError, SpecError
from cbeclab.i18n import _
from cbeclab.models._common import (
    check_panel,
    check_subsystems,
    is_weight_result,
    json_safe,
    key_frame,
    records,
    rows_for_entities,
)

__all__ = ["ObstacleResult", "obstacle_degree"]


@dataclass(frozen=True)
class ObstacleResult:
    """Result of :func:`obstacle_degree`.

    Attributes
    ----------
    contribution
        Factor contribution F per entity (rows; ``"pooled"`` when equal for all) and indicator.
    deviation_wide, obstacle_wide
        I and O, indexed like the input panel, one column per indicator.
    subsystem
        ``entity``, ``period`` and one column per subsystem: the summed obstacle degree.
    top
        ``entity``, ``period``, ``rank`` (1 = largest), ``indicator``, ``subsystem``, ``obstacle``.
    """

    contribution: pd.DataFrame
    deviation_wide: pd.DataFrame
    obstacle_wide: pd.DataFrame
    subsystem: pd.DataFrame
    top: pd.DataFrame
    subsystems: dict[str, dict[str, int]]
    options: dict[str, Any] = field(default_factory=dict)
    notes: tuple[str, ...] = ()

    @cached_property
    def indicator(self) -> pd.DataFrame:
        """Long frame: ``entity``, ``period``, ``subsystem``, ``indicator``, ``F``, ``I``, ``obstacle``."""
        keys = key_frame(self.obstacle_wide.index)  # type: ignore[arg-type]
        n, k = self.obstacle_wide.shape
        inds = list(self.obstacle_wide.columns)
        owner = {i: s for s, d in self.subsystems.items() for i in d}
        F = self.contribution
        if len(F.index) == 1:
            Fr = np.tile(F[inds].to_numpy(float), (n, 1))
        else:
            Fr = F.loc[keys["entity"].to_numpy(), inds].to_numpy(float)
        return pd.DataFrame(
            {
                "entity": np.repeat(keys["entity"].to_numpy(), k),
                "period": np.repeat(keys["period"].to_numpy(), k),
                "subsystem": np.tile(np.array([owner[i] for i in inds], dtype=object), n),
                "indicator": np.tile(np.array(inds, dtype=object), n),
                "F": Fr.reshape(-1),
                "I": self.deviation_wide.to_numpy().reshape(-1),
                "obstacle": self.obstacle_wide.to_numpy().reshape(-1),
            }
        )

    def mean_by_indicator(self) -> pd.DataFrame:
        """Mean obstacle degree of each indicator over all entity-periods, largest first."""
        owner = {i: s for s, d in self.subsystems.items() for i in d}
        m = self.obstacle_wide.mean(axis=0)
        out = pd.DataFrame(
            {"indicator": list(m.index), "subsystem": [owner[i] for i in m.index], "obstacle": m.to_numpy()}
        )
        return out.sort_values("obstacle", ascending=False, kind="stable").reset_index(drop=True)

    def to_frame(self) -> pd.DataFrame:
        return self.indicator.copy()

    def to_dict(self) -> dict[str, Any]:
        return {
            "model": "obstacle degree",
            "options": json_safe(self.options),
            "subsystems": json_safe(self.subsystems),
            "contribution": records(self.contribution.reset_index(names="group")),
            "indicator": records(self.indicator),
            "subsystem": records(self.subsystem),
            "top": records(self.top),
            "notes": list(self.notes),
        }


def _global_weights(
    X: pd.DataFrame,
    subs: dict[str, dict[str, int]],
    weights: Any,
    entities: pd.Index,
    cols: list[str],
    scope: str,
    weight_options: Mapping[str, Any] | None,
) -> tuple[np.ndarray, str]:
    E = len(entities)
    if weights is None or (isinstance(weights, str) and weights.lower() == "equal"):
        return np.ones((E, len(cols))), "equal"
    if isinstance(weights, str):
        from cbeclab.evaluate.weights import compute_weights

        dirs = {i: d for s in subs.values() for i, d in s.items()}
        wr = compute_weights(X[cols], dirs, weights, scope=scope, **dict(weight_options or {}))
        return rows_for_entities(wr.table, cols, entities, "weights"), weights
    if is_weight_result(weights):
        return rows_for_entities(weights.table, cols, entities, "weights"), str(
            getattr(weights, "method", "given")
        )
    if isinstance(weights, Mapping):
        flat: dict[str, Any] = {}
        for k, v in weights.items():
            if isinstance(v, Mapping):
                flat.update(v)
            else:
                flat[str(k)] = v
        miss = [c for c in cols if c not in flat]
        if miss:
            raise SpecError(
                _("no weight given for indicator(s) {miss}", miss=miss),
                where="weights",
                fix=_("give a weight to every indicator"),
            )
        try:
            row = np.array([float(flat[c]) for c in cols])
        except (TypeError, ValueError) as exc:
            raise SpecError(_("weights must be numbers"), where="weights") from exc
        return np.tile(row, (E, 1)), "given"
    raise SpecError(
        _("weights of type {name} are not understood", name=type(weights).__name__),
        where="weights",
        fix=_("pass a method name, a WeightResult or a dict indicator -> weight"),
    )


def obstacle_degree(
    X: pd.DataFrame,
    subsystems: Mapping[str, Mapping[str, Any]],
    weights: Any = "entropy",
    *,
    top_k: int = 3,
    scope: Literal["pooled", "per_entity"] = "pooled",
    subsystem_weights: Mapping[str, float] | None = None,
    on_constant: Literal["raise", "zero"] = "raise",
    weight_options: Mapping[str, Any] | None = None,
) -> ObstacleResult:
    """Obstacle degree of every indicator and subsystem per entity-period, with the top-k obstacles.

    Parameters
    ----------
    X
        Panel matrix (MultiIndex entity, period).
    subsystems
        ``subsystem (dimension) -> {indicator: direction}``; one subsystem is allowed.
    weights
        Indicator weights over the whole system: a method name for ``compute_weights`` (computed on
        all indicators together with ``scope``), ``"equal"``, a WeightResult, or a dict
        ``indicator -> w`` (also ``subsystem -> {indicator: w}``, flattened). Rescaled to sum to 1.
        The ``weights`` of a synergy or coupling result (normalised within each subsystem) are
        accepted too; rescaled over the whole system they amount to equal subsystem weights 1/k.
    top_k
        Number of largest obstacles listed per entity-period.
    scope
        Scope of the min-max normalisation (and of computed weights): ``"pooled"`` (default) or
        ``"per_entity"``.
    subsystem_weights
        ``subsystem -> W_s``. When given, the indicator weights are first rescaled to sum to 1
        within each subsystem and F = w x W_s (two-level weighting); W is rescaled to sum to 1.
    on_constant
        Passed to :func:`cbeclab.evaluate.normalize.normalize`: ``"raise"`` on an indicator that is
        constant in a scope group, or ``"zero"`` (z = 0 there).
    weight_options
        Passed on to ``compute_weights``.

    Rows where every indicator is at its best (every I = 0) have no obstacle: O = 0 there, with a note.

    Checked against: hand calculation (tests/test_diagnose_obstacles.py).
    """
    subs = check_subsystems(subsystems, min_subsystems=1)
    if scope not in ("pooled", "per_entity"):
        raise SpecError(
            _("scope={scope!r} is not known", scope=scope),
            where="scope",
            fix=_("use 'pooled' or 'per_entity'"),
        )
    if isinstance(top_k, bool) or not isinstance(top_k, int | np.integer) or top_k < 1:
        raise SpecError(_("top_k={top_k!r} must be an integer >= 1", top_k=top_k), where="top_k")
    cols = [i for d in subs.values() for i in d]
    panel = check_panel(X, cols)
    Xs = X.loc[panel.index, cols] if not X.index.equals(panel.index) else X[cols]
    W, method = _global_weights(Xs, subs, weights, panel.entities, cols, scope, weight_options)
    if not np.all(np.isfinite(W)) or (W < 0).any():
        raise SpecError(_("weights must be finite and >= 0"), where="weights")
    notes: list[str] = []
    pos = {c: i for i, c in enumerate(cols)}
    if subsystem_weights is not None:
        unknown = [s for s in subsystem_weights if s not in subs]
        missing = [s for s in subs if s not in subsystem_weights]
        if unknown or missing:
            raise SpecError(
                _(
                    "subsystem_weights keys do not match the subsystems (unknown {unknown}, missing {missing})",
                    unknown=unknown,
                    missing=missing,
                ),
                where="subsystem_weights",
            )
        Ws = np.array([float(subsystem_weights[s]) for s in subs])
        if not np.all(np.isfinite(Ws)) or (Ws < 0).any() or Ws.sum() <= 0:
            raise SpecError(
                _("subsystem weights must be finite, >= 0 and not all 0"), where="subsystem_weights"
            )
        Ws = Ws / Ws.sum()
        F = np.empty_like(W)
        for j, (s, d) in enumerate(subs.items()):
            idx = [pos[i] for i in d]
            tot = W[:, idx].sum(axis=1, keepdims=True)
            if (tot <= 0).any():
                raise SpecError(_("the weights of subsystem {s!r} sum to 0", s=s), where="weights")
            F[:, idx] = W[:, idx] / tot * Ws[j]
    else:
        tot = W.sum(axis=1, keepdims=True)
        if (tot <= 0).any():
            raise SpecError(_("the weights sum to 0"), where="weights")
        F = W / tot

    from cbeclab.evaluate.normalize import normalize

    dirs = {i: d for s in subs.values() for i, d in s.items()}
    z = normalize(Xs, dirs, method="minmax", shift=0.0, scope=scope, on_constant=on_constant)
    Z = z.loc[panel.index, cols].to_numpy(dtype=float)
    if not np.all(np.isfinite(Z)):
        raise DataError(
            _("normalisation produced a missing value"), where="X", fix=_("check for constant indicators")
        )
    I_ = np.clip(1.0 - Z, 0.0, 1.0)
    Fr = F[panel.entity_code]
    FI = Fr * I_
    tot = FI.sum(axis=1, keepdims=True)
    O = np.divide(FI, tot, out=np.zeros_like(FI), where=tot > 0)
    none = int((tot[:, 0] <= 0).sum())
    if none:
        notes.append(
            _(
                "{none} entity-period(s) have every indicator at its best value: no obstacle (O = 0)",
                none=none,
            )
        )

    keys = key_frame(panel.index)
    sub_frame = keys.copy()
    for s, d in subs.items():
        sub_frame[s] = O[:, [pos[i] for i in d]].sum(axis=1)

    k = min(int(top_k), len(cols))
    order = np.argsort(-O, axis=1, kind="stable")[:, :k]
    owner = np.array([s for s, d in subs.items() for _unused in d], dtype=object)
    names = np.array(cols, dtype=object)
    n = len(O)
    top = pd.DataFrame(
        {
            "entity": np.repeat(keys["entity"].to_numpy(), k),
            "period": np.repeat(keys["period"].to_numpy(), k),
            "rank": np.tile(np.arange(1, k + 1), n),
            "indicator": names[order].reshape(-1),
            "subsystem": owner[order].reshape(-1),
            "obstacle": np.take_along_axis(O, order, axis=1).reshape(-1),
        }
    )
    if n and np.all(F == F[0]):
        contribution = pd.DataFrame(F[:1], index=pd.Index(["pooled"]), columns=cols)
    else:
        contribution = pd.DataFrame(F, index=panel.entities, columns=cols)
    return ObstacleResult(
        contribution=contribution,
        deviation_wide=pd.DataFrame(I_, index=panel.index, columns=cols),
        obstacle_wide=pd.DataFrame(O, index=panel.index, columns=cols),
        subsystem=sub_frame,
        top=top,
        subsystems=subs,
        options={
            "weights": method,
            "scope": scope,
            "top_k": int(top_k),
            "subsystem_weights": None if subsystem_weights is None else dict(subsystem_weights),
            "normalize": "minmax",
        },
        notes=tuple(notes),
    )
