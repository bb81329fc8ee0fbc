"""``cbeclab sem MODEL DATA --json OUT``: fit a lavaan-syntax SEM by ML and write the estimates.

MODEL is a text file of lavaan model syntax; DATA a CSV, XLSX or SPSS ``.sav`` table.  The summary
goes to stdout; ``--json`` writes ``params`` (lhs, op, rhs, label, est, se, z, pvalue, std_all,
ci_lower, ci_upper) and ``fit`` (chisq, df, pvalue, cfi, tli, nfi, ifi, rmsea, rmsea_ci_lower,
rmsea_ci_upper, srmr, gfi, agfi, aic, bic).  ``--bootstrap N`` adds bootstrap SEs/CIs through
:func:`cbeclab.sem.bootstrap.bootstrap`.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import click
import pandas as pd

from cbeclab.cli import main
from cbeclab.errors import DataError, SpecError
from cbeclab.i18n import _

PARAM_KEYS = ("lhs", "op", "rhs", "label", "est", "se", "z", "pvalue", "std_all", "ci_lower", "ci_upper")
FIT_KEYS = (
    "chisq",
    "df",
    "pvalue",
    "cfi",
    "tli",
    "nfi",
    "ifi",
    "rmsea",
    "rmsea_ci_lower",
    "rmsea_ci_upper",
    "srmr",
    "gfi",
    "agfi",
    "aic",
    "bic",
)


def _read_data(path: Path) -> pd.DataFrame:
    try:
        from cbeclab.io.readers import read_table
    except ModuleNotFoundError:  # pragma: no cover - the io helper's module is present in the package
        suffix = path.suffix.lower()
        if suffix == ".sav":
            import pyreadstat

            df, _ = pyreadstat.read_sav(str(path))
            return df
        if suffix in (".xlsx", ".xlsm"):
            return pd.read_excel(path)
        return pd.read_csv(path)
    return read_table(path)


def _clean(x: Any) -> Any:
    if isinstance(x, float) and not math.isfinite(x):
        return None
    if hasattr(x, "item"):
        return _clean(x.item())
    return x


def sem_json(result: Any) -> dict[str, Any]:
    """The JSON document written by ``cbeclab sem --json`` (JSON-safe, NaN -> null)."""
    params = [{k: _clean(r[k]) for k in PARAM_KEYS} for r in result.params.to_dict(orient="records")]
    fm = result.fit_measures()
    return {
        "made_by": "cbeclab sem (lavaan-compatible ML; lavaan 0.6 sem() defaults)",
        "nobs": result.nobs,
        "n_dropped": result.n_dropped,
        "converged": result.converged,
        "params": params,
        "fit": {k: _clean(fm[k]) for k in FIT_KEYS},
        "r2": {str(k): _clean(float(v)) for k, v in result.r2.items()},
        "warnings": list(result.warnings),
    }


@main.command("sem")
@click.argument("model", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.argument("data", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "--json", "json_out", type=click.Path(dir_okay=False, path_type=Path), help="Write results as JSON."
)
@click.option("--std-lv", is_flag=True, help="Scale latent variables by fixing their variances to 1.")
@click.option(
    "--bootstrap", "n_boot", type=int, default=0, show_default=True, help="Bootstrap draws (0 = none)."
)
@click.option("--seed", type=int, default=0, show_default=True, help="Bootstrap seed.")
@click.option(
    "--ci", type=click.Choice(["bc", "perc"]), default="bc", show_default=True, help="Bootstrap CI."
)
@click.option("--scheduler", default=None, help="Dask scheduler address for the bootstrap (default: local).")
def sem_cmd(
    model: Path,
    data: Path,
    json_out: Path | None,
    std_lv: bool,
    n_boot: int,
    seed: int,
    ci: str,
    scheduler: str | None,
) -> None:
    """Fit the lavaan-syntax MODEL file to DATA (CSV/XLSX/.sav) by maximum likelihood."""
    from cbeclab.io.atomic import atomic_write_text
    from cbeclab.sem import Model

    try:
        syntax = model.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError:
        raise DataError(
            _("the model file is not UTF-8 text"), where=str(model), fix=_("save it as UTF-8")
        ) from None
    df = _read_data(data)
    res = Model(syntax, std_lv=std_lv).fit(df)
    doc = sem_json(res)
    click.echo(res.summary())
    if n_boot:
        if n_boot < 0:
            raise SpecError(
                _("--bootstrap must be a positive number of draws"),
                where="--bootstrap",
                fix=_("e.g. {example}", example="5000"),
            )
        import sys

        from cbeclab.sem.bootstrap import bootstrap, tqdm_progress

        progress = tqdm_progress(n_boot, file=sys.stderr, leave=False) if sys.stderr.isatty() else None
        boot = bootstrap(
            syntax,
            df,
            n_boot,
            seed,
            ci=ci,  # type: ignore[arg-type]
            std_lv=std_lv,
            scheduler=scheduler,
            progress=progress,
        )
        doc["bootstrap"] = boot.to_dict()
        if hasattr(boot, "to_frame"):
            click.echo(_("Bootstrap ({n} draws, seed {seed}, {ci} CI):", n=n_boot, seed=seed, ci=ci))
            click.echo(boot.to_frame().to_string(index=False))
    if json_out is not None:
        atomic_write_text(json_out, json.dumps(doc, indent=2, ensure_ascii=False, allow_nan=False) + "\n")
        click.echo(_("wrote {path}", path=json_out), err=True)
