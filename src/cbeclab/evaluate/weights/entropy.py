"""Entropy weights (entropy weight method, EWM).

For each scope group with ``m`` rows and indicator ``j``:

1. min–max by direction, plus the optional ``shift``: ``z_ij`` (see :mod:`cbeclab.evaluate.normalize`);
2. share of row ``i``: ``p_ij = z_ij / sum_i z_ij``;
3. entropy: ``e_j = -(1 / ln m) * sum_i p_ij ln p_ij`` with ``0 ln 0 = 0``;
4. divergence (degree of diversification): ``d_j = 1 - e_j``;
5. weight: ``w_j = d_j / sum_k d_k``.

An indicator whose values are spread evenly over the rows has ``e_j`` close to 1 and a small weight; one
concentrated in few rows has a large weight. Seed 001 (§3) weights the order parameters of each subsystem
this way before aggregating order degrees (its formula 2).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from cbeclab.errors import DataError
from cbeclab.evaluate._scope import Scoped, prepare, require_rows
from cbeclab.evaluate.normalize import _check_options, minmax_cube
from cbeclab.evaluate.weights.result import WeightResult, group_frame
from cbeclab.i18n import _


def entropy_arrays(
    sc: Scoped, signs: np.ndarray, shift: float = 0.0, on_constant: str = "raise"
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Entropy ``e``, divergence ``d`` and weights ``w``, each ``(G, K)``, on a laid-out cube."""
    require_rows(sc, 2, "the entropy method")
    # Without a shift the range (max - min) cancels in p = z / sum z, so the cube needs only the numerator.
    z = minmax_cube(sc, signs, shift, on_constant, divide=bool(shift))
    total = sc.sum(z)  # (G, K)
    empty = ~(total > 0)  # only a constant column scored 0 (on_constant="zero", shift=0)
    z /= np.where(empty, 1.0, total)[:, None, :]
    p = z
    plogp = np.zeros_like(p)
    np.log(p, out=plogp, where=p > 0)  # 0 ln 0 = 0 (and padding, NaN, contributes 0)
    plogp *= p
    e = -sc.sum(plogp) / np.log(sc.n()) + 0.0
    e = np.where(empty, 1.0, e)
    d = np.clip(1.0 - e, 0.0, None)
    dsum = d.sum(axis=1, keepdims=True)
    bad = np.flatnonzero(~(dsum[:, 0] > 0))
    if bad.size:
        where = "X" if sc.scope == "pooled" else f"entity {sc.group_label(int(bad[0]))!r}"
        raise DataError(
            _(
                "entropy weights are undefined: every indicator is constant (zero divergence) in {where}.",
                where=where,
            ),
            where=where,
            fix=_("use indicators that vary, or scope='pooled'."),
        )
    w = d / dsum
    return e, d, w


def entropy_weights(
    X: pd.DataFrame,
    directions: Mapping[str, Any],
    *,
    scope: str = "pooled",
    shift: float = 0.0,
    on_constant: str = "raise",
) -> WeightResult:
    """Entropy weights of the indicators in ``X``.

    Parameters
    ----------
    X
        Panel matrix (``MultiIndex(entity, period)``, one float column per indicator).
    directions
        ``indicator -> +1 | -1``.
    scope
        ``"pooled"`` (one weight vector) or ``"per_entity"`` (one per entity, from its own rows).
    shift
        Added after min–max (0.0001 or 0.01 is the common translation; 0 is exact with ``0 ln 0 = 0``).
    on_constant
        ``"raise"`` (default) or ``"zero"``: a constant column in a group gets ``e = 1`` and weight 0.

    Returns
    -------
    WeightResult
        ``details``: ``e`` (entropy) and ``d`` (divergence ``1 - e``), one row per scope group.

    Notes
    -----
    ``z`` = min–max by direction (+ shift), ``p_ij = z_ij / sum_i z_ij``,
    ``e_j = -sum_i p_ij ln p_ij / ln m``, ``d_j = 1 - e_j``, ``w_j = d_j / sum_k d_k``.
    Source: Shannon entropy weighting as applied in seed 001 (§3).

    Checked against: hand calculation on a 3 x 2 matrix (tests/test_weights_entropy.py) and a base-R
    implementation, pooled, per entity and with shift 0.01 (tests/fixtures/r/evaluate_mcda.R; max |diff| < 1e-15).

    Examples
    --------
    >>> import pandas as pd
    >>> X = pd.DataFrame({"a": [1.0, 2.0, 3.0], "b": [1.0, 1.0, 4.0]})
    >>> entropy_weights(X, {"a": 1, "b": 1}).table.round(4).to_dict("records")
    [{'a': 0.2961, 'b': 0.7039}]
    """
    _check_options("minmax", on_constant, shift)
    sc, signs = prepare(X, directions, scope)
    e, d, w = entropy_arrays(sc, signs, shift, on_constant)
    return WeightResult(
        method="entropy",
        scope=scope,
        table=group_frame(sc, w),
        details={"e": group_frame(sc, e), "d": group_frame(sc, d)},
    )
