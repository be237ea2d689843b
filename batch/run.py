"""`soundmotion batch`: plan the rows (skip the up-to-date ones), run the rest on local workers or Ray, write
every output atomically as it arrives, show progress, and record every row in DIR/report.json."""

import hashlib
import json
import os
import time

from .engines import local_results, ray_results, start_ray
from .outputs import remove_partials, stale_outputs, write_atomic, write_json_atomic
from .rows import OUTPUTS, language_problem

REPORT = "report.json"
REPORT_EVERY_SECONDS = 5.0  # report.json is rewritten this often while rows finish, and at the end


def run_batch(rows, out_dir, settings: dict, workers: int = 1, ray_address=None, use_ray: bool = False,
              progress: bool = True, source: str = "") -> dict:
    """Run every row; returns the report (also written to out_dir/report.json)."""
    from tqdm import tqdm

    started = time.perf_counter()
    out_dir = os.path.abspath(out_dir)
    os.makedirs(out_dir, exist_ok=True)
    remove_partials(out_dir)
    previous = _previous_recipes(out_dir)
    recipes = {row.name: _recipe(row, settings) for row in rows}
    settings = {**settings, "out_dir": out_dir}
    records, jobs = {}, []
    for row in rows:
        problem = row.error or language_problem(row.language)
        if problem:
            records[row.name] = _record(row, "failed", error=problem)
            continue
        stale = stale_outputs(row, out_dir)
        if previous.get(row.name, recipes[row.name]) != recipes[row.name]:
            stale = list(row.outputs)  # made with other settings or words than asked now: all of them again
        unreadable = _unreadable_audio(row) if stale else None
        if unreadable:  # found here, without starting a worker: a resumed run does not pay for it again
            records[row.name] = _record(row, "failed", error=unreadable)
        elif stale:
            jobs.append((row, tuple(stale)))
        else:
            records[row.name] = _record(row, "skipped", outputs=row.outputs,
                                        notes=["Every output is newer than the inputs: kept as it was."])
    engine = "ray" if use_ray else "local"
    report = {"input": os.path.abspath(source) if source else "", "out": out_dir, "engine": engine,
              "workers": workers if not use_ray else None, "ray_address": ray_address, "rows": []}
    by_name = {row.name: row for row in rows}
    bar = tqdm(total=len(rows), initial=len(records), unit="row", desc="soundmotion batch", disable=not progress,
               dynamic_ncols=True)
    last_report, ray = time.perf_counter(), None
    try:
        if jobs:
            if use_ray:
                ray = start_ray(ray_address, workers)
                results = ray_results(jobs, settings)
            else:
                results = local_results(jobs, min(workers, len(jobs)), settings)
            wanted = dict((row.name, outputs) for row, outputs in jobs)
            failed = sum(record["status"] == "failed" for record in records.values())
            for result in results:
                row = by_name[result["name"]]
                records[row.name] = _store(row, result, wanted[row.name], out_dir)
                bar.update(1)
                if records[row.name]["status"] == "failed":
                    failed += 1
                    bar.set_postfix(failed=failed)
                if time.perf_counter() - last_report > REPORT_EVERY_SECONDS:
                    _write_report(report, rows, records, out_dir, started, recipes)
                    last_report = time.perf_counter()
    finally:
        bar.close()
        if ray is not None:
            ray.shutdown()
        _write_report(report, rows, records, out_dir, started, recipes)
    return report


def _unreadable_audio(row) -> str | None:
    from ..models.audio.load import AudioError, load_audio

    try:
        load_audio(row.audio, allow_silence=True)
    except AudioError as error:
        return str(error)
    return None


def _record(row, status, outputs=(), notes=(), error=None, seconds=0.0) -> dict:
    return {"name": row.name, "audio": row.audio, "status": status, "seconds": seconds,
            "outputs": [f"{row.name}.{OUTPUTS[o]}" for o in outputs], "notes": list(notes), "error": error}


def _store(row, result, wanted, out_dir) -> dict:
    """Write a finished row's files (each atomically) and its log when it failed; returns its record."""
    status, error = result["status"], result["error"]
    if status == "done":
        try:
            for output in wanted:
                write_atomic(row.output_path(out_dir, output), result["files"][output])
        except OSError as failure:
            status = "failed"
            error = f"Cannot write {row.name}'s outputs in {out_dir} ({failure.strerror}): free space or choose " \
                    "a folder you can write to."
    if status == "failed":
        logs = os.path.join(out_dir, "logs")
        os.makedirs(logs, exist_ok=True)
        write_atomic(os.path.join(logs, f"{row.name}.log"), result.get("log", "").encode("utf-8"))
    outputs = row.outputs if status == "done" else ()
    return _record(row, status, outputs, result["notes"], error, result["seconds"])


def _recipe(row, settings: dict) -> str:
    """What a row's outputs are made from besides its files' dates: the run's settings and the row's words,
    language and character (a changed --fps or manifest cell makes them stale too)."""
    made_of = {**{key: settings[key] for key in sorted(settings)}, "transcript": row.transcript,
               "language": row.language, "character": row.character, "armature": row.armature}
    return hashlib.sha1(json.dumps(made_of, sort_keys=True, default=str).encode("utf-8")).hexdigest()[:16]


def _previous_recipes(out_dir) -> dict:
    """{row: recipe} of the report an earlier run left in `out_dir` (rows without one: {})."""
    try:
        with open(os.path.join(out_dir, REPORT), encoding="utf-8") as handle:
            rows = json.load(handle).get("rows", [])
    except (OSError, ValueError, AttributeError):
        return {}
    return {row["name"]: row["recipe"] for row in rows if isinstance(row, dict) and row.get("recipe")}


def _write_report(report, rows, records, out_dir, started, recipes):
    report["rows"] = [records[row.name] if row.name in records else _record(row, "pending") for row in rows]
    for record in report["rows"]:
        if record["status"] in ("done", "skipped"):  # what its outputs were made from, for the next run
            record["recipe"] = recipes[record["name"]]
    counts = {status: sum(r["status"] == status for r in report["rows"])
              for status in ("done", "skipped", "failed", "pending")}
    report["summary"] = {"rows": len(rows), **counts, "seconds": round(time.perf_counter() - started, 3)}
    write_json_atomic(os.path.join(out_dir, REPORT), report)
