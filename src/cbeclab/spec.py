"""The run specification: one YAML file (or Python dict) describing data, subsystems and model options.

Example (see ``examples/guangzhou/spec.yaml``)::

    data: {path: panel.csv, entity: cluster, period: year}
    subsystems:
      digital_trade: {exports: +, imports: +, cbec_firms: +}
      industrial_cluster: {output_value: +, firms: +, energy_per_output: -}
    weights: entropy
    synergy: {bound_margin: 0.1, aggregate: weighted, base: first, scope: per_entity}
    coupling: {model: classical, scope: pooled}

Paths resolve relative to the spec file. Validation errors are :class:`~cbeclab.errors.SpecError` naming
the file and the field (``synergy.base``) and listing the accepted values.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from cbeclab.directions import parse_direction
from cbeclab.errors import SpecError
from cbeclab.io.yamlfile import read_yaml_mapping

__all__ = [
    "DataSpec",
    "WeightsSpec",
    "SynergySpec",
    "CouplingSpec",
    "RunSpec",
    "format_validation_error",
    "load_spec",
    "parse_direction",
    "spec_from_dict",
]

Scope = Literal["pooled", "per_entity"]
#: a compatibility preset (cbeclab/compat/spssau.yaml): per section, or for the whole spec
Compat = Literal["spssau"] | None


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class DataSpec(_Strict):
    """Where the panel comes from: a file (``path``) or a bundled dataset (``dataset``)."""

    path: str | None = None
    dataset: str | None = None
    entity: str = "entity"
    period: str = "period"
    layout: Literal["wide", "long", "years"] = "wide"
    indicator_col: str | None = None
    value_col: str | None = None
    sheet: str | int | None = None
    impute: Literal["linear", "interpolate"] | None = None
    encoding: str | None = None
    header_row: int | None = Field(None, ge=1, le=1_000_000)
    skip_footer: int | None = Field(None, ge=0, le=1_000_000)
    delimiter: Literal[",", ";", "\t", "tab", "|"] | None = None
    decimal: Literal[".", ","] | None = None
    #: size limit of the data file in MB (default: the readers' DEFAULT_MAX_MB); firm-level panels need more
    max_mb: float | None = Field(None, gt=0, le=100_000)

    @model_validator(mode="after")
    def _one_source(self) -> DataSpec:
        if (self.path is None) == (self.dataset is None):
            raise ValueError("give exactly one of data.path (a CSV/XLSX/SAV file) or data.dataset (bundled)")
        if self.layout == "long" and not (self.indicator_col and self.value_col):
            raise ValueError("layout: long needs indicator_col and value_col")
        return self


class WeightsSpec(_Strict):
    """Weighting: a method name, user values, an AHP matrix, or a subjective × objective combination."""

    method: Literal["entropy", "critic", "cv", "ahp", "equal", "user", "combined"] = "entropy"
    values: dict[str, float] | None = None
    ahp_matrix: dict[str, list[list[float]]] | None = None
    ahp_allow_inconsistent: bool = False
    combine: dict[str, Any] | None = None
    scope: Scope | None = None
    shift: float | Literal["nonpositive_only"] | None = None
    standardize: bool | None = None
    ahp_method: Literal["eigen", "geometric", "sum_product"] | None = None
    compat: Compat = None


class SynergySpec(_Strict):
    enabled: bool = True
    bound_margin: float = Field(0.1, ge=0.0, le=10.0)
    aggregate: Literal["weighted", "geometric"] = "weighted"
    base: Literal["first", "previous"] = "first"
    scope: Scope = "per_entity"
    pair: list[str] | None = None


class CouplingSpec(_Strict):
    enabled: bool = True
    model: Literal["classical", "modified"] = "classical"
    scope: Scope = "pooled"
    compat: Compat = None
    contribution: dict[str, float] | None = None


class StagesSpec(_Strict):
    thresholds: dict[str, float] | None = None


class ObstaclesSpec(_Strict):
    enabled: bool = True
    top_k: int = Field(3, ge=1, le=50)


class ForecastSpec(_Strict):
    enabled: bool = True
    horizon: int | None = Field(None, ge=1, le=20)  # None: 3, or 12 with compat spssau
    on_ratio_fail: Literal["refuse", "shift"] | None = None
    compat: Compat = None


class RunSpec(_Strict):
    """A whole engine run (issue 2): data → weights → synergy / coupling → stages, obstacles, forecasts."""

    title: str | None = None
    data: DataSpec
    framework: str | None = None
    subsystems: dict[str, dict[str, int]] | None = None
    weights: WeightsSpec = WeightsSpec()
    synergy: SynergySpec = SynergySpec()
    coupling: CouplingSpec = CouplingSpec()
    stages: StagesSpec = StagesSpec()
    obstacles: ObstaclesSpec = ObstaclesSpec()
    forecast: ForecastSpec = ForecastSpec()
    lang: Literal["en", "zh"] = "en"
    compat: Compat = None
    base_dir: str = "."

    def compat_for(self, section: str) -> str | None:
        """The preset a section runs with: its own ``compat``, else the spec's top-level ``compat``."""
        own = getattr(getattr(self, section), "compat", None)
        return own if own is not None else self.compat

    @model_validator(mode="before")
    @classmethod
    def _no_normalize(cls, v: Any) -> Any:
        if isinstance(v, dict) and "normalize" in v:
            raise ValueError(
                "normalize: is not a spec option: each model normalises its indicators itself (synergy: "
                "min-max against the bounds with bound_margin; coupling and weights: min-max); remove it"
            )
        return v

    @field_validator("weights", mode="before")
    @classmethod
    def _weights_shorthand(cls, v: Any) -> Any:
        return {"method": v} if isinstance(v, str) else v

    @field_validator("subsystems", mode="before")
    @classmethod
    def _directions(cls, v: Any) -> Any:
        if v is None:
            return v
        if not isinstance(v, dict):
            raise ValueError("subsystems must map a subsystem name to {indicator: + or -}")
        out: dict[str, dict[str, int]] = {}
        for sub, inds in v.items():
            if isinstance(inds, list):
                inds = {str(i): "+" for i in inds}
            if not isinstance(inds, dict) or not inds:
                raise ValueError(f"subsystem {sub!r} must map indicators to + or - (got {inds!r})")
            out[str(sub)] = {
                str(k): parse_direction(d, where=f"subsystems.{sub}.{k}") for k, d in inds.items()
            }
        return out

    @model_validator(mode="after")
    def _needs_subsystems(self) -> RunSpec:
        if not self.subsystems and not self.framework:
            raise ValueError("name a framework (e.g. seed001) or list subsystems with their indicators")
        return self

    def resolve(self, path: str) -> Path:
        """Resolve a path written in the spec relative to the spec file's folder."""
        p = Path(os.path.expanduser(path))
        return p if p.is_absolute() else Path(self.base_dir) / p


_TYPE_WORDS = {
    "string_type": "text",
    "int_type": "a whole number",
    "int_parsing": "a whole number",
    "int_from_float": "a whole number",
    "float_type": "a number",
    "float_parsing": "a number",
    "finite_number": "a finite number",
    "bool_type": "true or false",
    "bool_parsing": "true or false",
    "list_type": "a list ([a, b])",
    "tuple_type": "a list ([a, b])",
    "dict_type": "a mapping (key: value)",
    "model_type": "a mapping of fields (key: value)",
    "model_attributes_type": "a mapping of fields (key: value)",
}
_BOUNDS = {
    "greater_than": ("gt", "greater than {v}"),
    "greater_than_equal": ("ge", "at least {v}"),
    "less_than": ("lt", "less than {v}"),
    "less_than_equal": ("le", "at most {v}"),
}


def _fields_at(model: type[BaseModel] | None, loc: tuple[Any, ...]) -> list[str]:
    """Field names of the (nested) model that holds the field at ``loc``."""
    import typing

    cls: Any = model
    for part in loc:
        if cls is None or not (isinstance(cls, type) and issubclass(cls, BaseModel)):
            return []
        f = cls.model_fields.get(str(part))
        if f is None:
            return []
        nxt = None
        for t in (f.annotation, *typing.get_args(f.annotation)):
            if isinstance(t, type) and issubclass(t, BaseModel):
                nxt = t
                break
        cls = nxt
    if cls is None or not (isinstance(cls, type) and issubclass(cls, BaseModel)):
        return []
    return [n for n in cls.model_fields if n not in ("base_dir", "source")]


def _echo(value: Any) -> str:
    from cbeclab.io.readers import show

    return show(value, 80)


def format_validation_error(
    err: ValidationError,
    source: str,
    *,
    doc: str = "docs/spec.md",
    model: type[BaseModel] | None = None,
) -> SpecError:
    """Turn a pydantic error into one :class:`SpecError` naming the file, the field and the fix.

    pydantic's own wording ("Input should be a valid dictionary or instance of DataSpec") never reaches
    the user: each error kind has its own sentence; an unknown field gets "did you mean" from the
    fields of its section (``model`` is the root model, used to find them).
    """
    import difflib

    from cbeclab.i18n import _

    errors = err.errors()
    # a misspelt field shows up twice: "x is missing" and "y is not a field"; the second says what to fix
    first = next((e for e in errors if e["type"] == "extra_forbidden"), errors[0])
    loc_t = tuple(first["loc"])
    loc = ".".join(str(x) for x in loc_t) or _("(top level)")
    kind = first["type"]
    ctx = first.get("ctx", {}) or {}
    given = first.get("input")
    fix: str | None
    if kind == "extra_forbidden":
        options = _fields_at(model, loc_t[:-1]) if model is not None else []
        close = difflib.get_close_matches(str(loc_t[-1]), options, n=1, cutoff=0.6)
        msg = _("unknown field {field}", field=loc)
        if close:
            msg += _(" (did you mean {name}?)", name=close[0])
            fix = _("rename it to {name}", name=close[0])
        elif options:
            fix = _("fields here are: {names} (see {doc})", names=", ".join(options), doc=doc)
        else:
            fix = _("remove it or check its spelling against {doc}", doc=doc)
    elif kind == "missing":
        msg = _("field {field} is missing", field=loc)
        fix = _("add this field (see {doc})", doc=doc)
    elif kind == "literal_error":
        msg = _("field {field}: {value} is not an accepted value", field=loc, value=_echo(given))
        fix = _("use one of: {options}", options=str(ctx.get("expected", "")))
    elif kind in _TYPE_WORDS:
        msg = _(
            "field {field} must be {kind}, not {value}",
            field=loc,
            kind=_(_TYPE_WORDS[kind]),
            value=_echo(given),
        )
        fix = _("see {doc} for the layout of this field", doc=doc)
    elif kind in _BOUNDS:
        key, text = _BOUNDS[kind]
        msg = _(
            "field {field} must be {bound}, not {value}",
            field=loc,
            bound=_(text, v=ctx.get(key)),
            value=_echo(given),
        )
        fix = _("see {doc} for the accepted range", doc=doc)
    elif kind in ("value_error", "assertion_error"):
        reason = str(first["msg"]).removeprefix("Value error, ")[:400]
        msg = _("field {field}: {reason}", field=loc, reason=reason) if loc_t else reason
        fix = _("see {doc} for this field", doc=doc)
    else:
        msg = _("field {field} has a value that cannot be used: {value}", field=loc, value=_echo(given))
        fix = _("see {doc} for the layout of this field", doc=doc)
    if len(errors) > 1:
        msg += _(" (+{n} more problems)", n=len(errors) - 1)
    return SpecError(msg, where=source, fix=fix)


def spec_from_dict(
    raw: dict[str, Any], *, base_dir: str | os.PathLike[str] = ".", source: str = "spec"
) -> RunSpec:
    """Validate a spec given as a Python dict."""
    if not isinstance(raw, dict):
        raise SpecError("the spec must be a mapping of fields (data, subsystems, ...)", where=source)
    try:
        return RunSpec.model_validate({**raw, "base_dir": str(base_dir)})
    except ValidationError as exc:
        raise format_validation_error(exc, source, model=RunSpec) from None


def load_spec(path: str | os.PathLike[str]) -> RunSpec:
    """Read and validate a YAML spec file; relative paths in it resolve against its folder."""
    p = Path(path)
    raw = read_yaml_mapping(
        p,
        what="spec file",
        fix='check indentation; in block YAML write a cost direction as "-" (quoted) or cost',
    )
    return spec_from_dict(raw, base_dir=p.resolve().parent, source=str(p))
