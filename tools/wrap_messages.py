"""One-off helper: wrap user-visible message literals of cbeclab modules in ``_()``.

Rewrites, in the given files, the message and ``fix=`` of ``raise XxxError(...)`` calls of the
cbeclab error hierarchy, ``warnings.warn(...)`` texts and ``notes.append(...)`` texts. f-strings become
``_("... {name} ...", name=expr)``. Prints what it could not convert. Run ``ruff format`` afterwards.
"""

from __future__ import annotations

import ast
import keyword
import sys
from pathlib import Path

ERRORS = {
    "CbecError",
    "DataError",
    "SpecError",
    "ModelError",
    "ModelSyntaxError",
    "IdentificationError",
    "ConvergenceError",
}
RESERVED = {"lang", "msgid", "context"}


def _field_name(expr: ast.expr, used: dict[str, str], n: list[int]) -> str:
    code = ast.unparse(expr)
    for k, v in used.items():
        if v == code:
            return k
    if isinstance(expr, ast.Name):
        base = expr.id
    elif isinstance(expr, ast.Attribute):
        base = expr.attr
    elif isinstance(expr, ast.Subscript) and isinstance(expr.slice, ast.Constant) and isinstance(
        expr.slice.value, str
    ):
        base = expr.slice.value
    elif isinstance(expr, ast.Call) and isinstance(expr.func, ast.Name) and expr.func.id in ("len",) and expr.args:
        inner = expr.args[0]
        base = "n_" + (inner.id if isinstance(inner, ast.Name) else "items")
    else:
        n[0] += 1
        base = f"v{n[0]}"
    base = base.strip("_") or "v"
    if not base.isidentifier() or keyword.iskeyword(base) or base in RESERVED:
        base = base + "_" if base.isidentifier() else "v"
        if base.rstrip("_") in RESERVED:
            base = {"lang": "language", "msgid": "message", "context": "ctx"}[base.rstrip("_")]
    name, i = base, 2
    while name in used and used[name] != code:
        name, i = f"{base}{i}", i + 1
    used[name] = code
    return name


def convert(node: ast.expr) -> str | None:
    """Source of ``_(...)`` for a string literal or f-string, or None when it cannot be converted."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        if not node.value.strip():
            return None
        return f"_({node.value!r})"
    if not isinstance(node, ast.JoinedStr):
        return None
    text: list[str] = []
    used: dict[str, str] = {}
    n = [0]
    for part in node.values:
        if isinstance(part, ast.Constant):
            text.append(str(part.value).replace("{", "{{").replace("}", "}}"))
        elif isinstance(part, ast.FormattedValue):
            name = _field_name(part.value, used, n)
            conv = {-1: "", 114: "!r", 115: "!s", 97: "!a"}[part.conversion]
            spec = ""
            if part.format_spec is not None:
                fs = part.format_spec
                if not isinstance(fs, ast.JoinedStr) or not all(isinstance(v, ast.Constant) for v in fs.values):
                    return None
                spec = ":" + "".join(str(v.value) for v in fs.values)  # type: ignore[attr-defined]
            text.append("{" + name + conv + spec + "}")
        else:
            return None
    msg = "".join(text)
    args = ", ".join(f"{k}={v}" for k, v in used.items())
    return f"_({msg!r}, {args})" if args else f"_({msg!r})"


def _is_call_to(node: ast.Call, names: set[str]) -> bool:
    f = node.func
    return (isinstance(f, ast.Name) and f.id in names) or (isinstance(f, ast.Attribute) and f.attr in names)


def targets(tree: ast.AST) -> list[ast.expr]:
    out: list[ast.expr] = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        if _is_call_to(node, ERRORS):
            if node.args:
                out.append(node.args[0])
            out.extend(k.value for k in node.keywords if k.arg in ("message", "fix"))
        elif isinstance(node.func, ast.Attribute) and node.func.attr == "warn" and isinstance(
            node.func.value, ast.Name
        ) and node.func.value.id == "warnings" and node.args:
            out.append(node.args[0])
        elif isinstance(node.func, ast.Attribute) and node.func.attr == "append" and node.args:
            recv = node.func.value
            rname = recv.id if isinstance(recv, ast.Name) else recv.attr if isinstance(recv, ast.Attribute) else ""
            if rname.endswith("notes") or rname == "warns":
                out.append(node.args[0])
    return out


def rewrite(path: Path) -> None:
    src = path.read_text(encoding="utf-8")
    tree = ast.parse(src)
    lines = src.splitlines(keepends=True)
    starts = [0]
    for ln in lines:
        starts.append(starts[-1] + len(ln))

    def off(lineno: int, col: int) -> int:
        # ast columns are UTF-8 byte offsets
        line = lines[lineno - 1]
        return starts[lineno - 1] + len(line.encode("utf-8")[:col].decode("utf-8"))

    stores = [n for n in ast.walk(tree) if isinstance(n, ast.Name) and n.id == "_"]
    edits: list[tuple[int, int, str]] = []
    if any(isinstance(n.ctx, ast.Load) for n in stores):
        print(f"SKIP {path}: `_` is read as a variable")
        return
    for n in stores:
        edits.append((off(n.lineno, n.col_offset), off(n.end_lineno or n.lineno, n.end_col_offset or 0), "_unused"))
    count = 0
    for t in targets(tree):
        new = convert(t)
        if new is None:
            if not (isinstance(t, ast.Call) and isinstance(t.func, ast.Name) and t.func.id == "_"):
                print(f"LEFT {path}:{t.lineno}: {ast.unparse(t)[:100]}")
            continue
        edits.append((off(t.lineno, t.col_offset), off(t.end_lineno or t.lineno, t.end_col_offset or 0), new))
        count += 1
    if not count:
        return
    for a, b, new in sorted(edits, reverse=True):
        src = src[:a] + new + src[b:]
    if "from cbeclab.i18n import _" not in src:
        tree2 = ast.parse(src)
        last = max(
            (n for n in tree2.body if isinstance(n, ast.ImportFrom | ast.Import)),
            key=lambda n: n.end_lineno or 0,
        )
        ls = src.splitlines(keepends=True)
        ls.insert(last.end_lineno or 0, "from cbeclab.i18n import _\n")
        src = "".join(ls)
    path.write_text(src, encoding="utf-8")
    print(f"{path}: {count} message(s)")


if __name__ == "__main__":
    for p in sys.argv[1:]:
        rewrite(Path(p))
