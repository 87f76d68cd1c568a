"""metaopt_lib.compression against ground truth: sklearn's k-means, exhaustive prefix-code search, entropy bounds,
lossless round trips, a hand count of the bits."""

import itertools
import math
from collections import Counter

import pytest
import torch

from metaopt_lib import compression as C
from metaopt_lib import training as T


def test_kmeans_matches_sklearn_from_the_same_start():
    from sklearn.cluster import KMeans

    v = torch.cat([torch.randn(200, generator=torch.Generator().manual_seed(0), dtype=torch.float64) * 0.1 + m
                   for m in (-1.0, 0.2, 1.5)])
    c, a = C.kmeans_1d(v, 4)
    init = torch.linspace(v.min().item(), v.max().item(), 4, dtype=torch.float64)
    km = KMeans(4, init=init.numpy()[:, None], n_init=1, max_iter=300, tol=0, algorithm="lloyd").fit(v.numpy()[:, None])
    assert torch.allclose(torch.sort(c).values, torch.sort(torch.tensor(km.cluster_centers_[:, 0])).values, atol=1e-9)
    # a fixed point: every value sits with its nearest centroid, and each centroid is its cluster's mean
    assert torch.equal(a, torch.argmin((v[:, None] - c[None]).abs(), 1))
    for k in range(4):
        if (a == k).any():
            assert torch.isclose(c[k], v[a == k].mean())


def _all_prefix_code_lengths(n, max_len):
    """Every length vector of a complete prefix code over n symbols (Kraft sum = 1), brute force."""
    for lengths in itertools.product(range(1, max_len + 1), repeat=n):
        if abs(sum(2.0 ** -l for l in lengths) - 1) < 1e-12:
            yield lengths


@pytest.mark.parametrize("counts", [[5, 1, 1, 1], [10, 7, 3, 2, 1], [1, 1, 1, 1, 1], [40, 1, 1, 1, 1]])
def test_huffman_is_optimal_prefix_free_and_within_one_bit_of_entropy(counts):
    code = C.huffman_code(counts)
    words = list(code.values())
    assert not any(a != b and b.startswith(a) for a in words for b in words)  # prefix-free
    total = sum(counts)
    mean_len = sum(c * len(code[s]) for s, c in enumerate(counts)) / total
    H = C.entropy_bits(counts)
    assert H - 1e-12 <= mean_len < H + 1
    best = min(sum(c * l for c, l in zip(counts, lengths)) for lengths in _all_prefix_code_lengths(len(counts), 5))
    assert sum(c * len(code[s]) for s, c in enumerate(counts)) == best


def test_huffman_round_trip_is_lossless():
    g = torch.Generator().manual_seed(0)
    symbols = torch.multinomial(torch.tensor([0.5, 0.2, 0.15, 0.1, 0.05]), 3000, True, generator=g).tolist()
    code = C.huffman_code(dict(Counter(symbols)))
    bits = C.huffman_encode(symbols, code)
    assert C.huffman_decode(bits, code) == symbols
    assert len(bits) < 3000 * 3  # shorter than fixed 3-bit codes for five symbols
    assert C.huffman_code({"a": 4}) == {"a": "0"}
    with pytest.raises(ValueError, match="non-negative"):
        C.huffman_code([3, -1, 2])
    with pytest.raises(ValueError):
        C.huffman_decode("0101", {0: "0", 1: "10"})  # "0", "10", then a dangling "1"


@pytest.mark.parametrize("index_bits", [1, 2, 3, 5])
def test_sparse_positions_round_trip_with_fillers(index_bits):
    g = torch.Generator().manual_seed(index_bits)
    mask = torch.rand(300, generator=g) > 0.93
    gaps, fillers = C.sparse_encode(mask, index_bits)
    assert all(0 <= x < 2 ** index_bits for x in gaps)
    assert sum(not f for f in fillers) == mask.sum()
    assert torch.equal(C.sparse_decode(gaps, fillers, 300), mask)
    # hand example (Han et al. 2016, Fig. 2 style): positions 1 and 12 with 3 bits: gaps 1, then a filler of 8
    gaps, fillers = C.sparse_encode(torch.tensor([i in (1, 12) for i in range(16)]), 3)
    assert gaps == [1, 7, 2] and fillers == [False, True, False]


def test_shared_weights_and_centroid_gradient_is_the_sum_over_the_cluster():
    mask = torch.tensor([[True, False, True], [True, True, False]])
    codebook = torch.tensor([0.5, -1.0], requires_grad=True)
    assign = torch.tensor([0, 1, 1, 0])
    W = C.shared_weights(codebook, assign, mask)
    assert W.tolist() == [[0.5, 0.0, -1.0], [-1.0, 0.5, 0.0]]
    G = torch.arange(6.0).reshape(2, 3)
    (W * G).sum().backward()  # dL/dW = G
    assert codebook.grad.tolist() == [0.0 + 4.0, 2.0 + 3.0]


def test_layer_bits_hand_count():
    mask = torch.tensor([True, True, False, False, True, False, False, False, False, False, False, True])
    assign = torch.tensor([0, 0, 1, 0])
    lb = C.layer_bits("W", mask, assign, n_clusters=2, index_bits=2)
    gaps, fillers = C.sparse_encode(mask, 2)  # gaps: 0, 0, 2, filler 3, 2
    assert gaps == [0, 0, 2, 3, 2] and fillers == [False, False, False, True, False]
    # index symbols 0,0,1,F(=2),0: counts {0:3, 1:1, 2:1} -> lengths 1,2,2 -> 3 + 2 + 2 = 7 bits
    assert lb.indices == 7
    # gap symbols {0:2, 2:2, 3:1} -> lengths (2, 1, 2) or (1, 2, 2): 8 bits either way
    assert lb.positions == 8
    assert lb.codebook == 64 and lb.tables == 8 * (3 + 4) and lb.original == 32 * 12
    assert lb.compressed == 7 + 8 + 64 + 56
    assert lb.fixed_width == 5 * (2 + 2) + 64


def test_deep_compression_pipeline_small():
    g = torch.Generator().manual_seed(0)
    X = torch.rand(300, 8, generator=g)
    y = (X[:, :3].sum(1) > 1.5).long() + (X[:, 3] > 0.5).long()
    params = T.train_mlp(X, y, 3, hidden=(16,), epochs=150, lr=0.02)
    res = C.deep_compression(params, X, y, 3, prune={"W1": 0.75, "W2": 0.5}, n_clusters=4, retrain_epochs=60,
                             centroid_epochs=30)
    for n, m in res.masks.items():
        assert (~m).sum() == round({"W1": 0.75, "W2": 0.5}[n] * m.numel())
        w = res.params[n]
        assert (w[~m] == 0).all()
        assert set(w[m].tolist()) <= set(res.codebooks[n].tolist())  # weights take only shared values
    rep = res.report
    assert rep.original_bits == 32 * sum(v.numel() for v in params.values())
    assert rep.compressed_bits == sum(l.compressed for l in rep.layers)
    assert rep.factor == pytest.approx(rep.original_bits / rep.compressed_bits)
    assert rep.factor > 1
    assert "total" in rep.table() and "итого" in rep.table(lambda en, ru: ru)
    assert T.mlp_accuracy(res.params, X, y) > 0.6


def test_factor_without_huffman_by_hand():
    """original / Σ_layers (raw ? original : fixed_width): bits summed by hand over two coded layers and a raw one."""
    rep = C.CompressionReport([
        C.LayerBits("W1", 100, 40, 3200, indices=90, positions=60, codebook=128, tables=40, fixed_width=300),
        C.LayerBits("W2", 50, 10, 1600, indices=20, positions=15, codebook=64, tables=30, fixed_width=130),
        C.LayerBits("b1", 10, 10, 320, raw=True),
    ])
    assert rep.original_bits == 5120
    assert rep.compressed_bits == (90 + 60 + 128 + 40) + (20 + 15 + 64 + 30) + 320
    assert rep.factor_without_huffman == pytest.approx(5120 / (300 + 130 + 320), rel=1e-15)
    assert rep.factor == pytest.approx(5120 / 767, rel=1e-15)


def test_layer_bits_default_parts_are_zero_bits():
    """A coded layer whose positions (or any other part) are not given stores 0 bits for it: compressed = the sum
    of the parts that are given; a raw layer stores its original bits."""
    assert C.LayerBits("W", 10, 10, 320, indices=30, codebook=64, tables=20).compressed == 114
    assert C.LayerBits("W", 10, 10, 320, positions=7).compressed == 7
    assert C.LayerBits("b", 4, 4, 128, raw=True).compressed == 128


def test_retrain_centroids_has_no_weight_decay_by_default():
    """Without ``l2``: the same codebooks and parameters as an explicit ``l2=0.0`` call (a penalty of any other
    sign or size moves them)."""
    g = torch.Generator().manual_seed(1)
    X = torch.rand(40, 5, generator=g)
    y = (X[:, 0] > 0.5).long()
    params = T.init_mlp((5, 6, 2), seed=3)
    masks = {n: params[n].abs() > 0.1 for n in ("W1", "W2")}
    books, assign = {}, {}
    for n in masks:
        books[n], assign[n] = C.quantize_layer(params[n], masks[n], 3)
    default = C.retrain_centroids(params, masks, books, assign, X, y, epochs=5, lr=1e-2)
    explicit = C.retrain_centroids(params, masks, books, assign, X, y, epochs=5, lr=1e-2, l2=0.0)
    decayed = C.retrain_centroids(params, masks, books, assign, X, y, epochs=5, lr=1e-2, l2=0.1)
    for a, b in zip(default, explicit):
        assert all(torch.equal(a[k], b[k]) for k in b)
    assert not torch.equal(default[0]["W1"], decayed[0]["W1"])


def test_a_fully_pruned_layer_stores_no_index_position_or_table_bits():
    """An all-False mask keeps nothing: no symbols, no gaps, so 0 index bits, 0 position bits and 0 table bits
    (only the codebook's 32 bits per shared value remain)."""
    mask = torch.zeros(4, 4, dtype=torch.bool)
    lb = C.layer_bits("w", mask, torch.zeros(0, dtype=torch.long), 2, 3)
    assert (lb.indices, lb.positions, lb.tables) == (0, 0, 0)
    assert lb.codebook == 32 * 2
