"""Progress of a grading batch, and which submissions a batch still has to grade.

**Progress**: every recorded submission prints one line prefixed with ``[done/total pct, rate, ETA]``; the rate
is recorded submissions per minute since the batch started executing, the ETA is the remaining count over that
rate (shown once two submissions are recorded).

**Resumption**: each status file (``var/status/<assignment>/<student>.json``) carries ``hash``, the
SHA-256 of what was graded — the submitted notebooks' bytes and the released notebooks' bytes (a new release
re-grades everyone) — written only after the gradebook holds the submission's scores. A rerun skips every
submission whose status has the same hash and whose scores are in the gradebook, so a rerun after new
submissions grades only those, and a batch interrupted at any point (Ctrl-C, a lost machine) resumes with the
submissions not recorded yet. ``--force`` grades everything again.
"""

from __future__ import annotations

import hashlib
import time

__all__ = ["submission_hash", "select", "Progress", "format_duration"]


def submission_hash(course, student: str, assignment: str) -> str:
    """SHA-256 over (name, bytes) of every notebook submitted by ``student`` for ``assignment`` and every
    notebook of its release, in name order."""
    digest = hashlib.sha256()
    folders = (("submitted", course.submission_dir(student, assignment)),
               ("released", course.release_dir / assignment))
    for tag, folder in folders:
        for path in sorted(folder.glob("*.ipynb")) if folder.is_dir() else []:
            digest.update(f"{tag}/{path.name}\0".encode())
            digest.update(path.read_bytes())
            digest.update(b"\0")
    return digest.hexdigest()


def select(course, pairs: list[tuple[str, str]], in_gradebook: set[tuple[str, str]], force: bool = False
           ) -> tuple[list[tuple[str, str]], list[tuple[str, str]], dict[tuple[str, str], str]]:
    """(pairs to grade, pairs already graded, {pair: hash}). A pair is already graded when its status file holds
    the same hash and the gradebook has its submission (``in_gradebook``: (student, assignment) pairs)."""
    hashes = {pair: submission_hash(course, *pair) for pair in pairs}
    if force:
        return list(pairs), [], hashes
    todo, done = [], []
    for pair in pairs:
        status = course.read_status(pair[1], pair[0])
        if status and status.get("hash") == hashes[pair] and pair in in_gradebook:
            done.append(pair)
        else:
            todo.append(pair)
    return todo, done, hashes


def format_duration(seconds: float) -> str:
    """``3725`` → ``1:02:05``, ``65`` → ``1:05``."""
    seconds = max(0, int(round(seconds)))
    h, rest = divmod(seconds, 3600)
    m, s = divmod(rest, 60)
    return f"{h}:{m:02d}:{s:02d}" if h else f"{m}:{s:02d}"


class Progress:
    """Count, rate and ETA of a batch of ``total`` submissions (``clock`` is injectable for tests)."""

    def __init__(self, total: int, clock=time.monotonic):
        self.total = total
        self.done = 0
        self.clock = clock
        self.start = clock()

    def step(self) -> str:
        """Count one more recorded submission; returns the ``[done/total pct, rate, ETA]`` prefix."""
        self.done += 1
        elapsed = self.clock() - self.start
        pct = 100.0 * self.done / self.total if self.total else 100.0
        if self.done >= 2 and elapsed > 0:
            rate = self.done / elapsed * 60.0
            eta = (self.total - self.done) / (self.done / elapsed)
            return f"[{self.done}/{self.total} {pct:3.0f}%, {rate:.1f}/min, ETA {format_duration(eta)}]"
        return f"[{self.done}/{self.total} {pct:3.0f}%, ETA …]"
