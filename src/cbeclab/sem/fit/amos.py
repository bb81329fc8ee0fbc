"""Fit measures under the names AMOS prints, mapped from lavaan's ``fitMeasures``.

Researchers who report AMOS output (CMIN, CMIN/DF, GFI ... HOELTER) can reconcile it with cbeclab's
lavaan-named measures line by line.  Most rows are lavaan measures renamed; the rest are computed:

    CMIN/DF = CMIN / DF
    PRATIO  = DF / DF_b                         (DF_b: baseline, independence model)
    PNFI    = PRATIO * NFI,  PCFI = PRATIO * CFI    (James, Mulaik & Brett 1982)
    AGFI    = 1 - (p* / DF)(1 - GFI),  PGFI = (DF / p*) GFI,  p* = p(p + 1)/2   (Joreskog & Sorbom;
              Mulaik et al. 1989) -- lavaan's ``agfi``/``pgfi``
    HOELTER(alpha) = floor((N - 1) chi2_{1-alpha}(DF) / CMIN + 1)   (Hoelter 1983; AMOS truncates
              to an integer), the largest N at which the model would not be rejected at alpha

AMOS's CMIN is (N - 1) F_ML; fit with ``likelihood="wishart"`` (``--likelihood wishart``) to get AMOS's
numbers, otherwise CMIN is lavaan's N F_ML.  Under ``fixed_x=True`` lavaan (and so cbeclab) leaves the
covariate block out of the moments; AMOS models exogenous observed variables freely, so use
``fixed_x=False`` for AMOS parity in models with observed covariates.

Checked against: lavaan 0.6-14 ``fitMeasures`` (``agfi``, ``pgfi``, ``pnfi``; ``pcfi`` worked by hand
in tests/fixtures/r/sem_semextra.R) and the Hoelter formula by hand (``tests/test_sem_amos.py``).
"""

from __future__ import annotations

import math
from typing import Any

import pandas as pd

from cbeclab.i18n import _
from cbeclab.sem import dist as stats

__all__ = ["AMOS_NAMES", "amos_measures", "amos_fit_table", "hoelter"]

#: AMOS name -> lavaan fitMeasures key (with '_'), or None when computed here
AMOS_NAMES: dict[str, str | None] = {
    "NPAR": "npar",
    "CMIN": "chisq",
    "DF": "df",
    "P": "pvalue",
    "CMIN/DF": None,
    "GFI": "gfi",
    "AGFI": "agfi",
    "PGFI": "pgfi",
    "NFI": "nfi",
    "RFI": "rfi",
    "IFI": "ifi",
    "TLI": "tli",
    "CFI": "cfi",
    "PRATIO": None,
    "PNFI": None,
    "PCFI": None,
    "RMSEA": "rmsea",
    "LO 90": "rmsea_ci_lower",
    "HI 90": "rmsea_ci_upper",
    "PCLOSE": "rmsea_pvalue",
    "AIC": "aic",
    "BIC": "bic",
    "HOELTER .05": None,
    "HOELTER .01": None,
}


def hoelter(cmin: float, df: float, n: int, alpha: float) -> float:
    """Hoelter's critical N: floor((N - 1) chi2_{1-alpha}(df) / CMIN + 1); NaN when df or CMIN is 0."""
    if df <= 0 or not cmin > 0:
        return math.nan
    return float(math.floor((n - 1) * stats.chi2.ppf(1.0 - alpha, df) / cmin + 1.0))


def amos_measures(fm: dict[str, float], nobs: int) -> dict[str, float]:
    """AMOS-named measures from a lavaan-named ``fit_measures()`` dict and the sample size."""
    df, dfb = fm["df"], fm["baseline_df"]
    pratio = df / dfb if dfb > 0 else math.nan
    computed = {
        "CMIN/DF": fm["chisq"] / df if df > 0 else math.nan,
        "PRATIO": pratio,
        "PNFI": pratio * fm["nfi"],
        "PCFI": pratio * fm["cfi"],
        "HOELTER .05": hoelter(fm["chisq"], df, nobs, 0.05),
        "HOELTER .01": hoelter(fm["chisq"], df, nobs, 0.01),
    }
    return {k: computed[k] if v is None else float(fm.get(v, math.nan)) for k, v in AMOS_NAMES.items()}


def amos_fit_table(result: Any) -> pd.DataFrame:
    """Table of AMOS names, values and the lavaan measure each comes from (``formula`` for computed rows)."""
    vals = amos_measures(result.fit_measures(), int(result.nobs))
    return pd.DataFrame(
        {
            _("AMOS"): list(vals),
            _("value"): list(vals.values()),
            _("lavaan"): [AMOS_NAMES[k] or _("computed") for k in vals],
        }
    )
