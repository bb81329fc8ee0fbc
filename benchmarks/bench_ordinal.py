"""Benchmark: ordinal SEM on a 30-item, 600-row five-point survey (6 factors x 5 items, SYNTHETIC).

Times, in the same run, best of ``--repeat``:

* cbeclab ``ordinal_stats`` (thresholds, 435 polychoric correlations and their NACOV) against lavaan
  ``lavCor(d, ordered = names(d))`` (thresholds and polychorics only, no NACOV: a lighter job);
* a whole WLSMV fit (``Model(...).fit(d, ordered=True)``: statistics, DWLS, robust SEs, scaled test,
  fit measures) against lavaan ``cfa(model, d, ordered = TRUE, estimator = "WLSMV")``.

lavaan is timed inside R with ``system.time`` (start-up of R excluded), cbeclab inside Python.  The
script also prints the largest difference of the polychoric matrices and of chisq.scaled.

Usage::

    python benchmarks/bench_ordinal.py [--n 600] [--repeat 3] [--skip-r]
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import tempfile
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
from _common import best_of


def make_survey(n: int, n_f: int = 6, k: int = 5, seed: int = 0) -> tuple[pd.DataFrame, str]:
    """Correlated factors, loadings 0.55-0.85, items cut into five categories (SYNTHETIC)."""
    rng = np.random.default_rng(seed)
    phi = np.full((n_f, n_f), 0.4) + 0.6 * np.eye(n_f)
    F = rng.multivariate_normal(np.zeros(n_f), phi, size=n)
    cols, lines = {}, []
    cuts = np.array([-1.6, -0.7, 0.3, 1.2])
    for f in range(n_f):
        names = []
        for j in range(k):
            lam = rng.uniform(0.55, 0.85)
            y = lam * F[:, f] + np.sqrt(1 - lam**2) * rng.normal(size=n)
            name = f"q{f + 1}{j + 1}"
            cols[name] = np.searchsorted(cuts, y) + 1
            names.append(name)
        lines.append(f"F{f + 1} =~ " + " + ".join(names))
    return pd.DataFrame(cols), "\n".join(lines)


R_SCRIPT = r"""
suppressPackageStartupMessages(library(lavaan)); library(jsonlite)
args <- commandArgs(TRUE); d <- read.csv(args[1]); model <- readLines(args[2]); rep <- as.integer(args[3])
best <- function(expr) { b <- Inf; for (i in seq_len(rep)) b <- min(b, system.time(eval.parent(substitute(expr)))[["elapsed"]]); b }
t_cor <- best(R <- lavCor(d, ordered = names(d)))
t_fit <- best(fit <- cfa(paste(model, collapse = "\n"), data = d, ordered = names(d), estimator = "WLSMV"))
cat(toJSON(list(t_cor = t_cor, t_fit = t_fit, cor = unclass(R),
                chisq_scaled = unname(fitMeasures(fit, "chisq.scaled"))), digits = NA, auto_unbox = TRUE))
"""


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=600)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--skip-r", action="store_true")
    a = ap.parse_args()

    from cbeclab.sem import Model
    from cbeclab.sem.polychoric import ordinal_stats

    d, model = make_survey(a.n)
    names = list(d.columns)
    t_stats, st = best_of(lambda: ordinal_stats(d, names, names), a.repeat)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        t_fit, res = best_of(lambda: Model(model).fit(d, ordered=True), a.repeat)
    print(f"survey: {a.n} rows x {len(names)} five-point items, {len(names) * (len(names) - 1) // 2} pairs")
    print(f"cbeclab ordinal_stats (thresholds + polychorics + NACOV): {t_stats:.3f} s")
    print(f"cbeclab WLSMV fit (whole):                              {t_fit:.3f} s")
    if a.skip_r or shutil.which("Rscript") is None:
        print("lavaan: skipped (no Rscript or --skip-r)")
        return
    with tempfile.TemporaryDirectory() as tmp:
        csv, mod, rs = Path(tmp) / "d.csv", Path(tmp) / "m.lav", Path(tmp) / "b.R"
        d.to_csv(csv, index=False)
        mod.write_text(model)
        rs.write_text(R_SCRIPT)
        proc = subprocess.run(
            ["Rscript", str(rs), str(csv), str(mod), str(a.repeat)], capture_output=True, text=True
        )
    if proc.returncode != 0:
        print("lavaan failed:", proc.stderr[-500:])
        return
    r = json.loads(proc.stdout)
    print(f"lavaan lavCor (thresholds + polychorics, no NACOV):     {r['t_cor']:.3f} s")
    print(f"lavaan cfa(estimator = 'WLSMV') (whole):                {r['t_fit']:.3f} s")
    print(f"ratio lavCor / ordinal_stats: {r['t_cor'] / t_stats:.1f}x")
    print(f"ratio lavaan fit / cbeclab fit: {r['t_fit'] / t_fit:.1f}x")
    diff = float(np.abs(np.array(r["cor"]) - st.cor).max())
    print(f"max |polychoric difference|: {diff:.2e}")
    print(f"chisq.scaled: cbeclab {res.fit_measures()['chisq_scaled']:.6f}, lavaan {r['chisq_scaled']:.6f}")


if __name__ == "__main__":
    main()
