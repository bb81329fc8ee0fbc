"""Shared check of cbeclab fit measures against a lavaan ``fitMeasures()`` fixture (test helper)."""

from __future__ import annotations

import math
from collections.abc import Mapping

#: fit measures compared relatively (they scale with n)
RELATIVE = {"chisq", "baseline_chisq", "logl", "unrestricted_logl", "aic", "bic", "bic2", "cn_05", "cn_01"}


def assert_fit_measures_agree(
    fm: Mapping[str, float], ref_fit: Mapping[str, float | None], tol: float = 1e-3
) -> None:
    """Every lavaan measure (``.`` -> ``_``) is in ``fm`` and agrees to ``tol`` (relative for RELATIVE)."""
    for k, v in ref_fit.items():
        k = k.replace(".", "_")
        if k == "ntotal":
            assert fm[k] == v
            continue
        assert k in fm, k
        if v is None:
            assert not math.isfinite(fm[k]), k
            continue
        t = tol * max(1.0, abs(v)) if k in RELATIVE else tol
        assert abs(fm[k] - v) <= t, (k, fm[k], v)
