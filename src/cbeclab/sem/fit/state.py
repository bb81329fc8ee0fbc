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
    exo_free
        Positions of the exogenous covariates of a ``fixed.x = FALSE`` model: lavaan's baseline
        model frees their covariances (checked: baseline.df of lavaan 0.6-14, ``sem(fixed.x=FALSE)``).
    mean_S, mean_Sigma
        Sample (under FIML: EM) and model-implied means when the model has a mean structure.
    logl_h0, logl_h1, logl_base
        Casewise log-likelihoods of the model, the saturated model and the baseline model (FIML);
        when given, ``chisq = 2 (logl_h1 - logl_h0)`` and ``baseline_chisq = 2 (logl_h1 - logl_base)``.
    scaling, baseline_scaling, test
        Scaling factors of a robust test (lavaan ``chisq.scaling.factor``) and its lavaan name.
    fiml
        True when the sample moments are the EM estimates of incomplete data.
    n_groups, baseline_free
        Number of groups (multi-group RMSEA is multiplied by sqrt(G), as lavaan) and the baseline
        model's free parameters when they are not those of one group.
    corrected
        Under FIML: the FIML-corrected statistics lavaan's ``.robust`` indices use
        (:mod:`cbeclab.sem.fit.fiml_corrected`).
    """

    S: Array
    Sigma: Array
    n: int
    npar: int
    n_moments: int
    exo: tuple[int, ...] = ()
    exo_free: tuple[int, ...] = ()
    mean_S: Array | None = None
    mean_Sigma: Array | None = None
    logl_h0: float | None = None
    logl_h1: float | None = None
    logl_base: float | None = None
    scaling: float | None = None
    baseline_scaling: float | None = None
    test: str = "standard"
    fiml: bool = False
    factor_h1: float | None = None
    factor_h0: float | None = None
    n_groups: int = 1
    baseline_free: int | None = None
    chisq_value: float | None = None
    baseline_chisq_value: float | None = None
    logl_h1_reported: float | None = None  # lavaan's unrestricted.logl when it differs (ml.x)
    fiml_gfi: tuple[Any, Array, Array] | None = None  # (Patterns, EM means, implied means) under FIML
    corrected: Any = None  # FIML-corrected statistics (cbeclab.sem.fit.fiml_corrected.FimlCorrected)

    @property
    def p(self) -> int:
        return int(self.S.shape[0])

    @property
    def df(self) -> int:
        return self.n_moments - self.npar

    @property
    def f_ml(self) -> float:
        """F_ML = log|Sigma| + tr(S Sigma^-1) - log|S| - p (chisq / n with likelihoods given)."""
        if self.logl_h0 is not None and self.logl_h1 is not None:
            return 2.0 * (self.logl_h1 - self.logl_h0) / self.n
        return ml_f(self.S, self.Sigma)

    @property
    def chisq(self) -> float:
        """n F_ML (lavaan uses N, not N - 1, with ``likelihood = "normal"``)."""
        if self.chisq_value is not None:
            return self.chisq_value
        return self.n * self.f_ml

    @property
    def has_means(self) -> bool:
        return self.mean_S is not None and self.mean_Sigma is not None

    def baseline_sigma(self) -> Array:
        """Independence model: observed variances only (covariate block kept when ``fixed.x``)."""
        B = np.diag(np.diag(self.S))
        for block in (self.exo, self.exo_free):
            if block:
                ix = np.ix_(block, block)
                B[ix] = self.S[ix]
        return B

    @property
    def baseline_df(self) -> int:
        if self.baseline_free is not None:
            return self.n_moments - self.baseline_free
        free = self.p - len(self.exo)
        k = len(self.exo_free)
        return self.n_moments - free * (2 if self.has_means else 1) - k * (k - 1) // 2

    @property
    def baseline_chisq(self) -> float:
        if self.baseline_chisq_value is not None:
            return self.baseline_chisq_value
        if self.logl_base is not None and self.logl_h1 is not None:
            return 2.0 * (self.logl_h1 - self.logl_base)
        return self.n * ml_f(self.S, self.baseline_sigma())


def ml_f(S: Array, Sigma: Array) -> float:
    """ML discrepancy; ``inf`` when Sigma is not positive definite."""
    sign, ld = np.linalg.slogdet(Sigma)
    if sign <= 0:
        return math.inf
    _, ld_s = np.linalg.slogdet(S)
    return float(ld + np.trace(np.linalg.solve(Sigma, S)) - ld_s - S.shape[0])
