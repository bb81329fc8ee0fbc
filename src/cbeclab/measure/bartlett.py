"""Bartlett's test of sphericity (psych::cortest.bartlett).

``chi2 = -ln|R| * (n - 1 - (2p + 5)/6)``, ``df = p (p - 1)/2``, ``p-value = P(chi2_df > chi2)``,
for ``p`` items, ``n`` respondents and item correlation matrix ``R``.

Source: Bartlett (1951); seed 000 §4.2 reports chi2 = 3792.234 (24 items, n = 233).
Checked against: psych::cortest.bartlett 2.2.9 (fixtures ``psych_bfi10.json``, ``psych_yongkang.json``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from cbeclab.errors import DataError
from cbeclab.i18n import _
from cbeclab.measure._common import correlation_input, json_safe, require_pd

__all__ = ["BartlettResult", "bartlett_sphericity"]


@dataclass(frozen=True)
class BartlettResult:
    """Chi-square statistic, degrees of freedom, p-value, sample size and number of items."""

    chisq: float
    df: int
    p_value: float
    n_obs: int
    n_items: int

    def to_frame(self) -> pd.DataFrame:
        """One-row frame with the five fields."""
        return pd.DataFrame([self.to_dict()])

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe dict of the fields."""
        return json_safe(
            {
                "chisq": self.chisq,
                "df": self.df,
                "p_value": self.p_value,
                "n_obs": self.n_obs,
                "n_items": self.n_items,
            }
        )


def bartlett_sphericity(
    data: pd.DataFrame | None = None, *, corr: Any = None, n_obs: int | None = None
) -> BartlettResult:
    """Test whether the item correlation matrix is an identity matrix.

    Parameters
    ----------
    data
        Raw item scores; ``n_obs`` defaults to the number of rows (psych's convention when it
        computes ``R`` from data), or
    corr
        a correlation matrix, then ``n_obs`` is required (psych silently uses 100; we refuse).
    n_obs
        Sample size ``n``.

    Examples
    --------
    >>> import numpy as np
    >>> res = bartlett_sphericity(corr=np.array([[1, .5], [.5, 1]]), n_obs=101)
    >>> round(res.chisq, 3), res.df
    (28.337, 1)
    """
    r, _unused, n = correlation_input(data, corr=corr, n_obs=n_obs, where="bartlett_sphericity")
    if n is None:
        raise DataError(
            _("the sample size is unknown for a correlation-matrix input"),
            where="bartlett_sphericity(n_obs=)",
            fix=_("pass n_obs= (number of respondents)"),
        )
    require_pd(r, where="bartlett_sphericity")
    p = r.shape[0]
    _unused, logdet = np.linalg.slogdet(r)
    chisq = -logdet * (n - 1 - (2 * p + 5) / 6)
    df = p * (p - 1) // 2
    return BartlettResult(
        chisq=float(chisq), df=int(df), p_value=float(stats.chi2.sf(chisq, df)), n_obs=int(n), n_items=int(p)
    )
