"""Seed 000's Yongkang survey model (datasets/yongkang.yaml) and the synthetic generator."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest

from cbeclab.datasets.survey import (
    nearest_correlation,
    synthetic_yongkang_survey,
    yongkang_implied_correlations,
    yongkang_model,
    yongkang_model_syntax,
)
from cbeclab.errors import DataError, SpecError


def test_model_encodes_seed000_tables() -> None:
    m = yongkang_model()
    assert m.n == 233
    assert m.constructs == ("F1", "F2", "F3", "M", "Y")
    assert [len(m.items_of(c)) for c in m.constructs] == [5, 6, 4, 5, 4]
    assert m.items["loading"].min() == pytest.approx(0.625)  # §4.2: minimum loading 0.625
    assert m.construct_info.loc["F2", "zh"] == "产业集群因素"
    assert m.latent_corr.loc["F3", "F2"] == pytest.approx(0.737)
    assert np.allclose(m.latent_corr, m.latent_corr.T)
    assert np.linalg.eigvalsh(m.latent_corr.to_numpy()).min() > 0  # Table 2 is already PD
    lam = m.loading_matrix()
    assert lam.shape == (24, 5) and ((lam > 0).sum(axis=1) == 1).all()
    assert m.to_frame().shape[0] == 24 and m.to_dict()["n"] == 233


def test_known_defect_table4_repeats_table2() -> None:
    """Six of seven Table 4 'path estimates' equal Table 2 correlations; F2->M is 0.374 vs 0.372."""
    m = yongkang_model()
    phi = m.latent_corr
    diffs = {(p["from"], p["to"]): p["est"] - phi.loc[p["to"], p["from"]] for _, p in m.paths.iterrows()}
    same = [k for k, d in diffs.items() if abs(d) < 1e-9]
    assert len(same) == 6
    assert diffs[("F2", "M")] == pytest.approx(0.002)
    ids = {d["id"] for d in m.raw["known_defects"]}
    assert {"table4_repeats_table2", "table3_gfi_cfi_swapped", "h4_reasoning"} <= ids


def test_generator_is_deterministic_and_labelled() -> None:
    a = synthetic_yongkang_survey(n=233, seed=0)
    b = synthetic_yongkang_survey(n=233, seed=0)
    c = synthetic_yongkang_survey(n=233, seed=1)
    pd.testing.assert_frame_equal(a, b)
    assert not a.equals(c)
    assert a.shape == (233, 24)
    assert list(a.columns) == list(yongkang_model().items.index)
    assert all(pd.api.types.is_integer_dtype(t) for t in a.dtypes)
    assert a.isin([1, 2, 3, 4, 5]).all().all()
    assert a.attrs["synthetic"] is True
    assert a.attrs["source"] == "synthetic" and a.attrs["seed"] == 0
    assert "SYNTHETIC" in a.attrs["generator"] and "seed 000" in a.attrs["generator"]
    assert "synthetic" in synthetic_yongkang_survey.__name__
    assert "SYNTHETIC" in (synthetic_yongkang_survey.__doc__ or "")


def test_marginals_are_plausible() -> None:
    df = synthetic_yongkang_survey(n=2000, seed=2)
    means = df.mean()
    assert means.between(3.4, 4.2).all()
    assert (df == 4).mean().min() > 0.3  # mode at "agree"
    assert (df == 1).mean().max() < 0.06


def test_large_sample_reproduces_implied_correlations() -> None:
    n = 20000
    iu = np.triu_indices(24, 1)
    lik = synthetic_yongkang_survey(n=n, seed=7).corr().to_numpy()
    imp = yongkang_implied_correlations().to_numpy()
    d = (lik - imp)[iu]
    # sampling sd of r is (1 - rho^2)/sqrt(n) <= 0.0071; 276 pairs -> max within ~4.5 sd
    assert np.abs(d).max() < 0.032
    assert abs(d.mean()) < 0.004
    cont = synthetic_yongkang_survey(n=n, seed=7, likert=False).corr().to_numpy()
    imp_c = yongkang_implied_correlations(likert=False).to_numpy()
    assert np.abs((cont - imp_c)[iu]).max() < 0.032
    # discretisation attenuates correlations, and the exact calculation knows by how much
    assert (imp[iu] < imp_c[iu]).all()


def test_implied_continuous_correlations_are_lambda_phi_lambda() -> None:
    m = yongkang_model()
    imp = yongkang_implied_correlations(likert=False)
    assert imp.loc["T11", "T12"] == pytest.approx(0.625 * 0.743)
    assert imp.loc["T11", "Y1"] == pytest.approx(0.625 * 0.771 * 0.094)
    assert imp.loc["M1", "M1"] == 1.0
    assert imp.shape == (24, 24) and list(imp.index) == list(m.items.index)


def test_nearest_correlation() -> None:
    bad = np.array([[1.0, 0.9, 0.1], [0.9, 1.0, 0.9], [0.1, 0.9, 1.0]])
    assert np.linalg.eigvalsh(bad).min() < 0
    fixed = nearest_correlation(bad)
    assert np.linalg.eigvalsh(fixed).min() > 0
    np.testing.assert_allclose(np.diag(fixed), 1.0)
    assert np.abs(fixed - bad).max() < 0.2
    good = yongkang_model().latent_corr.to_numpy()
    np.testing.assert_allclose(nearest_correlation(good), good)


def test_model_syntax() -> None:
    cfa = yongkang_model_syntax("cfa")
    sem = yongkang_model_syntax()
    items = re.findall(r"\b(?:T\d\d|M\d|Y\d)\b", cfa.split("=~", 1)[1])
    assert sorted(items) == sorted(yongkang_model().items.index)
    assert "~ " not in cfa.replace("=~", "") and ":=" not in cfa
    assert "M ~ a1*F1 + a2*F2 + a3*F3" in sem
    assert "Y ~ c1*F1 + c2*F2 + c3*F3 + b*M" in sem
    for i in (1, 2, 3):
        assert f"ind_F{i} := a{i}*b" in sem and f"tot_F{i} := c{i} + a{i}*b" in sem
    with pytest.raises(SpecError):
        yongkang_model_syntax("path")  # type: ignore[arg-type]


def test_cfa_syntax_recovers_loadings_with_semopy() -> None:
    import semopy  # dev dependency: an independent SEM implementation as a cross-check

    df = synthetic_yongkang_survey(n=3000, seed=11, likert=False)
    model = semopy.Model(yongkang_model_syntax("cfa"))
    model.fit(df)
    std = model.inspect(std_est=True)
    lam = std[(std["op"] == "~") & (std["rval"].isin(["F1", "F2", "F3", "M", "Y"]))]
    got = lam.set_index("lval")["Est. Std"]
    want = yongkang_model().items["loading"]
    assert np.abs(got[want.index].to_numpy() - want.to_numpy()).max() < 0.05


def test_bad_n() -> None:
    with pytest.raises(DataError):
        synthetic_yongkang_survey(n=0)
