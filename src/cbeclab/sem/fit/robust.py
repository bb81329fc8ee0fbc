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
Under FIML lavaan computes the ``.robust`` indices from corrected H1 statistics (Zhang & Savalei);
they are not built here, so only the ``.scaled`` ones are returned.
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
    if state.fiml:  # lavaan's robust indices under FIML (corrected h1 statistics) are not built
        return out
    d, db = T - c * df, Tb - cb * dfb
    t2 = max(d, db, 0.0)
    out["cfi_robust"] = 1.0 if t2 == 0 else 1.0 - max(d, 0.0) / t2
    out["tli_robust"] = out["nnfi_robust"] = 1.0 - (d / df) / (db / dfb) if df > 0 and db != 0 else 1.0
    out["rni_robust"] = 1.0 - d / db if db != 0 else math.nan
    if df > 0:
        out["rmsea_robust"] = math.sqrt(max(d, 0.0) / (n * df)) * rg
        lo = _lambda_for(Ts, df, 0.95)
        hi = _lambda_for(Ts, df, 0.05)
        out["rmsea_ci_lower_robust"] = math.sqrt(c * lo / (n * df)) * rg
        out["rmsea_ci_upper_robust"] = math.sqrt(c * hi / (n * df)) * rg
        out["rmsea_pvalue_robust"] = float(stats.ncx2.sf(Ts, df, n * df * 0.05**2 / c / G))
        out["rmsea_notclose_pvalue_robust"] = float(stats.ncx2.cdf(Ts, df, n * df * 0.08**2 / c / G))
    return out
