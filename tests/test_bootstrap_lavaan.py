"""CI arithmetic against R: boot::norm.inter and lavaan 0.6-14 on lavaan's own bootstrap draws.

Fixture: tests/fixtures/boot_lavaan.json, made by ``Rscript tests/fixtures/r/boot_lavaan.R``.
These comparisons are exact (same draws in, same numbers out), unlike the Monte-Carlo comparison of
whole bootstraps in ``test_mediation_lavaan.py``.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from cbeclab.sem.bootstrap import bc_ci, boot_se, norm_inter, percentile_ci

FIX = json.loads((Path(__file__).parent / "fixtures" / "boot_lavaan.json").read_text())


def test_fixture_says_how_it_was_made() -> None:
    assert FIX["made_by"].startswith("Rscript tests/fixtures/r/boot_lavaan.R")


def test_norm_inter_matches_boot_package() -> None:
    fv = FIX["fixed_vector"]
    t = np.array(fv["t"])
    np.testing.assert_allclose(norm_inter(t, fv["alpha"]), fv["norm_inter"], rtol=1e-13, atol=1e-15)


def test_perc_bc_sd_match_r_on_fixed_vector() -> None:
    fv = FIX["fixed_vector"]
    t = np.array(fv["t"])
    np.testing.assert_allclose(percentile_ci(t, fv["level"]), fv["perc"], rtol=1e-13)
    np.testing.assert_allclose(bc_ci(t, fv["est"], fv["level"]), fv["bca_simple"], rtol=1e-13)
    assert boot_se(t) == pytest.approx(fv["sd"], rel=1e-13)


def _lavaan_rows(block: dict) -> pd.DataFrame:
    tab = pd.DataFrame(block)
    return tab[tab["op"].isin(["~", "~~", ":="]) & (tab["se"] > 0)].reset_index(drop=True)


@pytest.mark.parametrize("ci", ["perc", "bca_simple"])
def test_intervals_match_lavaan_on_its_own_draws(ci: str) -> None:
    P = FIX["path"]
    names = P["draw_names"]
    D = np.column_stack([np.array(c, dtype=float) for c in P["draws"]])
    col = {nm: D[:, j] for j, nm in enumerate(names)}
    tab = _lavaan_rows(P[ci])
    key = tab["label"].where(tab["label"] != "", tab["lhs"] + tab["op"] + tab["rhs"])
    defined = {"ind": col["a"] * col["b"], "total": col["c"] + col["a"] * col["b"]}
    draws = np.column_stack([defined[k] if k in defined else col[k] for k in key])
    est = tab["est"].to_numpy()
    got = percentile_ci(draws) if ci == "perc" else bc_ci(draws, est)
    np.testing.assert_allclose(got[:, 0], tab["ci_lower"], rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(got[:, 1], tab["ci_upper"], rtol=1e-10, atol=1e-12)
    # lavaan's SE: divisor R for free parameters, R - 1 for defined ones
    is_def = tab["op"].eq(":=").to_numpy()
    se = np.where(is_def, boot_se(draws, ddof=1), boot_se(draws, ddof=0))
    np.testing.assert_allclose(se, tab["se"], rtol=1e-10)
