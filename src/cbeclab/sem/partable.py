"""lavaan's parameter table: the one structure every SEM step reads and writes.

One row per model parameter, with lavaan's columns

``id, lhs, op, rhs, user, free, ustart, exo, label, plabel, start, est, se``

* ``user``: 1 written by the user, 0 added by the defaults below, 2 never (no ``==`` rows);
* ``free``: 0 for a fixed parameter, otherwise the 1-based position of the parameter in the free
  vector ``theta``.  Parameters that share a label share one position, so an equality constraint
  costs no extra machinery (lavaan instead keeps distinct ``free`` numbers plus ``==`` rows; both
  give the same estimates, standard errors and degrees of freedom);
* ``ustart``: the fixed value (or the user's start value) as written; NaN otherwise;
* ``exo``: 1 for the variances/covariances of exogenous observed covariates fixed at their sample
  values (``fixed.x = TRUE``).

Defaults are those of ``lavaan::sem()`` / ``lavaan::cfa()`` (lavaan 0.6 ``lavOptions``):
``auto.fix.first`` (first loading 1 unless ``std_lv``), ``std.lv`` (latent variances 1 instead),
``auto.fix.single`` (residual variance 0 for a single-indicator factor), ``auto.var`` (all residual
variances free), ``auto.cov.lv.x`` (covariances among exogenous latent variables free),
``auto.cov.y`` (residual covariances among "pure" dependent variables, observed or latent, free: a
pure dependent variable is on the left of ``~`` and on the right of no ``~``), ``fixed.x``
(covariates' (co)variances fixed at the sample values, not counted as free parameters), no mean
structure.

Checked against: ``lavaan::lavaanify(..., auto.var=TRUE, auto.fix.first=TRUE, auto.cov.lv.x=TRUE,
auto.cov.y=TRUE, fixed.x=TRUE)`` for the models in ``tests/test_sem_partable.py``.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import numpy as np
import pandas as pd

from cbeclab.errors import IdentificationError, ModelSyntaxError
from cbeclab.sem.syntax import ParsedModel, compile_expression, group_labels, parse_model, select_group

__all__ = ["ParTable", "build_partable"]

COLUMNS = ("id", "lhs", "op", "rhs", "user", "free", "ustart", "exo", "label", "plabel", "start", "est", "se")


@dataclass(frozen=True)
class ParTable:
    """Parameter table plus the variable sets derived from the model.

    Attributes
    ----------
    table
        ``DataFrame`` with :data:`COLUMNS` (``est``/``se`` NaN until fitted). ``:=`` rows come last.
    ov_names
        Observed variables in model order (exogenous covariates last), i.e. the rows of Sigma.
    lv_names
        Latent variables in order of definition.
    ov_x
        Exogenous observed covariates whose (co)variances are fixed at the sample values.
    ov_x_free
        Exogenous observed covariates under ``fixed_x=False``: their variances and covariances are
        free parameters, and lavaan's baseline model keeps their covariances free as well.
    n_free
        Length of the free-parameter vector ``theta``.
    definitions
        ``name -> expression`` for the ``:=`` parameters.
    """

    table: pd.DataFrame
    ov_names: tuple[str, ...]
    lv_names: tuple[str, ...]
    ov_x: tuple[str, ...]
    n_free: int
    definitions: dict[str, str] = field(default_factory=dict)
    parsed: ParsedModel | None = None
    meanstructure: bool = False
    ov_x_free: tuple[str, ...] = ()

    @property
    def n_moments(self) -> int:
        """Sample moments the model must reproduce: p(p+1)/2 minus the fixed covariate block
        (plus the p - q means with a mean structure)."""
        p = len(self.ov_names)
        q = len(self.ov_x)
        k = p * (p + 1) // 2 - q * (q + 1) // 2
        return k + (p - q if self.meanstructure else 0)

    @property
    def df(self) -> int:
        """Degrees of freedom: moments minus free parameters."""
        return self.n_moments - self.n_free

    def to_frame(self) -> pd.DataFrame:
        """A copy of the table."""
        return self.table.copy()

    def to_dict(self) -> dict[str, object]:
        """JSON-safe dict (NaN -> None)."""
        rows = self.table.astype(object).where(self.table.notna(), None).to_dict(orient="records")
        return {
            "params": rows,
            "ov_names": list(self.ov_names),
            "lv_names": list(self.lv_names),
            "ov_x": list(self.ov_x),
            "n_free": self.n_free,
        }


def _ordered(items: list[str]) -> list[str]:
    return list(dict.fromkeys(items))


def build_partable(
    model: str | ParsedModel,
    *,
    std_lv: bool = False,
    fixed_x: bool = True,
    auto_cov_y: bool = True,
    auto_cov_lv_x: bool = True,
    auto_fix_single: bool = True,
    meanstructure: bool = False,
) -> ParTable:
    """Build the parameter table with ``lavaan::sem()`` defaults.

    Parameters
    ----------
    model
        lavaan syntax or an already parsed model.
    std_lv
        Scale latent variables by fixing their (residual) variances to 1 and free all loadings
        (lavaan ``std.lv``); otherwise the first loading of each factor is fixed to 1.
    fixed_x
        Treat exogenous observed covariates as fixed (lavaan ``fixed.x``, default TRUE in ``sem()``).
    auto_cov_y, auto_cov_lv_x, auto_fix_single
        lavaan's options of the same names (default TRUE in ``sem()``/``cfa()``).
    meanstructure
        Add the mean structure (lavaan ``meanstructure``): a ``~1`` row for every variable, observed
        intercepts free, latent means fixed at 0 (covariates' means fixed at their sample values
        under ``fixed_x``).  Any ``~ 1`` in the syntax switches it on, as in lavaan.

    Returns
    -------
    ParTable

    Raises
    ------
    ModelSyntaxError
        Duplicate parameters, a ``:=`` name clashing with a label, unknown labels in ``:=``.
    IdentificationError
        A latent variable without a scale, or more free parameters than sample moments.
    """
    parsed = parse_model(model) if isinstance(model, str) else model
    c_labels = group_labels(parsed)
    if any(t.groups for s in parsed.statements for t in s.terms):
        # c(...) modifiers: a one-group table shows the first group's (multi-group fits build one per group)
        n_grp = next(len(t.groups) for s in parsed.statements for t in s.terms if t.groups)
        parsed = select_group(parsed, 0, n_grp)
    # intercepts ('y ~ 1') become '~1' rows; the rest of the statement is an ordinary regression
    ints = [(s.lhs, t) for s in parsed.statements if s.op == "~" for t in s.terms if t.var == "1"]
    sts = tuple(
        replace(s, terms=tuple(t for t in s.terms if t.var != "1"))
        for s in parsed.statements
        if not (s.op == "~" and all(t.var == "1" for t in s.terms))
    )
    meanstructure = bool(meanstructure or ints)
    lv = _ordered([s.lhs for s in sts if s.op == "=~"])
    lvset = set(lv)
    indicators = _ordered([t.var for s in sts if s.op == "=~" for t in s.terms])
    eqs_y = _ordered([s.lhs for s in sts if s.op == "~"])
    eqs_x = _ordered([t.var for s in sts if s.op == "~" for t in s.terms])
    appear: list[str] = []
    for s in sts:
        appear.append(s.lhs)
        appear.extend(t.var for t in s.terms)
    appear.extend(v for v, _ in ints)
    ov_all = [v for v in _ordered(indicators + appear) if v not in lvset]
    ind_set = set(indicators)
    eqs_y_set = set(eqs_y)
    ov_x = [v for v in eqs_x if v not in lvset and v not in eqs_y_set and v not in ind_set]
    x_all = list(ov_x)
    # a covariate the user puts into a ~~ statement with a non-covariate is modelled freely (lavaan)
    ov_x_set = set(ov_x)
    for s in sts:
        if s.op == "~~":
            for t in s.terms:
                pair = {s.lhs, t.var}
                if pair & ov_x_set and not pair <= ov_x_set:
                    ov_x_set -= pair
    ov_x = [v for v in ov_x if v in ov_x_set]
    # fixed.x = FALSE: the covariates stay exogenous, but their (co)variances are free parameters
    ov_x_free: list[str] = []
    if not fixed_x:
        ov_x_free, ov_x, ov_x_set = x_all, [], set()
    ov = [v for v in ov_all if v not in ov_x_set and v not in ov_x_free] + ov_x_free + ov_x

    rows: list[dict[str, object]] = []
    seen: dict[tuple[str, str, str], int] = {}

    def key(lhs: str, op: str, rhs: str) -> tuple[str, str, str]:
        if op == "~~" and rhs < lhs:
            return (rhs, op, lhs)
        return (lhs, op, rhs)

    def add(lhs: str, op: str, rhs: str, user: int, **kw: object) -> None:
        k = key(lhs, op, rhs)
        if k in seen:
            if user:
                pos: tuple[int, int] = kw.pop("_pos", (0, 0))  # type: ignore[assignment]
                line, col = pos
                raise ModelSyntaxError(
                    f"the parameter '{lhs} {op} {rhs}' is specified twice",
                    where=f"model syntax line {line}, column {col}",
                    fix="keep one statement for each parameter",
                )
            return
        kw.pop("_pos", None)
        seen[k] = len(rows)
        row: dict[str, object] = {
            "lhs": lhs,
            "op": op,
            "rhs": rhs,
            "user": user,
            "fixed": None,
            "label": "",
            "start": None,
            "na": False,
            "exo": 0,
        }
        row.update(kw)
        rows.append(row)

    for s in sts:
        for t in s.terms:
            add(
                s.lhs,
                s.op,
                t.var,
                1,
                fixed=t.fixed,
                label=t.label or "",
                start=t.start,
                na=t.free,
                _pos=(t.line, t.col),
            )

    # factor scaling
    for f in lv:
        load_rows = [r for r in rows if r["op"] == "=~" and r["lhs"] == f]
        if not std_lv and load_rows:
            first = load_rows[0]
            if first["fixed"] is None and not first["na"]:
                first["fixed"] = 1.0
    # auto.fix.single: single-indicator factor -> residual variance of the indicator 0
    if auto_fix_single:
        for f in lv:
            load_rows = [r for r in rows if r["op"] == "=~" and r["lhs"] == f]
            if len(load_rows) == 1 and load_rows[0]["rhs"] not in lvset:
                x = str(load_rows[0]["rhs"])
                add(x, "~~", x, 0, fixed=0.0)
    # residual / total variances
    for v in ov:
        if v in ov_x_set:
            continue
        add(v, "~~", v, 0)
    for f in lv:
        add(f, "~~", f, 0, fixed=1.0 if std_lv else None)
    if std_lv:
        for r in rows:
            if r["op"] == "~~" and r["lhs"] == r["rhs"] and r["lhs"] in lvset and r["user"] == 1:
                if r["fixed"] is None and not r["na"]:
                    r["fixed"] = 1.0
    # covariances among exogenous latent variables
    lv_x = [f for f in lv if f not in eqs_y_set and f not in ind_set]
    if auto_cov_lv_x:
        for i in range(len(lv_x)):
            for j in range(i + 1, len(lv_x)):
                add(lv_x[i], "~~", lv_x[j], 0)
    if auto_cov_y:
        eqs_x_set = set(eqs_x)
        pure_y = [v for v in eqs_y if v not in eqs_x_set and v not in ind_set]
        ys = [v for v in ov if v in pure_y] + [f for f in lv if f in pure_y]
        for i in range(len(ys)):
            for j in range(i + 1, len(ys)):
                add(ys[i], "~~", ys[j], 0)
    for i, a in enumerate(ov_x):
        for b in ov_x[i:]:
            add(a, "~~", b, 0, exo=1)
    for i, a in enumerate(ov_x_free):  # lavaan fixed.x = FALSE: free covariances among covariates
        for b in ov_x_free[i + 1 :]:
            add(a, "~~", b, 0)
    if meanstructure:
        for v, t in ints:
            add(
                v,
                "~1",
                "",
                1,
                fixed=t.fixed,
                label=t.label or "",
                start=t.start,
                na=t.free,
                _pos=(t.line, t.col),
            )
        # lavaan: observed intercepts free (covariates' means fixed at the sample means under fixed.x),
        # latent means fixed at 0 unless the user frees them
        for v in ov:
            add(v, "~1", "", 0, exo=int(v in ov_x_set))
        for f in lv:
            add(f, "~1", "", 0, fixed=0.0)

    # free indices, shared by label
    free_idx: list[int] = []
    label_idx: dict[str, int] = {}
    n_free = 0
    for r in rows:
        if r["fixed"] is not None or r["exo"]:
            free_idx.append(0)
            continue
        lab = str(r["label"])
        if lab and lab in label_idx:
            free_idx.append(label_idx[lab])
            continue
        n_free += 1
        if lab:
            label_idx[lab] = n_free
        free_idx.append(n_free)

    # definitions
    labels = {str(r["label"]) for r in rows if r["label"]}
    defs: dict[str, str] = {}
    def_rows = []
    for d in parsed.definitions:
        if d.name in labels or d.name in defs:
            raise ModelSyntaxError(
                f"the defined parameter {d.name!r} has the name of an existing label",
                where=f"model syntax line {d.line}, column {d.col}",
                fix="choose a new name on the left of ':='",
            )
        compile_expression(d.expr, d.line, d.col)
        for n in d.names:
            if n not in labels and n not in defs and n not in c_labels:
                raise ModelSyntaxError(
                    f"the label {n!r} used in '{d.name} := {d.expr}' is not defined",
                    where=f"model syntax line {d.line}, column {d.col}",
                    fix=f"label a parameter with {n}*variable, or define {n} with := earlier",
                )
        defs[d.name] = d.expr
        def_rows.append(d)

    nrow = len(rows)
    table = pd.DataFrame(
        {
            "id": np.arange(1, nrow + 1),
            "lhs": [r["lhs"] for r in rows],
            "op": [r["op"] for r in rows],
            "rhs": [r["rhs"] for r in rows],
            "user": [int(r["user"]) for r in rows],  # type: ignore[call-overload]
            "free": free_idx,
            "ustart": [
                float(r["fixed"])  # type: ignore[arg-type]
                if r["fixed"] is not None
                else (float(r["start"]) if r["start"] is not None else np.nan)  # type: ignore[arg-type]
                for r in rows
            ],
            "exo": [int(r["exo"]) for r in rows],  # type: ignore[call-overload]
            "label": [str(r["label"]) for r in rows],
            "plabel": [f".p{i}." for i in range(1, nrow + 1)],
        }
    )
    if def_rows:
        dtab = pd.DataFrame(
            {
                "id": np.arange(nrow + 1, nrow + len(def_rows) + 1),
                "lhs": [d.name for d in def_rows],
                "op": ":=",
                "rhs": [d.expr for d in def_rows],
                "user": 1,
                "free": 0,
                "ustart": np.nan,
                "exo": 0,
                "label": [d.name for d in def_rows],
                "plabel": "",
            }
        )
        table = pd.concat([table, dtab], ignore_index=True)
    table["start"] = np.nan
    table["est"] = np.nan
    table["se"] = np.nan

    pt = ParTable(
        table=table,
        ov_names=tuple(ov),
        lv_names=tuple(lv),
        ov_x=tuple(ov_x),
        n_free=n_free,
        ov_x_free=tuple(ov_x_free),
        definitions=defs,
        parsed=parsed,
        meanstructure=meanstructure,
    )
    check_identification(pt)
    return pt


def check_identification(pt: ParTable) -> None:
    """Necessary conditions for identification (lavaan checks the same two before fitting).

    1. Every latent variable has a scale: a loading fixed to a non-zero value, or its variance fixed.
    2. The number of free parameters does not exceed the number of sample moments, p(p+1)/2
       (minus the fixed covariate block).

    Raises
    ------
    IdentificationError
    """
    tab = pt.table
    for f in pt.lv_names:
        loads = tab[(tab["op"] == "=~") & (tab["lhs"] == f)]
        fixed_load = ((loads["free"] == 0) & (loads["ustart"].fillna(0) != 0)).any()
        var = tab[(tab["op"] == "~~") & (tab["lhs"] == f) & (tab["rhs"] == f)]
        fixed_var = bool((var["free"] == 0).any())
        if not fixed_load and not fixed_var:
            raise IdentificationError(
                f"the latent variable {f!r} has no scale: all its loadings and its variance are free",
                where=f"latent variable {f}",
                fix=f"fix one loading (e.g. {f} =~ 1*{loads['rhs'].iloc[0] if len(loads) else 'x'} + ...), "
                f"fix its variance ({f} ~~ 1*{f}), or use std_lv=True",
            )
    if pt.n_free > pt.n_moments:
        raise IdentificationError(
            f"the model has {pt.n_free} free parameters but the data give only {pt.n_moments} "
            f"sample moments (variances and covariances of {len(pt.ov_names)} observed variables)",
            where="model",
            fix="fix or equate parameters, drop paths or covariances, or add indicators",
        )
