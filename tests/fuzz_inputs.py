"""Generated bad inputs for the fuzz tests: broken audio, clip, motion, bone-map and .blend files, and folders that
cannot be written. Each maker writes into a folder and returns the path."""

import contextlib
import os
import shutil
import subprocess

import numpy as np
import soundfile

from soundmotion.clips import MotionClip

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DEMO_SPEECH = os.path.join(ROOT, "assets", "demo_speech.wav")
DEMO_MUSIC = os.path.join(ROOT, "assets", "demo_music.wav")
DEMO_BLEND = os.path.join(ROOT, "assets", "demo_character.blend")


def write(folder, name, data: bytes) -> str:
    path = os.path.join(folder, name)
    with open(path, "wb") as handle:
        handle.write(data)
    return path


def wav(folder, name, samples, rate=16000, subtype="PCM_16") -> str:
    path = os.path.join(folder, name)
    soundfile.write(path, np.asarray(samples, np.float32), rate, subtype=subtype)
    return path


def truncated(folder, name, source, keep: float = 0.3) -> str:
    """The first `keep` share of a real file (a download that stopped)."""
    data = open(source, "rb").read()
    return write(folder, name, data[:max(1, int(len(data) * keep))])


def bad_audio(folder) -> dict:
    """{kind: path} of audio no verb can use."""
    return {
        "missing": os.path.join(folder, "missing.wav"),
        "text": write(folder, "text.wav", b"this is not audio\n" * 20),
        "empty": write(folder, "empty.wav", b""),
        "header_only": truncated(folder, "header.wav", DEMO_SPEECH, 44 / os.path.getsize(DEMO_SPEECH)),
        "silent": wav(folder, "silent.wav", np.zeros(16000)),
        "folder": _folder(folder, "audio_folder.wav"),
        "random_bytes": write(folder, "noise.flac", np.random.default_rng(0).bytes(5000)),
    }


def bad_motion(folder) -> dict:
    """{kind: path} of motion files (SOURCE of retarget, Retarget Motion's file) that are refused."""
    zero = MotionClip.rest(1)
    np.savez(os.path.join(folder, "zero.npz"), fps=np.float64(30), joint_names=np.array(zero.skeleton.joint_names),
             parents=zero.skeleton.parents, offsets=zero.skeleton.offsets, rotations=np.zeros((0, len(zero.skeleton), 4)),
             root_translation=np.zeros((0, 3)))
    np.savez(os.path.join(folder, "smplx_zero.npz"), poses=np.zeros((0, 165)), trans=np.zeros((0, 3)),
             mocap_frame_rate=np.float64(30))
    np.save(os.path.join(folder, "array.npy"), np.zeros(3))
    os.replace(os.path.join(folder, "array.npy"), os.path.join(folder, "array.npz"))
    np.savez(os.path.join(folder, "nan.npz"), poses=np.full((4, 165), np.nan), trans=np.zeros((4, 3)),
             mocap_frame_rate=np.float64(30))
    np.savez(os.path.join(folder, "pickled.npz"), poses=np.array([{"a": 1}], dtype=object))
    valid = os.path.join(folder, "valid.npz")
    MotionClip.rest(10).save(valid)
    return {
        "missing": os.path.join(folder, "missing.npz"),
        "empty": write(folder, "empty.npz", b""),
        "text": write(folder, "text.npz", b"not a zip file"),
        "truncated": truncated(folder, "cut.npz", valid, 0.5),
        "zero_frames": os.path.join(folder, "zero.npz"),
        "smplx_zero_frames": os.path.join(folder, "smplx_zero.npz"),
        "single_array": os.path.join(folder, "array.npz"),
        "nan": os.path.join(folder, "nan.npz"),
        "pickle": os.path.join(folder, "pickled.npz"),
        "bvh_garbage": write(folder, "garbage.bvh", b"HIERARCHY\nROOT Hips\n{\n  OFFSET 0 0\n"),
        "bvh_no_frames": write(folder, "noframes.bvh", b"HIERARCHY\nROOT Hips\n{\n OFFSET 0 0 0\n CHANNELS 3 "
                               b"Xrotation Yrotation Zrotation\n End Site\n {\n OFFSET 0 1 0\n }\n}\nMOTION\n"
                               b"Frames: 0\nFrame Time: 0.033\n"),
        "binary_bvh": write(folder, "binary.bvh", b"\xff\xfe\x00" * 100),
        "wrong_suffix": write(folder, "motion.fbx", b"Kaydara FBX Binary"),
    }


def bad_blends(folder) -> dict:
    return {
        "missing": os.path.join(folder, "missing.blend"),
        "text": write(folder, "text.blend", b"this is not a blend file"),
        "empty": write(folder, "empty.blend", b""),
        "truncated": truncated(folder, "cut.blend", DEMO_BLEND, 0.1),
        "folder": _folder(folder, "folder.blend"),
    }


def bad_json(folder) -> dict:
    return {
        "missing": os.path.join(folder, "missing.json"),
        "latin1": write(folder, "latin1.json", '{"bones": {"head": "Kopf\xe9"}}'.encode("latin-1")),
        "not_json": write(folder, "broken.json", b"{oops"),
        "list": write(folder, "list.json", b"[1, 2, 3]"),
        "numbers": write(folder, "numbers.json", b'{"bones": {"pelvis": 5, "head": [1]}}'),
        "unknown_bones": write(folder, "unknown.json", b'{"bones": {"pelvis": "nope", "head": "nada"}}'),
        "unknown_joints": write(folder, "joints.json", b'{"bones": {"tail_tip": "bone"}}'),
        "folder": _folder(folder, "folder.json"),
        "shape_rows_list": write(folder, "rows.json", b'{"shape_keys": {"jaw": [1, 2]}}'),
        "shape_weight_text": write(folder, "weights.json", b'{"shape_keys": {"jaw": {"jawOpen": "lots"}}}'),
    }


def all_bad_inputs(folder) -> dict:
    """Every bad input above, keyed "audio.<kind>", "motion.<kind>", "blend.<kind>" and "json.<kind>", plus
    "dir" (the folder), "file" (a plain file where a folder belongs) and "valid_motion" (a path not yet
    written)."""
    made = {"dir": folder, "file": write(folder, "plain.txt", b"a file, not a folder")}
    for group, maker in (("audio", bad_audio), ("motion", bad_motion), ("blend", bad_blends), ("json", bad_json)):
        made.update({f"{group}.{kind}": path for kind, path in maker(folder).items()})
    made["valid_motion"] = os.path.join(folder, "valid.npz")
    return made


def _folder(folder, name) -> str:
    path = os.path.join(folder, name)
    os.makedirs(path, exist_ok=True)
    return path


@contextlib.contextmanager
def read_only_folder(folder):
    """A folder nobody can write in (as root too: made immutable when chmod alone does not stop root).
    Yields None when this system offers no way to make one."""
    path = _folder(folder, "read_only")
    os.chmod(path, 0o555)
    immutable = False
    if _writable(path) and shutil.which("chattr"):
        immutable = subprocess.run(["chattr", "+i", path], capture_output=True).returncode == 0
    try:
        yield None if _writable(path) else path
    finally:
        if immutable:
            subprocess.run(["chattr", "-i", path], capture_output=True)
        os.chmod(path, 0o755)


def _writable(path) -> bool:
    probe = os.path.join(path, ".probe")
    try:
        with open(probe, "w"):
            pass
    except OSError:
        return False
    os.remove(probe)
    return True


def listing(folder) -> set:
    """Every file and folder under `folder` (to see that a refused run left nothing behind)."""
    found = set()
    for base, folders, files in os.walk(folder):
        found.update(os.path.join(base, name) for name in folders + files)
    return found
