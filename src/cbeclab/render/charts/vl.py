"""Vega-Lite specifications as plain dicts, for builders whose specs are fixed by the code.

The engine charts (:mod:`cbeclab.render.charts.engine`) used to be built with altair. Building them
with altair cost more than the report's tables: importing altair (~0.8 s), validating every
shorthand encoding against the schema while the chart is built and the whole spec again in
``to_dict`` (~0.8 s on a 3,000-entity panel). The specs depend only on our code, so they are
written here as the mappings altair produced (the same marks, encodings, scales, titles and data);
``tests/test_charts_builders.py`` validates them against the Vega-Lite schema altair ships.

Data is inlined as ``{"values": [...]}`` where the chart uses it (altair moved inline data to a
top-level ``datasets`` entry named by a hash; Vega-Lite draws both the same).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

__all__ = ["field", "layer", "facet", "plain", "tooltip", "unit"]

_TYPES = {"Q": "quantitative", "N": "nominal", "O": "ordinal", "T": "temporal"}

Spec = dict[str, Any]


def field(shorthand: str, **props: Any) -> Spec:
    """A field channel: ``"value:Q"`` -> ``{"field": "value", "type": "quantitative"}`` plus ``props``.

    Without a type (``"hi"``) only the field is given, as for the secondary channels ``x2``/``y2``.
    ``props`` are copied as given (``title=None`` is kept: it hides the title).
    """
    name, _sep, code = shorthand.partition(":")
    out: Spec = {"field": name}
    if code:
        out["type"] = _TYPES[code]
    out.update(props)
    return out


def tooltip(*items: str | Spec) -> list[Spec]:
    """A tooltip list: shorthand strings become field channels, mappings are kept."""
    return [field(i) if isinstance(i, str) else dict(i) for i in items]


def unit(
    mark: str | Mapping[str, Any],
    encoding: Mapping[str, Any],
    *,
    data: Any = None,
    transform: Iterable[Mapping[str, Any]] | None = None,
    **props: Any,
) -> Spec:
    """A single-view spec: ``mark`` (a type or ``{"type": ..., **mark properties}``) and ``encoding``."""
    out: Spec = {"mark": {"type": mark} if isinstance(mark, str) else dict(mark), "encoding": dict(encoding)}
    if data is not None:
        out["data"] = data
    if transform:
        out["transform"] = [dict(t) for t in transform]
    out.update(props)
    return out


def layer(*layers: Spec, data: Any = None, **props: Any) -> Spec:
    """Layers drawn on one view (``data``: shared by the layers that have none)."""
    out: Spec = {"layer": list(layers)}
    if data is not None:
        out["data"] = data
    out.update(props)
    return out


def facet(spec: Spec, facet_field: Spec, columns: int, *, data: Any = None) -> Spec:
    """``spec`` repeated per value of ``facet_field``, wrapped in ``columns`` columns."""
    out: Spec = {"facet": facet_field, "spec": spec, "columns": columns}
    if data is not None:
        out["data"] = data
    return out


def plain(values: Iterable[Any]) -> list[Any]:
    """``values`` as a list of Python scalars (numpy ints and floats become int and float for JSON)."""
    return [v.item() if hasattr(v, "item") and not isinstance(v, (str, bytes)) else v for v in values]
