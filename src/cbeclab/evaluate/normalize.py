"""Normalisation of a panel matrix by indicator direction.

Three methods, each applied column by column inside a scope group (``"pooled"``: all rows;
``"per_entity"``: each entity's own rows):

``minmax`` (range / extreme-value standardisation)
    benefit (+1): ``z = (x - min) / (max - min)``; cost (-1): ``z = (max - x) / (max - min)``;
    then ``z + shift``. Values lie in ``[shift, 1 + shift]``, 1 = best row of the group.
``zscore``
    ``z = s * (x - mean) / sd`` with the sample standard deviation (``ddof = 1``) and ``s`` the direction,
    so a cost indicator is sign-flipped and larger is always better. ``shift`` is added afterwards.
``vector``
    benefit: ``z = x / sqrt(sum x^2)``; cost: ``z = (max - x) / sqrt(sum (max - x)^2)``. The cost rule reverses
    the indicator by its maximum (well defined for zero and negative values, unlike ``1 / x``) and keeps
    "larger is better". TOPSIS uses the textbook variant instead (raw ``x / sqrt(sum x^2)`` for every column,
    ideal chosen by direction), see :mod:`cbeclab.evaluate.topsis`.

The ``shift`` parameter
    The entropy method takes ``ln p`` of normalised values, and min–max puts the worst row at exactly 0.
    A common practice in the applied literature (for example the entropy-weight studies built on the
    composite-system synergy model of seed 001, §3) is to translate the standardised values by a small
    constant, usually 0.0001 or 0.01, so that every logarithm is defined. cbeclab does not need it (the
    entropy code uses ``0 ln 0 = 0``), so the default is ``shift = 0``; pass 0.0001 or 0.01 to reproduce a
    published table that used the translation. The shift changes entropy weights slightly (more for
    larger shifts and fewer rows).

Constant columns
    A column that is constant inside a scope group has ``max - min = 0`` (and ``sd = 0``): min–max and z-score
    are undefined. By default a :class:`~cbeclab.errors.DataError` names the indicator (and the entity for
    ``per_entity``) and says how to fix it; ``on_constant="zero"`` scores such a column 0 (before the shift)
    in that group instead. For ``vector`` only an all-zero column (after reversal) is undefined.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal

import numpy as np
import pandas as pd

from cbeclab.errors import DataError, SpecError
from cbeclab.evaluate._scope import Scoped, describe_groups, prepare
from cbeclab.i18n import _

METHODS = ("minmax", "zscore", "vector")
ON_CONSTANT = ("raise", "zero")

NormMethod = Literal["minmax", "zscore", "vector"]


def _check_options(method: str, on_constant: str, shift: float) -> None:
    if method not in METHODS:
        raise SpecError(
            _(
                "unknown normalisation method {method!r}; valid methods: {v1}.",
                method=method,
                v1=", ".join(METHODS),
            ),
            where="normalize_method",
            fix=_("use 'minmax' (default), 'zscore' or 'vector'."),
        )
    if on_constant not in ON_CONSTANT:
        raise SpecError(
            _(
                "unknown on_constant {on_constant!r}; valid values: {v1}.",
                on_constant=on_constant,
                v1=", ".join(ON_CONSTANT),
            ),
            where="on_constant",
            fix=_("use 'raise' (default) or 'zero'."),
        )
    if not np.isfinite(shift) or shift < 0:
        raise SpecError(
            _("shift must be a finite number >= 0, got {shift!r}.", shift=shift),
            where="shift",
            fix=_("use 0 (default), 0.0001 or 0.01."),
        )


def _constant_error(sc: Scoped, mask: np.ndarray, method: str) -> DataError:
    items, where, count = describe_groups(sc, mask)
    label = "indicator" if count == 1 else "indicators"
    inside = "over all rows" if sc.scope == "pooled" else "within an entity"
    fix = (
        "drop the indicator (a constant carries no information)"
        if sc.scope == "pooled"
        else "drop the indicator, or use scope='pooled' so the entities are compared together"
    )
    return DataError(
        _(
            "constant {label} {inside}: {items}; {method} normalisation divides by zero.",
            label=label,
            inside=inside,
            items=items,
            method=method,
        ),
        where=where,
        fix=_("{fix}, or pass on_constant='zero' to score it 0 there.", fix=fix),
    )


def _constant_mask(lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
    """``(G, K)`` mask of columns whose range is zero up to rounding."""
    rng = hi - lo
    return rng <= 1e-12 * np.maximum(np.abs(lo), np.abs(hi))


def minmax_cube(
    sc: Scoped, signs: np.ndarray, shift: float = 0.0, on_constant: str = "raise", *, divide: bool = True
) -> np.ndarray:
    """Min–max by direction on the cube; returns a new ``(G, T, K)`` array (padding stays NaN).

    ``divide=False`` returns the numerators ``x - min`` / ``max - x`` only (for the entropy shares, where
    the range cancels); constant columns are then 0 as well.
    """
    a = sc.cube
    lo = sc.min(a)
    hi = sc.max(a)
    const = _constant_mask(lo, hi)
    has_const = bool(const.any())
    if has_const and on_constant != "zero":
        raise _constant_error(sc, const, "min-max")
    if (signs < 0).any():
        ref = np.where(signs < 0, hi, lo)
        z = np.subtract(a, ref[:, None, :])
        z *= signs  # cost: -(x - max) = max - x
        z += 0.0  # -0.0 -> 0.0
    else:
        z = np.subtract(a, lo[:, None, :])
    if divide:
        z /= np.where(const, 1.0, hi - lo)[:, None, :]
    if has_const:
        z[np.broadcast_to(const[:, None, :], z.shape) & ~np.isnan(z)] = 0.0
    if shift:
        z += shift
    return z


def zscore_cube(sc: Scoped, signs: np.ndarray, shift: float = 0.0, on_constant: str = "raise") -> np.ndarray:
    a = sc.cube
    if (sc.counts < 2).any():
        const = np.broadcast_to((sc.counts < 2)[:, None], (len(sc.groups), a.shape[2]))
    else:
        const = np.zeros((len(sc.groups), a.shape[2]), dtype=bool)
    mean = sc.mean(a)
    sd = sc.std(a, ddof=1)
    const = const | ~(sd > 1e-12 * np.maximum(np.abs(mean), 1e-300))
    if const.any() and on_constant != "zero":
        raise _constant_error(sc, const, "z-score")
    sd = np.where(const, 1.0, sd)
    z = (a - mean[:, None, :]) / sd[:, None, :] * signs
    if const.any():
        z = np.where(const[:, None, :] & ~np.isnan(a), 0.0, z)
    if shift:
        z += shift
    return z


def vector_cube(sc: Scoped, signs: np.ndarray, shift: float = 0.0, on_constant: str = "raise") -> np.ndarray:
    a = sc.cube
    cost = signs < 0
    if cost.any():
        hi = sc.max(a)
        a = np.where(cost, hi[:, None, :] - a, a)
    norm = np.sqrt(sc.sum(a * a))
    zero = ~(norm > 0)
    if zero.any() and on_constant != "zero":
        items, where, _unused = describe_groups(sc, zero)
        raise DataError(
            _(
                "vector normalisation divides by zero: {items} is all zero (a cost indicator is reversed as max - x, so a constant cost indicator is all zero).",
                items=items,
            ),
            where=where,
            fix=_("drop the indicator, or pass on_constant='zero' to score it 0 there."),
        )
    z = a / np.where(zero, 1.0, norm)[:, None, :]
    if shift:
        z += shift
    return z


_CUBE = {"minmax": minmax_cube, "zscore": zscore_cube, "vector": vector_cube}

#: the SPSSAU "non-negative shift" (x + |min| + 0.01 on the columns that hold a value <= 0)
NONPOSITIVE_ONLY = "nonpositive_only"
SPSSAU_SHIFT_EPS = 0.01


def require_benefit(signs: np.ndarray, indicators: Any, method: str) -> None:
    """``standardize=False`` uses the values as given: every indicator must already be "larger is better"."""
    cost = [str(i) for i, s in zip(indicators, signs) if s < 0]
    if cost:
        raise SpecError(
            _(
                "{method} with standardize=False uses the values as given, but {cols} is a cost indicator.",
                method=method,
                cols=", ".join(map(repr, cost)),
            ),
            where="standardize",
            fix=_(
                "reverse the cost indicator first (for example max - x, or (max - x)/(max - min)) and mark it "
                "'+', or keep standardize=True (min-max by direction)."
            ),
        )


def nonpositive_shift(sc: Scoped, z: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """SPSSAU's non-negative shift, per scope group and column, in place; returns ``(z, shift)``.

    A column whose minimum in the group is ``<= 0`` gets ``x + |min| + 0.01`` (its minimum becomes 0.01);
    the other columns are left alone (shift 0). ``shift`` is ``(G, K)``.

    >>> from cbeclab.evaluate._scope import prepare
    >>> import pandas as pd
    >>> sc, _ = prepare(pd.DataFrame({"a": [-1.0, 2.0], "b": [1.0, 3.0]}), {"a": 1, "b": 1}, "pooled")
    >>> z, c = nonpositive_shift(sc, sc.cube.copy())
    >>> z[0].round(6).tolist(), c.tolist()
    ([[0.01, 1.0], [3.01, 3.0]], [[1.01, 0.0]])
    """
    lo = sc.min(z)
    shift = np.where(lo <= 0, np.abs(lo) + SPSSAU_SHIFT_EPS, 0.0)
    z += shift[:, None, :]
    return z, shift


def normalize_cube(
    sc: Scoped, signs: np.ndarray, method: str = "minmax", shift: float = 0.0, on_constant: str = "raise"
) -> np.ndarray:
    """Normalise an already laid-out cube (used by the weights, composite, TOPSIS and grey modules)."""
    _check_options(method, on_constant, shift)
    return _CUBE[method](sc, signs, shift, on_constant)


def normalize(
    X: pd.DataFrame,
    directions: Mapping[str, Any],
    method: NormMethod = "minmax",
    shift: float = 0.0,
    scope: str = "pooled",
    *,
    on_constant: Literal["raise", "zero"] = "raise",
) -> pd.DataFrame:
    """Normalise indicators by direction so that larger is always better.

    Parameters
    ----------
    X
        Panel matrix: index ``MultiIndex(entity, period)`` (any index for ``scope="pooled"``), one float
        column per indicator, no missing values.
    directions
        ``indicator -> +1 | -1`` (benefit / cost); ``"+"`` / ``"-"`` are accepted. Must cover every column.
    method
        ``"minmax"`` (default), ``"zscore"`` or ``"vector"``; formulas in the module docstring.
    shift
        Constant added after normalisation (0.0001 or 0.01 is the common translation before entropy logs).
    scope
        ``"pooled"`` (all rows together) or ``"per_entity"`` (each entity's own rows).
    on_constant
        ``"raise"`` (default): a constant column in a scope group raises :class:`DataError`;
        ``"zero"``: that column is scored 0 in that group.

    Returns
    -------
    DataFrame
        Same index and columns as ``X``.

    Notes
    -----
    Min–max: benefit ``(x - min)/(max - min)``, cost ``(max - x)/(max - min)``; z-score with the sample sd;
    vector ``x / sqrt(sum x^2)`` (cost: ``max - x`` first). Source: standard multi-criteria practice, as
    used for the order-parameter standardisation of seed 001 (§3, formula 1).

    Checked against: hand calculation (tests/test_evaluate_normalize.py).

    Examples
    --------
    >>> import pandas as pd
    >>> X = pd.DataFrame({"a": [1.0, 2.0, 3.0], "b": [10.0, 20.0, 40.0]},
    ...                  index=pd.MultiIndex.from_product([["c1"], [2020, 2021, 2022]]))
    >>> normalize(X, {"a": 1, "b": -1})["b"].round(4).tolist()
    [1.0, 0.6667, 0.0]
    """
    _check_options(method, on_constant, shift)
    sc, signs = prepare(X, directions, scope)
    z = _CUBE[method](sc, signs, shift, on_constant)
    return pd.DataFrame(sc.flat(z), index=X.index, columns=X.columns)
