"""How faithfully a retarget reproduces the source: per frame, the angle between the source's and the
target's world direction of every segment joining two mapped joints (e.g. elbow → wrist), plus the hip line
(right hip → left hip) and the shoulder line (right shoulder → left shoulder), which say how the pelvis and
the chest are turned."""

from dataclasses import dataclass

import numpy as np

from .bone_map import BoneMap
from .rest_pose import segment
from .rig import RigPose


@dataclass
class Fidelity:
    segments: list
    angles_deg: np.ndarray  # (T, S)

    @property
    def mean(self) -> float:
        return float(np.mean(self.angles_deg))

    @property
    def p95(self) -> float:
        return float(np.percentile(self.angles_deg, 95))

    def worst(self, count: int = 3) -> list:
        per_segment = self.angles_deg.mean(axis=0)
        order = np.argsort(per_segment)[::-1][:count]
        return [(self.segments[i], float(per_segment[i])) for i in order]


LINES = (("right_hip", "left_hip"), ("right_shoulder", "left_shoulder"))


def segment_pairs(joints) -> list:
    mapped = set(joints)
    pairs = [segment(j, mapped) for j in joints if segment(j, mapped)]
    return pairs + [line for line in LINES if set(line) <= mapped and line not in pairs]


def direction_errors(source: RigPose, source_map: BoneMap, target: RigPose, target_map: BoneMap, joints) -> Fidelity:
    pairs = segment_pairs(joints)

    def directions(pose, bone_map):
        heads = pose.heads
        start = np.stack([heads[:, pose.rest.index(bone_map.bones[a])] for a, _ in pairs], axis=1)
        end = np.stack([heads[:, pose.rest.index(bone_map.bones[b])] for _, b in pairs], axis=1)
        vectors = end - start
        return vectors / np.maximum(np.linalg.norm(vectors, axis=-1, keepdims=True), 1e-12)

    cos = np.clip(np.sum(directions(source, source_map) * directions(target, target_map), axis=-1), -1.0, 1.0)
    return Fidelity([f"{a}→{b}" for a, b in pairs], np.degrees(np.arccos(cos)))
