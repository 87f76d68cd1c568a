"""``make demo``: the course's main job, end to end.

1. Build the bilingual lectures from their sources (``lectures/src`` → ``lectures/en``, ``lectures/ru``).
2. Execute lecture 01 in both languages headless (a smoke test of the set-up).
3. The instructor pipeline (in the ``autograder`` package): release the assignments, collect and autograde
   the sample class, write feedback and ``grades.csv``, print the grade table.
"""

from __future__ import annotations

import time

from metaopt_lib import notebooks
from metaopt_lib.i18n import LANGUAGES


def run(workers: int | None = None) -> int:
    root = notebooks.course_root()
    start = time.perf_counter()
    written = notebooks.build_lectures(root)
    sources = notebooks.lecture_sources(root)
    print(f"[1/3] lectures: {len(sources)} sources in lectures/src -> lectures/en, lectures/ru "
          f"({len(written)} notebooks regenerated)")
    first = sources[0].stem if sources else None
    if first:
        for lang in LANGUAGES:
            path = notebooks.output_path(root, first, lang)
            result = notebooks.execute_notebook(path, timeout=120, env={"METAOPT_EXERCISE_WIDGETS": ""})
            print(f"[2/3] executed {path.relative_to(root)} in {result.seconds:.1f} s")
    try:
        from autograder.demo import run_grading_demo
    except ModuleNotFoundError:
        print("[3/3] no autograder in this distribution: the grading demo is for instructors")
        status = 0
    else:
        status = run_grading_demo(workers=workers)
    print(f"demo finished in {time.perf_counter() - start:.0f} s")
    print(f"  lectures:    {root / 'lectures'} (en/, ru/; sources in src/)")
    print(f"  assignments: {root / 'assignments'} (released), {root / 'solutions'} (instructor)")
    return status
