"""Parallel analysis for the number of factors / components (Horn 1965), as psych::fa.parallel.

Observed eigenvalues:

* principal components: eigenvalues of the item correlation matrix ``R``;
* factors: eigenvalues of ``R`` with the communalities of a one-factor minres fit on the diagonal
  (psych's ``fa.values``; ``fa_method="smc"`` uses squared multiple correlations instead).

Random eigenvalues: ``n_iter`` data sets of ``n x p`` independent standard normals (seeded
``numpy.random.default_rng(seed)``), the same two kinds of eigenvalues each time. The suggested number
is the count of leading observed eigenvalues that exceed the random reference: the ``quantile``
(psych 2.2.9 default 0.95) or, with ``quantile=None``, the mean (Horn's original rule).

The random part can agree with psych only in distribution (different random streams), so tests check
the observed eigenvalues exactly against psych and the suggested number on data with a clear structure.
Source: Horn (1965); seed 000 §4.2 extracts 5 factors. Checked against: psych::fa.parallel 2.2.9
(``pe.values`` / ``fa.values`` in ``tests/fixtures/psych_*.json``).
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import pandas as pd

from cbeclab.errors import CbecWarning, DataError, SpecError
from cbeclab.i18n import _
from cbeclab.measure._common import correlation_input, json_safe, smc, sym_eigh
from cbeclab.measure.efa import efa

__all__ = ["ParallelResult", "parallel_analysis"]


@dataclass(frozen=True)
class ParallelResult:
    """Observed and random eigenvalues and the suggested numbers of factors and components."""

    table: pd.DataFrame  # index 1..p; pc_obs, pc_rand_mean, pc_rand_ref, fa_obs, fa_rand_mean, fa_rand_ref
    n_factors: int
    n_components: int
    n_iter: int
    quantile: float | None
    seed: int
    fa_method: str

    def to_frame(self) -> pd.DataFrame:
        """The eigenvalue table with a ``number`` column."""
        return self.table.rename_axis("number").reset_index()

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe dict of the table and settings."""
        return json_safe(
            {
                "n_factors": self.n_factors,
                "n_components": self.n_components,
                "n_iter": self.n_iter,
                "quantile": self.quantile,
                "seed": self.seed,
                "fa_method": self.fa_method,
                "table": self.table.reset_index().to_dict(orient="list"),
            }
        )


def _fa_values(r: np.ndarray, method: str) -> np.ndarray:
    if method == "smc":
        rr = r.copy()
        np.fill_diagonal(rr, smc(r))
        return sym_eigh(rr)[0]
    return efa(corr=r, n_factors=1, fm="minres", rotate="none").values


def _count_above(obs: np.ndarray, ref: np.ndarray) -> int:
    """psych: ``which(!(obs > ref))[1] - 1`` -- leading eigenvalues above the reference."""
    below = np.flatnonzero(~(obs > ref))
    return int(below[0]) if below.size else int(obs.size)


def parallel_analysis(
    data: pd.DataFrame | None = None,
    *,
    corr: Any = None,
    n_obs: int | None = None,
    n_iter: int = 20,
    quantile: float | None = 0.95,
    seed: int = 0,
    fa_method: Literal["minres", "smc"] = "minres",
) -> ParallelResult:
    """Horn's parallel analysis with principal-component and common-factor eigenvalues.

    Parameters
    ----------
    data
        Raw item scores, or ``corr`` with ``n_obs``.
    n_iter
        Number of random data sets (psych default 20).
    quantile
        Reference quantile of the random eigenvalues (psych default 0.95); ``None`` = mean.
    seed
        Seed of the random-normal data sets.
    fa_method
        Observed/random factor eigenvalues from a one-factor minres fit (psych default) or with SMCs.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> rng = np.random.default_rng(0); f = rng.standard_normal((400, 2))
    >>> x = np.repeat(f, 4, axis=1) * 0.8 + rng.standard_normal((400, 8)) * 0.6
    >>> parallel_analysis(pd.DataFrame(x), n_iter=10).n_factors
    2
    """
    if fa_method not in ("minres", "smc"):
        raise SpecError(
            _("unknown fa_method {fa_method!r}", fa_method=fa_method),
            where="parallel_analysis(fa_method=)",
            fix=_("use 'minres' or 'smc'"),
        )
    if quantile is not None and not 0 < quantile < 1:
        raise SpecError(
            _("quantile must lie in (0, 1) or be None, got {quantile!r}", quantile=quantile),
            where="parallel_analysis(quantile=)",
        )
    if n_iter < 1:
        raise SpecError(
            _("n_iter must be >= 1, got {n_iter!r}", n_iter=n_iter), where="parallel_analysis(n_iter=)"
        )
    r, _unused, n = correlation_input(data, corr=corr, n_obs=n_obs, where="parallel_analysis")
    if n is None:
        raise DataError(
            _("sample size unknown"), where="parallel_analysis(n_obs=)", fix=_("pass n_obs= with corr=")
        )
    p = r.shape[0]
    pc_obs = sym_eigh(r)[0]
    fa_obs = _fa_values(r, fa_method)
    rng = np.random.default_rng(seed)
    pc_sim = np.empty((n_iter, p))
    fa_sim = np.empty((n_iter, p))
    for it in range(n_iter):
        z = rng.standard_normal((n, p))
        rs = np.asarray(np.corrcoef(z, rowvar=False), dtype=float)
        pc_sim[it] = sym_eigh(rs)[0]
        with warnings.catch_warnings():  # Heywood cases in pure noise are expected, psych ignores them
            warnings.simplefilter("ignore", CbecWarning)
            fa_sim[it] = _fa_values(rs, fa_method)
    if quantile is None:
        pc_ref, fa_ref = pc_sim.mean(axis=0), fa_sim.mean(axis=0)
    else:  # R's default quantile type 7 = numpy "linear"
        pc_ref = np.quantile(pc_sim, quantile, axis=0)
        fa_ref = np.quantile(fa_sim, quantile, axis=0)
    table = pd.DataFrame(
        {
            "pc_obs": pc_obs,
            "pc_rand_mean": pc_sim.mean(axis=0),
            "pc_rand_ref": pc_ref,
            "fa_obs": fa_obs,
            "fa_rand_mean": fa_sim.mean(axis=0),
            "fa_rand_ref": fa_ref,
        },
        index=pd.RangeIndex(1, p + 1, name="number"),
    )
    return ParallelResult(
        table=table,
        n_factors=_count_above(fa_obs, fa_ref),
        n_components=_count_above(pc_obs, pc_ref),
        n_iter=int(n_iter),
        quantile=quantile,
        seed=int(seed),
        fa_method=fa_method,
    )
