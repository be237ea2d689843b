import numpy as np
import pytest

from soundmotion.clips.arkit import ARKIT_BLENDSHAPES
from soundmotion.clips.face import FaceClip
from soundmotion.models.face.arkit_curves import mouth_weights
from soundmotion.models.face.visemes import VISEME_INDEX, VISEMES
from soundmotion.retarget.shape_keys import (ShapeKeyMap, ShapeKeyMapError, detect_preset, map_shape_keys,
                                             preset_names, unused_keys)

MESHES = {
    "arkit": ["Basis"] + list(ARKIT_BLENDSHAPES),
    "metahuman": ["Basis", "JawOpen", "MouthClose", "eyeBlink_L", "eyeBlink_R", "mouthSmile_L", "mouthPress_R",
                  "mouthFunnel", "browInnerUp"],
    "cc4": ["Basis", "Eye_Blink_L", "Eye_Blink_R", "Jaw_Open", "Mouth_Close", "Mouth_Funnel_Up_L",
            "Mouth_Pucker_Down_R", "Mouth_Press_L", "Mouth_Press_R", "Mouth_Roll_In_Lower_L", "Eye_L_Look_R"],
    "cc3": ["Basis", "Eye_Blink", "Eye_Blink_L", "Mouth_Open", "Mouth_Smile_L", "Mouth_Pucker", "Mouth_Widen",
            "Brow_Raise_Inner_Left", "Mouth_Lips_Tight"],
    "oculus": ["Basis"] + [f"viseme_{v}" for v in "sil PP FF TH DD kk CH SS nn RR aa E I O U".split()],
    "vrm": ["Basis", "Fcl_MTH_A", "Fcl_MTH_I", "Fcl_MTH_U", "Fcl_MTH_E", "Fcl_MTH_O", "Fcl_EYE_Close",
            "Fcl_EYE_Close_L", "Fcl_EYE_Close_R", "Fcl_MTH_Neutral"],
    "cc3_visemes": ["Basis", "AE", "Ah", "B_M_P", "Ch_J", "EE", "Er", "F_V", "IH", "K_G_H_NG", "Oh", "R", "S_Z",
                    "T_L_D_N", "TH", "W_OO", "None"],
    "cc4_visemes": ["Basis", "V_Open", "V_Explosive", "V_Dental_Lip", "V_Tight_O", "V_Tight", "V_Wide",
                    "V_Affricate", "V_Lip_Open", "V_Tongue_up"],
    "rhubarb": ["Basis", "A", "B", "C", "D", "E", "F", "G", "H", "X"],
    "vrchat": ["Basis"] + [f"vrc.v_{v}" for v in "sil pp ff th dd kk ch ss nn rr aa e ih oh ou".split()]
              + ["vrc.blink_left", "vrc.blink_right"],
    "mmd": ["Basis", "まばたき", "笑い", "ウィンク", "ウィンク右", "あ", "い", "う", "え", "お", "ω"],
    "preston_blair": ["Basis", "MBP", "AI", "E", "O", "U", "FV", "L", "WQ", "etc", "rest"],
}


@pytest.mark.parametrize("preset", sorted(MESHES))
def test_each_naming_scheme_is_detected_and_mapped(preset):
    keys = MESHES[preset]
    assert detect_preset(keys) == preset
    mapping = map_shape_keys(keys)
    assert mapping.preset == preset
    assert "Basis" not in mapping.rows
    assert len(mapping.rows) >= len(keys) - 3  # rest shapes (X, rest, sil, Neutral, None) stay unmapped


def test_japanese_morph_names_are_told_apart():
    """MikuMikuDance's morphs are named in Japanese: each is its own key (they once all normalised to "")."""
    mapping = map_shape_keys(MESHES["mmd"])
    assert mapping.rows["まばたき"] == {"eyeBlinkLeft": 0.5, "eyeBlinkRight": 0.5}
    assert mapping.rows["ウィンク右"] == {"eyeBlinkRight": 1.0}
    assert "笑い" not in mapping.rows and "ω" not in mapping.rows  # a smiling-eyes morph and a cat mouth: unmapped


def test_prefixed_and_case_variants_of_vrm_names_are_found():
    keys = ["BlendShape.A", "BlendShape.I", "BlendShape.U", "BlendShape.E", "BlendShape.O", "BlendShape.Blink"]
    mapping = map_shape_keys(keys)
    assert mapping.preset == "vrm" and set(mapping.rows) == set(keys)
    assert mapping.rows["BlendShape.Blink"] == {"eyeBlinkLeft": 0.5, "eyeBlinkRight": 0.5}


def test_channel_presets_rename_one_to_one_and_list_what_is_missing():
    mapping = map_shape_keys(MESHES["cc4"])
    assert mapping.rows["Jaw_Open"] == {"jawOpen": 1.0}
    assert mapping.rows["Eye_L_Look_R"] == {"eyeLookInLeft": 1.0}  # the left eye looking right looks inward
    assert mapping.rows["Mouth_Pucker_Down_R"] == {"mouthPucker": 1.0}
    assert "tongueOut" in mapping.unmapped_channels and "jawOpen" not in mapping.unmapped_channels
    assert unused_keys(MESHES["cc4"], mapping) == ["Basis"]


def pose_clip(*visemes):
    """One frame per viseme, as the face pipeline would produce it at neutral loudness."""
    mixture = np.zeros((len(visemes), len(VISEMES)))
    for row, viseme in enumerate(visemes):
        mixture[row, VISEME_INDEX[viseme]] = 1.0
    ones = np.ones(len(visemes))
    return FaceClip(30.0, mouth_weights(mixture, ones, ones, 30.0, smoothing=0.0))


@pytest.mark.parametrize("preset, expected", [
    ("oculus", {"PP": "viseme_PP", "FF": "viseme_FF", "aa": "viseme_aa", "oh": "viseme_O", "ou": "viseme_U",
                "ih": "viseme_I", "TH": "viseme_TH", "CH": "viseme_CH"}),
    ("vrm", {"aa": "Fcl_MTH_A", "ih": "Fcl_MTH_I", "ou": "Fcl_MTH_U", "E": "Fcl_MTH_E", "oh": "Fcl_MTH_O"}),
    ("rhubarb", {"PP": "A", "aa": "D", "E": "C", "ou": "F", "FF": "G", "oh": "E"}),
    ("preston_blair", {"PP": "MBP", "aa": "AI", "oh": "O", "ou": "U", "FF": "FV"}),
    ("cc4_visemes", {"PP": "V_Explosive", "FF": "V_Dental_Lip", "aa": "V_Open", "ou": "V_Tight_O"}),
    ("vrchat", {"PP": "vrc.v_pp", "FF": "vrc.v_ff", "aa": "vrc.v_aa", "oh": "vrc.v_oh", "ou": "vrc.v_ou",
                "ih": "vrc.v_ih"}),
    ("mmd", {"aa": "あ", "ih": "い", "ou": "う", "E": "え", "oh": "お"}),
])
def test_viseme_keys_light_up_on_their_own_mouth_shape(preset, expected):
    mapping = map_shape_keys(MESHES[preset])
    visemes = list(expected)
    values = mapping.key_values(pose_clip(*visemes))
    for frame, viseme in enumerate(visemes):
        key = expected[viseme]
        strongest = max(values, key=lambda k: values[k][frame])
        assert strongest == key, (viseme, strongest, {k: round(float(v[frame]), 2) for k, v in values.items()})
        assert values[key][frame] > 0.6
    if "PP" in expected:  # on an open vowel the closed-lips key stays shut
        assert values[expected["PP"]][visemes.index("aa")] < 0.1


def test_meshes_with_arkit_keys_are_not_also_driven_through_their_visemes():
    keys = list(ARKIT_BLENDSHAPES) + ["viseme_sil", "viseme_PP", "viseme_aa", "mouthOpen", "eyesClosed"]
    mapping = map_shape_keys(keys)
    assert mapping.preset == "arkit"
    assert "viseme_PP" not in mapping.rows and len(mapping.rows) == 52
    forced = map_shape_keys(keys, preset="oculus")
    assert forced.preset == "oculus" and "eyesClosed" in forced.rows and "viseme_PP" not in forced.rows
    only_visemes = map_shape_keys(MESHES["oculus"] + ["mouthOpen"])
    assert only_visemes.rows["mouthOpen"] == {"jawOpen": 1.0}


def test_unknown_preset_and_unrecognised_meshes():
    with pytest.raises(ShapeKeyMapError, match="Unknown shape-key preset"):
        map_shape_keys(["A"], preset="nope")
    mapping = map_shape_keys(["Basis", "Key 1", "Smile"])
    assert mapping.rows == {} and mapping.preset == "" and len(mapping.unmapped_channels) == 52
    assert set(preset_names()) == set(MESHES)


def test_presets_round_trip_through_json():
    mapping = map_shape_keys(MESHES["rhubarb"])
    again = ShapeKeyMap.from_json(mapping.to_json())
    assert again.rows == mapping.rows and again.preset == "rhubarb"
    assert ShapeKeyMap.from_json('{"shape_keys": {"jaw": {"jawOpen": 1}}}').preset == ""
