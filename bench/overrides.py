"""`--set MODULE.NAME=VALUE` for the benches: a float constant of a module of SoundMotion's models, set for this
process only, so that two settings are printed by the same code."""

import importlib


def apply_overrides(pairs: list, package: str = "soundmotion.models.speech"):
    """Set each `MODULE.NAME=VALUE` of `pairs` (MODULE inside `package`, or a dotted path inside soundmotion.models
    such as `face.arkit_curves`; VALUE a float)."""
    for pair in pairs:
        name, _, value = pair.partition("=")
        module_name, _, constant = name.rpartition(".")
        inside = "soundmotion.models" if "." in module_name else package
        module = importlib.import_module(f"{inside}.{module_name}")
        if not hasattr(module, constant):
            raise SystemExit(f"{module_name} has no {constant}")
        setattr(module, constant, float(value))
