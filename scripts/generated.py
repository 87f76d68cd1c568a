#!/usr/bin/env python
"""The manifest of the course's generated files (``generated.json``) and the seconds-long check of all of them.

Every generated file of the repository, with the command that makes it and what it is made from:

    make lectures      lectures/en/*.ipynb, lectures/ru/*.ipynb    from lectures/src/NN_topic.py
    make solutions     solutions/<name>/<name>.ipynb               from scripts/assignment_sources/<name>.py
    make assignments   assignments/<name>/*                        from solutions/<name>/* (nbgrader)
    make sample-class  metaopt_instructor/sample_class/* (but the code)    from the first theory and practice solutions
    make environment   environment.yml                             from requirements.txt

``make generate`` runs them in that order (each depends on the ones before). After a generator has run, its make
target calls ``record GROUP``, which writes into ``generated.json``, for each file of the group, the command, the
SHA-256 of each input (the sources and the generator's own code) and the SHA-256 of the file itself.

``check`` recomputes those hashes — no notebook is executed, nbgrader is not run — and names every generated file
that is missing, not made by any source, edited by hand (its hash differs from the recorded one) or stale (an input
changed since it was made), with the command that regenerates it; exit status 1 when there is any. The exact
regeneration tests stay in the suite (``tests/test_lectures.py`` drift, ``tests/test_assignments.py`` byte-equal
release, ``tests/instructor/test_autograder_sample_class.py``, ``tests/course/test_foundation.py``); this check is their fast door.

A lecture's hash covers what its source determines (``metaopt_course.notebooks.lecture_content``: cells, ids, tags,
the ``metaopt`` metadata), so a lecture run and saved in JupyterLab, with outputs, is not reported; every other
file is hashed byte for byte.

    python scripts/generated.py check [--root DIR]
    python scripts/generated.py record [GROUP ...]     # groups: lectures solutions assignments sample-class environment
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

MANIFEST = "generated.json"
GROUPS = ("lectures", "solutions", "assignments", "sample-class", "environment")  # dependency order
COMMAND = {group: f"make {group}" for group in GROUPS}
# The generators' own code: a change in a generator makes its outputs stale like a change in their sources.
GENERATOR_CODE = {
    "lectures": ("metaopt_course/notebooks.py", "metaopt_course/__init__.py"),
    "solutions": ("scripts/make_assignment_notebook.py", "metaopt_course/__init__.py"),
    "assignments": ("nbgrader_config.py", "metaopt_instructor/config.py"),
    "sample-class": ("metaopt_instructor/sample_class/make.py", "metaopt_instructor/samples.py",
                     "metaopt_course/variants.py", "nbgrader_config.py", "metaopt_instructor/config.py"),
    "environment": ("scripts/sync_environment.py",),
}
SAMPLE_CLASS = "metaopt_instructor/sample_class"
SKIP_PARTS = ("__pycache__", ".ipynb_checkpoints")


@dataclass(frozen=True)
class Generated:
    """One generated file: its path, its group (= its make target), its inputs, how its content is hashed."""
    path: str
    group: str
    inputs: tuple[str, ...]
    kind: str = "bytes"  # "bytes" or "lecture" (outputs and run metadata ignored)


def _files(folder: Path, pattern: str = "*") -> list[Path]:
    return sorted(p for p in folder.glob(pattern) if p.is_file() and not set(SKIP_PARTS) & set(p.parts))


def _rel(root: Path, path: Path) -> str:
    return path.relative_to(root).as_posix()


def generated_files(root: Path, manifest: dict[str, dict]) -> tuple[dict[str, Generated], dict[str, str]]:
    """(the generated files the sources call for, {file found in a generated folder: its group}).

    The sample class's file list is decided by its script, not by a source per file: the recorded list stands."""
    from metaopt_lib.i18n import LANGUAGES

    want: dict[str, Generated] = {}
    found: dict[str, str] = {}
    for src in _files(root / "lectures" / "src", "[0-9][0-9]_*.py"):
        for lang in LANGUAGES:
            path = f"lectures/{lang}/{src.stem}.ipynb"
            want[path] = Generated(path, "lectures", (_rel(root, src), *GENERATOR_CODE["lectures"]), "lecture")
    for lang in LANGUAGES:
        found.update({_rel(root, p): "lectures" for p in _files(root / "lectures" / lang, "*.ipynb")})

    for src in _files(root / "scripts" / "assignment_sources", "*.py"):
        path = f"solutions/{src.stem}/{src.stem}.ipynb"
        want[path] = Generated(path, "solutions", (_rel(root, src), *GENERATOR_CODE["solutions"]))
    found.update({_rel(root, p): "solutions" for p in _files(root / "solutions", "*/*.ipynb")})

    for folder in sorted(p for p in (root / "solutions").glob("*") if p.is_dir()):
        sources = [_rel(root, p) for p in _files(folder, "**/*")]
        for src in sources:
            path = "assignments/" + src.removeprefix("solutions/")
            want[path] = Generated(path, "assignments", (*sources, *GENERATOR_CODE["assignments"]))
    found.update({_rel(root, p): "assignments" for p in _files(root / "assignments", "**/*")})

    sample = root / SAMPLE_CLASS
    chosen = sample / "assignments.txt"
    names = [line.split()[1] for line in chosen.read_text(encoding="utf-8").splitlines()
             if len(line.split()) == 2] if chosen.is_file() else []
    inputs = (*[f"solutions/{n}/{n}.ipynb" for n in dict.fromkeys(names)], *GENERATOR_CODE["sample-class"])
    for path, entry in manifest.items():
        if entry.get("by") == COMMAND["sample-class"]:
            want[path] = Generated(path, "sample-class", inputs)
    found.update({_rel(root, p): "sample-class" for p in _files(sample, "**/*") if p.name not in ("make.py", "__init__.py")})

    want["environment.yml"] = Generated("environment.yml", "environment",
                                        ("requirements.txt", *GENERATOR_CODE["environment"]))
    found.update({"environment.yml": "environment"} if (root / "environment.yml").is_file() else {})
    return want, found


def content_hash(path: Path, kind: str = "bytes") -> str:
    data = path.read_bytes()
    if kind == "lecture":
        import nbformat

        from metaopt_course.notebooks import lecture_content

        try:
            data = json.dumps(lecture_content(nbformat.reads(data.decode("utf-8"), as_version=4)),
                              sort_keys=True, ensure_ascii=False).encode("utf-8")
        except Exception:  # not a notebook any more: hashed as bytes, so it differs
            pass
    return hashlib.sha256(data).hexdigest()


def read_manifest(root: Path) -> dict[str, dict]:
    path = root / MANIFEST
    if not path.is_file():
        return {}
    return json.loads(path.read_text(encoding="utf-8"))["files"]


def write_manifest(root: Path, files: dict[str, dict]) -> None:
    text = json.dumps({"about": f"written by `make generate` (python scripts/generated.py record); checked by "
                                f"`make check` — do not edit", "files": dict(sorted(files.items()))},
                      indent=1, ensure_ascii=False, sort_keys=False)
    (root / MANIFEST).write_text(text + "\n", encoding="utf-8")


def record(root: Path, groups: list[str]) -> list[str]:
    """Rewrite the manifest entries of ``groups`` from the files on disk (called right after their generator)."""
    manifest = read_manifest(root)
    manifest = {p: e for p, e in manifest.items() if e.get("by") not in {COMMAND[g] for g in groups}}
    if "sample-class" in groups:  # the script decides its files: what is on disk now is what it wrote
        for path, group in generated_files(root, {})[1].items():
            if group == "sample-class":
                manifest[path] = {"by": COMMAND["sample-class"]}
    want, _ = generated_files(root, manifest)
    written = []
    for path, gen in want.items():
        if gen.group not in groups:
            continue
        if not (root / path).is_file():
            manifest.pop(path, None)
            continue
        manifest[path] = {"by": COMMAND[gen.group],
                          "inputs": {i: content_hash(root / i) for i in gen.inputs if (root / i).is_file()},
                          "sha256": content_hash(root / path, gen.kind)}
        written.append(path)
    write_manifest(root, manifest)
    return written


def check(root: Path) -> tuple[int, list[str]]:
    """(number of generated files checked, one line per problem naming the file and the command that fixes it)."""
    manifest = read_manifest(root)
    if not manifest:
        return 0, [f"{MANIFEST} is missing or empty: run `make generate`"]
    want, found = generated_files(root, manifest)
    problems = []
    hashes: dict[str, str] = {}

    def hashed(path: str) -> str | None:
        if path not in hashes:
            hashes[path] = content_hash(root / path) if (root / path).is_file() else None
        return hashes[path]

    for path, gen in want.items():
        command = COMMAND[gen.group]
        entry = manifest.get(path)
        if not (root / path).is_file():
            problems.append(f"{path}: missing — run `{command}`")
            continue
        if entry is None or entry.get("by") != command:
            problems.append(f"{path}: not recorded in {MANIFEST} as made by `{command}` — run `{command}`")
            continue
        reasons = []
        if content_hash(root / path, gen.kind) != entry.get("sha256"):
            reasons.append(f"edited by hand (its content is not what `{command}` wrote)")
        recorded = entry.get("inputs", {})
        changed = [i for i in gen.inputs if hashed(i) is not None and recorded.get(i) != hashed(i)]
        gone = [i for i in gen.inputs if hashed(i) is None] + sorted(set(recorded) - set(gen.inputs))
        if changed:
            reasons.append(f"out of date: {', '.join(changed)} changed since `{command}` made it")
        if gone:
            reasons.append(f"its inputs changed: {', '.join(gone)} no longer an input or missing")
        if reasons:
            problems.append(f"{path}: {'; '.join(reasons)} — run `{command}`")
    for path, group in sorted(found.items()):
        if path not in want:
            problems.append(f"{path}: in a generated folder but made by no source of `{COMMAND[group]}` — "
                            f"delete it, or add its source and run `{COMMAND[group]}`")
    for path, entry in sorted(manifest.items()):
        if path not in want and path not in found:
            problems.append(f"{path}: recorded in {MANIFEST} but gone — run `{entry.get('by', 'make generate')}`")
    return len(want), problems


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("action", choices=("check", "record"))
    parser.add_argument("groups", nargs="*", metavar="GROUP", help=f"for record: {', '.join(GROUPS)} (all if none)")
    parser.add_argument("--root", default=str(ROOT), help="course folder (default: this repository)")
    args = parser.parse_args(argv)
    root = Path(args.root).resolve()
    if args.action == "record":
        unknown = sorted(set(args.groups) - set(GROUPS))
        if unknown:
            parser.error(f"unknown group(s) {unknown}; groups: {', '.join(GROUPS)}")
        written = record(root, list(args.groups) or list(GROUPS))
        print(f"{MANIFEST}: {len(written)} generated files recorded ({', '.join(args.groups) or 'all'})")
        return 0
    count, problems = check(root)
    for line in problems:
        print(line)
    if problems:
        order = list(COMMAND.values())
        commands = sorted({p.rsplit("run `", 1)[-1].rstrip("`") for p in problems if "run `" in p},
                          key=lambda c: order.index(c) if c in order else len(order))
        fix = " && ".join(c for c in commands if c != "make generate") or "make generate"
        print(f"{len(problems)} problem(s) in {count} generated files. Regenerate, never edit by hand: {fix}"
              + ("" if fix == "make generate" else " (or everything: make generate)"))
        return 1
    print(f"{count} generated files match their sources and {MANIFEST}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
