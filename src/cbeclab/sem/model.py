"""Structural equation models in lavaan syntax, fitted by maximum likelihood (statsmodels manner).

>>> from cbeclab.sem import Model
>>> from cbeclab.datasets.classic import holzinger_swineford
>>> res = Model("visual =~ x1 + x2 + x3\\ntextual =~ x4 + x5 + x6\\nspeed =~ x7 + x8 + x9").fit(
...     holzinger_swineford())
>>> round(res.fit_measures()["chisq"], 3)
85.306

Defaults are those of ``lavaan::sem()`` (lavaan 0.6): ML on the covariance matrix with divisor n,
standard errors from the expected information, 95% Wald intervals, ``fixed.x = TRUE``, listwise
deletion of incomplete rows.  The estimation core and the fast bootstrap path are in
:mod:`cbeclab.sem.ml` (``Model(...).compile()``).

Checked against: lavaan 0.6-14 ``sem()``/``cfa()`` + ``parameterEstimates(standardized=TRUE)`` +
``fitMeasures()`` (fixtures ``tests/fixtures/sem_*.json`` made by ``tests/fixtures/r/sem_*.R``).
"""

from __future__ import annotations

import dataclasses
import difflib
import math
import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, overload

import numpy as np
import pandas as pd

from cbeclab.errors import CbecWarning, ConvergenceError, DataError, ModelSyntaxError, SpecError
from cbeclab.i18n import _
from cbeclab.sem import dist as stats
from cbeclab.sem.fit import FitState, fit_measures
from cbeclab.sem.fit.loglik import loglik
from cbeclab.sem.ml import Array, CompiledModel
from cbeclab.sem.partable import ParTable, build_partable
from cbeclab.sem.rsquare import r_square

if TYPE_CHECKING:
    from cbeclab.sem.multigroup import MultiGroupResult

__all__ = ["Model", "SEMResult"]

PARAM_COLUMNS = [
    "lhs",
    "op",
    "rhs",
    "label",
    "est",
    "se",
    "z",
    "pvalue",
    "ci_lower",
    "ci_upper",
    "std_lv",
    "std_all",
]


def _json_safe(x: Any) -> Any:
    if isinstance(x, dict):
        return {str(k): _json_safe(v) for k, v in x.items()}
    if isinstance(x, list | tuple):
        return [_json_safe(v) for v in x]
    if isinstance(x, np.integer | np.bool_):
        return x.item()
    if isinstance(x, float | np.floating):
        f = float(x)
        return None if not math.isfinite(f) else f
    return x


@dataclass(frozen=True)
class SEMResult:
    """A fitted model.

    Attributes
    ----------
    params
        lavaan ``parameterEstimates`` columns: lhs, op, rhs, label, est, se, z, pvalue, ci_lower,
        ci_upper, std_lv, std_all (fixed parameters: se 0, z/pvalue NaN, CI = est).
    partable
        The parameter table with ``start``, ``est`` and ``se`` filled in.
    theta, vcov
        Free-parameter vector and its covariance matrix (expected information).
    S, Sigma
        Sample (divisor n) and model-implied covariance of ``ov_names``.
    nobs, n_dropped
        Observations used; incomplete rows dropped (listwise deletion).
    r2
        R-square of every endogenous variable (observed and latent).
    warnings
        Heywood cases and other non-fatal problems (also issued as :class:`CbecWarning`).
    """

    params: pd.DataFrame
    partable: ParTable
    theta: Array
    vcov: Array
    S: Array
    Sigma: Array
    nobs: int
    n_dropped: int
    r2: pd.Series
    warnings: tuple[str, ...]
    converged: bool
    n_iter: int
    syntax: str
    std_lv: bool = False
    estimator: str = "ML"
    missing: str = "listwise"
    patterns: Any = None
    mean: Array | None = None
    mu: Array | None = None
    likelihood: str = "normal"
    ordinal: Any = field(default=None, repr=False)
    _fit: dict[str, float] = field(default_factory=dict, repr=False)

    def missing_patterns(self) -> pd.DataFrame:
        """lavaan's missing-data pattern table (one row per pattern: n, then 1 = observed); empty
        for listwise deletion."""
        if self.patterns is None:
            return pd.DataFrame()
        return self.patterns.to_frame()

    @property
    def ov_names(self) -> tuple[str, ...]:
        return self.partable.ov_names

    @property
    def bse(self) -> pd.Series:
        """Standard errors indexed like lavaan's ``lhs op rhs``."""
        idx = self.params["lhs"] + " " + self.params["op"] + " " + self.params["rhs"]
        return pd.Series(self.params["se"].to_numpy(), index=idx, name="se")

    def fit_state(self) -> FitState:
        """The state the fit indices read; under ``likelihood="wishart"`` the unbiased S and N - 1
        (lavaan)."""
        exo = tuple(self.ov_names.index(v) for v in self.partable.ov_x)
        wishart = self.likelihood == "wishart"
        return FitState(
            S=self.S * self.nobs / (self.nobs - 1) if wishart else self.S,
            Sigma=self.Sigma,
            n=self.nobs - 1 if wishart else self.nobs,
            npar=self.partable.n_free,
            n_moments=self.partable.n_moments,
            exo=exo,
            exo_free=tuple(self.ov_names.index(v) for v in self.partable.ov_x_free),
        )

    def fit_measures(self) -> dict[str, float]:
        """lavaan ``fitMeasures()`` with dots -> underscores (e.g. ``rmsea_ci_lower``)."""
        if not self._fit:
            state = self.fit_state()
            self._fit.update(fit_measures(state))
            if self.likelihood == "wishart":
                # lavaan evaluates the log-likelihood (and AIC/BIC) at the unbiased S with N, not N - 1
                self._fit.update(loglik(dataclasses.replace(state, n=self.nobs)))
        return dict(self._fit)

    def to_frame(self) -> pd.DataFrame:
        """The parameter estimates (a copy of :attr:`params`)."""
        return self.params.copy()

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe dict: params (list of rows), fit, r2, warnings, nobs, n_dropped."""
        rows = [{k: _json_safe(v) for k, v in r.items()} for r in self.params.to_dict(orient="records")]
        return {
            "model": self.syntax,
            "estimator": self.estimator,
            "likelihood": self.likelihood,
            "missing": self.missing,
            "nobs": self.nobs,
            "n_dropped": self.n_dropped,
            "missing_patterns": _json_safe(self.missing_patterns().to_dict(orient="records")),
            "converged": self.converged,
            "n_iter": self.n_iter,
            "params": rows,
            "fit": _json_safe(self.fit_measures()),
            "r2": _json_safe({k: float(v) for k, v in self.r2.items()}),
            "warnings": list(self.warnings),
        }

    def summary(self) -> str:
        """lavaan-like text summary (test statistic, main fit indices, estimates, R-square)."""
        fm = self.fit_measures()
        lines = [
            f"cbeclab SEM (lavaan-compatible {self.estimator}) "
            f"{'ended normally' if self.converged else 'did NOT converge'}"
            f" after {self.n_iter} iterations",
            "",
            f"  {'Estimator':<40}{self.estimator:>18}",
            f"  {'Missing data':<40}{self.missing:>18}",
            f"  {'Number of model parameters':<40}{self.partable.n_free:>18d}",
            f"  {'Number of observations':<40}{self.nobs:>18d}",
        ]
        lines.append(f"  {'Rows dropped (missing values)':<40}{self.n_dropped:>18d}")
        if self.patterns is not None:
            lines.append(f"  {'Missing-data patterns':<40}{len(self.patterns.patterns):>18d}")
        lines += [
            "",
            "Model Test User Model:",
            f"  {'Test statistic':<40}{fm['chisq']:>18.3f}",
            f"  {'Degrees of freedom':<40}{int(fm['df']):>18d}",
            f"  {'P-value (Chi-square)':<40}{_fmt(fm['pvalue']):>18}",
        ]
        if "chisq_scaled" in fm:
            lines += [
                f"  {'Scaled test statistic':<40}{fm['chisq_scaled']:>18.3f}",
                f"  {'Scaling correction factor':<40}{fm['chisq_scaling_factor']:>18.3f}",
                f"  {'P-value (scaled)':<40}{_fmt(fm['pvalue_scaled']):>18}",
            ]
            if "chisq_shift_parameter" in fm:  # WLSMV / ULSMV: lavaan's scaled-shifted test
                lines.insert(-1, f"  {'Shift parameter':<40}{fm['chisq_shift_parameter']:>18.3f}")
        lines += [
            "",
            "Model Test Baseline Model:",
            f"  {'Test statistic':<40}{fm['baseline_chisq']:>18.3f}",
            f"  {'Degrees of freedom':<40}{int(fm['baseline_df']):>18d}",
            "",
            "Fit indices:",
        ]
        for key, name in (
            ("cfi", "Comparative Fit Index (CFI)"),
            ("tli", "Tucker-Lewis Index (TLI)"),
            ("nfi", "Normed Fit Index (NFI)"),
            ("ifi", "Incremental Fit Index (IFI)"),
            ("gfi", "Goodness of Fit Index (GFI)"),
            ("agfi", "Adjusted GFI (AGFI)"),
            ("rmsea", "RMSEA"),
            ("rmsea_ci_lower", "  90 Percent CI - lower"),
            ("rmsea_ci_upper", "  90 Percent CI - upper"),
            ("rmsea_pvalue", "  P-value H_0: RMSEA <= 0.05"),
            ("srmr", "SRMR"),
            ("cfi_scaled", "Scaled CFI"),
            ("tli_scaled", "Scaled TLI"),
            ("cfi_robust", "Robust CFI"),
            ("tli_robust", "Robust TLI"),
            ("rmsea_scaled", "Scaled RMSEA"),
            ("rmsea_robust", "Robust RMSEA"),
            ("logl", "Loglikelihood user model (H0)"),
            ("aic", "Akaike (AIC)"),
            ("bic", "Bayesian (BIC)"),
        ):
            if key in fm:
                lines.append(f"  {name:<40}{_fmt(fm[key]):>18}")
        info = {
            ("ML", True): "expected information",
            ("ML", False): "observed information",
            ("MLR", True): "robust.huber.white",
            ("MLR", False): "robust.huber.white",
            ("MLM", True): "robust.sem",
            ("WLSMV", True): "robust.sem",
            ("ULSMV", True): "robust.sem",
        }.get((self.estimator, self.patterns is None), "")
        lines += ["", f"Parameter Estimates (standard errors: {info}):", ""]
        head = (
            f"{'':<22}{'Estimate':>10}{'Std.Err':>10}{'z-value':>9}{'P(>|z|)':>9}{'Std.lv':>9}{'Std.all':>9}"
        )
        sections = (
            ("=~", "Latent Variables:"),
            ("~", "Regressions:"),
            ("~~cov", "Covariances:"),
            ("~~var", "Variances:"),
            ("~1", "Intercepts:"),
            ("|", "Thresholds:"),
            ("~*~", "Scales y*:"),
            (":=", "Defined Parameters:"),
        )
        P = self.params
        for op, title in sections:
            if op == "~~cov":
                sub = P[(P["op"] == "~~") & (P["lhs"] != P["rhs"])]
            elif op == "~~var":
                sub = P[(P["op"] == "~~") & (P["lhs"] == P["rhs"])]
            else:
                sub = P[P["op"] == op]
            if sub.empty:
                continue
            lines += [title, head]
            last = None
            for _i, r in sub.iterrows():
                if op in ("=~", "~", "~~cov") and r["lhs"] != last:
                    lines.append(f"  {r['lhs']} {r['op']}")
                    last = r["lhs"]
                name = r["rhs"] if op in ("=~", "~", "~~cov") else r["lhs"]
                if op == "|":
                    name = f"{r['lhs']}|{r['rhs']}"
                if op == "~~var" and r["lhs"] in self.r2.index:  # residual variance: endogenous
                    name = "." + str(name)
                if r["label"]:
                    name = f"{name} ({r['label']})" if op != ":=" else f"{name}"
                fixed = r["se"] == 0 and op != ":="
                lines.append(
                    f"    {str(name)[:18]:<18}{r['est']:>10.3f}"
                    + (
                        f"{'':>10}{'':>9}{'':>9}"
                        if fixed
                        else f"{r['se']:>10.3f}{r['z']:>9.3f}{_fmt(r['pvalue']):>9}"
                    )
                    + f"{_fmt(r['std_lv']):>9}{_fmt(r['std_all']):>9}"
                )
            lines.append("")
        if len(self.r2):
            lines.append("R-Square:")
            for k, v in self.r2.items():
                lines.append(f"    {str(k):<18}{v:>10.3f}")
            lines.append("")
        if self.patterns is not None:
            tab = self.missing_patterns()
            lines.append(f"Missing-data patterns (1 = observed; {len(tab)} patterns, largest first):")
            lines += ["  " + ln for ln in tab.head(20).to_string(index=False).splitlines()]
            if len(tab) > 20:
                lines.append(f"  ... {len(tab) - 20} more patterns in to_dict()['missing_patterns']")
            lines.append("")
        if self.warnings:
            lines.append("Warnings:")
            lines += [f"  - {m}" for m in self.warnings]
        return "\n".join(lines).rstrip() + "\n"

    def __repr__(self) -> str:
        return f"SEMResult(nobs={self.nobs}, npar={self.partable.n_free}, converged={self.converged})"


def _fmt(x: float) -> str:
    if x is None or (isinstance(x, float) and not math.isfinite(x)):
        return ""
    return f"{x:.3f}"


def _check_pd(S: Array, names: Sequence[str]) -> None:
    """DataError naming the collinear variables when S is not positive definite."""
    d = np.diag(S)
    zero = [names[i] for i in range(len(names)) if not d[i] > 0]
    if zero:
        raise DataError(
            f"the variables {zero} have zero variance",
            where=f"columns {', '.join(zero)}",
            fix="drop constant columns from the model",
        )
    sd = np.sqrt(d)
    R = S / np.outer(sd, sd)
    vals, vecs = np.linalg.eigh(R)
    if vals[0] > 1e-10 * max(vals[-1], 1.0):
        return
    v = vecs[:, 0]
    involved = [names[i] for i in np.flatnonzero(np.abs(v) > 0.1 * np.abs(v).max()).tolist()]
    raise DataError(
        f"the sample covariance matrix is not positive definite: {involved} are linearly dependent "
        f"(smallest eigenvalue of the correlation matrix {vals[0]:.2e})",
        where=f"columns {', '.join(involved)}",
        fix="drop one of these variables (e.g. a sum score that duplicates its items) or collect more rows",
    )


class Model:
    """A structural equation model in lavaan syntax.

    Parameters
    ----------
    syntax
        lavaan model syntax (see :mod:`cbeclab.sem.syntax`).
    std_lv
        Scale latent variables by fixing their variances to 1 (lavaan ``std.lv``).
    fixed_x
        Exogenous observed covariates fixed at their sample moments (lavaan ``fixed.x``, default True).
    ci_level
        Level of the Wald confidence intervals (lavaan ``level = 0.95``).

    Examples
    --------
    >>> m = Model("f =~ x1 + x2 + x3")
    >>> m.partable.n_free
    6
    """

    def __init__(
        self,
        syntax: str,
        *,
        std_lv: bool = False,
        fixed_x: bool = True,
        ci_level: float = 0.95,
        ordered: Sequence[str] | str | bool | None = None,
    ) -> None:
        self.syntax = syntax
        self.std_lv = std_lv
        self.fixed_x = fixed_x
        self.ci_level = ci_level
        self.ordered = ordered
        self.partable = build_partable(syntax, std_lv=std_lv, fixed_x=fixed_x)
        self._last_S: Array | None = None

    def compile(self, ov_names: Sequence[str] | None = None) -> CompiledModel:
        """Precompute the index structures for repeated fits (see :mod:`cbeclab.sem.ml`).

        After :meth:`fit`, the covariate block (``fixed.x``) is preset from the fitted data, so
        ``standardized`` / ``defined`` / ``implied`` work before any ``fit_cov``; ``fit_cov(S)``
        resets it from ``S``.
        """
        cm = CompiledModel(self.partable, ov_names)
        if self._last_S is not None:
            order = [self.partable.ov_names.index(v) for v in cm.ov_names]
            cm.set_exo(self._last_S[np.ix_(order, order)])
        return cm

    # -------------------------------------------------------------- data handling
    def _unknown(self, missing: list[str], columns: Sequence[str]) -> ModelSyntaxError:
        pos = self.partable.parsed.variable_positions() if self.partable.parsed else {}
        v = missing[0]
        line, col = pos.get(v, (0, 0))
        close = difflib.get_close_matches(v, [str(c) for c in columns], n=3)
        hint = f" Did you mean {', '.join(close)}?" if close else ""
        return ModelSyntaxError(
            f"unknown variable {v!r}: it is not a column of the data and not a latent variable "
            f"(defined on the left of =~)" + (f"; also unknown: {missing[1:]}" if len(missing) > 1 else ""),
            where=f"model syntax line {line}, column {col}",
            fix=f"check the spelling against the data columns.{hint}",
        )

    def _prepare(self, data: pd.DataFrame) -> tuple[Array, int, int]:
        if not isinstance(data, pd.DataFrame):
            raise DataError(
                "data must be a pandas DataFrame",
                where="fit(data)",
                fix="pass pandas.read_csv(...) or cov=, nobs=",
            )
        ov = list(self.partable.ov_names)
        missing = [v for v in ov if v not in data.columns]
        if missing:
            raise self._unknown(missing, list(data.columns))
        X = data[ov]
        bad = [
            c for c in ov if not pd.api.types.is_numeric_dtype(X[c]) and not pd.api.types.is_bool_dtype(X[c])
        ]
        for c in bad:
            conv = pd.to_numeric(X[c], errors="coerce")
            nonnum = X[c][conv.isna() & X[c].notna()]
            if len(nonnum):
                raise DataError(
                    f"column {c!r} is not numeric (e.g. {nonnum.iloc[0]!r})",
                    where=f"column {c}, row {nonnum.index[0]}",
                    fix="recode the answers as numbers or drop the column from the model",
                )
        Xn = X.apply(pd.to_numeric, errors="coerce").to_numpy(dtype=float)
        keep = np.isfinite(Xn).all(axis=1)
        n_dropped = int((~keep).sum())
        Xn = Xn[keep]
        n = Xn.shape[0]
        if n < 2:
            raise DataError(
                f"only {n} complete rows remain after listwise deletion of missing values",
                where="data",
                fix="check the columns used by the model for missing values",
            )
        S = np.cov(Xn, rowvar=False, bias=True)
        return np.atleast_2d(S), n, n_dropped

    # -------------------------------------------------------------- fitting
    @overload
    def fit(
        self,
        data: pd.DataFrame | None = None,
        *,
        cov: pd.DataFrame | Array | None = None,
        nobs: int | None = None,
        cov_rescale: bool = True,
        start: Array | None = None,
        estimator: str | None = None,
        missing: str = "listwise",
        meanstructure: bool | None = None,
        likelihood: str = "normal",
        ordered: Sequence[str] | str | bool | None = None,
        parameterization: str = "delta",
        group: None = None,
        group_equal: Sequence[str] = (),
    ) -> SEMResult: ...

    @overload
    def fit(
        self,
        data: pd.DataFrame | None = None,
        *,
        cov: pd.DataFrame | Array | None = None,
        nobs: int | None = None,
        cov_rescale: bool = True,
        start: Array | None = None,
        estimator: str | None = None,
        missing: str = "listwise",
        meanstructure: bool | None = None,
        likelihood: str = "normal",
        ordered: Sequence[str] | str | bool | None = None,
        parameterization: str = "delta",
        group: str,
        group_equal: Sequence[str] = (),
    ) -> MultiGroupResult: ...

    def fit(
        self,
        data: pd.DataFrame | None = None,
        *,
        cov: pd.DataFrame | Array | None = None,
        nobs: int | None = None,
        cov_rescale: bool = True,
        start: Array | None = None,
        estimator: str | None = None,
        missing: str = "listwise",
        meanstructure: bool | None = None,
        likelihood: str = "normal",
        ordered: Sequence[str] | str | bool | None = None,
        parameterization: str = "delta",
        group: str | None = None,
        group_equal: Sequence[str] = (),
    ) -> SEMResult | MultiGroupResult:
        """Fit by maximum likelihood.

        Parameters
        ----------
        data
            Raw data; rows with a missing value in a model variable are dropped (listwise).
        cov, nobs
            Alternatively a covariance matrix (DataFrame labelled by variable, or an array in
            ``partable.ov_names`` order) and the sample size.  As in lavaan
            (``sample.cov.rescale = TRUE``) it is taken as the unbiased (n - 1) estimate and
            multiplied by (n - 1) / n; pass ``cov_rescale=False`` for a divisor-n matrix.
        start
            Starting values for the free parameters (default: simple starts).
        estimator
            ``"ML"`` (default), ``"MLR"`` (Huber-White SEs, Yuan-Bentler scaled test) or ``"MLM"``
            (Satorra-Bentler), as lavaan; with ordered items ``"WLSMV"`` (default) or ``"ULSMV"``
            (:mod:`cbeclab.sem.ordinal`).
        ordered
            Ordered (ordinal) items: a list of names, ``"a,b,c"`` or True for all observed
            variables (lavaan ``ordered =``); default the ``ordered`` given to :class:`Model`.
            Fits thresholds and polychoric correlations by WLSMV / ULSMV, listwise (or
            ``missing="pairwise"``).
        parameterization
            ``"delta"`` (default) or ``"theta"`` for ordered items, as lavaan.
        missing
            ``"listwise"`` (default), ``"ml"`` (FIML; rows with a missing covariate are dropped
            under ``fixed_x``) or ``"ml.x"`` (FIML keeping them), as lavaan.
        meanstructure
            Show intercepts and means (default: True with FIML or ``~ 1`` in the syntax, as lavaan).
        likelihood
            ``"normal"`` (default: S with divisor N, chi-square N F) or ``"wishart"`` (the unbiased S,
            N - 1 in the chi-square and the standard errors, as lavaan ``likelihood = "wishart"`` and
            AMOS); lavaan's log-likelihood and AIC/BIC use the unbiased S with N.  ML with
            listwise deletion only.  Checked against: lavaan 0.6-14 (``sem_wishart_*.json``).
        group, group_equal
            Multi-group fit over the column ``group`` with the listed parameter kinds equal across
            groups (lavaan ``group =``, ``group.equal =``); returns a
            :class:`cbeclab.sem.multigroup.MultiGroupResult` whose rows carry ``group``.

        Returns
        -------
        SEMResult

        Raises
        ------
        ModelSyntaxError
            A model variable is neither a data column nor latent.
        DataError
            Non-numeric data, too few rows, or a sample covariance that is not positive definite.
        ConvergenceError
            The optimiser did not converge.
        """
        from cbeclab.sem.general import check_options, fit_general
        from cbeclab.sem.ordinal import ORDINAL_ESTIMATORS, fit_ordinal, resolve_ordered

        ord_vars = resolve_ordered(self.ordered if ordered is None else ordered, self.partable.ov_names)
        if ord_vars or str(estimator).upper() in ORDINAL_ESTIMATORS:
            est_o = "WLSMV" if estimator is None else str(estimator).upper()
            if not ord_vars:
                raise SpecError(
                    _("estimator {e} is for ordered items, and none is given", e=est_o),
                    where="estimator",
                    fix=_("pass ordered=[...] (--ordered a,b,c), or use estimator ML / MLR / MLM"),
                )
            if est_o not in ORDINAL_ESTIMATORS:
                raise SpecError(
                    _("estimator {e} cannot fit ordered items", e=est_o),
                    where="estimator",
                    fix=_("use estimator='WLSMV' (lavaan's default for ordered data) or 'ULSMV'"),
                )
            if group is not None or str(likelihood).lower() != "normal" or data is None:
                raise SpecError(
                    _("ordered items are fitted for one group from raw data, without likelihood='wishart'"),
                    where="fit(ordered=...)",
                    fix=_("pass the data frame, and drop group= / likelihood= for the ordinal fit"),
                )
            pw = str(missing).lower() == "pairwise"  # lavaan's option for categorical data
            mis_o = "pairwise" if pw else check_options("ML", missing)[1]
            return fit_ordinal(
                self,
                data,
                estimator=est_o,
                ordered=ord_vars,
                missing=mis_o,
                start=start,
                parameterization=parameterization,
            )
        est, mis = check_options("ML" if estimator is None else estimator, missing)
        lik = str(likelihood).lower()
        if lik not in ("normal", "wishart"):
            raise SpecError(
                _("unknown likelihood {value!r}", value=likelihood),
                where="likelihood",
                fix=_("use likelihood='normal' or likelihood='wishart'"),
            )
        if group is None and self.partable.parsed is not None:
            from cbeclab.sem.syntax import parse_model

            if "c(" in self.syntax.replace(" ", "") and any(
                t.groups for s_ in parse_model(self.syntax).statements for t in s_.terms
            ):
                raise SpecError(
                    _("the model has c(...) modifiers (one entry per group) but no group column"),
                    where="fit(group=...)",
                    fix=_("pass group='column' (or --group COLUMN)"),
                )
        if group is not None:
            if lik == "wishart":
                raise SpecError(
                    _("likelihood='wishart' is available for ML with listwise deletion only"),
                    where="likelihood",
                    fix=_("drop likelihood='wishart' or use estimator='ML', missing='listwise'"),
                )
            from cbeclab.sem.multigroup import fit_multigroup

            if data is None:
                raise DataError(
                    _("this estimator / missing-data option needs the raw data"),
                    where="fit(data)",
                    fix=_("pass the data as a DataFrame instead of cov=, nobs="),
                )
            return fit_multigroup(
                self, data, group, group_equal=tuple(group_equal), estimator=est, missing=mis
            )
        ms = (
            self.partable.meanstructure or mis != "listwise" if meanstructure is None else bool(meanstructure)
        )
        if ms and not self.partable.meanstructure and meanstructure is False:
            ms = False
        if self.partable.meanstructure:
            ms = True
        if ms or mis != "listwise" or est != "ML":
            if data is None or not isinstance(data, pd.DataFrame):
                raise DataError(
                    _("this estimator / missing-data option needs the raw data"),
                    where="fit(data)",
                    fix=_("pass the data as a DataFrame instead of cov=, nobs="),
                )
            if lik == "wishart":
                raise SpecError(
                    _("likelihood='wishart' is available for ML with listwise deletion only"),
                    where="likelihood",
                    fix=_("drop likelihood='wishart' or use estimator='ML', missing='listwise'"),
                )
            return fit_general(self, data, estimator=est, missing=mis, meanstructure=ms, start=start)
        ov = list(self.partable.ov_names)
        if data is not None:
            S, n, n_dropped = self._prepare(data)
        elif cov is not None:
            if nobs is None or int(nobs) < 2:
                raise DataError(
                    "nobs is required with cov= (and must be >= 2)", where="fit(cov=...)", fix="pass nobs=n"
                )
            n, n_dropped = int(nobs), 0
            if isinstance(cov, pd.DataFrame):
                absent = [v for v in ov if v not in cov.columns or v not in cov.index]
                if absent:
                    raise self._unknown(absent, list(cov.columns))
                S = cov.loc[ov, ov].to_numpy(dtype=float)
            else:
                S = np.asarray(cov, dtype=float)
                if S.shape != (len(ov), len(ov)):
                    raise DataError(
                        f"cov has shape {S.shape}, the model has {len(ov)} observed variables",
                        where="fit(cov=...)",
                        fix=f"pass a matrix ordered as {ov}",
                    )
            S = (S + S.T) / 2.0
            if cov_rescale:
                S = S * (n - 1) / n
        else:
            raise DataError("nothing to fit", where="fit()", fix="pass data=DataFrame or cov=..., nobs=...")
        _check_pd(S, ov)
        self._last_S = S
        cm = self.compile()
        if lik == "wishart":  # lavaan: unbiased S and N - 1 throughout, nobs stays N
            Sw, nw = S * n / (n - 1), n - 1
            theta, converged, n_iter = _estimate(cm, Sw, nw, start)
            res = _build_result(self, cm, theta, Sw, nw, n_dropped, converged, n_iter)
            return dataclasses.replace(res, S=S, nobs=n, likelihood="wishart", _fit={})
        theta, converged, n_iter = _estimate(cm, S, n, start)
        return _build_result(self, cm, theta, S, n, n_dropped, converged, n_iter)


def _estimate(cm: CompiledModel, S: Array, n: int, start: Array | None) -> tuple[Array, bool, int]:
    """Fisher scoring; if it stalls, quasi-Newton (BFGS, analytic gradient) and scoring again."""
    theta, conv, it = cm.fit_cov(S, n, start)
    if conv:
        return theta, conv, it
    cm.set_exo(S)
    _, ld_s = np.linalg.slogdet(S)

    def f(th: Array) -> float:
        Sigma, _, _ = cm.implied(th)
        sign, ld = np.linalg.slogdet(Sigma)
        if sign <= 0:
            return 1e10
        return float(ld + np.trace(np.linalg.solve(Sigma, S)) - ld_s - cm.p)

    def g(th: Array) -> Array:
        try:
            return cm.gradient(th, S)
        except np.linalg.LinAlgError:
            return np.zeros_like(th)

    x0 = cm.start_values(S)
    from scipy import optimize  # here, not at import: 0.3 s of every command's start-up

    opt = optimize.minimize(f, x0, jac=g, method="BFGS", options={"maxiter": 5000, "gtol": 1e-8})
    theta2, conv2, it2 = cm.fit_cov(S, n, opt.x)
    if conv2:
        return theta2, True, it + int(opt.nit) + it2
    grad = np.max(np.abs(cm.gradient(theta2, S)))
    raise ConvergenceError(
        f"maximum-likelihood estimation did not converge (Fisher scoring stopped after {it} iterations, "
        f"quasi-Newton: {opt.message}; largest gradient {grad:.2e})",
        where="ML estimation",
        fix="check for an unidentified or misspecified model, rescale variables with very different "
        "variances, or give start() values",
    )


def _build_result(
    model: Model,
    cm: CompiledModel,
    theta: Array,
    S: Array,
    n: int,
    n_dropped: int,
    converged: bool,
    n_iter: int,
) -> SEMResult:
    pt = model.partable
    tab = pt.table.copy()
    n_par = cm.n_par_rows
    notes: list[str] = []
    H = cm.expected_hessian(theta)
    try:
        cond = np.linalg.cond(H)
    except np.linalg.LinAlgError:
        cond = math.inf
    if not math.isfinite(cond) or cond > 1e12:
        notes.append(
            "the information matrix is singular: the model may not be identified; standard errors are unreliable"
        )
        V = np.full((cm.q, cm.q), np.nan)
    else:
        V = (2.0 / n) * np.linalg.inv(H)
    se_theta = np.sqrt(np.clip(np.diag(V), 0, None))
    vals = cm.row_values(theta)
    free = cm.row_free
    est = np.empty(len(tab))
    se = np.empty(len(tab))
    est[:n_par] = vals
    se[:n_par] = np.where(free > 0, se_theta[np.maximum(free - 1, 0)], 0.0)
    std_lv, std_all = cm.standardized_rows(theta)
    sl = np.empty(len(tab))
    sa = np.empty(len(tab))
    sl[:n_par], sa[:n_par] = std_lv, std_all
    if cm.def_trees:
        est[n_par:] = cm.defined_from_rows(vals)
        Jd = cm.defined_jacobian(theta)
        se[n_par:] = np.sqrt(np.clip(np.einsum("ij,jk,ik->i", Jd, V, Jd), 0, None))
        sl[n_par:] = cm.defined_from_rows(std_lv)
        sa[n_par:] = cm.defined_from_rows(std_all)
    is_free = np.concatenate([free > 0, np.ones(len(tab) - n_par, dtype=bool)])
    with np.errstate(divide="ignore", invalid="ignore"):
        z = np.where(is_free & (se > 0), est / se, np.nan)
    pval = 2.0 * stats.norm.sf(np.abs(z))
    crit = stats.norm.ppf(0.5 + model.ci_level / 2.0)
    lo = np.where(is_free, est - crit * se, est)
    hi = np.where(is_free, est + crit * se, est)
    start_rows = np.full(len(tab), np.nan)
    start_rows[:n_par] = cm.row_values(cm.start_values(S))
    tab["start"] = start_rows
    tab["est"] = est
    tab["se"] = se
    params = pd.DataFrame(
        {
            "lhs": tab["lhs"],
            "op": tab["op"],
            "rhs": tab["rhs"],
            "label": tab["label"],
            "est": est,
            "se": se,
            "z": z,
            "pvalue": pval,
            "ci_lower": lo,
            "ci_upper": hi,
            "std_lv": sl,
            "std_all": sa,
        }
    )
    # Heywood cases
    var_rows = (tab["op"] == "~~") & (tab["lhs"] == tab["rhs"])
    for i in np.flatnonzero(var_rows.to_numpy()):
        if est[i] < 0:
            notes.append(
                f"Heywood case: the variance of {tab['lhs'].iloc[i]} is negative ({est[i]:.4g}); "
                "the solution is improper (check for an over-extracted factor, outliers or a small sample)"
            )
    if not converged:
        notes.append("the optimiser did not fully converge")
    for name, expr, v in zip(cm.def_names, pt.definitions.values(), est[n_par:]):
        if not np.isfinite(v):
            notes.append(
                f"the defined parameter {name} := {expr} is undefined at the estimates ({v}): a division by "
                "zero or an overflow; its estimate, SE and test are empty"
            )
    # R-square; NA (with a note) where the residual variance is negative: 1 - psi/var exceeds 1 there
    A, Sm = cm.matrices(theta)
    C = cm.implied_all(theta)
    has_path = np.zeros(cm.m, dtype=bool)
    has_path[cm.row_r[cm.row_kind == 0]] = True
    endo = np.flatnonzero(has_path)
    r2 = r_square(np.diag(Sm)[endo], np.diag(C)[endo], [cm.var_names[int(i)] for i in endo], notes)
    for msg in notes:
        warnings.warn(msg, CbecWarning, stacklevel=3)
    Sigma, _, _ = cm.implied(theta)
    new_pt = dataclasses.replace(pt, table=tab)
    return SEMResult(
        params=params,
        partable=new_pt,
        theta=theta,
        vcov=V,
        S=S,
        Sigma=Sigma,
        nobs=n,
        n_dropped=n_dropped,
        r2=r2,
        warnings=tuple(notes),
        converged=converged,
        n_iter=n_iter,
        syntax=model.syntax,
        std_lv=model.std_lv,
    )
