"""Benchmark: bootstrap of the seed-000 SEM (24 indicators, 5 factors, 3 mediation paths, n = 233).

Times, as whole commands (start-up included):

* ``cbeclab sem MODEL DATA --bootstrap B --seed 1 --json OUT`` (our CLI; all cores);
* ``Rscript benchmarks/r/boot_lavaan.R`` — lavaan ``sem(se = "bootstrap", bootstrap = B)`` with
  ``parallel = "no"`` and with ``parallel = "multicore", ncpus = 2``;
* semopy, which has no bootstrap: a plain loop of semopy fits on resamples, measured on a subset and
  extrapolated to B (labelled as such);
* a FIML row: ``cbeclab sem ... --missing ml --bootstrap B_FIML`` against lavaan ``missing = "ml"``,
  ``se = "bootstrap"`` (serial) on ``tests/fixtures/sem_likert_missing.csv`` (600 rows, ~5 % cells
  missing, a 3-factor mediation model);

then prints each peer's time over ours (the speed-up, from the same run) and compares the indirect
effects (point estimates, bias-corrected CI endpoints) of our in-process bootstrap with lavaan's, in
units of the Monte-Carlo SE of a CI endpoint, and the FIML percentile endpoints likewise.  The
machine load (``os.getloadavg``) is printed before and after: on a shared machine the ratio is only
meaningful when the load stayed low.

Usage::

    python benchmarks/bench_bootstrap.py [--boot 5000] [--boot-fiml 500] [--semopy-subset 50]
        [--skip-r] [--skip-semopy] [--skip-multicore] [--skip-fiml]

Data: ``cbeclab.datasets.survey.synthetic_yongkang_survey(n=233, seed=0)`` (SYNTHETIC), written to a
temporary CSV; model: ``yongkang_model_syntax()``.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent


#: CPU seconds (user + system, the command and its children) of the last run_timed call
CPU: dict[str, float] = {}


def run_timed(
    cmd: list[str], *, env: dict[str, str] | None = None
) -> tuple[float, subprocess.CompletedProcess]:
    """Wall time of a whole command; its CPU time goes to ``CPU["last"]`` (less sensitive to the
    load of other processes on a shared machine than the wall time)."""
    r0 = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, text=True, env=env, cwd=ROOT)
    wall = time.perf_counter() - t0
    r1 = resource.getrusage(resource.RUSAGE_CHILDREN)
    CPU["last"] = (r1.ru_utime - r0.ru_utime) + (r1.ru_stime - r0.ru_stime)
    return wall, proc


FIML_MODEL = (
    "A =~ a1 + a2 + a3 + a4\nB =~ b1 + b2 + b3 + b4\nC =~ c1 + c2 + c3 + c4\n"
    "B ~ a*A\nC ~ b*B + c*A\nind := a*b\ntotal := c + a*b\n"
)


def ours_cli(model: Path, data: Path, out: Path, B: int, *extra: str) -> float | None:
    exe = shutil.which("cbeclab")
    cmd = [exe] if exe else [sys.executable, "-c", "from cbeclab.cli import main; main()"]
    cmd += ["sem", str(model), str(data), "--bootstrap", str(B), "--seed", "1", "--json", str(out), *extra]
    secs, proc = run_timed(cmd)
    if proc.returncode != 0:
        print(f"  cbeclab sem failed ({proc.returncode}): {proc.stderr.strip()[-400:]}")
        return None
    return secs


def lavaan(
    model: Path, data: Path, out: Path, B: int, parallel: str, ncpus: int, missing: str = "listwise"
) -> float | None:
    script = HERE / "r" / "boot_lavaan.R"
    cmd = [
        "Rscript",
        str(script),
        str(data),
        str(model),
        str(out),
        str(B),
        parallel,
        str(ncpus),
        "1",
        missing,
    ]
    secs, proc = run_timed(cmd)
    if proc.returncode != 0:
        print(f"  lavaan failed ({proc.returncode}): {proc.stderr.strip()[-400:]}")
        return None
    return secs


def semopy_loop(syntax: str, df: pd.DataFrame, subset: int, B: int) -> tuple[float, float] | None:
    try:
        import semopy
    except ImportError:
        print("  semopy not installed: skipped")
        return None
    # semopy's parser does not read ':=' lines or labels
    lines = []
    for line in syntax.splitlines():
        line = line.split("#")[0].strip()
        if not line or ":=" in line:
            continue
        if "~" in line and "=~" not in line:
            lhs, rhs = line.split("~", 1)
            terms = [t.split("*")[-1].strip() for t in rhs.split("+")]
            line = f"{lhs.strip()} ~ {' + '.join(terms)}"
        lines.append(line)
    desc = "\n".join(lines)
    rng = np.random.default_rng(1)
    t0 = time.perf_counter()
    m = semopy.Model(desc)
    m.fit(df)
    t_first = time.perf_counter() - t0
    t0 = time.perf_counter()
    for _ in range(subset):
        d = df.iloc[rng.integers(0, len(df), len(df))].reset_index(drop=True)
        semopy.Model(desc).fit(d)
    per = (time.perf_counter() - t0) / subset
    return per, t_first + per * B


def compare(ours: pd.DataFrame, lav: dict, ci: str = "bca_simple") -> pd.DataFrame:
    tab = pd.DataFrame(lav[ci])
    tab = tab[tab["op"] == ":="].set_index("lhs")
    rows = []
    for name, r in tab.iterrows():
        o = ours.loc[name]
        rows.append(
            {
                "effect": name,
                "est_ours": o["est"],
                "est_lavaan": r["est"],
                "se_ours": o["se"],
                "se_lavaan": r["se"],
                "lo_ours": o["ci_lower"],
                "lo_lavaan": r["ci_lower"],
                "hi_ours": o["ci_upper"],
                "hi_lavaan": r["ci_upper"],
            }
        )
    return pd.DataFrame(rows)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--boot", type=int, default=5000)
    ap.add_argument("--semopy-subset", type=int, default=50)
    ap.add_argument("--skip-r", action="store_true")
    ap.add_argument("--skip-semopy", action="store_true")
    ap.add_argument("--skip-multicore", action="store_true")
    ap.add_argument("--skip-fiml", action="store_true")
    ap.add_argument("--boot-fiml", type=int, default=500)
    args = ap.parse_args()
    print(f"load average at start (1, 5, 15 min): {', '.join(f'{x:.2f}' for x in os.getloadavg())}")
    B = args.boot

    from cbeclab.datasets.survey import synthetic_yongkang_survey, yongkang_model_syntax
    from cbeclab.sem.bootstrap import bootstrap

    df = synthetic_yongkang_survey(n=233, seed=0)
    syntax = yongkang_model_syntax()
    tmp = Path(tempfile.mkdtemp(prefix="cbeclab-bench-boot-"))
    data_csv, model_file = tmp / "yongkang_synthetic.csv", tmp / "yongkang.lav"
    df.to_csv(data_csv, index=False)
    model_file.write_text(syntax + "\n", encoding="utf-8")
    print(
        f"seed-000 model, SYNTHETIC data n={len(df)}, {df.shape[1]} indicators; B={B}; cores={os.cpu_count()}"
    )

    times: dict[str, float] = {}
    cpu: dict[str, float] = {}
    print("\n[ours] cbeclab sem ... --bootstrap (whole command)")
    t = ours_cli(model_file, data_csv, tmp / "ours.json", B)
    if t is not None:
        times["cbeclab CLI"] = t
        cpu["cbeclab CLI"] = CPU["last"]
        print(f"  {t:8.2f} s   (CPU {CPU['last']:.2f} s)")

    print("[ours] in-process bootstrap() (for the comparison; excludes interpreter start-up)")
    t0 = time.perf_counter()
    res = bootstrap(syntax, df, n_boot=B, seed=1)
    t_in = time.perf_counter() - t0
    times["cbeclab in-process"] = t_in
    print(
        f"  {t_in:8.2f} s   failed resamples: {res.n_failed}   mean iterations/refit: {res.n_iter.mean():.1f}"
    )
    ours = res.to_frame(ci="bc")
    ours = ours[ours["op"] == ":="].set_index("lhs")

    lav_runs: dict[str, dict] = {}
    if args.skip_r:
        print("[lavaan] skipped (--skip-r)")
    elif shutil.which("Rscript") is None:
        print("[lavaan] Rscript not found: R comparison skipped")
    else:
        for label, par, nc in (("lavaan serial", "no", 1), ("lavaan multicore x2", "multicore", 2)):
            if nc > 1 and args.skip_multicore:
                continue
            print(f"[{label}] Rscript benchmarks/r/boot_lavaan.R (parallel={par}, ncpus={nc})")
            out = tmp / f"lav_{par}.json"
            t = lavaan(model_file, data_csv, out, B, par, nc)
            if t is not None:
                times[label] = t
                cpu[label] = CPU["last"]
                lav_runs[label] = json.loads(out.read_text())
                print(f"  {t:8.2f} s   (bootstrap inside R: {lav_runs[label]['seconds_fit']:.2f} s)")

    if not args.skip_semopy:
        print(f"[semopy] loop of fits on {args.semopy_subset} resamples, EXTRAPOLATED to {B}")
        r = semopy_loop(syntax, df, args.semopy_subset, B)
        if r is not None:
            per, total = r
            times[f"semopy loop (extrapolated from {args.semopy_subset})"] = total
            print(f"  {per * 1e3:8.1f} ms per fit -> {total:8.1f} s for {B}")

    fiml: dict[str, float] = {}
    if not args.skip_fiml:
        lk = ROOT / "tests" / "fixtures" / "sem_likert_missing.csv"
        fm = tmp / "fiml.lav"
        fm.write_text(FIML_MODEL, encoding="utf-8")
        Bf = args.boot_fiml
        print(f"\n[FIML] {lk.name} (n=600, ~5 % cells missing), 3 factors, B={Bf}")
        t = ours_cli(fm, lk, tmp / "ours_fiml.json", Bf, "--missing", "ml", "--ci", "perc")
        if t is not None:
            fiml["cbeclab CLI --missing ml"] = t
            cpu["cbeclab CLI --missing ml"] = CPU["last"]
            print(f"  cbeclab sem --missing ml --bootstrap {Bf}: {t:8.2f} s")
        if not args.skip_r and shutil.which("Rscript"):
            t = lavaan(fm, lk, tmp / "lav_fiml.json", Bf, "no", 1, "ml")
            if t is not None:
                fiml["lavaan serial missing=ml"] = t
                cpu["lavaan serial missing=ml"] = CPU["last"]
                print(f"  lavaan missing='ml' serial:          {t:8.2f} s")
        if len(fiml) == 2:
            ours_f = json.loads((tmp / "ours_fiml.json").read_text())["bootstrap"]["params"]
            lav_f = json.loads((tmp / "lav_fiml.json").read_text())["perc"]
            ob = {(r["lhs"], r["op"], r["rhs"]): r for r in ours_f}
            worst = 0.0
            for i, lhs in enumerate(lav_f["lhs"]):
                o = ob.get((lhs, lav_f["op"][i], lav_f["rhs"][i]))
                if o is None or not lav_f["se"][i]:
                    continue
                # MC-SE of a 2.5 % endpoint difference, two independent runs of Bf draws (normal approx.)
                mc = lav_f["se"][i] * math.sqrt(0.025 * 0.975 * 2 / Bf) / 0.05844
                for a, b in (("ci_lower", "ci_lower"), ("ci_upper", "ci_upper")):
                    worst = max(worst, abs(o[a] - lav_f[b][i]) / mc)
            print(
                f"  FIML percentile endpoints ('~' and ':=' rows): max |ours - lavaan| / MCSE = {worst:.2f}"
            )

    print("\nwall time and speed-up of the cbeclab CLI (peer time / ours, same run)")
    base = times.get("cbeclab CLI", times["cbeclab in-process"])
    for k, v in times.items():
        print(f"  {k:45s} {v:9.2f} s   x{v / base:7.1f}")
    for k, v in fiml.items():
        print(f"  {k:45s} {v:9.2f} s   x{v / fiml.get('cbeclab CLI --missing ml', math.nan):7.1f}")
    print("CPU time (user + system of each whole command, children included) and the same ratios")
    for k, v in cpu.items():
        ref = cpu.get("cbeclab CLI --missing ml" if "missing" in k else "cbeclab CLI", math.nan)
        print(f"  {k:45s} {v:9.2f} s   x{v / ref:7.1f}")
    print(f"load average at end (1, 5, 15 min): {', '.join(f'{x:.2f}' for x in os.getloadavg())}")

    if lav_runs:
        lav = lav_runs.get("lavaan serial") or next(iter(lav_runs.values()))
        cmp = compare(ours, lav)
        # Monte-Carlo SE of a CI endpoint q_p from B draws: sqrt(p(1-p)/B) / f(q_p), with p the
        # share of our draws below our endpoint and the density f(q_p) estimated from our own draws
        # by a +-1 % quantile difference; the difference of two independent bootstraps has sqrt(2)x.
        dnames = list(res.defined_params["lhs"])
        ok = res.converged

        def mcse(name: str, q: float) -> float:
            t = np.sort(res.defined_draws[ok, dnames.index(name)])
            p = float(np.clip(np.mean(t <= q), 0.011, 0.989))
            lo, hi = np.quantile(t, [p - 0.01, p + 0.01])
            f = 0.02 / max(hi - lo, 1e-300)
            return math.sqrt(2.0) * math.sqrt(p * (1 - p) / t.size) / f

        cmp["d_est"] = cmp["est_ours"] - cmp["est_lavaan"]
        cmp["d_lo/mcse"] = [
            (a - b) / mcse(e, a) for e, a, b in zip(cmp["effect"], cmp["lo_ours"], cmp["lo_lavaan"])
        ]
        cmp["d_hi/mcse"] = [
            (a - b) / mcse(e, a) for e, a, b in zip(cmp["effect"], cmp["hi_ours"], cmp["hi_lavaan"])
        ]
        cmp["se_ratio"] = cmp["se_ours"] / cmp["se_lavaan"]
        pd.set_option("display.width", 200)
        print("\nindirect/total effects, bias-corrected CIs: ours vs lavaan (different resamples)")
        print(cmp.round(4).to_string(index=False))
        print(
            f"  max |d_est| = {cmp['d_est'].abs().max():.2e}; max |d_CI|/MCSE = "
            f"{np.nanmax(np.abs(cmp[['d_lo/mcse', 'd_hi/mcse']].to_numpy())):.2f}"
        )
    print(f"\n(temporary files in {tmp})")


if __name__ == "__main__":
    main()
