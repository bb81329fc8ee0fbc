r"""GM(1,1) grey forecasting model (Deng Julong; textbook form of Liu Sifeng et al.).

For a positive series :math:`x^{(0)} = (x^{(0)}(1), \dots, x^{(0)}(n))`, n >= 4:

1. accumulated generating operation (AGO): :math:`x^{(1)}(k) = \sum_{i \le k} x^{(0)}(i)`;
2. background values :math:`z^{(1)}(k) = 0.5\,(x^{(1)}(k) + x^{(1)}(k-1))`, k = 2..n;
3. grey differential equation :math:`x^{(0)}(k) + a z^{(1)}(k) = b`, with (a, b) by least squares
   :math:`(a, b)^T = (B^T B)^{-1} B^T Y`, :math:`B = [-z^{(1)}, 1]`, :math:`Y = x^{(0)}(2..n)`;
4. time response :math:`\hat x^{(1)}(k+1) = (x^{(0)}(1) - b/a) e^{-ak} + b/a`, k = 0, 1, ...
   (evaluated as :math:`x^{(0)}(1) e^{-ak} + b\,(1 - e^{-ak})/a`, whose limit at a = 0 is
   :math:`x^{(0)}(1) + b k`);
5. restore by inverse AGO: :math:`\hat x^{(0)}(1) = x^{(0)}(1)`,
   :math:`\hat x^{(0)}(k) = \hat x^{(1)}(k) - \hat x^{(1)}(k-1)`.

Posterior-variance test (Liu Sifeng, Dang Yaoguo, Fang Zhigeng et al., *Grey Systems Theory and its
Applications*): residuals :math:`\varepsilon(k) = x^{(0)}(k) - \hat x^{(0)}(k)`, k = 1..n (ε(1) = 0);
:math:`S_1`, :math:`S_2` the population standard deviations (divisor n) of :math:`x^{(0)}` and ε;
variance ratio :math:`C = S_2 / S_1`; small-error probability
:math:`P = \#\{k : |\varepsilon(k) - \bar\varepsilon| < 0.6745\,S_1\} / n`. Accuracy grade (the standard
table; the grade is the worse of the two criteria):

========================= ============ ===========
grade                     P            C
========================= ============ ===========
1 good                    >= 0.95      <= 0.35
2 qualified               >= 0.80      <= 0.50
3 barely qualified        >= 0.70      <= 0.65
4 unqualified             < 0.70       > 0.65
========================= ============ ===========

Relative errors :math:`|\varepsilon(k)| / x^{(0)}(k)`; their mean is taken over k = 2..n (k = 1 is
reproduced exactly by construction).

Admissibility: the class ratios :math:`\sigma(k) = x^{(0)}(k-1) / x^{(0)}(k)`, k = 2..n, must lie in
:math:`(e^{-2/(n+1)}, e^{2/(n+1)})` (the class-ratio test). ``on_ratio_fail="refuse"`` (default) refuses
a failing series (``check_ratio=False`` skips the test); ``on_ratio_fail="shift"`` (SPSSAU's "shift
transformation") fits :math:`y = x + c` with the smallest admissible constant ``c`` and subtracts ``c``
from the fitted values and forecasts.

How ``c`` is found (closed form, no search): with ``lo, hi`` the bounds, ``y(k) = x(k) + c > 0`` and
``sigma_c(k) = (x(k-1) + c) / (x(k) + c)``, each condition is linear in ``c``:
``sigma_c(k) > lo  <=>  c > (lo x(k) - x(k-1)) / (1 - lo)`` and
``sigma_c(k) < hi  <=>  c > (x(k-1) - hi x(k)) / (hi - 1)``. So every ``c`` above
``c* = max(-min x, max_k (lo x(k) - x(k-1)) / (1 - lo), max_k (x(k-1) - hi x(k)) / (hi - 1))`` passes,
and ``c*`` itself is the infimum (the interval is open). cbeclab takes ``c = c* + 1e-6 max(1, |c*|)``
(doubling the margin if rounding still fails the test) and ``c = 0`` for a series that passes as it is.
SPSSAU does not document how it picks its constant, so a shifted fit can differ from SPSSAU's when its
``c`` is larger (docs/reconcile.md).

Residual and class-ratio deviation tests (as SPSSAU reports them; on the fitted series ``y``):
relative residual :math:`\varepsilon(k) = |y(k) - \hat y(k)| / y(k)` and class-ratio deviation
:math:`\rho(k) = 1 - \frac{1 - 0.5a}{1 + 0.5a}\,\sigma(k)`, k = 2..n. Each test is "high" when every
:math:`|\cdot| < 0.1`, "general" when every one is below 0.2, else "fail". The variance ratio C and P do
not change under the shift (residuals and the sd of the series are translation invariant). A constant series is fitted
trivially (a = 0, b = the constant, every fitted value and forecast equal to it, C = 0, P = 1,
grade good) with a note; the variance ratio is 0/0 there and is defined as 0 because the fit is
exact.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import pandas as pd

from cbeclab.compat import resolve
from cbeclab.errors import DataError, ModelError, SpecError
from cbeclab.i18n import _
from cbeclab.models._common import json_safe, records

__all__ = [
    "GM11Result",
    "GM11ManyResult",
    "gm11",
    "gm11_many",
    "GRADES",
    "shift_constant",
    "shift_constants",
    "accuracy_verdict",
]

ON_RATIO_FAIL = ("refuse", "shift")
#: residual / class-ratio deviation test levels: (label, maximum |value|)
TEST_LEVELS: tuple[tuple[str, float], ...] = (("high", 0.1), ("general", 0.2))


def accuracy_verdict(values: np.ndarray) -> np.ndarray:
    """ "high" (every |v| < 0.1), "general" (every |v| < 0.2) or "fail", row by row of a 2-D array."""
    worst = np.nanmax(np.abs(np.atleast_2d(values)), axis=1)
    out = np.full(worst.shape, "fail", dtype=object)
    for label, cap in reversed(TEST_LEVELS):
        out = np.where(worst < cap, label, out)
    return out


def _shift_margin(c: np.ndarray) -> np.ndarray:
    return 1e-6 * np.maximum(1.0, np.abs(c))


def _ratios_inside(y: np.ndarray, lo: float, hi: float) -> np.ndarray:
    with np.errstate(divide="ignore", invalid="ignore"):
        sigma = y[:, :-1] / y[:, 1:]
        return np.all(y > 0, axis=1) & np.all((sigma > lo) & (sigma < hi), axis=1)


def shift_constants(X0: np.ndarray) -> np.ndarray:
    """Smallest admissible translation ``c`` of every row of ``X0`` (m, n); 0 where the row passes as it is.

    Closed form from the ratio bounds (module docstring): each condition is linear in ``c``.

    >>> float(shift_constants(np.array([[1.0, 2.0, 3.0, 4.0]]))[0]) > 0
    True
    """
    m, n = X0.shape
    lo, hi = _ratio_bounds(n)
    a, b = X0[:, :-1], X0[:, 1:]
    cands = np.concatenate(
        [(-X0.min(axis=1))[:, None], (lo * b - a) / (1.0 - lo), (a - hi * b) / (hi - 1.0)], axis=1
    )
    c_star = cands.max(axis=1)
    c = c_star + _shift_margin(c_star)
    passes = _ratios_inside(X0, lo, hi) | np.all(X0 == X0[:, :1], axis=1) & (X0[:, 0] > 0)
    c = np.where(passes, 0.0, c)
    margin = _shift_margin(c_star)
    for _step in range(60):  # rounding at the edge: move further inside
        bad = ~passes & ~_ratios_inside(X0 + c[:, None], lo, hi)
        if not bad.any():
            break
        margin = np.where(bad, margin * 2.0, margin)
        c = np.where(bad, c_star + margin, c)
    return c


def shift_constant(x: Sequence[float] | np.ndarray) -> float:
    """:func:`shift_constants` of one series."""
    return float(shift_constants(np.asarray(x, dtype=float)[None, :])[0])


#: accuracy grades: (grade, label, minimum P, maximum C)
GRADES: tuple[tuple[int, str, float, float], ...] = (
    (1, "good", 0.95, 0.35),
    (2, "qualified", 0.80, 0.50),
    (3, "barely qualified", 0.70, 0.65),
    (4, "unqualified", -math.inf, math.inf),
)


def _grade(C: np.ndarray, P: np.ndarray) -> np.ndarray:
    """Worse of the two criteria, vectorised."""
    gc = np.full(C.shape, 4)
    gp = np.full(P.shape, 4)
    for g, _unused, pmin, cmax in reversed(GRADES[:-1]):
        gc = np.where(C <= cmax + 1e-12, np.minimum(gc, g), gc)
        gp = np.where(P >= pmin - 1e-12, np.minimum(gp, g), gp)
    return np.maximum(gc, gp)


def _grade_label(g: int) -> str:
    return {gr: lab for gr, lab, _unused, _unused in GRADES}[int(g)]


def _fit_batch(x0: np.ndarray, h: int) -> dict[str, np.ndarray]:
    """Fit GM(1,1) to every row of ``x0`` (m, n) (rows already checked); returns arrays."""
    m, n = x0.shape
    x1 = np.cumsum(x0, axis=1)
    z = 0.5 * (x1[:, 1:] + x1[:, :-1])
    Y = x0[:, 1:]
    q = n - 1
    Sz = z.sum(axis=1)
    Sy = Y.sum(axis=1)
    Szz = (z * z).sum(axis=1)
    Szy = (z * Y).sum(axis=1)
    slope = (q * Szy - Sz * Sy) / (q * Szz - Sz * Sz)
    a = -slope
    b = (Sy - slope * Sz) / q
    const = np.all(x0 == x0[:, :1], axis=1)
    a = np.where(const, 0.0, a)
    b = np.where(const, x0[:, 0], b)
    k = np.arange(n + h, dtype=float)[None, :]
    ak = a[:, None] * k
    safe_a = np.where(a == 0, 1.0, a)[:, None]
    f = np.where(a[:, None] == 0, k, -np.expm1(-ak) / safe_a)
    x1hat = x0[:, :1] * np.exp(-ak) + b[:, None] * f
    x0hat = np.empty_like(x1hat)
    x0hat[:, 0] = x0[:, 0]
    x0hat[:, 1:] = np.diff(x1hat, axis=1)
    fitted = x0hat[:, :n]
    resid = x0 - fitted
    rel = np.abs(resid) / x0
    S1 = x0.std(axis=1)
    eps_bar = resid.mean(axis=1, keepdims=True)
    S2 = resid.std(axis=1)
    C = np.divide(S2, S1, out=np.zeros_like(S1), where=S1 > 0)
    P = np.where(S1 > 0, (np.abs(resid - eps_bar) < 0.6745 * S1[:, None]).mean(axis=1), 1.0)
    sigma = x0[:, :-1] / x0[:, 1:]
    rho = 1.0 - ((1.0 - 0.5 * a) / (1.0 + 0.5 * a))[:, None] * sigma
    return {
        "ratio_deviation": rho,
        "residual_test": accuracy_verdict(rel[:, 1:]),
        "ratio_test": accuracy_verdict(rho),
        "a": a,
        "b": b,
        "fitted": fitted,
        "forecast": x0hat[:, n:],
        "residuals": resid,
        "rel_errors": rel,
        "mean_rel_error": rel[:, 1:].mean(axis=1),
        "C": C,
        "P": P,
        "grade": _grade(C, P),
        "constant": const,
    }


def _ratio_bounds(n: int) -> tuple[float, float]:
    return math.exp(-2.0 / (n + 1)), math.exp(2.0 / (n + 1))


def _refusal(x: np.ndarray, check_ratio: bool, shift: bool = False) -> str | None:
    """Why the series cannot be modelled, or None (``shift``: the ratio test and x > 0 are met by a shift)."""
    return _refusals(np.asarray(x, dtype=float)[None, :], check_ratio, shift)[0]


def _refusals(X: np.ndarray, check_ratio: bool, shift: bool = False) -> list[str | None]:
    """:func:`_refusal` of every row of ``X`` (m series of one length n), the checks done on the whole
    array at once: too short, missing or non-finite values, values <= 0, the class-ratio test
    (skipped for a constant series). The first failed check of a row gives its reason."""
    m, n = X.shape
    if n < 4:
        return [_("it has {n} value(s); GM(1,1) needs at least 4", n=n)] * m
    out: list[str | None] = [None] * m
    finite = np.isfinite(X)
    nonfinite = np.flatnonzero(~finite.all(axis=1))
    done = np.zeros(m, dtype=bool)
    done[nonfinite] = True
    cache: dict[bytes, str] = {}
    for i in nonfinite:
        key = (~finite[i]).tobytes()
        if key not in cache:
            cache[key] = _(
                "it has missing or non-finite value(s) at position(s) {positions}",
                positions=np.flatnonzero(~finite[i]).tolist(),
            )
        out[i] = cache[key]
    if shift:
        return out
    with np.errstate(invalid="ignore"):
        nonpos = X <= 0
    for i in np.flatnonzero(nonpos.any(axis=1) & ~done):
        out[i] = _(
            "it has non-positive value(s) at position(s) {positions}; GM(1,1) needs x > 0",
            positions=np.flatnonzero(nonpos[i]).tolist(),
        )
        done[i] = True
    if not check_ratio:
        return out
    lo, hi = _ratio_bounds(n)
    todo = np.flatnonzero(~done & ~np.all(X == X[:, :1], axis=1))
    if not len(todo):
        return out
    sigma = X[todo, :-1] / X[todo, 1:]
    outside = (sigma <= lo) | (sigma >= hi)
    first = outside.argmax(axis=1)
    for r in np.flatnonzero(outside.any(axis=1)):
        k = int(first[r])
        out[todo[r]] = _(
            "class ratio test failed: σ(k) = x(k-1)/x(k) = {sigma:.4g} at k = {k} is outside ({lo:.4f}, {hi:.4f})",
            sigma=sigma[r, k],
            k=k + 2,
            lo=lo,
            hi=hi,
        )
    return out


def _fix() -> str:
    return _(
        "use at least 4 positive, complete values; for a failed class-ratio test or values <= 0 pass "
        "on_ratio_fail='shift' (fits x + c with the smallest admissible c) or check_ratio=False"
    )


def _future_labels(periods: Sequence[Any], h: int) -> list[Any]:
    """Labels of the h periods after ``periods``: integer steps when the periods are evenly spaced numbers."""
    p = list(periods)
    try:
        arr = np.asarray(p, dtype=float)
        if len(arr) >= 2 and np.all(np.isfinite(arr)):
            steps = np.diff(arr)
            if np.allclose(steps, steps[0]) and steps[0] > 0:
                nxt = arr[-1] + steps[0] * np.arange(1, h + 1)
                if all(float(v).is_integer() for v in arr) and float(steps[0]).is_integer():
                    return [int(v) for v in nxt]
                return [float(v) for v in nxt]
    except (TypeError, ValueError):
        pass
    return [f"+{i}" for i in range(1, h + 1)]


@dataclass(frozen=True)
class GM11Result:
    """Fitted GM(1,1) model of one series (see the module docstring for every formula)."""

    name: str
    periods: list[Any]
    actual: np.ndarray
    a: float
    b: float
    fitted: np.ndarray
    residuals: np.ndarray
    rel_errors: np.ndarray
    mean_rel_error: float
    C: float
    P: float
    grade: int
    grade_label: str
    forecast: pd.Series
    class_ratio: np.ndarray
    ratio_bounds: tuple[float, float]
    notes: tuple[str, ...] = field(default=())
    shift: float = 0.0
    ratio_deviation: np.ndarray = field(default_factory=lambda: np.empty(0))
    residual_test: str = ""
    ratio_test: str = ""

    @property
    def development_coefficient(self) -> float:
        """-a (growth rate of the fitted exponential)."""
        return -self.a

    def to_frame(self) -> pd.DataFrame:
        """``period``, ``kind`` (fit/forecast), ``actual``, ``fitted``, ``residual``, ``rel_error``,
        ``ratio_deviation`` (NaN at the first period), ``grade``, ``grade_label`` (the model's accuracy
        grade, carried by every row, forecasts included)."""
        n = len(self.actual)
        h = len(self.forecast)
        rho = (
            np.concatenate([[np.nan], self.ratio_deviation])
            if len(self.ratio_deviation)
            else np.full(n, np.nan)
        )
        return pd.DataFrame(
            {
                "period": list(self.periods) + list(self.forecast.index),
                "kind": ["fit"] * n + ["forecast"] * h,
                "actual": np.concatenate([self.actual, np.full(h, np.nan)]),
                "fitted": np.concatenate([self.fitted, self.forecast.to_numpy()]),
                "residual": np.concatenate([self.residuals, np.full(h, np.nan)]),
                "rel_error": np.concatenate([self.rel_errors, np.full(h, np.nan)]),
                "ratio_deviation": np.concatenate([rho, np.full(h, np.nan)]),
                "grade": int(self.grade),
                "grade_label": self.grade_label,
            }
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "model": "GM(1,1)",
            "name": self.name,
            "a": json_safe(self.a),
            "b": json_safe(self.b),
            "development_coefficient": json_safe(-self.a),
            "C": json_safe(self.C),
            "P": json_safe(self.P),
            "grade": int(self.grade),
            "grade_label": self.grade_label,
            "mean_rel_error": json_safe(self.mean_rel_error),
            "ratio_bounds": json_safe(list(self.ratio_bounds)),
            "class_ratio": json_safe(self.class_ratio),
            "shift": json_safe(self.shift),
            "ratio_deviation": json_safe(self.ratio_deviation),
            "residual_test": self.residual_test,
            "ratio_test": self.ratio_test,
            "values": records(self.to_frame()),
            "notes": list(self.notes),
        }


def _coef_notes(a: float) -> list[str]:
    """Liu Sifeng's guidance on the development coefficient -a."""
    d = -a
    if d <= 0.3:
        return []
    if d <= 0.5:
        return [f"development coefficient -a = {d:.3g} > 0.3: suited to short-term forecasts only"]
    if d <= 1.0:
        return [f"development coefficient -a = {d:.3g} > 0.5: use the forecasts with caution"]
    return [f"development coefficient -a = {d:.3g} > 1: GM(1,1) is not suited to this series"]


def _options(h: Any, on_ratio_fail: str | None, compat: str | None) -> tuple[int, str]:
    opts = resolve(
        "gm11", compat, {"horizon": 3, "on_ratio_fail": "refuse"}, horizon=h, on_ratio_fail=on_ratio_fail
    )
    h, orf = opts["horizon"], opts["on_ratio_fail"]
    if isinstance(h, bool) or not isinstance(h, int | np.integer) or h < 0:
        raise SpecError(_("h={h!r} must be an integer >= 0", h=h), where="h")
    if orf not in ON_RATIO_FAIL:
        raise SpecError(
            _("on_ratio_fail={value!r} is not known.", value=orf),
            where="on_ratio_fail",
            fix=_("use 'refuse' (default) or 'shift' (fit x + c with the smallest admissible c)."),
        )
    return int(h), str(orf)


def gm11(
    series: pd.Series | Sequence[float] | np.ndarray,
    h: int | None = None,
    *,
    check_ratio: bool = True,
    name: str | None = None,
    on_ratio_fail: str | None = None,
    compat: str | None = None,
) -> GM11Result:
    """Fit GM(1,1) to one series and forecast ``h`` periods ahead.

    Parameters
    ----------
    series
        The series in time order (a Series' index gives the period labels).
    h
        Number of periods to forecast (>= 0); ``None``: 3, or 12 with ``compat="spssau"``.
    check_ratio
        Run the class-ratio test (default).
    name
        Name used in messages (default: the Series name, else ``"series"``).
    on_ratio_fail
        ``"refuse"`` (default) or ``"shift"``: fit ``x + c`` with the smallest admissible ``c`` (also
        makes values <= 0 usable) and subtract ``c`` from the fitted values and forecasts.
    compat
        ``"spssau"``: ``h=12`` and ``on_ratio_fail="shift"`` unless given.

    Raises
    ------
    ModelError
        Fewer than 4 values, missing or non-positive values, or a failed class-ratio test; the
        message names the series and the reason.

    Examples
    --------
    >>> r = gm11([2.874, 3.278, 3.337, 3.390, 3.679], h=2)
    >>> round(r.a, 4), round(r.b, 4), r.grade_label
    (-0.0372, 3.0654, 'good')

    Checked against: hand calculation of the textbook series (Liu Sifeng et al.; tests/test_models_gm11.py),
    a shifted series and the residual / ratio-deviation tests by hand, and an independent base-R GM(1,1)
    (tests/fixtures/r/gm11.R -> tests/fixtures/gm11_r.json; tests/test_gm11_spssau.py).
    """
    h, orf = _options(h, on_ratio_fail, compat)
    if isinstance(series, pd.Series):
        periods = list(series.index)
        label = name or (str(series.name) if series.name is not None else "series")
        try:
            x = series.to_numpy(dtype=float)
        except (TypeError, ValueError) as exc:
            raise DataError(_("series values must be numbers"), where=f"series {label!r}") from exc
    else:
        try:
            x = np.asarray(series, dtype=float).reshape(-1)
        except (TypeError, ValueError) as exc:
            raise DataError(_("series values must be numbers"), where=f"series {name or 'series'!r}") from exc
        periods = list(range(1, len(x) + 1))
        label = name or "series"
    shifting = orf == "shift" and check_ratio
    why = _refusal(x, check_ratio, shift=shifting)
    if why is not None:
        raise ModelError(
            _("GM(1,1) cannot model series {label!r}: {why}", label=label, why=why),
            where=f"series {label!r}",
            fix=_fix(),
        )
    c = shift_constant(x) if shifting else 0.0
    y = x + c
    fit = _fit_batch(y[None, :], int(h))
    notes: list[str] = []
    if c:
        notes.append(
            _(
                "class-ratio test failed or values <= 0: fitted x + c with c = {c:.6g}; c is subtracted "
                "from the fitted values and forecasts",
                c=c,
            )
        )
    if fit["constant"][0]:
        notes.append(
            _("constant series: fitted trivially (a = 0, every value and forecast equals the constant)")
        )
    a = float(fit["a"][0])
    notes.extend(_coef_notes(a))
    g = int(fit["grade"][0])
    with np.errstate(divide="ignore", invalid="ignore"):
        sigma = x[:-1] / x[1:]
    return GM11Result(
        name=label,
        periods=periods,
        actual=x,
        a=a,
        b=float(fit["b"][0]),
        fitted=fit["fitted"][0] - c,
        residuals=fit["residuals"][0],
        rel_errors=fit["rel_errors"][0],
        mean_rel_error=float(fit["mean_rel_error"][0]),
        C=float(fit["C"][0]),
        P=float(fit["P"][0]),
        grade=g,
        grade_label=_grade_label(g),
        forecast=pd.Series(fit["forecast"][0] - c, index=_future_labels(periods, int(h)), name=label),
        class_ratio=sigma,
        ratio_bounds=_ratio_bounds(len(x)),
        notes=tuple(notes),
        shift=float(c),
        ratio_deviation=fit["ratio_deviation"][0],
        residual_test=str(fit["residual_test"][0]),
        ratio_test=str(fit["ratio_test"][0]),
    )


@dataclass(frozen=True)
class GM11ManyResult:
    """GM(1,1) over many entity series (see :func:`gm11_many`).

    ``params``: one row per (entity, variable) with ``n``, ``a``, ``b``, ``C``, ``P``, ``grade``,
    ``grade_label``, ``mean_rel_error``, ``status`` (``"ok"``/``"refused"``) and ``reason``.
    ``values``: long frame ``entity``, ``variable``, ``period``, ``kind`` (fit/forecast), ``actual``,
    ``fitted``.
    """

    params: pd.DataFrame
    values: pd.DataFrame
    h: int
    notes: tuple[str, ...] = ()

    def to_frame(self) -> pd.DataFrame:
        return self.values.copy()

    def to_dict(self) -> dict[str, Any]:
        return {
            "model": "GM(1,1)",
            "h": self.h,
            "params": records(self.params),
            "values": records(self.values),
            "notes": list(self.notes),
        }


def gm11_many(
    frame: pd.DataFrame | pd.Series,
    h: int | None = None,
    *,
    check_ratio: bool = True,
    errors: Literal["raise", "skip"] = "skip",
    on_ratio_fail: str | None = None,
    compat: str | None = None,
) -> GM11ManyResult:
    """GM(1,1) for every entity's series of every column of a panel, vectorised.

    ``frame`` is indexed by ``MultiIndex(entity, period)`` (sorted within entity by period); each
    column (a Series is one column) and entity gives one series. Series of equal length are fitted
    together in one array computation. ``errors="skip"`` (default, what a pipeline over many series
    needs: synergy degrees can be negative, short or jumpy series fail the checks) records a series
    that cannot be modelled with ``status="refused"`` and its reason and carries on; ``"raise"`` stops
    at the first one (ModelError naming entity, variable and reason), like :func:`gm11`.
    ``h``, ``on_ratio_fail`` and ``compat`` as in :func:`gm11`; ``params`` then also has ``shift``,
    ``residual_test`` and ``ratio_test``, and ``values`` carries ``grade`` / ``grade_label`` on every row.

    Checked against: :func:`gm11` series by series (tests/test_models_gm11.py, tests/test_gm11_spssau.py).
    """
    if isinstance(frame, pd.Series):
        frame = frame.to_frame(name=str(frame.name) if frame.name is not None else "value")
    if not isinstance(frame, pd.DataFrame) or not isinstance(frame.index, pd.MultiIndex):
        raise DataError(
            _("gm11_many needs a DataFrame indexed by MultiIndex(entity, period)"),
            where="frame",
            fix=_("use X.set_index(['entity', 'period'])"),
        )
    if errors not in ("raise", "skip"):
        raise SpecError(
            _("errors={errors!r} is not known", errors=errors), where="errors", fix=_("use 'raise' or 'skip'")
        )
    h, orf = _options(h, on_ratio_fail, compat)
    shifting = orf == "shift" and check_ratio
    if not frame.index.is_monotonic_increasing:
        frame = frame.sort_index(kind="stable")
    ent = frame.index.get_level_values(0)
    per = np.asarray(frame.index.get_level_values(1), dtype=object)
    codes, uniques = pd.factorize(ent, sort=False)
    counts = np.bincount(codes, minlength=len(uniques))
    starts = np.concatenate([[0], np.cumsum(counts)[:-1]]).astype(np.intp)
    variables = [str(c) for c in frame.columns]
    try:
        V = frame.to_numpy(dtype=float)
    except (TypeError, ValueError) as exc:
        raise DataError(_("gm11_many: values must be numbers"), where="frame") from exc

    pparts: list[pd.DataFrame] = []
    vparts: list[pd.DataFrame] = []
    label_cache: dict[tuple[Any, ...], list[Any]] = {}
    for n in np.unique(counts):
        n = int(n)
        ents = np.flatnonzero(counts == n)
        rows = starts[ents][:, None] + np.arange(n)[None, :]  # (m_e, n)
        for j, var in enumerate(variables):
            X0 = V[rows, j]  # (m_e, n)
            with np.errstate(divide="ignore", invalid="ignore"):
                quick_bad = ~np.all(np.isfinite(X0), axis=1) | (np.any(X0 <= 0, axis=1) & (not shifting))
                if n < 4:
                    quick_bad[:] = True
                elif check_ratio and not shifting:
                    lo, hi = _ratio_bounds(n)
                    sigma = X0[:, :-1] / X0[:, 1:]
                    inside = np.all((sigma > lo) & (sigma < hi), axis=1)
                    quick_bad |= ~(inside | np.all(X0 == X0[:, :1], axis=1))
            ok = np.ones(len(ents), dtype=bool)
            reasons: list[Any] = [None] * len(ents)
            suspects = np.flatnonzero(quick_bad)
            whys = _refusals(X0[suspects], check_ratio, shift=shifting) if len(suspects) else []
            for i, why in zip(suspects, whys):
                if why is None:
                    continue
                ok[i] = False
                reasons[i] = why
                if errors == "raise":
                    e = uniques[ents[i]]
                    raise ModelError(
                        _(
                            "GM(1,1) cannot model entity {e!r}, variable {var!r}: {why}",
                            e=e,
                            var=var,
                            why=why,
                        ),
                        where=f"entity {e!r}, variable {var!r}",
                        fix=_fix() + _(", or errors='skip'"),
                    )
            bad = np.flatnonzero(~ok)
            if len(bad):
                pparts.append(
                    pd.DataFrame(
                        {
                            "entity": np.asarray(uniques)[ents[bad]],
                            "variable": var,
                            "n": n,
                            "a": np.nan,
                            "b": np.nan,
                            "C": np.nan,
                            "P": np.nan,
                            "grade": np.nan,
                            "grade_label": None,
                            "mean_rel_error": np.nan,
                            "shift": np.nan,
                            "residual_test": None,
                            "ratio_test": None,
                            "status": "refused",
                            "reason": [reasons[i] for i in bad],
                        }
                    )
                )
            good = np.flatnonzero(ok)
            if not len(good):
                continue
            c = shift_constants(X0[good]) if shifting else np.zeros(len(good))
            fit = _fit_batch(X0[good] + c[:, None], h)
            fit["fitted"] = fit["fitted"] - c[:, None]
            fit["forecast"] = fit["forecast"] - c[:, None]
            ge = ents[good]
            pparts.append(
                pd.DataFrame(
                    {
                        "entity": np.asarray(uniques)[ge],
                        "variable": var,
                        "n": n,
                        "a": fit["a"],
                        "b": fit["b"],
                        "C": fit["C"],
                        "P": fit["P"],
                        "grade": fit["grade"].astype(float),
                        "grade_label": [_grade_label(g) for g in fit["grade"]],
                        "mean_rel_error": fit["mean_rel_error"],
                        "shift": c,
                        "residual_test": fit["residual_test"],
                        "ratio_test": fit["ratio_test"],
                        "status": "ok",
                        "reason": None,
                    }
                )
            )
            m = len(good)
            per_rows = per[rows[good]]  # (m, n)
            labels = []
            for r in range(m):
                key = tuple(per_rows[r])
                if key not in label_cache:
                    label_cache[key] = _future_labels(list(key), h)
                labels.append(label_cache[key])
            fut = np.array(labels, dtype=object).reshape(m, h)
            vparts.append(
                pd.DataFrame(
                    {
                        "entity": np.repeat(np.asarray(uniques)[ge], n + h),
                        "variable": var,
                        "period": np.concatenate([per_rows, fut], axis=1).reshape(-1),
                        "kind": np.tile(np.array(["fit"] * n + ["forecast"] * h, dtype=object), m),
                        "actual": np.concatenate([X0[good], np.full((m, h), np.nan)], axis=1).reshape(-1),
                        "fitted": np.concatenate([fit["fitted"], fit["forecast"]], axis=1).reshape(-1),
                        "grade": np.repeat(fit["grade"], n + h),
                        "grade_label": np.repeat(
                            np.array([_grade_label(g) for g in fit["grade"]], dtype=object), n + h
                        ),
                    }
                )
            )
    pcols = [
        "entity",
        "variable",
        "n",
        "a",
        "b",
        "C",
        "P",
        "grade",
        "grade_label",
        "mean_rel_error",
        "shift",
        "residual_test",
        "ratio_test",
        "status",
        "reason",
    ]
    params = pd.concat(pparts, ignore_index=True) if pparts else pd.DataFrame(columns=pcols)
    order = {e: i for i, e in enumerate(uniques)}
    vorder = {v: i for i, v in enumerate(variables)}
    if len(params):
        params = (
            params.assign(_e=params["entity"].map(order), _v=params["variable"].map(vorder))
            .sort_values(["_e", "_v"], kind="stable")
            .drop(columns=["_e", "_v"])
            .reset_index(drop=True)
        )
    values = (
        pd.concat(vparts, ignore_index=True)
        if vparts
        else pd.DataFrame(
            columns=["entity", "variable", "period", "kind", "actual", "fitted", "grade", "grade_label"]
        )
    )
    if len(values):
        values = (
            values.assign(_e=values["entity"].map(order), _v=values["variable"].map(vorder))
            .sort_values(["_e", "_v"], kind="stable")
            .drop(columns=["_e", "_v"])
            .reset_index(drop=True)
        )
    notes = []
    refused = int((params["status"] == "refused").sum()) if len(params) else 0
    if refused:
        notes.append(_("{refused} series refused (see params.reason)", refused=refused))
    shifted = int((params["shift"].fillna(0) > 0).sum()) if len(params) else 0
    if shifted:
        notes.append(
            _(
                "{n} series failed the class-ratio test or had values <= 0 and were fitted as x + c "
                "(see params.shift)",
                n=shifted,
            )
        )
    return GM11ManyResult(params=params, values=values, h=h, notes=tuple(notes))
