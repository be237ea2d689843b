"""Naming schemes of popular character sources, as data: which of their shape keys play which ARKit channels.

Two kinds of preset:
- *channel* presets rename ARKit channels (Character Creator, MetaHuman-style `_L/_R` names, …):
  `{key_name: {channel: weight}}`.
- *viseme* presets (Ready Player Me/Oculus, VRM/VRoid, VRChat, MikuMikuDance, CC visemes, Rhubarb A–H/X,
  Preston Blair) have one
  key per mouth shape instead of ARKit channels: `{key_name: (viseme, …)}` naming the visemes of
  models/face/visemes.py that key stands for. Their rows are fitted (see `viseme_rows`) so that a face
  clip's ARKit mouth channels drive each viseme key by a weighted sum, as every ShapeKeyMap row does.

Key names are matched after `normalized_name` (case, separators, "BlendShape." style prefixes ignored).
"""

import functools

import numpy as np

from ..clips.arkit import ARKIT_BLENDSHAPES, ARKIT_INDEX


def _sides(template: str, channel_base: str) -> dict:
    """{'Eye_Blink_L': {'eyeBlinkLeft': 1}, 'Eye_Blink_R': …} from 'Eye_Blink_{s}' and 'eyeBlink'."""
    return {template.format(s=s): {f"{channel_base}{side}": 1.0} for s, side in (("L", "Left"), ("R", "Right"))}


def _both(channel_base: str, weight: float = 0.5) -> dict:
    return {f"{channel_base}Left": weight, f"{channel_base}Right": weight}


CC4 = {
    **_sides("Brow_Drop_{s}", "browDown"), "Brow_Raise_Inner_L": {"browInnerUp": 1.0},
    "Brow_Raise_Inner_R": {"browInnerUp": 1.0}, **_sides("Brow_Raise_Outer_{s}", "browOuterUp"),
    "Cheek_Puff_L": {"cheekPuff": 1.0}, "Cheek_Puff_R": {"cheekPuff": 1.0}, **_sides("Cheek_Raise_{s}", "cheekSquint"),
    **_sides("Eye_Blink_{s}", "eyeBlink"), **_sides("Eye_Squint_{s}", "eyeSquint"), **_sides("Eye_Wide_{s}", "eyeWide"),
    "Eye_L_Look_Down": {"eyeLookDownLeft": 1.0}, "Eye_R_Look_Down": {"eyeLookDownRight": 1.0},
    "Eye_L_Look_Up": {"eyeLookUpLeft": 1.0}, "Eye_R_Look_Up": {"eyeLookUpRight": 1.0},
    "Eye_L_Look_R": {"eyeLookInLeft": 1.0}, "Eye_R_Look_L": {"eyeLookInRight": 1.0},
    "Eye_L_Look_L": {"eyeLookOutLeft": 1.0}, "Eye_R_Look_R": {"eyeLookOutRight": 1.0},
    "Jaw_Forward": {"jawForward": 1.0}, "Jaw_L": {"jawLeft": 1.0}, "Jaw_R": {"jawRight": 1.0},
    "Jaw_Open": {"jawOpen": 1.0}, "Mouth_Close": {"mouthClose": 1.0},
    **_sides("Mouth_Dimple_{s}", "mouthDimple"), **_sides("Mouth_Frown_{s}", "mouthFrown"),
    **{f"Mouth_Funnel_{p}_{s}": {"mouthFunnel": 1.0} for p in ("Up", "Down") for s in "LR"},
    **{f"Mouth_Pucker_{p}_{s}": {"mouthPucker": 1.0} for p in ("Up", "Down") for s in "LR"},
    "Mouth_L": {"mouthLeft": 1.0}, "Mouth_R": {"mouthRight": 1.0},
    **_sides("Mouth_Down_Lower_{s}", "mouthLowerDown"), **_sides("Mouth_Up_Upper_{s}", "mouthUpperUp"),
    **_sides("Mouth_Press_{s}", "mouthPress"),
    "Mouth_Roll_In_Lower_L": {"mouthRollLower": 1.0}, "Mouth_Roll_In_Lower_R": {"mouthRollLower": 1.0},
    "Mouth_Roll_In_Upper_L": {"mouthRollUpper": 1.0}, "Mouth_Roll_In_Upper_R": {"mouthRollUpper": 1.0},
    "Mouth_Shrug_Lower": {"mouthShrugLower": 1.0}, "Mouth_Shrug_Upper": {"mouthShrugUpper": 1.0},
    **_sides("Mouth_Smile_{s}", "mouthSmile"), **_sides("Mouth_Stretch_{s}", "mouthStretch"),
    **_sides("Nose_Sneer_{s}", "noseSneer"), "Tongue_Out": {"tongueOut": 1.0},
}

CC3 = {
    "Brow_Raise_Inner_Left": {"browInnerUp": 1.0}, "Brow_Raise_Inner_Right": {"browInnerUp": 1.0},
    "Brow_Raise_Outer_Left": {"browOuterUpLeft": 1.0}, "Brow_Raise_Outer_Right": {"browOuterUpRight": 1.0},
    "Brow_Drop_Left": {"browDownLeft": 1.0}, "Brow_Drop_Right": {"browDownRight": 1.0},
    "Eye_Blink": _both("eyeBlink"), **_sides("Eye_Blink_{s}", "eyeBlink"), **_sides("Eye_Wide_{s}", "eyeWide"),
    **_sides("Eye_Squint_{s}", "eyeSquint"), "Nose_Scrunch": _both("noseSneer"),
    **_sides("Cheek_Raise_{s}", "cheekSquint"), "Cheek_Blow_L": {"cheekPuff": 1.0}, "Cheek_Blow_R": {"cheekPuff": 1.0},
    "Mouth_Smile": _both("mouthSmile"), **_sides("Mouth_Smile_{s}", "mouthSmile"),
    "Mouth_Frown": _both("mouthFrown"), **_sides("Mouth_Frown_{s}", "mouthFrown"),
    **_sides("Mouth_Dimple_{s}", "mouthDimple"), "Mouth_Pucker": {"mouthPucker": 1.0},
    "Mouth_Blow": {"mouthFunnel": 1.0}, "Mouth_Open": {"jawOpen": 1.0}, "Mouth_Widen": _both("mouthStretch"),
    "Mouth_Lips_Tight": _both("mouthPress"), "Mouth_Lips_Tuck": {"mouthRollLower": 0.5, "mouthRollUpper": 0.5},
    "Mouth_Bottom_Lip_Down": _both("mouthLowerDown"), "Mouth_Top_Lip_Up": _both("mouthUpperUp"),
    "Mouth_Bottom_Lip_Under": {"mouthRollLower": 1.0}, "Mouth_L": {"mouthLeft": 1.0}, "Mouth_R": {"mouthRight": 1.0},
}


def _metahuman_style() -> dict:
    """ARKit names as MetaHuman/Live Link pipelines spell them: PascalCase and `_L`/`_R` sides."""
    rows = {}
    for channel in ARKIT_BLENDSHAPES:
        pascal = channel[0].upper() + channel[1:]
        rows[pascal] = {channel: 1.0}
        for side, short in (("Left", "L"), ("Right", "R")):
            if channel.endswith(side):
                rows[f"{channel[:-len(side)]}_{short}"] = {channel: 1.0}
    return rows


OCULUS = {"viseme_PP": ("PP",), "viseme_FF": ("FF",), "viseme_TH": ("TH",), "viseme_DD": ("DD",),
          "viseme_kk": ("kk",), "viseme_CH": ("CH",), "viseme_SS": ("SS",), "viseme_nn": ("nn",),
          "viseme_RR": ("RR",), "viseme_aa": ("aa",), "viseme_E": ("E",), "viseme_I": ("ih",),
          "viseme_O": ("oh",), "viseme_U": ("ou",)}
READY_PLAYER_ME_EXTRAS = {"mouthOpen": {"jawOpen": 1.0}, "mouthSmile": _both("mouthSmile"),
                          "eyesClosed": _both("eyeBlink"), "eyesLookUp": _both("eyeLookUp"),
                          "eyesLookDown": _both("eyeLookDown")}
VRM = {"A": ("aa",), "I": ("ih",), "U": ("ou",), "E": ("E",), "O": ("oh",),
       "aa": ("aa",), "ih": ("ih",), "ou": ("ou",), "ee": ("E",), "oh": ("oh",),
       "Fcl_MTH_A": ("aa",), "Fcl_MTH_I": ("ih",), "Fcl_MTH_U": ("ou",), "Fcl_MTH_E": ("E",), "Fcl_MTH_O": ("oh",),
       "Fcl_MTH_Close": ("PP",)}
VRM_EXTRAS = {"Blink": _both("eyeBlink"), "Blink_L": {"eyeBlinkLeft": 1.0}, "Blink_R": {"eyeBlinkRight": 1.0},
              "blink": _both("eyeBlink"), "blinkLeft": {"eyeBlinkLeft": 1.0}, "blinkRight": {"eyeBlinkRight": 1.0},
              "Fcl_EYE_Close": _both("eyeBlink"), "Fcl_EYE_Close_L": {"eyeBlinkLeft": 1.0},
              "Fcl_EYE_Close_R": {"eyeBlinkRight": 1.0}, "Fcl_BRW_Surprised": {"browInnerUp": 1.0}}
VRCHAT = {f"vrc.v_{key}": (viseme,) for key, viseme in (
    ("pp", "PP"), ("ff", "FF"), ("th", "TH"), ("dd", "DD"), ("kk", "kk"), ("ch", "CH"), ("ss", "SS"), ("nn", "nn"),
    ("rr", "RR"), ("aa", "aa"), ("e", "E"), ("ih", "ih"), ("oh", "oh"), ("ou", "ou"))}
VRCHAT_EXTRAS = {"vrc.blink": _both("eyeBlink"), "vrc.blink_left": {"eyeBlinkLeft": 1.0},
                 "vrc.blink_right": {"eyeBlinkRight": 1.0}, "Blink": _both("eyeBlink")}
# MikuMikuDance's Japanese morph names: the vowels a i u e o, blink, and the winks (ウィンク the left eye).
MMD = {"あ": ("aa",), "い": ("ih",), "う": ("ou",), "え": ("E",), "お": ("oh",)}
MMD_EXTRAS = {"まばたき": _both("eyeBlink"), "ウィンク": {"eyeBlinkLeft": 1.0}, "ウィンク右": {"eyeBlinkRight": 1.0}}
CC3_VISEMES = {"AE": ("E",), "Ah": ("aa",), "B_M_P": ("PP",), "Ch_J": ("CH",), "EE": ("ih",), "Er": ("RR",),
               "F_V": ("FF",), "IH": ("ih",), "K_G_H_NG": ("kk",), "Oh": ("oh",), "R": ("RR",), "S_Z": ("SS",),
               "T_L_D_N": ("DD", "nn"), "TH": ("TH",), "W_OO": ("ou",)}
CC4_VISEMES = {"V_Open": ("aa",), "V_Explosive": ("PP",), "V_Dental_Lip": ("FF",), "V_Tight_O": ("ou",),
               "V_Tight": ("SS",), "V_Wide": ("ih", "E"), "V_Affricate": ("CH",), "V_Lip_Open": ("oh", "RR"),
               "V_Tongue_up": ("DD", "nn"), "V_Tongue_Raise": ("kk",), "V_Tongue_Out": ("TH",)}
RHUBARB = {"A": ("PP",), "B": ("DD", "kk", "SS", "ih", "TH", "CH"), "C": ("E", "ax"), "D": ("aa",),
           "E": ("oh", "RR"), "F": ("ou",), "G": ("FF",), "H": ("nn",)}
PRESTON_BLAIR = {"MBP": ("PP",), "AI": ("aa",), "E": ("E", "ih"), "O": ("oh",), "U": ("ou",), "FV": ("FF",),
                 "L": ("nn", "TH"), "WQ": ("ou", "RR"), "etc": ("DD", "kk", "SS", "CH", "ax")}


# name: (label, channel rows, viseme rows)
PRESETS = {
    "arkit": ("ARKit 52 (exact names)", {c: {c: 1.0} for c in ARKIT_BLENDSHAPES}, {}),
    "metahuman": ("MetaHuman / Live Link style ARKit", _metahuman_style(), {}),
    "cc4": ("Character Creator 4 / iClone 8 (ARKit-style)", CC4, {}),
    "cc3": ("Character Creator 3 / iClone 7", CC3, {}),
    "oculus": ("Ready Player Me / Oculus visemes", READY_PLAYER_ME_EXTRAS, OCULUS),
    "vrm": ("VRM / VRoid", VRM_EXTRAS, VRM),
    "vrchat": ("VRChat visemes (vrc.v_aa, …)", VRCHAT_EXTRAS, VRCHAT),
    "mmd": ("MikuMikuDance (あ い う え お)", MMD_EXTRAS, MMD),
    "cc3_visemes": ("Character Creator 3 visemes", {}, CC3_VISEMES),
    "cc4_visemes": ("Character Creator 4 visemes", {}, CC4_VISEMES),
    "rhubarb": ("Rhubarb mouth shapes A–H, X", {}, RHUBARB),
    "preston_blair": ("Preston Blair mouth shapes", {}, PRESTON_BLAIR),
}
VISEME_PRESETS = tuple(name for name, (_, _, visemes) in PRESETS.items() if visemes)


@functools.lru_cache(maxsize=None)
def _viseme_fit():
    """(viseme names, poses (V, 52), ridge solution (V, 52)) for recovering visemes from ARKit weights."""
    from ..models.face.arkit_curves import CLOSE, JAW, POSE_MATRIX
    from ..models.face.visemes import VISEMES

    poses = POSE_MATRIX.copy()
    poses[VISEMES.index("PP"), CLOSE] = poses[VISEMES.index("PP"), JAW]  # the pipeline seals the lips so
    names = [v for v in VISEMES if v != "sil"]
    poses = poses[[VISEMES.index(v) for v in names]]
    # Ridge regression over the poses: W·pose_v ≈ 1 for v, 0 otherwise. Several visemes share channels
    # (t/d/n/k look alike), so the exact inverse does not exist; the ridge keeps weights small.
    solution = np.linalg.solve(poses @ poses.T + 0.01 * np.eye(len(poses)), poses)
    return names, poses, solution


def viseme_row(visemes) -> dict:
    """ARKit channel weights for a key standing for `visemes`, scaled to reach ~1 at those visemes' poses."""
    names, poses, solution = _viseme_fit()
    picked = [names.index(v) for v in visemes]
    weights = solution[picked].sum(axis=0)
    response = float(np.mean(poses[picked] @ weights))
    weights *= min(3.0, 1.0 / max(response, 1e-6))
    return {ARKIT_BLENDSHAPES[c]: round(float(w), 3) for c in np.flatnonzero(np.abs(weights) >= 0.01)
            for w in [weights[c]]}


def preset_rows(name: str) -> dict:
    """All rows of a preset as {key_name: {channel: weight}} (viseme rows fitted)."""
    if name not in PRESETS:
        raise KeyError(name)
    _, channel_rows, viseme_rows = PRESETS[name]
    rows = {key: dict(row) for key, row in channel_rows.items()}
    rows.update({key: viseme_row(visemes) for key, visemes in viseme_rows.items()})
    return rows


assert all(c in ARKIT_INDEX for _, rows, _ in PRESETS.values() for row in rows.values() for c in row)
