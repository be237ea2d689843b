"""Building the per-platform extension zips with Blender's own builder, and reading what is inside them:
wheel tags, the modules wheels provide, the imports the add-on makes (shared by the zip and install tests)."""

import ast
import os
import pathlib
import re
import subprocess
import sys
import tomllib
import zipfile

ROOT = pathlib.Path(__file__).resolve().parents[1]
PLATFORMS = ("windows-x64", "macos-arm64", "macos-x64", "linux-x64")
PYTHONS = ("3.11", "3.13")

# What Blender itself provides to add-ons besides the standard library: its own modules and the packages it
# bundles in site-packages (build_files/build_environment/cmake/python_site_packages.cmake, plus numpy).
BLENDER_MODULES = {"bpy", "bpy_extras", "bpy_types", "mathutils", "bmesh", "aud", "gpu", "gpu_extras", "blf", "bl_math",
                   "idprop", "imbuf", "addon_utils", "rna_prop_ui", "bl_ui", "bl_operators", "bl_app_override",
                   "freestyle", "rigify"}
BLENDER_SITE_PACKAGES = {"numpy", "requests", "certifi", "charset_normalizer", "idna", "urllib3", "zstandard",
                         "Cython", "cython", "pyximport", "autopep8", "pycodestyle", "toml", "setuptools",
                         "pkg_resources", "_distutils_hack", "mesonbuild", "pip"}
# Standard-library modules Python 3.13 removed (PEP 594 and lib2to3): not there in Blender 5.1+.
REMOVED_IN_313 = {"aifc", "audioop", "cgi", "cgitb", "chunk", "crypt", "imghdr", "mailcap", "msilib", "nis",
                  "nntplib", "ossaudiodev", "pipes", "sndhdr", "spwd", "sunau", "telnetlib", "uu", "xdrlib",
                  "lib2to3"}


def blender_ext_cli(python: str = sys.executable) -> str:
    code = "import bpy; print(bpy.utils.system_resource('SCRIPTS'))"
    scripts = subprocess.run([python, "-c", code], capture_output=True, text=True, check=True).stdout.strip()
    return os.path.join(scripts, "addons_core", "bl_pkg", "cli", "blender_ext.py")


def build_zips(out_dir: pathlib.Path) -> dict:
    """`make extension`'s build: validate the source, then one zip per platform. {platform: zip path}."""
    assert list((ROOT / "wheels").glob("*.whl")), "wheels/ is empty: run `make wheels` (make test does)"
    cli = blender_ext_cli()
    for args in (["validate", str(ROOT)],
                 ["build", "--source-dir", str(ROOT), "--output-dir", str(out_dir), "--split-platforms"]):
        done = subprocess.run([sys.executable, cli, *args], capture_output=True, text=True)
        assert done.returncode == 0, f"blender_ext {args[0]} failed:\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
    return {platform: out_dir / f"soundmotion-{version()}-{platform.replace('-', '_')}.zip" for platform in PLATFORMS}


def version() -> str:
    with open(ROOT / "blender_manifest.toml", "rb") as handle:
        return tomllib.load(handle)["version"]


# ---- wheel names and tags ----

def parse_wheel(name: str) -> dict:
    """Distribution, version, Python tags, ABI tags and platform tags of a wheel file name."""
    parts = pathlib.PurePosixPath(name).name[:-len(".whl")].split("-")
    return {"name": parts[0].lower(), "version": parts[1], "pythons": parts[-3].split("."), "abis": parts[-2].split("."),
            "platforms": parts[-1].split(".")}


def supports_python(wheel: dict, python: str) -> bool:
    major, minor = python.split(".")
    for tag in wheel["pythons"]:
        if tag in ("py3", f"py{major}{minor}"):
            return True
        if tag == f"cp{major}{minor}" and (f"cp{major}{minor}" in wheel["abis"] or "none" in wheel["abis"]):
            return True
        if tag.startswith("cp3") and "abi3" in wheel["abis"] and int(tag[3:]) <= int(minor):
            return True
    return False


def _mac_version(tag: str):
    match = re.fullmatch(r"macosx_(\d+)_(\d+)_(\w+)", tag)
    return (int(match[1]), int(match[2]), match[3]) if match else None


def runs_on(wheel: dict, platform: str) -> bool:
    """Whether Blender on `platform` can load the wheel: Blender 4.2 needs glibc <= 2.28 and macOS 11.2."""
    def tag_ok(tag):
        if tag == "any":
            return True
        if platform == "windows-x64":
            return tag == "win_amd64"
        if platform == "linux-x64":
            match = re.fullmatch(r"manylinux_2_(\d+)_x86_64", tag)
            return bool(match and int(match[1]) <= 28) or tag in ("manylinux2014_x86_64", "manylinux2010_x86_64",
                                                                   "manylinux1_x86_64")
        mac = _mac_version(tag)
        arch = {"macos-arm64": "arm64", "macos-x64": "x86_64"}[platform]
        return bool(mac and (mac[0], mac[1]) <= (11, 0) and mac[2] in (arch, "universal2"))
    return any(tag_ok(tag) for tag in wheel["platforms"])


# ---- what a zip holds ----

def zip_manifest(zip_path) -> dict:
    with zipfile.ZipFile(zip_path) as archive:
        return tomllib.loads(archive.read("blender_manifest.toml").decode())


def zip_wheels(zip_path) -> list:
    with zipfile.ZipFile(zip_path) as archive:
        return sorted(n for n in archive.namelist() if n.startswith("wheels/"))


def _extension_module_ok(file_name: str, python: str) -> bool:
    """A compiled module's name says which Python it was built for (cpython-311-..., cp311-win_amd64, abi3)."""
    tag = python.replace(".", "")
    parts = file_name.split(".")
    return any(p in (f"cpython-{tag}", f"cp{tag}") or p.startswith((f"cpython-{tag}-", f"cp{tag}-")) or p == "abi3"
               for p in parts[1:-1]) or len(parts) == 2


def wheel_modules(archive: zipfile.ZipFile, python: str) -> dict:
    """{top-level module: {relative path: source text or None for compiled}} that a wheel provides."""
    modules = {}
    for name in archive.namelist():
        top = name.split("/")[0]
        if top.endswith((".dist-info", ".data")) or name.endswith("/"):
            continue
        if name.endswith((".so", ".pyd")) and not _extension_module_ok(name.split("/")[-1], python):
            continue   # compiled for another Python
        if "/" in name:
            module = top
        elif name.endswith(".py"):
            module = name[:-3]
        elif name.endswith((".so", ".pyd")):
            module = name.split(".")[0]
        else:
            continue
        modules.setdefault(module, {})[name] = archive.read(name).decode("utf-8", "replace") if name.endswith(".py") else None
    return modules


def _version_test(test: ast.AST, python: str):
    """The value of `sys.version_info <op> (3, N)` for Python `python`, or None for any other condition."""
    if not (isinstance(test, ast.Compare) and len(test.ops) == 1 and ast.unparse(test.left) == "sys.version_info"):
        return None
    try:
        bound = ast.literal_eval(test.comparators[0])
    except ValueError:
        return None
    version = tuple(int(p) for p in python.split("."))[:len(bound)]
    compare = {ast.GtE: version >= bound, ast.Gt: version > bound, ast.Lt: version < bound, ast.LtE: version <= bound}
    return compare.get(type(test.ops[0]))


def _imports(tree: ast.AST, module_level_only: bool, python: str = "3.11"):
    """(level, module, names) for import statements; module-level only skips functions, classes and try blocks
    (optional imports) and the branches of `if sys.version_info ...` that `python` does not take, as a wheel's
    import-time dependencies are what must be present."""
    if module_level_only:
        stack, found = list(tree.body), []
        while stack:
            node = stack.pop()
            if isinstance(node, (ast.Import, ast.ImportFrom)):
                found.append(node)
            elif isinstance(node, ast.If):
                taken = _version_test(node.test, python)
                stack.extend((node.body if taken is not False else []) + (node.orelse if taken is not True else []))
        nodes = found
    else:
        nodes = [n for n in ast.walk(tree) if isinstance(n, (ast.Import, ast.ImportFrom))]
    for node in nodes:
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield 0, alias.name, []
        else:
            yield node.level, node.module or "", [alias.name for alias in node.names]


def _resolve(package: str, level: int, module: str) -> str:
    base = package.split(".") if package else []
    if level > 1:
        base = base[:len(base) - (level - 1)]
    return ".".join(p for p in base + (module.split(".") if module else []) if p)


def addon_imports(zip_path) -> dict:
    """The add-on's own modules reachable from its __init__.py (following relative imports anywhere in a file,
    lazy ones included) → {module: [absolute top-level imports]}; plus '!missing' for relative imports that do
    not resolve to a file in the zip."""
    with zipfile.ZipFile(zip_path) as archive:
        sources = {n: archive.read(n).decode() for n in archive.namelist()
                   if n.endswith(".py") and not n.startswith("wheels/")}
    def file_of(module):
        path = module.replace(".", "/")
        for candidate in (f"{path}.py", f"{path}/__init__.py") if module else ("__init__.py",):
            if candidate in sources:
                return candidate
        return None
    result, missing, todo, seen = {}, [], [""], set()
    while todo:
        module = todo.pop()
        if module in seen:
            continue
        seen.add(module)
        path = file_of(module)
        package = module if path and path.endswith("__init__.py") else module.rpartition(".")[0]
        absolute = []
        for level, name, names in _imports(ast.parse(sources[path]), module_level_only=False):
            if level == 0:
                absolute.append(name.split(".")[0])
                continue
            target = _resolve(package, level, name)
            candidates = [target] + [f"{target}.{n}" if target else n for n in names]
            found = [c for c in candidates if file_of(c)]
            if not found:
                missing.append(f"{path}: from {'.' * level}{name}")
            for found_module in found:   # importing a.b.c runs a/__init__.py and a/b/__init__.py first
                parts = found_module.split(".")
                todo.extend(".".join(parts[:i]) for i in range(1, len(parts) + 1))
        result[module] = sorted(set(absolute))
    result["!missing"] = missing
    return result


def unsatisfied_imports(zip_path, python: str) -> list:
    """Imports the add-on (and, at import time, the wheels it uses) make that neither Python `python`, Blender
    nor this zip's wheels for that Python provide."""
    stdlib = set(sys.stdlib_module_names) - (REMOVED_IN_313 if python >= "3.13" else set())
    available = stdlib | BLENDER_MODULES | BLENDER_SITE_PACKAGES
    provided = {}
    with zipfile.ZipFile(zip_path) as archive:
        for wheel_name in zip_wheels(zip_path):
            if not supports_python(parse_wheel(wheel_name), python):
                continue
            with zipfile.ZipFile(archive.open(wheel_name)) as wheel:
                provided.update(wheel_modules(wheel, python))
    graph = addon_imports(zip_path)
    problems = list(graph.pop("!missing"))
    todo = sorted({(name, f"add-on module {module or '__init__'}") for module, names in graph.items() for name in names})
    checked = set()
    while todo:
        name, importer = todo.pop()
        if name in checked:
            continue
        checked.add(name)
        if name in available:
            continue
        if name not in provided:
            problems.append(f"{name} (imported by {importer})")
            continue
        for path, source in provided[name].items():   # what the wheel's own code needs when it is imported
            if source is None or not (path.endswith("__init__.py") or "/" not in path):
                continue
            for level, module, _names in _imports(ast.parse(source), module_level_only=True, python=python):
                if level == 0:
                    todo.append((module.split(".")[0], path))
    return problems
