"""Combined (subjective x objective) weights.

A subjective vector ``ws`` (AHP or user weights, one row for every group) is combined with an objective
table ``wo`` (entropy, CRITIC or CV, one row per scope group):

``"multiplicative"`` (default)
    ``w_j = ws_j * wo_j / sum_k ws_k * wo_k`` (multiplicative synthesis; no tuning constant, and an indicator
    either side rates near zero stays near zero).
``"linear"``
    ``w_j = alpha * ws_j + (1 - alpha) * wo_j`` with ``0 <= alpha <= 1`` (default 0.5): the analyst's stated
    trade-off between judgement and data.

Both rules keep each row summing to 1.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from cbeclab.errors import DataError, SpecError
from cbeclab.evaluate.weights.result import WeightResult
from cbeclab.i18n import _

SUBJECTIVE = ("ahp", "user")
OBJECTIVE = ("entropy", "critic", "cv")
RULES = ("multiplicative", "linear")


def combine_tables(
    ws: pd.DataFrame, wo: pd.DataFrame, rule: str = "multiplicative", alpha: float = 0.5
) -> pd.DataFrame:
    """Combine a subjective row (or table) with an objective table by ``rule`` (see module docstring)."""
    s = ws.loc[:, list(wo.columns)].to_numpy(dtype=float)
    if s.shape[0] == 1:
        s = np.broadcast_to(s, wo.shape)
    o = wo.to_numpy(dtype=float)
    if rule == "multiplicative":
        prod = s * o
        total = prod.sum(axis=1, keepdims=True)
        if not (total > 0).all():
            g = wo.index[int(np.flatnonzero(~(total[:, 0] > 0))[0])]
            raise DataError(
                _(
                    "multiplicative combination is undefined for group {g!r}: the subjective and objective weights have no indicator in common with a positive weight.",
                    g=g,
                ),
                where="combine",
                fix=_("use rule='linear', or check the weights."),
            )
        w = prod / total
    else:
        w = alpha * s + (1.0 - alpha) * o
    return pd.DataFrame(w, index=wo.index.copy(), columns=wo.columns)


def combined_weights(
    X: pd.DataFrame,
    directions: Mapping[str, Any],
    combine: Mapping[str, Any],
    *,
    scope: str = "pooled",
    shift: float | str = 0.0,
    user: Mapping[str, Any] | None = None,
    ahp_matrix: Any = None,
    ahp_allow_inconsistent: bool = False,
    on_constant: str = "raise",
    standardize: bool | None = None,
    ahp_method: str | None = None,
    compat: str | None = None,
) -> WeightResult:
    """Subjective x objective weights (``standardize``, ``ahp_method``, ``compat``: as in ``compute_weights``).

    Parameters
    ----------
    combine
        ``{"subjective": "ahp" | "user", "objective": "entropy" | "critic" | "cv",
        "rule": "multiplicative" | "linear", "alpha": 0.5}``; ``rule`` defaults to ``"multiplicative"``,
        ``alpha`` (weight of the subjective part, linear rule only) to 0.5.
    user, ahp_matrix, ahp_allow_inconsistent
        Inputs of the subjective method.
    scope, shift, on_constant
        Passed to the objective method.

    Returns
    -------
    WeightResult
        ``details``: ``subjective``, ``objective`` (their tables) plus the objective method's details
        prefixed ``objective_`` and the subjective method's prefixed ``subjective_``.

    Notes
    -----
    Multiplicative: ``w = ws * wo / sum(ws * wo)``; linear: ``w = alpha ws + (1 - alpha) wo``.

    Checked against: hand calculation (tests/test_weights_simple.py).
    """
    from cbeclab.evaluate.weights import compute_weights

    if not isinstance(combine, Mapping):
        raise SpecError(_("combine must be a mapping."), where="weights.combine", fix=_("pass a dict."))
    unknown = sorted(set(map(str, combine)) - {"subjective", "objective", "rule", "alpha"})
    if unknown:
        raise SpecError(
            _("unknown combine key(s): {v1}.", v1=", ".join(unknown)),
            where="weights.combine",
            fix=_("valid keys: subjective, objective, rule, alpha."),
        )
    subj = str(combine.get("subjective", "")).lower()
    obj = str(combine.get("objective", "entropy")).lower()
    rule = str(combine.get("rule", "multiplicative")).lower()
    if subj not in SUBJECTIVE:
        raise SpecError(
            _(
                "combine.subjective is {v1!r}; valid: {v2}.",
                v1=combine.get("subjective"),
                v2=", ".join(SUBJECTIVE),
            ),
            where="weights.combine.subjective",
            fix=_("use 'ahp' (with ahp_matrix=) or 'user' (with user=)."),
        )
    if obj not in OBJECTIVE:
        raise SpecError(
            _(
                "combine.objective is {v1!r}; valid: {v2}.",
                v1=combine.get("objective"),
                v2=", ".join(OBJECTIVE),
            ),
            where="weights.combine.objective",
            fix=_("use 'entropy', 'critic' or 'cv'."),
        )
    if rule not in RULES:
        raise SpecError(
            _("combine.rule is {v1!r}; valid: {v2}.", v1=combine.get("rule"), v2=", ".join(RULES)),
            where="weights.combine.rule",
            fix=_("use 'multiplicative' (default) or 'linear'."),
        )
    alpha = combine.get("alpha", 0.5)
    try:
        alpha = float(alpha)
    except (TypeError, ValueError):
        alpha = float("nan")
    if not 0.0 <= alpha <= 1.0:
        raise SpecError(
            _("combine.alpha is {v1!r}; it must be a number in [0, 1].", v1=combine.get("alpha")),
            where="weights.combine.alpha",
            fix=_("alpha is the share of the subjective weights, e.g. 0.5."),
        )
    ws = compute_weights(
        X,
        directions,
        subj,
        scope="pooled",
        user=user,
        ahp_matrix=ahp_matrix,
        ahp_allow_inconsistent=ahp_allow_inconsistent,
        ahp_method=ahp_method,
        compat=compat,
    )
    wo = compute_weights(
        X,
        directions,
        obj,
        scope=scope,
        shift=shift,
        on_constant=on_constant,
        standardize=standardize,
        compat=compat,
    )
    table = combine_tables(ws.table, wo.table, rule, alpha)
    details: dict[str, pd.DataFrame] = {"subjective": ws.table, "objective": wo.table}
    details.update({f"subjective_{k}": v for k, v in ws.details.items()})
    details.update({f"objective_{k}": v for k, v in wo.details.items()})
    rule_note = (
        f"combined {subj} x {obj} weights, multiplicative rule w = ws*wo / sum(ws*wo)."
        if rule == "multiplicative"
        else f"combined {subj} and {obj} weights, linear rule w = {alpha:g}*ws + {1 - alpha:g}*wo."
    )
    return WeightResult(
        method="combined",
        scope=scope,
        table=table,
        details=details,
        notes=(rule_note, *ws.notes, *wo.notes),
    )
