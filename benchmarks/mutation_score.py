"""Mutation score of the library's fast tests, per module (a benchmark, not a CI gate).

For each module ``metaopt_lib/<name>.py`` the script lets cosmic-ray (pinned in ``requirements-bench.txt``)
generate every mutant (replaced operators, numbers, comparisons, booleans, ``break``/``continue``, loops that run
zero times, ...), draws a seeded sample of them (the whole run over 2 cores takes days: 15–40 s of pytest per
mutant), applies each to a scratch copy of the repository and runs the module's fast tests against it:
``tests/library/test_<name>.py`` plus the module's classes in ``tests/library/test_validation.py`` and
``tests/library/test_properties.py``
(``EXTRA_TARGETS`` for validate, seeding, i18n), with ``pytest -x -q -p no:cacheprovider`` and the "mutation"
Hypothesis profile. Each run is forked from a server that has imported torch, numpy, pytest and hypothesis once
(the mutated ``metaopt_lib`` is imported afresh in every child): the same tests on the same mutants, without the
few seconds of imports per mutant. A mutant is *killed* when a test fails (or the run times out), *survives*
when all pass. It prints, per module,

    module  mutants  sampled  killed  survived  equiv.  incompetent  score

where score = killed / (killed + survived); mutants that are plainly equivalent (``|`` → ``*`` inside a type
annotation, found with ``ast``: ``from __future__ import annotations`` never evaluates one) are counted apart as
"equiv." and not run. It writes the survivors (line, operator, occurrence, diff) to ``--out`` for the reasons to
be read one by one (some are equivalent mutants: ``x * 1.0`` for ``x / 1.0``, a tie-break that no input can
reach, ...); ``--rerun`` that file later runs only those survivors again (the same seed draws the same sample).

    python benchmarks/mutation_score.py                       # every algorithm module, 20 mutants each
    python benchmarks/mutation_score.py hypergrad evidence --sample 0 --timeout 120   # all mutants of two modules
    python benchmarks/mutation_score.py --rev HEAD~5 search    # the score of an older commit (before/after)
    python benchmarks/mutation_score.py --rerun before.json --out after.json   # were the survivors killed?

``make mutation`` runs it; nothing here runs in CI (it is not part of ``make test``). Results and the survivors'
reasons: ``benchmarks/mutation_report.md``.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
MODULES = ("bayesopt", "compression", "data", "evidence", "evograd", "hypergrad", "hypernet", "learned_blackbox",
           "learned_opt", "meta", "protonet", "pruning", "schedule", "search", "seeding", "structure", "tasks",
           "training", "validate", "variational", "i18n")
# Modules whose fast tests are not (only) test_<name>.py and the classes named after them (test files are named
# by their file name and found wherever they stand: tests/ before the floors, tests/library/ and tests/course/ since).
EXTRA_TARGETS = {
    "validate": ["test_validation.py"],  # every module's misuse tests go through validate's checks
    "seeding": ["test_foundation.py::test_set_seed_fixes_every_generator", "test_seeding.py"],
    "i18n": ["test_foundation.py::test_translator", "test_validation.py::TestValidate", "test_i18n.py"],
}


def _copy_tree(dest: Path, rev: str | None) -> None:
    """The library, the course runtime (some of the library's tests live beside the runtime's) and the tests at
    ``rev`` (``git archive``; parts that ``rev`` does not have are left out) or as in the working tree."""
    parts = ("metaopt_lib", "metaopt_course", "tests", "pyproject.toml")
    if rev:
        listed = subprocess.run(["git", "-C", str(ROOT), "ls-tree", "--name-only", rev], check=True,
                                capture_output=True, text=True).stdout.split()
        archive = subprocess.run(["git", "-C", str(ROOT), "archive", rev, *[p for p in parts if p in listed]],
                                 check=True, capture_output=True).stdout
        subprocess.run(["tar", "-x", "-C", str(dest)], input=archive, check=True)
    else:
        for part in parts[:-1]:
            shutil.copytree(ROOT / part, dest / part, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
        shutil.copy(ROOT / "pyproject.toml", dest / "pyproject.toml")


def _find(work: Path, target: str) -> str | None:
    """``tests/…/<file>[::<name>]`` for a target given by its file name, wherever the file stands under tests/."""
    file, _, name = target.partition("::")
    found = sorted((work / "tests").rglob(file))
    return None if not found else found[0].relative_to(work).as_posix() + (f"::{name}" if name else "")


def _test_targets(work: Path, name: str) -> list[str]:
    if name in EXTRA_TARGETS:  # (files added later are left out when measuring an older --rev)
        return [t for t in (_find(work, target) for target in EXTRA_TARGETS[name]) if t]
    own = _find(work, f"test_{name}.py")
    targets = [own] if own else []
    cls = "Test" + "".join(part.capitalize() for part in name.split("_"))
    for extra in ("test_validation.py", "test_properties.py"):
        path = _find(work, extra)
        if path and f"class {cls}" in (work / path).read_text():
            targets.append(f"{path}::{cls}")
    return targets


def _in_annotation(diff: str, operator: str) -> bool:
    """An equivalent mutant that needs no reading: ``X | Y`` → ``X * Y`` inside a signature's type annotation,
    which ``from __future__ import annotations`` keeps as a string that nothing evaluates."""
    changed = [line[1:].strip() for line in diff.splitlines() if line.startswith("+") and not line.startswith("+++")]
    return "BitOr" in operator and all(line.startswith("def ") or line.endswith(":") and "->" in line
                                       for line in changed)


def _annotation_spans(source: str) -> list[tuple[tuple[int, int], tuple[int, int]]]:
    """(start, end) positions (line, column) of every annotation in ``source``: arguments' and returns' annotations
    and annotated assignments. With ``from __future__ import annotations`` (every library module) they are strings
    that nothing evaluates, so a mutated operator inside one is an equivalent mutant."""
    import ast
    spans = []
    for node in ast.walk(ast.parse(source)):
        notes = []
        if isinstance(node, ast.arg):
            notes.append(node.annotation)
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            notes.append(node.returns)
        elif isinstance(node, ast.AnnAssign):
            notes.append(node.annotation)
        spans += [((a.lineno, a.col_offset), (a.end_lineno, a.end_col_offset)) for a in notes if a is not None]
    return spans


def _in_annotation_at(spans, pos: tuple[int, int]) -> bool:
    return any(start <= tuple(pos) < end for start, end in spans)


def _serve(sock_path: str) -> None:
    """A fork server for the per-mutant test runs: torch, numpy, pytest and hypothesis are imported once; each
    request forks a child that imports ``metaopt_lib`` afresh (the mutated copy) and runs ``pytest.main`` on the
    same arguments as the command line would. The child dies when its client does (cosmic-ray's timeout)."""
    import signal
    import socket
    import threading

    import hypothesis  # noqa: F401  (preloaded; never metaopt_lib, which each child imports mutated)
    import numpy  # noqa: F401
    import pytest
    import torch  # noqa: F401
    server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    server.bind(sock_path)
    server.listen(4)
    signal.signal(signal.SIGCHLD, signal.SIG_IGN)
    while True:
        conn, _ = server.accept()
        if os.fork():
            conn.close()
            continue
        server.close()
        signal.signal(signal.SIGCHLD, signal.SIG_DFL)  # tests that run subprocesses wait for them
        request = json.loads(conn.makefile("r").readline())
        os.chdir(request["cwd"])

        def _watch():
            while conn.recv(1):
                pass
            os._exit(3)  # the client is gone (timed out): stop
        threading.Thread(target=_watch, daemon=True).start()
        null = os.open(os.devnull, os.O_WRONLY)
        os.dup2(null, 1)
        os.dup2(null, 2)
        try:
            code = int(pytest.main(request["args"]))
        except BaseException:  # noqa: BLE001 — a crash is a failed run
            code = 1
        conn.sendall(f"{code}\n".encode())
        os._exit(0)


def _client(sock_path: str, args: list[str]) -> int:
    import socket
    conn = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    conn.connect(sock_path)
    conn.sendall((json.dumps({"cwd": os.getcwd(), "args": args}) + "\n").encode())
    reply = conn.makefile("r").readline().strip()
    return int(reply) if reply else 1


def run_module(name: str, work: Path, sample: int, seed: int, timeout: float,
               only: set[tuple[str, int]] | None = None, skip: int = 0) -> dict:
    from cosmic_ray.work_db import WorkDB, use_db
    from cosmic_ray.work_item import TestOutcome, WorkerOutcome, WorkResult

    targets = _test_targets(work, name)
    if not targets:
        return {"module": name, "error": "no tests"}
    python = sys.executable
    sock = str(work / "pytest.sock")
    test_cmd = (f"{python} {Path(__file__).resolve()} --client {sock} -x -q -p no:cacheprovider -p no:randomly "
                + " ".join(targets))
    cfg = work / f"cr_{name}.toml"
    cfg.write_text(f"""[cosmic-ray]
module-path = "metaopt_lib/{name}.py"
timeout = {timeout}
excluded-modules = []
test-command = "{test_cmd}"

[cosmic-ray.distributor]
name = "local"
""")
    db_path = work / f"cr_{name}.sqlite"
    env = {**os.environ, "PYTHONPATH": str(work), "OMP_NUM_THREADS": "1", "HYPOTHESIS_PROFILE": "mutation"}
    subprocess.run([python, "-m", "cosmic_ray.cli", "init", str(cfg), str(db_path)], cwd=work, env=env, check=True,
                   capture_output=True)
    with use_db(str(db_path), WorkDB.Mode.open) as db:
        items = sorted(db.work_items, key=lambda w: (str(w.mutations[0].operator_name), w.mutations[0].start_pos,
                                                     w.mutations[0].occurrence))
        chosen = items if sample <= 0 or sample >= len(items) else random.Random(seed).sample(items, sample)
        chosen = chosen[skip:]  # --skip: the first ones were measured by an earlier, smaller --sample
        if only is not None:  # --rerun: the same seeded sample, narrowed to an earlier run's survivors
            chosen = [w for w in chosen if (w.mutations[0].operator_name, w.mutations[0].occurrence) in only]
        spans = _annotation_spans((work / "metaopt_lib" / f"{name}.py").read_text())
        pre_equivalent = [w for w in chosen if "BitOr" in w.mutations[0].operator_name
                          and _in_annotation_at(spans, w.mutations[0].start_pos)]
        chosen_ids = {w.job_id for w in chosen} - {w.job_id for w in pre_equivalent}
        skipped = [w.job_id for w in items if w.job_id not in chosen_ids]
        if skipped:
            db.set_multiple_results(skipped, WorkResult(worker_outcome=WorkerOutcome.SKIPPED))
    start = time.time()
    server = subprocess.Popen([python, str(Path(__file__).resolve()), "--serve", sock], cwd=work, env=env)
    try:
        while not Path(sock).exists():
            time.sleep(0.2)
        subprocess.run([python, "-m", "cosmic_ray.cli", "exec", str(cfg), str(db_path)], cwd=work, env=env,
                       capture_output=True)
    finally:
        server.terminate()
        server.wait()
    elapsed = time.time() - start
    killed = survived = incompetent = 0
    survivors = []
    equivalent = [{"line": w.mutations[0].start_pos[0], "operator": w.mutations[0].operator_name,
                   "occurrence": w.mutations[0].occurrence, "diff": None} for w in pre_equivalent]
    with use_db(str(db_path), WorkDB.Mode.open) as db:
        for item, result in db.completed_work_items:
            if result.worker_outcome == WorkerOutcome.SKIPPED:
                continue
            if result.test_outcome == TestOutcome.SURVIVED:
                m = item.mutations[0]
                entry = {"line": m.start_pos[0], "operator": m.operator_name, "occurrence": m.occurrence,
                         "diff": result.diff}
                if _in_annotation(result.diff or "", m.operator_name) or (
                        "BitOr" in m.operator_name and _in_annotation_at(spans, m.start_pos)):
                    equivalent.append(entry)
                    continue
                survived += 1
                survivors.append(entry)
            elif result.test_outcome == TestOutcome.INCOMPETENT:
                incompetent += 1
            else:
                killed += 1
    judged = killed + survived
    return {"module": name, "mutants": len(items), "sampled": len(chosen), "killed": killed, "survived": survived,
            "incompetent": incompetent, "score": killed / judged if judged else None, "seconds": round(elapsed),
            "equivalent": len(equivalent), "tests": targets, "equivalents": equivalent,
            "survivors": sorted(survivors, key=lambda s: s["line"])}


def main(argv=None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["--serve"]:
        _serve(argv[1])
        return 0
    if argv[:1] == ["--client"]:
        return _client(argv[1], argv[2:])
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("modules", nargs="*", default=list(MODULES))
    ap.add_argument("--sample", type=int, default=20, help="mutants drawn per module (0 = all)")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--timeout", type=float, default=90.0, help="seconds per mutant's test run (then: killed)")
    ap.add_argument("--rev", default=None, help="a git revision to measure instead of the working tree")
    ap.add_argument("--out", default=None, help="JSON file for the per-module results and the survivors")
    ap.add_argument("--skip", type=int, default=0,
                    help="leave out the first SKIP mutants of the sample: they were measured with --sample SKIP (for "
                         "more than 85 mutants random.sample draws the smaller sample as the prefix of the larger)")
    ap.add_argument("--rerun", default=None,
                    help="a JSON file written by --out: run only the mutants that survived there (same --seed and "
                         "--sample draw the same mutants; the module's source must be unchanged)")
    args = ap.parse_args(argv)
    unknown = set(args.modules) - set(MODULES)
    if unknown:
        ap.error(f"unknown modules {sorted(unknown)}; choose from {MODULES}")
    previous = None
    if args.rerun:
        previous = {r["module"]: {(s["operator"], s["occurrence"]) for s in r.get("survivors", [])}
                    for r in json.loads(Path(args.rerun).read_text())}
    results = []
    print(f"{'module':<12} {'mutants':>7} {'sampled':>7} {'killed':>6} {'survived':>8} {'equiv.':>6} {'incomp.':>7} "
          f"{'score':>6} {'time':>6}", flush=True)
    for name in args.modules:
        with tempfile.TemporaryDirectory(prefix=f"mut_{name}_") as tmp:
            work = Path(tmp)
            _copy_tree(work, args.rev)
            only = None if previous is None else previous.get(name, set())
            r = run_module(name, work, args.sample, args.seed, args.timeout, only, args.skip)
        results.append(r)
        if "error" in r:
            print(f"{name:<12} {r['error']}", flush=True)
        else:
            score = "n/a" if r["score"] is None else f"{100 * r['score']:.0f}%"
            print(f"{name:<12} {r['mutants']:>7} {r['sampled']:>7} {r['killed']:>6} {r['survived']:>8} "
                  f"{r['equivalent']:>6} {r['incompetent']:>7} {score:>6} {r['seconds']:>5}s", flush=True)
        if args.out:
            Path(args.out).write_text(json.dumps(results, indent=1, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
