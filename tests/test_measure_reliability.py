"""CR / AVE (hand-worked and seed 000 Tables 1-2), Fornell-Larcker and HTMT (hand-worked)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from cbeclab.datasets.survey import yongkang_model
from cbeclab.errors import DataError
from cbeclab.measure import composite_reliability, fornell_larcker, htmt


def test_cr_ave_hand_worked() -> None:
    # lambda = .7, .8, .9: sum = 2.4, sum^2 = 5.76, errors = .51 + .36 + .19 = 1.06
    res = composite_reliability({"F": [0.7, 0.8, 0.9]}).table.loc["F"]
    assert res["cr"] == pytest.approx(5.76 / 6.82)
    assert res["ave"] == pytest.approx((0.49 + 0.64 + 0.81) / 3)
    assert res["sqrt_ave"] == pytest.approx(np.sqrt(1.94 / 3))
    assert bool(res["cr_ok"]) and bool(res["ave_ok"])
    weak = composite_reliability({"W": [0.4, 0.5]}).table.loc["W"]
    assert not bool(weak["ave_ok"]) and not bool(weak["cr_ok"])


def test_seed000_ave_from_table1_loadings() -> None:
    """Table 2 AVE from Table 1 loadings; F2/F3 loadings are partly printed to 2 dp (up to 0.004 off)."""
    m = yongkang_model()
    res = composite_reliability({c: m.items.loc[m.items_of(c), "loading"] for c in m.constructs}).table
    printed = m.construct_info["ave"]
    np.testing.assert_allclose(res["ave"], printed[res.index], atol=0.004)
    np.testing.assert_allclose(res.loc[["F1", "M", "Y"], "ave"], printed[["F1", "M", "Y"]], atol=0.0006)
    assert res.loc["F1", "cr"] == pytest.approx(3.721**2 / (3.721**2 + 5 - 2.788981))
    assert (res["cr"] > 0.84).all()


def test_fornell_larcker_seed000_table2() -> None:
    m = yongkang_model()
    res = fornell_larcker(m.latent_corr, ave=m.construct_info["ave"])
    diag = np.diag(res.table.to_numpy())
    # Table 2 diagonal (the paper took sqrt of the unrounded AVE, so allow 0.001)
    np.testing.assert_allclose(diag, [0.747, 0.789, 0.786, 0.805, 0.757], atol=0.001)
    assert res.table.loc["F3", "F2"] == pytest.approx(0.737)
    assert np.isnan(res.table.loc["F2", "F3"])  # upper triangle blank, as Table 2
    assert res.passed
    assert list(res.to_frame().columns[:2]) == ["construct", "AVE"]


def test_fornell_larcker_flags_violation_and_accepts_loadings() -> None:
    phi = pd.DataFrame(
        [[1, 0.75, 0.2], [0.75, 1, 0.3], [0.2, 0.3, 1]], index=list("ABC"), columns=list("ABC")
    )
    res = fornell_larcker(phi, loadings={"A": [0.7, 0.7, 0.7], "B": [0.9, 0.9], "C": [0.8, 0.8]})
    # sqrt(AVE_A) = 0.7 <= 0.75 -> A fails; sqrt(AVE_B) = 0.9 > 0.75 -> B passes
    assert [(v["construct"], v["other"]) for v in res.violations] == [("A", "B")]
    assert not res.passed
    with pytest.raises(DataError):
        fornell_larcker(phi)
    with pytest.raises(DataError):
        fornell_larcker(phi, ave={"A": 0.5, "B": 0.5})


def test_htmt_hand_worked() -> None:
    rng = np.random.default_rng(3)
    x = pd.DataFrame(rng.standard_normal((300, 5)), columns=["a1", "a2", "a3", "b1", "b2"])
    x["a2"] += x["a1"]
    x["a3"] += x["a1"] - 0.5 * x["b1"]
    x["b2"] += x["b1"]
    r = x.corr().abs()
    mono_a = np.mean([r.loc["a1", "a2"], r.loc["a1", "a3"], r.loc["a2", "a3"]])
    mono_b = r.loc["b1", "b2"]
    het = r.loc[["a1", "a2", "a3"], ["b1", "b2"]].to_numpy().mean()
    res = htmt(x, {"A": ["a1", "a2", "a3"], "B": ["b1", "b2"]})
    assert res.matrix.loc["A", "B"] == pytest.approx(het / np.sqrt(mono_a * mono_b))
    assert res.matrix.loc["B", "A"] == res.matrix.loc["A", "B"]
    geo = np.exp(np.log(r.loc[["a1", "a2", "a3"], ["b1", "b2"]].to_numpy()).mean())
    mono_a2 = np.exp(np.mean(np.log([r.loc["a1", "a2"], r.loc["a1", "a3"], r.loc["a2", "a3"]])))
    res2 = htmt(x, {"A": ["a1", "a2", "a3"], "B": ["b1", "b2"]}, htmt2=True)
    assert res2.matrix.loc["A", "B"] == pytest.approx(geo / np.sqrt(mono_a2 * mono_b))
    flagged = htmt(x, {"A": ["a1", "a2", "a3"], "B": ["b1", "b2"]}, cutoff=0.0)
    assert flagged.flagged[0][:2] == ("B", "A") and flagged.to_frame()["above_cutoff"].all()


def test_cr_rejects_heywood_loading() -> None:
    with pytest.raises(DataError, match="Heywood"):
        composite_reliability({"F": [0.8, 1.02]})
    with pytest.raises(DataError):
        htmt(pd.DataFrame({"a": [1.0, 2, 3]}), {"A": ["a", "zz"]})
