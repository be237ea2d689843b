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
from ..errors import SoundMotionError


class ShapeKeyMapError(SoundMotionError):
    """The mesh's shape keys cannot play a face clip; the message says what is missing."""


def normalized_name(name: str) -> str:
    """Case-, separator- and common prefix/suffix-insensitive form used to match key names."""
    name = re.sub(r"^(blendshape\d*|arkit|bs|shape|sk)[._:\-]+", "", name.strip(), flags=re.I)
    return re.sub(r"[\W_]", "", name.lower())  # letters of any script kept (MikuMikuDance's あ, まばたき)


_ARKIT_BY_NORMALIZED = {normalized_name(n): n for n in ARKIT_BLENDSHAPES}


@dataclass
class ShapeKeyMap:
    """rows[key_name] = {arkit_channel: weight}; a key's value is the clipped weighted sum of its channels.

    `preset` names the naming scheme the rows came from ("" when hand-made or matched by ARKit name only).
    """

    rows: dict = field(default_factory=dict)
    preset: str = ""

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
        return json.dumps({"preset": self.preset, "shape_keys": self.rows}, indent=2, sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> "ShapeKeyMap":
        try:
            data = json.loads(text)
        except ValueError:
            raise ShapeKeyMapError(f"{FORM} It is not valid JSON.") from None
        return cls.from_dict(data)

    @classmethod
    def from_dict(cls, data) -> "ShapeKeyMap":
        rows = data.get("shape_keys") if isinstance(data, dict) else None
        if not isinstance(rows, dict) or not all(isinstance(row, dict) for row in rows.values()):
            raise ShapeKeyMapError(FORM)
        bad = sorted(str(key) for key, row in rows.items() for weight in row.values()
                     if isinstance(weight, bool) or not isinstance(weight, (int, float)) or not np.isfinite(weight))
        if bad:
            raise ShapeKeyMapError(f"Weights must be numbers; the rows of {', '.join(bad[:5])} have others.")
        unknown = sorted({c for row in rows.values() for c in row} - set(ARKIT_BLENDSHAPES))
        if unknown:
            raise ShapeKeyMapError(f"The preset names channels that are not ARKit blendshapes: {', '.join(unknown)}.")
        preset = data.get("preset", "")
        return cls({str(k): {str(c): float(w) for c, w in row.items()} for k, row in rows.items()},
                   preset if isinstance(preset, str) else "")


FORM = 'A shape-key map preset is JSON of the form {"shape_keys": {key: {channel: weight}}}.'


def map_by_name(key_names) -> ShapeKeyMap:
    """Map every shape key whose name is an ARKit name up to case, separators and common prefixes."""
    rows = {}
    for key in key_names:
        channel = _ARKIT_BY_NORMALIZED.get(normalized_name(key))
        if channel is not None and channel not in {c for row in rows.values() for c in row}:
            rows[key] = {channel: 1.0}
    return ShapeKeyMap(rows)


# Keys that belong to a scheme but stay at 0 (rest/silence shapes): they still tell which scheme a mesh uses.
_REST_KEYS = {"oculus": ("viseme_sil",), "vrchat": ("vrc.v_sil",), "rhubarb": ("X",), "preston_blair": ("rest",),
              "vrm": ("Fcl_MTH_Neutral",), "cc3_visemes": ("None",)}
_MOUTH_CHANNELS_FOR_ARKIT = 3  # a mesh whose ARKit-named keys drive this many mouth channels needs no visemes


def _preset_keys(preset: str) -> dict:
    """normalized key name → (preset key name, row or None for rest keys)."""
    from .shape_key_presets import preset_rows

    keys = {normalized_name(key): (key, row) for key, row in preset_rows(preset).items()}
    for key in _REST_KEYS.get(preset, ()):
        keys.setdefault(normalized_name(key), (key, None))
    return keys


def preset_names() -> list:
    from .shape_key_presets import PRESETS

    return list(PRESETS)


def preset_label(preset: str) -> str:
    from .shape_key_presets import PRESETS

    return PRESETS[preset][0] if preset in PRESETS else preset


def detect_preset(key_names) -> str:
    """The preset whose key names match most of the mesh's keys; "" when none matches any."""
    normalized = {normalized_name(k) for k in key_names}
    best, best_count = "", 0
    for preset in preset_names():
        count = len(normalized & set(_preset_keys(preset)))
        if count > best_count:
            best, best_count = preset, count
    return best


def map_shape_keys(key_names, preset: str | None = None) -> ShapeKeyMap:
    """Map a mesh's shape keys: ARKit names (any spelling) first, then the given or detected preset.

    Viseme presets only drive the mouth when the ARKit-named keys do not already (Ready Player Me meshes
    carry both; playing both would move the mouth twice).
    """
    key_names = list(key_names)
    if preset is not None and preset != "" and preset not in preset_names():
        raise ShapeKeyMapError(f"Unknown shape-key preset {preset!r}; choose one of: {', '.join(preset_names())}.")
    chosen = detect_preset(key_names) if preset is None else preset
    rows = dict(map_by_name(key_names).rows)
    if chosen:
        from .shape_key_presets import PRESETS

        viseme_keys = {normalized_name(k) for k in PRESETS[chosen][2]}
        driven_mouth = {c for row in rows.values() for c in row if c.startswith(("mouth", "jaw"))}
        skip_visemes = len(driven_mouth) >= _MOUTH_CHANNELS_FOR_ARKIT or "jawOpen" in driven_mouth
        table = _preset_keys(chosen)
        for key in key_names:
            if key in rows:
                continue
            normalized = normalized_name(key)
            entry = table.get(normalized)
            if entry is None or entry[1] is None or (skip_visemes and normalized in viseme_keys):
                continue
            rows[key] = dict(entry[1])
    return ShapeKeyMap(rows, chosen)


def unused_keys(key_names, shape_key_map: ShapeKeyMap) -> list:
    """The mesh's keys that nothing drives (shown to the user next to the unmapped channels)."""
    return [k for k in key_names if k not in shape_key_map.rows]
