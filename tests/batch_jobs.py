"""Stand-in batch jobs for tests of the worker pool (kept free of heavy imports: spawned workers import this)."""

import os
import time


def die_on_row_b(row, outputs, settings):
    """Dies on row 'b' as a crash in native code would (the process exits without a result)."""
    if row.name == "b":
        os._exit(3)
    time.sleep(0.2)
    return {"name": row.name, "status": "done", "notes": [], "error": None, "files": {}, "seconds": 0.2, "log": ""}
