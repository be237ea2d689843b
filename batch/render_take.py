"""`soundmotion render`: a take's frames rendered in ranges — by Ray tasks, each a process with bpy, or all in
this process — with the .blend's own render settings, then joined by ffmpeg with the take's sound.

The .blend (and what it links to) is read by path on every Ray node, as on any render farm with shared
storage; the frames come back to this process as PNG bytes, so the output folder need not be shared."""

import fractions
import os
import shutil
import subprocess
import tempfile

from ..errors import SoundMotionError
from .engines import start_ray

DEFAULT_CHUNK = 24


def chunks(first: int, last: int, size: int) -> list:
    """[(first, last)] ranges of at most `size` frames covering first..last."""
    if size < 1:
        raise SoundMotionError(f"--chunk must be at least 1 frame, got {size}.")
    return [(start, min(start + size - 1, last)) for start in range(first, last + 1, size)]


def render_chunk(blend_path: str, first: int, last: int) -> list:
    """[(frame, PNG bytes)] for frames first..last (runs in a worker with bpy)."""
    from ..operators.render_frames import render_frame_range

    with tempfile.TemporaryDirectory(prefix="soundmotion-frames-") as folder:
        frames = []
        for frame, path in render_frame_range(blend_path, first, last, folder):
            with open(path, "rb") as handle:
                frames.append((frame, handle.read()))
    return frames


def render_take(blend_path, out_path, use_ray: bool = False, ray_address=None, chunk: int = DEFAULT_CHUNK,
                frames_dir=None, num_cpus=None) -> dict:
    """Render the take to `out_path` (H.264 + AAC .mp4); returns what was done."""
    blend_path, out_path = os.path.abspath(blend_path), os.path.abspath(out_path)
    chunks(0, 0, chunk)  # refuses a chunk under one frame, and a missing file, before Blender starts
    if not os.path.isfile(blend_path):
        raise SoundMotionError(f"Take file not found: {blend_path}. Give an existing .blend.")
    if shutil.which("ffmpeg") is None:
        raise SoundMotionError("ffmpeg is not installed: install it (Debian: apt-get install ffmpeg) to join the frames.")
    from ..operators.render_frames import take_info

    with tempfile.TemporaryDirectory(prefix="soundmotion-render-") as work:
        info = take_info(blend_path, os.path.join(work, "sound.wav"))
        first, last = info["frame_start"], info["frame_end"]
        ranges = chunks(first, last, chunk if use_ray else last - first + 1)
        chunk_results = _ray_chunks(blend_path, ranges, ray_address, num_cpus) if use_ray else \
            [_rendered_here(blend_path, first, last, os.path.join(work, "rendered"))]
        sequence = os.path.join(work, "sequence")
        os.makedirs(sequence)
        if frames_dir:
            os.makedirs(frames_dir, exist_ok=True)
        count = 0
        for frames in chunk_results:  # a chunk at a time as each arrives: a long take never sits in memory
            for frame, data in frames:
                with open(os.path.join(sequence, f"{frame - first:06d}.png"), "wb") as handle:
                    handle.write(data)
                if frames_dir:
                    with open(os.path.join(frames_dir, f"frame_{frame:06d}.png"), "wb") as handle:
                        handle.write(data)
                count += 1
        _join(sequence, info["sound"], info, out_path)
    return {**info, "chunks": len(ranges), "frames": count, "out": out_path,
            "engine": "ray" if use_ray else "single process"}


def _rendered_here(blend_path, first, last, folder):
    """The whole range rendered in this process (one Render Animation), then read back a frame at a time."""
    from ..operators.render_frames import render_frame_range

    for frame, path in render_frame_range(blend_path, first, last, folder):
        with open(path, "rb") as handle:
            yield frame, handle.read()


def _ray_chunks(blend_path, ranges, address, num_cpus):
    """Yield each chunk's frames as its Ray task finishes."""
    ray = start_ray(address, num_cpus)
    try:
        task = ray.remote(num_cpus=1, max_retries=1)(render_chunk)
        pending = [task.remote(blend_path, first, last) for first, last in ranges]
        while pending:
            done, pending = ray.wait(pending, num_returns=1)
            yield ray.get(done[0])
    except ray.exceptions.RayError as error:
        raise RuntimeError(f"A Ray worker failed while rendering ({type(error).__name__}): {error}") from None
    finally:
        ray.shutdown()


def frame_rate(fps: float) -> fractions.Fraction:
    """The movie's frame rate as a fraction: the NTSC rates as video tags them (29.97: 30000/1001, 23.976:
    24000/1001), which Blender's float fps_base (1.0010000467) would otherwise round to 10999/367."""
    ntsc = fractions.Fraction(round(fps * 1.001) * 1000, 1001)
    plain = fractions.Fraction(fps).limit_denominator(100)
    return min((plain, ntsc), key=lambda rate: abs(float(rate) - fps))


def _join(sequence, sound, info, out_path):
    """PNG sequence (+ WAV) → H.264/AAC MP4 with no clock or host in it, written atomically."""
    rate = frame_rate(info["fps"])
    command = ["ffmpeg", "-nostdin", "-y", "-v", "error", "-framerate", f"{rate.numerator}/{rate.denominator}",
               "-start_number", "0", "-i", os.path.join(sequence, "%06d.png")]
    if sound:
        command += ["-i", sound, "-map", "0:v", "-map", "1:a", "-c:a", "aac", "-b:a", f"{info['audio_bitrate']}k",
                    "-ar", str(info["audio_mixrate"])]
    command += ["-c:v", "libx264", "-crf", str(info["crf"]), "-pix_fmt", "yuv420p",
                "-vf", "pad=ceil(iw/2)*2:ceil(ih/2)*2", "-map_metadata", "-1", "-fflags", "+bitexact",
                "-flags:v", "+bitexact", "-flags:a", "+bitexact", "-f", "mp4"]
    folder = os.path.dirname(out_path)
    os.makedirs(folder, exist_ok=True)
    handle, partial = tempfile.mkstemp(prefix=f".{os.path.basename(out_path)}.", suffix=".partial", dir=folder)
    os.close(handle)
    try:
        done = subprocess.run(command + [partial], capture_output=True, text=True)
        if done.returncode != 0:
            raise RuntimeError(f"ffmpeg could not join the frames: {done.stderr.strip()[-500:]}")
        os.replace(partial, out_path)
    finally:
        if os.path.exists(partial):
            os.unlink(partial)
