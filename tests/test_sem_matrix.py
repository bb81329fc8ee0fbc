"""Issue 10's agreement matrix: every estimator / option against lavaan 0.6-14 to 1e-3 on est, se,
std.all and every fit measure lavaan prints, on at least two data sets each (one with missing
Likert answers).  Fixtures: tests/fixtures/r/sem_matrix.R (and the older sem_*.R scripts, read by
tests/sem_agreement.py); ``python tests/sem_agreement.py`` prints the table of
docs/sem-estimators.md."""

from __future__ import annotations

from collections import defaultdict

import pytest

from sem_agreement import (
    ISSUE_FEATURES,
    Case,
    diffs,
    fit_case,
    invariance_diffs,
    matrix_cases,
    mi_cases,
    modindices_diffs,
    older_cases,
    ref_file,
)

CASES = [*older_cases(), *matrix_cases()]
TOL = 1e-3


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_case_agrees(case: Case) -> None:
    d = diffs(case.ref, fit_case(case))
    assert d["matched"] == d["n_params"] == d["n_ours"], d
    for col in ("est", "se", "std_all", "fit"):
        assert d[col] < TOL, (col, d)
    assert d["n_fit"] >= 40
    assert not d["absent"], d["absent"]  # every measure lavaan prints is printed


def test_every_feature_on_two_data_sets() -> None:
    by: dict[str, set[str]] = defaultdict(set)
    for c in CASES:
        by[c.feature].add(c.data)
    for c in ref_file("sem_matrix.json")["invariance"].values():
        by[c["feature"]].add(c["data"])
    for c in mi_cases().values():
        by[c["feature"]].add(c["data"])
    assert set(by) <= {f for fs in ISSUE_FEATURES.values() for f in fs}, set(by)
    for issue, features in ISSUE_FEATURES.items():
        data = set().union(*(by[f] for f in features))
        assert len(data) >= 2, (issue, data)
        assert data & {"lk", "hsm"}, (issue, data)  # one data set with missing values (lk: Likert)


@pytest.mark.parametrize("name", list(ref_file("sem_matrix.json")["invariance"]))
def test_invariance_sequence(name: str) -> None:
    assert invariance_diffs(name)["fit"] < TOL


@pytest.mark.parametrize("name", list(mi_cases()))
def test_modindices(name: str) -> None:
    d = modindices_diffs(mi_cases()[name])
    assert d["matched"] == d["n_ref"] == d["n_ours"], d
    for col in ("mi", "epc", "sepc_all"):
        assert d[col] < TOL, (col, d)
