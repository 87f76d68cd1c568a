# %% [markdown] gid="p2_title"
# # Practice 2. Pruning logistic regression by variational inference (Graves, 2011)
# # Практика 2. Удаление параметров логистической регрессии с помощью вариационного вывода (Graves, 2011)
#
# **EN.** Graves (2011) replaces each weight by a Gaussian $q(w_{kj}) = \mathcal N(\mu_{kj}, \sigma_{kj}^2)$ and
# minimises the description length (MDL) of the data and the weights — the negative evidence lower bound
# $$\mathcal L(\mu, \sigma, b) = \mathbb E_{q(W)}\Big[-\sum_{i=1}^n \log p(y_i \mid x_i, W, b)\Big]
# + \mathrm{KL}\big(q(W)\,\|\,p(W)\big), \qquad p(W) = \mathcal N(0, \sigma_p^2 I),$$
# where for diagonal Gaussians every term of the KL is kept:
# $\mathrm{KL} = \sum_{kj}\big[\log\frac{\sigma_p}{\sigma_{kj}} + \frac{\sigma_{kj}^2 + \mu_{kj}^2}{2\sigma_p^2} - \frac12\big]$.
# (The course slides write this loss with the log-likelihood's sign flipped and without the $-\frac12$ and $\log\sigma_p$
# terms; here it is in full.) The expectation is estimated by the reparameterisation trick $W = \mu + \sigma \odot
# \varepsilon$, $\varepsilon \sim \mathcal N(0, I)$. A weight is pruned when its posterior puts almost as much density at
# zero as at its mean: the **relative density** $\lambda_{kj} = q(0)/q(\mu_{kj}) = \exp\big(-\mu_{kj}^2/(2\sigma_{kj}^2)\big)$
# is close to 1. You will compare this criterion with random pruning on MNIST (sklearn's digits when MNIST is absent);
# the x-axis is the **percent of parameters removed** (weights $W$; the bias $b$ is a point estimate and is kept).
#
# Autograded (points in brackets): `kl_gaussians` [1], `variational_logits` [1], `neg_elbo` [2],
# `relative_density` + `density_mask` [1], `fit_variational` [2]. Graded by hand: the experiment, its plot and your
# conclusions [3]. Your functions must not call the reference implementations in `metaopt_lib.variational` /
# `metaopt_lib.pruning`.
#
# **RU.** Graves (2011) заменяет каждый вес гауссовским распределением $q(w_{kj}) = \mathcal N(\mu_{kj}, \sigma_{kj}^2)$
# и минимизирует длину описания (MDL) данных и весов — вариационную оценку со знаком минус (формула выше; для
# диагональных гауссиан KL записана полностью). (В слайдах курса эта функция потерь записана с другим знаком
# правдоподобия и без членов $-\frac12$ и $\log\sigma_p$; здесь она приведена полностью.) Математическое ожидание
# оценивается через репараметризацию $W = \mu + \sigma\odot\varepsilon$, $\varepsilon \sim \mathcal N(0, I)$. Вес
# удаляется, если апостериорное распределение даёт в нуле почти такую же плотность, как в среднем: **относительная
# плотность** $\lambda_{kj} = q(0)/q(\mu_{kj}) = \exp(-\mu_{kj}^2/(2\sigma_{kj}^2))$ близка к 1. Вы сравните этот
# критерий со случайным удалением на MNIST (если MNIST нет — на digits из sklearn); ось X — **процент удалённых
# параметров** (весов $W$; сдвиг $b$ — точечная оценка, его не удаляем).
#
# Проверяется автоматически (баллы в скобках): `kl_gaussians` [1], `variational_logits` [1], `neg_elbo` [2],
# `relative_density` + `density_mask` [1], `fit_variational` [2]. Вручную: эксперимент, график и выводы [3]. Ваши
# функции не должны вызывать эталонные реализации из `metaopt_lib.variational` / `metaopt_lib.pruning`.

# %% nb="setup" gid="p2_setup"
# Setup (locked: do not edit) / Подготовка (ячейка заблокирована, не меняйте её)
import math
import os

import matplotlib.pyplot as plt
import numpy as np
import torch
import torch.nn.functional as F

import metaopt_course.grading
from metaopt_course.grading import check_close, check_true, forbid, hidden_generator, probe, substitute
from metaopt_lib.data import load_mnist
from metaopt_lib.pruning import magnitude_mask, random_mask
from metaopt_lib.seeding import set_seed
from metaopt_lib.training import accuracy

GRADING = bool(os.environ.get("NBGRADER_EXECUTION"))  # set while the instructor autogrades / при автопроверке
torch.set_num_threads(1)  # small matrices: one thread is faster / для малых матриц один поток быстрее
set_seed(0)
data = load_mnist(seed=0, n_train=5000, n_test=2000)  # digits 8×8 when MNIST is absent / digits, если нет MNIST
X_train, y_train = data.X_train.double(), data.y_train
X_test, y_test = data.X_test.double(), data.y_test
K = data.n_classes
print(f"{data.name}: train {tuple(X_train.shape)}, test {tuple(X_test.shape)}, {K} classes, "
      f"{K * X_train.shape[1]} weights")


# %% [markdown] gid="p2_kl_md"
# ## 1. KL between diagonal Gaussians / KL между диагональными гауссианами
#
# **EN.** `kl_gaussians(mu_q, sigma_q, mu_p, sigma_p)` returns
# $\sum_i\big[\log\frac{\sigma_{p,i}}{\sigma_{q,i}} + \frac{\sigma_{q,i}^2 + (\mu_{q,i} - \mu_{p,i})^2}{2\sigma_{p,i}^2}
# - \frac12\big]$ as a scalar tensor (σ are standard deviations; the arguments may be tensors or floats and broadcast).
#
# **RU.** `kl_gaussians(mu_q, sigma_q, mu_p, sigma_p)` возвращает сумму выше — скалярный тензор (σ — стандартные
# отклонения; аргументы могут быть тензорами или числами и транслируются).

# %% nb="answer" gid="p2_kl"
def kl_gaussians(mu_q, sigma_q, mu_p, sigma_p):
    """KL(N(mu_q, sigma_q²) || N(mu_p, sigma_p²)) summed over all elements."""
    ### BEGIN SOLUTION
    mu_q, sigma_q, mu_p, sigma_p = (torch.as_tensor(v, dtype=torch.float64) if not torch.is_tensor(v) else v
                                    for v in (mu_q, sigma_q, mu_p, sigma_p))
    ratio = (sigma_q / sigma_p) ** 2
    return 0.5 * torch.sum(ratio + ((mu_q - mu_p) / sigma_p) ** 2 - 1.0 - torch.log(ratio))
    ### END SOLUTION


# %% nb="tests" gid="p2_test_kl" points=1
# Visible checks / Видимые проверки
check_close("p2_test_kl:identical", kl_gaussians(torch.zeros(3), torch.ones(3), 0.0, 1.0), 0.0, atol=1e-7)
check_close("p2_test_kl:one dimension", kl_gaussians(torch.tensor([1.0]), torch.tensor([1.0]), 0.0, 1.0), 0.5,
            rtol=1e-6)
### BEGIN HIDDEN TESTS
import metaopt_lib.variational as _variational
_g = hidden_generator("p2_kl")
_mq, _sq = torch.randn(4, 5, generator=_g, dtype=torch.float64), torch.rand(4, 5, generator=_g, dtype=torch.float64) + 0.1
_mp, _sp = torch.randn(4, 5, generator=_g, dtype=torch.float64), torch.rand(4, 5, generator=_g, dtype=torch.float64) + 0.2
with forbid(_variational.kl_diag_gaussians, _variational.kl_gaussian_prior, _variational.elbo_mc):
    _value = kl_gaussians(_mq, _sq, _mp, _sp)
    _value_prior = kl_gaussians(_mq, _sq, 0.0, 0.7)
probe("p2_test_kl:tensors", _value, rtol=1e-7, atol=1e-10)
probe("p2_test_kl:scalar prior", _value_prior, rtol=1e-7, atol=1e-10)
### END HIDDEN TESTS

# %% [markdown] gid="p2_layer_md"
# ## 2. The variational layer / Вариационный слой
#
# **EN.** `variational_logits(mu_W, sigma_W, b, X, eps)` samples the weights by the reparameterisation trick,
# $W = \mu_W + \sigma_W \odot \varepsilon$ (`eps` has the shape of `mu_W` and is given, so the result is
# deterministic), and returns the scores $X W^\top + b$ of shape `[n, K]`. Gradients must flow to `mu_W` and `sigma_W`.
#
# **RU.** `variational_logits(mu_W, sigma_W, b, X, eps)` сэмплирует веса через репараметризацию
# $W = \mu_W + \sigma_W\odot\varepsilon$ (`eps` формы `mu_W` задан, поэтому результат детерминирован) и
# возвращает оценки $XW^\top + b$ формы `[n, K]`. Градиенты должны доходить до `mu_W` и `sigma_W`.

# %% nb="answer" gid="p2_variational_logits"
def variational_logits(mu_W, sigma_W, b, X, eps):
    """Scores X Wᵀ + b with W = mu_W + sigma_W ⊙ eps (the reparameterisation trick)."""
    ### BEGIN SOLUTION
    sampled = mu_W + sigma_W * eps
    return torch.matmul(X, sampled.T) + b
    ### END SOLUTION


# %% nb="tests" gid="p2_test_variational_logits" points=1
# Visible check: with sigma = 0 the layer is the ordinary linear layer / при sigma = 0 — обычный линейный слой
_g = torch.Generator().manual_seed(4)
_X, _mu = torch.randn(6, 3, generator=_g, dtype=torch.float64), torch.randn(2, 3, generator=_g, dtype=torch.float64)
_b = torch.randn(2, generator=_g, dtype=torch.float64)
check_close("p2_test_variational_logits:sigma 0",
            variational_logits(_mu, torch.zeros_like(_mu), _b, _X, torch.randn(2, 3, generator=_g, dtype=torch.float64)),
            _X @ _mu.T + _b, rtol=1e-9)
### BEGIN HIDDEN TESTS
_g = hidden_generator("p2_logits")
_X = torch.randn(9, 4, generator=_g, dtype=torch.float64)
_mu = torch.randn(3, 4, generator=_g, dtype=torch.float64, requires_grad=True)
_sigma = (torch.rand(3, 4, generator=_g, dtype=torch.float64) + 0.1).requires_grad_(True)
_b = torch.randn(3, generator=_g, dtype=torch.float64)
_eps = torch.randn(3, 4, generator=_g, dtype=torch.float64)
_value = variational_logits(_mu, _sigma, _b, _X, _eps)
_gmu, _gsigma = torch.autograd.grad((_value * torch.arange(1.0, 4.0, dtype=torch.float64)).sum(), (_mu, _sigma))
probe("p2_test_variational_logits:values", _value, rtol=1e-9, atol=1e-12)
probe("p2_test_variational_logits:grad mu", _gmu, rtol=1e-9, atol=1e-12)
probe("p2_test_variational_logits:grad sigma", _gsigma, rtol=1e-9, atol=1e-12)
### END HIDDEN TESTS

# %% [markdown] gid="p2_elbo_md"
# ## 3. The loss: negative ELBO per example / Функция потерь: минус ELBO на объект
#
# **EN.** `neg_elbo(mu_W, sigma_W, b, X, y, prior_sigma, eps)` gets `eps` of shape `[S, K, d]` (S samples) and returns
# $$\frac1n\Big(\frac1S\sum_{s=1}^S \sum_{i=1}^n -\log \operatorname{softmax}\big(W_s x_i + b\big)_{y_i}
# + \mathrm{KL}\big(\mathcal N(\mu_W, \sigma_W^2)\,\|\,\mathcal N(0, \sigma_p^2)\big)\Big),\quad
# W_s = \mu_W + \sigma_W\odot\varepsilon_s,$$
# a differentiable scalar. Use your `variational_logits` and `kl_gaussians` (the hidden test calls `neg_elbo` with
# correct versions of them, so a mistake there costs only their own cells).
#
# **RU.** `neg_elbo(mu_W, sigma_W, b, X, y, prior_sigma, eps)` получает `eps` формы `[S, K, d]` (S сэмплов) и
# возвращает величину выше — дифференцируемый скаляр (минус ELBO, делённый на n). Используйте свои
# `variational_logits` и `kl_gaussians` (скрытый тест вызывает `neg_elbo` с их правильными версиями, так что ошибка
# в них стоит баллов только их собственных ячеек).

# %% nb="answer" gid="p2_neg_elbo"
def neg_elbo(mu_W, sigma_W, b, X, y, prior_sigma, eps):
    """(mean over the S samples of the summed cross-entropy + KL(q || N(0, prior_sigma²))) / n."""
    ### BEGIN SOLUTION
    data_terms = [F.cross_entropy(variational_logits(mu_W, sigma_W, b, X, e), y, reduction="sum") for e in eps]
    expected_nll = torch.stack(data_terms).mean()
    return (expected_nll + kl_gaussians(mu_W, sigma_W, 0.0, prior_sigma)) / X.shape[0]
    ### END SOLUTION


# %% nb="tests" gid="p2_test_neg_elbo" points=2
# Visible checks: neg_elbo is the mean cross-entropy plus the KL, per example (with YOUR variational_logits and
# kl_gaussians) / neg_elbo — средняя кросс-энтропия плюс KL на объект (с ВАШИМИ variational_logits и kl_gaussians)
_X, _y = torch.ones(4, 2, dtype=torch.float64), torch.tensor([0, 1, 2, 0])
_mu0, _s0, _b0 = torch.zeros(3, 2, dtype=torch.float64), torch.full((3, 2), 0.5, dtype=torch.float64), torch.zeros(3, dtype=torch.float64)
_eps0 = torch.zeros(1, 3, 2, dtype=torch.float64)
check_close("p2_test_neg_elbo:uniform", neg_elbo(_mu0, _s0, _b0, _X, _y, 0.5, _eps0),
            math.log(3.0) + kl_gaussians(_mu0, _s0, 0.0, 0.5) / 4, rtol=1e-7)
_g = torch.Generator().manual_seed(8)
_mu1, _s1 = torch.randn(3, 2, generator=_g, dtype=torch.float64), torch.rand(3, 2, generator=_g, dtype=torch.float64) + 0.1
_eps1 = torch.randn(2, 3, 2, generator=_g, dtype=torch.float64)
_ce = sum(F.cross_entropy(variational_logits(_mu1, _s1, _b0, _X, _e), _y, reduction="sum") for _e in _eps1) / 2
check_close("p2_test_neg_elbo:two samples", neg_elbo(_mu1, _s1, _b0, _X, _y, 0.8, _eps1),
            (_ce + kl_gaussians(_mu1, _s1, 0.0, 0.8)) / 4, rtol=1e-7)
### BEGIN HIDDEN TESTS
import metaopt_lib.variational as _variational


def _kl(mu_q, sigma_q, mu_p, sigma_p):  # correct helpers: a mistake in yours costs only their cells
    _p = torch.distributions.Normal(torch.as_tensor(mu_p, dtype=torch.float64), torch.as_tensor(sigma_p, dtype=torch.float64))
    return torch.distributions.kl_divergence(torch.distributions.Normal(mu_q, sigma_q), _p).sum()


def _logits(mu_W, sigma_W, b, X, eps):
    return X @ (mu_W + sigma_W * eps).T + b


_g = hidden_generator("p2_elbo")
_X = torch.randn(25, 4, generator=_g, dtype=torch.float64)
_y = torch.randint(0, 3, (25,), generator=_g)
_mu = torch.randn(3, 4, generator=_g, dtype=torch.float64)
_sigma = torch.rand(3, 4, generator=_g, dtype=torch.float64) + 0.05
_b = torch.randn(3, generator=_g, dtype=torch.float64)
_forbidden = [getattr(_variational, _n) for _n in ("kl_diag_gaussians", "elbo_mc", "graves_logreg_loss",
                                                    "graves_logreg") if hasattr(_variational, _n)]
for _S in (1, 4):
    _eps = torch.randn(_S, 3, 4, generator=_g, dtype=torch.float64)
    _m, _s = _mu.clone().requires_grad_(True), _sigma.clone().requires_grad_(True)
    with forbid(*_forbidden), substitute(globals(), kl_gaussians=_kl, variational_logits=_logits):
        _value = neg_elbo(_m, _s, _b, _X, _y, 0.8, _eps)
        _grads = torch.autograd.grad(_value, (_m, _s))
    probe(f"p2_test_neg_elbo:value S={_S}", _value, rtol=1e-7, atol=1e-10)
    probe(f"p2_test_neg_elbo:grad mu S={_S}", _grads[0], rtol=1e-6, atol=1e-10)
    probe(f"p2_test_neg_elbo:grad sigma S={_S}", _grads[1], rtol=1e-6, atol=1e-10)
### END HIDDEN TESTS

# %% [markdown] gid="p2_density_md"
# ## 4. Relative density and the pruning mask / Относительная плотность и маска удаления
#
# **EN.** `relative_density(mu, sigma)` returns $\exp(-\mu^2/(2\sigma^2))$ elementwise. `density_mask(mu, sigma,
# fraction)` returns a bool mask (**True = kept**) removing exactly `round(fraction * mu.numel())` weights of **largest**
# relative density — equivalently of lowest $|\mu|/\sigma$, which is safer to sort (the exponential underflows to 0
# for large $|\mu|/\sigma$). Ties: the smaller flat index is removed first; `fraction` outside $[0, 1]$ raises
# `ValueError`.
#
# **RU.** `relative_density(mu, sigma)` возвращает $\exp(-\mu^2/(2\sigma^2))$ поэлементно. `density_mask(mu, sigma,
# fraction)` возвращает булеву маску (**True = вес оставлен**), удаляющую ровно `round(fraction * mu.numel())` весов с
# **наибольшей** относительной плотностью — то есть с наименьшим $|\mu|/\sigma$; сортировать лучше по нему
# (экспонента обращается в 0 при больших $|\mu|/\sigma$). При равенстве первым удаляется элемент с меньшим плоским
# индексом; при `fraction` вне $[0, 1]$ — `ValueError`.

# %% nb="answer" gid="p2_density"
def relative_density(mu, sigma):
    """Graves' relative density q(0)/q(mu) = exp(-mu²/(2 sigma²))."""
    ### BEGIN SOLUTION
    return torch.exp(-0.5 * (mu / sigma) ** 2)
    ### END SOLUTION


def density_mask(mu, sigma, fraction):
    """Bool mask (True = kept) removing the round(fraction·numel) weights of largest relative density."""
    ### BEGIN SOLUTION
    if not 0.0 <= float(fraction) <= 1.0:
        raise ValueError(f"fraction must lie in [0, 1], got {fraction} / доля должна лежать в [0, 1]")
    signal_to_noise = (mu.abs() / sigma).flatten()
    n_cut = int(round(float(fraction) * mu.numel()))
    keep = torch.ones(mu.numel(), dtype=torch.bool)
    keep[torch.argsort(signal_to_noise, stable=True)[:n_cut]] = False
    return keep.reshape(mu.shape)
    ### END SOLUTION


# %% nb="tests" gid="p2_test_relative_density" points=1
# Visible checks / Видимые проверки
check_close("p2_test_relative_density:values",
            relative_density(torch.tensor([0.0, 1.0, -2.0]), torch.tensor([1.0, 1.0, 1.0])),
            [1.0, math.exp(-0.5), math.exp(-2.0)], rtol=1e-6)
check_close("p2_test_relative_density:mask",
            density_mask(torch.tensor([0.0, 1.0, -2.0, 0.1]), torch.tensor([1.0, 0.1, 1.0, 1.0]), 0.5).int(),
            [0, 1, 1, 0], rtol=0, atol=0)
### BEGIN HIDDEN TESTS
import metaopt_lib.variational as _variational
import metaopt_lib.pruning as _pruning
_g = hidden_generator("p2_density")
_mu = torch.randn(6, 9, generator=_g, dtype=torch.float64)
_sigma = torch.rand(6, 9, generator=_g, dtype=torch.float64) + 0.2
_forbidden = [getattr(_m, _n) for _m, _n in ((_variational, "relative_density"), (_variational, "graves_saliency"),
              (_variational, "graves_mask"), (_variational, "relative_variational_density"),
              (_pruning, "saliency_mask"), (_pruning, "_lowest_mask"), (_pruning, "magnitude_mask"))
              if hasattr(_m, _n)]
with forbid(*_forbidden):
    _value = relative_density(_mu, _sigma)
    _masks = [density_mask(_mu, _sigma, _f).int() for _f in (0.0, 0.2, 0.5, 0.8, 1.0)]
probe("p2_test_relative_density:random values", _value, rtol=1e-9, atol=1e-15)
for _f, _mask in zip((0.0, 0.2, 0.5, 0.8, 1.0), _masks):
    probe(f"p2_test_relative_density:random mask {_f}", _mask, rtol=0, atol=0)
### END HIDDEN TESTS

# %% [markdown] gid="p2_fit_md"
# ## 5. Training / Обучение
#
# **EN.** `fit_variational(X, y, n_classes, *, prior_sigma=1.0, epochs=300, lr=0.05, n_samples=1, seed=0)` minimises
# `neg_elbo` over $\mu_W$, $\sigma_W$ and $b$ by full-batch Adam and returns `(mu_W, sigma_W, b)` (detached, $\sigma_W > 0$).
# Keep $\sigma$ positive through a parameterisation, for example $\sigma = \operatorname{softplus}(\rho)$; start from
# $\mu = 0$, small $\sigma$ (e.g. 0.01) and $b = 0$; draw fresh `eps` every step from a `torch.Generator` seeded with
# `seed`, so that the result is reproducible. Graded: the same seed gives the same result, and the trained
# $-\mathrm{ELBO}$ is as low as the course's reference reaches on the same problem (within 0.03 nats per example; the
# data has classes of unequal frequency, so the bias must be trained too). This test runs your `fit_variational` with a
# correct `neg_elbo`, so a mistake in `neg_elbo` costs only its own cell.
#
# **RU.** `fit_variational(...)` минимизирует `neg_elbo` по $\mu_W$, $\sigma_W$ и $b$ полным батчем методом Adam и
# возвращает `(mu_W, sigma_W, b)` (без градиентов, $\sigma_W > 0$). Положительность $\sigma$ обеспечьте
# параметризацией, например $\sigma = \operatorname{softplus}(\rho)$; начните с $\mu = 0$, малого $\sigma$
# (например, 0.01) и $b = 0$; на каждом шаге берите новые `eps` из `torch.Generator` с зерном `seed`, чтобы результат
# воспроизводился. Проверяется: одинаковый seed даёт одинаковый результат, а достигнутое значение $-\mathrm{ELBO}$
# такое же, как у эталона курса на той же задаче (с точностью 0.03 ната на объект; классы встречаются с разной
# частотой, так что смещение тоже нужно обучать). Тест запускает вашу `fit_variational` с правильной `neg_elbo`, так что
# ошибка в `neg_elbo` стоит баллов только её собственной ячейки.

# %% nb="answer" gid="p2_fit"
def fit_variational(X, y, n_classes, *, prior_sigma=1.0, epochs=300, lr=0.05, n_samples=1, seed=0):
    """Mean-field Gaussian VI for softmax regression (Graves 2011) by Adam; returns (mu_W, sigma_W, b)."""
    ### BEGIN SOLUTION
    gen = torch.Generator().manual_seed(seed)
    shape = (n_classes, X.shape[1])
    mu_W = torch.zeros(shape, dtype=X.dtype, requires_grad=True)
    rho_W = torch.full(shape, math.log(math.expm1(0.01)), dtype=X.dtype, requires_grad=True)
    bias = torch.zeros(n_classes, dtype=X.dtype, requires_grad=True)
    optimizer = torch.optim.Adam([mu_W, rho_W, bias], lr=lr)
    for _ in range(epochs):
        optimizer.zero_grad()
        noise = torch.randn((n_samples, *shape), generator=gen, dtype=X.dtype)
        neg_elbo(mu_W, F.softplus(rho_W), bias, X, y, prior_sigma, noise).backward()
        optimizer.step()
    return mu_W.detach(), F.softplus(rho_W).detach(), bias.detach()
    ### END SOLUTION


# %% nb="tests" gid="p2_test_fit" points=2
# Visible checks (with YOUR neg_elbo) / Видимые проверки (с ВАШЕЙ neg_elbo)
_g = torch.Generator().manual_seed(6)
_X, _y = torch.randn(40, 3, generator=_g, dtype=torch.float64), torch.randint(0, 2, (40,), generator=_g)
_mu, _sigma, _b = fit_variational(_X, _y, 2, epochs=20)
check_true("p2_test_fit:shapes", tuple(_mu.shape) == (2, 3) and tuple(_sigma.shape) == (2, 3) and tuple(_b.shape) == (2,),
           "mu_W, sigma_W [2, 3], b [2]")
check_true("p2_test_fit:sigma positive", bool((_sigma > 0).all()), "sigma_W > 0")
### BEGIN HIDDEN TESTS
import metaopt_lib.variational as _variational
import metaopt_lib.training as _training


def _neg_elbo(mu_W, sigma_W, b, X, y, prior_sigma, eps):  # a correct loss: a mistake in yours costs only its cell
    _nll = torch.stack([torch.nn.functional.cross_entropy(X @ (mu_W + sigma_W * _e).T + b, y, reduction="sum")
                        for _e in eps]).mean()
    _kl = torch.distributions.kl_divergence(torch.distributions.Normal(mu_W, sigma_W),
                                            torch.distributions.Normal(0.0, prior_sigma)).sum()
    return (_nll + _kl) / X.shape[0]


_g = hidden_generator("p2_fit")
_X = torch.randn(150, 4, generator=_g, dtype=torch.float64)
_Wt = 2.0 * torch.randn(3, 4, generator=_g, dtype=torch.float64)
_Wt[:, 3] = 0.0  # an irrelevant feature / неинформативный признак
_bt = torch.tensor([2.5, -1.5, 0.0], dtype=torch.float64)  # unequal classes: the bias must be trained / смещение нужно обучать
_logit = _X @ _Wt.T + _bt
_y = torch.argmax(_logit - torch.log(-torch.log(torch.rand(_logit.shape, generator=_g, dtype=torch.float64))), 1)
_forbidden = [getattr(_m, _n) for _m, _n in ((_variational, "graves_logreg"), (_variational, "graves_logreg_loss"),
              (_variational, "elbo_mc"), (_variational, "kl_diag_gaussians"), (_training, "train_logreg"))
              if hasattr(_m, _n)]
with forbid(*_forbidden), substitute(globals(), neg_elbo=_neg_elbo):
    _r1 = fit_variational(_X, _y, 3, prior_sigma=1.0, epochs=300, lr=0.05, seed=1)
    _r2 = fit_variational(_X, _y, 3, prior_sigma=1.0, epochs=300, lr=0.05, seed=1)
_eps = torch.randn(200, 3, 4, generator=torch.Generator().manual_seed(9), dtype=torch.float64)
with torch.no_grad():
    _score = float(_neg_elbo(_r1[0], _r1[1], _r1[2], _X, _y, 1.0, _eps))  # -ELBO per example, 200 fixed samples
probe("p2_test_fit:reproducible", float(max((_a - _c).abs().max() for _a, _c in zip(_r1, _r2))), rtol=0, atol=0)
probe("p2_test_fit:-ELBO per example", _score, rtol=0, atol=0.03)  # as low as the reference reaches, ± 0.03
probe("p2_test_fit:min sigma positive", float(_r1[1].min() > 0), rtol=0, atol=0)
### END HIDDEN TESTS

# %% [markdown] gid="p2_experiment_md"
# ## 6. Experiment: relative density versus random pruning / Эксперимент: относительная плотность против случайного удаления
#
# **EN.** Fit the variational posterior on `X_train` with **your** `fit_variational`. For each fraction of removed
# weights (e.g. 0, 10, …, 90, 95, 98 %) remove the weights of largest relative density (your `density_mask`) and
# evaluate the test accuracy of the **mean** weights $\mu_W$ with the removed ones set to zero; compare with random
# removal (`random_mask`, a few seeds) and with removal by $|\mu|$ (`magnitude_mask`). Plot test accuracy against the
# **percent of parameters removed** (x-axis, 0–100 %), with axis labels, a legend and a title. A second panel showing
# the learned $(|\mu|, \sigma)$ of the weights helps explain the result. Keep it fast; `GRADING` is true while the
# notebook is autograded. The rubric is in the next section.
#
# **RU.** Обучите вариационное апостериорное распределение на `X_train` **своей** `fit_variational`. Для каждой доли
# удаляемых весов (например, 0, 10, …, 90, 95, 98 %) удалите веса с наибольшей относительной плотностью (ваша
# `density_mask`) и оцените точность на тесте для **средних** весов $\mu_W$ с обнулёнными удалёнными; сравните со
# случайным удалением (`random_mask`, несколько seed) и удалением по $|\mu|$ (`magnitude_mask`). Постройте точность
# на тесте против **процента удалённых параметров** (ось X, 0–100 %), с подписями осей, легендой и заголовком.
# Второй график с выученными $(|\mu|, \sigma)$ весов поможет объяснить результат. Эксперимент должен идти быстро;
# `GRADING` истинно во время автопроверки. Критерии оценивания — в следующем разделе.

# %% nb="answer" gid="p2_experiment"
### BEGIN SOLUTION
PRIOR_SIGMA, EPOCHS = 1.0, 300
fractions = [0.0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 0.95, 0.98]
if GRADING:
    fractions = [0.0, 0.3, 0.6, 0.8, 0.9, 0.95, 0.98]
mu_W, sigma_W, b = fit_variational(X_train, y_train, K, prior_sigma=PRIOR_SIGMA, epochs=EPOCHS, lr=0.05, seed=0)
print(f"posterior mean: test accuracy {accuracy(mu_W, b, X_test, y_test):.3f}; "
      f"sigma from {float(sigma_W.min()):.3f} to {float(sigma_W.max()):.3f}")

criteria = {
    "relative density (Graves) / относительная плотность": lambda f, s: density_mask(mu_W, sigma_W, f),
    "|mu| / по модулю среднего": lambda f, s: magnitude_mask(mu_W, f),
    "random / случайно": lambda f, s: random_mask(mu_W, f, torch.Generator().manual_seed(s)),
}
results = {}
for label, make_mask in criteria.items():
    seeds = (0, 1, 2) if label.startswith("random") else (0,)
    results[label] = np.array([np.mean([accuracy(mu_W * make_mask(f, s), b, X_test, y_test) for s in seeds])
                               for f in fractions])

percent = 100 * np.array(fractions)
fig, (ax, ax2) = plt.subplots(1, 2, figsize=(12, 4.5), gridspec_kw={"width_ratios": [3, 2]})
for (label, accs), color in zip(results.items(), ("tab:green", "tab:blue", "tab:gray")):
    ax.plot(percent, accs, marker="o", ms=4, color=color, label=label)
ax.set_xlabel("parameters removed, % / удалено параметров, %")
ax.set_ylabel("test accuracy / точность на тесте")
ax.set_title(f"Pruning by variational inference ({data.name})\nУдаление параметров вариационным выводом")
ax.set_xlim(0, 100)
ax.grid(alpha=0.3)
ax.legend(fontsize=8)
half = density_mask(mu_W, sigma_W, 0.5)
ax2.scatter(mu_W.abs()[half], sigma_W[half], s=6, color="tab:green", label="kept at 50 % / оставлены при 50 %")
ax2.scatter(mu_W.abs()[~half], sigma_W[~half], s=6, color="tab:red", label="removed at 50 % / удалены при 50 %")
ax2.set_xscale("log")
ax2.set_xlabel("|mu|")
ax2.set_ylabel("sigma")
ax2.set_title("learned posterior of the weights\nвыученное апостериорное распределение весов")
ax2.legend(fontsize=8)
plt.tight_layout()
plt.show()
### END SOLUTION

# %% [markdown] gid="p2_conclusions_md"
# ## 7. Conclusions / Выводы
#
# **EN.** In a few sentences: how much can be removed by relative density before the accuracy drops, how this compares
# with random removal and with removal by $|\mu|$, which weights get a large $\sigma$ (look at the second panel and at
# the pixels of the image), and what the prior scale $\sigma_p$ does to the number of weights that can be pruned.
#
# *Rubric (3 points, graded by hand, for the experiment above and this answer):* 1 — the required curves (relative
# density and the random baseline; $|\mu|$ welcome) and the x-axis is the percent of parameters removed; 1 — tidy
# code (functions, no copy-paste, fixed seeds, runs in seconds) and a readable plot (axis labels, legend, title);
# 1 — correct conclusions supported by the plot.
#
# **RU.** В нескольких предложениях: какую долю весов можно удалить по относительной плотности до падения
# точности, как это соотносится со случайным удалением и удалением по $|\mu|$, какие веса получают большое $\sigma$
# (посмотрите на второй график и на пиксели изображения) и как масштаб априорного распределения $\sigma_p$ влияет
# на число удаляемых весов.
#
# *Критерии оценивания (3 балла, вручную, за эксперимент выше и этот ответ):* 1 — нужные кривые (относительная
# плотность и случайное удаление; по $|\mu|$ — желательно) и ось X — процент удалённых параметров; 1 — аккуратный
# код (функции, без копипасты, фиксированные seed, работает за секунды) и наглядный график (подписи осей,
# легенда, заголовок); 1 — верные выводы, подтверждённые графиком.

# %% [markdown] nb="manual" gid="p2_conclusions" points=3
# Pruning by relative density keeps the accuracy of the posterior mean up to a large share of removed weights, while
# random removal degrades steadily from the start. Weights the data do not constrain — above all those of pixels that
# are (almost) always zero at the border of the image — keep a posterior close to the prior: $\sigma$ near $\sigma_p$
# and $\mu$ near 0, so their relative density is close to 1 and they go first. Removal by $|\mu|$ is close to removal
# by $|\mu|/\sigma$ here (even slightly better around 80 %) because the well-determined weights have both a large $|\mu|$ and a small $\sigma$; the
# ratio differs on weights with moderate $|\mu|$ but large uncertainty. A smaller prior scale $\sigma_p$ pulls more
# means to zero (a stronger complexity penalty in the description length), so more weights can be pruned at a small
# cost in accuracy.
#
# Удаление по относительной плотности сохраняет точность средних весов вплоть до большой доли удалённых, а при
# случайном удалении точность падает с самого начала. Веса, которые данные не ограничивают, — прежде всего веса
# пикселей у края изображения, почти всегда равных нулю, — сохраняют апостериорное распределение, близкое к
# априорному: $\sigma$ около $\sigma_p$ и $\mu$ около 0, поэтому их относительная плотность близка к 1 и они
# удаляются первыми. Удаление по $|\mu|$ здесь близко к удалению по $|\mu|/\sigma$ (около 80 % даже немного лучше), так как хорошо определённые веса
# имеют и большое $|\mu|$, и малое $\sigma$; различие — на весах со средним $|\mu|$, но большой неопределённостью.
# Меньший масштаб априорного распределения $\sigma_p$ сильнее стягивает средние к нулю (больший штраф за сложность
# в длине описания), и удалить можно больше весов при небольшой потере точности.

# %% nb="setup" gid="p2_selfcheck"
# Self-check: the visible tests again, one line each / Самопроверка: видимые тесты, по строке на каждый
from metaopt_course.selfcheck import run_checks

run_checks("practice_2")  # quiet while graded; under Validate it lists unanswered written answers

# %% [markdown] gid="p2_references"
# ### References / Литература
# * A. Graves. Practical variational inference for neural networks. NeurIPS 2011.
# * G. E. Hinton, D. van Camp. Keeping the neural networks simple by minimizing the description length of the weights. COLT 1993.
# * D. P. Kingma, M. Welling. Auto-encoding variational Bayes. ICLR 2014 (the reparameterisation trick).
