"""Standardized and raw root mean square residual (no mean structure).

    SRMR (Bentler) = sqrt(mean over i <= j of ((s_ij - sigma_ij) / sqrt(s_ii s_jj))^2)
    RMR            = sqrt(mean over i <= j of (s_ij - sigma_ij)^2)
    CRMR           = the SRMR of correlation residuals over i < j (diagonal excluded)
    SRMR (Mplus)   = off-diagonal residuals of correlations (r_ij - rho_ij) and diagonal
                     (s_ii - sigma_ii) / s_ii, mean over i <= j

With a mean structure the mean residuals join the sum (divided by sqrt(s_ii) for the standardized
versions; Mplus's form uses m_i / sqrt(s_ii) - mu_i / sqrt(sigma_ii)) and the count grows by p;
the ``_nomean`` variants leave them out.  lavaan's ``srmr`` is ``srmr_bentler``.  Source: Bentler (1995); lavaan ``lav_fit_srmr.R``.
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
    out = {
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
    if state.has_means:
        assert state.mean_S is not None and state.mean_Sigma is not None
        dm = state.mean_S - state.mean_Sigma
        k = len(iu[0])
        out["rmr"] = math.sqrt((float(np.sum((S - Sig)[iu] ** 2)) + float(np.sum(dm**2))) / (k + p))
        out["srmr"] = out["srmr_bentler"] = math.sqrt(
            (float(np.sum(R[iu] ** 2)) + float(np.sum((dm / sd) ** 2))) / (k + p)
        )
        out["crmr"] = math.sqrt(
            (float(np.sum(Rc[iu1] ** 2)) + float(np.sum((dm / sd) ** 2))) / (len(iu1[0]) + p)
        )
        dm_mplus = state.mean_S / sd - state.mean_Sigma / sds
        out["srmr_mplus"] = math.sqrt(
            (float(np.sum(Rc[iu1] ** 2)) + float(np.sum(dres**2)) + float(np.sum(dm_mplus**2))) / (k + p)
        )
    return out
