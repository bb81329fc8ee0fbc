"""Parser for lavaan model syntax.

Supported (lavaan 0.6 manual, "model syntax"):

* operators ``=~`` (is measured by), ``~`` (is regressed on), ``~~`` (covariance), ``:=`` (defined
  parameter: arithmetic on labels with ``+ - * / ^`` and parentheses);
* several left-hand sides or right-hand sides joined by ``+`` (``y1 + y2 ~ x1 + x2``);
* modifiers before a variable, chained with ``*``: a number fixes the parameter (``1*x1``, ``0*x2``),
  ``NA`` frees it (``NA*x1`` frees a first loading), a name labels it (``a*x1``; parameters sharing
  a label are constrained equal), ``start(0.5)`` gives a starting value, ``label("a")`` / ``"a"``
  a label;
* ``#`` and ``!`` comments, statements split by new lines or ``;``; a statement continues on the
  next line when a line ends with an operator, ``+`` or ``*``, or the next one starts with ``+``.

* intercepts and means ``y ~ 1`` (``x1 ~ 0*1`` fixes an intercept; a term named ``"1"`` that the
  parameter table turns into lavaan's ``~1`` row);

* multi-group modifiers ``c(...)``: one number, ``NA`` or label per group (``c(a1, a2)*x``);

Not supported (rejected with a message saying so): formative
``<~``, thresholds ``|``, scaling ``~*~`` and explicit constraints ``==``, ``<``, ``>``.

Every error is a :class:`cbeclab.errors.ModelSyntaxError` whose ``where`` gives the line and column
(1-based) of the offending token and whose ``fix`` says what to write instead.

Checked against: ``lavaan::lavaanify`` (lavaan 0.6-14) on the models in ``tests/test_sem_syntax.py``.
"""

from __future__ import annotations

import ast
import math
import re
from dataclasses import dataclass

from cbeclab.errors import ModelSyntaxError

__all__ = ["Term", "Statement", "Definition", "ParsedModel", "parse_model"]

#: operators in the order they are searched for in a statement (longer first)
_OPERATORS = (":=", "=~", "~~", "~*~", "<~", "==", "~", "<", ">", "|")
_UNSUPPORTED = {
    "~*~": "scaling factors (~*~) are for categorical models, which cbeclab does not fit",
    "<~": "formative (composite) indicators (<~) are not supported",
    "==": "explicit equality constraints (==) are not supported; give the parameters the same label",
    "<": "inequality constraints (<) are not supported",
    ">": "inequality constraints (>) are not supported",
    "|": "thresholds (|) are for categorical indicators, which cbeclab does not fit",
}
# names: letters of any script (Chinese item names work, as in lavaan), digits, "_" and "."
_NAME = r"(?:[^\W\d]|\.)[\w.]*"
_EXPR_TOKEN = re.compile(
    r"(?P<num>(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?)|(?P<name>(?:[^\W\d]|\.(?!\d))[\w.]*)"
)
_TOKEN = re.compile(
    r"""\s*(?:
    (?P<num>[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?)
  | (?P<name>(?:[^\W\d]|\.)[\w.]*)
  | (?P<str>"[^"]*"|'[^']*')
  | (?P<op>[*+()\-/^,])
    )""",
    re.VERBOSE,
)


@dataclass(frozen=True)
class Term:
    """One right-hand-side variable with its modifiers."""

    var: str
    fixed: float | None = None
    label: str | None = None
    start: float | None = None
    free: bool = False  # explicitly freed with NA*
    line: int = 0
    col: int = 0
    #: per-group modifiers from ``c(...)``: ("fixed", value) / ("free", "") / ("label", name)
    groups: tuple[tuple[str, str], ...] | None = None


@dataclass(frozen=True)
class Statement:
    """``lhs op term + term + ...`` (one lhs; several lhs are expanded into several statements)."""

    lhs: str
    op: str
    terms: tuple[Term, ...]
    line: int
    col: int


@dataclass(frozen=True)
class Definition:
    """``name := expression``; ``expr`` is the expression without blanks (lavaan's ``rhs``)."""

    name: str
    expr: str
    names: tuple[str, ...]
    line: int
    col: int


@dataclass(frozen=True)
class ParsedModel:
    """Statements and definitions in the order written."""

    statements: tuple[Statement, ...]
    definitions: tuple[Definition, ...]

    def variable_positions(self) -> dict[str, tuple[int, int]]:
        """First (line, column) where each variable name is written."""
        pos: dict[str, tuple[int, int]] = {}
        for st in self.statements:
            pos.setdefault(st.lhs, (st.line, st.col))
            for t in st.terms:
                pos.setdefault(t.var, (t.line, t.col))
        return pos


def _err(msg: str, line: int, col: int, fix: str) -> ModelSyntaxError:
    return ModelSyntaxError(msg, where=f"model syntax line {line}, column {col}", fix=fix)


def _strip_comment(text: str) -> str:
    out = []
    quote = ""
    for ch in text:
        if quote:
            out.append(ch)
            if ch == quote:
                quote = ""
        elif ch in "\"'":
            quote = ch
            out.append(ch)
        elif ch in "#!":
            break
        else:
            out.append(ch)
    return "".join(out)


def _split_statements(syntax: str) -> list[tuple[str, list[tuple[int, int]]]]:
    """Split into statements; each char keeps its (line, col) for error messages."""
    pieces: list[tuple[str, list[tuple[int, int]]]] = []
    for ln, raw in enumerate(syntax.splitlines(), start=1):
        text = _strip_comment(raw)
        start = 0
        for part in text.split(";"):
            pos = [(ln, start + i + 1) for i in range(len(part))]
            start += len(part) + 1
            if part.strip():
                pieces.append((part, pos))
    # join continuation lines
    joined: list[tuple[str, list[tuple[int, int]]]] = []
    for text, pos in pieces:
        if joined:
            prev = joined[-1][0].rstrip()
            ends_open = prev.endswith(("+", "*", "~", "=~", ":=", "-", "/", "(", ","))
            if ends_open or text.lstrip().startswith(("+", "*")):
                ptext, ppos = joined[-1]
                joined[-1] = (ptext + " " + text, ppos + [ppos[-1]] + pos)
                continue
        joined.append((text, pos))
    return joined


def _find_operator(text: str) -> tuple[str, int] | None:
    quote = ""
    i = 0
    while i < len(text):
        ch = text[i]
        if quote:
            if ch == quote:
                quote = ""
        elif ch in "\"'":
            quote = ch
        else:
            for op in _OPERATORS:
                if text.startswith(op, i):
                    # "~" followed by "~" / "*~" is handled by the longer operators listed first
                    return op, i
        i += 1
    return None


def _tokens(text: str, pos: list[tuple[int, int]], offset: int) -> list[tuple[str, str, int, int]]:
    """Tokenise ``text`` (a slice starting at ``offset`` of the statement)."""
    toks: list[tuple[str, str, int, int]] = []
    i = 0
    while i < len(text):
        if text[i].isspace():
            i += 1
            continue
        m = _TOKEN.match(text, i)
        ln, col = pos[min(offset + i, len(pos) - 1)]
        if m is None or m.end() == i:
            raise _err(
                f"unexpected character {text[i]!r}",
                ln,
                col,
                "variable names use letters, digits, '_' and '.'; modifiers are written like 0.5*x or a*x",
            )
        kind = m.lastgroup or ""
        tok = m.group(kind)
        start = m.start(kind)
        ln, col = pos[min(offset + start, len(pos) - 1)]
        # a sign directly after a name/number/')' is an operator, not part of a number
        if kind == "num" and tok[0] in "+-" and toks and toks[-1][0] in ("num", "name", "str", ")"):
            toks.append((tok[0], tok[0], ln, col))
            tok = tok[1:]
            col += 1
        toks.append((tok if kind == "op" else kind, tok, ln, col))
        i = m.end()
    return toks


def _parse_terms(
    toks: list[tuple[str, str, int, int]], line: int, col: int, op: str = ""
) -> tuple[Term, ...]:
    if not toks:
        raise _err(
            "nothing on the right-hand side", line, col, "write at least one variable after the operator"
        )
    groups: list[list[tuple[str, str, int, int]]] = [[]]
    plus: list[tuple[int, int]] = [(line, col)]
    depth = 0
    for tok in toks:
        if tok[0] == "(":
            depth += 1
        elif tok[0] == ")":
            depth -= 1
        if tok[0] == "+" and depth == 0:
            groups.append([])
            plus.append((tok[2], tok[3]))
        else:
            groups[-1].append(tok)
    terms = []
    for gi, g in enumerate(groups):
        if not g:
            el, ec = plus[gi + 1] if gi + 1 < len(plus) else plus[gi]
            raise _err(
                "empty term ('+' with nothing beside it)", el, ec, "remove the extra '+' or add a variable"
            )
        # split on '*' at depth 0
        parts: list[list[tuple[str, str, int, int]]] = [[]]
        depth = 0
        for tok in g:
            if tok[0] == "(":
                depth += 1
            elif tok[0] == ")":
                depth -= 1
            if tok[0] == "*" and depth == 0:
                parts.append([])
            else:
                parts[-1].append(tok)
        var_part = parts[-1]
        if len(var_part) != 1 or var_part[0][0] not in ("name", "num"):
            t = var_part[0] if var_part else g[-1]
            raise _err(
                f"expected a variable name, found {''.join(x[1] for x in var_part) or t[1]!r}",
                t[2],
                t[3],
                "write terms as var, 1*var, NA*var or label*var, joined by '+'",
            )
        vkind, var, vl, vc = var_part[0]
        if vkind == "num":
            if var in ("1", "1.0") and op == "~":
                var = "1"  # intercept (lavaan's '~ 1'): the parameter table turns it into a '~1' row
            else:
                raise _err(
                    f"expected a variable name, found the number {var}",
                    vl,
                    vc,
                    f"to fix a parameter write {var}*variable",
                )
        fixed: float | None = None
        label: str | None = None
        start: float | None = None
        free = False
        gmods: tuple[tuple[str, str], ...] | None = None
        for mod in parts[:-1]:
            if not mod:
                raise _err("empty modifier before '*'", vl, vc, "write e.g. 0.5*x or a*x")
            k0, v0, l0, c0 = mod[0]
            if len(mod) == 1 and k0 == "num":
                fixed = float(v0)
            elif len(mod) == 2 and mod[0][0] == "-" and mod[1][0] == "num":
                fixed = -float(mod[1][1])
            elif len(mod) == 1 and k0 == "name" and v0 == "NA":
                free = True
            elif len(mod) == 1 and k0 == "name":
                label = v0
            elif len(mod) == 1 and k0 == "str":
                label = v0[1:-1]
            elif (
                k0 == "name"
                and v0 in ("start", "label", "equal")
                and len(mod) in (4, 5)
                and mod[1][0] == "("
                and mod[-1][0] == ")"
            ):
                inner = mod[2:-1]
                if v0 == "start":
                    try:
                        sval = float("".join(t[1] for t in inner))
                    except ValueError:
                        raise _err("start() needs a number", l0, c0, "write start(0.5)*x") from None
                    start = sval
                else:
                    if len(inner) != 1 or inner[0][0] not in ("str", "name"):
                        raise _err(f"{v0}() needs a label", l0, c0, f'write {v0}("a")*x')
                    label = inner[0][1].strip("\"'")
            elif k0 == "name" and v0 == "c" and len(mod) >= 3 and mod[1][0] == "(" and mod[-1][0] == ")":
                items: list[list[tuple[str, str, int, int]]] = [[]]
                for tk in mod[2:-1]:
                    if tk[0] == ",":
                        items.append([])
                    else:
                        items[-1].append(tk)
                gm: list[tuple[str, str]] = []
                for it in items:
                    txt = "".join(x[1] for x in it)
                    if len(it) == 1 and it[0][0] == "name" and it[0][1] == "NA":
                        gm.append(("free", ""))
                    elif len(it) == 1 and it[0][0] in ("name", "str"):
                        gm.append(("label", it[0][1].strip("\"'")))
                    else:
                        try:
                            gm.append(("fixed", str(float(txt))))
                        except ValueError:
                            raise _err(
                                f"cannot read {txt!r} inside c(...)",
                                l0,
                                c0,
                                "write one number, NA or label for each group, e.g. c(a1, a2)*x",
                            ) from None
                gmods = tuple(gm)
            else:
                raise _err(
                    f"cannot read the modifier {''.join(t[1] for t in mod)!r}",
                    l0,
                    c0,
                    "a modifier is a number (fixed value), NA (free), a label, or start(value)",
                )
        if free and fixed is not None:
            raise _err(
                f"{var!r} is both fixed and freed (NA)", vl, vc, "keep either the number or NA, not both"
            )
        terms.append(
            Term(var=var, fixed=fixed, label=label, start=start, free=free, line=vl, col=vc, groups=gmods)
        )
    return tuple(terms)


_ALLOWED_AST = (
    ast.Expression,
    ast.BinOp,
    ast.UnaryOp,
    ast.Add,
    ast.Sub,
    ast.Mult,
    ast.Div,
    ast.Pow,
    ast.USub,
    ast.UAdd,
    ast.Name,
    ast.Load,
    ast.Constant,
)


def compile_expression(expr: str, line: int = 0, col: int = 0) -> tuple[ast.Expression, tuple[str, ...]]:
    """Parse a ``:=`` right-hand side into a safe Python AST and list the names it uses."""
    py = expr.replace("^", "**")
    # lavaan names may contain '.', which Python does not allow: map them. Numbers are matched first,
    # so the 'e5' of 1e5 is no name, and nan / inf are names (labels), never float literals.
    names_in = [m.group("name") for m in _EXPR_TOKEN.finditer(py) if m.group("name")]
    mapping = {n: f"_v{i}" for i, n in enumerate(dict.fromkeys(names_in))}

    def sub(m: re.Match[str]) -> str:
        name = m.group("name")
        return mapping[name] if name else m.group(0)

    py2 = _EXPR_TOKEN.sub(sub, py)
    try:
        tree = ast.parse(py2, mode="eval")
    except SyntaxError:
        raise _err(
            f"cannot read the expression {expr!r}",
            line,
            col,
            "use labels, numbers, + - * / ^ and parentheses, e.g. ind := a*b",
        ) from None
    for node in ast.walk(tree):
        if not isinstance(node, _ALLOWED_AST):
            raise _err(
                f"the expression {expr!r} uses something other than arithmetic",
                line,
                col,
                "use labels, numbers, + - * / ^ and parentheses only",
            )
    inverse = {v: k for k, v in mapping.items()}
    # rename back to lavaan names inside the tree; numbers become floats (no huge-integer powers)
    for node in ast.walk(tree):
        if isinstance(node, ast.Name):
            node.id = inverse.get(node.id, node.id)
        elif isinstance(node, ast.Constant):
            if not isinstance(node.value, int | float) or isinstance(node.value, bool):
                raise _err(
                    f"the expression {expr!r} holds something that is not a number",
                    line,
                    col,
                    "use labels, numbers, + - * / ^ and parentheses only",
                )
            try:
                node.value = float(node.value)
            except OverflowError:
                raise _err(
                    f"a number in {expr!r} is too large", line, col, "use numbers below 1e308"
                ) from None
            if not math.isfinite(node.value):
                raise _err(f"a number in {expr!r} is too large", line, col, "use numbers below 1e308")
    return tree, tuple(mapping)


def _is_number(s: str) -> bool:
    try:
        float(s)
    except ValueError:
        return False
    return True


def parse_model(syntax: str) -> ParsedModel:
    """Parse lavaan model syntax.

    Parameters
    ----------
    syntax
        Model text, e.g. ``"visual =~ x1 + x2 + x3\\ntextual =~ x4 + x5 + x6"``.

    Returns
    -------
    ParsedModel
        Statements (one per left-hand side) and ``:=`` definitions in the order written.

    Raises
    ------
    ModelSyntaxError
        With line and column of the problem and a suggested fix.

    Examples
    --------
    >>> m = parse_model("f =~ x1 + a*x2 + a*x3  # equal loadings")
    >>> [(t.var, t.label) for t in m.statements[0].terms]
    [('x1', None), ('x2', 'a'), ('x3', 'a')]
    """
    if not isinstance(syntax, str):
        raise ModelSyntaxError(
            "the model must be a string of lavaan syntax",
            where="model syntax",
            fix='pass text such as "f =~ x1 + x2 + x3"',
        )
    statements: list[Statement] = []
    definitions: list[Definition] = []
    for text, pos in _split_statements(syntax):
        found = _find_operator(text)
        first = next(i for i, ch in enumerate(text) if not ch.isspace())
        line, col = pos[first]
        if found is None:
            raise _err(
                f"no operator in {text.strip()!r}",
                line,
                col,
                "every statement needs one of =~ (measured by), ~ (regressed on), ~~ (covariance), := (defined)",
            )
        op, at = found
        oline, ocol = pos[at]
        if op in _UNSUPPORTED:
            raise _err(_UNSUPPORTED[op], oline, ocol, "rewrite the statement with =~, ~, ~~ or :=")
        lhs_text = text[:at]
        rhs_text = text[at + len(op) :]
        rhs_off = at + len(op)
        lhs_toks = _tokens(lhs_text, pos, 0)
        if not lhs_toks:
            raise _err(
                f"nothing on the left of {op!r}", oline, ocol, "write a variable name before the operator"
            )
        if op == ":=":
            if len(lhs_toks) != 1 or lhs_toks[0][0] != "name":
                raise _err(
                    "the left of ':=' must be one new parameter name",
                    lhs_toks[0][2],
                    lhs_toks[0][3],
                    "write e.g. ind := a*b",
                )
            expr = re.sub(r"\s+", "", rhs_text)
            if not expr:
                raise _err("nothing on the right of ':='", oline, ocol, "write e.g. ind := a*b")
            _, names = compile_expression(expr, oline, ocol)
            definitions.append(Definition(lhs_toks[0][1], expr, names, lhs_toks[0][2], lhs_toks[0][3]))
            continue
        # several lhs joined by '+'
        lhs_names = []
        expect_name = True
        for kind, val, ln, cl in lhs_toks:
            if expect_name and kind == "name":
                lhs_names.append((val, ln, cl))
                expect_name = False
            elif not expect_name and kind == "+":
                expect_name = True
            else:
                raise _err(
                    f"unexpected {val!r} on the left of {op!r}",
                    ln,
                    cl,
                    "the left side holds variable names joined by '+' (modifiers go on the right)",
                )
        if expect_name:
            raise _err(f"the left of {op!r} ends with '+'", oline, ocol, "remove the trailing '+'")
        terms = _parse_terms(_tokens(rhs_text, pos, rhs_off), oline, ocol + len(op), op)
        for name, ln, cl in lhs_names:
            statements.append(Statement(lhs=name, op=op, terms=terms, line=ln, col=cl))
    if not statements:
        raise ModelSyntaxError(
            "the model has no statements",
            where="model syntax",
            fix="write at least one line such as f =~ x1 + x2 + x3",
        )
    return ParsedModel(tuple(statements), tuple(definitions))


def select_group(parsed: ParsedModel, g: int, n_groups: int, *, keep_definitions: bool = True) -> ParsedModel:
    """The syntax of group ``g`` (0-based): each ``c(...)`` modifier replaced by its g-th entry.

    Raises
    ------
    ModelSyntaxError
        A ``c(...)`` with a number of entries different from ``n_groups``.
    """
    from dataclasses import replace

    sts = []
    for s in parsed.statements:
        terms = []
        for t in s.terms:
            if t.groups is None:
                terms.append(t)
                continue
            if len(t.groups) != n_groups:
                raise _err(
                    f"c(...) before {t.var} has {len(t.groups)} entries but the data have {n_groups} groups",
                    t.line,
                    t.col,
                    "write one entry per group",
                )
            kind, val = t.groups[g]
            if kind == "fixed":
                terms.append(replace(t, fixed=float(val), free=False, label=None, groups=None))
            elif kind == "free":
                terms.append(replace(t, fixed=None, free=True, groups=None))
            else:
                terms.append(replace(t, label=val, groups=None))
        sts.append(replace(s, terms=tuple(terms)))
    return replace(parsed, statements=tuple(sts), definitions=parsed.definitions if keep_definitions else ())


def group_labels(parsed: ParsedModel) -> set[str]:
    """Every label written inside a ``c(...)`` modifier."""
    return {v for s in parsed.statements for t in s.terms if t.groups for k, v in t.groups if k == "label"}
