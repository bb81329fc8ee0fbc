"""Fit measures of WLSMV / ULSMV fits, as lavaan 0.6-14's ``fitMeasures`` prints them.

With ``T`` the DWLS / ULS test (``(n - 1) (s - m)' W (s - m)``), ``T_s = a T + b`` its scaled-shifted
version (:mod:`cbeclab.sem.ordinal`) and ``T_B``, ``T_Bs`` those of the baseline model, and
``N = n - 1`` (lavaan's ``lav_utils_get_ntotal`` for least-squares estimators):

* ``cfi, tli, nnfi, rfi, nfi, pnfi, ifi, rni`` from ``(T, df, T_B, df_B)``; the ``.scaled`` versions
  from ``(T_s, df, T_Bs, df_B)`` (Bentler 1990; Bentler & Bonett 1980; Bollen 1989);
* ``rmsea = sqrt(max(T / (N df) - 1 / N, 0))`` with its 90% CI and close-fit p-values; the
  ``.scaled`` family is the same formula on ``T_s``;
* ``.robust`` (Savalei 2021, lavaan's ``lav_fit_catml_dwls``): the ML discrepancy of the polychoric
  matrix ``R`` at the DWLS estimates, ``T3 = n [log|Sigma| + tr(R Sigma^-1) - log|R| - p]``, its
  scaling ``c3 = tr[(I - Delta A^-1 Delta' W)' V (I - Delta A^-1 Delta' W) Gamma] / df`` (``V`` the
  normal-theory ML weight of the correlations at Sigma, rows of the correlations only) and, for the
  baseline, ``T3_B = -n log|R|``, ``c3_B = tr(Gamma) / df_B``; then
  ``cfi.robust = 1 - max(T3 - c3 df, 0) / max(T3 - c3 df, T3_B - c3_B df_B, 0)``,
  ``tli.robust = 1 - (T3 - c3 df) df_B / ((T3_B - c3_B df_B) df)``,
  ``rmsea.robust = sqrt(max(T3 / (N df) - c3 / N, 0))`` (CI and p-values from ``T3 / c3``);
  only for models whose variables are all ordered (lavaan returns NA otherwise);
* ``srmr`` (= ``srmr_bentler_nomean``): root mean square of the correlation residuals over the
  p(p+1)/2 elements of the lower triangle (diagonal residuals are 0); ``crmr`` over the p(p-1)/2
  off-diagonal ones; ``rmr`` the same on the covariance scale; the versions "with mean" add the
  residuals of the ordered items' thresholds (sum and count; continuous means are left out);
* ``gfi = 1 - e' W e / s' W s`` over all sample statistics ``s`` (``e = s - m``), ``agfi, pgfi`` with
  ``p* = len(s)``; ``wrmr = sqrt(T / len(s))``; ``cn_05, cn_01 = chi2_{1-a}(df) / (T / N) + 1``;
  ``mfi = exp(-(T - df) / (2 N))``.

ULS has no reference distribution for ``T``: ``pvalue`` and ``baseline.pvalue`` are NA, as lavaan.

Checked against: lavaan 0.6-14 ``fitMeasures`` (``tests/test_sem_ordinal.py``).
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

import numpy as np

from cbeclab.sem import dist as stats
from cbeclab.sem.fit.rmsea import _lambda_for

if TYPE_CHECKING:
    from cbeclab.sem.ordinal import OrdinalFit

__all__ = ["categorical_fit_measures"]

_NAN = math.nan


def _chat(c: float | None) -> float:
    return 1.0 if c is None else c


def _any_nan(*xs: float | None) -> bool:
    return any(x is not None and not math.isfinite(x) for x in xs)


def _cfi(
    x2: float, df: float, xb: float, dfb: float, c: float | None = None, cb: float | None = None
) -> float:
    if _any_nan(x2, df, xb, dfb, c, cb):
        return _NAN
    if c is not None and cb is not None and df > 0 and c != 1 and cb != 1:
        t1, t2 = max(x2 - c * df, 0.0), max(x2 - c * df, xb - cb * dfb, 0.0)
    else:
        t1, t2 = max(x2 - df, 0.0), max(x2 - df, xb - dfb, 0.0)
    if abs(t1) < 1e-12 and abs(t2) < 1e-12:
        return 1.0
    return 1.0 - t1 / t2


def _tli(
    x2: float, df: float, xb: float, dfb: float, c: float | None = None, cb: float | None = None
) -> float:
    if _any_nan(x2, df, xb, dfb, c, cb):
        return _NAN
    if c is not None and cb is not None and df > 0 and c != 1 and cb != 1:
        t1, t2 = (x2 - c * df) * dfb, (xb - cb * dfb) * df
    else:
        t1, t2 = (x2 - df) * dfb, (xb - dfb) * df
    return 1.0 - t1 / t2 if df > 0 and abs(t2) > 0 else 1.0


def _rni(
    x2: float, df: float, xb: float, dfb: float, c: float | None = None, cb: float | None = None
) -> float:
    if _any_nan(x2, df, xb, dfb, c, cb):
        return _NAN
    if c is not None and cb is not None and df > 0 and c != 1 and cb != 1:
        t1, t2 = x2 - c * df, xb - cb * dfb
    else:
        t1, t2 = x2 - df, xb - dfb
    return _NAN if abs(t2) < 1e-12 else 1.0 - t1 / t2


def _others(x2: float, df: float, xb: float, dfb: float) -> dict[str, float]:
    nfi = (xb - x2) / xb if xb > 0 else _NAN
    return {
        "nnfi": _tli(x2, df, xb, dfb),
        "rfi": (xb / dfb - x2 / df) / (xb / dfb) if df > 0 and dfb > 0 and xb > 0 else _NAN,
        "nfi": nfi,
        "pnfi": (df / dfb) * nfi if dfb > 0 else _NAN,
        "ifi": (xb - x2) / (xb - df) if xb != df else _NAN,
        "rni": _rni(x2, df, xb, dfb),
    }


def _rmsea(x2: float, df: float, N: int, c: float = 1.0) -> float:
    return math.sqrt(max(x2 / N / df - c / N, 0.0)) if df > 0 else 0.0


def _rmsea_ci(x2: float, df: float, N: int, c: float = 1.0) -> tuple[float, float]:
    if df < 1 or not math.isfinite(x2):
        return 0.0, 0.0
    lo = _lambda_for(x2, df, 0.95)
    hi = _lambda_for(x2, df, 0.05)
    return math.sqrt(c * lo / (N * df)), math.sqrt(c * hi / (N * df))


def _close(x2: float, df: float, N: int, h0: float, c: float = 1.0) -> float:
    return float(stats.ncx2.sf(x2, df, N * df / c * h0**2)) if df > 0 else _NAN


def _notclose(x2: float, df: float, N: int, h0: float, c: float = 1.0) -> float:
    return float(stats.ncx2.cdf(x2, df, N * df / c * h0**2)) if df > 0 else _NAN


def _catml(fit: OrdinalFit, Sigma: Any) -> tuple[float, float, float, float]:
    """``T3, c3, T3_B, c3_B`` of lavaan's catML route to the robust indices (see module docstring)."""
    st = fit.stats
    R = st.cor
    p = R.shape[0]
    ev = np.linalg.eigvalsh(R)
    if not all(st.ordered) or np.any(ev < math.sqrt(np.finfo(float).eps)):
        return _NAN, _NAN, _NAN, _NAN
    n = st.n
    _s, ld = np.linalg.slogdet(Sigma)
    _s, ldr = np.linalg.slogdet(R)
    Si = np.linalg.inv(Sigma)
    T3 = n * (ld + float(np.trace(R @ Si)) - ldr - p)
    ii, jj = [], []
    for j in range(p - 1):
        for i in range(j + 1, p):
            ii.append(i)
            jj.append(j)
    a, b = np.array(ii), np.array(jj)
    V = Si[np.ix_(a, a)] * Si[np.ix_(b, b)] + Si[np.ix_(a, b)] * Si[np.ix_(b, a)]
    k = st.n_th
    D = fit.Delta[k:]
    Wc = fit.W[k:, k:]
    G = st.nacov[k:, k:]
    WiU = np.eye(len(a)) - D @ fit.A_inv @ D.T @ Wc
    ks = float(np.trace(WiU.T @ V @ WiU @ G))
    df3 = fit.df
    T3b = -n * ldr
    return T3, ks / df3 if df3 > 0 else _NAN, T3b, float(np.trace(G)) / len(a)


def categorical_fit_measures(fit: OrdinalFit, Sigma: Any, npar: int, *, estimator: str) -> dict[str, float]:
    """The ``fitMeasures`` dict of a WLSMV / ULSMV fit (keys with '_' for '.'); ``Sigma`` is the
    model-implied matrix of the latent responses (unit diagonal for ordered items), ``npar`` the
    number of free parameters (thresholds included)."""
    st = fit.stats
    n = st.n
    N = n - 1
    T, df, Ts, c, sh = fit.chisq, fit.df, fit.chisq_scaled, fit.scaling, fit.shift
    Tb, dfb, Tbs, cb = fit.baseline_chisq, fit.baseline_df, fit.baseline_chisq_scaled, fit.baseline_scaling
    uls = estimator == "ULSMV"
    out: dict[str, float] = {
        "npar": float(npar),
        "fmin": T / (2 * n),
        "chisq": T,
        "df": float(df),
        "pvalue": _NAN if uls or df <= 0 else float(stats.chi2.sf(T, df)),
        "chisq_scaled": Ts,
        "df_scaled": float(df),
        "pvalue_scaled": float(stats.chi2.sf(Ts, df)) if df > 0 else _NAN,
        "chisq_df": T / df if df > 0 else _NAN,  # cbeclab's extra, as for the other estimators
        "chisq_scaling_factor": c,
        "chisq_shift_parameter": sh,
        "baseline_chisq": Tb,
        "baseline_df": float(dfb),
        "baseline_pvalue": _NAN if uls else float(stats.chi2.sf(Tb, dfb)),
        "baseline_chisq_scaled": Tbs,
        "baseline_df_scaled": float(dfb),
        "baseline_pvalue_scaled": float(stats.chi2.sf(Tbs, dfb)),
        "baseline_chisq_scaling_factor": cb,
    }
    T3, c3, T3b, c3b = _catml(fit, Sigma)
    out["cfi"] = _cfi(T, df, Tb, dfb)
    out["tli"] = _tli(T, df, Tb, dfb)
    out["cfi_scaled"] = _cfi(Ts, df, Tbs, dfb)
    out["tli_scaled"] = _tli(Ts, df, Tbs, dfb)
    out["cfi_robust"] = _cfi(T3, df, T3b, dfb, c3, c3b)
    out["tli_robust"] = _tli(T3, df, T3b, dfb, c3, c3b)
    out.update(_others(T, df, Tb, dfb))
    out.update({f"{k}_scaled": v for k, v in _others(Ts, df, Tbs, dfb).items()})
    out["nnfi_robust"] = out["tli_robust"]
    out["rni_robust"] = _rni(T3, df, T3b, dfb, c3, c3b)
    lo, hi = _rmsea_ci(T, df, N)
    out.update(
        rmsea=_rmsea(T, df, N),
        rmsea_ci_lower=lo,
        rmsea_ci_upper=hi,
        rmsea_ci_level=0.90,
        rmsea_pvalue=_close(T, df, N, 0.05),
        rmsea_close_h0=0.05,
        rmsea_notclose_pvalue=_notclose(T, df, N, 0.08),
        rmsea_notclose_h0=0.08,
    )
    lo, hi = _rmsea_ci(Ts, df, N)
    out.update(
        rmsea_scaled=_rmsea(Ts, df, N),
        rmsea_ci_lower_scaled=lo,
        rmsea_ci_upper_scaled=hi,
        rmsea_pvalue_scaled=_close(Ts, df, N, 0.05),
        rmsea_notclose_pvalue_scaled=_notclose(Ts, df, N, 0.08),
    )
    if math.isfinite(T3):
        T3s = T3 / c3
        lo, hi = _rmsea_ci(T3s, df, N, c3)
        out.update(
            rmsea_robust=_rmsea(T3, df, N, c3),
            rmsea_ci_lower_robust=lo,
            rmsea_ci_upper_robust=hi,
            rmsea_pvalue_robust=_close(T3s, df, N, 0.05, c3),
            rmsea_notclose_pvalue_robust=_notclose(T3s, df, N, 0.08, c3),
        )
    else:
        for k in ("rmsea_robust", "rmsea_ci_lower_robust", "rmsea_ci_upper_robust", "rmsea_pvalue_robust",
                  "rmsea_notclose_pvalue_robust"):  # fmt: skip
            out[k] = _NAN
    # residual-based indices: correlation residuals (srmr, crmr) or covariance residuals (rmr);
    # the versions "with mean" add the thresholds of the ordered items (lavaan leaves continuous means out)
    p = len(st.names)
    k_th = st.n_th
    e = st.wls_obs - fit.m
    sd = np.sqrt(np.diag(Sigma))
    Rm = Sigma / np.outer(sd, sd)
    il = [(i, j) for j in range(p - 1) for i in range(j + 1, p)]
    e_cor = np.array([st.cor[i, j] - Rm[i, j] for i, j in il])
    ss = float(np.sum(e_cor**2))
    ss_cov = float(np.sum(e[k_th:] ** 2))  # variances of continuous items, then (co)variances
    th_ord = np.asarray(st.ordered)[st.th_var]
    ss_th = float(np.sum(e[:k_th][th_ord] ** 2))
    k_ord = int(th_ord.sum())
    tot = p * (p + 1) // 2
    off = p * (p - 1) // 2
    srmr_nomean = math.sqrt(ss / tot)
    out.update(
        rmr=math.sqrt((ss_cov + ss_th) / (tot + k_ord)),
        rmr_nomean=math.sqrt(ss_cov / tot),
        srmr=srmr_nomean,
        srmr_bentler=math.sqrt((ss + ss_th) / (tot + k_ord)),
        srmr_bentler_nomean=srmr_nomean,
        crmr=math.sqrt((ss + ss_th) / (off + k_ord)),
        crmr_nomean=math.sqrt(ss / off) if off else 0.0,
        srmr_mplus=_NAN,
        srmr_mplus_nomean=_NAN,
    )
    for key, a in (("cn_05", 0.05), ("cn_01", 0.01)):
        out[key] = float(stats.chi2.ppf(1 - a, df)) / (T / N) + 1.0 if df > 0 and T > 0 else _NAN
    s = st.wls_obs
    W = fit.W
    gfi = 1.0 - float(e @ W @ e) / float(s @ W @ s)
    nel = len(s)
    out["gfi"] = gfi
    out["agfi"] = 1.0 - (nel / df) * (1.0 - gfi) if df > 0 else _NAN
    out["pgfi"] = (df / nel) * gfi
    out["mfi"] = math.exp(-0.5 * (T - df) / N)
    out["wrmr"] = math.sqrt(T / nel)
    return out
