"""Read a user's YAML file (spec, framework, profile) with errors that name the file, line and column."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import yaml

from cbeclab.errors import SpecError

__all__ = ["read_yaml_mapping"]


def read_yaml_mapping(
    path: str | os.PathLike[str],
    *,
    what: str = "file",
    fix: str = "check indentation, and quote values that contain ':' or start with '-' or '+'",
    layout_hint: str | None = None,
) -> dict[str, Any]:
    """Read ``path`` as UTF-8 (a BOM is accepted) YAML whose top level is a mapping.

    An empty file reads as ``{}`` (the caller's schema then says which fields are missing).

    Raises
    ------
    SpecError
        The file is missing, not UTF-8, not valid YAML (``where`` gives line and column; ``fix`` is
        ``fix``), or its top level is not a mapping (``fix`` is ``layout_hint``).
    """
    p = Path(path)
    if not p.is_file():
        raise SpecError(f"{what} not found", where=str(p), fix="check the path")
    try:
        text = p.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError:
        raise SpecError(f"the {what} is not UTF-8 text", where=str(p), fix="save it as UTF-8") from None
    except OSError as exc:
        raise SpecError(
            f"cannot read the {what} ({exc.strerror})", where=str(p), fix="check the path"
        ) from None
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"{p} line {mark.line + 1} column {mark.column + 1}" if mark is not None else str(p)
        raise SpecError(
            f"not valid YAML ({getattr(exc, 'problem', None) or exc})", where=where, fix=fix
        ) from None
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise SpecError(
            f"the {what} must be a mapping of fields at the top level, not a {type(data).__name__}",
            where=str(p),
            fix=layout_hint,
        )
    return data
