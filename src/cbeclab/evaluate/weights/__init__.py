"""Indicator weights: one method a module, one dispatcher (the weights contract of docs/architecture.md).

=============  ==========================================================  ==========================
method         module                                                      scope-dependent
=============  ==========================================================  ==========================
``entropy``    :mod:`~cbeclab.evaluate.weights.entropy`                    yes
``critic``     :mod:`~cbeclab.evaluate.weights.critic` (Diakoulaki 1995)   yes
``cv``         :mod:`~cbeclab.evaluate.weights.cv` (coefficient of var.)   yes
``ahp``        :mod:`~cbeclab.evaluate.weights.ahp` (Saaty)                no (same row everywhere)
``equal``      :mod:`~cbeclab.evaluate.weights.equal`                      no
``user``       :mod:`~cbeclab.evaluate.weights.user`                       no
``combined``   :mod:`~cbeclab.evaluate.weights.combined` (subj. x obj.)    through the objective part
=============  ==========================================================  ==========================
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pandas as pd

from cbeclab.errors import SpecError
from cbeclab.evaluate.weights.result import WeightResult
from cbeclab.i18n import _

METHODS = ("entropy", "critic", "cv", "ahp", "equal", "user", "combined")

__all__ = ["METHODS", "WeightResult", "compute_weights"]


def _method_name(method: Any) -> str:
    name = str(method).strip().lower() if isinstance(method, str) else None
    if name not in METHODS:
        raise SpecError(
            _(
                "unknown weighting method {method!r}; valid methods: {v1}.",
                method=method,
                v1=", ".join(METHODS),
            ),
            where="weights.method",
            fix=_("pick one of the valid methods (combined also needs combine={...})."),
        )
    return name


def compute_weights(
    X: pd.DataFrame,
    directions: Mapping[str, Any],
    method: str = "entropy",
    *,
    scope: str = "pooled",
    shift: float | str | None = None,
    user: Mapping[str, Any] | None = None,
    ahp_matrix: Any = None,
    ahp_allow_inconsistent: bool = False,
    combine: Mapping[str, Any] | None = None,
    on_constant: str = "raise",
    standardize: bool | None = None,
    ahp_method: str | None = None,
    compat: str | None = None,
) -> WeightResult:
    """Compute indicator weights with ``method``.

    Parameters
    ----------
    X
        Panel matrix (``MultiIndex(entity, period)``, one float column per indicator).
    directions
        ``indicator -> +1 | -1`` (benefit / cost).
    method
        One of ``entropy`` (default), ``critic``, ``cv``, ``ahp``, ``equal``, ``user``, ``combined``.
    scope
        ``"pooled"`` or ``"per_entity"`` (one weight row per entity, from its own rows). AHP, equal and
        user weights are the same for every group.
    shift
        Translation added after min–max (entropy only; 0.0001 or 0.01 is common practice), or
        ``"nonpositive_only"`` (SPSSAU's non-negative shift). ``None``: 0, or what ``compat`` sets.
    user
        ``indicator -> weight`` for ``method="user"`` (or a ``combine`` with subjective ``"user"``).
    ahp_matrix
        Pairwise comparison matrix for ``method="ahp"``: a square DataFrame (index = columns = indicators)
        or a nested dict ``{row: {col: a_ij}}``.
    ahp_allow_inconsistent
        Accept an AHP matrix with ``CR >= 0.1`` (a note records it).
    combine
        For ``method="combined"``: ``{"subjective": "ahp" | "user", "objective": "entropy" | "critic" | "cv",
        "rule": "multiplicative" | "linear", "alpha": 0.5}``. Default rule: multiplicative.
    on_constant
        ``"raise"`` (default) or ``"zero"``: how entropy / CRITIC treat an indicator that is constant in a
        scope group (``"zero"`` gives it weight 0 there). An extension of the contract, keyword only.
    standardize
        Entropy and CRITIC: ``True`` min–max by direction first (cbeclab's default), ``False`` the values as
        given (SPSSAU's convention). ``None``: what ``compat`` sets, else ``True``.
    ahp_method
        ``"eigen"``, ``"geometric"`` or ``"sum_product"``; ``None``: what ``compat`` sets, else ``"eigen"``.
    compat
        ``"spssau"``: SPSSAU's documented defaults for every option left ``None`` (cbeclab/compat/spssau.yaml).

    Returns
    -------
    WeightResult
        ``.table`` (rows = scope groups, each summing to 1), ``.for_entity(e)``, ``.details``.

    Examples
    --------
    >>> import pandas as pd
    >>> X = pd.DataFrame({"a": [1.0, 2.0, 3.0], "b": [1.0, 1.0, 4.0]})
    >>> compute_weights(X, {"a": 1, "b": 1}).table.round(4).to_dict("records")
    [{'a': 0.2961, 'b': 0.7039}]
    >>> compute_weights(X, {"a": 1, "b": 1}, "equal").table.to_dict("records")
    [{'a': 0.5, 'b': 0.5}]
    """
    name = _method_name(method)
    if combine is not None and name != "combined":
        raise SpecError(
            _("combine= was given but method is {name!r}.", name=name),
            where="weights.combine",
            fix=_("pass method='combined' together with combine={...}, or drop combine."),
        )
    if name == "entropy":
        from cbeclab.evaluate.weights.entropy import entropy_weights

        return entropy_weights(
            X,
            directions,
            scope=scope,
            shift=shift,
            on_constant=on_constant,
            standardize=standardize,
            compat=compat,
        )
    if name == "critic":
        from cbeclab.evaluate.weights.critic import critic_weights

        return critic_weights(
            X, directions, scope=scope, on_constant=on_constant, standardize=standardize, compat=compat
        )
    if name == "cv":
        from cbeclab.evaluate.weights.cv import cv_weights

        return cv_weights(X, directions, scope=scope)
    if name == "ahp":
        from cbeclab.evaluate.weights.ahp import ahp_weights

        if ahp_matrix is None:
            raise SpecError(
                _("method 'ahp' needs a pairwise comparison matrix."),
                where="weights.ahp_matrix",
                fix=_("pass ahp_matrix= as a square DataFrame or nested dict over the indicators."),
            )
        return ahp_weights(
            X,
            directions,
            ahp_matrix,
            scope=scope,
            allow_inconsistent=ahp_allow_inconsistent,
            method=ahp_method,
            compat=compat,
        )
    if name == "equal":
        from cbeclab.evaluate.weights.equal import equal_weights

        return equal_weights(X, directions, scope=scope)
    if name == "user":
        from cbeclab.evaluate.weights.user import user_weights

        if user is None:
            raise SpecError(
                _("method 'user' needs the weights."),
                where="weights.user",
                fix=_("pass user={'indicator': weight, ...} covering every indicator."),
            )
        return user_weights(X, directions, user=user, scope=scope)
    from cbeclab.evaluate.weights.combined import combined_weights

    if combine is None:
        raise SpecError(
            _("method 'combined' needs combine={...}."),
            where="weights.combine",
            fix=_(
                "pass e.g. combine={'subjective': 'ahp', 'objective': 'entropy', 'rule': 'multiplicative'}."
            ),
        )
    return combined_weights(
        X,
        directions,
        combine,
        scope=scope,
        shift=0.0 if shift is None else shift,
        standardize=standardize,
        ahp_method=ahp_method,
        compat=compat,
        user=user,
        ahp_matrix=ahp_matrix,
        ahp_allow_inconsistent=ahp_allow_inconsistent,
        on_constant=on_constant,
    )
