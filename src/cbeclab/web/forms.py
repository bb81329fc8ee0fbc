"""HTML forms generated from the pydantic spec models (one walk over ``model_json_schema()``).

:func:`form_fields` turns a model class into a flat list of :class:`FormField` (dotted names such as
``synergy.bound_margin``); :func:`parse_form` turns the submitted strings back into the nested mapping
the same model validates, so the CLI (YAML), the API (JSON) and the pages accept exactly the same
options. Fields whose schema is not a plain scalar (mappings, lists) are edited as YAML text.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import yaml
from pydantic import BaseModel

from cbeclab.errors import SpecError

__all__ = ["FormField", "form_fields", "parse_form"]


@dataclass(frozen=True)
class FormField:
    name: str  # dotted path
    label: str
    kind: str  # select | checkbox | number | integer | text | yaml
    default: Any = None
    options: tuple[str, ...] = ()
    optional: bool = False
    minimum: float | None = None
    maximum: float | None = None
    help: str = ""
    group: str = ""
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def default_text(self) -> str:
        if self.default is None:
            return ""
        if self.kind == "yaml":
            return yaml.safe_dump(self.default, allow_unicode=True, sort_keys=False).strip()
        if isinstance(self.default, bool):
            return "true" if self.default else "false"
        return str(self.default)


def _deref(schema: Mapping[str, Any], defs: Mapping[str, Any]) -> dict[str, Any]:
    if "$ref" in schema:
        name = str(schema["$ref"]).rsplit("/", 1)[-1]
        return {**defs[name], **{k: v for k, v in schema.items() if k != "$ref"}}
    return dict(schema)


def _unwrap_optional(schema: dict[str, Any], defs: Mapping[str, Any]) -> tuple[dict[str, Any], bool]:
    alts = schema.get("anyOf")
    if not alts:
        return schema, False
    non_null = [a for a in alts if a.get("type") != "null"]
    optional = len(non_null) < len(alts)
    if len(non_null) == 1:
        inner = _deref(non_null[0], defs)
        merged = {**inner, **{k: v for k, v in schema.items() if k not in ("anyOf",)}}
        return merged, optional
    return {**schema, "type": "mixed"}, optional


def _walk(
    schema: Mapping[str, Any], defs: Mapping[str, Any], prefix: str, exclude: set[str], group: str
) -> list[FormField]:
    out: list[FormField] = []
    props = schema.get("properties", {})
    for key, raw in props.items():
        name = f"{prefix}{key}"
        if name in exclude:
            continue
        sub, optional = _unwrap_optional(_deref(raw, defs), defs)
        default = raw.get("default", sub.get("default"))
        label = str(sub.get("title") or key)
        help_text = str(sub.get("description") or "")
        if sub.get("type") == "object" and "properties" in sub:
            out.extend(_walk(sub, defs, name + ".", exclude, group=name))
            continue
        kw: dict[str, Any] = {"label": label, "optional": optional, "help": help_text, "group": group}
        if "enum" in sub or "const" in sub:
            opts = tuple(str(v) for v in sub.get("enum", [sub.get("const")]))
            out.append(FormField(name, kind="select", default=default, options=opts, **kw))
        elif sub.get("type") == "boolean":
            out.append(FormField(name, kind="checkbox", default=bool(default), **kw))
        elif sub.get("type") in ("integer", "number"):
            lo = sub.get("minimum", sub.get("exclusiveMinimum"))
            hi = sub.get("maximum", sub.get("exclusiveMaximum"))
            out.append(FormField(name, kind=str(sub["type"]), default=default, minimum=lo, maximum=hi, **kw))
        elif sub.get("type") == "string" and "format" not in sub:
            out.append(FormField(name, kind="text", default=default, **kw))
        else:
            out.append(FormField(name, kind="yaml", default=default, **kw))
    return out


def form_fields(model: type[BaseModel], exclude: set[str] | None = None) -> list[FormField]:
    """Every option of ``model`` as a form field (nested models flattened to dotted names)."""
    schema = model.model_json_schema()
    return _walk(schema, schema.get("$defs", {}), "", set(exclude or ()), group="")


def _set(target: dict[str, Any], dotted: str, value: Any) -> None:
    parts = dotted.split(".")
    for p in parts[:-1]:
        target = target.setdefault(p, {})
    target[parts[-1]] = value


def parse_form(fields: list[FormField], form: Mapping[str, Any]) -> dict[str, Any]:
    """The nested options mapping from submitted form strings (empty optional fields are left out)."""
    out: dict[str, Any] = {}
    for f in fields:
        if f.kind == "checkbox":
            _set(out, f.name, str(form.get(f.name, "")).lower() in ("on", "true", "1", "yes"))
            continue
        raw = form.get(f.name)
        text = "" if raw is None else str(raw).strip()
        if text == "":
            continue
        if f.kind == "number":
            try:
                _set(out, f.name, float(text))
            except ValueError:
                raise SpecError(
                    f"{text!r} is not a number", where=f"field {f.name}", fix="type a number"
                ) from None
        elif f.kind == "integer":
            try:
                _set(out, f.name, int(text))
            except ValueError:
                raise SpecError(
                    f"{text!r} is not a whole number", where=f"field {f.name}", fix="type a whole number"
                ) from None
        elif f.kind == "yaml":
            try:
                _set(out, f.name, yaml.safe_load(text))
            except yaml.YAMLError as exc:
                mark = getattr(exc, "problem_mark", None)
                where = f"field {f.name}" + (
                    f", line {mark.line + 1}, column {mark.column + 1}" if mark is not None else ""
                )
                raise SpecError(
                    "this is not valid YAML", where=where, fix="check indentation and colons"
                ) from None
        else:
            _set(out, f.name, text)
    return out
