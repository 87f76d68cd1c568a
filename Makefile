# metaopt course — every entry point creates .venv on first use and reuses it afterwards.
# Only Python 3.11 and make are needed on the machine (bubblewrap is optional: it sandboxes grading).

PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed
# the benchmarks' own environment (make bench, make mutation): their peers never enter .venv
BENCH_VENV  := .venv-bench
BENCH_PY    := $(BENCH_VENV)/bin/python
BENCH_STAMP := $(BENCH_VENV)/.installed
# pytest workers: the course's reference machine has 2 cores.
WORKERS ?= 2
# nbgrader's gradebook set-up runs the `alembic` executable: the venv's tools come first on PATH.
export PATH := $(CURDIR)/$(VENV)/bin:$(PATH)

.PHONY: help venv test demo lab lectures check-lectures generate check solutions assignments environment student-dist sample-class bench bench-venv mutation clean-venv site \
	pg-start pg-stop

help:
	@echo "make demo          build lectures, release assignments, autograde the sample class (the main job)"
	@echo "make test          the whole test suite"
	@echo "make lab           open JupyterLab on the course (formgrader included)"
	@echo "make generate      rebuild every generated file, in order: lectures solutions assignments sample-class environment"
	@echo "make check         verify every generated file against generated.json in seconds (names each stale/edited one)"
	@echo "make lectures      regenerate lectures/en and lectures/ru from lectures/src"
	@echo "make solutions     regenerate solutions/<name>/<name>.ipynb from scripts/assignment_sources/<name>.py"
	@echo "make assignments   regenerate the student versions assignments/ from solutions/ (nbgrader, no execution)"
	@echo "make sample-class  regenerate metaopt_instructor/sample_class from the current solutions"
	@echo "make environment   regenerate environment.yml from requirements.txt"
	@echo "make check-lectures  fail when a generated lecture differs from its source (rebuilds them in memory)"
	@echo "make venv          create .venv from the pinned requirements (every target does it on first use)"
	@echo "make student-dist  build the student distribution (dist/student, dist/metaopt-student.zip)"
	@echo "make site          build the course website, executed lectures in EN and RU (build/site/index.html)"
	@echo "make bench         run the benchmarks in their own venv .venv-bench (peers higher/torchopt never enter .venv)"
	@echo "make bench-venv    create .venv-bench: requirements.txt + requirements-bench.txt (bench and mutation do it)"
	@echo "make mutation      mutation score of the library's fast tests per module (cosmic-ray in .venv-bench; hours)"
	@echo "make pg-start      a private PostgreSQL gradebook server (prints the --db-url)"
	@echo "make pg-stop       stop that server"
	@echo "make clean-venv    remove .venv and .venv-bench"
	@echo "make help          this list"

venv: $(STAMP)

# torch is installed first, pinned as requirements.txt pins it: a plain `torch` would pull a multi-GB CUDA build.
TORCH := $(shell grep -m1 '^torch==' requirements.txt)
$(STAMP): requirements.txt pyproject.toml
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet "$(TORCH)"
	$(PY) -m pip install --quiet -r requirements.txt
	$(PY) -m pip install --quiet --no-deps --no-build-isolation -e .
	@# build matplotlib's font cache once here, not inside the first lecture a test times
	$(PY) -c "import matplotlib.pyplot"
	@touch $(STAMP)

# One BLAS thread per process: small tensors on oversubscribed threads crawl. Unit tests run on $(WORKERS)
# xdist workers; the timed notebook executions and the multi-kernel grading tests (marked serial_heavy at the
# test or in the module's pytestmark) then run one after another, so that no test's time limit depends on its neighbour.
test: $(STAMP)
	@status=0; \
	OMP_NUM_THREADS=1 $(PY) -m pytest -n $(WORKERS) -m "not serial_heavy" tests || status=1; \
	OMP_NUM_THREADS=1 $(PY) -m pytest -m serial_heavy tests || status=1; \
	exit $$status

demo: $(STAMP)
	$(PY) -m metaopt_instructor demo

lab: $(STAMP)
	$(VENV)/bin/jupyter lab --notebook-dir=. $(if $(filter 0,$(shell id -u)),--allow-root,)

# Generated files: one door. `make generate` rebuilds every generated file in dependency order; each generator's
# target then records its files in generated.json (scripts/generated.py), and `make check` verifies all of them
# against it in seconds (no notebook executed, no nbgrader run).
GENERATED := $(PY) scripts/generated.py

generate: $(STAMP)
	$(MAKE) --no-print-directory lectures
	$(MAKE) --no-print-directory solutions
	$(MAKE) --no-print-directory assignments
	$(MAKE) --no-print-directory sample-class
	$(MAKE) --no-print-directory environment
	$(GENERATED) check

check: $(STAMP)
	$(GENERATED) check

lectures: $(STAMP)
	$(PY) -m metaopt_course lectures build
	$(GENERATED) record lectures

# nbgrader source notebooks solutions/<name>/<name>.ipynb from scripts/assignment_sources/<name>.py
solutions: $(STAMP)
	$(PY) scripts/make_assignment_notebook.py
	$(GENERATED) record solutions

# the student versions assignments/<name>/ from solutions/<name>/ (nbgrader; the solutions are not run here:
# `metaopt grade release` without --no-reference also computes the reference values)
assignments: $(STAMP)
	$(PY) -m metaopt_instructor grade release --no-reference
	$(GENERATED) record assignments

environment: $(STAMP)
	$(PY) scripts/sync_environment.py
	$(GENERATED) record environment

check-lectures: $(STAMP)
	$(PY) -m metaopt_course lectures check

student-dist: $(STAMP)
	$(PY) -m metaopt_instructor student-dist

# The course website (website/README.md): offline, both languages, lecture outputs cached in build/site-work.
site: $(STAMP)
	$(PY) website/build.py

# Regenerate the sample class after changing theory_1/practice_1 (a test checks it is up to date).
sample-class: $(STAMP)
	$(PY) -m metaopt_instructor.sample_class.make
	$(GENERATED) record sample-class

# The benchmarks' peers (higher, torchopt, cosmic-ray) live in their own venv, never in the test venv .venv:
# .venv-bench = requirements.txt + requirements-bench.txt (+ the course, editable).
bench-venv: $(BENCH_STAMP)

$(BENCH_STAMP): requirements.txt requirements-bench.txt pyproject.toml
	@test -x $(BENCH_PY) || $(PYTHON) -m venv $(BENCH_VENV)
	$(BENCH_PY) -m pip install --quiet --upgrade pip
	$(BENCH_PY) -m pip install --quiet "$(TORCH)"
	$(BENCH_PY) -m pip install --quiet -r requirements.txt -r requirements-bench.txt
	$(BENCH_PY) -m pip install --quiet --no-deps --no-build-isolation -e .
	@touch $(BENCH_STAMP)

bench: $(BENCH_STAMP)
	@for b in benchmarks/bench_*.py; do echo "== $$b"; $(BENCH_PY) $$b || exit 1; done

mutation: $(BENCH_STAMP)
	OMP_NUM_THREADS=1 $(BENCH_PY) benchmarks/mutation_score.py --out mutation_score.json

# A private PostgreSQL gradebook server for one instructor (127.0.0.1:5433, data in var/postgres);
# a shared server for several graders: docs/large-course.md.
pg-start: $(STAMP)
	$(PY) -m metaopt_instructor.database start

pg-stop: $(STAMP)
	$(PY) -m metaopt_instructor.database stop

clean-venv:
	rm -rf $(VENV) $(BENCH_VENV)
