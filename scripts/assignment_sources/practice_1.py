# %% [markdown] gid="p1_title"
# # Practice 1. Magnitude pruning of logistic regression with L1 and L2 regularisation
# # Практика 1. Удаление параметров логистической регрессии по модулю с L1- и L2-регуляризацией
#
# **EN.** Multinomial logistic regression on MNIST (sklearn's 8×8 digits when the MNIST files are absent) has
# $K \times d$ weights $W$ and $K$ biases $b$. You will train it with an $L_1$ or an $L_2$ penalty, remove the
# weights of smallest $|W_{kj}|$ (Han et al., 2015) with and without retraining after pruning, and compare with
# removing weights at random. The x-axis of every plot is the **percent of parameters removed** (of the weights $W$;
# biases are never pruned).
#
# What you implement (autograded, points in brackets): `penalized_loss` [1], `prox_step` [2], `magnitude_mask` [2],
# `fit` [2]. What the instructor grades by hand: the experiment, its plot and your conclusions [3] — neatness of
# the code and clarity of the example. Run the visible test cells to check yourself; hidden tests compare your
# functions with the course's reference on other inputs, and your functions must not call the reference
# implementations in `metaopt_lib.training` / `metaopt_lib.pruning` (helpers such as `lipschitz_logreg`,
# `accuracy` and `random_mask` are allowed).
#
# **RU.** Мультиномиальная логистическая регрессия на MNIST (если файлов MNIST нет — на встроенных в sklearn
# цифрах 8×8) имеет $K \times d$ весов $W$ и $K$ сдвигов $b$. Вы обучите её с $L_1$- или $L_2$-регуляризацией,
# удалите веса с наименьшим $|W_{kj}|$ (Han et al., 2015) с дообучением после прунинга и без него и сравните со
# случайным удалением параметров. Ось X каждого графика — **процент удалённых параметров** (весов $W$; сдвиги не
# удаляются).
#
# Что вы реализуете (проверяется автоматически, баллы в скобках): `penalized_loss` [1], `prox_step` [2],
# `magnitude_mask` [2], `fit` [2]. Что преподаватель оценивает вручную: эксперимент, график и выводы [3] —
# аккуратность кода ноутбука и наглядность примера. Запускайте видимые ячейки с тестами для самопроверки; скрытые
# тесты сравнивают ваши функции с эталоном курса на других входах, и ваши функции не должны вызывать эталонные
# реализации из `metaopt_lib.training` / `metaopt_lib.pruning` (вспомогательные `lipschitz_logreg`, `accuracy` и
# `random_mask` использовать можно).

# %% nb="setup" gid="p1_setup"
# Setup (locked: do not edit) / Подготовка (ячейка заблокирована, не меняйте её)
import os

import matplotlib.pyplot as plt
import numpy as np
import torch

import metaopt_course.grading
from metaopt_course.grading import check_close, check_true, forbid, hidden_generator, probe, substitute
from metaopt_lib.data import load_mnist
from metaopt_lib.pruning import random_mask
from metaopt_lib.seeding import set_seed
from metaopt_lib.training import accuracy, lipschitz_logreg

GRADING = bool(os.environ.get("NBGRADER_EXECUTION"))  # set while the instructor autogrades / при автопроверке
torch.set_num_threads(1)  # small matrices: one thread is faster / для малых матриц один поток быстрее
set_seed(0)
data = load_mnist(seed=0, n_train=5000, n_test=2000)  # digits 8×8 when MNIST is absent / digits, если нет MNIST
X_train, y_train = data.X_train.double(), data.y_train
X_test, y_test = data.X_test.double(), data.y_test
K = data.n_classes
print(f"{data.name}: train {tuple(X_train.shape)}, test {tuple(X_test.shape)}, {K} classes, "
      f"{K * X_train.shape[1]} weights")


# %% [markdown] gid="p1_loss_md"
# ## 1. The regularised loss / Регуляризованная функция потерь
#
# **EN.** Implement
# $$L(W, b) = \frac{1}{n}\sum_{i=1}^n -\log \operatorname{softmax}(W x_i + b)_{y_i} + \lambda_1 \sum_{k,j} |W_{kj}|
# + \lambda_2 \sum_{k,j} W_{kj}^2 .$$
# `W` has shape `[K, d]`, `b` — `[K]`, `X` — `[n, d]`, `y` — `[n]` (integer labels). The biases are not penalised.
# Return a scalar tensor that autograd can differentiate.
#
# **RU.** Реализуйте функцию потерь выше (средняя кросс-энтропия плюс $L_1$- и $L_2$-штрафы на веса; сдвиги не
# штрафуются). Формы: `W` — `[K, d]`, `b` — `[K]`, `X` — `[n, d]`, `y` — `[n]` (целые метки). Верните скалярный
# тензор, по которому можно дифференцировать.

# %% nb="answer" gid="p1_penalized_loss"
def penalized_loss(W, b, X, y, l1=0.0, l2=0.0):
    """Mean cross-entropy of softmax regression + l1·Σ|W| + l2·ΣW² (a scalar tensor)."""
    ### BEGIN SOLUTION
    scores = X @ W.T + b
    log_probs = scores - torch.logsumexp(scores, dim=1, keepdim=True)
    nll = -log_probs.gather(1, y.view(-1, 1)).mean()
    return nll + l1 * torch.sum(torch.abs(W)) + l2 * torch.sum(W * W)
    ### END SOLUTION


# %% nb="tests" gid="p1_test_penalized_loss" points=1
# Visible check: with W = 0, b = 0 every class has probability 1/K / при W = 0, b = 0 все классы равновероятны
_W0, _b0 = torch.zeros(3, 4, dtype=torch.float64), torch.zeros(3, dtype=torch.float64)
_X0, _y0 = torch.ones(5, 4, dtype=torch.float64), torch.tensor([0, 1, 2, 0, 1])
check_close("p1_test_penalized_loss:uniform", penalized_loss(_W0, _b0, _X0, _y0), np.log(3.0), rtol=1e-9)
_W1 = torch.full((3, 4), 0.5, dtype=torch.float64)
check_close("p1_test_penalized_loss:penalties",
            penalized_loss(_W1, _b0, _X0, _y0, l1=0.1, l2=0.2) - penalized_loss(_W1, _b0, _X0, _y0),
            0.1 * 6.0 + 0.2 * 3.0, rtol=1e-9)
### BEGIN HIDDEN TESTS
import metaopt_lib.training as _training
_g = hidden_generator("p1_loss")
_X = torch.randn(40, 7, generator=_g, dtype=torch.float64)
_y = torch.randint(0, 4, (40,), generator=_g)
_W = torch.randn(4, 7, generator=_g, dtype=torch.float64)
_b = torch.randn(4, generator=_g, dtype=torch.float64)
_values = {}
with forbid(_training.logreg_loss):
    for _l1, _l2 in [(0.0, 0.0), (0.03, 0.0), (0.0, 0.05), (0.02, 0.07)]:
        _values[(_l1, _l2)] = penalized_loss(_W, _b, _X, _y, l1=_l1, l2=_l2)
    _Wg = _W.clone().requires_grad_(True)
    _grad = torch.autograd.grad(penalized_loss(_Wg, _b, _X, _y, l2=0.05), _Wg)[0]
for (_l1, _l2), _value in _values.items():
    probe(f"p1_test_penalized_loss:random l1={_l1} l2={_l2}", _value, rtol=1e-7, atol=1e-10)
probe("p1_test_penalized_loss:gradient", _grad, rtol=1e-7, atol=1e-10)
### END HIDDEN TESTS

# %% [markdown] gid="p1_prox_md"
# ## 2. One proximal gradient step / Один шаг проксимального градиентного спуска
#
# **EN.** $\lambda_1\sum|W_{kj}|$ is not differentiable at 0, so we split the loss into the smooth part
# $f(W, b) = \text{CE} + \lambda_2\sum W_{kj}^2$ and the $L_1$ part, and take a gradient step on $f$ followed by the
# proximal step of the $L_1$ term, *soft thresholding* (ISTA):
# $$W' = \operatorname{sign}(V)\max(|V| - \eta\lambda_1, 0),\quad V = W - \eta \nabla_W f(W, b), \qquad
# b' = b - \eta \nabla_b f(W, b).$$
# Soft thresholding produces exact zeros, which is why $L_1$ gives sparse weights. If `mask` (a bool tensor shaped
# like `W`, **True = kept**) is given, set the removed weights of $W'$ to zero after the step. Return `(W', b')`
# as tensors that do not require gradients. You may use `penalized_loss` and `torch.autograd.grad` (the hidden test
# gives `prox_step` a correct `penalized_loss`, so a mistake there costs only its own cell).
#
# **RU.** $\lambda_1\sum|W_{kj}|$ не дифференцируема в нуле, поэтому функцию потерь делят на гладкую часть $f$
# (кросс-энтропия плюс $L_2$-штраф) и $L_1$-часть: шаг градиентного спуска по $f$, затем проксимальный шаг для
# $L_1$ — *мягкий порог* (ISTA), формулы выше. Мягкий порог даёт точные нули, поэтому $L_1$ делает веса разреженными.
# Если задана маска `mask` (булев тензор формы `W`, **True = вес оставлен**), после шага обнулите удалённые веса
# $W'$. Верните `(W', b')` — тензоры, не требующие градиентов. Можно пользоваться `penalized_loss` и
# `torch.autograd.grad` (скрытый тест даёт `prox_step` правильную `penalized_loss`, так что ошибка в ней стоит баллов
# только её собственной ячейки).

# %% nb="answer" gid="p1_prox_step"
def prox_step(W, b, X, y, step, l1=0.0, l2=0.0, mask=None):
    """One ISTA step of size `step` on penalized_loss; removed weights (mask False) stay exactly zero."""
    ### BEGIN SOLUTION
    Wv = W.detach().clone().requires_grad_(True)
    bv = b.detach().clone().requires_grad_(True)
    grad_W, grad_b = torch.autograd.grad(penalized_loss(Wv, bv, X, y, l1=0.0, l2=l2), (Wv, bv))
    V = W.detach() - step * grad_W
    W_next = torch.sign(V) * torch.clamp(torch.abs(V) - step * l1, min=0.0)
    if mask is not None:
        W_next = torch.where(mask, W_next, torch.zeros_like(W_next))
    return W_next, b.detach() - step * grad_b
    ### END SOLUTION


# %% nb="tests" gid="p1_test_prox_step" points=2
# Visible checks / Видимые проверки
_g = torch.Generator().manual_seed(1)
_X, _y = torch.randn(30, 5, generator=_g, dtype=torch.float64), torch.randint(0, 3, (30,), generator=_g)
_W, _b = torch.randn(3, 5, generator=_g, dtype=torch.float64), torch.zeros(3, dtype=torch.float64)
_W1, _b1 = prox_step(_W, _b, _X, _y, step=0.0)
check_close("p1_test_prox_step:zero step keeps W", _W1, _W, rtol=0, atol=1e-12)
_W2, _ = prox_step(_W, _b, _X, _y, step=0.5, l1=10.0)
check_true("p1_test_prox_step:a large l1 zeroes every weight", bool((_W2 == 0).all()), "all W' == 0 / все W' == 0")
_m = torch.rand(3, 5, generator=_g) > 0.5
_W3, _ = prox_step(_W * _m, _b, _X, _y, step=0.1, l2=0.01, mask=_m)
check_true("p1_test_prox_step:mask", bool((_W3[~_m] == 0).all()), "removed weights are zero / удалённые веса равны 0")
### BEGIN HIDDEN TESTS
import metaopt_lib.training as _training
import metaopt_lib.pruning as _pruning


def _loss(W, b, X, y, l1=0.0, l2=0.0):  # a correct loss: a mistake in yours costs only its cell
    return (torch.nn.functional.cross_entropy(X @ W.T + b, y) + l1 * W.abs().sum() + l2 * (W * W).sum())


_g = hidden_generator("p1_prox")
_X = torch.randn(60, 6, generator=_g, dtype=torch.float64)
_y = torch.randint(0, 4, (60,), generator=_g)
_W = 0.3 * torch.randn(4, 6, generator=_g, dtype=torch.float64)
_b = 0.1 * torch.randn(4, generator=_g, dtype=torch.float64)
_m = torch.rand(4, 6, generator=_g) > 0.4
_steps = {}
with forbid(_training.train_logreg, _training.train_mlp, _pruning.prune_logreg, _pruning.prune_curve), \
        substitute(globals(), penalized_loss=_loss):
    for _l1, _l2, _mask in [(0.0, 0.0, None), (0.05, 0.0, None), (0.0, 0.1, None), (0.03, 0.02, _m)]:
        _Win = _W if _mask is None else _W * _mask
        _steps[(_l1, _l2, _mask is not None)] = prox_step(_Win, _b, _X, _y, 0.7 / lipschitz_logreg(_X, _l2),
                                                          l1=_l1, l2=_l2, mask=_mask)
for (_l1, _l2, _masked), (_Ws, _bs) in _steps.items():
    _what = f"l1={_l1} l2={_l2} mask={_masked}"
    probe(f"p1_test_prox_step:W {_what}", _Ws, rtol=1e-7, atol=1e-10)
    probe(f"p1_test_prox_step:b {_what}", _bs, rtol=1e-7, atol=1e-10)
probe("p1_test_prox_step:detached", float(not (_Ws.requires_grad or _bs.requires_grad)), rtol=0, atol=0)
### END HIDDEN TESTS

# %% [markdown] gid="p1_mask_md"
# ## 3. The magnitude mask / Маска по модулю весов
#
# **EN.** `magnitude_mask(w, fraction)` returns a bool tensor shaped like `w`, **True = kept**, that removes exactly
# `round(fraction * w.numel())` entries (Python's `round`, which rounds halves to even; the tests avoid exact halves)
# — those of smallest $|w|$ (Han et al., 2015). Ties (equal $|w|$): remove the one with the smaller flat index first. `fraction` outside $[0, 1]$ must raise `ValueError` with a clear message.
#
# **RU.** `magnitude_mask(w, fraction)` возвращает булев тензор формы `w` (**True = вес оставлен**), удаляющий ровно
# `round(fraction * w.numel())` элементов (`round` из Python округляет половины к чётному; в тестах точных половин нет)
# с наименьшим $|w|$ (Han et al., 2015). При равных $|w|$ первым удаляется
# элемент с меньшим индексом в плоском порядке. При `fraction` вне $[0, 1]$ — `ValueError` с понятным сообщением.

# %% nb="answer" gid="p1_magnitude_mask"
def magnitude_mask(w, fraction):
    """Bool mask (True = kept) removing the round(fraction·numel) entries of smallest |w|."""
    ### BEGIN SOLUTION
    if not 0.0 <= float(fraction) <= 1.0:
        raise ValueError(f"fraction must lie in [0, 1], got {fraction} / доля должна лежать в [0, 1], "
                         f"получено {fraction}")
    n_drop = int(round(float(fraction) * w.numel()))
    by_size = torch.argsort(torch.abs(w.detach()).flatten(), stable=True)
    kept = torch.ones(w.numel(), dtype=torch.bool)
    kept[by_size[:n_drop]] = False
    return kept.reshape(w.shape)
    ### END SOLUTION


# %% nb="tests" gid="p1_test_magnitude_mask" points=2
# Visible checks / Видимые проверки
_w = torch.tensor([[0.5, -3.0, 0.1], [2.0, -0.2, 1.0]])
_mask = magnitude_mask(_w, 0.5)
check_true("p1_test_magnitude_mask:dtype", _mask.dtype == torch.bool and tuple(_mask.shape) == (2, 3),
           "a bool mask shaped like w / булева маска формы w")
check_close("p1_test_magnitude_mask:small example", _mask.int(), [[0, 1, 0], [1, 0, 1]], rtol=0, atol=0)
try:
    magnitude_mask(_w, 1.5)
    _raised = False
except ValueError:
    _raised = True
check_true("p1_test_magnitude_mask:bad fraction", _raised, "fraction=1.5 must raise ValueError / должно быть ValueError")
### BEGIN HIDDEN TESTS
import metaopt_lib.pruning as _pruning
_g = hidden_generator("p1_mask")
# sizes 640, 24 and 8: fraction·numel is never an exact half for these fractions (no rounding ties)
_cases = [torch.randn(10, 64, generator=_g, dtype=torch.float64), torch.randn(6, 4, generator=_g),
          torch.tensor([1.0, -1.0, 0.5, -0.5, 0.5, 2.0, 0.0, 0.0])[torch.randperm(8, generator=_g)]]
_masks = {}
with forbid(*[getattr(_pruning, _n) for _n in ("magnitude_mask", "saliency_mask", "_lowest_mask",
              "layerwise_magnitude_masks", "global_magnitude_masks", "prune_logreg") if hasattr(_pruning, _n)]):
    for _i, _w in enumerate(_cases):
        for _f in (0.0, 0.1, 0.25, 0.5, 0.625, 0.9, 1.0):
            _masks[(_i, _f)] = magnitude_mask(_w, _f).int()
for (_i, _f), _mask in _masks.items():
    probe(f"p1_test_magnitude_mask:case {_i} fraction {_f}", _mask, rtol=0, atol=0)
### END HIDDEN TESTS

# %% [markdown] gid="p1_fit_md"
# ## 4. Training and retraining / Обучение и дообучение
#
# **EN.** `fit` runs `epochs` steps of `prox_step` with the step size $\eta = $ `lr / lipschitz_logreg(X, l2)`
# (`lipschitz_logreg` bounds the Lipschitz constant of $\nabla f$, so `lr = 1` is safe). It starts from `init=(W0, b0)`
# when given — retraining after pruning starts from the previous optimum — and from $W = 0$, $b = 0$ otherwise.
# With a `mask`, start from `W0 * mask` and keep the removed weights at zero all the time. Return `(W, b)`. (The
# hidden test runs `fit` with a correct `prox_step`, so a mistake in `prox_step` costs only its own cell.)
#
# **RU.** `fit` делает `epochs` шагов `prox_step` с длиной шага $\eta = $ `lr / lipschitz_logreg(X, l2)`
# (`lipschitz_logreg` — оценка сверху константы Липшица $\nabla f$, так что `lr = 1` безопасно). Начальная точка —
# `init=(W0, b0)`, если задана (дообучение после прунинга начинается с прежнего оптимума), иначе $W = 0$, $b = 0$.
# С маской `mask` начните с `W0 * mask` и держите удалённые веса равными нулю всё время. Верните `(W, b)`. (Скрытый
# тест запускает `fit` с правильным `prox_step`, так что ошибка в `prox_step` стоит баллов только его ячейки.)

# %% nb="answer" gid="p1_fit"
def fit(X, y, n_classes, *, l1=0.0, l2=0.0, epochs=200, lr=1.0, mask=None, init=None):
    """`epochs` ISTA steps of size lr / lipschitz_logreg(X, l2) from init (or zeros), keeping mask's zeros."""
    ### BEGIN SOLUTION
    if init is None:
        W = torch.zeros(n_classes, X.shape[1], dtype=X.dtype)
        b = torch.zeros(n_classes, dtype=X.dtype)
    else:
        W, b = init[0].detach().clone(), init[1].detach().clone()
    if mask is not None:
        W = torch.where(mask, W, torch.zeros_like(W))
    eta = lr / lipschitz_logreg(X, l2)
    for _ in range(epochs):
        W, b = prox_step(W, b, X, y, eta, l1=l1, l2=l2, mask=mask)
    return W, b
    ### END SOLUTION


# %% nb="tests" gid="p1_test_fit" points=2
# Visible checks / Видимые проверки
_g = torch.Generator().manual_seed(2)
_X, _y = torch.randn(50, 4, generator=_g, dtype=torch.float64), torch.randint(0, 3, (50,), generator=_g)
_W, _b = fit(_X, _y, 3, l2=0.01, epochs=3)
check_true("p1_test_fit:shapes", tuple(_W.shape) == (3, 4) and tuple(_b.shape) == (3,), "W [3, 4], b [3]")
_Wz, _bz = fit(_X, _y, 3, epochs=0)
check_true("p1_test_fit:starts at zero", bool((_Wz == 0).all() and (_bz == 0).all()), "W = 0, b = 0 without init")
_m = torch.tensor([[True, False, True, True]] * 3)
_Wm, _ = fit(_X, _y, 3, epochs=0, mask=_m, init=(torch.ones(3, 4, dtype=torch.float64), torch.zeros(3, dtype=torch.float64)))
check_true("p1_test_fit:starts from init * mask", bool((_Wm == _m.double()).all()), "W0 * mask / W0 * mask")
### BEGIN HIDDEN TESTS
import metaopt_lib.training as _training
import metaopt_lib.pruning as _pruning


def _prox(W, b, X, y, step, l1=0.0, l2=0.0, mask=None):  # a correct step: a mistake in yours costs only its cell
    _Wv, _bv = W.detach().clone().requires_grad_(True), b.detach().clone().requires_grad_(True)
    _f = torch.nn.functional.cross_entropy(X @ _Wv.T + _bv, y) + l2 * (_Wv * _Wv).sum()
    _gW, _gb = torch.autograd.grad(_f, (_Wv, _bv))
    _V = W.detach() - step * _gW
    _Wn = torch.sign(_V) * torch.clamp(_V.abs() - step * l1, min=0.0)
    return (_Wn if mask is None else _Wn * mask), b.detach() - step * _gb


_g = hidden_generator("p1_fit")
_X = torch.randn(80, 5, generator=_g, dtype=torch.float64)
_y = torch.randint(0, 3, (80,), generator=_g)
_W0 = 0.2 * torch.randn(3, 5, generator=_g, dtype=torch.float64)
_b0 = 0.1 * torch.randn(3, generator=_g, dtype=torch.float64)
_m = torch.rand(3, 5, generator=_g) > 0.3
with forbid(_training.train_logreg, _training.train_mlp, _pruning.prune_logreg, _pruning.prune_curve), \
        substitute(globals(), prox_step=_prox):
    _Ws, _bs = fit(_X, _y, 3, l1=0.01, l2=0.02, epochs=3, lr=0.9, mask=_m, init=(_W0, _b0))
    _Wl, _bl = fit(_X, _y, 3, l1=0.005, l2=0.05, epochs=400)
probe("p1_test_fit:three steps W", _Ws, rtol=1e-7, atol=1e-10)
probe("p1_test_fit:three steps b", _bs, rtol=1e-7, atol=1e-10)
probe("p1_test_fit:long run W", _Wl, rtol=1e-6, atol=1e-9)
### END HIDDEN TESTS

# %% [markdown] gid="p1_experiment_md"
# ## 5. Experiment: accuracy versus percent of parameters removed / Эксперимент: точность против процента удалённых параметров
#
# **EN.** Using **your** functions: train one model with an $L_1$ penalty and one with an $L_2$ penalty on
# `X_train`; for each fraction of removed weights (e.g. 0, 10, …, 90, 95 %) prune by magnitude **without** and **with**
# retraining (`fit(..., mask=..., init=...)` from the pruned optimum, a few dozen epochs), and do the same with
# `random_mask` (the baseline; average a few seeds). Plot test accuracy against the **percent of parameters removed**
# (x-axis, 0–100 %), one line per method, with axis labels, a legend and a title. Keep it fast (a few seconds);
# `GRADING` is true while the notebook is autograded — use fewer fractions or epochs then if you need to.
#
# The experiment and its plot are graded by hand together with your conclusions below (rubric there).
#
# **RU.** С помощью **ваших** функций обучите одну модель с $L_1$-, другую с $L_2$-регуляризацией на `X_train`; для
# каждой доли удаляемых весов (например, 0, 10, …, 90, 95 %) удалите веса по модулю **без** дообучения и **с**
# дообучением (`fit(..., mask=..., init=...)` от прежнего оптимума, несколько десятков эпох), и то же со
# случайной маской `random_mask` (базовая линия; усредните по нескольким seed). Постройте точность на тесте против
# **процента удалённых параметров** (ось X, 0–100 %): по линии на метод, с подписями осей, легендой и заголовком.
# Эксперимент должен идти несколько секунд; `GRADING` истинно во время автопроверки — тогда можно взять меньше
# точек или эпох.
#
# Эксперимент и график оцениваются вручную вместе с выводами ниже (критерии — там).

# %% nb="answer" gid="p1_experiment"
### BEGIN SOLUTION
L1, L2 = 2e-3, 2e-3
EPOCHS, RETRAIN = 300, 60
fractions = [0.0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 0.95]
if GRADING:  # the autograder only needs the cell to run: fewer points and epochs
    fractions, EPOCHS, RETRAIN = [0.0, 0.5, 0.8, 0.9, 0.95], 200, 40
penalties = {"L1": dict(l1=L1), "L2": dict(l2=L2)}
models = {name: fit(X_train, y_train, K, epochs=EPOCHS, **pen) for name, pen in penalties.items()}


def curve(name, make_mask, retrain):
    """Test accuracy after removing each fraction of W by `make_mask(W, fraction)`, optionally retrained."""
    W, b = models[name]
    accs = []
    for frac in fractions:
        mask = make_mask(W, frac)
        Wp, bp = W * mask, b
        if retrain:
            Wp, bp = fit(X_train, y_train, K, epochs=RETRAIN, mask=mask, init=(W, b), **penalties[name])
        accs.append(accuracy(Wp, bp, X_test, y_test))
    return np.array(accs)


def random_curve(name, retrain, seeds=(0, 1, 2)):
    """The random-pruning baseline averaged over seeds."""
    return np.mean([curve(name, lambda W, f, s=s: random_mask(W, f, torch.Generator().manual_seed(s)), retrain)
                    for s in seeds], axis=0)


for name in models:
    W = models[name][0]
    print(f"{name}: test accuracy {accuracy(*models[name], X_test, y_test):.3f}, "
          f"exact zeros after training {100 * float((W == 0).double().mean()):.1f} %")

results = {}
for name in models:
    for retrain in (False, True):
        suffix = " + retrain / дообучение" if retrain else ""
        results[f"{name} magnitude / по модулю{suffix}"] = curve(name, magnitude_mask, retrain)
results["L2 random / случайно"] = random_curve("L2", retrain=False)
results["L2 random / случайно + retrain / дообучение"] = random_curve("L2", retrain=True)

percent = 100 * np.array(fractions)
styles = {"L1": "tab:blue", "L2": "tab:orange", "random": "tab:gray"}
fig, ax = plt.subplots(figsize=(8, 5))
for label, accs in results.items():
    color = styles["random"] if "random" in label else styles[label[:2]]
    ax.plot(percent, accs, marker="o", ms=4, color=color, ls="-" if "retrain" in label else "--", label=label)
ax.set_xlabel("parameters removed, % / удалено параметров, %")
ax.set_ylabel("test accuracy / точность на тесте")
ax.set_title(f"Magnitude vs random pruning of logistic regression ({data.name})\n"
             f"Удаление по модулю и случайное, логистическая регрессия")
ax.set_xlim(0, 100)
ax.grid(alpha=0.3)
ax.legend(fontsize=8)
plt.show()
### END SOLUTION

# %% [markdown] gid="p1_conclusions_md"
# ## 6. Conclusions / Выводы
#
# **EN.** In a few sentences: which penalty and which procedure keep accuracy longest as weights are removed, where
# magnitude pruning stops beating random pruning, and why (think of what L1's soft thresholding does to the weights,
# and of Han et al.'s observation about retraining).
#
# *Rubric (3 points, graded by hand, for the experiment above and this answer):* 1 — all the required curves
# (L1/L2 × with/without retraining, the random baseline) and the x-axis is the percent of parameters removed;
# 1 — tidy code (functions, no copy-paste, fixed seeds, runs in seconds) and a readable plot (axis labels, legend,
# title, distinguishable lines); 1 — correct conclusions supported by the plot.
#
# **RU.** В нескольких предложениях: какая регуляризация и какая процедура дольше всего сохраняют точность при
# удалении весов, где удаление по модулю перестаёт выигрывать у случайного и почему (вспомните, что мягкий порог
# $L_1$ делает с весами, и наблюдение Han et al. о дообучении).
#
# *Критерии оценивания (3 балла, вручную, за эксперимент выше и этот ответ):* 1 — все нужные кривые (L1/L2 × с
# дообучением/без, случайное удаление) и ось X — процент удалённых параметров; 1 — аккуратный код (функции, без
# копипасты, фиксированные seed, работает за секунды) и наглядный график (подписи осей, легенда, заголовок,
# различимые линии); 1 — верные выводы, подтверждённые графиком.

# %% [markdown] nb="manual" gid="p1_conclusions" points=3
# Magnitude pruning keeps the accuracy of the full model far longer than random pruning: weights of small $|W|$
# contribute little to the scores, whereas random removal destroys large weights at the same rate as small ones.
# With $L_1$ many weights are already exactly zero after training (soft thresholding), so the first tens of percent
# are removed for free and the L1 curve stays flat longest without retraining. Retraining from the pruned optimum with
# the mask fixed (Han et al., 2015) recovers most of the loss at high sparsity for both penalties, and even rescues
# random pruning partly. Near 90–95 % removed every method degrades: too few weights remain to separate ten classes.
#
# Удаление по модулю сохраняет точность полной модели гораздо дольше случайного: веса с малым $|W|$ мало влияют
# на ответы, а случайное удаление одинаково часто убирает и большие веса. С $L_1$ после обучения многие веса уже
# точно равны нулю (мягкий порог), поэтому первые десятки процентов удаляются «бесплатно», и кривая L1 без
# дообучения дольше всех остаётся ровной. Дообучение от прежнего оптимума с фиксированной маской (Han et al., 2015)
# возвращает большую часть качества при сильном прореживании для обеих регуляризаций и отчасти спасает даже
# случайное удаление. Около 90–95 % удалённых весов качество падает у всех методов: оставшихся весов слишком мало,
# чтобы разделять десять классов.

# %% nb="setup" gid="p1_selfcheck"
# Self-check: the visible tests again, one line each / Самопроверка: видимые тесты, по строке на каждый
from metaopt_course.selfcheck import run_checks

run_checks("practice_1")  # quiet while graded; under Validate it lists unanswered written answers

# %% [markdown] gid="p1_references"
# ### References / Литература
# * S. Han, J. Pool, J. Tran, W. J. Dally. Learning both weights and connections for efficient neural networks. NeurIPS 2015.
# * A. Beck, M. Teboulle. A fast iterative shrinkage-thresholding algorithm for linear inverse problems. SIAM J. Imaging Sci., 2009 (ISTA/FISTA).
# * D. Böhning. Multinomial logistic regression algorithm. Ann. Inst. Stat. Math., 1992 (the bound behind `lipschitz_logreg`).
