"""Compatibility presets: the conventions of other tools, as data (``spssau.yaml``).

``compat="spssau"`` fills the options a caller left as ``None`` with SPSSAU's documented choices; an
option given explicitly always wins. One table serves every method, the spec and the CLI, so a reader
finds in one file what "SPSSAU mode" changes (docs/reconcile.md discusses each entry).
"""

from __future__ import annotations

from functools import cache
from importlib import resources
from typing import Any

import yaml

from cbeclab.errors import SpecError
from cbeclab.i18n import _

__all__ = ["COMPATS", "preset", "resolve"]

COMPATS: tuple[str, ...] = ("spssau",)


@cache
def _table(name: str) -> dict[str, dict[str, Any]]:
    text = resources.files("cbeclab.compat").joinpath(f"{name}.yaml").read_text(encoding="utf-8")
    data: dict[str, dict[str, Any]] = yaml.safe_load(text)
    return data


def check_compat(compat: str | None) -> None:
    """Raise :class:`SpecError` unless ``compat`` is ``None`` or a known preset."""
    if compat is not None and compat not in COMPATS:
        raise SpecError(
            _("unknown compat {value!r}; known presets: {known}.", value=compat, known=", ".join(COMPATS)),
            where="compat",
            fix=_("leave compat unset (cbeclab's defaults) or use 'spssau'."),
        )


def preset(method: str, compat: str | None) -> dict[str, Any]:
    """The options ``compat`` sets for ``method`` (empty without a preset)."""
    check_compat(compat)
    if compat is None:
        return {}
    return dict(_table(compat).get(method, {}))


def resolve(method: str, compat: str | None, defaults: dict[str, Any], /, **given: Any) -> dict[str, Any]:
    """Each option: the value given, else the preset's value, else cbeclab's default.

    >>> resolve("entropy", "spssau", {"standardize": True, "shift": 0.0}, standardize=None, shift=None)
    {'standardize': False, 'shift': 'nonpositive_only'}
    >>> resolve("entropy", None, {"standardize": True, "shift": 0.0}, standardize=None, shift=0.01)
    {'standardize': True, 'shift': 0.01}
    """
    pre = preset(method, compat)
    return {k: (v if v is not None else pre.get(k, defaults.get(k))) for k, v in given.items()}
