# metaopt course — every entry point creates .venv on first use and reuses it afterwards.
# Only Python 3.11 and make are needed on the machine (bubblewrap is optional: it sandboxes grading).

PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed
# pytest workers: the course's reference machine has 2 cores.
WORKERS ?= 2
# nbgrader's gradebook set-up runs the `alembic` executable: the venv's tools come first on PATH.
export PATH := $(CURDIR)/$(VENV)/bin:$(PATH)

.PHONY: help venv test demo lab lectures check-lectures student-dist sample-class bench mutation clean-venv site \
	pg-start pg-stop

help:
	@echo "make demo          build lectures, release assignments, autograde the sample class (the main job)"
	@echo "make test          the whole test suite"
	@echo "make lab           open JupyterLab on the course (formgrader included)"
	@echo "make lectures      regenerate lectures/en and lectures/ru from lectures/src"
	@echo "make check-lectures  fail when a generated lecture differs from its source"
	@echo "make venv          create .venv from the pinned requirements (every target does it on first use)"
	@echo "make student-dist  build the student distribution (dist/student, dist/metaopt-student.zip)"
	@echo "make site          build the course website, executed lectures in EN and RU (build/site/index.html)"
	@echo "make bench         run the benchmarks (installs the benchmark-only peers higher/torchopt)"
	@echo "make mutation      mutation score of the library's fast tests per module (cosmic-ray; hours; not CI)"
	@echo "make pg-start      a private PostgreSQL gradebook server (prints the --db-url); make pg-stop"
	@echo "make sample-class  regenerate metaopt_instructor/sample_class from the current solutions"
	@echo "make clean-venv    remove .venv"

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
# xdist workers; the timed notebook executions and the multi-kernel grading tests (marked serial_heavy in
# tests/conftest.py) then run one after another, so that no test's time limit depends on its neighbour.
test: $(STAMP)
	@status=0; \
	OMP_NUM_THREADS=1 $(PY) -m pytest -n $(WORKERS) -m "not serial_heavy" tests || status=1; \
	OMP_NUM_THREADS=1 $(PY) -m pytest -m serial_heavy tests || status=1; \
	exit $$status

demo: $(STAMP)
	$(PY) -m metaopt_instructor demo

lab: $(STAMP)
	$(VENV)/bin/jupyter lab --notebook-dir=. $(if $(filter 0,$(shell id -u)),--allow-root,)

lectures: $(STAMP)
	$(PY) -m metaopt_course lectures build

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

bench: $(STAMP)
	$(PY) -m pip install --quiet -r requirements-bench.txt
	@for b in benchmarks/bench_*.py; do echo "== $$b"; $(PY) $$b || exit 1; done

mutation: $(STAMP)
	$(PY) -m pip install --quiet -r requirements-bench.txt
	OMP_NUM_THREADS=1 $(PY) benchmarks/mutation_score.py --out mutation_score.json

# A private PostgreSQL gradebook server for one instructor (127.0.0.1:5433, data in var/postgres);
# a shared server for several graders: docs/large-course.md.
pg-start: $(STAMP)
	$(PY) -m metaopt_instructor.database start

pg-stop: $(STAMP)
	$(PY) -m metaopt_instructor.database stop

clean-venv:
	rm -rf $(VENV)
