"""Deep Compression (Han, Mao & Dally 2016): prune, share weights by per-layer k-means, retrain the centroids,
Huffman-code — with every stored bit counted.

Public functions
----------------
* ``kmeans_1d(values, k, iters=100)``           — Lloyd's algorithm in 1-D from a linear initialisation.
* ``huffman_code(counts)``                      — an optimal prefix code ``{symbol: "0101"}`` (Huffman 1952).
* ``huffman_encode(symbols, code)``, ``huffman_decode(bits, code)``, ``entropy_bits(counts)``.
* ``sparse_encode(mask, index_bits)``, ``sparse_decode(gaps, fillers, numel)`` — relative positions of the kept
  weights in ``index_bits`` bits each, with zero fillers when a gap does not fit (Han et al. 2016, Fig. 2).
* ``quantize_layer(w, mask, n_clusters)``, ``shared_weights(codebook, assignment, mask)``.
* ``retrain_centroids(params, masks, codebooks, assignments, X, y, ...)`` — gradient of a centroid = sum of the
  gradients of the weights that share it.
* ``layer_bits(mask, assignment, n_clusters, index_bits)`` — the bit count of one layer.
* ``CompressionReport`` (per-layer rows, totals, ``factor``, ``table(tr)``).
* ``deep_compression(params, X, y, n_classes, *, prune, n_clusters, ...) -> DeepCompressionResult``.

Bit accounting of a compressed weight matrix (32-bit floats otherwise; biases are stored raw, 32 bits each):
``Huffman(cluster indices and filler symbols) + Huffman(relative positions) + 32·k (codebook)
+ 8 bits per alphabet symbol for each of the two canonical Huffman tables (its code lengths)``.
"""

from __future__ import annotations

import heapq
import itertools
import math
from collections import Counter
from dataclasses import dataclass, field
from typing import Hashable, Iterable, Sequence

import torch

from metaopt_lib import validate as _v
from metaopt_lib.i18n import both

__all__ = ["kmeans_1d", "huffman_code", "huffman_encode", "huffman_decode", "entropy_bits", "sparse_encode",
           "sparse_decode", "quantize_layer", "shared_weights", "retrain_centroids", "layer_bits",
           "LayerBits", "CompressionReport", "DeepCompressionResult", "deep_compression"]

FLOAT_BITS = 32
TABLE_BITS_PER_SYMBOL = 8  # a canonical Huffman table is its list of code lengths, one byte per symbol


# --- k-means ----------------------------------------------------------------------------------------------------

def kmeans_1d(values: torch.Tensor, k: int, iters: int = 100) -> tuple[torch.Tensor, torch.Tensor]:
    """Lloyd's k-means of scalars: ``min Σ_i (v_i − c_{a_i})²`` over centroids c and assignments a.

    Linear initialisation ``c = linspace(min v, max v, k)`` — the one Han et al. (2016) found best, since it keeps
    the few large weights represented. Ties go to the lower centroid; an empty cluster keeps its centroid.
    Stops at a fixed point or after ``iters`` rounds. Returns ``(centroids [k], assignment [n])``.
    """
    _v.tensor("values", values)
    k = _v.integer("k", k, ge=1)
    iters = _v.integer("iters", iters, ge=0)
    v = values.detach().reshape(-1)
    if v.numel() == 0:
        raise ValueError(both("k-means needs at least one value", "k-means требует хотя бы одно значение"))
    c = torch.linspace(v.min().item(), v.max().item(), k, dtype=v.dtype)
    a = torch.zeros(v.numel(), dtype=torch.long)
    for it in range(iters):
        a_new = torch.argmin((v[:, None] - c[None, :]).abs(), dim=1)
        if it > 0 and torch.equal(a_new, a):
            break
        a = a_new
        sums = torch.zeros(k, dtype=v.dtype).index_add_(0, a, v)
        counts = torch.bincount(a, minlength=k)
        c = torch.where(counts > 0, sums / counts.clamp_min(1), c)
    return c, a


# --- Huffman coding ------------------------------------------------------------------------------------------------

def huffman_code(counts: dict[Hashable, float] | Sequence[float]) -> dict[Hashable, str]:
    """An optimal prefix code for the given symbol weights (Huffman 1952): repeatedly merge the two least
    frequent subtrees. The weights are counts or probabilities (any finite non-negative reals, used as given —
    never rounded). Deterministic (ties by insertion order). Symbols with weight 0 get no code; a single symbol
    gets the code ``"0"``. Its mean length ``L̄`` satisfies ``H ≤ L̄ < H + 1`` (H the entropy in bits)."""
    items = list(counts.items()) if isinstance(counts, dict) else list(enumerate(counts))
    values = _v.weights("counts", [c for _, c in items])
    items = [(s, c) for (s, _), c in zip(items, values) if c > 0]
    if len(items) == 1:
        return {items[0][0]: "0"}
    tie = itertools.count()
    heap = [(c, next(tie), [s]) for s, c in items]
    heapq.heapify(heap)
    code = {s: "" for s, _ in items}
    while len(heap) > 1:
        c1, _, s1 = heapq.heappop(heap)
        c2, _, s2 = heapq.heappop(heap)
        for s in s1:
            code[s] = "0" + code[s]
        for s in s2:
            code[s] = "1" + code[s]
        heapq.heappush(heap, (c1 + c2, next(tie), s1 + s2))
    return code


def huffman_encode(symbols: Iterable[Hashable], code: dict[Hashable, str]) -> str:
    """Concatenate the codewords of ``symbols`` (a bit string of '0'/'1')."""
    try:
        return "".join(code[s] for s in symbols)
    except KeyError as err:
        raise ValueError(both(f"symbol {err.args[0]!r} has no codeword", f"у символа {err.args[0]!r} нет кодового слова")) from None


def huffman_decode(bits: str, code: dict[Hashable, str]) -> list[Hashable]:
    """Invert ``huffman_encode`` (prefix code: read bits until they form a codeword)."""
    inverse = {v: k for k, v in code.items()}
    out, cur = [], ""
    for bit in bits:
        cur += bit
        if cur in inverse:
            out.append(inverse[cur])
            cur = ""
    if cur:
        raise ValueError(both("trailing bits do not form a codeword", "хвост битов не образует кодового слова"))
    return out


def entropy_bits(counts: Sequence[int] | dict[Hashable, int]) -> float:
    """Shannon entropy ``H = −Σ p_s log₂ p_s`` of the empirical distribution given by the counts (or by weights
    proportional to probabilities: finite, non-negative, not all zero)."""
    c = _v.weights("counts", list(counts.values()) if isinstance(counts, dict) else list(counts))
    total = sum(c)
    return -sum(x / total * math.log2(x / total) for x in c if x > 0)


# --- sparse positions ---------------------------------------------------------------------------------------------

def sparse_encode(mask: torch.Tensor, index_bits: int) -> tuple[list[int], list[bool]]:
    """Relative positions of the kept entries of a flattened mask, each stored in ``index_bits`` bits.

    An entry at position p after the previous stored one at p₀ (start p₀ = −1) is written as the gap
    ``p − p₀ − 1 ∈ [0, 2^b − 1]``; when the gap is larger, filler entries (explicit zeros, gap ``2^b − 1``) are
    inserted first (Han et al. 2016, §2, Fig. 2). Returns ``(gaps, is_filler)``.
    """
    index_bits = _v.integer("index_bits", index_bits, ge=1)
    span = 2 ** index_bits
    gaps, fillers, prev = [], [], -1
    for p in torch.nonzero(mask.reshape(-1)).reshape(-1).tolist():
        gap = p - prev - 1
        while gap >= span:
            gaps.append(span - 1)
            fillers.append(True)
            gap -= span
        gaps.append(gap)
        fillers.append(False)
        prev = p
    return gaps, fillers


def sparse_decode(gaps: Sequence[int], fillers: Sequence[bool], numel: int) -> torch.Tensor:
    """Invert ``sparse_encode``: the flat bool mask of length ``numel``."""
    mask = torch.zeros(numel, dtype=torch.bool)
    pos = -1
    for gap, filler in zip(gaps, fillers):
        pos += gap + 1
        if not filler:
            mask[pos] = True
    return mask


# --- weight sharing -----------------------------------------------------------------------------------------------

def quantize_layer(w: torch.Tensor, mask: torch.Tensor, n_clusters: int) -> tuple[torch.Tensor, torch.Tensor]:
    """k-means (``kmeans_1d``) of the kept weights ``w[mask]`` into ``n_clusters`` shared values.

    Returns ``(codebook [k], assignment [n_kept])`` (the cluster of every kept weight in flat order)."""
    kept = w.detach()[mask]
    if kept.numel() == 0:
        return torch.zeros(n_clusters, dtype=w.dtype), torch.zeros(0, dtype=torch.long)
    return kmeans_1d(kept, n_clusters)


def shared_weights(codebook: torch.Tensor, assignment: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """The dense weight matrix of a quantised layer: ``W[mask] = codebook[assignment]``, 0 elsewhere.
    Differentiable in the codebook."""
    flat_idx = torch.nonzero(mask.reshape(-1)).reshape(-1)
    w = torch.zeros(mask.numel(), dtype=codebook.dtype).index_put((flat_idx,), codebook[assignment])
    return w.reshape(mask.shape)


def retrain_centroids(params: dict[str, torch.Tensor], masks: dict[str, torch.Tensor],
                      codebooks: dict[str, torch.Tensor], assignments: dict[str, torch.Tensor],
                      X: torch.Tensor, y: torch.Tensor, *, epochs: int = 100, lr: float = 1e-3,
                      l2: float = 0.0) -> tuple[dict[str, torch.Tensor], dict[str, torch.Tensor]]:
    """Fine-tune the shared values: ``∂L/∂c_k = Σ_{(i,j): I_ij = k} ∂L/∂W_ij`` (Han et al. 2016, eq. 3), obtained by
    autograd through ``shared_weights``; the biases (stored raw) are fine-tuned too. Full-batch Adam.

    Returns ``(codebooks, params)`` — the new codebooks and the parameters with the shared weights filled in."""
    from metaopt_lib.training import Adam, mlp_loss

    cbs = {k: v.detach().clone().requires_grad_(True) for k, v in codebooks.items()}
    rest = {k: v.detach().clone().requires_grad_(True) for k, v in params.items() if k not in cbs}
    opt = Adam([*cbs.values(), *rest.values()], lr=lr)

    def current():
        return {**rest, **{k: shared_weights(cbs[k], assignments[k], masks[k]) for k in cbs}}

    for _ in range(epochs):
        opt.zero_grad()
        mlp_loss(current(), X, y, l2).backward()
        opt.step()
    with torch.no_grad():
        out = {k: v.detach() for k, v in current().items()}
    return {k: v.detach() for k, v in cbs.items()}, {k: out[k] for k in params}


# --- bit accounting --------------------------------------------------------------------------------------------------

@dataclass
class LayerBits:
    """Stored bits of one layer: the dense original and each part of the compressed form."""
    name: str
    numel: int
    kept: int
    original: int
    indices: int = 0           # Huffman-coded cluster indices (incl. filler symbols)
    positions: int = 0         # Huffman-coded relative positions
    codebook: int = 0          # 32 bits per shared value
    tables: int = 0            # the two canonical Huffman tables
    fixed_width: int = 0       # the same without Huffman coding: (log2 k + index_bits) per entry + codebook
    raw: bool = False          # stored uncompressed (biases)

    @property
    def compressed(self) -> int:
        return self.original if self.raw else self.indices + self.positions + self.codebook + self.tables


def layer_bits(name: str, mask: torch.Tensor, assignment: torch.Tensor, n_clusters: int,
               index_bits: int) -> LayerBits:
    """Count the bits of one pruned and quantised layer (see the module docstring for what is stored)."""
    gaps, fillers = sparse_encode(mask, index_bits)
    it = iter(assignment.tolist())
    symbols = [n_clusters if f else next(it) for f in fillers]  # symbol k = an explicit zero (filler)
    idx_counts = Counter(symbols)
    pos_counts = Counter(gaps)
    idx_bits = len(huffman_encode(symbols, huffman_code(dict(idx_counts)))) if symbols else 0
    pos_bits = len(huffman_encode(gaps, huffman_code(dict(pos_counts)))) if gaps else 0
    tables = TABLE_BITS_PER_SYMBOL * ((n_clusters + 1) + 2 ** index_bits) if symbols else 0
    codebook = FLOAT_BITS * n_clusters
    fixed = len(symbols) * (math.ceil(math.log2(n_clusters + 1)) + index_bits) + codebook
    return LayerBits(name, mask.numel(), int(mask.sum()), FLOAT_BITS * mask.numel(), idx_bits, pos_bits,
                     codebook, tables, fixed)


@dataclass
class CompressionReport:
    """Per-layer bit counts; ``factor = original / compressed`` over all parameters (biases included)."""
    layers: list[LayerBits] = field(default_factory=list)

    @property
    def original_bits(self) -> int:
        return sum(l.original for l in self.layers)

    @property
    def compressed_bits(self) -> int:
        return sum(l.compressed for l in self.layers)

    @property
    def factor(self) -> float:
        return self.original_bits / self.compressed_bits

    @property
    def factor_without_huffman(self) -> float:
        return self.original_bits / sum(l.original if l.raw else l.fixed_width for l in self.layers)

    def table(self, tr=lambda en, ru: en) -> str:
        """A plain-text table (one row per layer and a total), texts through ``tr(en, ru)``."""
        head = [tr("layer", "слой"), tr("weights", "веса"), tr("kept", "оставлено"),
                tr("before, bits", "до, бит"), tr("after, bits", "после, бит"), tr("factor", "сжатие")]
        rows = [[l.name, l.numel, l.kept, l.original, l.compressed, f"{l.original / l.compressed:.1f}×"]
                for l in self.layers]
        rows.append([tr("total", "итого"), sum(l.numel for l in self.layers), sum(l.kept for l in self.layers),
                     self.original_bits, self.compressed_bits, f"{self.factor:.1f}×"])
        widths = [max(len(str(r[i])) for r in [head, *rows]) for i in range(len(head))]
        lines = ["  ".join(str(c).rjust(w) for c, w in zip(r, widths)) for r in [head, *rows]]
        lines.insert(1, "-" * len(lines[0]))
        return "\n".join(lines)


@dataclass
class DeepCompressionResult:
    params: dict[str, torch.Tensor]
    masks: dict[str, torch.Tensor]
    codebooks: dict[str, torch.Tensor]
    assignments: dict[str, torch.Tensor]
    report: CompressionReport
    stages: dict[str, dict[str, torch.Tensor]]  # parameters after each stage: pruned, quantized, final


def deep_compression(params: dict[str, torch.Tensor], X: torch.Tensor, y: torch.Tensor, n_classes: int, *,
                     prune: dict[str, float] | float = 0.8, n_clusters: dict[str, int] | int = 16,
                     index_bits: int = 4, retrain_epochs: int = 300, centroid_epochs: int = 100,
                     lr: float = 1e-2, centroid_lr: float = 1e-3, l2: float = 1e-4) -> DeepCompressionResult:
    """The Deep Compression pipeline on an MLP (``metaopt_lib.training``) (Han, Mao & Dally 2016):

    1. prune each weight matrix by magnitude (``prune``: fraction removed, per layer or one for all) and retrain
       with the masks from the previous optimum (Han et al. 2015);
    2. cluster each layer's surviving weights by k-means (``n_clusters`` shared values, linear init);
    3. retrain the centroids (``retrain_centroids``);
    4. Huffman-code the cluster indices and the relative positions (``index_bits`` bits per gap before coding).

    Returns the compressed parameters, masks, codebooks, assignments, the bit report and the parameters after
    each stage. Biases are kept as 32-bit floats and counted. Deterministic: every stage is full-batch and starts
    from ``params`` (so there is no seed to set).
    """
    from metaopt_lib.pruning import layerwise_magnitude_masks
    from metaopt_lib.training import mlp_weight_names, train_mlp

    names = mlp_weight_names(params)
    prune_d = prune if isinstance(prune, dict) else {n: prune for n in names}
    k_d = n_clusters if isinstance(n_clusters, dict) else {n: n_clusters for n in names}
    if any(int(k) < 1 for k in k_d.values()):
        raise ValueError(both("n_clusters must be ≥ 1", "n_clusters должно быть ≥ 1"))
    masks = layerwise_magnitude_masks({n: params[n] for n in names}, prune_d)
    pruned = train_mlp(X, y, n_classes, epochs=retrain_epochs, lr=lr, l2=l2, masks=masks, init=params)
    codebooks, assignments = {}, {}
    for n in names:
        codebooks[n], assignments[n] = quantize_layer(pruned[n], masks[n], int(k_d[n]))
    quantized = {**pruned, **{n: shared_weights(codebooks[n], assignments[n], masks[n]) for n in names}}
    codebooks, final = retrain_centroids(quantized, masks, codebooks, assignments, X, y, epochs=centroid_epochs,
                                         lr=centroid_lr, l2=l2)
    report = CompressionReport()
    for key, value in params.items():
        if key in names:
            report.layers.append(layer_bits(key, masks[key], assignments[key], int(k_d[key]), index_bits))
        else:
            report.layers.append(LayerBits(key, value.numel(), value.numel(), FLOAT_BITS * value.numel(), raw=True))
    return DeepCompressionResult(final, masks, codebooks, assignments, report,
                                 {"pruned": pruned, "quantized": quantized, "final": final})
