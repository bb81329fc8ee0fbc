"""The survey specification: one YAML file describing a questionnaire study end to end.

Example (see ``examples/yongkang/survey.yaml``)::

    title: Yongkang hardware cluster survey (SYNTHETIC data)
    data: {path: yongkang_survey_SYNTHETIC.csv}
    likert: [1, 5]
    missing: listwise          # or error, or ml / ml.x (FIML for the CFA and SEM, as lavaan), or
                               # pairwise (with ordinal: true, lavaan's pairwise polychorics)
    estimator: ML              # or MLR / MLM (robust, as lavaan); WLSMV / ULSMV with ordinal: true
    ordinal: false             # true: every item is ordered (thresholds, polychorics, WLSMV)
    constructs:
      F1: {en: Cluster enterprise factors, zh: 集群企业因素, items: [T11, T12, T13, T14, T15]}
      Y:
        en: CBEC development
        items: {Y1: {en: Turnover grows}, Y2: {}, Y3: {}}
    model:
      paths: ["F1 -> M", "M -> Y", "F1 -> Y"]      # or syntax: | ... (lavaan), or file: model.lav
    mediation:
      - {x: F1, m: M, y: Y}
    bootstrap: {draws: 5000, ci: bc}
    profile: [firm_size]                            # sample-profile table (coded columns + value_labels)
    value_labels: {firm_size: {1: {en: SME, zh: 中小企业}, 2: {en: Large, zh: 大型企业}}}
    column_names: {firm_size: {en: Firm size, zh: 企业规模}}
    sem:
      modindices: {min: 10}                         # modification indices of the CFA, MI >= 10
      invariance: {group: firm_size}                # configural → metric → scalar → strict
    seed: 0

The measurement part of every model (``construct =~ items``) is written from ``constructs``; ``model``
gives the structural part only (lavaan syntax that already contains ``=~`` lines is used as it is).
Paths resolve relative to the spec file. Validation errors are :class:`~cbeclab.errors.SpecError`
naming the file and the field (``bootstrap.ci``) and what to write instead.
"""

from __future__ import annotations

import difflib
import os
import re
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from cbeclab.errors import SpecError
from cbeclab.i18n import pick
from cbeclab.io.yamlfile import read_yaml_mapping
from cbeclab.spec import format_validation_error

__all__ = [
    "BootstrapSpec",
    "ColumnMapSpec",
    "ConstructSpec",
    "EFASpec",
    "ItemSpec",
    "InvarianceSpec",
    "MediationSpec",
    "ModIndicesSpec",
    "ModelSpec",
    "SemExtrasSpec",
    "SurveyDataSpec",
    "SurveySpec",
    "load_survey_spec",
    "survey_spec_from_dict",
]

_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_.]*$")
_PATH = re.compile(r"^\s*(.+?)\s*(?:->|→)\s*(.+?)\s*$")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def _check_name(name: str, what: str) -> str:
    if not _NAME.match(name):
        where = "`column:` (the file's header) and " if what == "item" else ""
        raise ValueError(
            f"{what} name {name!r} cannot be used in model syntax (start with an ASCII letter, then letters, "
            f"digits, '_' or '.'); use a short ASCII id such as Q1 and put the original in {where}`zh:`"
        )
    return name


class ItemSpec(_Strict):
    """One questionnaire item: display texts, its column in the file (default: the item id), reverse-keyed."""

    en: str | None = None
    zh: str | None = None
    column: str | None = None
    reverse: bool = False


class ConstructSpec(_Strict):
    """A latent construct measured by two or more items."""

    en: str | None = None
    zh: str | None = None
    items: dict[str, ItemSpec]

    @field_validator("items", mode="before")
    @classmethod
    def _items_shorthand(cls, v: Any) -> Any:
        if isinstance(v, list | tuple):
            return {str(i): {} for i in v}
        if isinstance(v, dict):
            return {
                str(k): ({} if val is None else {"en": val} if isinstance(val, str) else val)
                for k, val in v.items()
            }
        raise ValueError("items must be a list of column names or a mapping item -> {en, zh}")

    @field_validator("items")
    @classmethod
    def _two_items(cls, v: dict[str, ItemSpec]) -> dict[str, ItemSpec]:
        if len(v) < 2:
            raise ValueError("a construct needs at least 2 items (reliability and CFA are undefined for 1)")
        for k in v:
            _check_name(k, "item")
        return v

    def label(self, name: str, lang: str) -> str:
        """Display name in ``lang`` (falls back to the other language, then the short name)."""
        return pick(self.en, self.zh, lang) or name


class ColumnMapSpec(_Strict):
    """Items -> columns without one line per item: by order (``first``) or by label (``match``).

    See :mod:`cbeclab.io.columns`; an item's own ``column:`` still wins.
    """

    first: str | int | None = None
    match: str | None = None

    @model_validator(mode="after")
    def _one(self) -> ColumnMapSpec:
        if (self.first is None) == (self.match is None):
            raise ValueError("give exactly one of columns.first (by order) or columns.match (by label)")
        if self.match is not None and "{item}" not in self.match and "{label}" not in self.match:
            raise ValueError("columns.match must contain {item} or {label}, e.g. '({item})'")
        return self


class SurveyDataSpec(_Strict):
    """The response file: CSV (UTF-8 or GBK), XLSX or SPSS .sav, one respondent a row."""

    path: str
    sheet: str | int | None = None
    encoding: str | None = None
    header_row: int | None = Field(None, ge=1)
    skip_footer: int | None = Field(None, ge=0)
    columns: ColumnMapSpec | None = None


class EFASpec(_Strict):
    """Exploratory factor analysis options (seed 000 §4.2 extracts one factor per construct)."""

    enabled: bool = True
    n_factors: int | None = Field(None, ge=1, le=50)
    method: Literal["pa", "minres", "ml"] = "pa"
    rotation: Literal["promax", "varimax", "none"] = "promax"


class ModelSpec(_Strict):
    """The structural model: lavaan syntax inline, a syntax file, or a list of ``"X -> Y"`` paths."""

    syntax: str | None = None
    file: str | None = None
    paths: list[str] | None = None

    @model_validator(mode="after")
    def _one_source(self) -> ModelSpec:
        given = [k for k in ("syntax", "file", "paths") if getattr(self, k)]
        if len(given) != 1:
            raise ValueError(
                "give exactly one of model.syntax (lavaan text), model.file (a .lav file) "
                f"or model.paths (['F1 -> Y', ...]); got {given or 'none'}"
            )
        for p in self.paths or []:
            if not _PATH.match(p):
                raise ValueError(f"path {p!r} is not of the form 'X -> Y'")
        return self

    def edges(self) -> list[tuple[str, str]]:
        """``(predictor, outcome)`` pairs of ``paths`` (empty for syntax)."""
        out = []
        for p in self.paths or []:
            m = _PATH.match(p)
            if m is not None:  # always true: checked by the validator
                out.append((m.group(1), m.group(2)))
        return out


class MediationSpec(_Strict):
    """One mediation hypothesis ``x -> m -> y`` (several ``m``: parallel, or serial in the given order)."""

    x: str
    m: list[str]
    y: str
    kind: Literal["simple", "parallel", "serial"] | None = None
    hypothesis: str | None = None

    @field_validator("m", mode="before")
    @classmethod
    def _one_or_many(cls, v: Any) -> Any:
        return [v] if isinstance(v, str) else v

    @model_validator(mode="after")
    def _kind(self) -> MediationSpec:
        if not self.m:
            raise ValueError("m must name at least one mediator")
        if self.kind == "simple" and len(self.m) != 1:
            raise ValueError("kind: simple takes one mediator; use parallel or serial for several")
        if len({self.x, self.y, *self.m}) != len(self.m) + 2:
            raise ValueError("x, m and y must be different constructs")
        return self

    @property
    def design(self) -> str:
        """``simple`` for one mediator, else the given kind (default ``parallel``)."""
        return self.kind or ("simple" if len(self.m) == 1 else "parallel")

    @property
    def label(self) -> str:
        """``x → m → y`` (as printed in Table 5)."""
        return " → ".join([self.x, *self.m, self.y])


class BootstrapSpec(_Strict):
    """Nonparametric bootstrap of the structural model (seed 000 §4.5: bias-corrected, 95 %)."""

    draws: int = Field(5000, ge=1, le=1_000_000)
    ci: Literal["bc", "perc"] = "bc"
    level: float = Field(0.95, gt=0.5, lt=1.0)
    n_jobs: int | None = Field(None, ge=1)


class ModIndicesSpec(_Strict):
    """Modification indices of the measurement model in the report (lavaan ``modindices``)."""

    min: float = Field(10.0, ge=0.0)
    top: int = Field(20, ge=1, le=1000)


class InvarianceSpec(_Strict):
    """Measurement invariance (configural → metric → scalar → strict) across the groups of a column."""

    group: str


class SemExtrasSpec(_Strict):
    """Further SEM checks for the report: ``modindices: {min: 10}``, ``invariance: {group: 企业规模}``."""

    modindices: ModIndicesSpec | None = None
    invariance: InvarianceSpec | None = None

    @field_validator("modindices", mode="before")
    @classmethod
    def _mi_shorthand(cls, v: Any) -> Any:
        return {} if v is True else None if v is False else v

    @field_validator("invariance", mode="before")
    @classmethod
    def _inv_shorthand(cls, v: Any) -> Any:
        return {"group": v} if isinstance(v, str) else v


class SurveySpec(_Strict):
    """A whole survey study: data, constructs, model, mediation and bootstrap settings."""

    #: one title, or one a language: ``{en: ..., zh: ...}``
    title: str | dict[str, str] | None = None
    data: SurveyDataSpec
    likert: tuple[float, float] = (1.0, 5.0)
    missing: Literal["listwise", "error", "ml", "ml.x", "pairwise"] = "listwise"
    estimator: Literal["ML", "MLR", "MLM", "WLSMV", "ULSMV"] = "ML"
    #: treat every item as ordered (thresholds + polychoric correlations; WLSMV unless estimator says ULSMV)
    ordinal: bool = False
    constructs: dict[str, ConstructSpec]
    efa: EFASpec = EFASpec()
    model: ModelSpec
    mediation: list[MediationSpec] = []
    hypotheses: dict[str, str] = {}
    #: background questions (data columns) for the sample-profile table, e.g. [性别, 企业规模]
    profile: list[str] = []
    #: value labels of coded background columns in CSV/XLSX data, as SPSS keeps them in a .sav file;
    #: one text, or one a language ({1: {en: SME, zh: 中小企业}})
    value_labels: dict[str, dict[int | str, str | dict[str, str]]] = {}
    #: display names of background columns ({firm_size: {en: Firm size, zh: 企业规模}})
    column_names: dict[str, str | dict[str, str]] = {}
    #: common-method-bias checks (Harman's test, one-factor CFA comparison)
    cmb: bool = True
    #: modification indices and measurement invariance of the measurement model
    sem: SemExtrasSpec = SemExtrasSpec()
    bootstrap: BootstrapSpec = BootstrapSpec()
    seed: int = Field(0, ge=0)
    scheduler: str | None = None
    thresholds: dict[str, float] = {}
    lang: Literal["en", "zh"] = "en"
    base_dir: str = "."
    source: str = "spec"

    def title_in(self, lang: str | None = None) -> str | None:
        """The title in ``lang``: the one title, or that language's (else the other one's)."""
        if not isinstance(self.title, dict):
            return self.title
        from cbeclab.i18n import resolve_lang

        return self.title.get(resolve_lang(lang)) or next(iter(self.title.values()), None)

    @field_validator("bootstrap", mode="before")
    @classmethod
    def _draws_shorthand(cls, v: Any) -> Any:
        return {"draws": v} if isinstance(v, int) and not isinstance(v, bool) else v

    @field_validator("likert")
    @classmethod
    def _likert(cls, v: tuple[float, float]) -> tuple[float, float]:
        if not v[0] < v[1]:
            raise ValueError(f"likert must be [lowest, highest] with lowest < highest, got {list(v)}")
        return v

    @field_validator("constructs")
    @classmethod
    def _constructs(cls, v: dict[str, ConstructSpec]) -> dict[str, ConstructSpec]:
        if len(v) < 1:
            raise ValueError("list at least one construct with its items")
        seen: dict[str, str] = {}
        for c, spec in v.items():
            _check_name(c, "construct")
            for item in spec.items:
                if item in seen:
                    raise ValueError(f"item {item!r} is listed under both {seen[item]!r} and {c!r}")
                if item in v:
                    raise ValueError(f"item {item!r} has the same name as a construct")
                seen[item] = c
        return v

    @model_validator(mode="after")
    def _ordinal_estimator(self) -> SurveySpec:
        """``ordinal: true`` means WLSMV unless the spec names ULSMV (lavaan's default for ordered data)."""
        ordinal_est = ("WLSMV", "ULSMV")
        if self.ordinal:
            if "estimator" not in self.model_fields_set:
                object.__setattr__(self, "estimator", "WLSMV")
            elif self.estimator not in ordinal_est:
                raise ValueError(
                    f"estimator: {self.estimator} cannot fit ordered items (ordinal: true); "
                    "use WLSMV or ULSMV, or drop ordinal: true"
                )
            if self.missing in ("ml", "ml.x"):
                raise ValueError(
                    f"missing: {self.missing} (FIML) cannot be combined with ordinal: true; "
                    "use missing: listwise (lavaan's default for ordered items) or drop ordinal: true"
                )
        elif self.estimator in ordinal_est:
            raise ValueError(f"estimator: {self.estimator} is for ordered items; add ordinal: true")
        if self.missing == "pairwise" and not self.ordinal:
            raise ValueError(
                "missing: pairwise is for ordered items (lavaan's option for WLSMV); add ordinal: true, "
                "or use missing: ml for FIML with continuous items"
            )
        return self

    @model_validator(mode="after")
    def _names_exist(self) -> SurveySpec:
        names = list(self.constructs)

        def known(name: str, field: str) -> None:
            if name not in self.constructs:
                close = difflib.get_close_matches(name, names, n=3)
                hint = f" (did you mean {', '.join(close)}?)" if close else ""
                raise ValueError(
                    f"{field}: {name!r} is not a construct{hint}; constructs: {', '.join(names)}"
                )

        for a, b in self.model.edges():
            known(a, "model.paths")
            known(b, "model.paths")
        for i, med in enumerate(self.mediation):
            for n in (med.x, *med.m, med.y):
                known(n, f"mediation.{i}")
        for h, text in self.hypotheses.items():
            parts = re.split(r"\s*(?:->|→)\s*", text.strip())
            if len(parts) < 2:
                raise ValueError(
                    f"hypotheses.{h}: write a path 'X -> Y' or a chain 'X -> M -> Y', got {text!r}"
                )
            for n in parts:
                known(n, f"hypotheses.{h}")
        unknown = set(self.thresholds) - set(_threshold_keys())
        if unknown:
            raise ValueError(
                f"thresholds: unknown key(s) {sorted(unknown)}; known: {', '.join(_threshold_keys())}"
            )
        return self

    # ------------------------------------------------------------------ helpers
    def column_label(self, column: str, lang: str) -> str:
        """Display name of a background column in ``lang`` (``column_names``; else the column)."""
        return _in_lang(self.column_names.get(column), lang) or column

    def value_label(self, column: str, value: Any, lang: str) -> str:
        """Display text of a code of a background column in ``lang`` (``value_labels``; 1, 1.0 and
        "1" are one code); the value as text when no label is given."""
        labels = self.value_labels.get(column) or {}
        key = int(value) if isinstance(value, float) and value.is_integer() else value
        for k in (key, str(key)):
            if k in labels:
                return _in_lang(labels[k], lang) or str(value)
        if isinstance(key, str) and key.lstrip("-").isdigit() and int(key) in labels:
            return _in_lang(labels[int(key)], lang) or str(value)
        return str(value)

    def resolve(self, path: str) -> Path:
        """Resolve a path written in the spec relative to the spec file's folder."""
        p = Path(os.path.expanduser(path))
        return p if p.is_absolute() else Path(self.base_dir) / p

    @property
    def items(self) -> list[str]:
        """All items, construct by construct, in spec order."""
        return [i for c in self.constructs.values() for i in c.items]

    @property
    def item_construct(self) -> dict[str, str]:
        """``item -> construct``."""
        return {i: c for c, spec in self.constructs.items() for i in spec.items}

    @property
    def item_columns(self) -> dict[str, str]:
        """``item id -> column header in the data file`` (the id itself unless ``column:`` is given)."""
        return {i: s.column or i for c in self.constructs.values() for i, s in c.items.items()}

    def columns_for(self, headers: list[str]) -> dict[str, str]:
        """``item -> column`` for a file with these ``headers``: ``data.columns`` (by order or label),
        then each item's own ``column:``, else the item id."""
        from cbeclab.io.columns import map_columns

        own = {i: s.column for c in self.constructs.values() for i, s in c.items.items() if s.column}
        if self.data.columns is None:
            return self.item_columns
        texts = {i: s.zh or s.en or "" for c in self.constructs.values() for i, s in c.items.items()}
        mapped = map_columns(
            self.items,
            headers,
            first=self.data.columns.first,
            match=self.data.columns.match,
            texts=texts,
            where=f"{self.source}: field data.columns",
        )
        return {**mapped, **own}

    def with_item_texts(self, texts: dict[str, str]) -> SurveySpec:
        """A copy in which items without ``zh``/``en`` text take ``texts[item]`` (e.g. an SPSS variable
        label): Chinese text becomes ``zh``, other text ``en``."""
        cons = {}
        changed = False
        for c, cs in self.constructs.items():
            items = {}
            for i, its in cs.items.items():
                t = (texts.get(i) or "").strip()
                if t and not (its.zh or its.en):
                    key = "zh" if re.search(r"[\u4e00-\u9fff]", t) else "en"
                    its = its.model_copy(update={key: t})
                    changed = True
                items[i] = its
            cons[c] = cs.model_copy(update={"items": items})
        return self.model_copy(update={"constructs": cons}) if changed else self

    @property
    def reversed_items(self) -> list[str]:
        return [i for c in self.constructs.values() for i, s in c.items.items() if s.reverse]

    def measurement_syntax(self) -> str:
        """lavaan measurement model, one ``construct =~ items`` line per construct (a CFA)."""
        return "\n".join(f"{c} =~ " + " + ".join(s.items) for c, s in self.constructs.items())

    def structural_syntax(self) -> str:
        """The structural part as lavaan text (from ``paths``, ``syntax`` or ``file``)."""
        if self.model.paths:
            by_y: dict[str, list[str]] = {}
            for a, b in self.model.edges():
                by_y.setdefault(b, []).append(a)
            return "\n".join(f"{y} ~ " + " + ".join(xs) for y, xs in by_y.items())
        if self.model.syntax:
            return self.model.syntax.strip()
        p = self.resolve(self.model.file or "")
        try:
            return p.read_text(encoding="utf-8-sig").strip()
        except FileNotFoundError:
            raise SpecError(
                "model file not found", where=f"{self.source}: field model.file ({p})", fix="check the path"
            ) from None

    def full_syntax(self) -> str:
        """Measurement + structural model (the structural text alone when it already has ``=~``)."""
        struct = self.structural_syntax()
        if "=~" in struct:
            return struct
        return self.measurement_syntax() + "\n" + struct


def _in_lang(text: str | dict[str, str] | None, lang: str) -> str:
    """One text, or the ``lang`` entry of ``{en: ..., zh: ...}`` (falling back to the other)."""
    if text is None:
        return ""
    if isinstance(text, str):
        return text
    return text.get(lang) or text.get("en") or text.get("zh") or next(iter(text.values()), "")


def _threshold_keys() -> list[str]:
    from cbeclab.survey.thresholds import load_thresholds

    return list(load_thresholds())


def survey_spec_from_dict(
    raw: dict[str, Any], *, base_dir: str | os.PathLike[str] = ".", source: str = "spec"
) -> SurveySpec:
    """Validate a survey spec given as a Python dict (paths relative to ``base_dir``)."""
    if not isinstance(raw, dict):
        raise SpecError(
            "the survey spec must be a mapping of fields (data, constructs, model, ...)", where=source
        )
    try:
        return SurveySpec.model_validate({**raw, "base_dir": str(base_dir), "source": source})
    except ValidationError as exc:
        raise format_validation_error(exc, source, doc="docs/survey.md", model=SurveySpec) from None


def load_survey_spec(path: str | os.PathLike[str]) -> SurveySpec:
    """Read and validate a YAML survey spec; relative paths in it resolve against its folder."""
    p = Path(path)
    raw = read_yaml_mapping(p, what="survey spec file", layout_hint="see docs/survey.md for the layout")
    return survey_spec_from_dict(raw or {}, base_dir=p.resolve().parent, source=str(p))
