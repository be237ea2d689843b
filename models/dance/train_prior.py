"""Train the motion prior: a denoising MLP over 0.4 s windows of body rotations, on CMU mocap (CC licence-free use).

Corruptions teach it what procedural dance lacks: windows are flattened into eased key poses (the choreography's
pose-to-pose motion) and jittered; the target is the captured motion. At run time it nudges the upper body of a
procedural dance towards how people move between poses. Weights are written as float16 numpy arrays
(`prior_weights.npz`, run by `prior.py` with plain numpy).

    .venv/bin/python -m soundmotion.models.dance.train_prior     (or: python models/dance/train_prior.py)
Reproducible: fixed seeds, 2 CPU threads, a few minutes.
"""

if __name__ == "__main__" and not __package__:  # run as a file: run it as part of the installed package
    import runpy

    runpy.run_module("soundmotion.models.dance.train_prior", run_name="__main__")
    raise SystemExit

import argparse
import glob
import os
import time

import numpy as np

from .prior_features import PRIOR_FPS, WINDOW, mirrored, to_features

DEFAULT_DATA = os.path.join(os.path.dirname(__file__), "..", "..", "..", "shared", "mocap", "cmu")
OUTPUT = os.path.join(os.path.dirname(__file__), "prior_weights.npz")
HIDDEN, BOTTLENECK = 256, 64


def load_windows(data_dir, stride=2):
    from .mocap import read_cmu

    windows = []
    paths = sorted(glob.glob(os.path.join(data_dir, "dance", "*.bvh")) + glob.glob(os.path.join(data_dir, "general", "*.bvh")))
    for path in paths:
        _, body = read_cmu(path)
        body = body.resampled(PRIOR_FPS)
        for local in (body.rotations, mirrored(body.rotations)):
            features = to_features(local)
            for start in range(0, len(features) - WINDOW + 1, stride):
                windows.append(features[start:start + WINDOW])
    return np.stack(windows).astype(np.float32), len(paths)


def corrupt(batch, generator, torch):
    """Half the windows become eased key poses (procedural-looking), all get a little jitter."""
    size, window, dims = batch.shape
    keyed = batch.clone()
    u = torch.linspace(0, 1, window // 2 + 1)[:-1]
    ease = (u - torch.sin(2 * np.pi * u) / (2 * np.pi)).view(1, -1, 1)
    first, middle, last = batch[:, :1], batch[:, window // 2:window // 2 + 1], batch[:, -1:]
    keyed[:, :window // 2] = first + (middle - first) * ease
    keyed[:, window // 2:] = middle + (last - middle) * ease[:, :window - window // 2]
    use_keys = (torch.rand(size, 1, 1, generator=generator) < 0.5).float()
    noisy = use_keys * keyed + (1 - use_keys) * batch
    return noisy + 0.03 * torch.randn(batch.shape, generator=generator)


def main(argv=None):
    parser = argparse.ArgumentParser(description="Train the dance motion prior on CMU mocap.")
    parser.add_argument("--data", default=DEFAULT_DATA)
    parser.add_argument("--steps", type=int, default=4000)
    parser.add_argument("--output", default=OUTPUT)
    args = parser.parse_args(argv)
    import torch

    torch.set_num_threads(2)
    torch.manual_seed(0)
    generator = torch.Generator().manual_seed(0)
    start = time.time()
    windows, files = load_windows(args.data)
    print(f"{files} files, {len(windows)} windows (with mirrors) in {time.time() - start:.1f} s", flush=True)
    flat = windows.reshape(len(windows), -1)
    mean, std = flat.mean(axis=0), flat.std(axis=0) + 1e-3
    data = torch.from_numpy(windows)
    mean_t, std_t = torch.from_numpy(mean), torch.from_numpy(std)
    dims = flat.shape[1]
    model = torch.nn.Sequential(
        torch.nn.Linear(dims, HIDDEN), torch.nn.SiLU(), torch.nn.Linear(HIDDEN, BOTTLENECK), torch.nn.SiLU(),
        torch.nn.Linear(BOTTLENECK, HIDDEN), torch.nn.SiLU(), torch.nn.Linear(HIDDEN, dims))
    optimiser = torch.optim.AdamW(model.parameters(), lr=2e-3, weight_decay=1e-4)
    schedule = torch.optim.lr_scheduler.CosineAnnealingLR(optimiser, args.steps)
    order = torch.randperm(len(data), generator=generator)
    validation, training = order[:len(order) // 20], order[len(order) // 20:]
    for step in range(args.steps):
        batch = data[training[torch.randint(len(training), (256,), generator=generator)]]
        noisy = corrupt(batch, generator, torch)
        prediction = model(((noisy.reshape(len(batch), -1)) - mean_t) / std_t)
        loss = torch.mean((prediction - (batch.reshape(len(batch), -1) - mean_t) / std_t) ** 2)
        optimiser.zero_grad()
        loss.backward()
        optimiser.step()
        schedule.step()
        if step % 500 == 0 or step == args.steps - 1:
            with torch.no_grad():
                clean = data[validation]
                noisy = corrupt(clean, torch.Generator().manual_seed(1), torch)
                target = (clean.reshape(len(clean), -1) - mean_t) / std_t
                val = torch.mean((model((noisy.reshape(len(clean), -1) - mean_t) / std_t) - target) ** 2).item()
                identity = torch.mean(((noisy.reshape(len(clean), -1) - mean_t) / std_t - target) ** 2).item()
            print(f"step {step:5d}  train {loss.item():.4f}  validation {val:.4f} (corrupted input {identity:.4f})"
                  f"  {time.time() - start:.0f} s", flush=True)
    layers = [m for m in model if isinstance(m, torch.nn.Linear)]
    arrays = {"mean": mean.astype(np.float32), "std": std.astype(np.float32), "window": np.int64(WINDOW),
              "fps": np.float64(PRIOR_FPS)}
    for i, layer in enumerate(layers):
        arrays[f"w{i}"] = layer.weight.detach().numpy().T.astype(np.float16)
        arrays[f"b{i}"] = layer.bias.detach().numpy().astype(np.float16)
    np.savez_compressed(args.output, **arrays)
    print(f"wrote {args.output} ({os.path.getsize(args.output) / 1e6:.2f} MB) in {time.time() - start:.0f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
