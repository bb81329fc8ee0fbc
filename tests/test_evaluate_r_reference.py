"""cbeclab.evaluate against base-R reference values (tests/fixtures/evaluate_mcda.json).

The fixture is made by tests/fixtures/r/evaluate_mcda.R (base R only: sd(), cor(), eigen()); its first
field says so. CI has no R: the JSON is committed.
"""

from __future__ import annotations

import json
from fractions import Fraction
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from cbeclab.evaluate import compute_weights, grey_relational, topsis
from cbeclab.evaluate.weights.ahp import ahp

FIX = Path(__file__).parent / "fixtures" / "evaluate_mcda.json"
REF: dict[str, Any] = json.loads(FIX.read_text(encoding="utf-8"))
DATA = REF["data"]
X = pd.DataFrame(
    DATA["X"], index=pd.MultiIndex.from_arrays([DATA["entity"], DATA["period"]], names=["cluster", "year"])
)
DIRS = DATA["directions"]
TOL = 1e-12


def test_fixture_says_how_it_was_made() -> None:
    assert next(iter(REF)) == "how" and "evaluate_mcda.R" in REF["how"]


@pytest.mark.parametrize(
    ("key", "method", "kwargs"),
    [
        ("entropy_pooled", "entropy", {}),
        ("entropy_pooled_shift001", "entropy", {"shift": 0.01}),
        ("critic_pooled", "critic", {}),
        ("cv_pooled", "cv", {}),
    ],
)
def test_pooled_weights_match_r(key: str, method: str, kwargs: dict[str, Any]) -> None:
    w = compute_weights(X, DIRS, method, **kwargs).table.loc["pooled"]
    ref = pd.Series(REF[key])
    assert np.abs(w[ref.index].to_numpy() - ref.to_numpy()).max() < TOL


@pytest.mark.parametrize(
    ("key", "method"), [("entropy_per_entity", "entropy"), ("critic_per_entity", "critic")]
)
def test_per_entity_weights_match_r(key: str, method: str) -> None:
    w = compute_weights(X, DIRS, method, scope="per_entity")
    for ent, ref in REF[key].items():
        r = pd.Series(ref)
        assert np.abs(w.for_entity(ent)[r.index].to_numpy() - r.to_numpy()).max() < TOL


def test_topsis_and_grey_match_r() -> None:
    c = topsis(X, DIRS, "entropy").table["closeness"].to_numpy()
    assert np.abs(c - np.asarray(REF["topsis_vector_entropy_pooled"])).max() < TOL
    g = grey_relational(X, DIRS).grades["grade"].to_numpy()
    assert np.abs(g - np.asarray(REF["grey_ideal_pooled"])).max() < TOL


def test_ahp_matches_r_eigen() -> None:
    rows = [
        "1 5 3 7 6 6 1/3 1/4",
        "1/5 1 1/3 5 3 3 1/5 1/7",
        "1/3 3 1 6 3 4 6 1/5",
        "1/7 1/5 1/6 1 1/3 1/4 1/7 1/8",
        "1/6 1/3 1/3 3 1 1/2 1/5 1/6",
        "1/6 1/3 1/4 4 2 1 1/5 1/6",
        "3 5 1/6 7 5 5 1 1/2",
        "4 7 5 8 6 6 2 1",
    ]
    names = [f"c{i}" for i in range(8)]
    A = pd.DataFrame([[float(Fraction(x)) for x in r.split()] for r in rows], index=names, columns=names)
    res = ahp(A)
    ref = REF["ahp_saaty"]
    assert np.abs(res.weights.to_numpy() - np.asarray(ref["weights"])).max() < 1e-10
    assert res.lambda_max == pytest.approx(ref["lambda_max"], abs=1e-10)
    assert res.ci == pytest.approx(ref["CI"], abs=1e-10)
    assert res.cr == pytest.approx(ref["CR"], abs=1e-10)
