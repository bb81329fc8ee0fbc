"""Common-method-bias checks and the MSV/ASV companions of AVE.

**Harman's single-factor test** (Podsakoff et al. 2003): put every item into one unrotated factor
analysis; a single factor taking most of the variance (the usual cut-off is 50 %) signals common-method
variance.  Extraction here is principal components of the item *correlation* matrix, as SPSS users run
it ("Dimension reduction > Factor", principal components, no rotation): the share is the first
eigenvalue over the number of items.  Checked against: R ``prcomp(X, scale. = TRUE)`` and
``psych::principal(X, nfactors = 1, rotate = "none")`` (tests/fixtures/r/psych_semextra.R).

**Single-factor CFA comparison**: the model with one factor behind all items against the measurement
model; the chi-square difference test Δχ² = χ²_1 - χ²_M on Δdf = df_1 - df_M (nested models, lavaan
``anova``).  A much worse one-factor model argues against a dominant method factor.  Checked against:
lavaan 0.6-14 ``cfa()`` + ``anova()``.

**MSV and ASV** (Hair et al. 2010): for construct i, MSV_i = max_j phi_ij^2 and ASV_i = mean_j phi_ij^2
over the other constructs j (phi: latent correlations).  Discriminant validity asks MSV < AVE (and
ASV < AVE).  Checked against: ``lavInspect(fit, "cor.lv")`` squared in R (same fixture).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from cbeclab.errors import DataError
from cbeclab.i18n import _

__all__ = [
    "HarmanResult",
    "SingleFactorComparison",
    "harman_single_factor",
    "msv_asv",
    "single_factor_comparison",
]


@dataclass(frozen=True)
class HarmanResult:
    """``share`` of the first unrotated component, the ``eigenvalues``, ``loadings`` and the cut-off."""

    share: float
    eigenvalues: pd.Series
    loadings: pd.Series
    cutoff: float = 0.5
    extraction: str = "principal components of the correlation matrix, unrotated"

    @property
    def passed(self) -> bool:
        """True when the first factor explains less than ``cutoff`` of the variance."""
        return bool(self.share < self.cutoff)

    def to_dict(self) -> dict[str, Any]:
        return {
            "share": self.share,
            "cutoff": self.cutoff,
            "passed": self.passed,
            "extraction": self.extraction,
            "eigenvalues": [float(v) for v in self.eigenvalues],
            "loadings": {str(k): float(v) for k, v in self.loadings.items()},
        }


def harman_single_factor(X: pd.DataFrame, *, cutoff: float = 0.5) -> HarmanResult:
    """Harman's single-factor test on the complete rows of ``X`` (items as columns)."""
    Xn = X.apply(pd.to_numeric, errors="coerce").dropna()
    if Xn.shape[0] < 3 or Xn.shape[1] < 2:
        raise DataError(
            _("Harman's test needs at least 3 complete rows and 2 items"),
            where="harman_single_factor",
            fix=_("check the item columns for missing answers"),
        )
    R = np.corrcoef(Xn.to_numpy(dtype=float), rowvar=False)
    vals, vecs = np.linalg.eigh(R)
    order = np.argsort(vals)[::-1]
    vals, vecs = vals[order], vecs[:, order]
    v1 = vecs[:, 0] * (1.0 if vecs[:, 0].sum() >= 0 else -1.0)
    return HarmanResult(
        share=float(vals[0] / R.shape[0]),
        eigenvalues=pd.Series(vals, index=range(1, len(vals) + 1), name="eigenvalue"),
        loadings=pd.Series(v1 * np.sqrt(vals[0]), index=[str(c) for c in Xn.columns], name="loading"),
        cutoff=cutoff,
    )


@dataclass(frozen=True)
class SingleFactorComparison:
    """Fit of the one-factor and the measurement model (``table``) and the Δχ² test."""

    table: pd.DataFrame
    delta_chisq: float
    delta_df: int
    delta_pvalue: float

    def to_dict(self) -> dict[str, Any]:
        return {
            "models": self.table.reset_index().to_dict(orient="records"),
            "delta_chisq": self.delta_chisq,
            "delta_df": self.delta_df,
            "delta_pvalue": self.delta_pvalue,
        }


FIT_KEYS = ("chisq", "df", "chisq_df", "cfi", "tli", "rmsea", "srmr")


def single_factor_comparison(one_factor: Any, measurement: Any) -> SingleFactorComparison:
    """Compare two fitted results (:class:`~cbeclab.sem.model.SEMResult`): one factor vs measurement model."""
    f1, fm = one_factor.fit_measures(), measurement.fit_measures()
    table = pd.DataFrame(
        [{k: f1.get(k) for k in FIT_KEYS}, {k: fm.get(k) for k in FIT_KEYS}],
        index=pd.Index(["one_factor", "measurement"], name="model"),
    )
    d = float(f1["chisq"] - fm["chisq"])
    ddf = int(round(f1["df"] - fm["df"]))
    p = float(stats.chi2.sf(d, ddf)) if ddf > 0 else float("nan")
    return SingleFactorComparison(table=table, delta_chisq=d, delta_df=ddf, delta_pvalue=p)


def msv_asv(phi: pd.DataFrame) -> pd.DataFrame:
    """MSV and ASV per construct from a latent correlation matrix (columns ``msv``, ``asv``)."""
    m = phi.to_numpy(dtype=float) ** 2
    np.fill_diagonal(m, np.nan)
    if m.shape[0] < 2:
        return pd.DataFrame({"msv": [np.nan] * m.shape[0], "asv": [np.nan] * m.shape[0]}, index=phi.index)
    return pd.DataFrame({"msv": np.nanmax(m, axis=1), "asv": np.nanmean(m, axis=1)}, index=phi.index)
