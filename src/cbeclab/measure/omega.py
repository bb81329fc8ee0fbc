"""McDonald's omega total for one construct from a one-factor solution.

Fit one common factor to the items' correlation matrix (``fm = "minres"`` by default, as psych, or
``"ml"`` / ``"pa"``), giving standardized loadings ``lambda`` and uniquenesses ``psi = 1 - lambda^2``:

* **model-based** (McDonald 1999, the usual "omega" of a congeneric scale):
  ``omega = (sum lambda)^2 / ((sum lambda)^2 + sum psi)``
* **psych's** ``omega(x, nfactors = 1)$omega.tot``: the same numerator, but the denominator is the
  *observed* variance of the unit-weighted standardized sum, ``1'R1``:
  ``omega_psych = (1'R1 - sum psi) / 1'R1``. The two agree when the one-factor model fits exactly.

psych::omega's headline omega total comes from a Schmid-Leiman bifactor solution with 3 group
factors; for a single construct that is not meaningful, so we use the one-factor definitions above.

Reverse-keyed items: like psych (``flip = TRUE``, its default), items whose loading on the common
factor is negative are reversed before the sums are taken: the correlation matrix becomes ``K R K``
with ``K = diag(sign(lambda))`` and the loadings ``|lambda|``. The reversed items are listed in
``reversed`` and a :class:`~cbeclab.errors.CbecWarning` says so. ``flip=False`` keeps the raw signs
(psych's ``flip = FALSE``), which understates omega when a scale has reverse-keyed items.

Source: McDonald (1999), *Test Theory*, ch. 6; composite reliability of seed 000 §4.2 is the same
formula applied to CFA loadings (see :mod:`cbeclab.measure.reliability`).
Checked against: psych 2.2.9 ``omega(x, nfactors = 1)$omega.tot`` (with ``flip`` TRUE and FALSE on a
scale with one reverse-keyed item, ``tests/fixtures/psych_omega_flip.json``) and a hand calculation from
``fa(x, 1, fm = "minres" | "ml")`` loadings (``tests/fixtures/psych_*.json``).
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import pandas as pd

from cbeclab.errors import CbecWarning
from cbeclab.measure._common import correlation_input, json_safe
from cbeclab.measure.efa import efa

__all__ = ["OmegaResult", "omega_total"]


@dataclass(frozen=True)
class OmegaResult:
    """``omega`` (model-based), ``omega_psych`` (observed denominator), loadings and uniquenesses."""

    omega: float
    omega_psych: float
    loadings: pd.Series
    uniqueness: pd.Series
    fm: str
    reversed: tuple[str, ...] = field(default=())

    def to_frame(self) -> pd.DataFrame:
        """One row per item: ``item, loading, uniqueness``."""
        return (
            pd.DataFrame({"loading": self.loadings, "uniqueness": self.uniqueness})
            .rename_axis("item")
            .reset_index()
        )

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe dict of the fields."""
        return json_safe(
            {
                "omega": self.omega,
                "omega_psych": self.omega_psych,
                "fm": self.fm,
                "loadings": self.loadings,
                "uniqueness": self.uniqueness,
                "reversed": list(self.reversed),
            }
        )


def omega_total(
    data: pd.DataFrame | None = None,
    *,
    corr: Any = None,
    fm: Literal["minres", "ml", "pa"] = "minres",
    flip: bool = True,
) -> OmegaResult:
    """McDonald's omega total of one construct from a one-factor fit.

    Parameters
    ----------
    data
        Item scores of one construct (or ``corr``, their correlation matrix); at least 3 items.
    fm
        One-factor extraction: ``"minres"`` (psych::omega's default), ``"ml"`` or ``"pa"``.
    flip
        Reverse items that load negatively on the factor before summing (psych's default).

    Examples
    --------
    >>> import numpy as np
    >>> lam = np.array([.8, .7, .6])
    >>> r = np.outer(lam, lam); np.fill_diagonal(r, 1)
    >>> res = omega_total(corr=r)
    >>> round(res.omega, 4), round(res.omega_psych, 4)
    (0.7449, 0.7449)
    """
    r, names, _ = correlation_input(data, corr=corr, where="omega_total")
    fit = efa(corr=pd.DataFrame(r, index=names, columns=names), n_factors=1, fm=fm, rotate="none")
    lam = fit.loadings.iloc[:, 0]
    reversed_items: tuple[str, ...] = ()
    if flip and bool((lam < 0).any()):
        key = np.where(lam.to_numpy() < 0, -1.0, 1.0)
        r = r * np.outer(key, key)
        lam = lam.abs()
        reversed_items = tuple(str(n) for n, k in zip(names, key) if k < 0)
        warnings.warn(
            CbecWarning(
                "omega_total: reverse-keyed item(s) "
                + ", ".join(reversed_items)
                + " were reversed before computing omega (as psych's flip = TRUE); "
                "pass flip=False to keep them as they are"
            ),
            stacklevel=2,
        )
    psi = 1 - lam**2
    s = float(lam.sum())
    omega = s**2 / (s**2 + float(psi.sum()))
    vt = float(r.sum())
    omega_psych = (vt - float(psi.sum())) / vt
    return OmegaResult(
        omega=omega,
        omega_psych=omega_psych,
        loadings=lam.rename("loading"),
        uniqueness=psi.rename("uniqueness"),
        fm=fm,
        reversed=reversed_items,
    )
