"""Item descriptives for survey data (psych::describe).

For item ``x`` with ``n`` answered cells, mean ``m`` and sample standard deviation
``s = sqrt(sum((x - m)^2) / (n - 1))``, the moments follow psych's three types (Joanes & Gill 1998):

* type 1 (``g1``, ``g2``): ``skew = sqrt(n) * S3 / S2^(3/2)``, ``kurt = n * S4 / S2^2 - 3``
* type 2 (SAS/SPSS ``G1``, ``G2``): ``skew = n * sqrt(n - 1) * S3 / ((n - 2) * S2^(3/2))``,
  ``kurt = n (n + 1) S4 / ((n - 1)(n - 2)(n - 3) (S2/(n-1))^2) - 3 (n - 1)^2 / ((n - 2)(n - 3))``
* type 3 (psych default, ``b1``, ``b2``): ``skew = S3 / (n s^3)``, ``kurt = S4 / (n s^4) - 3``

where ``Sk = sum((x - m)^k)``. Source: item screening step before reliability, seed 000 §4.1-4.2.
Checked against: psych::describe 2.2.9 (``tests/fixtures/psych_*.json``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import pandas as pd

from cbeclab.errors import SpecError
from cbeclab.i18n import _
from cbeclab.measure._common import item_frame, json_safe

__all__ = ["DescriptivesResult", "describe_items"]


@dataclass(frozen=True)
class DescriptivesResult:
    """One row per item: ``n, missing, mean, sd, median, min, max, range, skew, kurtosis, se``."""

    table: pd.DataFrame
    type: int

    def to_frame(self) -> pd.DataFrame:
        """Tidy frame with an ``item`` column."""
        return self.table.rename_axis("item").reset_index()

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe dict: ``{"type": 3, "items": {item: {stat: value}}}``."""
        return {"type": self.type, "items": json_safe(self.table)}


def describe_items(data: pd.DataFrame, *, type: Literal[1, 2, 3] = 3) -> DescriptivesResult:
    """Describe each item (column): n, missing, mean, sd (n - 1), median, min, max, skew, kurtosis.

    Parameters
    ----------
    data
        Respondents in rows, numeric items in columns; missing answers as NaN.
    type
        Skew/kurtosis estimator (1, 2 or 3, as ``psych::describe(type=)``); default 3 like psych.

    Returns
    -------
    DescriptivesResult

    Examples
    --------
    >>> import pandas as pd
    >>> r = describe_items(pd.DataFrame({"a": [1, 2, 3, 4, 5], "b": [2, 2, 3, 5, 5]}))
    >>> round(float(r.table.loc["a", "sd"]) ** 2, 6)
    2.5
    """
    if type not in (1, 2, 3):
        raise SpecError(_("type must be 1, 2 or 3, got {type!r}", type=type), where="describe_items(type=)")
    df = item_frame(data, where="describe_items(data)", min_items=1)
    x = df.to_numpy(dtype=float)
    ok = ~np.isnan(x)
    n = ok.sum(axis=0).astype(float)
    m = np.nanmean(x, axis=0)
    dev = np.where(ok, x - m, 0.0)
    s2 = (dev**2).sum(axis=0)
    s3 = (dev**3).sum(axis=0)
    s4 = (dev**4).sum(axis=0)
    sd = np.sqrt(s2 / (n - 1))
    with np.errstate(divide="ignore", invalid="ignore"):
        if type == 1:
            skew = np.sqrt(n) * s3 / s2**1.5
            kurt = n * s4 / s2**2 - 3
        elif type == 2:
            skew = n * np.sqrt(n - 1) * s3 / ((n - 2) * s2**1.5)
            kurt = n * (n + 1) * s4 / ((n - 1) * (n - 2) * (n - 3) * (s2 / (n - 1)) ** 2) - 3 * (
                n - 1
            ) ** 2 / ((n - 2) * (n - 3))
        else:
            skew = s3 / (n * sd**3)
            kurt = s4 / (n * sd**4) - 3
    mn = np.nanmin(x, axis=0)
    mx = np.nanmax(x, axis=0)
    table = pd.DataFrame(
        {
            "n": n.astype(int),
            "missing": (~ok).sum(axis=0).astype(int),
            "mean": m,
            "sd": sd,
            "median": np.nanmedian(x, axis=0),
            "min": mn,
            "max": mx,
            "range": mx - mn,
            "skew": skew,
            "kurtosis": kurt,
            "se": sd / np.sqrt(n),
        },
        index=pd.Index(df.columns, name="item"),
    )
    return DescriptivesResult(table=table, type=int(type))
