"""Root mean square error of approximation (Steiger & Lind 1980) with its 90% CI and p-close.

    RMSEA = sqrt(max(chisq - df, 0) / (n df))
    CI: lambda_L, lambda_U solve P(chi2_df(lambda) <= chisq) = 0.95 / 0.05; bound = sqrt(lambda / (n df))
    p-close = P(chi2_df(n df 0.05^2) > chisq);  notclose p = P(chi2_df(n df 0.08^2) <= chisq)

n is the full sample size (lavaan, ``likelihood = "normal"``); with G groups RMSEA and its bounds are
multiplied by sqrt(G) and the p-values' noncentrality divided by G (lavaan ``lav_fit_rmsea``).  Source: Browne & Cudeck (1993);
lavaan ``lav_fit_rmsea.R``.  Checked against: lavaan 0.6-14 ``fitMeasures``.
"""

from __future__ import annotations

import math

from cbeclab.sem import dist as stats
from cbeclab.sem.fit.state import FitState
from cbeclab.sem.roots import find_root


def _lambda_for(x2: float, df: float, prob: float) -> float:
    """Noncentrality lambda with P(chi2_df(lambda) <= x2) = prob (0 if none)."""

    def f(lam: float) -> float:
        return float(stats.ncx2.cdf(x2, df, lam) if lam > 0 else stats.chi2.cdf(x2, df)) - prob

    if f(0.0) < 0:
        return 0.0
    hi = max(x2, 1.0)
    while f(hi) > 0:
        hi *= 2.0
    return find_root(f, 0.0, hi, xtol=1e-12)


def rmsea(
    state: FitState, level: float = 0.90, close_h0: float = 0.05, notclose_h0: float = 0.08
) -> dict[str, float]:
    """``rmsea, rmsea_ci_lower, rmsea_ci_upper, rmsea_ci_level, rmsea_pvalue, rmsea_close_h0,
    rmsea_notclose_pvalue, rmsea_notclose_h0``."""
    x2, df, n = state.chisq, state.df, state.n
    out = {"rmsea_ci_level": level, "rmsea_close_h0": close_h0, "rmsea_notclose_h0": notclose_h0}
    if df <= 0:
        out.update(
            rmsea=0.0,
            rmsea_ci_lower=0.0,
            rmsea_ci_upper=0.0,
            rmsea_pvalue=math.nan,
            rmsea_notclose_pvalue=math.nan,
        )
        return out
    G = state.n_groups
    out["rmsea"] = math.sqrt(max(x2 - df, 0.0) / (n * df)) * math.sqrt(G)
    lo = _lambda_for(x2, df, 1.0 - (1.0 - level) / 2.0)
    hi = _lambda_for(x2, df, (1.0 - level) / 2.0)
    out["rmsea_ci_lower"] = math.sqrt(lo / (n * df)) * math.sqrt(G)
    out["rmsea_ci_upper"] = math.sqrt(hi / (n * df)) * math.sqrt(G)
    out["rmsea_pvalue"] = float(stats.ncx2.sf(x2, df, n * df * close_h0**2 / G))
    out["rmsea_notclose_pvalue"] = float(stats.ncx2.cdf(x2, df, n * df * notclose_h0**2 / G))
    return out
