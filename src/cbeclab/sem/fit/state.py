"""The fitted state every fit index reads (one object, built once per fit).

Checked against: lavaan 0.6-14 ``fitMeasures()`` (see ``tests/test_sem_fit.py``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

Array = NDArray[Any]


@dataclass(frozen=True)
class FitState:
    """Sample and model-implied covariance plus the counts the indices need.

    Attributes
    ----------
    S
        Sample covariance of the observed variables, divisor n (lavaan ``likelihood = "normal"``).
    Sigma
        Model-implied covariance at the estimates (same order).
    n
        Number of observations used (after listwise deletion).
    npar
        Free parameters (parameters sharing a label count once).
    n_moments
        Sample moments to reproduce: p(p+1)/2 minus the fixed covariate block.
    exo
        Positions of the covariates fixed at their sample values (``fixed.x``).
    """

    S: Array
    Sigma: Array
    n: int
    npar: int
    n_moments: int
    exo: tuple[int, ...] = ()

    @property
    def p(self) -> int:
        return int(self.S.shape[0])

    @property
    def df(self) -> int:
        return self.n_moments - self.npar

    @property
    def f_ml(self) -> float:
        """F_ML = log|Sigma| + tr(S Sigma^-1) - log|S| - p."""
        return ml_f(self.S, self.Sigma)

    @property
    def chisq(self) -> float:
        """n F_ML (lavaan uses N, not N - 1, with ``likelihood = "normal"``)."""
        return self.n * self.f_ml

    def baseline_sigma(self) -> Array:
        """Independence model: observed variances only (covariate block kept when ``fixed.x``)."""
        B = np.diag(np.diag(self.S))
        if self.exo:
            ix = np.ix_(self.exo, self.exo)
            B[ix] = self.S[ix]
        return B

    @property
    def baseline_df(self) -> int:
        return self.n_moments - (self.p - len(self.exo))

    @property
    def baseline_chisq(self) -> float:
        return self.n * ml_f(self.S, self.baseline_sigma())


def ml_f(S: Array, Sigma: Array) -> float:
    """ML discrepancy; ``inf`` when Sigma is not positive definite."""
    sign, ld = np.linalg.slogdet(Sigma)
    if sign <= 0:
        return math.inf
    _, ld_s = np.linalg.slogdet(S)
    return float(ld + np.trace(np.linalg.solve(Sigma, S)) - ld_s - S.shape[0])
