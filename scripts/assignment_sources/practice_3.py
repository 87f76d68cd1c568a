# %% [markdown] gid="p3_title"
# # Practice 3. Optimal Brain Damage for logistic regression
# # Практика 3. Optimal Brain Damage для логистической регрессии
#
# **EN.** Optimal Brain Damage (LeCun, Denker & Solla, 1990) removes the weights whose deletion raises the loss least,
# as predicted by a second-order Taylor expansion at the minimum $\theta^*$:
# $$\delta L = L(\theta^* + \delta\theta) - L(\theta^*) \approx \underbrace{\nabla L^\top \delta\theta}_{=\,0}
# + \tfrac12\, \delta\theta^\top H\, \delta\theta .$$
# With $H$ taken **diagonal**, deleting weight $i$ ($\delta\theta_i = -\theta_i$, the others fixed) costs the
# *saliency* $s_i = \tfrac12 h_{ii} \theta_i^2$. (The criterion $\theta_q^2 / (2[H^{-1}]_{qq})$, which also appears in
# the course slides, is **Optimal Brain Surgeon**'s (Hassibi & Stork, 1993): there the other weights move to
# compensate, and the full inverse Hessian is needed; for a diagonal $H$ the two coincide.) For softmax regression
# the diagonal of the Hessian of the mean cross-entropy in $W$ is exact and cheap. You will compare OBD with
# magnitude pruning and random pruning on MNIST (sklearn's digits when MNIST is absent); the x-axis is the
# **percent of parameters removed** (weights $W$; biases are kept).
#
# Autograded (points in brackets): `hessian_diag` [3], `obd_saliency` [1], `obd_mask` [1], `obs_saliency` [2].
# Graded by hand: the experiment, its plot and your conclusions [3]. Your functions must not call the reference
# implementations in `metaopt_lib.pruning` (training helpers from `metaopt_lib.training` are allowed).
#
# **RU.** Optimal Brain Damage (LeCun, Denker & Solla, 1990) удаляет веса, удаление которых меньше всего увеличивает
# функцию потерь согласно разложению Тейлора второго порядка в точке минимума $\theta^*$ (формула выше: градиент в
# минимуме равен нулю, остаётся квадратичный член $\tfrac12 \delta\theta^\top H \delta\theta$). Если считать гессиан
# $H$ **диагональным**, удаление веса $i$ ($\delta\theta_i = -\theta_i$, остальные не меняются) стоит
# $s_i = \tfrac12 h_{ii}\theta_i^2$ — это *информативность (saliency)* параметра. (Критерий
# $\theta_q^2/(2[H^{-1}]_{qq})$, который тоже встречается в слайдах курса, — это критерий **Optimal Brain Surgeon**
# (Hassibi & Stork, 1993): там остальные веса сдвигаются, компенсируя удаление, и нужен обратный гессиан целиком;
# для диагонального $H$ оба критерия совпадают.) Для softmax-регрессии диагональ гессиана средней кросс-энтропии
# по $W$ вычисляется точно и дёшево. Вы сравните OBD с удалением по модулю и со случайным удалением на MNIST (если
# MNIST нет — на digits из sklearn); ось X — **процент удалённых параметров** (весов $W$; сдвиги не удаляются).
#
# Проверяется автоматически (баллы в скобках): `hessian_diag` [3], `obd_saliency` [1], `obd_mask` [1],
# `obs_saliency` [2]. Вручную: эксперимент, график и выводы [3]. Ваши функции не должны вызывать эталонные
# реализации из `metaopt_lib.pruning` (функции обучения из `metaopt_lib.training` использовать можно).

# %% nb="setup" gid="p3_setup"
# Setup (locked: do not edit) / Подготовка (ячейка заблокирована, не меняйте её)
import os

import matplotlib.pyplot as plt
import numpy as np
import torch

import metaopt_course.grading
from metaopt_course.grading import check_close, check_true, forbid, hidden_generator, probe, substitute
from metaopt_lib.data import load_mnist
from metaopt_lib.pruning import magnitude_mask, random_mask
from metaopt_lib.seeding import set_seed
from metaopt_lib.training import accuracy, logreg_loss, train_logreg

GRADING = bool(os.environ.get("NBGRADER_EXECUTION"))  # set while the instructor autogrades / при автопроверке
torch.set_num_threads(1)  # small matrices: one thread is faster / для малых матриц один поток быстрее
set_seed(0)
data = load_mnist(seed=0, n_train=5000, n_test=2000)  # digits 8×8 when MNIST is absent / digits, если нет MNIST
X_train, y_train = data.X_train.double(), data.y_train
X_test, y_test = data.X_test.double(), data.y_test
K = data.n_classes
print(f"{data.name}: train {tuple(X_train.shape)}, test {tuple(X_test.shape)}, {K} classes, "
      f"{K * X_train.shape[1]} weights")


# %% [markdown] gid="p3_hessian_md"
# ## 1. The exact diagonal of the Hessian / Точная диагональ гессиана
#
# **EN.** For $L(W, b) = \frac1n \sum_i -\log \operatorname{softmax}(W x_i + b)_{y_i}$ with
# $p_i = \operatorname{softmax}(W x_i + b)$, derive $\partial^2 L / \partial W_{kj}^2$ (hint: $\partial L_i/\partial
# W_{kj} = (p_{ik} - [y_i = k])\, x_{ij}$; differentiate once more) and implement `hessian_diag(W, b, X)` returning a
# tensor shaped like `W`. Vectorise it (no Python loop over weights), and do not build the full Hessian.
# Note that the result does not depend on the labels.
#
# **RU.** Для средней кросс-энтропии $L(W, b)$ (формула выше) выведите $\partial^2 L/\partial W_{kj}^2$ (подсказка:
# $\partial L_i/\partial W_{kj} = (p_{ik} - [y_i = k])\,x_{ij}$, продифференцируйте ещё раз) и реализуйте
# `hessian_diag(W, b, X)`, возвращающую тензор формы `W`. Без цикла Python по весам и без построения полного
# гессиана. Заметьте, что результат не зависит от меток.

# %% nb="answer" gid="p3_hessian_diag"
def hessian_diag(W, b, X):
    """Exact diagonal of the Hessian of the mean softmax cross-entropy w.r.t. W (shape like W)."""
    ### BEGIN SOLUTION
    probs = torch.softmax(X @ W.T + b, dim=1)           # [n, K]
    curvature = probs - probs ** 2                        # p_ik (1 - p_ik)
    return torch.einsum("nk,nj->kj", curvature, X * X) / X.shape[0]
    ### END SOLUTION


# %% nb="tests" gid="p3_test_hessian_diag" points=3
# Visible checks / Видимые проверки
_X = torch.tensor([[1.0, 2.0], [0.0, -1.0]], dtype=torch.float64)
_W, _b = torch.zeros(3, 2, dtype=torch.float64), torch.zeros(3, dtype=torch.float64)
# at W = 0 every p_ik = 1/3, so h_kj = (1/n) Σ_i (2/9) x_ij² / при W = 0 все p_ik = 1/3
check_close("p3_test_hessian_diag:at zero", hessian_diag(_W, _b, _X),
            [[(2 / 9) * 0.5, (2 / 9) * 2.5]] * 3, rtol=1e-9)
check_true("p3_test_hessian_diag:shape", tuple(hessian_diag(_W, _b, _X).shape) == (3, 2), "shaped like W / форма W")
### BEGIN HIDDEN TESTS
import metaopt_lib.pruning as _pruning
_g = hidden_generator("p3_hessian")
_X = torch.randn(30, 4, generator=_g, dtype=torch.float64)
_W = torch.randn(3, 4, generator=_g, dtype=torch.float64)
_b = torch.randn(3, generator=_g, dtype=torch.float64)
_Xb = torch.randn(500, 64, generator=_g, dtype=torch.float64)
_Wb, _bb = 0.3 * torch.randn(10, 64, generator=_g, dtype=torch.float64), 0.1 * torch.randn(10, generator=_g, dtype=torch.float64)
_forbidden = [getattr(_pruning, _n) for _n in ("logreg_hessian_diag", "hutchinson_hessian_diag", "gauss_newton_diag_mlp",
                                                "prune_logreg", "prune_curve") if hasattr(_pruning, _n)]
with forbid(*_forbidden):
    _small = hessian_diag(_W, _b, _X)
    _large = hessian_diag(_Wb, _bb, _Xb)
probe("p3_test_hessian_diag:small", _small, rtol=1e-7, atol=1e-12)
probe("p3_test_hessian_diag:larger", _large, rtol=1e-7, atol=1e-12)
### END HIDDEN TESTS

# %% [markdown] gid="p3_saliency_md"
# ## 2. Saliency and the OBD mask / Информативность и маска OBD
#
# **EN.** `obd_saliency(W, h)` returns $s = \tfrac12 h \odot W^2$ (elementwise). `obd_mask(W, b, X, fraction, l2=0.0)`
# returns a bool mask shaped like `W` (**True = kept**) that removes exactly `round(fraction * W.numel())` weights
# (Python's `round`; the tests avoid exact halves) of lowest saliency. The saliency uses the Hessian of the objective
# the model was trained on, $L(W, b) + \ell_2\lVert W\rVert^2$, whose diagonal is your `hessian_diag` at `(W, b)` on `X`
# **plus $2\ell_2$** — as in lecture 7. Ties (equal saliency): the smaller flat index is removed first. `fraction`
# outside $[0, 1]$ raises `ValueError`. (The hidden test of `obd_mask` runs it with correct `hessian_diag` and
# `obd_saliency`, so a mistake in those costs only their own cells.)
#
# **RU.** `obd_saliency(W, h)` возвращает $s = \tfrac12 h \odot W^2$ (поэлементно). `obd_mask(W, b, X, fraction,
# l2=0.0)` возвращает булеву маску формы `W` (**True = вес оставлен**), удаляющую ровно `round(fraction * W.numel())`
# весов (`round` из Python; в тестах нет точных половин) с наименьшей информативностью. Информативность считается по
# гессиану той функции, на которой обучалась модель, $L(W, b) + \ell_2\lVert W\rVert^2$: его диагональ — ваш
# `hessian_diag` в точке `(W, b)` на `X` **плюс $2\ell_2$**, как в лекции 7. При равенстве первым удаляется элемент с
# меньшим плоским индексом. При `fraction` вне $[0, 1]$ — `ValueError`. (Скрытый тест `obd_mask` запускает её с
# правильными `hessian_diag` и `obd_saliency`, так что ошибка в них стоит баллов только их собственных ячеек.)

# %% nb="answer" gid="p3_obd"
def obd_saliency(W, h):
    """OBD saliency s = h·W²/2 (LeCun et al. 1990)."""
    ### BEGIN SOLUTION
    return 0.5 * h * W * W
    ### END SOLUTION


def obd_mask(W, b, X, fraction, l2=0.0):
    """Bool mask (True = kept) removing the round(fraction·numel) weights of lowest OBD saliency, with the Hessian
    diagonal of the penalised objective (cross-entropy + l2·‖W‖²: h + 2·l2)."""
    ### BEGIN SOLUTION
    if not 0.0 <= float(fraction) <= 1.0:
        raise ValueError(f"fraction must lie in [0, 1], got {fraction} / доля должна лежать в [0, 1]")
    scores = obd_saliency(W, hessian_diag(W, b, X) + 2.0 * l2).flatten()
    n_cut = int(round(float(fraction) * W.numel()))
    cut = torch.argsort(scores, stable=True)[:n_cut]
    keep = torch.ones_like(scores, dtype=torch.bool)
    keep[cut] = False
    return keep.reshape(W.shape)
    ### END SOLUTION


# %% nb="tests" gid="p3_test_obd_saliency" points=1
# Visible check / Видимая проверка
check_close("p3_test_obd_saliency:example", obd_saliency(torch.tensor([1.0, -2.0]), torch.tensor([4.0, 0.5])),
            [2.0, 1.0], rtol=1e-7)
### BEGIN HIDDEN TESTS
import metaopt_lib.pruning as _pruning
_g = hidden_generator("p3_saliency")
_W, _h = torch.randn(5, 7, generator=_g, dtype=torch.float64), torch.rand(5, 7, generator=_g, dtype=torch.float64)
with forbid(_pruning.obd_saliency, _pruning.obs_saliency):
    _value = obd_saliency(_W, _h)
probe("p3_test_obd_saliency:random", _value, rtol=1e-9, atol=1e-14)
### END HIDDEN TESTS

# %% nb="tests" gid="p3_test_obd_mask" points=1
# Visible checks / Видимые проверки
_g = torch.Generator().manual_seed(3)
_X = torch.randn(20, 4, generator=_g, dtype=torch.float64)
_W, _b = torch.randn(3, 4, generator=_g, dtype=torch.float64), torch.zeros(3, dtype=torch.float64)
_mask = obd_mask(_W, _b, _X, 0.25)
check_true("p3_test_obd_mask:count", _mask.dtype == torch.bool and int((~_mask).sum()) == 3,
           "a bool mask removing round(0.25·12) = 3 weights / булева маска, удаляющая 3 веса")
# with YOUR hessian_diag and obd_saliency: the removed weights are those of lowest saliency of the penalised loss
_s = obd_saliency(_W, hessian_diag(_W, _b, _X) + 2 * 0.5)
check_true("p3_test_obd_mask:lowest saliency removed (l2 = 0.5)",
           bool(_s[~obd_mask(_W, _b, _X, 0.25, l2=0.5)].max() <= _s[obd_mask(_W, _b, _X, 0.25, l2=0.5)].min()),
           "removed saliencies ≤ kept ones / удалённые информативности ≤ оставленных")
### BEGIN HIDDEN TESTS
import metaopt_lib.pruning as _pruning


def _hessian(W, b, X):  # correct helpers: a mistake in yours costs only their cells
    _p = torch.softmax(X @ W.T + b, dim=1)
    return (_p * (1 - _p)).T @ (X * X) / X.shape[0]


def _saliency(W, h):
    return 0.5 * h * W * W


_g = hidden_generator("p3_mask")
_X = torch.randn(50, 6, generator=_g, dtype=torch.float64)
_W = torch.randn(4, 6, generator=_g, dtype=torch.float64)
_b = 0.1 * torch.randn(4, generator=_g, dtype=torch.float64)
_forbidden = [getattr(_pruning, _n) for _n in ("saliency_mask", "_lowest_mask", "magnitude_mask", "logreg_hessian_diag",
                                                "obd_saliency", "prune_logreg", "prune_curve") if hasattr(_pruning, _n)]
_masks = {}
with forbid(*_forbidden), substitute(globals(), hessian_diag=_hessian, obd_saliency=_saliency):
    # a grid of fractions × l2: with few cases, the Hessian without its 2·l2 term (or with l2) gave the same masks
    # for a third of the students (hidden inputs)
    for _f, _l2 in [(0.0, 0.0), (1.0, 0.01)] + [(_f, _l2) for _f in (0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9)
                                               for _l2 in (0.0, 0.02, 0.05, 0.1, 0.2, 0.5)]:
        _masks[(_f, _l2)] = obd_mask(_W, _b, _X, _f, l2=_l2).int()
    try:
        obd_mask(_W, _b, _X, -0.1)
        _raised = 0.0
    except ValueError:
        _raised = 1.0
for (_f, _l2), _mask in _masks.items():
    probe(f"p3_test_obd_mask:fraction {_f} l2 {_l2}", _mask, rtol=0, atol=0)
probe("p3_test_obd_mask:bad fraction raises", _raised, rtol=0, atol=0)
### END HIDDEN TESTS

# %% [markdown] gid="p3_obs_md"
# ## 3. Optimal Brain Surgeon's saliency / Информативность в Optimal Brain Surgeon
#
# **EN.** OBS removes weight $q$ by solving $\min_{\delta\theta} \tfrac12 \delta\theta^\top H \delta\theta$ subject
# to $e_q^\top \delta\theta + \theta_q = 0$ (all other weights may move). The minimum is
# $L_q = \theta_q^2 / (2 [H^{-1}]_{qq})$. Implement `obs_saliency(w, H)` for a flat weight vector `w` of length $u$ and a
# full symmetric positive definite Hessian `H` of shape $[u, u]$, returning the vector of $L_q$. (Solve with
# `torch.linalg`; for a diagonal `H` your result must equal `obd_saliency`.)
#
# **RU.** OBS удаляет вес $q$, решая задачу $\min_{\delta\theta} \tfrac12 \delta\theta^\top H \delta\theta$ при условии
# $e_q^\top\delta\theta + \theta_q = 0$ (остальные веса могут меняться). Минимум равен
# $L_q = \theta_q^2/(2[H^{-1}]_{qq})$. Реализуйте `obs_saliency(w, H)` для плоского вектора весов `w` длины $u$ и
# полного симметричного положительно определённого гессиана `H` формы $[u, u]$; верните вектор $L_q$. (Используйте
# `torch.linalg`; для диагональной `H` результат должен совпасть с `obd_saliency`.)

# %% nb="answer" gid="p3_obs_saliency"
def obs_saliency(w, H):
    """Optimal Brain Surgeon saliency θ_q² / (2 [H⁻¹]_qq) for every q (Hassibi & Stork 1993)."""
    ### BEGIN SOLUTION
    inv_diag = torch.diagonal(torch.linalg.inv(H))
    return w ** 2 / (2.0 * inv_diag)
    ### END SOLUTION


# %% nb="tests" gid="p3_test_obs_saliency" points=2
# Visible checks / Видимые проверки
_w = torch.tensor([1.0, -2.0, 0.5], dtype=torch.float64)
_H = torch.diag(torch.tensor([2.0, 1.0, 4.0], dtype=torch.float64))
# for a diagonal H, OBS is OBD: θ² h / 2 / для диагонального H OBS совпадает с OBD
check_close("p3_test_obs_saliency:diagonal H equals OBD", obs_saliency(_w, _H), [1.0, 2.0, 0.5], rtol=1e-9)
### BEGIN HIDDEN TESTS
import metaopt_lib.pruning as _pruning
_g = hidden_generator("p3_obs")
_A = torch.randn(6, 6, generator=_g, dtype=torch.float64)
_H = _A @ _A.T + 0.5 * torch.eye(6, dtype=torch.float64)
_w = torch.randn(6, generator=_g, dtype=torch.float64)
_forbidden = [getattr(_pruning, _n) for _n in ("obs_saliency", "obs_prune", "obs_prune_many", "obd_saliency")
              if hasattr(_pruning, _n)]
with forbid(*_forbidden):
    _value = obs_saliency(_w, _H)
probe("p3_test_obs_saliency:random SPD H", _value, rtol=1e-7, atol=1e-12)
### END HIDDEN TESTS

# %% [markdown] gid="p3_experiment_md"
# ## 4. Experiment: OBD versus magnitude and random pruning / Эксперимент: OBD против удаления по модулю и случайного
#
# **EN.** Train logistic regression on `X_train` with a small $L_2$ penalty (`train_logreg` from the library is
# allowed here). For each fraction of removed weights (e.g. 0, 10, …, 90, 95 %) prune by **OBD** (your `obd_mask`,
# Hessian on the training set), by **magnitude** (`magnitude_mask`) and **at random** (`random_mask`, a few seeds),
# without and with retraining (`train_logreg(..., mask=..., init=(W, b))`). Plot test accuracy against the **percent
# of parameters removed** (x-axis, 0–100 %), one line per method, with axis labels, a legend and a title. Optionally
# compare the saliency predicted by OBD with the actual increase of the training loss for a few single weights.
# Keep it fast; `GRADING` is true while the notebook is autograded — use fewer fractions then if you need to.
# The rubric is in the next section.
#
# **RU.** Обучите логистическую регрессию на `X_train` с небольшой $L_2$-регуляризацией (здесь можно пользоваться
# `train_logreg` из библиотеки). Для каждой доли удаляемых весов (например, 0, 10, …, 90, 95 %) удалите веса по
# **OBD** (ваша `obd_mask`, гессиан на обучающей выборке), **по модулю** (`magnitude_mask`) и **случайно**
# (`random_mask`, несколько seed), без дообучения и с дообучением (`train_logreg(..., mask=..., init=(W, b))`).
# Постройте точность на тесте против **процента удалённых параметров** (ось X, 0–100 %): по линии на метод, с
# подписями осей, легендой и заголовком. По желанию сравните предсказанное OBD увеличение потерь с фактическим для
# нескольких отдельных весов. Эксперимент должен идти быстро; `GRADING` истинно во время автопроверки — тогда
# можно взять меньше точек. Критерии оценивания — в следующем разделе.

# %% nb="answer" gid="p3_experiment"
### BEGIN SOLUTION
L2, EPOCHS, RETRAIN = 1e-3, 300, 60
fractions = [0.0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 0.95]
if GRADING:
    fractions = [0.0, 0.3, 0.6, 0.8, 0.9, 0.95]
W, b = train_logreg(X_train, y_train, K, l2=L2, epochs=EPOCHS, lr=1.0)
print(f"full model: test accuracy {accuracy(W, b, X_test, y_test):.3f}")

criteria = {
    "OBD": lambda f, seed: obd_mask(W, b, X_train, f, l2=L2),
    "magnitude / по модулю": lambda f, seed: magnitude_mask(W, f),
    "random / случайно": lambda f, seed: random_mask(W, f, torch.Generator().manual_seed(seed)),
}


def pruned_accuracy(make_mask, frac, retrain, seed=0):
    """Test accuracy after removing `frac` of W with `make_mask`, optionally retrained with the mask fixed."""
    mask = make_mask(frac, seed)
    Wp, bp = W * mask, b
    if retrain:
        Wp, bp = train_logreg(X_train, y_train, K, l2=L2, epochs=RETRAIN, lr=1.0, mask=mask, init=(W, b))
    return accuracy(Wp, bp, X_test, y_test)


results = {}
for name, make_mask in criteria.items():
    seeds = (0, 1, 2) if name.startswith("random") else (0,)
    for retrain in (False, True):
        label = name + (" + retrain / дообучение" if retrain else "")
        results[label] = np.array([np.mean([pruned_accuracy(make_mask, f, retrain, s) for s in seeds])
                                   for f in fractions])

# OBD's prediction against the real loss increase for single weights / предсказание OBD и реальный рост потерь
h = hessian_diag(W, b, X_train) + 2 * L2  # the trained loss includes L2·ΣW², whose Hessian adds 2·L2
predicted = obd_saliency(W, h).flatten()
base_loss = float(logreg_loss(W, b, X_train, y_train, l2=L2))
picks = torch.argsort(predicted)[torch.linspace(0, W.numel() - 1, 8).long()]
actual = []
for q in picks.tolist():
    Wq = W.clone().flatten()
    Wq[q] = 0.0
    actual.append(float(logreg_loss(Wq.reshape(W.shape), b, X_train, y_train, l2=L2)) - base_loss)

percent = 100 * np.array(fractions)
colors = {"OBD": "tab:red", "magnitude / по модулю": "tab:blue", "random / случайно": "tab:gray"}
fig, (ax, ax2) = plt.subplots(1, 2, figsize=(12, 4.5), gridspec_kw={"width_ratios": [2, 1]})
for label, accs in results.items():
    base = label.split(" + ")[0]
    ax.plot(percent, accs, marker="o", ms=4, color=colors[base], ls="-" if "retrain" in label else "--", label=label)
ax.set_xlabel("parameters removed, % / удалено параметров, %")
ax.set_ylabel("test accuracy / точность на тесте")
ax.set_title(f"OBD vs magnitude vs random pruning ({data.name})\nOBD, по модулю и случайное удаление")
ax.set_xlim(0, 100)
ax.grid(alpha=0.3)
ax.legend(fontsize=8)
ax2.loglog(predicted[picks].numpy() + 1e-12, np.array(actual) + 1e-12, "o", color="tab:red")
lim = [1e-9, max(actual + predicted[picks].tolist()) * 2]
ax2.plot(lim, lim, "k:", lw=1)
ax2.set_xlabel("OBD saliency h·w²/2 / информативность OBD")
ax2.set_ylabel("actual loss increase / реальный рост потерь")
ax2.set_title("single weights removed\nудаление по одному весу")
plt.tight_layout()
plt.show()
### END SOLUTION

# %% [markdown] gid="p3_conclusions_md"
# ## 5. Conclusions / Выводы
#
# **EN.** In a few sentences: does OBD beat magnitude pruning, and where; how close is the saliency $h_{ii}\theta_i^2/2$
# to the real increase of the loss, and when does the quadratic model break down (think of removing many weights at
# once, and of the off-diagonal Hessian terms OBD ignores); what retraining changes.
#
# *Rubric (3 points, graded by hand, for the experiment above and this answer):* 1 — all the required curves
# (OBD, magnitude, random × with/without retraining) and the x-axis is the percent of parameters removed;
# 1 — tidy code (functions, no copy-paste, fixed seeds, runs in seconds) and a readable plot (axis labels, legend,
# title, distinguishable lines); 1 — correct conclusions supported by the plot.
#
# **RU.** В нескольких предложениях: выигрывает ли OBD у удаления по модулю и где; насколько информативность
# $h_{ii}\theta_i^2/2$ близка к реальному росту функции потерь и когда квадратичная модель перестаёт работать
# (подумайте об одновременном удалении многих весов и о недиагональных элементах гессиана, которые OBD
# игнорирует); что меняет дообучение.
#
# *Критерии оценивания (3 балла, вручную, за эксперимент выше и этот ответ):* 1 — все нужные кривые (OBD, по
# модулю, случайно × с дообучением/без) и ось X — процент удалённых параметров; 1 — аккуратный код (функции, без
# копипасты, фиксированные seed, работает за секунды) и наглядный график (подписи осей, легенда, заголовок,
# различимые линии); 1 — верные выводы, подтверждённые графиком.

# %% [markdown] nb="manual" gid="p3_conclusions" points=3
# OBD and magnitude pruning are close up to about 80 % removed and both far better than random removal. OBD weighs
# $\theta_i^2$ by the curvature $h_{ii}$: a large weight on a rarely active pixel (small $\sum_i x_{ij}^2$) is cheap to
# remove, a small weight on a busy pixel is not, which helps without retraining at the highest sparsity. After
# retraining the ranking matters less (the remaining weights adapt), and magnitude can even come out ahead: OBD's
# criterion is derived for one removal with all other weights frozen, not for removal followed by retraining. For
# single weights the saliency (with the $L_2$ term's $2\lambda_2$ added to $h_{ii}$, since the trained loss includes it)
# matches the real increase of the loss closely — the points lie on the diagonal. Removing many weights at once adds
# the ignored off-diagonal terms $\sum_{i\ne j} h_{ij}\delta\theta_i\delta\theta_j$ and higher orders, so the
# prediction degrades as the fraction grows; retraining with the mask fixed repairs most of the damage.
#
# OBD и удаление по модулю близки примерно до 80 % удалённых весов и оба намного лучше случайного удаления. OBD
# взвешивает $\theta_i^2$ кривизной $h_{ii}$: большой вес у редко активного пикселя (малое $\sum_i x_{ij}^2$) удалять
# дёшево, а малый вес у часто активного — нет; без дообучения это помогает при самом сильном прореживании. После
# дообучения порядок удаления важен меньше (оставшиеся веса подстраиваются), и удаление по модулю может даже
# оказаться лучше: критерий OBD выведен для одного удаления при замороженных остальных весах, а не для удаления с
# последующим дообучением. Для отдельных весов информативность (с добавкой $2\lambda_2$ к $h_{ii}$ от
# $L_2$-регуляризации, входящей в обучаемую функцию потерь) хорошо совпадает с реальным ростом потерь — точки лежат
# на диагонали. При одновременном удалении многих весов добавляются отброшенные недиагональные члены
# $\sum_{i\ne j} h_{ij}\delta\theta_i\delta\theta_j$ и члены высших порядков, поэтому предсказание ухудшается с
# ростом доли удалённых; дообучение с фиксированной маской исправляет большую часть ущерба.

# %% nb="setup" gid="p3_selfcheck"
# Self-check: the visible tests again, one line each / Самопроверка: видимые тесты, по строке на каждый
from metaopt_course.selfcheck import run_checks

run_checks("practice_3")  # quiet while graded; under Validate it lists unanswered written answers

# %% [markdown] gid="p3_references"
# ### References / Литература
# * Y. LeCun, J. S. Denker, S. A. Solla. Optimal brain damage. NeurIPS 1990.
# * B. Hassibi, D. G. Stork. Second order derivatives for network pruning: Optimal Brain Surgeon. NeurIPS 1993.
# * S. Han, J. Pool, J. Tran, W. J. Dally. Learning both weights and connections for efficient neural networks. NeurIPS 2015.
