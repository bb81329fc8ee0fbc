"""Scaled and robust fit measures of MLR / MLM (lavaan's ``.scaled`` and ``.robust`` names).

``.scaled``: every index recomputed with the scaled statistics ``T / c`` and ``T_B / c_B``
(c, c_B the scaling factors of the model and the baseline model; lavaan ``chisq.scaling.factor``);
the scaled RMSEA, its CI and p-values use lavaan's form: the unscaled ``T`` with ``c df`` degrees
of freedom (``RMSEA = sqrt(max(T - c df, 0) / (n c df))``).

``.robust`` (Brosseau-Liard, Savalei & Li 2012; Brosseau-Liard & Savalei 2014), with the unscaled
``T`` and ``d = T - c df``, ``d_B = T_B - c_B df_B``:

    CFI_robust   = 1 - max(d, 0) / max(d, d_B, 0)
    TLI_robust   = 1 - (d / df) / (d_B / df_B),        RNI_robust = 1 - d / d_B
    RMSEA_robust = sqrt(max(d, 0) / (n df)),  CI bounds sqrt(c lambda / (n df)) with lambda the
                   noncentrality bounds of the scaled statistic.

Checked against: lavaan 0.6-14 ``fitMeasures`` for ``estimator = "MLM"`` and ``"MLR"``
(``tests/test_sem_fiml.py``).
Under FIML the ``.robust`` indices use the FIML-corrected statistics of
:mod:`cbeclab.sem.fit.fiml_corrected` in place of ``T, c, T_B, c_B`` (lavaan does the same, and
prints them for ``estimator = "ML"`` too).
"""

from __future__ import annotations

import math
from dataclasses import replace

from cbeclab.sem import dist as stats
from cbeclab.sem.fit.cfi import cfi
from cbeclab.sem.fit.ifi import ifi
from cbeclab.sem.fit.nfi import nfi
from cbeclab.sem.fit.rfi import rfi
from cbeclab.sem.fit.rmsea import _lambda_for
from cbeclab.sem.fit.state import FitState
from cbeclab.sem.fit.tli import tli


def robust_measures(state: FitState) -> dict[str, float]:
    """``chisq_scaled ... rmsea_notclose_pvalue_robust`` (needs ``state.scaling``)."""
    c, cb = state.scaling, state.baseline_scaling
    if c is None or cb is None:
        return {}
    T, df, n = state.chisq, state.df, state.n
    Tb, dfb = state.baseline_chisq, state.baseline_df
    Ts, Tbs = T / c, Tb / cb
    sc = replace(state, chisq_value=Ts, baseline_chisq_value=Tbs)
    out: dict[str, float] = {
        "chisq_scaled": Ts,
        "df_scaled": float(df),
        "pvalue_scaled": float(stats.chi2.sf(Ts, df)) if df > 0 else math.nan,
        "chisq_scaling_factor": c,
        "baseline_chisq_scaled": Tbs,
        "baseline_df_scaled": float(dfb),
        "baseline_pvalue_scaled": float(stats.chi2.sf(Tbs, dfb)) if dfb > 0 else math.nan,
        "baseline_chisq_scaling_factor": cb,
    }
    if state.factor_h1 is not None and state.factor_h0 is not None:
        out["scaling_factor_h1"] = state.factor_h1
        out["scaling_factor_h0"] = state.factor_h0
    for fn in (cfi, tli, rfi, nfi, ifi):
        for k, v in fn(sc).items():
            out[f"{k}_scaled"] = v
    G = state.n_groups
    rg = math.sqrt(G)
    if df > 0:  # lavaan's scaled RMSEA family: the unscaled T on df2 = c df degrees of freedom
        df2 = c * df
        out["rmsea_scaled"] = math.sqrt(max(T - df2, 0.0) / (n * df2)) * rg
        out["rmsea_ci_lower_scaled"] = math.sqrt(_lambda_for(T, df2, 0.95) / (n * df2)) * rg
        out["rmsea_ci_upper_scaled"] = math.sqrt(_lambda_for(T, df2, 0.05) / (n * df2)) * rg
        out["rmsea_pvalue_scaled"] = float(stats.ncx2.sf(T, df2, n * df2 * 0.05**2 / G))
        out["rmsea_notclose_pvalue_scaled"] = float(stats.ncx2.cdf(T, df2, n * df2 * 0.08**2 / G))
    out.update(robust_family(state))
    return out


def robust_family(state: FitState) -> dict[str, float]:
    """``cfi_robust ... rmsea_notclose_pvalue_robust`` from lavaan's (XX3, c3, XX3_null, c3_null):
    the unscaled statistics and scaling factors on complete data, the FIML-corrected ones
    (``state.corrected``) under FIML -- there also for plain ML, as lavaan prints them."""
    df, n, dfb = state.df, state.n, state.baseline_df
    if state.fiml:
        fc = state.corrected
        if fc is None:
            return {}
        T, c, Tb, cb = fc.chisq, fc.scaling, fc.baseline_chisq, fc.baseline_scaling
    else:
        if state.scaling is None or state.baseline_scaling is None:
            return {}
        T, c, Tb, cb = state.chisq, state.scaling, state.baseline_chisq, state.baseline_scaling
    out: dict[str, float] = {}
    rg = math.sqrt(state.n_groups)
    G = state.n_groups
    d, db = T - c * df, Tb - cb * dfb
    t1, t2 = max(d, 0.0), max(d, db, 0.0)
    out["cfi_robust"] = 1.0 if (abs(t1) < 1e-12 and abs(t2) < 1e-12) else 1.0 - t1 / t2
    out["tli_robust"] = out["nnfi_robust"] = 1.0 - (d / df) / (db / dfb) if df > 0 and db != 0 else 1.0
    out["rni_robust"] = 1.0 - d / db if db != 0 else math.nan
    if df > 0:
        Ts = T / c
        out["rmsea_robust"] = math.sqrt(max(d, 0.0) / (n * df)) * rg
        lo = _lambda_for(Ts, df, 0.95)
        hi = _lambda_for(Ts, df, 0.05)
        out["rmsea_ci_lower_robust"] = math.sqrt(c * lo / (n * df)) * rg
        out["rmsea_ci_upper_robust"] = math.sqrt(c * hi / (n * df)) * rg
        out["rmsea_pvalue_robust"] = float(stats.ncx2.sf(Ts, df, n * df * 0.05**2 / c / G))
        out["rmsea_notclose_pvalue_robust"] = float(stats.ncx2.cdf(Ts, df, n * df * 0.08**2 / c / G))
    return out
