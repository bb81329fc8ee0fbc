"""Cronbach's alpha with item statistics, as psych::alpha.

For the item covariance matrix ``C`` (pairwise complete, n - 1) and correlation matrix ``R`` of
``k`` items:

* raw alpha ``= k/(k-1) * (1 - tr(C) / 1'C1)``
* standardized alpha ``= k/(k-1) * (1 - k / 1'R1)``
* Guttman's lambda 6 ``G6 = 1 - (k - sum(smc)) / 1'R1``; average r ``= (1'R1 - k) / (k (k - 1))``;
  signal/noise ``S/N = k r / (1 - r)``
* ``ase = sqrt(Q / n)`` with Duhachek & Iacobucci's (2004) ``Q`` as coded in psych
* item statistics: ``raw.r = cor(item, total)`` (total = row mean), ``std.r = colSums(R)/sqrt(1'R1)``,
  ``r.cor`` the same with SMCs on the diagonal, and the corrected item-total correlation
  ``r.drop_i = (sum_j C_ij - C_ii) / sqrt(C_ii * 1'C_(-i)1)``
* alpha if item deleted: all of the above recomputed without item ``i``.

Source: Cronbach (1951); seed 000, Table 1 reports raw alpha per construct (SPSS).
Checked against: psych::alpha 2.2.9 (``tests/fixtures/psych_bfi10.json``, ``psych_yongkang.json``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from cbeclab.errors import DataError
from cbeclab.i18n import _
from cbeclab.measure._common import item_frame, json_safe, smc

__all__ = ["AlphaResult", "cronbach_alpha"]


@dataclass(frozen=True)
class AlphaResult:
    """Scale-level alpha plus per-item statistics (psych names with ``.`` and ``/`` as ``_``)."""

    raw_alpha: float
    std_alpha: float
    g6_smc: float
    average_r: float
    s_n: float
    ase: float
    mean: float
    sd: float
    median_r: float
    n_obs: int
    item_stats: pd.DataFrame
    alpha_drop: pd.DataFrame
    reversed: tuple[str, ...] = field(default_factory=tuple)

    def to_frame(self) -> pd.DataFrame:
        """One row per item: item statistics joined with alpha-if-item-deleted columns."""
        drop = self.alpha_drop.add_prefix("drop_")
        return self.item_stats.join(drop).rename_axis("item").reset_index()

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe dict with the scale statistics, ``item_stats`` and ``alpha_drop``."""
        out: dict[str, Any] = {
            k: getattr(self, k)
            for k in ("raw_alpha", "std_alpha", "g6_smc", "average_r", "s_n", "ase", "mean", "sd", "median_r")
        }
        out.update(
            n_obs=self.n_obs,
            reversed=list(self.reversed),
            item_stats=self.item_stats,
            alpha_drop=self.alpha_drop,
        )
        return json_safe(out)


def _alpha_core(c: np.ndarray, r: np.ndarray) -> dict[str, float]:
    """psych's internal ``alpha.1`` for one covariance / correlation pair."""
    k = c.shape[0]
    sum_c = c.sum()
    tr_c = np.trace(c)
    sum_r = r.sum()
    raw = (1 - tr_c / sum_c) * (k / (k - 1))
    std = (1 - k / sum_r) * (k / (k - 1))
    g6 = 1 - (k - smc(r).sum()) / sum_r
    av_r = (sum_r - k) / (k * (k - 1))
    low = r[np.tril_indices(k, -1)]
    var_r = float(np.var(low, ddof=1)) if low.size > 1 else float("nan")
    med_r = float(np.median(low))
    sn = k * av_r / (1 - av_r)
    cc = c @ c
    q = (2 * k**2 / ((k - 1) ** 2 * sum_c**3)) * (sum_c * (np.trace(cc) + tr_c**2) - 2 * (tr_c * cc.sum()))
    return {
        "raw_alpha": float(raw),
        "std_alpha": float(std),
        "g6_smc": float(g6),
        "average_r": float(av_r),
        "s_n": float(sn),
        "q": float(q),
        "var_r": var_r,
        "med_r": med_r,
    }


def cronbach_alpha(data: pd.DataFrame, *, reverse: str | Sequence[str] = ()) -> AlphaResult:
    """Cronbach's alpha (raw and standardized), r.drop and alpha-if-item-deleted for one scale.

    Parameters
    ----------
    data
        Respondents in rows, the scale's items in columns (at least 2); NaN = missing answer.
        Statistics use pairwise-complete covariances, as psych's default ``use = "pairwise"``.
    reverse
        Items to reverse-score before computing; as psych's ``keys``, a reversed item becomes
        ``max + min - x`` with ``min``/``max`` taken over all items.

    Returns
    -------
    AlphaResult

    Examples
    --------
    >>> import pandas as pd
    >>> df = pd.DataFrame({"a": [1, 2, 3, 4, 5], "b": [2, 1, 4, 3, 5], "c": [1, 3, 3, 5, 4]})
    >>> round(cronbach_alpha(df).raw_alpha, 4)
    0.8721
    """
    df = item_frame(data, where="cronbach_alpha(data)")
    rev = [reverse] if isinstance(reverse, str) else [str(c) for c in reverse]
    missing = [c for c in rev if c not in df.columns]
    if missing:
        raise DataError(
            _("reverse-keyed item(s) not in the data: {v1}", v1=", ".join(missing)),
            where="cronbach_alpha(reverse=)",
            fix=_("use column names from: {v1}", v1=", ".join(df.columns)),
        )
    if rev:
        lo = float(np.nanmin(df.to_numpy()))
        hi = float(np.nanmax(df.to_numpy()))
        df = df.copy()
        df[rev] = hi + lo - df[rev]
    k = df.shape[1]
    n_sub = int(df.shape[0])
    c = df.cov(ddof=1, min_periods=2).to_numpy(dtype=float)
    sd_i = np.sqrt(np.diag(c))
    r = c / np.outer(sd_i, sd_i)
    tot = _alpha_core(c, r)
    total = df.mean(axis=1, skipna=True)
    raw_r = df.corrwith(total).to_numpy(dtype=float)
    std_r = r.sum(axis=0) / np.sqrt(r.sum())
    rc = r.copy()
    np.fill_diagonal(rc, smc(r))
    r_cor = rc.sum(axis=0) / np.sqrt(rc.sum())
    # corrected item-total correlation from the covariance matrix (psych r.drop)
    col = c.sum(axis=0)
    v_drop = c.sum() - 2 * col + np.diag(c)
    r_drop = (col - np.diag(c)) / np.sqrt(np.diag(c) * v_drop)
    item_stats = pd.DataFrame(
        {
            "n": df.notna().sum().to_numpy(dtype=int),
            "raw_r": raw_r,
            "std_r": std_r,
            "r_cor": r_cor,
            "r_drop": r_drop,
            "mean": df.mean().to_numpy(),
            "sd": df.std(ddof=1).to_numpy(),
        },
        index=pd.Index(df.columns, name="item"),
    )
    rows = []
    for i in range(k):
        keep = np.arange(k) != i
        if k > 2:
            d = _alpha_core(c[np.ix_(keep, keep)], r[np.ix_(keep, keep)])
        else:  # psych's two-item special case: the "scale" left is a single item
            j = 1 - i
            d = {
                "raw_alpha": c[0, 1] / c[j, j],
                "std_alpha": r[0, 1],
                "g6_smc": r[0, 1] ** 2,
                "average_r": r[0, 1],
                "s_n": r[0, 1] / (1 - r[0, 1]),
                "q": float("nan"),
                "var_r": 0.0,
                "med_r": r[0, 1],
            }
        d["alpha_se"] = float(np.sqrt(d.pop("q") / n_sub))
        rows.append(d)
    alpha_drop = pd.DataFrame(rows, index=pd.Index(df.columns, name="item"))[
        ["raw_alpha", "std_alpha", "g6_smc", "average_r", "s_n", "alpha_se", "var_r", "med_r"]
    ]
    return AlphaResult(
        raw_alpha=tot["raw_alpha"],
        std_alpha=tot["std_alpha"],
        g6_smc=tot["g6_smc"],
        average_r=tot["average_r"],
        s_n=tot["s_n"],
        ase=float(np.sqrt(tot["q"] / n_sub)),
        mean=float(total.mean()),
        sd=float(total.std(ddof=1)),
        median_r=tot["med_r"],
        n_obs=n_sub,
        item_stats=item_stats,
        alpha_drop=alpha_drop,
        reversed=tuple(rev),
    )
