"""The phone net's training lines saved to one file and read back (scripts/train_phone_net.py --save-dataset and
--load-dataset, for training on another machine)."""
import importlib.util
import pathlib

import numpy as np

ROOT = pathlib.Path(__file__).resolve().parents[1]


def _script():
    spec = importlib.util.spec_from_file_location("train_phone_net", ROOT / "scripts" / "train_phone_net.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_saved_lines_read_back_with_their_lengths_classes_and_features_to_a_sixteenth(tmp_path):
    script = _script()
    rng = np.random.default_rng(3)
    features = [rng.normal(0, 2, (n, 40)).astype(np.float32) for n in (7, 130, 1)]
    features[0][0, 0] = 40.0  # beyond the int8 range: held at its edge
    labels = [np.array(names, dtype=object) for names in (["SIL"] * 3 + ["B", "B", "AA", "SIL"], ["M"] * 130, ["F"])]
    path = tmp_path / "lines.npz"
    script.save_dataset(str(path), features, labels, ["one", "two", ""])
    loaded, names, texts = script.load_dataset(str(path))
    assert [len(f) for f in loaded] == [7, 130, 1]
    assert [list(n) for n in names] == [list(n) for n in labels]
    assert texts == ["one", "two", ""]
    assert loaded[0][0, 0] == 127 / 8
    inside = [np.abs(a - b)[np.abs(b) < 15] for a, b in zip(loaded, features)]
    assert max(float(d.max()) for d in inside if d.size) <= 1 / 16 + 1e-6
