"""Where the shared CMU motion capture lives (../shared/mocap beside the checkout; never copied into it)."""

from pathlib import Path

import pytest

CMU = Path(__file__).resolve().parents[2] / "shared" / "mocap" / "cmu"
needs_cmu = pytest.mark.skipif(not CMU.is_dir(), reason="shared CMU mocap not available")
