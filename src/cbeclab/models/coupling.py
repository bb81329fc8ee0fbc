"""Coupling coordination degree of n >= 2 subsystems (classical and Wang et al. 2021 modified).

Pipeline: indicators -> min-max normalised by direction (``cbeclab.evaluate.normalize``) ->
weighted composite index U_i of each subsystem -> coupling degree C -> comprehensive coordination
index T -> coupling coordination degree D = sqrt(C T) -> ten-grade scale
(``diagnose/rules/coupling_grades.yaml``) -> lagging subsystem.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from typing import Any, Literal

import numpy as np
import pandas as pd
import yaml

from cbeclab.errors import DataError, SpecError
from cbeclab.i18n import _
from cbeclab.io.readers import show
from cbeclab.models._common import (
    SubsystemWeights,
    check_panel,
    check_subsystems,
    json_safe,
    records,
    resolve_weights,
)

__all__ = [
    "CouplingResult",
    "coupling_coordination",
    "coupling_from_scores",
    "coupling_degree",
    "grade_scale",
    "grade_of",
    "spssau_rescale",
]

Model = Literal["classical", "modified"]


@lru_cache(maxsize=1)
def grade_scale() -> pd.DataFrame:
    """The ten-grade scale of D from ``diagnose/rules/coupling_grades.yaml``.

    Columns ``grade``, ``lower``, ``upper``, ``en``, ``zh``; checked to be contiguous over [0, 1].
    """
    text = resources.files("cbeclab.diagnose").joinpath("rules/coupling_grades.yaml").read_text("utf-8")
    data = yaml.safe_load(text)
    frame = pd.DataFrame(data["grades"], columns=["grade", "lower", "upper", "en", "zh"])
    lows = frame["lower"].to_numpy(float)
    ups = frame["upper"].to_numpy(float)
    if lows[0] != 0.0 or ups[-1] != 1.0 or not np.allclose(lows[1:], ups[:-1]) or (np.diff(lows) <= 0).any():
        raise SpecError(
            _("grade bounds must be increasing, contiguous and cover [0, 1]"),
            where="cbeclab/diagnose/rules/coupling_grades.yaml",
            fix=_("make each grade's lower bound equal the previous grade's upper bound"),
        )
    return frame


def grade_of(D: Any) -> pd.DataFrame:
    """Grade (1-10), English and Chinese labels of coupling coordination degrees ``D``.

    Each grade covers [lower, upper), the top grade includes 1. ``D`` is rounded to 12 decimals
    first; NaN stays ungraded (grade NaN, labels None).
    """
    scale = grade_scale()
    d = np.round(np.asarray(D, dtype=float).reshape(-1), 12)
    lows = scale["lower"].to_numpy(float)
    idx = np.searchsorted(lows, d, side="right") - 1
    ok = np.isfinite(d)
    idx = np.clip(idx, 0, len(lows) - 1)
    grade = np.where(ok, scale["grade"].to_numpy()[idx], np.nan)
    en = scale["en"].to_numpy(object)[idx]
    zh = scale["zh"].to_numpy(object)[idx]
    en[~ok] = None
    zh[~ok] = None
    out = pd.DataFrame({"grade": grade, "grade_en": en, "grade_zh": zh})
    if ok.all():
        out["grade"] = out["grade"].astype(int)
    return out


def coupling_degree(U: np.ndarray, model: Model = "classical") -> tuple[np.ndarray, np.ndarray]:
    r"""Coupling degree C of each row of ``U`` (rows: observations, columns: n >= 2 subsystems).

    ``model="classical"``:

    .. math:: C = \frac{n\,(\prod_i U_i)^{1/n}}{\sum_i U_i}

    (the common form; the older way of writing it,
    :math:`C = \left[\prod_i U_i / \left(\frac{1}{n}\sum_i U_i\right)^n\right]^{1/n}`, is the same
    number. A variant seen in some papers, :math:`[\prod U_i/(\sum U_i)^n]^{1/n}` without the factor
    n, only reaches 1/n and is not used.) C is the ratio of the geometric to the arithmetic mean, so
    C is in [0, 1] and equals 1 iff all U_i are equal.

    ``model="modified"`` (Wang Shujia, Kong Wei, Ren Liang, Zhi Dandan & Dai Bingtao 2021,
    "国内耦合协调度模型的误区及修正", 自然资源学报 36(3): 793-810):

    .. math::

        C = \sqrt{\left[1 - \frac{\sum_{i>j} |U_i - U_j|}{\sum_{m=1}^{n-1} m}\right]
                  \left(\prod_i \frac{U_i}{\max_j U_j}\right)^{1/(n-1)}}

    which spreads C over [0, 1] instead of crowding it near 1.

    Rows where every U_i = 0 get C = 0 (no coupling without development) and are flagged in the
    second returned array (``degenerate``) instead of producing NaN or warnings.

    Checked against: hand calculation for U = (0.2, 0.5, 0.8) (tests/test_models_coupling.py).
    """
    U = np.asarray(U, dtype=float)
    if U.ndim != 2 or U.shape[1] < 2:
        raise SpecError(_("coupling needs at least two subsystem scores per row"), where="U")
    n = U.shape[1]
    degenerate = U.max(axis=1) <= 0
    mx = U.max(axis=1)
    # U / max keeps the products away from underflow (C depends on ratios only)
    ratio = np.divide(U, mx[:, None], out=np.zeros_like(U), where=mx[:, None] > 0)
    if model == "classical":
        S = U.sum(axis=1)
        G = mx * np.prod(ratio, axis=1) ** (1.0 / n)
        C = np.divide(n * G, S, out=np.zeros_like(S), where=S > 0)
    elif model == "modified":
        diff = np.zeros(U.shape[0])
        for i in range(n):
            for j in range(i):
                diff += np.abs(U[:, i] - U[:, j])
        denom = n * (n - 1) / 2.0
        inner = np.clip(1.0 - diff / denom, 0.0, None) * np.prod(ratio, axis=1) ** (1.0 / (n - 1))
        C = np.sqrt(inner)
    else:
        raise SpecError(
            _("model={model!r} is not known", model=model),
            where="model",
            fix=_("use 'classical' or 'modified'"),
        )
    C = np.where(degenerate, 0.0, np.clip(C, 0.0, 1.0))
    return C, degenerate


def spssau_rescale(U: np.ndarray) -> tuple[np.ndarray, list[int]]:
    """SPSSAU's "data intervalization": each column to 0.01 + 0.98 (x - min)/(max - min).

    min and max are taken over all rows of the column (SPSSAU sees one table). A constant column
    has no range; it is set to 0.5 (the middle of [0.01, 0.99]) and its position returned.
    """
    mn = U.min(axis=0)
    mx = U.max(axis=0)
    span = mx - mn
    const = [int(j) for j in np.flatnonzero(span <= 0)]
    safe = np.where(span > 0, span, 1.0)
    out = 0.01 + 0.98 * (U - mn) / safe
    out[:, span <= 0] = 0.5
    return out, const


@dataclass(frozen=True)
class CouplingResult:
    """Result of :func:`coupling_coordination` / :func:`coupling_from_scores`.

    ``table`` columns: ``entity``, ``period``, ``U_<subsystem>``..., ``C``, ``T``, ``D``, ``grade``
    (1-10), ``grade_en``, ``grade_zh``, ``lagging`` (subsystem with the lowest U; ties: the first
    in order) and ``lag_gap`` (max U - min U of the row).
    """

    table: pd.DataFrame
    subsystems: list[str]
    model: str
    contribution: dict[str, float]
    compat: str | None
    weights: SubsystemWeights | None = None
    options: dict[str, Any] = field(default_factory=dict)
    notes: tuple[str, ...] = ()

    def to_frame(self) -> pd.DataFrame:
        return self.table.copy()

    def to_dict(self) -> dict[str, Any]:
        return {
            "model": f"coupling coordination ({self.model})",
            "subsystems": list(self.subsystems),
            "contribution": json_safe(self.contribution),
            "compat": self.compat,
            "options": json_safe(self.options),
            "weights": None if self.weights is None else self.weights.to_dict(),
            "grades": records(grade_scale()),
            "table": records(self.table),
            "notes": list(self.notes),
        }


def _contribution(contribution: Mapping[str, float] | None, names: list[str]) -> tuple[np.ndarray, list[str]]:
    notes: list[str] = []
    if contribution is None:
        return np.full(len(names), 1.0 / len(names)), notes
    if not isinstance(contribution, Mapping):
        raise SpecError(_("contribution must be a mapping subsystem -> coefficient"), where="contribution")
    unknown = [k for k in contribution if k not in names]
    missing = [s for s in names if s not in contribution]
    if unknown or missing:
        raise SpecError(
            _(
                "contribution keys do not match the subsystems (unknown {unknown}, missing {missing})",
                unknown=unknown,
                missing=missing,
            ),
            where="contribution",
            fix=_("give one coefficient for each of {names}", names=names),
        )
    a = np.array([float(contribution[s]) for s in names])
    if not np.all(np.isfinite(a)) or (a < 0).any() or a.sum() <= 0:
        raise SpecError(
            _("contribution coefficients must be finite, >= 0 and not all 0"),
            where="contribution",
            fix=_("use e.g. {'trade': 0.5, 'cluster': 0.5}"),
        )
    if abs(a.sum() - 1.0) > 1e-9:
        notes.append(
            _("contribution coefficients summed to {v1:g}; they were rescaled to sum to 1", v1=a.sum())
        )
    return a / a.sum(), notes


def _from_matrix(
    U: np.ndarray,
    names: list[str],
    keys: pd.DataFrame,
    *,
    model: Model,
    contribution: Mapping[str, float] | None,
    compat: str | None,
    weights: SubsystemWeights | None,
    options: dict[str, Any],
    notes: list[str],
) -> CouplingResult:
    if compat not in (None, "spssau"):
        raise SpecError(
            _("compat={compat!r} is not known", compat=compat), where="compat", fix=_("use None or 'spssau'")
        )
    if compat == "spssau":
        U, const = spssau_rescale(U)
        notes.append(
            _("compat='spssau': each subsystem score column was rescaled to [0.01, 0.99] over all rows")
        )
        if const:
            notes.append(
                _(
                    "subsystem(s) {v1} have a constant score; their rescaled score is set to 0.5",
                    v1=[names[j] for j in const],
                )
            )
    a, cnotes = _contribution(contribution, names)
    notes.extend(cnotes)
    C, degenerate = coupling_degree(U, model)
    if degenerate.any():
        notes.append(
            _(
                "{v1} row(s) have every subsystem score equal to 0: C = 0 there (no coupling without development)",
                v1=int(degenerate.sum()),
            )
        )
    T = U @ a
    D = np.sqrt(C * T)
    lag = np.argmin(U, axis=1)
    table = keys.reset_index(drop=True).copy()
    for j, s in enumerate(names):
        table[f"U_{s}"] = U[:, j]
    table["C"] = C
    table["T"] = T
    table["D"] = D
    g = grade_of(D)
    table["grade"] = g["grade"].to_numpy()
    table["grade_en"] = g["grade_en"].to_numpy()
    table["grade_zh"] = g["grade_zh"].to_numpy()
    table["lagging"] = np.array(names, dtype=object)[lag] if len(U) else np.array([], dtype=object)
    table["lag_gap"] = U.max(axis=1) - U.min(axis=1) if len(U) else np.array([], dtype=float)
    return CouplingResult(
        table=table,
        subsystems=names,
        model=model,
        contribution={s: float(x) for s, x in zip(names, a)},
        compat=compat,
        weights=weights,
        options={**options, "model": model, "compat": compat},
        notes=tuple(notes),
    )


def coupling_from_scores(
    U: pd.DataFrame,
    *,
    model: Model = "classical",
    contribution: Mapping[str, float] | None = None,
    compat: Literal["spssau"] | None = None,
) -> CouplingResult:
    r"""Coupling coordination from ready subsystem scores (one column per subsystem).

    .. math::

        T = \sum_i a_i U_i,\qquad D = \sqrt{C\,T}

    with C from :func:`coupling_degree` and contribution coefficients a_i (equal by default;
    ``contribution`` is rescaled to sum to 1, as SPSSAU does).

    Parameters
    ----------
    U
        Rows: observations, indexed by ``MultiIndex(entity, period)`` (or a plain index, then
        ``period`` is None); columns: subsystem scores in [0, 1] (a ``U_`` prefix is dropped from the
        names). With ``compat="spssau"`` any finite scores are accepted because they are rescaled.
    model
        ``"classical"`` or ``"modified"`` (Wang et al. 2021), see :func:`coupling_degree`.
    contribution
        ``subsystem -> a_i``.
    compat
        ``"spssau"`` reproduces SPSSAU's Coupling tool with its default "data intervalization": each
        score column is first rescaled over all rows to ``0.01 + 0.98 (U - min)/(max - min)``; then
        C (SPSSAU uses the classical C), T with equal (or given, rescaled) coefficients, D, grades.

    Examples
    --------
    >>> import pandas as pd
    >>> U = pd.DataFrame({"A": [0.2], "B": [0.5], "C": [0.8]})
    >>> r = coupling_from_scores(U)
    >>> round(float(r.table["C"][0]), 6), round(float(r.table["D"][0]), 6), r.table["lagging"][0]
    (0.861774, 0.65642, 'A')

    Checked against: hand calculation (tests/test_models_coupling.py).
    """
    if not isinstance(U, pd.DataFrame):
        raise DataError(_("expected a DataFrame of subsystem scores"), where="U")
    if U.shape[1] < 2:
        raise SpecError(
            _("{v1} subsystem score column(s) given, coupling needs at least 2", v1=U.shape[1]),
            where="U columns",
            fix=_("pass one column per subsystem"),
        )
    names = [str(c)[2:] if str(c).startswith("U_") else str(c) for c in U.columns]
    try:
        M = U.to_numpy(dtype=float)
    except (TypeError, ValueError) as exc:
        raise DataError(_("subsystem scores must be numbers"), where="U") from exc
    if not np.all(np.isfinite(M)):
        r, c = np.argwhere(~np.isfinite(M))[0]
        raise DataError(
            _("subsystem score is missing or not finite"),
            where=f"subsystem scores, row {show(U.index[r])} column {show(U.columns[c])}",
            fix=_("compute the score for every row, or drop the row"),
        )
    if compat is None and ((M < -1e-12).any() or (M > 1 + 1e-12).any()):
        r, c = np.argwhere((M < -1e-12) | (M > 1 + 1e-12))[0]
        raise DataError(
            _("subsystem score {v1!r} is outside [0, 1]", v1=float(M[r, c])),
            where=f"subsystem scores, row {show(U.index[r])} column {show(U.columns[c])}",
            fix=_(
                "normalise the scores to [0, 1] (or use coupling_coordination on the raw indicators, or compat='spssau' to rescale each column to [0.01, 0.99])"
            ),
        )
    M = np.clip(M, 0.0, 1.0) if compat is None else M
    if isinstance(U.index, pd.MultiIndex) and U.index.nlevels == 2:
        keys = pd.DataFrame(
            {
                "entity": np.asarray(U.index.get_level_values(0)),
                "period": np.asarray(U.index.get_level_values(1)),
            }
        )
    else:
        keys = pd.DataFrame({"entity": np.asarray(U.index), "period": [None] * len(U)})
    return _from_matrix(
        M,
        names,
        keys,
        model=model,
        contribution=contribution,
        compat=compat,
        weights=None,
        options={"source": "scores"},
        notes=[],
    )


def _normalised(X: pd.DataFrame, directions: dict[str, int], scope: str) -> pd.DataFrame:
    """Min-max normalisation by direction through cbeclab.evaluate (never a private copy)."""
    from cbeclab.evaluate.normalize import normalize

    z = normalize(X, directions, method="minmax", shift=0.0, scope=scope)
    if not isinstance(z, pd.DataFrame):  # a result object carrying the frame
        z = getattr(z, "table", getattr(z, "data", z))
    return z


def coupling_coordination(
    X: pd.DataFrame,
    subsystems: Mapping[str, Mapping[str, Any]],
    *,
    weights: Any = "entropy",
    model: Model = "classical",
    scope: Literal["pooled", "per_entity"] = "pooled",
    contribution: Mapping[str, float] | None = None,
    compat: Literal["spssau"] | None = None,
    weight_options: Mapping[str, Any] | None = None,
) -> CouplingResult:
    r"""Coupling coordination degree of n >= 2 subsystems from a panel of indicators.

    1. Each indicator is min-max normalised by its direction over ``scope`` with
       :func:`cbeclab.evaluate.normalize.normalize` (z in [0, 1]; ``"pooled"`` by default so scores
       are comparable across entities and periods).
    2. Subsystem score :math:`U_i = \sum_k w_k z_k` with weights normalised within the subsystem
       (``weights``: a method name for ``compute_weights`` computed per subsystem, ``"equal"``, a
       WeightResult or a dict; see :func:`cbeclab.models.synergy.synergy`).
    3. C, T, D, grade and lagging subsystem as in :func:`coupling_from_scores`.

    ``weight_options`` are passed on to ``compute_weights``.

    ``compat="spssau"`` keeps steps 1-2 and then rescales each U column to [0.01, 0.99] over all rows
    before step 3 (what SPSSAU does to the system columns it receives). To reproduce SPSSAU on
    ready-made system scores, call :func:`coupling_from_scores` with ``compat="spssau"``.

    Checked against: hand calculation (tests/test_models_coupling.py).
    """
    subs = check_subsystems(subsystems, min_subsystems=2)
    if scope not in ("pooled", "per_entity"):
        raise SpecError(
            _("scope={scope!r} is not known", scope=scope),
            where="scope",
            fix=_("use 'pooled' or 'per_entity'"),
        )
    cols = [i for d in subs.values() for i in d]
    panel = check_panel(X, cols)
    Xs = X.loc[panel.index, cols] if not X.index.equals(panel.index) else X[cols]
    W, wobj = resolve_weights(Xs, subs, weights, panel, scope=scope, weight_options=weight_options)
    z = _normalised(Xs, {i: d for s in subs.values() for i, d in s.items()}, scope)
    Z = z.loc[panel.index, cols].to_numpy(dtype=float)
    if not np.all(np.isfinite(Z)):
        r, c = np.argwhere(~np.isfinite(Z))[0]
        raise DataError(
            _("normalisation produced a missing value"),
            where=f"row {show(panel.index[r])} column {show(cols[c])}",
            fix=_("check for constant indicators in the scope group"),
        )
    Wr = W[panel.entity_code]
    sizes = [len(d) for d in subs.values()]
    starts = np.concatenate([[0], np.cumsum(sizes)[:-1]]).astype(np.intp)
    U = np.add.reduceat(Wr * Z, starts, axis=1)
    U = np.clip(U, 0.0, 1.0)
    keys = pd.DataFrame(
        {
            "entity": np.asarray(panel.index.get_level_values(0)),
            "period": np.asarray(panel.index.get_level_values(1)),
        }
    )
    return _from_matrix(
        U,
        list(subs),
        keys,
        model=model,
        contribution=contribution,
        compat=compat,
        weights=wobj,
        options={"source": "indicators", "scope": scope, "weights": wobj.method, "normalize": "minmax"},
        notes=[],
    )
