"""The small checkpoints shipped with the library (``metaopt_lib/checkpoints/<name>.pt``), one loader for all.

Each is written by ``scripts/train_<name>.py`` (MAML on sinusoids and on digits, the LSTM optimizer, the
hypernetworks of lecture 06) and re-checked by the test suite against a rerun of that script's first steps.
"""

from __future__ import annotations

from pathlib import Path

import torch

from metaopt_lib.i18n import both

__all__ = ["CHECKPOINT_DIR", "checkpoint_path", "load_checkpoint"]

CHECKPOINT_DIR = Path(__file__).resolve().parent / "checkpoints"


def checkpoint_path(name: str) -> Path:
    """``metaopt_lib/checkpoints/<name>.pt``: where ``scripts/train_<name>.py`` writes the checkpoint ``name``."""
    return CHECKPOINT_DIR / f"{name}.pt"


def load_checkpoint(name: str | Path) -> dict:
    """A shipped checkpoint by name (``"maml_sinusoid"``, ``"maml_digits"``, ``"lstm_opt"``, ``"hypernet"``) or a
    ``.pt`` file by path, loaded with ``weights_only=True`` (tensors and plain containers only: no code runs)."""
    path = Path(name) if isinstance(name, Path) or str(name).endswith(".pt") else checkpoint_path(name)
    if not path.exists():
        script = f"scripts/train_{path.stem}.py"
        raise FileNotFoundError(both(f"no checkpoint {path}: run `python {script}`",
                                     f"нет контрольной точки {path}: запустите `python {script}`"))
    return torch.load(path, weights_only=True)
