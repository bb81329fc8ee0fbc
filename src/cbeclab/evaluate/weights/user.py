"""User-given (subjective) weights: a dict ``indicator -> weight``, rescaled to sum to 1."""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from cbeclab.errors import SpecError
from cbeclab.evaluate._scope import prepare
from cbeclab.evaluate.weights.result import WeightResult, group_frame, repeat_row
from cbeclab.i18n import _


def user_vector(user: Mapping[str, Any], indicators: list[str]) -> tuple[np.ndarray, tuple[str, ...]]:
    """Validate user weights against ``indicators``; return ``(w (K,), notes)``."""
    if not isinstance(user, Mapping) or not user:
        raise SpecError(
            _("user weights must be a non-empty mapping indicator -> weight."),
            where="user",
            fix=_("pass e.g. user={'B1': 0.3, 'B2': 0.7}."),
        )
    missing = [c for c in indicators if c not in user]
    extra = [str(k) for k in user if k not in indicators]
    if missing or extra:
        parts = []
        if missing:
            parts.append(f"missing indicator(s) {', '.join(map(repr, missing))}")
        if extra:
            parts.append(f"unknown indicator(s) {', '.join(map(repr, extra))}")
        raise SpecError(
            _("user weights must cover exactly the indicators of X: {v1}.", v1="; ".join(parts)),
            where="user",
            fix=_("give one weight for each of: {v1}.", v1=", ".join(indicators)),
        )
    vals = []
    for c in indicators:
        v = user[c]
        try:
            f = float(v)
        except (TypeError, ValueError):
            f = math.nan
        if not math.isfinite(f) or f <= 0:
            raise SpecError(
                _("user weight of {c!r} is {v!r}; weights must be positive numbers.", c=c, v=v),
                where=f"user[{c!r}]",
                fix=_("give a positive weight (drop the indicator from X to exclude it)."),
            )
        vals.append(f)
    w = np.asarray(vals)
    total = float(w.sum())
    notes: tuple[str, ...] = ()
    if abs(total - 1.0) > 1e-9:
        notes = (f"user weights summed to {total:.6g}; they were divided by that sum so they add up to 1.",)
    return w / total, notes


def user_weights(
    X: pd.DataFrame,
    directions: Mapping[str, Any] | None = None,
    *,
    user: Mapping[str, Any],
    scope: str = "pooled",
) -> WeightResult:
    """User weights ``w_j = u_j / sum_k u_k`` (same row for every scope group).

    Every indicator of ``X`` needs a positive weight; weights that do not sum to 1 are rescaled and a note
    says so.

    Checked against: hand calculation (tests/test_weights_simple.py).

    Examples
    --------
    >>> import pandas as pd
    >>> r = user_weights(pd.DataFrame({"a": [1.0, 2.0], "b": [3.0, 1.0]}), user={"a": 1, "b": 3})
    >>> r.table.to_dict("records"), len(r.notes)
    ([{'a': 0.25, 'b': 0.75}], 1)
    """
    sc, _unused = prepare(X, directions, scope)
    w, notes = user_vector(user, sc.indicators)
    return WeightResult(method="user", scope=scope, table=group_frame(sc, repeat_row(sc, w)), notes=notes)
