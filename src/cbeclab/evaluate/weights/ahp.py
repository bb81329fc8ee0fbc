"""AHP weights from a pairwise comparison matrix (Saaty's analytic hierarchy process).

``A = (a_ij)`` is square, positive and reciprocal (``a_ji = 1 / a_ij``, ``a_ii = 1``); ``a_ij`` says how much
more important indicator ``i`` is than ``j`` on Saaty's 1-9 scale.

Weights
    ``"eigen"`` (default): the principal right eigenvector, ``A w = lambda_max w``, scaled to sum to 1.
    ``"geometric"`` (square-root method, 方根法): row geometric means ``g_i = (prod_j a_ij)^(1/n)``,
    ``w = g / sum g``.
    ``"sum_product"`` (和积法, SPSSAU's default): normalise every column to sum 1,
    ``b_ij = a_ij / sum_k a_kj``, and take the row means ``w_i = (1/n) sum_j b_ij``.
    For the two approximate methods ``lambda_max`` is estimated as ``(1/n) sum_i (A w)_i / w_i``.
Consistency
    ``CI = (lambda_max - n) / (n - 1)``, ``CR = CI / RI(n)`` with Saaty's random index table
    (``ahp_ri.yaml``, n = 1..15). ``CR >= 0.1`` is refused with :class:`SpecError` unless
    ``allow_inconsistent=True``. For ``n <= 2`` every reciprocal matrix is consistent and ``CR = 0``.

References: Saaty, T. L. (1980). The Analytic Hierarchy Process. McGraw-Hill; Saaty, T. L. (1990). How to
make a decision: the analytic hierarchy process. European Journal of Operational Research 48, 9-26.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from typing import Any

import numpy as np
import pandas as pd
import yaml

from cbeclab.compat import resolve
from cbeclab.errors import SpecError
from cbeclab.evaluate._scope import prepare
from cbeclab.evaluate.weights.result import WeightResult, group_frame, json_safe, repeat_row
from cbeclab.i18n import _

AHP_METHODS = ("eigen", "geometric", "sum_product")


@lru_cache(maxsize=1)
def ri_table() -> dict[str, Any]:
    """Saaty's random index table and the CR threshold, read from ``ahp_ri.yaml``."""
    text = resources.files("cbeclab.evaluate.weights").joinpath("ahp_ri.yaml").read_text(encoding="utf-8")
    data = yaml.safe_load(text)
    return {
        "table": data["table"],
        "threshold": float(data["threshold"]),
        "ri": {int(k): float(v) for k, v in data["ri"].items()},
    }


@dataclass(frozen=True)
class AHPResult:
    """Priority vector and consistency of one pairwise comparison matrix."""

    weights: pd.Series
    lambda_max: float
    ci: float
    ri: float
    cr: float
    method: str
    matrix: pd.DataFrame

    @property
    def consistent(self) -> bool:
        return self.cr < ri_table()["threshold"]

    def to_frame(self) -> pd.DataFrame:
        return pd.DataFrame({"indicator": self.weights.index, "weight": self.weights.to_numpy()})

    def to_dict(self) -> dict[str, Any]:
        return json_safe(
            {
                "method": self.method,
                "weights": {str(k): float(v) for k, v in self.weights.items()},
                "lambda_max": self.lambda_max,
                "ci": self.ci,
                "ri": self.ri,
                "cr": self.cr,
                "consistent": self.consistent,
            }
        )


def as_matrix(matrix: Any, names: list[str] | None = None, *, tol: float = 0.02) -> pd.DataFrame:
    """Validate a pairwise comparison matrix and return it as a DataFrame (index = columns = names).

    Accepts a square DataFrame, a nested dict ``{row: {col: a_ij}}``, or an array together with ``names``.
    Checks: square, names match, finite and positive, ``a_ii = 1`` and ``a_ij * a_ji = 1`` within ``tol``
    (relative; 0.02 lets rounded entries such as 0.33 for 1/3 pass).
    """
    if isinstance(matrix, pd.DataFrame):
        df = matrix.copy()
    elif isinstance(matrix, Mapping):
        df = pd.DataFrame({str(c): dict(row) for c, row in matrix.items()}).T
    else:
        arr = np.asarray(matrix, dtype=float)
        if names is None or arr.ndim != 2 or arr.shape[0] != len(names):
            raise SpecError(
                _("an AHP matrix given as an array needs one name per row."),
                where="ahp_matrix",
                fix=_("pass a DataFrame with the indicator names as index and columns."),
            )
        df = pd.DataFrame(arr, index=names, columns=names)
    df.index = [str(i) for i in df.index]
    df.columns = [str(c) for c in df.columns]
    if df.shape[0] != df.shape[1]:
        raise SpecError(
            _("the AHP matrix must be square; it is {v1} x {v2}.", v1=df.shape[0], v2=df.shape[1]),
            where="ahp_matrix",
            fix=_("give one row and one column per indicator."),
        )
    if set(df.index) != set(df.columns) or len(set(df.index)) != len(df.index):
        raise SpecError(
            _("the AHP matrix rows and columns must name the same indicators, each once."),
            where="ahp_matrix",
            fix=_("rows: {v1}; columns: {v2}.", v1=", ".join(df.index), v2=", ".join(df.columns)),
        )
    df = df.loc[:, list(df.index)]
    if names is not None:
        missing = [n for n in names if n not in df.index]
        extra = [n for n in df.index if n not in names]
        if missing or extra:
            raise SpecError(
                _("the AHP matrix must cover exactly the indicators of X")
                + (_("; missing {names}", names=", ".join(map(repr, missing))) if missing else "")
                + (_("; unknown {names}", names=", ".join(map(repr, extra))) if extra else "")
                + ".",
                where="ahp_matrix",
                fix=_("one row and one column per indicator of X."),
            )
        df = df.loc[names, names]
    try:
        a = df.to_numpy(dtype=float)
    except (TypeError, ValueError):
        raise SpecError(
            _("the AHP matrix has non-numeric entries."),
            where="ahp_matrix",
            fix=_("use numbers (1/3 as 0.3333)."),
        ) from None
    bad = ~np.isfinite(a) | ~(a > 0)
    if bad.any():
        i, j = np.argwhere(bad)[0]
        raise SpecError(
            _(
                "AHP entry [{v1!r}, {v2!r}] = {v3!r}; entries must be positive numbers.",
                v1=df.index[i],
                v2=df.columns[j],
                v3=a[i, j],
            ),
            where=f"ahp_matrix[{df.index[i]!r}][{df.columns[j]!r}]",
            fix=_("use Saaty's scale 1..9 and reciprocals 1/2..1/9."),
        )
    diag = np.abs(np.diag(a) - 1.0) > tol
    if diag.any():
        i = int(np.flatnonzero(diag)[0])
        raise SpecError(
            _("AHP diagonal entry [{v1!r}, {v1!r}] = {v2!r}; it must be 1.", v1=df.index[i], v2=a[i, i]),
            where=f"ahp_matrix[{df.index[i]!r}][{df.index[i]!r}]",
            fix=_("an indicator compared with itself is 1."),
        )
    recip = np.abs(a * a.T - 1.0) > tol
    if recip.any():
        i, j = np.argwhere(recip)[0]
        raise SpecError(
            _(
                "the AHP matrix is not reciprocal: a[{v1!r}, {v2!r}] = {v3:.6g} but a[{v2!r}, {v1!r}] = {v4:.6g} (should be {v5:.6g}).",
                v1=df.index[i],
                v2=df.columns[j],
                v3=a[i, j],
                v4=a[j, i],
                v5=1 / a[i, j],
            ),
            where=f"ahp_matrix[{df.columns[j]!r}][{df.index[i]!r}]",
            fix=_("fill the lower triangle with the reciprocals of the upper triangle."),
        )
    return pd.DataFrame(a, index=df.index, columns=df.columns)


def ahp(
    matrix: Any,
    *,
    method: str | None = None,
    names: list[str] | None = None,
    tol: float = 0.02,
    compat: str | None = None,
) -> AHPResult:
    """Priority weights, ``lambda_max``, CI, RI and CR of a pairwise comparison matrix (no CR check).

    Checked against: Saaty (1990), EJOR 48, house example (8 criteria): lambda_max = 9.669, CI = 0.238,
    CR = 0.169 and weights 0.173, 0.054, 0.188, 0.018, 0.031, 0.036, 0.167, 0.333
    (tests/test_weights_ahp.py).

    Examples
    --------
    >>> r = ahp({"a": {"a": 1, "b": 2, "c": 4}, "b": {"a": 1/2, "b": 1, "c": 2}, "c": {"a": 1/4, "b": 1/2, "c": 1}})
    >>> [round(v, 4) for v in r.weights], round(r.lambda_max, 6), round(r.cr, 6)
    ([0.5714, 0.2857, 0.1429], 3.0, 0.0)

    ``method=None`` is ``"eigen"``, or ``"sum_product"`` with ``compat="spssau"``. The sum-product method
    was checked against a hand calculation on a 3 x 3 inconsistent matrix (tests/test_compat_spssau.py).
    """
    method = resolve("ahp", compat, {"method": "eigen"}, method=method)["method"]
    if method not in AHP_METHODS:
        raise SpecError(
            _(
                "unknown AHP method {method!r}; valid methods: {v1}.",
                method=method,
                v1=", ".join(AHP_METHODS),
            ),
            where="ahp_method",
            fix=_(
                "use 'eigen' (principal eigenvector, default), 'geometric' (row geometric means) or "
                "'sum_product' (column-normalised row means, SPSSAU's default)."
            ),
        )
    df = as_matrix(matrix, names, tol=tol)
    a = df.to_numpy()
    n = a.shape[0]
    table = ri_table()["ri"]
    if n not in table:
        raise SpecError(
            _(
                "the AHP matrix has {n} indicators; the random index table covers n = 1..{v1}.",
                n=n,
                v1=max(table),
            ),
            where="ahp_matrix",
            fix=_("group the indicators into a hierarchy with at most 15 per comparison matrix."),
        )
    if method == "eigen":
        vals, vecs = np.linalg.eig(a)
        i = int(np.argmax(vals.real))
        lam = float(vals[i].real)
        w = np.abs(vecs[:, i].real)
    else:
        if method == "geometric":
            w = np.exp(np.log(a).mean(axis=1))
        else:  # sum_product
            w = (a / a.sum(axis=0, keepdims=True)).mean(axis=1)
        w = w / w.sum()
        lam = float(np.mean((a @ w) / w))
    w = w / w.sum()
    ci = (lam - n) / (n - 1) if n > 2 else 0.0
    ci = max(ci, 0.0) if abs(ci) < 1e-12 else ci
    ri = table[n]
    cr = ci / ri if ri > 0 else 0.0
    return AHPResult(
        weights=pd.Series(w, index=df.index, name="weight"),
        lambda_max=lam,
        ci=ci,
        ri=ri,
        cr=cr,
        method=method,
        matrix=df,
    )


def ahp_weights(
    X: pd.DataFrame,
    directions: Mapping[str, Any] | None,
    matrix: Any,
    *,
    scope: str = "pooled",
    allow_inconsistent: bool = False,
    method: str | None = None,
    tol: float = 0.02,
    compat: str | None = None,
) -> WeightResult:
    """AHP weights for the indicators of ``X`` (the same row for every scope group).

    Parameters
    ----------
    X, directions
        Panel matrix (only its column names are used) and directions (checked, not used).
    matrix
        Pairwise comparison matrix over the columns of ``X`` (see :func:`as_matrix`).
    allow_inconsistent
        Accept ``CR >= 0.1`` (a note records it); otherwise :class:`SpecError` shows CR.
    method
        ``"eigen"`` (default), ``"geometric"`` or ``"sum_product"``; ``None`` follows ``compat``.
    compat
        ``"spssau"``: SPSSAU's default method, ``"sum_product"``.

    Returns
    -------
    WeightResult
        ``details``: ``matrix`` (the validated comparison matrix), ``summary`` (n, lambda_max, CI, RI, CR,
        method, RI table).
    """
    sc, _unused = prepare(X, directions, scope)
    res = ahp(matrix, method=method, names=list(sc.indicators), tol=tol, compat=compat)
    method = res.method
    threshold = ri_table()["threshold"]
    notes: tuple[str, ...] = ()
    if res.cr >= threshold:
        if not allow_inconsistent:
            raise SpecError(
                _(
                    "the AHP judgements are inconsistent: CR = {cr:.4f} >= {threshold} (lambda_max = {lambda_max:.4f}, CI = {ci:.4f}, RI({n_items}) = {ri}).",
                    cr=res.cr,
                    threshold=threshold,
                    lambda_max=res.lambda_max,
                    ci=res.ci,
                    n_items=len(res.weights),
                    ri=res.ri,
                ),
                where="ahp_matrix",
                fix=_(
                    "revise the comparisons that contradict each other (a > b, b > c but c >= a), or pass ahp_allow_inconsistent=True to accept them."
                ),
            )
        notes = (f"AHP matrix accepted although CR = {res.cr:.4f} >= {threshold} (allow_inconsistent=True).",)
    summary = pd.DataFrame(
        [
            {
                "n": len(res.weights),
                "lambda_max": res.lambda_max,
                "CI": res.ci,
                "RI": res.ri,
                "CR": res.cr,
                "consistent": res.cr < threshold,
                "method": method,
                "ri_table": ri_table()["table"],
            }
        ]
    )
    w = res.weights.reindex(sc.indicators).to_numpy()
    if not math.isclose(float(w.sum()), 1.0, abs_tol=1e-9):
        w = w / w.sum()
    return WeightResult(
        method="ahp",
        scope=scope,
        table=group_frame(sc, repeat_row(sc, w)),
        details={"matrix": res.matrix, "summary": summary},
        notes=notes,
    )
