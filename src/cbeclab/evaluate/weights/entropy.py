"""Entropy weights (entropy weight method, EWM).

For each scope group with ``m`` rows and indicator ``j``:

1. min–max by direction, plus the optional ``shift``: ``z_ij`` (see :mod:`cbeclab.evaluate.normalize`);
   with ``standardize=False`` the values as given (SPSSAU's entropy tool: the user standardises first), and
   with ``shift="nonpositive_only"`` SPSSAU's non-negative shift ``z + |min| + 0.01`` on every column whose
   minimum in the group is ``<= 0`` (after min–max that is every column, so all get ``+ 0.01``);
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

from cbeclab.compat import resolve
from cbeclab.errors import DataError, SpecError
from cbeclab.evaluate._scope import Scoped, describe_groups, prepare, require_rows
from cbeclab.evaluate.normalize import (
    NONPOSITIVE_ONLY,
    _check_options,
    minmax_cube,
    nonpositive_shift,
    require_benefit,
)
from cbeclab.evaluate.weights.result import WeightResult, group_frame
from cbeclab.i18n import _

Shift = float | str


def check_shift(shift: Any) -> None:
    """``shift`` is a number >= 0 or ``"nonpositive_only"``."""
    if isinstance(shift, str):
        if shift != NONPOSITIVE_ONLY:
            raise SpecError(
                _("unknown shift {value!r}.", value=shift),
                where="shift",
                fix=_(
                    "use a number >= 0 (0, 0.0001, 0.01) or 'nonpositive_only' (SPSSAU's non-negative shift)."
                ),
            )
        return
    _check_options("minmax", "raise", float(shift))


def entropy_input(
    sc: Scoped, signs: np.ndarray, shift: Shift = 0.0, on_constant: str = "raise", standardize: bool = True
) -> np.ndarray:
    """The matrix the entropy shares are taken of: min–max (or the values as given) plus the shift."""
    if standardize:
        if shift == NONPOSITIVE_ONLY:
            z = minmax_cube(sc, signs, 0.0, on_constant)
            return nonpositive_shift(sc, z)[0]
        # Without a shift the range (max - min) cancels in p = z / sum z: the numerator is enough.
        return minmax_cube(sc, signs, float(shift), on_constant, divide=bool(shift))
    z = np.array(sc.cube, dtype=float, copy=True)
    if shift == NONPOSITIVE_ONLY:
        return nonpositive_shift(sc, z)[0]
    z += float(shift)
    neg = sc.min(z) < 0
    if neg.any():
        items, where, _n = describe_groups(sc, neg)
        raise DataError(
            _("the entropy shares need values >= 0, but {items} has negative values.", items=items),
            where=where,
            fix=_("pass shift='nonpositive_only' (x + |min| + 0.01 on such columns) or standardize=True."),
        )
    return z


def entropy_arrays(
    sc: Scoped,
    signs: np.ndarray,
    shift: Shift = 0.0,
    on_constant: str = "raise",
    standardize: bool = True,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Entropy ``e``, divergence ``d`` and weights ``w``, each ``(G, K)``, on a laid-out cube."""
    require_rows(sc, 2, "the entropy method")
    z = entropy_input(sc, signs, shift, on_constant, standardize)
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
    shift: Shift | None = None,
    on_constant: str = "raise",
    standardize: bool | None = None,
    compat: str | None = None,
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
        Added after min–max (0.0001 or 0.01 is the common translation; 0, the default, is exact with
        ``0 ln 0 = 0``), or ``"nonpositive_only"``: SPSSAU's non-negative shift (``x + |min| + 0.01`` on the
        columns holding a value ``<= 0``, per scope group).
    on_constant
        ``"raise"`` (default) or ``"zero"``: a constant column in a group gets ``e = 1`` and weight 0.
    standardize
        ``True`` (default): min–max by direction first. ``False``: the values as given (every indicator
        must be a benefit indicator; negative values need ``shift="nonpositive_only"``).
    compat
        ``"spssau"``: ``standardize=False`` and ``shift="nonpositive_only"`` unless given.

    Returns
    -------
    WeightResult
        ``details``: ``e`` (entropy) and ``d`` (divergence ``1 - e``), one row per scope group.

    Notes
    -----
    ``z`` = min–max by direction (+ shift), ``p_ij = z_ij / sum_i z_ij``,
    ``e_j = -sum_i p_ij ln p_ij / ln m``, ``d_j = 1 - e_j``, ``w_j = d_j / sum_k d_k``.
    Source: Shannon entropy weighting as applied in seed 001 (§3).

    Checked against: hand calculation on a 3 x 2 matrix (tests/test_weights_entropy.py), the SPSSAU
    conventions by hand on a 3 x 2 matrix with a negative column (tests/test_compat_spssau.py) and a base-R
    implementation, pooled, per entity and with shift 0.01 (tests/fixtures/r/evaluate_mcda.R; max |diff| < 1e-15).

    Examples
    --------
    >>> import pandas as pd
    >>> X = pd.DataFrame({"a": [1.0, 2.0, 3.0], "b": [1.0, 1.0, 4.0]})
    >>> entropy_weights(X, {"a": 1, "b": 1}).table.round(4).to_dict("records")
    [{'a': 0.2961, 'b': 0.7039}]
    """
    opts = resolve(
        "entropy", compat, {"standardize": True, "shift": 0.0}, standardize=standardize, shift=shift
    )
    check_shift(opts["shift"])
    _check_options("minmax", on_constant, 0.0)
    sc, signs = prepare(X, directions, scope)
    if not opts["standardize"]:
        require_benefit(signs, sc.indicators, "the entropy method")
    e, d, w = entropy_arrays(sc, signs, opts["shift"], on_constant, bool(opts["standardize"]))
    return WeightResult(
        method="entropy",
        scope=scope,
        table=group_frame(sc, w),
        details={"e": group_frame(sc, e), "d": group_frame(sc, d)},
        notes=_spssau_notes(opts, compat),
    )


def _spssau_notes(opts: Mapping[str, Any], compat: str | None) -> tuple[str, ...]:
    if opts["standardize"] and opts["shift"] != NONPOSITIVE_ONLY and compat is None:
        return ()
    return (
        _(
            "entropy options: standardize={standardize}, shift={shift}{compat}.",
            standardize=bool(opts["standardize"]),
            shift=opts["shift"],
            compat=", compat=" + compat if compat else "",
        ),
    )
