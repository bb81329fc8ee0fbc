"""Baseline (independence) model: only the observed variances are free.

    baseline_chisq = n [sum log s_jj - log|S|]  (covariate block fixed at S_xx under ``fixed.x``),
    baseline_df = moments - (p - #covariates).

Source: Bentler & Bonett (1980); lavaan ``lav_fit_cfi.R`` / ``lav_partable_independence``.
Checked against: lavaan 0.6-14 ``fitMeasures`` (``baseline.chisq``, ``baseline.df``).
"""

from __future__ import annotations

import math

from cbeclab.sem import dist as stats
from cbeclab.sem.fit.state import FitState


def baseline(state: FitState) -> dict[str, float]:
    """``baseline_chisq, baseline_df, baseline_pvalue``."""
    b = state.baseline_chisq
    bdf = state.baseline_df
    return {
        "baseline_chisq": b,
        "baseline_df": float(bdf),
        "baseline_pvalue": float(stats.chi2.sf(b, bdf)) if bdf > 0 else math.nan,
    }
