"""Regenerate environment.yml from requirements.txt (the single source of the exact pins).

    python scripts/sync_environment.py          # rewrite environment.yml
    python scripts/sync_environment.py --check  # exit 1 when environment.yml is out of date
"""

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
HEADER = """\
# conda environment of the metaopt course: Python 3.11 and the same exact pins as requirements.txt
# (installed through pip; torch is the CPU build). Regenerate with `python scripts/sync_environment.py`;
# tests/course/test_foundation.py checks that the two files agree.
name: metaopt
channels:
  - conda-forge
dependencies:
  - python=3.11
  - pip
  - make
  - pip:
"""


def pins(text: str) -> list[str]:
    return [line.strip() for line in text.splitlines() if line.strip() and not line.lstrip().startswith("#")]


def render(requirements: str) -> str:
    return HEADER + "".join(f"      - {pin}\n" for pin in pins(requirements)) + "      - -e .\n"


def main(argv: list[str]) -> int:
    expected = render((ROOT / "requirements.txt").read_text(encoding="utf-8"))
    target = ROOT / "environment.yml"
    if "--check" in argv:
        if target.read_text(encoding="utf-8") != expected:
            print("environment.yml is out of date with requirements.txt: run python scripts/sync_environment.py")
            return 1
        return 0
    target.write_text(expected, encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
