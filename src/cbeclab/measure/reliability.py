"""Composite reliability (CR) and average variance extracted (AVE) from standardized loadings.

For the ``k`` standardized loadings ``lambda_i`` of one construct (error variances ``1 - lambda_i^2``):

* ``CR = (sum lambda)^2 / ((sum lambda)^2 + sum (1 - lambda^2))`` (Joreskog 1971; Fornell & Larcker 1981)
* ``AVE = sum lambda^2 / k`` (Fornell & Larcker 1981)

Usual cut-offs (stored in ``thresholds.yaml``): CR >= 0.7, AVE >= 0.5. Source: seed 000 §4.2 and
Table 2 (AVE 0.558-0.648 from the Table 1 loadings). Checked against: hand calculation
(``tests/test_measure_reliability.py``: seed 000 Table 1 loadings reproduce Table 2's AVEs).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

import numpy as np
import pandas as pd
import yaml

from cbeclab.errors import DataError
from cbeclab.i18n import _
from cbeclab.measure._common import json_safe

__all__ = ["ReliabilityResult", "composite_reliability", "thresholds"]


@cache
def thresholds() -> dict[str, Any]:
    """Rule-of-thumb cut-offs for the measurement-quality statistics (``measure/thresholds.yaml``)."""
    text = resources.files("cbeclab.measure").joinpath("thresholds.yaml").read_text(encoding="utf-8")
    return dict(yaml.safe_load(text))


@dataclass(frozen=True)
class ReliabilityResult:
    """One row per construct: ``k, cr, ave, sqrt_ave, cr_ok, ave_ok``."""

    table: pd.DataFrame

    def to_frame(self) -> pd.DataFrame:
        """Tidy frame with a ``construct`` column."""
        return self.table.rename_axis("construct").reset_index()

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe ``{construct: {stat: value}}``."""
        return json_safe(self.table)


def composite_reliability(loadings: Mapping[str, Sequence[float] | pd.Series]) -> ReliabilityResult:
    """CR and AVE per construct from standardized loadings.

    Parameters
    ----------
    loadings
        ``{construct: standardized loadings}`` (each loading strictly between -1 and 1).

    Examples
    --------
    >>> res = composite_reliability({"F": [0.7, 0.8, 0.9]})
    >>> round(float(res.table.loc["F", "cr"]), 4), round(float(res.table.loc["F", "ave"]), 4)
    (0.8446, 0.6467)
    """
    cut = thresholds()
    rows = {}
    for name, lam_in in loadings.items():
        lam = np.asarray(list(lam_in), dtype=float)
        if lam.size == 0 or np.isnan(lam).any() or np.any(np.abs(lam) >= 1):
            raise DataError(
                _("standardized loadings must be non-missing and strictly between -1 and 1"),
                where=f"composite_reliability(loadings[{name!r}])",
                fix=_("pass completely standardized loadings (std.all); a |loading| >= 1 is a Heywood case"),
            )
        s = lam.sum()
        err = (1 - lam**2).sum()
        cr = s**2 / (s**2 + err)
        ave = float((lam**2).mean())
        rows[str(name)] = {
            "k": int(lam.size),
            "cr": float(cr),
            "ave": ave,
            "sqrt_ave": float(np.sqrt(ave)),
            "cr_ok": bool(cr >= cut["cr_min"]),
            "ave_ok": bool(ave >= cut["ave_min"]),
        }
    table = pd.DataFrame.from_dict(rows, orient="index")
    table.index.name = "construct"
    return ReliabilityResult(table=table)
