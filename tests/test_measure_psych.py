"""cbeclab.measure against R psych 2.2.9 / semTools 0.5-6 fixtures.

Fixtures (each JSON has a ``made_by`` field naming the script):
* ``psych_bfi10.json`` -- ``tests/fixtures/r/psych_bfi10.R`` on psych::bfi A1-A5, C1-C5 (complete cases,
  data in ``psych_bfi10.csv``);
* ``psych_yongkang.json`` -- ``tests/fixtures/r/psych_yongkang.R`` on ``psych_yongkang_synth.csv``
  = ``synthetic_yongkang_survey(n=233, seed=0)``.
Every statistic must agree to 1e-3 (loadings up to column sign and order, as printed by psych).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from cbeclab.datasets.survey import synthetic_yongkang_survey
from cbeclab.measure import (
    bartlett_sphericity,
    cronbach_alpha,
    describe_items,
    efa,
    htmt,
    kmo,
    omega_total,
    parallel_analysis,
)

FIX = Path(__file__).parent / "fixtures"
TOL = 1e-3
CASES = ["bfi10", "yongkang"]
N_FACTORS = {"bfi10": 2, "yongkang": 5}


def _load(case: str) -> tuple[dict[str, Any], pd.DataFrame]:
    ref = json.loads((FIX / f"psych_{case}.json").read_text(encoding="utf-8"))
    csv = "psych_bfi10.csv" if case == "bfi10" else "psych_yongkang_synth.csv"
    data = pd.read_csv(FIX / csv, comment="#")
    return ref, data


def _mat(m: dict[str, Any]) -> pd.DataFrame:
    return pd.DataFrame(np.array(m["values"], dtype=float), index=m["rows"], columns=m["cols"])


def _match_columns(ours: np.ndarray, ref: np.ndarray) -> tuple[list[int], np.ndarray]:
    """Permutation and signs that map our columns onto the reference columns (greedy best match)."""
    k = ref.shape[1]
    perm: list[int] = []
    signs = np.ones(k)
    free = list(range(k))
    for j in range(k):
        best = min(
            ((c, s) for c in free for s in (1.0, -1.0)),
            key=lambda cs: float(np.abs(cs[1] * ours[:, cs[0]] - ref[:, j]).max()),
        )
        perm.append(best[0])
        signs[j] = best[1]
        free.remove(best[0])
    return perm, signs


def test_fixtures_say_how_they_were_made() -> None:
    for case in CASES:
        ref, _ = _load(case)
        assert ref["made_by"].startswith("Rscript tests/fixtures/r/psych_")
        assert ref["psych_version"] == "2.2.9"
    assert (FIX / "psych_yongkang_synth.csv").read_text(encoding="utf-8").startswith("# made_by:")


def test_synthetic_fixture_csv_is_current_generator_output() -> None:
    _, data = _load("yongkang")
    pd.testing.assert_frame_equal(
        data, synthetic_yongkang_survey(233, 0).reset_index(drop=True), check_names=False
    )


@pytest.mark.parametrize("case", CASES)
def test_describe(case: str) -> None:
    ref, data = _load(case)
    exp = _mat(ref["describe"])
    got = describe_items(data).table
    for col in exp.columns:
        np.testing.assert_allclose(got[col].to_numpy(float), exp[col].to_numpy(), atol=TOL, err_msg=col)
    assert (got["missing"] == 0).all()


@pytest.mark.parametrize("case", CASES)
def test_alpha(case: str) -> None:
    ref, data = _load(case)
    names = {
        "raw.r": "raw_r",
        "std.r": "std_r",
        "r.cor": "r_cor",
        "r.drop": "r_drop",
        "mean": "mean",
        "sd": "sd",
    }
    drop_names = {
        "raw_alpha": "raw_alpha",
        "std.alpha": "std_alpha",
        "G6(smc)": "g6_smc",
        "average_r": "average_r",
        "S/N": "s_n",
        "alpha se": "alpha_se",
        "var.r": "var_r",
        "med.r": "med_r",
    }
    for scale in ref["alpha"]:
        res = cronbach_alpha(data[scale["items"]], reverse=scale["reversed"])
        tot = scale["total"]
        for theirs, ours in [
            ("raw_alpha", res.raw_alpha),
            ("std.alpha", res.std_alpha),
            ("G6(smc)", res.g6_smc),
            ("average_r", res.average_r),
            ("S/N", res.s_n),
            ("ase", res.ase),
            ("mean", res.mean),
            ("sd", res.sd),
            ("median_r", res.median_r),
        ]:
            assert ours == pytest.approx(tot[theirs], abs=TOL), theirs
        stats = _mat(scale["item_stats"])
        for theirs, ours in names.items():
            np.testing.assert_allclose(res.item_stats[ours].to_numpy(), stats[theirs].to_numpy(), atol=TOL)
        drop = _mat(scale["alpha_drop"])
        for theirs, ours in drop_names.items():
            np.testing.assert_allclose(res.alpha_drop[ours].to_numpy(), drop[theirs].to_numpy(), atol=TOL)


@pytest.mark.parametrize("case", CASES)
def test_kmo_and_bartlett(case: str) -> None:
    ref, data = _load(case)
    k = kmo(data)
    assert k.overall == pytest.approx(ref["kmo"]["MSA"], abs=TOL)
    np.testing.assert_allclose(k.msa.to_numpy(), ref["kmo"]["MSAi"], atol=TOL)
    b = bartlett_sphericity(data)
    assert b.chisq == pytest.approx(ref["bartlett"]["chisq"], abs=TOL)
    assert b.df == ref["bartlett"]["df"]
    assert b.p_value == pytest.approx(ref["bartlett"]["p_value"], abs=TOL)


@pytest.mark.parametrize("case", CASES)
@pytest.mark.parametrize("fm", ["pa", "ml"])
@pytest.mark.parametrize("rotate", ["varimax", "promax", "none"])
def test_efa(case: str, fm: str, rotate: str) -> None:
    ref, data = _load(case)
    exp = ref["fa"][f"{fm}_{rotate}"]
    res = efa(data, N_FACTORS[case], fm=fm, rotate=rotate)  # type: ignore[arg-type]
    want = _mat(exp["loadings"])
    got = res.loadings.to_numpy()
    perm, signs = _match_columns(got, want.to_numpy())
    np.testing.assert_allclose(got[:, perm] * signs, want.to_numpy(), atol=TOL)
    # psych's own order, names and signs are reproduced too
    assert perm == list(range(want.shape[1])) and (signs > 0).all()
    assert list(res.loadings.columns) == list(want.columns)
    np.testing.assert_allclose(res.communality.to_numpy(), exp["communality"], atol=TOL)
    np.testing.assert_allclose(res.uniqueness.to_numpy(), exp["uniquenesses"], atol=TOL)
    np.testing.assert_allclose(res.e_values, exp["e_values"], atol=TOL)
    np.testing.assert_allclose(res.values, exp["values"], atol=TOL)
    var = _mat(exp["Vaccounted"])
    np.testing.assert_allclose(res.variance.loc[var.index, var.columns].to_numpy(), var.to_numpy(), atol=TOL)
    if exp["Phi"] is None:
        assert res.phi is None
    else:
        phi = _mat(exp["Phi"])
        assert res.phi is not None
        np.testing.assert_allclose(res.phi.loc[phi.index, phi.columns].to_numpy(), phi.to_numpy(), atol=TOL)
    if fm == "pa":
        assert res.iterations == exp["iterations"]


@pytest.mark.parametrize("case", CASES)
def test_omega(case: str) -> None:
    ref, data = _load(case)
    blocks = list(ref["omega"]) + ([ref["omega_A2_A5"]] if "omega_A2_A5" in ref else [])
    for om in blocks:
        if case == "bfi10" and om["items"][0] in ("A1", "C1"):
            continue  # mixed-key scales: psych::omega flips items itself; covered by A2-A5
        x = data[om["items"]]
        res = omega_total(x)
        assert res.omega_psych == pytest.approx(om["omega_tot_psych"], abs=TOL)
        assert res.omega == pytest.approx(om["omega_model_minres"], abs=TOL)
        np.testing.assert_allclose(res.loadings.to_numpy(), om["minres_loadings"], atol=TOL)
        ml = omega_total(x, fm="ml")
        assert ml.omega == pytest.approx(om["omega_model_ml"], abs=TOL)


@pytest.mark.parametrize("case", CASES)
def test_parallel_observed_eigenvalues(case: str) -> None:
    ref, data = _load(case)
    res = parallel_analysis(data, n_iter=2)
    np.testing.assert_allclose(res.table["pc_obs"].to_numpy(), ref["parallel"]["pc_values"], atol=TOL)
    np.testing.assert_allclose(res.table["fa_obs"].to_numpy(), ref["parallel"]["fa_values"], atol=TOL)


@pytest.mark.parametrize("htmt2", [False, True])
def test_htmt_semtools(htmt2: bool) -> None:
    ref, data = _load("yongkang")
    exp = _mat(ref["htmt2" if htmt2 else "htmt"])
    res = htmt(data, ref["scales"], htmt2=htmt2)
    np.testing.assert_allclose(res.matrix.loc[exp.index, exp.columns].to_numpy(), exp.to_numpy(), atol=TOL)


def test_omega_reverse_keyed_item_is_flipped_as_psych() -> None:
    """psych::omega(flip = TRUE) reverses negatively loading items; flip = FALSE does not."""
    from cbeclab.errors import CbecWarning

    ref = json.loads((FIX / "psych_omega_flip.json").read_text())
    x = pd.read_csv(FIX / "psych_omega_flip.csv")
    with pytest.warns(CbecWarning, match="reverse-keyed item"):
        res = omega_total(x)
    assert res.reversed == ("c",)
    assert res.omega_psych == pytest.approx(ref["omega_tot_flip"], abs=1e-5)
    raw = omega_total(x, flip=False)
    assert raw.reversed == ()
    assert raw.omega_psych == pytest.approx(ref["omega_tot_noflip"], abs=1e-5)
    assert res.omega_psych > raw.omega_psych + 0.2
