"""The offline data loaders: digits, and MNIST IDX files written by the test itself."""

import gzip
import struct

import numpy as np
import pytest
import torch

from metaopt_lib import data


def write_idx(path, array: np.ndarray, type_code: int = 0x08, gz: bool = False, cut: int = 0, extra: bytes = b""):
    header = struct.pack(">HBB", 0, type_code, array.ndim) + struct.pack(f">{array.ndim}I", *array.shape)
    raw = header + array.astype(data._IDX_TYPES[type_code]).tobytes() + extra
    raw = raw[:len(raw) - cut] if cut else raw
    (gzip.open if gz else open)(path, "wb").write(raw)
    return path


def fake_mnist(folder, n_train=30, n_test=12, gz=False):
    rng = np.random.default_rng(0)
    suffix = ".gz" if gz else ""
    arrays = {
        "train-images-idx3-ubyte": rng.integers(0, 256, (n_train, 28, 28)),
        "train-labels-idx1-ubyte": rng.integers(0, 10, n_train),
        "t10k-images-idx3-ubyte": rng.integers(0, 256, (n_test, 28, 28)),
        "t10k-labels-idx1-ubyte": rng.integers(0, 10, n_test),
    }
    for name, arr in arrays.items():
        write_idx(folder / (name + suffix), arr, gz=gz)
    return arrays


def test_digits():
    ds = data.load_digits()
    assert ds.X_train.shape[1] == 64 and ds.image_shape == (8, 8) and ds.n_classes == 10
    assert ds.X_train.dtype == torch.float32 and ds.y_train.dtype == torch.int64
    assert 0.0 <= float(ds.X_train.min()) and float(ds.X_train.max()) == 1.0
    assert len(ds.y_train) + len(ds.y_test) == 1797
    X_tr, y_tr, X_val, y_val = ds.split_validation(0.2, seed=1)
    assert len(y_tr) + len(y_val) == len(ds.y_train)
    assert set(y_val.tolist()) == set(range(10))


@pytest.mark.parametrize("type_code,dtype", [(0x08, np.uint8), (0x0B, np.int16), (0x0D, np.float32)])
@pytest.mark.parametrize("gz", [False, True])
def test_read_idx_round_trip(tmp_path, type_code, dtype, gz):
    arr = (np.arange(2 * 3 * 4) % 100).reshape(2, 3, 4).astype(dtype)
    path = write_idx(tmp_path / ("a.idx" + (".gz" if gz else "")), arr, type_code=type_code, gz=gz)
    out = data.read_idx(path)
    assert out.shape == (2, 3, 4) and np.array_equal(out, arr)


@pytest.mark.parametrize("kind,needle", [("truncated", "truncated"), ("trailing", "trailing"),
                                         ("magic", "bad magic"), ("short", "too short"),
                                         ("badgzip", "cannot read")])
def test_corrupt_idx_names_the_file_and_problem(tmp_path, kind, needle):
    arr = np.zeros((3, 4), dtype=np.uint8)
    path = tmp_path / "broken-idx1-ubyte"
    if kind == "truncated":
        write_idx(path, arr, cut=5)
    elif kind == "trailing":
        write_idx(path, arr, extra=b"xx")
    elif kind == "magic":
        path.write_bytes(b"\x12\x34\x08\x02" + bytes(20))
    elif kind == "short":
        path.write_bytes(b"\x00")
    else:
        path = tmp_path / "broken.gz"
        path.write_bytes(b"not gzip at all")
    with pytest.raises(data.IDXError) as err:
        data.read_idx(path)
    assert str(path) in str(err.value) and needle in str(err.value)


@pytest.mark.parametrize("gz", [False, True])
def test_load_mnist_from_idx(tmp_path, gz):
    arrays = fake_mnist(tmp_path, gz=gz)
    ds = data.load_mnist(tmp_path)
    assert ds.name == "mnist" and ds.image_shape == (28, 28)
    assert ds.X_train.shape == (30, 784) and ds.X_test.shape == (12, 784)
    expected = torch.from_numpy(arrays["train-images-idx3-ubyte"].reshape(30, -1) / 255.0).float()
    assert torch.allclose(ds.X_train, expected)
    assert ds.y_test.tolist() == arrays["t10k-labels-idx1-ubyte"].tolist()
    sub = data.load_mnist(tmp_path, n_train=10, n_test=5, seed=3)
    assert sub.X_train.shape == (10, 784) and sub.X_test.shape == (5, 784)


def test_load_mnist_from_environment(tmp_path, monkeypatch):
    fake_mnist(tmp_path)
    monkeypatch.setenv(data.MNIST_ENV, str(tmp_path))
    assert data.load_dataset("mnist").name == "mnist"


def test_mnist_falls_back_to_digits_and_says_so(tmp_path, capsys, monkeypatch):
    monkeypatch.delenv(data.MNIST_ENV, raising=False)
    ds = data.load_mnist(tmp_path / "nothing-here")
    assert ds.name == "digits"
    out = capsys.readouterr().out
    assert "digits" in out and "MNIST" in out and "не найдены" in out


def test_mismatched_images_and_labels(tmp_path):
    fake_mnist(tmp_path)
    write_idx(tmp_path / "train-labels-idx1-ubyte", np.zeros(7, dtype=np.uint8))
    with pytest.raises(data.IDXError, match="do not match"):
        data.load_mnist(tmp_path)


def test_unknown_dataset():
    with pytest.raises(ValueError, match="unknown dataset"):
        data.load_dataset("cifar")


@pytest.mark.parametrize("type_code,big_endian", [(0x09, ">i1"), (0x0C, ">i4"), (0x0E, ">f8"), (0x0B, ">i2")])
def test_read_idx_signed_and_wide_types_by_the_format_table(tmp_path, type_code, big_endian):
    """The IDX format's type table (LeCun et al.): 0x09 signed byte, 0x0B/0x0C big-endian int16/int32, 0x0E float64 —
    negative values and big-endian bytes written by hand, independent of the reader's own table."""
    arr = np.array([[-128 if type_code == 0x09 else -70000 if type_code == 0x0C else -3, 0, 5],
                    [7, -1, 100]]).astype(big_endian)
    raw = struct.pack(">HBB", 0, type_code, 2) + struct.pack(">2I", 2, 3) + arr.tobytes()
    (tmp_path / "x.idx").write_bytes(raw)
    out = data.read_idx(tmp_path / "x.idx")
    assert out.shape == (2, 3) and np.array_equal(out, arr) and out.min() < 0


@pytest.mark.parametrize("part,n_labels", [("train", 31), ("t10k", 13), ("t10k", 11)])
def test_more_or_fewer_labels_than_images_are_refused(tmp_path, part, n_labels):
    """30 training / 12 test images: one label too many or too few in either part names both files."""
    fake_mnist(tmp_path)
    write_idx(tmp_path / f"{part}-labels-idx1-ubyte", np.zeros(n_labels, dtype=np.uint8))
    with pytest.raises(data.IDXError, match="do not match") as err:
        data.load_mnist(tmp_path)
    assert f"{part}-images-idx3-ubyte" in str(err.value) and f"{part}-labels-idx1-ubyte" in str(err.value)


@pytest.mark.parametrize("how", ["argument", "environment", "neither"])
def test_mnist_fallback_names_the_folder_it_looked_in_both_languages(tmp_path, capsys, monkeypatch, how):
    """The notice names the folder that was searched: the argument, else $METAOPT_MNIST_DIR, else says it is unset."""
    empty = tmp_path / "empty"
    empty.mkdir()
    monkeypatch.delenv(data.MNIST_ENV, raising=False)
    if how == "environment":
        monkeypatch.setenv(data.MNIST_ENV, str(empty))
    data.load_mnist(empty if how == "argument" else None)
    en, ru = capsys.readouterr().out.strip().splitlines()[-2:]
    where = f"${data.MNIST_ENV} (not set)" if how == "neither" else str(empty)
    assert en.startswith(f"MNIST IDX files not found in {where}: ")
    assert ru.startswith(f"Файлы MNIST (IDX) не найдены в {where}: ")


def test_mnist_subset_without_a_seed_is_the_seed_zero_subset(tmp_path):
    fake_mnist(tmp_path)
    default = data.load_mnist(tmp_path, n_train=10, n_test=5)
    zero, one = (data.load_mnist(tmp_path, n_train=10, n_test=5, seed=s) for s in (0, 1))
    assert torch.equal(default.X_train, zero.X_train) and torch.equal(default.y_test, zero.y_test)
    assert not torch.equal(one.X_train, zero.X_train)  # the subset does depend on the seed


def test_a_four_byte_header_declaring_three_dimensions_is_a_truncated_header(tmp_path):
    """A file holding exactly the 4 magic bytes of a valid IDX header (type 0x08, ndim = 3) is long enough for the
    magic number but not for the 3 sizes: the format's table says 4 + 4·3 = 16 header bytes are needed."""
    path = tmp_path / "four.idx"
    path.write_bytes(bytes([0, 0, 0x08, 3]))
    with pytest.raises(data.IDXError, match=r"truncated header \(4 bytes, 16 expected\)"):
        data.read_idx(path)
