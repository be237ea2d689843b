"""Which of a mesh's shape keys play which ARKit channels.

A ShapeKeyMap is the one representation: for every driven shape key, the ARKit channels (and weights)
whose weighted sum sets it. Exact ARKit names map one-to-one; presets for other naming schemes add
rows whose weights combine several channels.
"""

import json
import re
from dataclasses import dataclass, field

import numpy as np

from ..clips.arkit import ARKIT_BLENDSHAPES, ARKIT_INDEX
from ..clips.face import FaceClip


class ShapeKeyMapError(ValueError):
    """The mesh's shape keys cannot play a face clip; the message says what is missing."""


def normalized_name(name: str) -> str:
    """Case-, separator- and common prefix/suffix-insensitive form used to match key names."""
    name = re.sub(r"^(blendshape\d*|arkit|bs|shape|sk)[._:\-]+", "", name.strip(), flags=re.I)
    return re.sub(r"[^a-z0-9]", "", name.lower())


_ARKIT_BY_NORMALIZED = {normalized_name(n): n for n in ARKIT_BLENDSHAPES}


@dataclass
class ShapeKeyMap:
    """rows[key_name] = {arkit_channel: weight}; a key's value is the clipped weighted sum of its channels."""

    rows: dict = field(default_factory=dict)

    @property
    def mapped_channels(self) -> set:
        return {channel for row in self.rows.values() for channel in row}

    @property
    def unmapped_channels(self) -> list:
        mapped = self.mapped_channels
        return [c for c in ARKIT_BLENDSHAPES if c not in mapped]

    def matrix(self) -> tuple:
        """(key_names, W) with W of shape (keys, 52) so that values = weights @ W.T."""
        names = list(self.rows)
        weights = np.zeros((len(names), len(ARKIT_BLENDSHAPES)))
        for k, name in enumerate(names):
            for channel, weight in self.rows[name].items():
                weights[k, ARKIT_INDEX[channel]] = weight
        return names, weights

    def key_values(self, clip: FaceClip) -> dict:
        names, weights = self.matrix()
        values = np.clip(clip.weights @ weights.T, 0.0, 1.0)
        return {name: values[:, k] for k, name in enumerate(names)}

    def to_json(self) -> str:
        return json.dumps({"shape_keys": self.rows}, indent=2, sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> "ShapeKeyMap":
        try:
            rows = json.loads(text)["shape_keys"]
        except (ValueError, KeyError, TypeError):
            raise ShapeKeyMapError('A shape-key map preset is JSON of the form {"shape_keys": {key: {channel: weight}}}.') from None
        unknown = sorted({c for row in rows.values() for c in row} - set(ARKIT_BLENDSHAPES))
        if unknown:
            raise ShapeKeyMapError(f"The preset names channels that are not ARKit blendshapes: {', '.join(unknown)}.")
        return cls({str(k): {str(c): float(w) for c, w in row.items()} for k, row in rows.items()})


def map_by_name(key_names) -> ShapeKeyMap:
    """Map every shape key whose name is an ARKit name up to case, separators and common prefixes."""
    rows = {}
    for key in key_names:
        channel = _ARKIT_BY_NORMALIZED.get(normalized_name(key))
        if channel is not None and channel not in {c for row in rows.values() for c in row}:
            rows[key] = {channel: 1.0}
    return ShapeKeyMap(rows)
