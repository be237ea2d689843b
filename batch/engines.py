"""Where rows run: local worker processes (concurrent.futures) or Ray tasks (a local Ray or a cluster).
Both run batch.row_job.run_row with the same environment, so both give the same bytes."""

import contextlib
import multiprocessing
import os
import socket
import sys
from concurrent.futures import ProcessPoolExecutor, as_completed
from concurrent.futures.process import BrokenProcessPool

from .row_job import WORKER_ENVIRONMENT, run_row


class RayUnavailable(RuntimeError):
    """Ray is not installed or the cluster cannot be reached; the message says what to do."""


# Joining a cluster whose head does not answer waits on Ray's own retries (over two minutes for a GCS address,
# 30 s for ray://) before any error: the head's port is knocked on first, this long.
REACH_SECONDS = 5.0


@contextlib.contextmanager
def worker_environment():
    """WORKER_ENVIRONMENT set, and `sys.path` as spawned workers must inherit it: without the folders that importing
    the bpy module adds (its scripts/modules holds a Python package named bpy too, which a worker's `import bpy`
    would then find instead of the module; the parent imports bpy when Blender's FFmpeg decodes an .m4a or checks
    an unreadable file)."""
    saved = {key: os.environ.get(key) for key in WORKER_ENVIRONMENT}
    saved_path = list(sys.path)
    os.environ.update(WORKER_ENVIRONMENT)
    sys.path[:] = [path for path in sys.path if not _inside_bpy(path)]
    try:
        yield
    finally:
        sys.path[:] = saved_path
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


def _inside_bpy(path: str) -> bool:
    """Whether `path` lies in the scripts folder of the imported bpy module (.../5.0/scripts/modules/bpy is the
    Python package importing bpy leaves in sys.modules; scripts/startup, scripts/modules, ... join sys.path)."""
    file = getattr(sys.modules.get("bpy"), "__file__", None) or ""
    if not file.endswith(os.path.join("modules", "bpy", "__init__.py")):
        return False
    scripts = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(file))))
    return os.path.abspath(path).startswith(scripts + os.sep)


def crashed(row, how: str) -> dict:
    return {"name": row.name, "status": "failed", "notes": [], "files": {}, "seconds": 0.0, "log": "",
            "error": f"The worker process died while making this row ({how}): Blender or a library crashed on "
                     f"it. Check the audio and the character file, then run the batch again."}


def local_results(jobs, workers: int, settings: dict, job=run_row):
    """Yield each job's result as it finishes, from `workers` spawned processes.

    A process that dies (a crash in native code) breaks the pool: the unfinished rows then run again one at a
    time, in order, so the row that kills its worker again is known, reported, and the rest go on in parallel."""
    queue, serial = list(jobs), False
    with worker_environment():
        while queue:
            finished = set()
            try:
                with ProcessPoolExecutor(1 if serial else workers,
                                         mp_context=multiprocessing.get_context("spawn")) as pool:
                    futures = [pool.submit(job, row, outputs, settings) for row, outputs in queue]
                    for future in as_completed(futures):
                        result = future.result()
                        finished.add(result["name"])
                        yield result
                queue = []
            except BrokenProcessPool:
                queue = [(row, outputs) for row, outputs in queue if row.name not in finished]
                if serial:
                    yield crashed(queue[0][0], "exit without a result")
                    queue, serial = queue[1:], False
                else:
                    serial = True


def start_ray(address: str | None, num_cpus: int | None):
    """`address` None starts a private local Ray with `num_cpus`; else join that cluster (e.g. 'auto',
    'ray://head:10001', 'head:6379')."""
    try:
        import ray
    except ImportError:
        raise RayUnavailable("Ray is not installed: `pip install 'soundmotion[batch]'` (or `make setup`) "
                             "installs it.") from None
    runtime_env = {"env_vars": dict(WORKER_ENVIRONMENT)}
    check_reachable(address)
    try:
        if address is None:
            ray.init(address="local", num_cpus=num_cpus, include_dashboard=False, log_to_driver=False,
                     runtime_env=runtime_env, configure_logging=True, logging_level="ERROR")
        else:
            ray.init(address=address, log_to_driver=False, runtime_env=runtime_env, logging_level="ERROR")
    except (ConnectionError, RuntimeError, ValueError) as error:
        raise RayUnavailable(f"Cannot start or join Ray at {address or 'a new local instance'} ({error}). "
                             "Check the address (joining a cluster with token authentication also needs "
                             "RAY_AUTH_MODE=token and its token here), or drop it to start a local Ray.") from None
    return ray


def check_reachable(address: str | None):
    """Refuse a cluster address whose head does not accept a connection within REACH_SECONDS ('host:port' or
    'ray://host:port'; None, 'auto', 'local' and an address without a port are left to Ray)."""
    host_port = (address or "").strip()
    host_port = host_port[len("ray://"):] if host_port.startswith("ray://") else host_port
    host, _, port = host_port.rpartition(":")
    if not host or not port.isdigit():
        return
    try:
        socket.create_connection((host.strip("[]"), int(port)), timeout=REACH_SECONDS).close()
    except OSError as error:
        reason = (f"no answer within {REACH_SECONDS:.0f} s" if isinstance(error, TimeoutError)
                  else (error.strerror or str(error)).lower())
        raise RayUnavailable(f"Cannot join Ray at {address}: nothing answers at {host}:{port} ({reason}). Check "
                             "that the cluster's head is running and that its port is open to this machine (6379 "
                             "for its address, 10001 for ray://), or drop the address to start a local Ray.") from None


def ray_results(jobs, settings: dict, job=run_row):
    """Yield each job's result as its Ray task finishes (Ray must be started)."""
    import ray

    task = ray.remote(num_cpus=1, max_retries=1)(job)
    pending = {task.remote(row, outputs, settings): row for row, outputs in jobs}
    while pending:
        done, _ = ray.wait(list(pending), num_returns=1)
        row = pending.pop(done[0])
        try:
            yield ray.get(done[0])
        except ray.exceptions.RayError as error:
            yield crashed(row, type(error).__name__)
