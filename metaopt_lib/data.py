"""Offline datasets of the course.

* ``load_digits()`` — scikit-learn's bundled 8×8 handwritten digits (1797 images, ships with the package).
* ``load_mnist(path)`` — MNIST read from its IDX files (``train-images-idx3-ubyte`` …, raw or ``.gz``) in a local
  folder given by argument or by ``$METAOPT_MNIST_DIR``. Nothing is ever downloaded: without the files it falls
  back to ``load_digits()`` and says so.
* ``read_idx(path)`` — the IDX reader (LeCun et al., "The MNIST database": magic number, dimensions, data),
  with an error that names the file and the problem when the file is corrupt or truncated.
"""

from __future__ import annotations

import gzip
import os
import struct
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from metaopt_lib.i18n import both

MNIST_ENV = "METAOPT_MNIST_DIR"
MNIST_FILES = {
    "train_images": "train-images-idx3-ubyte",
    "train_labels": "train-labels-idx1-ubyte",
    "test_images": "t10k-images-idx3-ubyte",
    "test_labels": "t10k-labels-idx1-ubyte",
}
# IDX type codes -> (numpy dtype, big-endian)
_IDX_TYPES = {0x08: np.dtype(">u1"), 0x09: np.dtype(">i1"), 0x0B: np.dtype(">i2"), 0x0C: np.dtype(">i4"),
              0x0D: np.dtype(">f4"), 0x0E: np.dtype(">f8")}


class IDXError(ValueError):
    """A file that is not a valid IDX file (the message names the file and the problem)."""


@dataclass
class Dataset:
    """A classification dataset: flattened images in [0, 1] (float32) and int64 labels."""

    X_train: torch.Tensor
    y_train: torch.Tensor
    X_test: torch.Tensor
    y_test: torch.Tensor
    n_classes: int
    image_shape: tuple[int, int]
    name: str

    def split_validation(self, fraction: float = 0.2, seed: int = 0):
        """Split the training set into (X_tr, y_tr, X_val, y_val), stratified by class, reproducibly."""
        if not 0.0 < fraction < 1.0:
            raise ValueError(f"validation fraction must be in (0, 1), got {fraction}")
        from sklearn.model_selection import train_test_split

        idx = np.arange(len(self.y_train))
        tr, val = train_test_split(idx, test_size=fraction, random_state=seed, stratify=self.y_train.numpy())
        tr, val = torch.as_tensor(np.sort(tr)), torch.as_tensor(np.sort(val))
        return self.X_train[tr], self.y_train[tr], self.X_train[val], self.y_train[val]


def load_digits(test_size: float = 0.25, seed: int = 0) -> Dataset:
    """scikit-learn's digits (8×8, 10 classes), pixels scaled to [0, 1], stratified train/test split."""
    from sklearn.datasets import load_digits as _sk_digits
    from sklearn.model_selection import train_test_split

    digits = _sk_digits()
    X = (digits.data / 16.0).astype(np.float32)
    y = digits.target.astype(np.int64)
    X_tr, X_te, y_tr, y_te = train_test_split(X, y, test_size=test_size, random_state=seed, stratify=y)
    return Dataset(torch.from_numpy(X_tr), torch.from_numpy(y_tr), torch.from_numpy(X_te), torch.from_numpy(y_te),
                   n_classes=10, image_shape=(8, 8), name="digits")


def _open(path: Path) -> bytes:
    try:
        if path.suffix == ".gz":
            with gzip.open(path, "rb") as fh:
                return fh.read()
        return path.read_bytes()
    except (OSError, EOFError) as err:  # gzip.BadGzipFile is an OSError
        raise IDXError(f"{path}: cannot read ({err})") from err


def read_idx(path: str | os.PathLike) -> np.ndarray:
    """Read one IDX file (raw or gzip-compressed) into a numpy array of its declared type and shape.

    Layout: two zero bytes, a type code, the number of dimensions n, n big-endian uint32 sizes, then the data.
    """
    path = Path(path)
    raw = _open(path)
    if len(raw) < 4:
        raise IDXError(f"{path}: file is {len(raw)} bytes long, too short for an IDX header")
    zero, type_code, ndim = struct.unpack(">HBB", raw[:4])
    if zero != 0 or type_code not in _IDX_TYPES:
        raise IDXError(f"{path}: bad magic number 0x{raw[:4].hex()} (not an IDX file)")
    if ndim == 0:
        raise IDXError(f"{path}: IDX header declares zero dimensions")
    header = 4 + 4 * ndim
    if len(raw) < header:
        raise IDXError(f"{path}: truncated header ({len(raw)} bytes, {header} expected)")
    shape = struct.unpack(f">{ndim}I", raw[4:header])
    dtype = _IDX_TYPES[type_code]
    expected = int(np.prod(shape, dtype=np.int64)) * dtype.itemsize
    body = len(raw) - header
    if body != expected:
        problem = "truncated" if body < expected else "has trailing bytes"
        raise IDXError(f"{path}: data {problem}: {body} bytes for shape {shape}, {expected} expected")
    return np.frombuffer(raw, dtype=dtype, offset=header).reshape(shape).astype(dtype.newbyteorder("="))


def _find(folder: Path, stem: str) -> Path | None:
    for name in (stem, stem + ".gz", stem.replace("-idx", ".idx"), stem.replace("-idx", ".idx") + ".gz"):
        if (folder / name).exists():
            return folder / name
    return None


def mnist_files(path: str | os.PathLike | None = None) -> dict[str, Path] | None:
    """The four MNIST IDX files in ``path`` (or ``$METAOPT_MNIST_DIR``), or None when any is missing."""
    folder = path if path is not None else os.environ.get(MNIST_ENV)
    if not folder:
        return None
    found = {key: _find(Path(folder), stem) for key, stem in MNIST_FILES.items()}
    return None if any(v is None for v in found.values()) else found  # type: ignore[return-value]


def _subsample(X: np.ndarray, y: np.ndarray, n: int | None, rng: np.random.Generator):
    if n is None or n >= len(y):
        return X, y
    idx = np.sort(rng.choice(len(y), size=n, replace=False))
    return X[idx], y[idx]


def load_mnist(path: str | os.PathLike | None = None, seed: int = 0, n_train: int | None = None,
               n_test: int | None = None) -> Dataset:
    """MNIST (28×28, 10 classes) from local IDX files; sklearn's digits, with a printed notice, when absent.

    ``n_train``/``n_test`` take a seeded random subset (for fast CPU runs).
    """
    files = mnist_files(path)
    if files is None:
        where = path or os.environ.get(MNIST_ENV) or f"${MNIST_ENV} (not set)"
        print(both(f"MNIST IDX files not found in {where}: using sklearn's bundled digits (8×8) instead.",
                   f"Файлы MNIST (IDX) не найдены в {where}: используем встроенные в sklearn цифры digits (8×8)."))
        return load_digits(seed=seed)
    arrays = {key: read_idx(p) for key, p in files.items()}
    for part in ("train", "test"):
        images, labels = arrays[f"{part}_images"], arrays[f"{part}_labels"]
        if images.ndim != 3 or labels.ndim != 1 or len(images) != len(labels):
            raise IDXError(f"{files[part + '_images']}, {files[part + '_labels']}: images {images.shape} and "
                           f"labels {labels.shape} do not match")
    rng = np.random.default_rng(seed)
    X_tr, y_tr = _subsample(arrays["train_images"], arrays["train_labels"], n_train, rng)
    X_te, y_te = _subsample(arrays["test_images"], arrays["test_labels"], n_test, rng)
    to_x = lambda a: torch.from_numpy((a.reshape(len(a), -1) / 255.0).astype(np.float32))  # noqa: E731
    to_y = lambda a: torch.from_numpy(a.astype(np.int64))  # noqa: E731
    shape = tuple(int(s) for s in arrays["train_images"].shape[1:])
    return Dataset(to_x(X_tr), to_y(y_tr), to_x(X_te), to_y(y_te), n_classes=10, image_shape=shape, name="mnist")


def load_dataset(name: str = "digits", **kwargs) -> Dataset:
    """``"digits"`` or ``"mnist"`` (MNIST falls back to digits when its files are absent)."""
    loaders = {"digits": load_digits, "mnist": load_mnist}
    if name not in loaders:
        raise ValueError(f"unknown dataset {name!r}; expected one of {sorted(loaders)}")
    return loaders[name](**kwargs)
