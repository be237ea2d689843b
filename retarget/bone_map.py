"""BoneMap: canonical SMPL-X joint → a rig's bone name, with JSON presets that round-trip."""

import json
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import read_json_file, write_text_file
from .canonical import CANONICAL_JOINTS, REQUIRED
from .errors import RetargetError

PRESET_DIR = Path(__file__).resolve().parent / "presets"


@dataclass(eq=False)
class BoneMap:
    name: str
    bones: dict = field(default_factory=dict)
    description: str = ""
    root_bone: str = ""  # bone that carries the travel when it is not the pelvis bone (Rigify's "torso")
    # How sure detection is of each row, in [0, 1] (shown in the panel; not saved in JSON presets).
    confidence: dict = field(default_factory=dict, compare=False)

    def __post_init__(self):
        unknown = sorted(set(self.bones) - set(CANONICAL_JOINTS))
        if unknown:
            raise RetargetError(f"Bone map {self.name!r} uses unknown canonical joints: {', '.join(unknown)}. "
                                f"Keys must be SMPL-X joint names such as 'pelvis' or 'left_elbow'.")
        self.bones = {k: str(v) for k, v in self.bones.items() if v}

    def __eq__(self, other):
        return (isinstance(other, BoneMap) and self.bones == other.bones and self.name == other.name
                and self.root_bone == other.root_bone)

    def __contains__(self, joint):
        return joint in self.bones

    def get(self, joint, default=None):
        return self.bones.get(joint, default)

    def restricted_to(self, bone_names) -> "BoneMap":
        """The entries whose bone exists in `bone_names` (a preset applied to a rig lacking some bones)."""
        names = set(bone_names)
        bones = {j: b for j, b in self.bones.items() if b in names}
        return BoneMap(self.name, bones, self.description, self.root_bone if self.root_bone in names else "",
                       {j: c for j, c in self.confidence.items() if j in bones})

    @property
    def travel_bone(self) -> str:
        return self.root_bone or self.bones.get("pelvis", "")

    def missing_required(self) -> list:
        return [joint for joint in REQUIRED if joint not in self.bones]

    def require_humanoid(self, rig_label: str):
        missing = self.missing_required()
        if missing:
            raise RetargetError(
                f"{rig_label} does not look like a humanoid rig: no bone found for {', '.join(missing)}. "
                f"SoundMotion animates characters with two legs, two arms and a head; if this is one, pick a bone "
                f"map preset or edit the map so these joints are assigned.")

    def to_dict(self) -> dict:
        data = {"name": self.name, "description": self.description, "bones": dict(self.bones)}
        if self.root_bone:
            data["root_bone"] = self.root_bone
        return data

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=2)

    @classmethod
    def from_dict(cls, data: dict) -> "BoneMap":
        if not isinstance(data, dict) or not isinstance(data.get("bones"), dict):
            raise RetargetError("A bone map JSON needs an object with a 'bones' object {canonical joint: bone}.")
        wrong = sorted(joint for joint, bone in data["bones"].items() if bone is not None and not isinstance(bone, str))
        if wrong:
            raise RetargetError(f"A bone map gives each joint a bone name (text); {', '.join(wrong[:5])} "
                                "are not. Fix the file or save a new one with Save Bone Map.")
        return cls(str(data.get("name", "custom")), data["bones"], str(data.get("description", "")),
                   str(data.get("root_bone", "")))

    @classmethod
    def from_json(cls, text: str) -> "BoneMap":
        try:
            return cls.from_dict(json.loads(text))
        except json.JSONDecodeError as error:
            raise RetargetError(f"Bone map is not valid JSON: {error}.") from None

    def save(self, path):
        write_text_file(path, self.to_json() + "\n", "bone map", RetargetError)

    @classmethod
    def load(cls, path) -> "BoneMap":
        data = read_json_file(path, "bone map", RetargetError)
        try:
            return cls.from_dict(data)
        except RetargetError as error:
            raise RetargetError(f"{path}: {error}") from None


def preset_names() -> list:
    return sorted(p.stem for p in PRESET_DIR.glob("*.json"))


def load_preset(name: str) -> BoneMap:
    path = PRESET_DIR / f"{name}.json"
    if not path.is_file():
        raise RetargetError(f"No bone map preset {name!r}; presets: {', '.join(preset_names())}.")
    return BoneMap.load(path)


def all_presets() -> list:
    return [load_preset(name) for name in preset_names()]
