"""Grey relational analysis (GRA; Deng Julong's grey system theory).

Values are first made dimensionless inside each scope group:

``standardize=True`` (default)
    min–max by direction (``z`` in ``[0, 1]``, 1 = best);
``scaling="mean"``
    ``z = x / mean(x)`` (mean-value scaling, 均值化), no reversal: the reference takes the minimum of a cost
    indicator;
``scaling="initial"``
    ``z = x / x(first row)`` (initial-value scaling, 初值化), likewise;
``standardize=False`` without ``scaling``
    the values as given (SPSSAU's default: no dimensionless step; the user scales beforehand).

Reference series ``x0``
    ``reference="ideal"`` (default, evaluation mode): ``x0_j = max_i z_ij``, the best value of each indicator
    in the group (``min_i z_ij`` for a cost indicator when the values were not reversed by min–max); every row ``i`` is a comparison series over the indicators ``j``.
    ``reference="<column>"`` (factor mode): the named indicator's series over the rows of the group is the
    reference and each other indicator is a comparison series over those rows.
Coefficients
    ``Delta = |x0 - x_i|``; ``Delta_min`` and ``Delta_max`` are taken over the whole matrix of the scope group;
    ``xi = (Delta_min + rho Delta_max) / (Delta + rho Delta_max)`` with distinguishing coefficient
    ``rho`` in ``(0, 1]``, default 0.5.
Grades
    evaluation mode: ``grade_i = sum_j w_j xi_ij`` (equal weights ``1/K`` unless weights are given);
    factor mode: ``grade_j = mean_i xi_ij`` over the rows of the group. Rank 1 = largest grade.

Reference: Deng, J. L. (1989). Introduction to grey system theory. The Journal of Grey System 1(1), 1-24.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from cbeclab.compat import resolve
from cbeclab.errors import DataError, SpecError
from cbeclab.evaluate._scope import check_matrix, check_scope, require_rows, scoped
from cbeclab.evaluate.composite import WeightsArg, keys_frame, resolve_weights, row_weights
from cbeclab.evaluate.normalize import ON_CONSTANT, minmax_cube
from cbeclab.evaluate.weights import WeightResult
from cbeclab.evaluate.weights.result import json_safe
from cbeclab.i18n import _

GREY_SCALINGS = ("mean", "initial")


@dataclass(frozen=True)
class GreyResult:
    """Grey relational analysis result.

    Attributes
    ----------
    coefficients
        Grey relational coefficients ``xi``: same index as ``X``, one column per compared indicator.
    grades
        Evaluation mode: ``entity``, ``period``, ``grade``, ``rank`` (row order of ``X``). Factor mode:
        ``group``, ``indicator``, ``grade``, ``rank``.
    delta
        ``group``, ``delta_min``, ``delta_max`` per scope group.
    reference
        ``"ideal"`` or the reference column name.
    rho
        Distinguishing coefficient.
    weights
        Weights used for the grades (evaluation mode), else ``None``.
    """

    coefficients: pd.DataFrame
    grades: pd.DataFrame
    delta: pd.DataFrame
    reference: str
    rho: float
    scope: str
    weights: WeightResult | None = None
    scaling: str = "minmax"

    def to_frame(self) -> pd.DataFrame:
        return self.grades.copy()

    def to_dict(self) -> dict[str, Any]:
        return {
            "method": "grey_relational",
            "reference": self.reference,
            "rho": self.rho,
            "scaling": self.scaling,
            "scope": self.scope,
            "grades": [json_safe(r) for r in self.grades.to_dict(orient="records")],
            "delta": [json_safe(r) for r in self.delta.to_dict(orient="records")],
            "weights": None if self.weights is None else self.weights.to_dict(),
        }


def grey_relational(
    X: pd.DataFrame,
    directions: Mapping[str, Any],
    *,
    reference: str = "ideal",
    rho: float = 0.5,
    weights: WeightsArg | None = None,
    scope: str = "pooled",
    on_constant: str = "raise",
    standardize: bool | None = None,
    scaling: str | None = None,
    compat: str | None = None,
) -> GreyResult:
    """Grey relational coefficients and grades.

    Parameters
    ----------
    X, directions
        Panel matrix and ``indicator -> +1 | -1``.
    reference
        ``"ideal"`` (default; best normalised value of each indicator) or the name of an indicator column
        whose series is the reference (factor mode).
    rho
        Distinguishing coefficient in ``(0, 1]``; default 0.5.
    weights
        Evaluation mode only: WeightResult, method name or user dict; default equal weights.
    scope
        ``"pooled"`` or ``"per_entity"``: the rows over which ``z``, ``x0``, ``Delta_min`` and ``Delta_max`` are
        taken.
    on_constant
        ``"raise"`` (default) or ``"zero"``.
    standardize
        ``True`` (default without ``scaling``): min–max by direction. ``False``: no min–max (the values as
        given, or ``scaling``).
    scaling
        ``"mean"`` (``x / mean x``) or ``"initial"`` (``x / x_first``) per column in the scope group, instead of
        min–max.
    compat
        ``"spssau"``: ``standardize=False`` (no dimensionless step unless ``scaling``), ``rho=0.5`` and
        equal weights unless given.

    Returns
    -------
    GreyResult

    Notes
    -----
    ``xi = (Delta_min + rho Delta_max) / (Delta + rho Delta_max)``, ``Delta = |x0 - x_i|`` after min–max by
    direction. Source: Deng (1989).

    Checked against: hand calculation on a 3 x 3 matrix (tests/test_evaluate_grey.py; mean and initial
    scaling by hand in tests/test_compat_spssau.py) and base R
    (tests/fixtures/r/evaluate_mcda.R; max |diff| < 1e-15).

    Examples
    --------
    >>> import pandas as pd
    >>> X = pd.DataFrame({"a": [1.0, 2.0, 3.0], "b": [3.0, 1.0, 2.0]})
    >>> grey_relational(X, {"a": 1, "b": 1}).grades["grade"].round(4).tolist()
    [0.6667, 0.4167, 0.75]
    """
    if scaling is not None and scaling not in GREY_SCALINGS:
        raise SpecError(
            _("unknown scaling {value!r}; valid: mean, initial.", value=scaling),
            where="scaling",
            fix=_("use 'mean' (x / mean), 'initial' (x / first value) or leave it unset."),
        )
    if scaling is not None and standardize:
        raise SpecError(
            _("scaling={value!r} replaces min-max, but standardize=True was also given.", value=scaling),
            where="standardize",
            fix=_("drop standardize (or set it to false) when you choose a scaling."),
        )
    std = bool(
        resolve("grey", compat, {"standardize": scaling is None}, standardize=standardize)["standardize"]
    )
    if compat is not None and weights is None and reference == "ideal":
        weights = resolve("grey", compat, {}, weights=None)["weights"]
    if not (isinstance(rho, (int, float)) and 0.0 < float(rho) <= 1.0):
        raise SpecError(
            _("rho must be in (0, 1], got {rho!r}.", rho=rho),
            where="rho",
            fix=_("use the customary 0.5 (smaller rho spreads the coefficients more)."),
        )
    if on_constant not in ON_CONSTANT:
        raise SpecError(
            _("unknown on_constant {on_constant!r}.", on_constant=on_constant),
            where="on_constant",
            fix=_("use 'raise' or 'zero'."),
        )
    check_scope(scope)
    values, indicators, signs = check_matrix(X, directions)
    sc = scoped(X, values, indicators, scope)
    require_rows(sc, 2, "grey relational analysis")
    if std:
        z = minmax_cube(sc, signs, 0.0, on_constant)
        best = sc.max(z)
    else:
        z = _scaled(sc, scaling, indicators, on_constant)
        best = np.where(signs > 0, sc.max(z), sc.min(z))
    ideal = reference == "ideal"
    if ideal:
        compared = indicators
        delta = np.abs(best[:, None, :] - z)
    else:
        if reference not in indicators:
            raise SpecError(
                _("reference {reference!r} is neither 'ideal' nor an indicator of X.", reference=reference),
                where="reference",
                fix=_("use 'ideal' or one of: {v1}.", v1=", ".join(indicators)),
            )
        if weights is not None:
            raise SpecError(
                _("weights are not used when the reference is a column (grades average over rows)."),
                where="weights",
                fix=_("drop weights=, or use reference='ideal'."),
            )
        if len(indicators) < 2:
            raise SpecError(_("factor mode needs at least one indicator besides the reference."), where="X")
        j0 = indicators.index(reference)
        keep = [j for j in range(len(indicators)) if j != j0]
        compared = [indicators[j] for j in keep]
        delta = np.abs(z[:, :, [j0]] - z[:, :, keep])
    dmin = np.nanmin(delta, axis=(1, 2))
    dmax = np.nanmax(delta, axis=(1, 2))
    flat_bad = np.flatnonzero(~(dmax > 0))
    if flat_bad.size:
        g = int(flat_bad[0])
        where = "X" if scope == "pooled" else f"entity {sc.group_label(g)!r}"
        raise DataError(
            _(
                "grey relational coefficients are undefined in {where}: every series equals the reference (Delta_max = 0).",
                where=where,
            ),
            where=where,
            fix=_("use indicators that vary, or scope='pooled'."),
        )
    xi = (dmin[:, None, None] + rho * dmax[:, None, None]) / (delta + rho * dmax[:, None, None])
    xi_flat = sc.flat(xi)
    coefficients = pd.DataFrame(xi_flat, index=X.index, columns=compared)
    groups = np.zeros(len(X), dtype=np.intp) if sc.codes is None else sc.codes
    wr: WeightResult | None = None
    if ideal:
        wr = resolve_weights(X, directions, "equal" if weights is None else weights, scope, 0.0, on_constant)
        W = row_weights(X.index, wr.table, indicators)
        grade = np.einsum("nk,nk->n", xi_flat, W)
        grades = keys_frame(X.index)
        grades["grade"] = grade
        grades["rank"] = (
            pd.Series(grade).groupby(groups).rank(ascending=False, method="min").astype("int64").to_numpy()
        )
    else:
        g_mean = sc.sum(xi) / sc.n()  # (G, K-1)
        labels = np.repeat(np.asarray(sc.groups, dtype=object), len(compared))
        grades = pd.DataFrame(
            {
                "group": labels,
                "indicator": np.tile(np.asarray(compared, dtype=object), len(sc.groups)),
                "grade": g_mean.ravel(),
            }
        )
        grades["rank"] = (
            grades.groupby("group", sort=False)["grade"].rank(ascending=False, method="min").astype("int64")
        )
    delta_df = pd.DataFrame(
        {"group": np.asarray(sc.groups, dtype=object), "delta_min": dmin, "delta_max": dmax}
    )
    return GreyResult(
        coefficients=coefficients,
        scaling="minmax" if std else (scaling or "none"),
        grades=grades,
        delta=delta_df,
        reference=reference,
        rho=float(rho),
        scope=scope,
        weights=wr,
    )


def _scaled(sc: Any, scaling: str | None, indicators: list[str], on_constant: str) -> np.ndarray:
    """Mean-value or initial-value scaling per column and scope group (or the values as given)."""
    a = np.array(sc.cube, dtype=float)
    if scaling is None:
        return a
    if scaling == "mean":
        ref = sc.sum(a) / sc.n()
    else:  # initial: the first row of each group (padding, if any, sits after the rows)
        ref = a[:, 0, :]
    bad = ~(np.abs(ref) > 0) | ~np.isfinite(ref)
    if bad.any():
        g, k = (int(v) for v in np.argwhere(bad)[0])
        if on_constant != "zero":
            where_txt = "X" if sc.scope == "pooled" else str(sc.group_label(g))
            msg = (
                _(
                    "mean-value scaling divides by zero: indicator {col!r} has mean 0 in {where}.",
                    col=indicators[k],
                    where=where_txt,
                )
                if scaling == "mean"
                else _(
                    "initial-value scaling divides by zero: indicator {col!r} starts at 0 in {where}.",
                    col=indicators[k],
                    where=where_txt,
                )
            )
            raise DataError(
                msg,
                where=f"X[{indicators[k]!r}]",
                fix=_("use min-max (standardize=True) or the other scaling for this indicator."),
            )
    ref = np.where(bad, 1.0, ref)
    return a / ref[:, None, :]
