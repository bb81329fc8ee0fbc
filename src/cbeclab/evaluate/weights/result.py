"""The typed result every weighting method returns (weights contract, docs/architecture.md)."""

from __future__ import annotations

from collections.abc import Hashable
from dataclasses import dataclass, field
from typing import Any, cast

import numpy as np
import pandas as pd

from cbeclab.errors import DataError
from cbeclab.evaluate._scope import POOLED_LABEL, Scoped
from cbeclab.i18n import _
from cbeclab.jsonsafe import json_safe, records


def frame_records(df: pd.DataFrame) -> list[dict[str, Any]]:
    """A frame as a JSON-safe list of row dicts (the index becomes a ``group`` / index-name field)."""
    return records(df.reset_index())


@dataclass(frozen=True)
class WeightResult:
    """Indicator weights, one row per scope group.

    Attributes
    ----------
    method
        Weighting method name (``"entropy"``, ``"critic"``, ``"cv"``, ``"ahp"``, ``"equal"``, ``"user"``,
        ``"combined"``).
    scope
        ``"pooled"`` or ``"per_entity"``.
    table
        One row per scope group (index: entity names for ``per_entity``, the single label ``"pooled"`` for
        pooled), one column per indicator; each row sums to 1.
    details
        Method-specific tables (entropy ``e``, ``d``; CRITIC ``sd``, ``conflict``, ``information``;
        AHP ``matrix``, ``summary`` ...), each a DataFrame.
    notes
        Plain-language remarks (e.g. user weights rescaled to sum to 1).
    """

    method: str
    scope: str
    table: pd.DataFrame
    details: dict[str, pd.DataFrame] = field(default_factory=dict)
    notes: tuple[str, ...] = ()

    @property
    def indicators(self) -> list[str]:
        return [str(c) for c in self.table.columns]

    def for_entity(self, entity: Hashable) -> pd.Series:
        """Weights used for ``entity`` (the pooled row when the weights are pooled)."""
        if len(self.table.index) == 1 and self.table.index[0] == POOLED_LABEL:
            row = self.table.iloc[0].copy()
        elif entity in self.table.index:
            row = self.table.loc[cast(Any, entity)].copy()
        else:
            raise DataError(
                _(
                    "no weights for entity {entity!r}; known entities: {v1}.",
                    entity=entity,
                    v1=", ".join(map(repr, list(self.table.index)[:10])),
                ),
                where="WeightResult.for_entity",
                fix=_("compute the weights on a panel that contains this entity, or use pooled weights."),
            )
        row.name = entity
        return row

    def to_frame(self) -> pd.DataFrame:
        """Long table with columns ``group``, ``indicator``, ``weight``."""
        t = self.table
        groups = np.repeat(np.asarray(t.index, dtype=object), t.shape[1])
        inds = np.tile(np.asarray([str(c) for c in t.columns], dtype=object), t.shape[0])
        return pd.DataFrame({"group": groups, "indicator": inds, "weight": t.to_numpy(dtype=float).ravel()})

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe dict: ``weights`` is ``{group: {indicator: weight}}`` (group labels as strings)."""
        weights = {str(g): {str(k): json_safe(v) for k, v in row.items()} for g, row in self.table.iterrows()}
        return {
            "method": self.method,
            "scope": self.scope,
            "indicators": self.indicators,
            "weights": weights,
            "details": {name: frame_records(df) for name, df in self.details.items()},
            "notes": list(self.notes),
        }


def group_frame(sc: Scoped, arr: np.ndarray) -> pd.DataFrame:
    """``(G, K)`` array -> DataFrame indexed by scope group with one column per indicator."""
    idx = sc.groups.copy()
    idx.name = "group"
    return pd.DataFrame(np.asarray(arr, dtype=float), index=idx, columns=list(sc.indicators))


def repeat_row(sc: Scoped, w: np.ndarray) -> np.ndarray:
    """A single ``(K,)`` weight vector repeated for every scope group."""
    return np.broadcast_to(np.asarray(w, dtype=float), (len(sc.groups), len(sc.indicators))).copy()
