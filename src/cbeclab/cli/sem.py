"""``cbeclab sem MODEL DATA --json OUT``: fit a lavaan-syntax SEM and write the estimates.

``--estimator ML|MLR|MLM|WLSMV|ULSMV``, ``--ordered a,b,c`` (or ``all``; WLSMV unless an estimator
is given, as lavaan), ``--missing listwise|ml|ml.x`` and ``--meanstructure`` are lavaan's options of
the same names.

MODEL is a text file of lavaan model syntax; DATA a CSV, XLSX or SPSS ``.sav`` table.  The summary
goes to stdout; ``--json`` writes ``params`` (lhs, op, rhs, label, est, se, z, pvalue, std_all,
ci_lower, ci_upper) and ``fit`` (chisq, df, pvalue, cfi, tli, nfi, ifi, rmsea, rmsea_ci_lower,
rmsea_ci_upper, srmr, gfi, agfi, aic, bic, then every other ``fit_measures()`` key).  ``--bootstrap N``
runs :func:`cbeclab.sem.bootstrap.bootstrap` and, as lavaan ``se = "bootstrap"``, puts the bootstrap
SEs/CIs in ``params`` (the delta-method ones stay as ``*_delta``; the keys ``se``/``ci`` say which).
``--likelihood wishart`` uses N - 1 (AMOS); ``--amos`` prints AMOS's fit table.
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
    """The JSON document written by ``cbeclab sem --json`` (JSON-safe, NaN -> null).

    ``fit`` holds the main measures of :data:`FIT_KEYS` first, then every other measure
    ``fit_measures()`` has (lavaan's ``fitMeasures`` names with '.' written '_', e.g.
    ``chisq_scaled``, ``cfi_robust``).
    """
    params = [{k: _clean(r[k]) for k in PARAM_KEYS} for r in result.params.to_dict(orient="records")]
    fm = result.fit_measures()
    fit = {k: _clean(fm[k]) for k in FIT_KEYS if k in fm}  # no logl / AIC / BIC for WLSMV / ULSMV
    fit.update({k: _clean(v) for k, v in fm.items() if k not in fit})
    ordinal = getattr(result, "ordinal", None)
    doc: dict[str, Any] = {
        "made_by": "cbeclab sem (lavaan-compatible; lavaan 0.6 sem() defaults)",
        "estimator": getattr(result, "estimator", "ML"),
        "likelihood": getattr(result, "likelihood", "normal"),
        "se": "robust.sem" if ordinal is not None else "standard",
        "ci": "wald (delta method)",
        "missing": getattr(result, "missing", "listwise"),
        "nobs": result.nobs,
        "n_dropped": result.n_dropped,
        "missing_patterns": result.to_dict().get("missing_patterns", []),
        "converged": result.converged,
        "params": params,
        "fit": fit,
        "r2": {str(k): _clean(float(v)) for k, v in result.r2.items()},
        "warnings": list(result.warnings),
    }
    if ordinal is not None:  # lavaan: test = "scaled.shifted", parameterization = "delta"
        st = ordinal.stats
        doc["ordered"] = [v for v, o in zip(st.names, st.ordered, strict=True) if o]
        doc["test"] = "scaled.shifted"
        doc["parameterization"] = ordinal.parameterization
    return doc


def use_bootstrap_se(
    doc: dict[str, Any],
    boot: pd.DataFrame,
    model_se: str = "standard errors of the fitted model (expected information)",
) -> None:
    """Put the bootstrap SEs and CIs in the main ``params`` table, as lavaan does with
    ``se = "bootstrap"``: ``se``, ``z``, ``pvalue`` (normal, from the bootstrap SE), ``ci_lower`` and
    ``ci_upper`` become the bootstrap ones; the delta-method (expected-information) values move to
    ``se_delta``, ``z_delta``, ``pvalue_delta``, ``ci_lower_delta``, ``ci_upper_delta``.  The
    document-level keys ``se`` and ``ci`` name what the main columns hold, and ``se_columns``
    says where each set came from (``model_se``: which model-based SEs the ``*_delta`` columns hold,
    e.g. the robust sandwich under MLR).  Multi-group rows are matched by ``group`` as well.
    """
    from cbeclab.sem import dist as stats

    recs = boot.to_dict(orient="records")
    by_key = {(r["lhs"], r["op"], r["rhs"], str(r.get("group", ""))): r for r in recs}
    by_def = {r["lhs"]: r for r in recs if r["op"] == ":="}
    for row in doc["params"]:
        key = (row["lhs"], row["op"], row["rhs"], str(row.get("group") or ""))
        b = by_def.get(row["lhs"]) if row["op"] == ":=" else by_key.get(key)
        for k in ("se", "z", "pvalue", "ci_lower", "ci_upper"):
            row[f"{k}_delta"] = row.get(k)
        if b is None:
            continue
        se = _clean(float(b["se"]))
        est = row.get("est")
        free = se is not None and se > 0 and est is not None
        row["se"] = se
        row["z"] = est / se if free else None
        row["pvalue"] = _clean(float(2.0 * stats.norm.sf(abs(est / se)))) if free else None
        row["ci_lower"] = _clean(float(b["ci_lower"]))
        row["ci_upper"] = _clean(float(b["ci_upper"]))
    ci = boot.attrs.get("ci", "bc")
    doc["se"] = "bootstrap"
    doc["ci"] = f"bootstrap {ci}"
    doc["se_columns"] = {
        "se, z, pvalue, ci_lower, ci_upper": f"bootstrap ({doc['bootstrap']['n_boot']} draws, {ci} CI)",
        "se_delta, z_delta, pvalue_delta, ci_lower_delta, ci_upper_delta": model_se
        + "; defined (:=) parameters by the delta method; Wald CIs",
    }


@main.command("sem")
@click.argument("model", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.argument("data", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "--json", "json_out", type=click.Path(dir_okay=False, path_type=Path), help="Write results as JSON."
)
@click.option("--std-lv", is_flag=True, help="Scale latent variables by fixing their variances to 1.")
@click.option(
    "--estimator",
    type=click.Choice(["ML", "MLR", "MLM", "WLSMV", "ULSMV"], case_sensitive=False),
    default=None,
    help="ML (default); MLR (robust SEs, Yuan-Bentler test); MLM (Satorra-Bentler); with --ordered "
    "WLSMV (default) or ULSMV, as lavaan.",
)
@click.option(
    "--ordered",
    "ordered",
    default=None,
    help="Ordered (ordinal) items, comma separated, or 'all': thresholds and polychoric correlations, "
    "fitted by WLSMV / ULSMV (lavaan ordered =).",
)
@click.option(
    "--parameterization",
    type=click.Choice(["delta", "theta"], case_sensitive=False),
    default="delta",
    show_default=True,
    help="Scale of the ordered items' latent responses: delta (unit variances) or theta (unit residual "
    "variances), as lavaan.",
)
@click.option(
    "--missing",
    type=click.Choice(["listwise", "ml", "ml.x", "pairwise"], case_sensitive=False),
    default="listwise",
    show_default=True,
    help="Missing data: listwise deletion, or full-information ML (ml; ml.x keeps rows with missing covariates).",
)
@click.option(
    "--meanstructure", is_flag=True, help="Show intercepts and means (automatic with --missing ml)."
)
@click.option(
    "--modindices",
    "modind",
    is_flag=True,
    help="Add modification indices (MI >= 3.84, largest first) with EPC and standardized EPC.",
)
@click.option("--group", "group", default=None, help="Data column with the groups of a multi-group fit.")
@click.option(
    "--group-equal",
    "group_equal",
    default="",
    help="Parameter kinds equal across groups, comma separated (loadings,intercepts,residuals,...).",
)
@click.option(
    "--invariance",
    is_flag=True,
    help="Measurement invariance with --group: configural, metric, scalar and strict models compared.",
)
@click.option(
    "--bootstrap", "n_boot", type=int, default=0, show_default=True, help="Bootstrap draws (0 = none)."
)
@click.option("--seed", type=int, default=0, show_default=True, help="Bootstrap seed.")
@click.option(
    "--ci", type=click.Choice(["bc", "perc"]), default="bc", show_default=True, help="Bootstrap CI."
)
@click.option("--scheduler", default=None, help="Dask scheduler address for the bootstrap (default: local).")
@click.option(
    "--columns",
    "columns",
    default=None,
    help="Map the model's observed variables to columns: first=C (by order, from column C) or "
    "'match=({item})' (the header containing the variable name), as a survey spec's data.columns.",
)
@click.option(
    "--likelihood",
    type=click.Choice(["normal", "wishart"], case_sensitive=False),
    default="normal",
    show_default=True,
    help="normal (N, lavaan default) or wishart (N - 1, as AMOS and lavaan likelihood='wishart').",
)
@click.option(
    "--amos",
    "amos_table",
    is_flag=True,
    help="Also print the fit table with AMOS's names (CMIN, DF, ... HOELTER).",
)
def sem_cmd(
    model: Path,
    data: Path,
    json_out: Path | None,
    std_lv: bool,
    estimator: str | None,
    ordered: str | None,
    parameterization: str,
    missing: str,
    meanstructure: bool,
    modind: bool,
    group: str | None,
    group_equal: str,
    invariance: bool,
    n_boot: int,
    seed: int,
    ci: str,
    scheduler: str | None,
    columns: str | None,
    likelihood: str,
    amos_table: bool,
) -> None:
    """Fit the lavaan-syntax MODEL file to DATA (CSV/XLSX/.sav) by maximum likelihood."""
    from cbeclab.io.atomic import atomic_write_text
    from cbeclab.io.readers import read_text
    from cbeclab.sem import Model

    syntax = read_text(model)  # UTF-8 (with or without BOM) or GB18030/GBK, as the data readers
    df = _read_data(data)
    if columns:
        from cbeclab.io.columns import map_columns, parse_column_option
        from cbeclab.sem.partable import build_partable

        opt = parse_column_option(columns)
        observed = [v for v in build_partable(syntax).ov_names]
        mapping = map_columns(
            observed,
            [str(c) for c in df.columns],
            first=opt.get("first"),
            match=opt.get("match"),
            where=f"{data} (--columns)",
        )
        clash = [v for v in observed if v in df.columns and mapping[v] != v]
        if clash:
            raise DataError(
                _(
                    "the file already has a column named {name}, and --columns maps {var} to {header}",
                    name=repr(clash[0]),
                    var=clash[0],
                    header=repr(mapping[clash[0]]),
                ),
                where=f"{data} (--columns)",
                fix=_("drop --columns, or rename that column"),
            )
        df = df.rename(columns={h: v for v, h in mapping.items()})
    if invariance and not group:
        raise SpecError(
            "--invariance needs --group", where="--invariance", fix="add --group COLUMN (e.g. --group size)"
        )
    ordered_arg: str | bool | None = True if (ordered or "").strip().lower() == "all" else ordered
    if ordered_arg and (group or n_boot or modind):
        raise SpecError(
            _("--ordered cannot be combined with --group, --bootstrap or --modindices yet"),
            where="--ordered",
            fix=_("drop --ordered to treat the items as continuous, or drop the other option"),
        )
    if ordered_arg is not None and ordered_arg is not True:
        from cbeclab.sem.partable import build_partable

        ov = build_partable(syntax).ov_names
        unknown = [v.strip() for v in str(ordered_arg).split(",") if v.strip() and v.strip() not in ov]
        if unknown:
            raise SpecError(
                _("--ordered names {v}, which the model does not use", v=", ".join(unknown)),
                where="--ordered",
                fix=_("list observed variables of the model (or 'all'): {v}", v=", ".join(ov)),
            )
    estimator = estimator.upper() if estimator else ("WLSMV" if ordered_arg else "ML")
    if group:
        _group_cmd(
            syntax, df, std_lv, estimator, missing, group, group_equal, invariance, json_out,
            (n_boot, seed, ci, scheduler, likelihood), modind,
        )  # fmt: skip
        return
    sem_model = Model(syntax, std_lv=std_lv)
    res = sem_model.fit(
        df,
        estimator=estimator,
        missing=missing.lower(),
        meanstructure=meanstructure or None,
        likelihood=likelihood.lower(),
        ordered=ordered_arg,
        parameterization=parameterization.lower(),
    )
    doc = sem_json(res)
    click.echo(res.summary())
    if amos_table:
        from cbeclab.sem.fit.amos import amos_fit_table

        click.echo(amos_fit_table(res).to_string(index=False))
    if modind:
        from cbeclab.sem.modindices import modindices

        mi = modindices(Model(syntax, std_lv=std_lv), df, missing=missing.lower(), minimum_value=3.84)
        mi = mi[["lhs", "op", "rhs", "mi", "epc", "sepc_all"]]
        click.echo("Modification indices (MI >= 3.84):")
        click.echo(mi.to_string(index=False, float_format=lambda v: f"{v:.3f}") if len(mi) else "  (none)")
        doc["modindices"] = [{k: _clean(v) for k, v in r.items()} for r in mi.to_dict(orient="records")]
    if n_boot:
        _check_boot(n_boot, likelihood)
        est, mis = estimator.upper(), missing.lower()
        if mis == "listwise" and not meanstructure:
            # complete-data ML (MLR/MLM have the same estimates): batched covariance refits
            run = _run_boot("cov", syntax, df, n_boot, seed, ci, scheduler, std_lv=std_lv, model=sem_model)
        else:
            run = _run_boot(
                "rows", syntax, df, n_boot, seed, ci, scheduler, std_lv=std_lv, estimator=est,
                missing=mis, meanstructure=meanstructure or None,
            )  # fmt: skip
        _attach_boot(doc, run, n_boot, seed, ci, _model_se(est, mis))
    if json_out is not None:
        atomic_write_text(json_out, json.dumps(doc, indent=2, ensure_ascii=False, allow_nan=False) + "\n")
        click.echo(_("wrote {path}", path=json_out), err=True)


def _group_cmd(
    syntax: str,
    df: pd.DataFrame,
    std_lv: bool,
    estimator: str,
    missing: str,
    group: str,
    group_equal: str,
    invariance: bool,
    json_out: Path | None,
    boot_opts: tuple[int, int, str, str | None, str],
    modind: bool = False,
) -> None:
    """Multi-group fit (and the invariance sequence) for ``cbeclab sem --group``."""
    from cbeclab.io.atomic import atomic_write_text
    from cbeclab.sem import Model
    from cbeclab.sem.multigroup import invariance as run_invariance

    n_boot, seed, ci, scheduler, likelihood = boot_opts
    if n_boot:
        _check_boot(n_boot, likelihood)
    eq = tuple(e.strip() for e in group_equal.split(",") if e.strip())
    model = Model(syntax, std_lv=std_lv)
    res = model.fit(df, estimator=estimator.upper(), missing=missing.lower(), group=group, group_equal=eq)
    doc = res.to_dict()
    doc["made_by"] = "cbeclab sem --group (lavaan-compatible multi-group fit)"
    fm = res.fit_measures()
    click.echo(
        f"Multi-group {res.estimator} fit, groups {', '.join(res.groups)} (n = {', '.join(map(str, res.nobs))}); "
        f"equal across groups: {', '.join(eq) or 'none'}"
    )
    click.echo(
        f"  chisq = {fm['chisq']:.3f}, df = {int(fm['df'])}, CFI = {fm['cfi']:.3f}, TLI = {fm['tli']:.3f}, "
        f"RMSEA = {fm['rmsea']:.3f}, SRMR = {fm['srmr']:.3f}"
    )
    cols = ["group", "lhs", "op", "rhs", "label", "est", "se", "std_all"]
    click.echo(res.params[cols].to_string(index=False, float_format=lambda v: f"{v:.3f}"))
    if invariance:
        tab = run_invariance(model, df, group, estimator=estimator.upper(), missing=missing.lower())
        click.echo("\nMeasurement invariance:")
        click.echo(tab.to_string(index=False, float_format=lambda v: f"{v:.3f}"))
        doc["invariance"] = [{k: _clean(v) for k, v in r.items()} for r in tab.to_dict(orient="records")]
    if n_boot:
        est, mis = estimator.upper(), missing.lower()
        run = _run_boot(
            "rows", syntax, df, n_boot, seed, ci, scheduler, std_lv=std_lv, estimator=est, missing=mis,
            group=group, group_equal=eq,
        )  # fmt: skip
        _attach_boot(doc, run, n_boot, seed, ci, _model_se(est, mis))
    if modind:
        from cbeclab.sem.modindices import modindices

        mi = modindices(model, df, missing=missing.lower(), minimum_value=3.84, group=group, group_equal=eq)
        mi = mi[["lhs", "op", "rhs", "group", "mi", "epc", "sepc_all"]]
        click.echo(_("Modification indices (MI >= 3.84):"))
        click.echo(mi.to_string(index=False, float_format=lambda v: f"{v:.3f}") if len(mi) else "  (none)")
        doc["modindices"] = [{k: _clean(v) for k, v in r.items()} for r in mi.to_dict(orient="records")]
    if json_out is not None:
        atomic_write_text(json_out, json.dumps(doc, indent=2, ensure_ascii=False, allow_nan=False) + "\n")
        click.echo(f"wrote {json_out}", err=True)


def _check_boot(n_boot: int, likelihood: str) -> None:
    if n_boot < 0:
        raise SpecError(
            _("--bootstrap must be a positive number of draws"),
            where="--bootstrap",
            fix=_("e.g. {example}", example="5000"),
        )
    if likelihood.lower() != "normal":
        raise SpecError(
            _("--bootstrap works with --likelihood normal only (for now)"),
            where="--bootstrap",
            fix=_("drop --bootstrap, or drop --likelihood wishart"),
        )


def _model_se(estimator: str, missing: str) -> str:
    """Which model-based standard errors a fit of these options reports (lavaan's defaults)."""
    if estimator == "MLR":
        return "robust standard errors of the fitted model (Huber-White sandwich)"
    if estimator == "MLM":
        return "robust standard errors of the fitted model (Satorra-Bentler)"
    if missing != "listwise":
        return "standard errors of the fitted model (observed information, FIML)"
    return "standard errors of the fitted model (expected information)"


def _run_boot(
    kind: str,
    syntax: str,
    df: pd.DataFrame,
    n_boot: int,
    seed: int,
    ci: str,
    scheduler: str | None,
    **kw: Any,
) -> Any:
    """Run the covariance (``"cov"``) or row (``"rows"``) bootstrap with a progress bar on a TTY."""
    import sys

    from cbeclab.sem.bootstrap import bootstrap, tqdm_progress
    from cbeclab.sem.resample import keep_freed_memory

    keep_freed_memory()  # this process may refit in-process (one core)
    progress = tqdm_progress(n_boot, file=sys.stderr, leave=False) if sys.stderr.isatty() else None
    method: Any = ci  # "bc" | "perc" (click.Choice)
    if kind == "cov":
        model = kw.get("model") or syntax  # the fitted Model: its parameter table is reused
        return bootstrap(
            model, df, n_boot, seed, ci=method, std_lv=kw["std_lv"], scheduler=scheduler, progress=progress
        )
    from cbeclab.sem import Model
    from cbeclab.sem.rowboot import bootstrap_rows

    kw.pop("model", None)
    model = Model(syntax, std_lv=kw.pop("std_lv"))
    return bootstrap_rows(model, df, n_boot, seed, ci=method, scheduler=scheduler, progress=progress, **kw)


def _attach_boot(doc: dict[str, Any], boot: Any, n_boot: int, seed: int, ci: str, model_se: str) -> None:
    frame = boot.to_frame()
    doc["bootstrap"] = boot.to_dict(frame=frame)
    use_bootstrap_se(doc, frame, model_se)
    click.echo(_("Bootstrap ({n} draws, seed {seed}, {ci} CI):", n=n_boot, seed=seed, ci=ci))
    click.echo(frame.to_string(index=False))
