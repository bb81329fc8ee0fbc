"""Standardized and raw root mean square residual (no mean structure).

    SRMR (Bentler) = sqrt(mean over i <= j of ((s_ij - sigma_ij) / sqrt(s_ii s_jj))^2)
    RMR            = sqrt(mean over i <= j of (s_ij - sigma_ij)^2)
    CRMR           = the SRMR of correlation residuals over i < j (diagonal excluded)
    SRMR (Mplus)   = off-diagonal residuals of correlations (r_ij - rho_ij) and diagonal
                     (s_ii - sigma_ii) / s_ii, mean over i <= j

lavaan's ``srmr`` is ``srmr_bentler``.  Source: Bentler (1995); lavaan ``lav_fit_srmr.R``.
Checked against: lavaan 0.6-14 ``fitMeasures``.
"""

from __future__ import annotations

import math

import numpy as np

from cbeclab.sem.fit.state import FitState


def srmr(state: FitState) -> dict[str, float]:
    """``srmr, srmr_bentler, srmr_bentler_nomean, rmr, rmr_nomean, crmr, crmr_nomean, srmr_mplus,
    srmr_mplus_nomean``."""
    S, Sig = state.S, state.Sigma
    p = state.p
    iu = np.triu_indices(p)
    sd = np.sqrt(np.diag(S))
    R = (S - Sig) / np.outer(sd, sd)
    bentler = math.sqrt(float(np.mean(R[iu] ** 2)))
    rmr = math.sqrt(float(np.mean((S - Sig)[iu] ** 2)))
    iu1 = np.triu_indices(p, 1)
    sds = np.sqrt(np.diag(Sig))
    Rc = S / np.outer(sd, sd) - Sig / np.outer(sds, sds)
    crmr = math.sqrt(float(np.mean(Rc[iu1] ** 2))) if p > 1 else 0.0
    dres = (np.diag(S) - np.diag(Sig)) / np.diag(S)
    mplus = math.sqrt((float(np.sum(Rc[iu1] ** 2)) + float(np.sum(dres**2))) / (p * (p + 1) / 2))
    return {
        "rmr": rmr,
        "rmr_nomean": rmr,
        "srmr": bentler,
        "srmr_bentler": bentler,
        "srmr_bentler_nomean": bentler,
        "crmr": crmr,
        "crmr_nomean": crmr,
        "srmr_mplus": mplus,
        "srmr_mplus_nomean": mplus,
    }
