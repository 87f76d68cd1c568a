# %% [markdown] lang="en"
# # Lecture 8. Bayesian structure: description length, sparsity priors, structure as a random variable
#
# **After this lecture you can**
# * write Graves' variational (minimum description length) loss with all its terms, train it for a network and
#   prune by relative density;
# * state both models of Bayesian compression (Louizos et al. 2017) and their group-removal criteria;
# * simulate the Indian buffet process and compute its expected number of dishes;
# * write the variational bound with a structure $\Gamma$, compute it exactly for a small model and relax it;
# * define parametric complexity and compute it for a trained posterior;
# * state the requirements to a "good" optimisation function and the two structure-transition criteria, and check
#   them on a worked example.
#
# Lecture 7 removed parameters by magnitude and by curvature; here the structure — which parameters exist — becomes
# a random variable with a prior and a posterior. The demonstrations use a small multilayer perceptron (MLP) and
# toy models; the homework (practice assignment 2) applies Graves' method to logistic regression.

# %% [markdown] lang="ru"
# # Лекция 8. Байесовский выбор структуры: длина описания, разреживающие априорные распределения, структура как случайная величина
#
# **После этой лекции вы сможете**
# * записывать вариационную функцию потерь Graves (минимальную длину описания) со всеми слагаемыми, обучать её для
#   нейросети и удалять параметры по относительной плотности;
# * формулировать обе модели байесовского сжатия (Louizos и др., 2017) и их критерии удаления групп;
# * моделировать индийский буфетный процесс и вычислять ожидаемое число блюд;
# * записывать вариационную нижнюю оценку со структурой $\Gamma$, вычислять её точно для малой модели и
#   релаксировать;
# * определять параметрическую сложность и вычислять её для обученного апостериорного распределения;
# * формулировать требования к «хорошей» функции оптимизации и два критерия перехода между структурами и проверять
#   их на разобранном примере.
#
# В лекции 7 параметры удалялись по модулю и по кривизне; здесь структура — какие параметры существуют —
# становится случайной величиной с априорным и апостериорным распределениями. Демонстрации — на небольшом
# многослойном перцептроне и игрушечных моделях; в домашнем задании (практическое задание 2) метод Graves
# применяется к логистической регрессии.

# %%
import math

import ipywidgets as w
import matplotlib.pyplot as plt
import numpy as np
import torch
import torch.nn.functional as F

from metaopt_course.widgets import interact
from metaopt_lib import pruning, structure, training, variational
from metaopt_lib.data import load_mnist
from metaopt_lib.i18n import translator
from metaopt_lib.seeding import set_seed

tr = translator(LANG)
set_seed(0)
torch.set_num_threads(1)  # small full-batch problems: one thread avoids contention on a shared CPU
data = load_mnist(n_train=2000, n_test=1000)  # MNIST if its IDX files are present, else sklearn's digits
Xtr, ytr, Xte, yte, K = data.X_train, data.y_train, data.X_test, data.y_test, data.n_classes
print(tr(f"{data.name}: {len(ytr)} training and {len(yte)} test images of {data.image_shape}, {K} classes",
         f"{data.name}: {len(ytr)} обучающих и {len(yte)} тестовых изображений {data.image_shape}, {K} классов"))

# %% [markdown] lang="en"
# ## 1. Graves (2011): variational inference as minimum description length
#
# The description length of the data with a model is $\mathrm{MDL}(\mathbf{f}, \mathcal{D}) = L(\mathbf{f}) +
# L(\mathcal{D} \mid \mathbf{f})$: the bits to send the model plus the bits to send the data given the model. With a
# distribution $q(\mathbf{w})$ over the weights (the "bits-back" argument of Hinton & van Camp 1993) the length in
# nats is
#
# $$\mathcal{L}(q) = \underbrace{\mathbb{E}_{q(\mathbf{w})}\big[-\log p(\mathcal{D} \mid \mathbf{w})\big]}_{
# \text{error}} + \underbrace{\mathrm{KL}\big(q(\mathbf{w}) \,\|\, p(\mathbf{w} \mid \mathbf{h})\big)}_{
# \text{complexity}} = -\mathrm{ELBO}(q).$$
#
# For $q = \mathcal{N}(\boldsymbol{\mu}, \boldsymbol{\Sigma}_q)$ and the prior $p = \mathcal{N}(\mathbf{0},
# \mathbf{A}^{-1})$ over $u$ weights, with every term:
#
# $$\mathrm{KL}(q \,\|\, p) = \tfrac{1}{2}\Big(\operatorname{tr}(\mathbf{A}\boldsymbol{\Sigma}_q) +
# \boldsymbol{\mu}^\top\mathbf{A}\boldsymbol{\mu} - u + \ln|\mathbf{A}^{-1}| - \ln|\boldsymbol{\Sigma}_q|\Big).$$
#
# (The 2019 MIPT slides write the likelihood with the wrong sign and at a point $\hat{\mathbf{w}}$, put
# $\mathbf{A}^{-1}$ in the quadratic form and drop $-u$ and $\ln|\mathbf{A}^{-1}|$.) Since
#
# $$\log p(\mathcal{D} \mid \mathbf{h}) = \mathrm{ELBO}(q) + \mathrm{KL}\big(q(\mathbf{w}) \,\|\,
# p(\mathbf{w} \mid \mathcal{D}, \mathbf{h})\big),$$
#
# the ELBO is a lower bound of the evidence, tight exactly when $q$ is the posterior (the slides equate
# $\mathrm{KL}(q \,\|\, p(\mathbf{w} \mid \mathcal{D}))$ with the ELBO; they differ by the log evidence and a sign).
# The first cell checks this identity on a small Bayesian linear regression, where every term has a closed form.

# %% [markdown] lang="ru"
# ## 1. Graves (2011): вариационный вывод как минимальная длина описания
#
# Длина описания выборки с помощью модели $\mathrm{MDL}(\mathbf{f}, \mathcal{D}) = L(\mathbf{f}) +
# L(\mathcal{D} \mid \mathbf{f})$ — это число бит на передачу модели плюс число бит на передачу данных при известной
# модели. Если веса описываются распределением $q(\mathbf{w})$ (рассуждение «bits-back» Hinton и van Camp, 1993),
# длина в натах равна
#
# $$\mathcal{L}(q) = \underbrace{\mathbb{E}_{q(\mathbf{w})}\big[-\log p(\mathcal{D} \mid \mathbf{w})\big]}_{
# \text{ошибка}} + \underbrace{\mathrm{KL}\big(q(\mathbf{w}) \,\|\, p(\mathbf{w} \mid \mathbf{h})\big)}_{
# \text{сложность}} = -\mathrm{ELBO}(q).$$
#
# Для $q = \mathcal{N}(\boldsymbol{\mu}, \boldsymbol{\Sigma}_q)$ и априорного распределения $p = \mathcal{N}(
# \mathbf{0}, \mathbf{A}^{-1})$ на $u$ весах, со всеми слагаемыми:
#
# $$\mathrm{KL}(q \,\|\, p) = \tfrac{1}{2}\Big(\operatorname{tr}(\mathbf{A}\boldsymbol{\Sigma}_q) +
# \boldsymbol{\mu}^\top\mathbf{A}\boldsymbol{\mu} - u + \ln|\mathbf{A}^{-1}| - \ln|\boldsymbol{\Sigma}_q|\Big).$$
#
# (В слайдах лекции МФТИ 2019 года правдоподобие взято с неверным знаком и в точке $\hat{\mathbf{w}}$, в
# квадратичной форме стоит $\mathbf{A}^{-1}$, а слагаемые $-u$ и $\ln|\mathbf{A}^{-1}|$ потеряны.) Поскольку
#
# $$\log p(\mathcal{D} \mid \mathbf{h}) = \mathrm{ELBO}(q) + \mathrm{KL}\big(q(\mathbf{w}) \,\|\,
# p(\mathbf{w} \mid \mathcal{D}, \mathbf{h})\big),$$
#
# вариационная нижняя оценка (ELBO) не превосходит логарифма обоснованности и совпадает с ним тогда и только тогда,
# когда $q$ — апостериорное распределение (в слайдах $\mathrm{KL}(q \,\|\, p(\mathbf{w} \mid \mathcal{D}))$
# приравнена к ELBO; они отличаются на логарифм обоснованности и знак). Первая ячейка проверяет это тождество на
# малой байесовской линейной регрессии, где у всех слагаемых есть явный вид.

# %%
g = torch.Generator().manual_seed(0)
Xs = torch.randn(40, 5, generator=g, dtype=torch.float64)
ys = Xs @ torch.tensor([1.0, 0.0, -2.0, 0.5, 0.0], dtype=torch.float64) + 0.3 * torch.randn(40, generator=g,
                                                                                          dtype=torch.float64)
A = torch.diag(torch.tensor([1.0, 2.0, 0.5, 1.0, 4.0], dtype=torch.float64))
m_post, S_post = variational.linreg_posterior(Xs, ys, 0.3, A)
mu_q, var_q = m_post + 0.05, 1 / torch.diagonal(torch.linalg.inv(S_post))  # some mean-field q
elbo = variational.elbo_linreg(Xs, ys, 0.3, mu_q, var_q, A)
kl_post = torch.distributions.kl_divergence(torch.distributions.MultivariateNormal(mu_q, torch.diag(var_q)),
                                            torch.distributions.MultivariateNormal(m_post, S_post))
print(f"log p(D|h) = {variational.linreg_log_evidence(Xs, ys, 0.3, A).item():.4f};",
      f"ELBO + KL(q || p(w|D,h)) = {elbo.item():.4f} + {kl_post.item():.4f} = {(elbo + kl_post).item():.4f}")

# %% [markdown] lang="en"
# ### Graves' method for a network
#
# Graves uses a mean-field $q(\mathbf{w}) = \prod_i \mathcal{N}(\mu_i, \sigma_i^2)$ and minimises the description
# length by gradient descent in $\boldsymbol{\mu}, \boldsymbol{\sigma}$. He estimated the gradient of the error
# term from sampled weights, with the second derivatives replaced by squared gradients; we use the later, unbiased
# **reparameterisation trick** (Kingma & Welling 2014): $\mathbf{w} = \boldsymbol{\mu} + \boldsymbol{\sigma} \odot
# \boldsymbol{\varepsilon}$, $\boldsymbol{\varepsilon} \sim \mathcal{N}(\mathbf{0}, \mathbf{I})$, one draw per step,
# the KL in closed form (`variational.elbo_mc`). After training Graves prunes the weights whose **relative density**
#
# $$\rho_i = \frac{q(0)}{q(\mu_i)} = \exp\Big(-\frac{\mu_i^2}{2\sigma_i^2}\Big)$$
#
# (Graves writes $\lambda_i$; we write $\rho_i$, as in section 5, because $\lambda$ is a metaparameter in this course)
# is largest: the posterior hardly distinguishes them from zero. Note what this criterion uses that magnitude does
# not: a large weight with a large uncertainty can go, a small but certain one stays.
#
# We train $q$ for both weight matrices of a ReLU MLP (64 → 32 → 10); the biases are point estimates; the prior is
# $\mathcal{N}(0, \sigma_p^2)$ with $\sigma_p$ the spread of the weights of a network trained normally. Graves also
# adapts the prior: for a fixed $q$ and a zero prior mean the best $\sigma_p^2$ is $\overline{\mu^2 + \sigma^2}$
# (section 5 meets this minimiser again).

# %% [markdown] lang="ru"
# ### Метод Graves для нейросети
#
# Graves берёт полностью факторизованное $q(\mathbf{w}) = \prod_i \mathcal{N}(\mu_i, \sigma_i^2)$ и минимизирует
# длину описания градиентным спуском по $\boldsymbol{\mu}, \boldsymbol{\sigma}$. Градиент слагаемого ошибки он
# оценивал по выборкам весов, заменяя вторые производные квадратами градиентов; мы используем появившийся позже
# несмещённый **приём репараметризации** (Kingma и Welling, 2014): $\mathbf{w} = \boldsymbol{\mu} +
# \boldsymbol{\sigma} \odot \boldsymbol{\varepsilon}$, $\boldsymbol{\varepsilon} \sim \mathcal{N}(\mathbf{0},
# \mathbf{I})$, по одной выборке на шаг, дивергенция — в явном виде (`variational.elbo_mc`). После обучения Graves
# удаляет веса с наибольшей **относительной плотностью**
#
# $$\rho_i = \frac{q(0)}{q(\mu_i)} = \exp\Big(-\frac{\mu_i^2}{2\sigma_i^2}\Big)$$
#
# (у Graves — $\lambda_i$; мы пишем $\rho_i$, как в разделе 5, потому что $\lambda$ в курсе — метапараметр):
#
# апостериорное распределение почти не отличает такие веса от нуля. Этот критерий учитывает то, чего не видит модуль, —
# неопределённость: большой вес с большой неопределённостью можно удалить, а малый, но уверенный — остаётся.
#
# Обучим $q$ для обеих матриц весов ReLU-перцептрона (64 → 32 → 10); свободные члены — точечные оценки; априорное
# распределение $\mathcal{N}(0, \sigma_p^2)$, где $\sigma_p$ — разброс весов обычно обученной сети. Graves также
# настраивает априорное распределение: при фиксированном $q$ и нулевом среднем наилучшее $\sigma_p^2$ равно
# $\overline{\mu^2 + \sigma^2}$ (в разделе 5 эта точка минимума встретится снова).

# %%
mlp = training.train_mlp(Xtr, ytr, K, hidden=(32,), epochs=300, lr=0.01, l2=1e-4, seed=0)
NAMES = training.mlp_weight_names(mlp)
SHAPES, SIZES = [mlp[n].shape for n in NAMES], [mlp[n].numel() for n in NAMES]


def unflatten(v):
    """Flat weight vector → {"W1": ..., "W2": ...}."""
    return {n: p.reshape(s) for n, p, s in zip(NAMES, v.split(SIZES), SHAPES)}


flat0 = torch.cat([mlp[n].reshape(-1) for n in NAMES])
PRIOR_SIGMA = flat0.std().item()
mu = flat0.clone().requires_grad_(True)  # start q at the trained weights, σ = 0.1
rho = torch.full_like(mu, math.log(math.expm1(0.1))).requires_grad_(True)  # σ = softplus(ρ) > 0
biases = {k: mlp[k].clone().requires_grad_(True) for k in mlp if k.startswith("b")}
opt = training.Adam([mu, rho, *biases.values()], lr=0.02)
gen = torch.Generator().manual_seed(0)


def log_lik(v):
    """log p(D | w) of the MLP with the weights v (a reparameterised draw)."""
    return -F.cross_entropy(training.mlp_forward({**unflatten(v), **biases}, Xtr), ytr, reduction="sum")


history = []
for step in range(300):
    opt.zero_grad()
    description_length = -variational.elbo_mc(log_lik, mu, F.softplus(rho), 0.0, PRIOR_SIGMA, 1, gen) / len(ytr)
    description_length.backward()
    opt.step()
    history.append(description_length.item())
mu_w, sigma_w = mu.detach(), F.softplus(rho).detach()
posterior_mean = {**unflatten(mu_w), **{k: v.detach() for k, v in biases.items()}}
kl_final = variational.kl_diag_gaussians(mu_w, sigma_w, 0.0, PRIOR_SIGMA).item()
print(tr(f"prior σ_p = {PRIOR_SIGMA:.3f}; description length per example: {history[0]:.3f} → {history[-1]:.3f} nats, "
         f"of which complexity KL/n = {kl_final / len(ytr):.3f}",
         f"σ_p априорного = {PRIOR_SIGMA:.3f}; длина описания на объект: {history[0]:.3f} → {history[-1]:.3f} нат, "
         f"из них сложность KL/n = {kl_final / len(ytr):.3f}"))
print(tr("test accuracy: trained network", "точность на тесте: обычно обученная сеть"),
      f"{training.mlp_accuracy(mlp, Xte, yte):.3f},", tr("posterior mean", "среднее апостериорного"),
      f"{training.mlp_accuracy(posterior_mean, Xte, yte):.3f}")
print(tr("best prior variance for this q: mean(μ² + σ²) =", "наилучшая дисперсия априорного для этого q: mean(μ² + σ²) ="),
      f"{(mu_w ** 2 + sigma_w ** 2).mean().item():.4f}", tr("vs σ_p² =", "против σ_p² ="), f"{PRIOR_SIGMA ** 2:.4f}")

rel_density = variational.relative_density(mu_w, sigma_w)
FRACTIONS = [0.0, 0.25, 0.5, 0.7, 0.8, 0.9, 0.95]
acc_graves = [training.mlp_accuracy({**posterior_mean, **unflatten(mu_w * variational.graves_mask(mu_w, sigma_w, f))},
                                    Xte, yte) for f in FRACTIONS]
fig, axes = plt.subplots(1, 3, figsize=(13, 3.4))
axes[0].plot(history)
axes[0].set_xlabel(tr("Adam step", "шаг Adam"))
axes[0].set_ylabel(tr("description length / n, nats", "длина описания / n, нат"))
axes[1].hist(torch.log10(rel_density).clamp_min(-6).numpy(), bins=48, color="tab:blue")  # ρ < 10⁻⁶ drawn at −6
axes[1].set_yscale("log")
axes[1].set_xlabel(tr("log₁₀ relative density ρ, cut at −6 (right: removable)",
                      "log₁₀ относительной плотности ρ, обрезан на −6 (справа — можно удалить)"))
axes[2].plot(100 * np.array(FRACTIONS), acc_graves, "o-")
axes[2].set_xlabel(tr("weights removed by largest ρ, %", "удалено весов с наибольшей ρ, %"))
axes[2].set_ylabel(tr("test accuracy", "точность на тесте"))
for ax in axes:
    ax.grid(alpha=0.3)
plt.tight_layout()
plt.show()
print(tr("share of weights with ρ > 0.5:", "доля весов с ρ > 0.5:"), f"{(rel_density > 0.5).double().mean().item():.2f};",
      tr("accuracy at", "точность при"), ", ".join(f"{100 * f:.0f} %: {a:.3f}" for f, a in zip(FRACTIONS, acc_graves)))

# %% [markdown] lang="en"
# The relative densities spread over many orders of magnitude, and a large share of the weights (printed above: the
# share with $\rho > 0.5$) sits near $\rho = 1$: the description length made them cheap by putting their
# posterior over zero. How this criterion compares with
# magnitude and random pruning is practice assignment 2's question.
#
# **Widget.** Remove every weight whose relative density exceeds a threshold; see the share removed, the accuracy
# and what survives in the first layer (each hidden unit's weights as an image).

# %% [markdown] lang="ru"
# Относительные плотности разбросаны на много порядков, и большая доля весов (напечатана выше: доля с
# $\rho > 0.5$) находится около $\rho = 1$: длина описания сделала их дешёвыми, поместив их апостериорное
# распределение на ноль. Как этот критерий соотносится с
# удалением по модулю и случайным удалением — вопрос практического задания 2.
#
# **Виджет.** Удалите все веса, у которых относительная плотность больше порога; посмотрите на долю удалённых весов,
# точность и на то, что осталось в первом слое (веса каждого скрытого нейрона как изображение).

# %%
def prune_by_density(log10_threshold=-1.0):
    keep = rel_density <= 10 ** log10_threshold
    params = {**posterior_mean, **unflatten(mu_w * keep)}
    W1 = params["W1"]
    h, wd = data.image_shape
    mosaic = W1.reshape(4, W1.shape[0] // 4, h, wd).permute(0, 2, 1, 3).reshape(4 * h, -1)
    vmax = W1.abs().max().item() or 1.0
    fig, ax = plt.subplots(figsize=(8, 4.2))
    ax.imshow(mosaic.numpy(), cmap="bwr", vmin=-vmax, vmax=vmax)
    ax.set_xticks([])
    ax.set_yticks([])
    ax.set_title(tr(f"ρ > 10^{log10_threshold:g} removed: {1 - keep.double().mean().item():.0%} of the weights, "
                    f"test accuracy {training.mlp_accuracy(params, Xte, yte):.3f}",
                    f"удалены ρ > 10^{log10_threshold:g}: {1 - keep.double().mean().item():.0%} весов, "
                    f"точность на тесте {training.mlp_accuracy(params, Xte, yte):.3f}"), fontsize=10)
    plt.show()


_ = interact(prune_by_density, log10_threshold=w.FloatSlider(value=-1.0, min=-6.0, max=0.0, step=0.25,
                                                             description="log₁₀ ρ"))

# %% [markdown] lang="en"
# ## 2. Bayesian compression: pruning groups (Louizos et al. 2017)
#
# Removing single weights leaves sparse matrices that ordinary hardware does not run faster. Louizos, Ullrich &
# Welling (2017) put one scale $z$ on every **group** of weights (all outgoing weights of a neuron, a convolution
# filter) and remove whole groups — whole neurons.
#
# **Model 1** (normal–Jeffreys, a scale mixture of normals):
#
# $$p(z) \propto \frac{1}{|z|}, \qquad \mathbf{w} \mid z \sim \mathcal{N}(\mathbf{0}, z^2 \mathbf{I}).$$
#
# The prior on the scale is **log-uniform** — uniform in $\log|z|$, so it prefers no scale, and it is improper
# (the 2019 slides write $1/|z|^2$, a slip). The marginal $p(\mathbf{w})$ has a pole at zero and heavy tails: it
# pushes small groups to zero and leaves large ones. Variational family: $q(z) = \mathcal{N}(\mu_z, \sigma_z^2)$,
# $q(\mathbf{w} \mid z) = \mathcal{N}(z\boldsymbol{\mu}, z^2\boldsymbol{\sigma}^2)$. A group is removed when
#
# $$\log \sigma_z - \log |\mu_z| > t:$$
#
# its multiplicative noise dominates its scale. The paper thresholds $\log\alpha = 2(\log\sigma_z - \log|\mu_z|)$,
# where $\alpha = \sigma_z^2/\mu_z^2$ is the parameter of Gaussian dropout (the odds $p/(1-p)$; the paper's letter,
# not the precision of lecture 0), at 3, i.e. $t = 1.5$.
#
# **Model 2** (group horseshoe, a half-Cauchy scale mixture):
#
# $$s \sim \mathcal{C}^+(0, \tau_0),\quad z_i \sim \mathcal{C}^+(0, 1),\quad \hat{w}_{ij} \sim
# \mathcal{N}(0, 1),\quad w_{ij} = s\, z_i\, \hat{w}_{ij};$$
#
# $s$ is a global scale shared by the layer ($\tau_0$ its prior scale), $z_i$ the scale of group $i$. Variational
# family: $q(s) = \mathcal{LN}(\mu_s, \sigma_s^2)$, $q(z_i) = \mathcal{LN}(\mu_{z_i}, \sigma_{z_i}^2)$ (log-normal). The
# half-Cauchy has a tall peak at zero and heavy tails: small groups are shrunk hard, large ones are left alone. A
# group is removed when its posterior scale $s z_i$ is negligible; we threshold $\mathbb{E}_q \log(s z_i) = \mu_s +
# \mu_{z_i}$.
#
# The cell draws the two scale densities, a draw of a layer from model 2's prior, and applies both criteria to six
# groups with given variational parameters (a worked example: compute each criterion by hand and compare).

# %% [markdown] lang="ru"
# ## 2. Байесовское сжатие: удаление групп (Louizos и др., 2017)
#
# Удаление отдельных весов оставляет разреженные матрицы, которые обычное оборудование быстрее не считает.
# Louizos, Ullrich и Welling (2017) вводят один масштаб $z$ на каждую **группу** весов (все исходящие веса нейрона,
# фильтр свёртки) и удаляют группы целиком — целые нейроны.
#
# **Модель 1** (нормальное распределение с априорным распределением Джеффриса на масштабе, смесь нормальных
# распределений по масштабу):
#
# $$p(z) \propto \frac{1}{|z|}, \qquad \mathbf{w} \mid z \sim \mathcal{N}(\mathbf{0}, z^2 \mathbf{I}).$$
#
# Априорное распределение масштаба **логарифмически равномерно** — равномерно по $\log|z|$, то есть не
# предпочитает никакого масштаба, и несобственное (в слайдах 2019 года записано $1/|z|^2$ — описка). Маргинальное
# распределение $p(\mathbf{w})$ имеет полюс в нуле и тяжёлые хвосты: оно прижимает малые группы к нулю и не
# трогает большие. Вариационное семейство: $q(z) = \mathcal{N}(\mu_z, \sigma_z^2)$, $q(\mathbf{w} \mid z) =
# \mathcal{N}(z\boldsymbol{\mu}, z^2\boldsymbol{\sigma}^2)$. Группа удаляется, если
#
# $$\log \sigma_z - \log |\mu_z| > t:$$
#
# мультипликативный шум группы превосходит её масштаб. В статье порог ставится на $\log\alpha = 2(\log\sigma_z -
# \log|\mu_z|)$, где $\alpha = \sigma_z^2/\mu_z^2$ — параметр гауссовского дропаута (отношение $p/(1-p)$; буква
# статьи, не точность из лекции 0), и равен 3, то есть $t = 1.5$.
#
# **Модель 2** (групповое распределение «подкова», horseshoe, смесь по масштабу с полукошиевским распределением):
#
# $$s \sim \mathcal{C}^+(0, \tau_0),\quad z_i \sim \mathcal{C}^+(0, 1),\quad \hat{w}_{ij} \sim
# \mathcal{N}(0, 1),\quad w_{ij} = s\, z_i\, \hat{w}_{ij};$$
#
# $s$ — общий масштаб слоя ($\tau_0$ — его априорный масштаб), $z_i$ — масштаб группы $i$. Вариационное семейство:
# $q(s) = \mathcal{LN}(\mu_s, \sigma_s^2)$, $q(z_i) = \mathcal{LN}(\mu_{z_i}, \sigma_{z_i}^2)$ (логнормальные).
# У полукошиевского распределения высокий пик в нуле и тяжёлые хвосты: малые группы сильно сжимаются к нулю, большие
# почти не затрагиваются. Группа удаляется, если её апостериорный масштаб $s z_i$ пренебрежимо мал; мы сравниваем с
# порогом величину $\mathbb{E}_q \log(s z_i) = \mu_s + \mu_{z_i}$.
#
# Ячейка рисует две плотности масштаба, выборку слоя из априорного распределения модели 2 и применяет оба
# критерия к шести группам с заданными вариационными параметрами (разобранный пример: вычислите каждый критерий
# вручную и сравните).

# %%
t = torch.linspace(0.01, 8, 400)
fig, axes = plt.subplots(1, 2, figsize=(11, 3.2))
for dist, name in [(torch.distributions.HalfCauchy(1.0), tr("half-Cauchy C⁺(0, 1)", "полукошиевское C⁺(0, 1)")),
                   (torch.distributions.HalfNormal(1.0), tr("half-normal", "полунормальное"))]:
    axes[0].semilogy(t.numpy(), dist.log_prob(t).exp().numpy(), label=name)
axes[0].semilogy(t.numpy(), (1 / t).numpy() / 4, "--", label=tr("log-uniform ∝ 1/z (scaled)", "лог-равномерное ∝ 1/z (в масштабе)"))
axes[0].set_xlabel("z")
axes[0].set_ylabel(tr("density (log scale)", "плотность (лог. шкала)"))
axes[0].legend(fontsize=8)
hs = pruning.sample_horseshoe_weights(12, 30, global_scale=1.0, generator=torch.Generator().manual_seed(1))
vmax = hs.abs().quantile(0.95).item()
axes[1].imshow(hs.numpy(), cmap="bwr", vmin=-vmax, vmax=vmax, aspect="auto")
axes[1].set_xlabel(tr("weight j in the group", "вес j в группе"))
axes[1].set_ylabel(tr("group i", "группа i"))
axes[1].set_title(tr("a draw of w_ij = s z_i ŵ_ij: whole rows near zero", "выборка w_ij = s z_i ŵ_ij: целые строки около нуля"),
                  fontsize=9)
plt.tight_layout()
plt.show()

mu_z = torch.tensor([1.2, 0.05, -0.8, 0.3, 0.01, 2.0])
sigma_z = torch.tensor([0.2, 0.4, 0.1, 1.5, 0.02, 0.5])
print(tr("model 1, log σ_z − log|μ_z| per group:", "модель 1, log σ_z − log|μ_z| по группам:"),
      np.round(pruning.group_log_dropout(mu_z, sigma_z).numpy(), 2),
      tr("→ kept at t = 1.5:", "→ остаются при t = 1.5:"), pruning.jeffreys_group_mask(mu_z, sigma_z, 1.5).tolist())
mu_s, mu_zi = -0.5, torch.tensor([0.3, -3.0, 0.1, -1.0, -4.5, 1.2])
print(tr("model 2, μ_s + μ_zi per group:", "модель 2, μ_s + μ_zi по группам:"),
      np.round(pruning.horseshoe_group_log_scale(mu_s, mu_zi).numpy(), 2),
      tr("→ kept at threshold −3:", "→ остаются при пороге −3:"), pruning.horseshoe_group_mask(mu_s, mu_zi, -3.0).tolist())

# %% [markdown] lang="en"
# Group 4 of model 1 ($\mu_z = 0.3$, $\sigma_z = 1.5$) is removed although its mean scale is not small: its noise is
# five times its scale, $\log 5 = 1.61 > 1.5$. Group 5 ($\mu_z = 0.01$, $\sigma_z = 0.02$) is kept although its
# scale is tiny: the ratio is only 2, $\log 2 = 0.69$. Model 1 judges a group by its signal-to-noise ratio, not by
# its size; model 2 thresholds the size of the scale itself.

# %% [markdown] lang="ru"
# Группа 4 в модели 1 ($\mu_z = 0.3$, $\sigma_z = 1.5$) удаляется, хотя её средний масштаб не мал: шум в пять раз
# больше масштаба, $\log 5 = 1.61 > 1.5$. Группа 5 ($\mu_z = 0.01$, $\sigma_z = 0.02$) остаётся, хотя её масштаб
# крошечный: отношение всего 2, $\log 2 = 0.69$. Модель 1 судит о группе по отношению сигнала к шуму, а не по
# величине; модель 2 сравнивает с порогом сам масштаб.

# %% [markdown] lang="en"
# ## 3. A prior over structure: the Indian buffet process
#
# Adams, Wallach & Ghahramani (2010) treat the connections of a deep network as a random binary matrix $Z$ (rows:
# units of one layer, columns: units of the next) with the two-parameter **Indian buffet process** prior
# (Griffiths & Ghahramani 2005; two parameters: Ghahramani, Griffiths & Sollich 2007), one such process per pair of
# layers (the *cascading* IBP). Here $\alpha$ and $\beta$ are the letters of the IBP papers, not the prior precision
# $\alpha$ of lecture 0. A restaurant has finitely many customers and infinitely many dishes: the customers are the
# units of one layer, the dishes the potential units of the next, and "customer $j$ takes dish $k$" means "unit $j$
# is connected to unit $k$". Customer $j$ takes each dish $k$ already tasted with probability
#
# $$\frac{m_k}{j + \beta - 1},$$
#
# where $m_k$ is the number of previous customers who took it (its popularity), and then
# $\mathrm{Poisson}\big(\frac{\alpha\beta}{j + \beta - 1}\big)$ new dishes. The number of dishes of
# every customer is $\mathrm{Poisson}(\alpha)$ (so $\alpha$ on average), and the expected number of distinct
# dishes after $N$ customers is
#
# $$\mathbb{E}K_+ = \alpha \sum_{j=1}^{N} \frac{\beta}{\beta + j - 1}.$$
#
# $\alpha$ sets how many dishes each customer takes; $\beta$ how much they share ($\beta \to 0$: all eat the same;
# large $\beta$: everyone takes new ones). The number of units of the next layer, $K_+$, is not fixed in advance: it
# is finite for any finite layer and grows with the data as needed. The paper samples structure and parameters from
# their posterior by MCMC. **Main conclusion: the structure can be treated as a random variable and handled by
# probabilistic methods.**
#
# *Worked example.* $N = 3$, $\alpha = 1$, $\beta = 1$: $\mathbb{E}K_+ = 1 + \frac12 + \frac13 = 1.83$; with
# $\beta = 2$: $1 + \frac23 + \frac24 = 2.17$ — more sharing is less likely, so more distinct dishes. Below: the five
# settings of the 2019 slides, and a check of $\mathbb{E}K_+$ by simulation.

# %% [markdown] lang="ru"
# ## 3. Априорное распределение на структурах: индийский буфетный процесс
#
# Adams, Wallach и Ghahramani (2010) рассматривают связи глубокой сети как случайную бинарную матрицу $Z$ (строки —
# нейроны одного слоя, столбцы — следующего) с априорным **двухпараметрическим индийским буфетным процессом**
# (Griffiths и Ghahramani, 2005; два параметра — Ghahramani, Griffiths, Sollich, 2007), по одному такому процессу
# на каждую пару соседних слоёв (*каскадный* IBP). Здесь $\alpha$ и $\beta$ — обозначения статей об IBP, а не
# точность априорного распределения $\alpha$ из лекции 0. В ресторане конечное число посетителей и бесконечное
# число блюд: посетители — это нейроны одного слоя, блюда — возможные нейроны следующего, а «посетитель $j$ взял
# блюдо $k$» означает «нейрон $j$ связан с нейроном $k$». $j$-й посетитель берёт каждое уже опробованное блюдо $k$ с вероятностью
#
# $$\frac{m_k}{j + \beta - 1},$$
#
# где $m_k$ — число предыдущих посетителей, выбравших это блюдо (его популярность), а затем ещё
# $\mathrm{Poisson}\big(\frac{\alpha\beta}{j + \beta - 1}\big)$ новых блюд. Число блюд каждого посетителя
# распределено как $\mathrm{Poisson}(\alpha)$ (в среднем $\alpha$), а ожидаемое число различных блюд
# после $N$ посетителей равно
#
# $$\mathbb{E}K_+ = \alpha \sum_{j=1}^{N} \frac{\beta}{\beta + j - 1}.$$
#
# $\alpha$ задаёт, сколько блюд берёт каждый, $\beta$ — насколько посетители делят блюда ($\beta \to 0$: все едят
# одно и то же; большое $\beta$: каждый берёт новое). Число нейронов следующего слоя $K_+$ не фиксируется
# заранее: оно конечно при конечном слое и растёт вместе с данными по мере надобности. В статье структура и
# параметры выбираются из апостериорного распределения методом MCMC. **Главный вывод: структуру можно рассматривать как случайную величину и применять к ней вероятностные методы.**
#
# *Разобранный пример.* $N = 3$, $\alpha = 1$, $\beta = 1$: $\mathbb{E}K_+ = 1 + \frac12 + \frac13 = 1.83$; при
# $\beta = 2$: $1 + \frac23 + \frac24 = 2.17$ — делить блюда менее вероятно, поэтому различных блюд больше. Ниже —
# пять настроек из слайдов 2019 года и проверка $\mathbb{E}K_+$ моделированием.

# %%
print(tr("worked example, N = 3:", "разобранный пример, N = 3:"),
      f"E K₊(α=1, β=1) = {structure.ibp_expected_dishes(3, 1.0, 1.0):.2f}, "
      f"E K₊(α=1, β=2) = {structure.ibp_expected_dishes(3, 1.0, 2.0):.2f}")
structure.plot_ibp(structure.SLIDE_SETTINGS, n_customers=40, seed=0, tr=tr)
plt.tight_layout()
plt.show()
gen = torch.Generator().manual_seed(0)
for a, bta in structure.SLIDE_SETTINGS:
    ks = [structure.sample_ibp(40, a, bta, gen).shape[1] for _ in range(40)]
    print(f"α = {a:g}, β = {bta:g}: " + tr("mean K₊ over 40 draws", "среднее K₊ по 40 выборкам"),
          f"{np.mean(ks):.2f} ± {np.std(ks) / np.sqrt(40):.2f}, α Σ β/(β+j−1) = {structure.ibp_expected_dishes(40, a, bta):.2f}")


# %%
def show_ibp(alpha=1.0, beta=1.0):
    fig, ax = plt.subplots(figsize=(4, 4))
    structure.plot_ibp([(alpha, beta)], n_customers=40, seed=1, tr=tr, axes=[ax])
    plt.show()


_ = interact(show_ibp, alpha=w.FloatSlider(value=1.0, min=0.25, max=4.0, step=0.25, description="α"),
             beta=w.FloatSlider(value=1.0, min=0.25, max=4.0, step=0.25, description="β"))

# %% [markdown] lang="en"
# ## 4. The variational bound with a structure $\Gamma$
#
# Let the prior of the parameters depend on the structure, $\mathbf{w} \sim p(\mathbf{w} \mid \Gamma,
# \mathbf{h})$, and approximate the posterior by $q(\mathbf{w}, \Gamma) = q(\Gamma)\, q(\mathbf{w} \mid \Gamma)$.
# By the chain rule of the KL divergence the variational bound is
#
# $$\log p(\mathbf{y} \mid \mathbf{X}, \mathbf{h}) \ge \mathbb{E}_{q(\Gamma)}\mathbb{E}_{q(\mathbf{w} \mid \Gamma)}
# \log p(\mathbf{y} \mid \mathbf{X}, \mathbf{w}, \Gamma) - \mathrm{KL}\big(q(\Gamma) \,\|\, p(\Gamma \mid
# \mathbf{h})\big) - \mathbb{E}_{q(\Gamma)}\, \mathrm{KL}\big(q(\mathbf{w} \mid \Gamma) \,\|\, p(\mathbf{w} \mid
# \Gamma, \mathbf{h})\big).$$
#
# For a small discrete $\Gamma$ the expectation over $q(\Gamma)$ is a finite sum; in general it is replaced by a
# **relaxation**: $\Gamma$ is drawn from a continuous relaxed Bernoulli (Gumbel-softmax, binary concrete)
# distribution with temperature $\tau$, $\tilde\Gamma = \sigma\big((\operatorname{logit}\pi +
# \log u - \log(1-u))/\tau\big)$, $u \sim U(0, 1)$, which allows gradients in $\pi$. The
# temperature is a metaparameter: as it falls, the relaxed bound approaches the exact one (and the gradient
# variance grows).
#
# *Worked example* (used again in section 6): linear regression $y = \mathbf{x}^\top(\Gamma \odot \mathbf{w}) +
# \varepsilon$ with 6 switchable weights, $2^6 = 64$ structures; $q(\Gamma) = \prod_i \mathrm{Bern}(\pi_i)$,
# $p(\Gamma \mid \mathbf{h}) = \prod_i \mathrm{Bern}(h)$; a switched-off weight follows its prior. The cell computes
# the exact bound by enumeration and the relaxed estimate at several temperatures.

# %% [markdown] lang="ru"
# ## 4. Вариационная нижняя оценка со структурой $\Gamma$
#
# Пусть априорное распределение параметров зависит от структуры, $\mathbf{w} \sim p(\mathbf{w} \mid \Gamma,
# \mathbf{h})$, а апостериорное приближается распределением $q(\mathbf{w}, \Gamma) = q(\Gamma)\, q(\mathbf{w} \mid
# \Gamma)$. По цепному правилу для дивергенции Кульбака — Лейблера вариационная нижняя оценка имеет вид
#
# $$\log p(\mathbf{y} \mid \mathbf{X}, \mathbf{h}) \ge \mathbb{E}_{q(\Gamma)}\mathbb{E}_{q(\mathbf{w} \mid \Gamma)}
# \log p(\mathbf{y} \mid \mathbf{X}, \mathbf{w}, \Gamma) - \mathrm{KL}\big(q(\Gamma) \,\|\, p(\Gamma \mid
# \mathbf{h})\big) - \mathbb{E}_{q(\Gamma)}\, \mathrm{KL}\big(q(\mathbf{w} \mid \Gamma) \,\|\, p(\mathbf{w} \mid
# \Gamma, \mathbf{h})\big).$$
#
# Для небольшой дискретной структуры математическое ожидание по $q(\Gamma)$ — конечная сумма; в общем случае его
# заменяют **релаксацией**: $\Gamma$ заменяют выборкой из непрерывного релаксированного распределения Бернулли
# (Gumbel-softmax, бинарное конкретное распределение) с температурой $\tau$,
# $\tilde\Gamma = \sigma\big((\operatorname{logit}\pi + \log u - \log(1-u))/\tau\big)$,
# $u \sim U(0, 1)$, что позволяет дифференцировать по $\pi$. Температура — метапараметр: при её уменьшении
# релаксированная оценка приближается к точной (а дисперсия градиента растёт).
#
# *Разобранный пример* (он понадобится снова в разделе 6): линейная регрессия $y = \mathbf{x}^\top(\Gamma \odot
# \mathbf{w}) + \varepsilon$ с 6 отключаемыми весами, $2^6 = 64$ структуры; $q(\Gamma) = \prod_i
# \mathrm{Bern}(\pi_i)$, $p(\Gamma \mid \mathbf{h}) = \prod_i \mathrm{Bern}(h)$; отключённый вес следует своему
# априорному распределению. Ячейка вычисляет точную оценку перебором и релаксированную при нескольких температурах.

# %%
g = torch.Generator().manual_seed(2)
Xg = torch.randn(30, 6, generator=g, dtype=torch.float64)
yg = Xg @ torch.tensor([2.0, 0.0, -1.0, 0.0, 0.5, 0.0], dtype=torch.float64) + 0.3 * torch.randn(30, generator=g,
                                                                                                dtype=torch.float64)
mu_g = torch.tensor([1.9, 0.1, -1.0, 0.05, 0.45, 0.0], dtype=torch.float64)  # q(w_i | Γ_i = 1) = N(μ_i, 0.1²)
terms = variational.gated_linreg_terms(Xg, yg, 0.3, mu_g, torch.full((6,), 0.1, dtype=torch.float64), 1.0)
pi_q = torch.tensor([0.95, 0.2, 0.9, 0.3, 0.7, 0.1], dtype=torch.float64)
pi_p = torch.full((6,), 0.5, dtype=torch.float64)
exact = variational.structure_bound_exact(terms, pi_q, pi_p).item()
temps = np.logspace(-2, 0.5, 8)
relaxed = [variational.structure_bound_relaxed(terms, pi_q, pi_p, float(tau), 20000,
                                               torch.Generator().manual_seed(0)).item() for tau in temps]
fig, ax = plt.subplots(figsize=(6, 3))
ax.semilogx(temps, relaxed, "o-", label=tr("relaxed (Monte Carlo)", "релаксированная (Монте-Карло)"))
ax.axhline(exact, color="k", ls="--", label=tr("exact (enumeration of 64 structures)", "точная (перебор 64 структур)"))
ax.set_xlabel(tr("temperature", "температура"))
ax.set_ylabel(tr("variational bound", "вариационная оценка"))
ax.legend(fontsize=8)
plt.show()
print(tr("exact bound", "точная оценка"), f"{exact:.3f};", tr("relaxed at τ =", "релаксированная при τ ="),
      ", ".join(f"{tau:.2g}: {v:.3f}" for tau, v in zip(temps[[0, 3, -1]], np.array(relaxed)[[0, 3, -1]])))

# %% [markdown] lang="en"
# ## 5. Parametric complexity
#
# The **relative variational density** of a parameter compares the density of $q$ at the prior's mode with its
# density at its own mode:
#
# $$\rho(w \mid \Gamma, \theta_w, \mathbf{h}, \boldsymbol{\lambda}) = \frac{q_w\big(\operatorname{mode}
# p(\mathbf{w} \mid \Gamma, \mathbf{h}, \boldsymbol{\lambda})\big)}{q_w(\operatorname{mode} q_w)}, \qquad \rho =
# \prod_{w \in \mathbf{w}} \rho(w \mid \Gamma, \theta_w, \mathbf{h}, \boldsymbol{\lambda}).$$
#
# For a Gaussian $q$ and a zero-mode prior it is Graves' $\exp(-\mu^2/2\sigma^2)$; $\rho \approx 1$ means "the
# parameter sits at the prior's mode: remove it".
#
# **Definition.** The *parametric complexity* of a model is the smallest divergence between the variational
# distribution and the prior,
#
# $$C_p = \min_{\mathbf{h} \in U} \mathrm{KL}\big(q(\mathbf{w}, \Gamma \mid \theta) \,\|\, p(\mathbf{w}, \Gamma \mid
# \mathbf{h}, \boldsymbol{\lambda})\big),$$
#
# $U$ a compact set. **Statement.** If $\lim_{i\to\infty} C_p(\theta[i]) = 0$ for a sequence of variational
# parameters, then $\lim_{i\to\infty} \mathbb{E}_{q(\Gamma)}\, \rho^{-1}(\mathbf{w} \mid \mathbf{h}[i]) = 1$ with
# $\mathbf{h}[i]$ the minimiser: a model of vanishing complexity has all its parameters at the prior's mode — all of
# them can be removed. (The proof, with its assumptions, is theory assignments 2–4.)
#
# *Worked example.* $q = \prod_i \mathcal{N}(\mu_i, \sigma_i^2)$ and the prior $\mathcal{N}(0, h)$ with one shared
# variance $h$. Setting $\partial\mathrm{KL}/\partial h = 0$ gives $h^* = \overline{\mu^2 + \sigma^2}$, and
# substituting it, $C_p = \frac{u}{2}\ln h^* - \sum_i \ln \sigma_i$. For $u = 3$, $\boldsymbol{\mu} = (0.6, 0,
# 0.1)$, $\boldsymbol{\sigma} = (0.2, 0.5, 0.1)$: $h^* = (0.40 + 0.25 + 0.02)/3 = 0.2233$, $C_p = 1.5 \ln 0.2233 -
# \ln(0.2 \cdot 0.5 \cdot 0.1) = -2.2486 + 4.6052 = 2.357$ nats; $\ln\rho = -\sum \mu_i^2/2\sigma_i^2 = -5$, so
# $\rho^{-1} = e^5 \approx 148$. The cell checks these numbers with the library, then moves $q$ towards the prior
# ($\mu \to 0$, $\sigma^2 \to h$) and watches $C_p \to 0$ and $\rho^{-1} \to 1$, and finally computes $C_p$ for the
# posterior of section 1.

# %% [markdown] lang="ru"
# ## 5. Параметрическая сложность
#
# **Относительная вариационная плотность** параметра сравнивает плотность $q$ в моде априорного распределения с
# её плотностью в собственной моде:
#
# $$\rho(w \mid \Gamma, \theta_w, \mathbf{h}, \boldsymbol{\lambda}) = \frac{q_w\big(\operatorname{mode}
# p(\mathbf{w} \mid \Gamma, \mathbf{h}, \boldsymbol{\lambda})\big)}{q_w(\operatorname{mode} q_w)}, \qquad \rho =
# \prod_{w \in \mathbf{w}} \rho(w \mid \Gamma, \theta_w, \mathbf{h}, \boldsymbol{\lambda}).$$
#
# Для гауссовского $q$ и априорного распределения с модой в нуле это величина Graves $\exp(-\mu^2/2\sigma^2)$;
# $\rho \approx 1$ означает «параметр находится в моде априорного распределения — его можно удалить».
#
# **Определение.** *Параметрической сложностью* модели называется минимальная дивергенция между вариационным и
# априорным распределениями:
#
# $$C_p = \min_{\mathbf{h} \in U} \mathrm{KL}\big(q(\mathbf{w}, \Gamma \mid \theta) \,\|\, p(\mathbf{w}, \Gamma \mid
# \mathbf{h}, \boldsymbol{\lambda})\big),$$
#
# где $U$ — некоторый компакт. **Утверждение.** Если для последовательности вариационных параметров
# $\lim_{i\to\infty} C_p(\theta[i]) = 0$, то $\lim_{i\to\infty} \mathbb{E}_{q(\Gamma)}\, \rho^{-1}(\mathbf{w}
# \mid \mathbf{h}[i]) = 1$, где $\mathbf{h}[i]$ — точка минимума: у модели исчезающей сложности все параметры
# находятся в моде априорного распределения — все их можно удалить. (Доказательство и его условия — теоретические
# задания 2–4.)
#
# *Разобранный пример.* $q = \prod_i \mathcal{N}(\mu_i, \sigma_i^2)$ и априорное распределение $\mathcal{N}(0, h)$
# с общей дисперсией $h$. Из условия $\partial\mathrm{KL}/\partial h = 0$ получаем $h^* = \overline{\mu^2 +
# \sigma^2}$, а после подстановки $C_p = \frac{u}{2}\ln h^* - \sum_i \ln \sigma_i$. Для $u = 3$,
# $\boldsymbol{\mu} = (0.6, 0, 0.1)$, $\boldsymbol{\sigma} = (0.2, 0.5, 0.1)$:
# $h^* = (0.40 + 0.25 + 0.02)/3 = 0.2233$,
# $C_p = 1.5 \ln 0.2233 - \ln(0.2 \cdot 0.5 \cdot 0.1) = -2.2486 + 4.6052 = 2.357$ нат;
# $\ln\rho = -\sum \mu_i^2/2\sigma_i^2 = -5$, то есть $\rho^{-1} = e^5 \approx 148$. Ячейка проверяет эти числа
# библиотекой, затем сдвигает $q$ к априорному распределению ($\mu \to 0$, $\sigma^2 \to h$) и следит, как $C_p \to 0$ и $\rho^{-1}
# \to 1$, и наконец вычисляет $C_p$ для апостериорного распределения из раздела 1.

# %%
mu3 = torch.tensor([0.6, 0.0, 0.1], dtype=torch.float64)
sigma3 = torch.tensor([0.2, 0.5, 0.1], dtype=torch.float64)
cp3, h3 = variational.parametric_complexity(mu3, sigma3)
log_rho3 = variational.log_relative_variational_density(mu3, sigma3).sum()
print(tr("worked example:", "разобранный пример:"), f"h* = {h3.item():.4f}, C_p = {cp3.item():.3f}",
      tr("(by hand: 1.5 ln h* − Σ ln σ =", "(вручную: 1.5 ln h* − Σ ln σ ="),
      f"{(1.5 * torch.log(h3) - torch.log(sigma3).sum()).item():.3f}), ln ρ = {log_rho3.item():.2f},",
      f"ρ⁻¹ = {torch.exp(-log_rho3).item():.1f}")
s_target = 0.3  # move q towards the prior member N(0, 0.3²)
print(tr("  t    C_p      ρ⁻¹   (q_t: μ = (1−t)μ, σ = (1−t)σ + t·0.3)",
         "  t    C_p      ρ⁻¹   (q_t: μ = (1−t)μ, σ = (1−t)σ + t·0.3)"))
for t_ in (0.0, 0.5, 0.9, 0.99, 0.999):
    mu_t, sigma_t = (1 - t_) * mu3, (1 - t_) * sigma3 + t_ * s_target
    cp_t, _ = variational.parametric_complexity(mu_t, sigma_t)
    inv_rho = torch.exp(-variational.log_relative_variational_density(mu_t, sigma_t).sum())
    print(f"  {t_:<5g} {cp_t.item():.5f}  {inv_rho.item():.4f}")

cp, h_star = variational.parametric_complexity(mu_w, sigma_w)
cp_w, _ = variational.parametric_complexity(mu_w, sigma_w, per_weight=True)
log_rho = variational.log_relative_variational_density(mu_w, sigma_w)
print(tr("posterior of section 1:", "апостериорное распределение из раздела 1:"),
      f"u = {mu_w.numel()}, C_p = {cp.item():.1f} " + tr("nats", "нат"), f"(h* = {h_star.item():.4f});",
      tr("with a prior variance per weight", "с дисперсией априорного распределения на каждый вес"),
      f"C_p = {cp_w.item():.1f};", f"ln ρ = Σ ln ρ(w) = {log_rho.sum().item():.0f}")

# %% [markdown] lang="en"
# A richer prior family (a variance per weight) can only lower $C_p$: the minimum is over a larger set. Each
# weight's share of it is $\frac12\ln(1 + \mu_i^2/\sigma_i^2)$ — zero exactly when $\mu_i = 0$, the weights with
# relative density near 1 that Graves removes.

# %% [markdown] lang="ru"
# Более богатое семейство априорных распределений (своя дисперсия на каждый вес) может только уменьшить $C_p$:
# минимум берётся по большему множеству. Вклад каждого веса равен $\frac12\ln(1 + \mu_i^2/\sigma_i^2)$ — он равен
# нулю ровно при $\mu_i = 0$, то есть у весов с относительной плотностью около 1, которые Graves и удаляет.

# %% [markdown] lang="en"
# ## 6. What should a "good" optimisation function do?
#
# Requirements to the function optimised in model selection (Bakhteev & Strijov): for some values of the
# metaparameters it
# 1. approximates the **maximum likelihood** method;
# 2. penalises **overly complex models**;
# 3. approximates the **evidence** of the model;
# 4. allows **moving between the optimal structures** of the model;
# 5. the loss and the validation functions are **continuous in the metaparameters**;
# 6. its domain is **non-trivial**.
#
# Let $L(\theta, \mathbf{h} \mid \boldsymbol{\lambda})$ be the function optimised in the variational parameters
# $\theta$, $\theta(\mathbf{h}) = \arg\max_\theta L$, and $Q(\mathbf{h} \mid \boldsymbol{\lambda}) =
# L(\theta(\mathbf{h}), \mathbf{h} \mid \boldsymbol{\lambda})$.
#
# **Structure-transition criterion 1.** There are a non-trivial constant $K$ and metaparameters
# $\boldsymbol{\lambda}$ such that for any pair of local optima $\mathbf{h}_1, \mathbf{h}_2$ with variational
# parameters $\theta(\mathbf{h}_1), \theta(\mathbf{h}_2)$ such that
# $\mathrm{KL}(q(\Gamma \mid \theta_1) \,\|\, q(\Gamma \mid \theta_2)) > K$,
# $\mathrm{KL}(q(\Gamma \mid \theta_2) \,\|\, q(\Gamma \mid \theta_1)) > K$ and
# $Q(\mathbf{h}_1 \mid \boldsymbol{\lambda}) > Q(\mathbf{h}_2 \mid \boldsymbol{\lambda})$, there is a
# $\boldsymbol{\lambda}'$ such that (1) the correspondences $\mathbf{h}_k \mapsto \theta(\mathbf{h}_k)$ are
# preserved and (2) $Q(\mathbf{h}_1 \mid \boldsymbol{\lambda}') < Q(\mathbf{h}_2 \mid \boldsymbol{\lambda}')$.
#
# **Criterion 2** is the same with the divergences between the *priors* over structures,
# $\mathrm{KL}(p(\Gamma \mid \mathbf{h}_1) \,\|\, p(\Gamma \mid \mathbf{h}_2)) > K$ and
# $\mathrm{KL}(p(\Gamma \mid \mathbf{h}_2) \,\|\, p(\Gamma \mid \mathbf{h}_1)) > K$.
#
# In words: changing the metaparameters must be able to reverse the preference between two structurally different
# optima — criterion 1 measures "different" by the posteriors over structures, criterion 2 by the priors.
#
# *Worked example.* Take the gated regression of section 4 and a complexity weight $\lambda$:
#
# $$L(\theta, h \mid \lambda) = \mathbb{E}_{q}\log p(\mathbf{y} \mid \mathbf{X}, \mathbf{w}, \Gamma) -
# \lambda\Big[\mathrm{KL}\big(q(\Gamma) \,\|\, p(\Gamma \mid h)\big) + \mathbb{E}_{q(\Gamma)}\mathrm{KL}\big(q(\mathbf{w}
# \mid \Gamma) \,\|\, p(\mathbf{w} \mid \Gamma)\big)\Big],$$
#
# $\theta = \boldsymbol{\pi}$ (the inclusion probabilities of $q(\Gamma)$; $q(\mathbf{w} \mid \Gamma)$ as in section
# 4), $h$ the prior inclusion probability. $\lambda = 1$ is the variational bound (requirement 3), $\lambda = 0$ the
# likelihood alone (requirement 1), large $\lambda$ penalises complexity (requirement 2). Two hyperparameters:
# $h_1 = 0.3$ (a sparse prior) and $h_2 = 0.9$ (a dense one), $K = 1$ nat. The cell maximises $L$ over
# $\boldsymbol{\pi}$ for both, for $\lambda$ from 0.03 to 5, computes both pairs of divergences and looks for a
# $\lambda'$ that reverses the order.

# %% [markdown] lang="ru"
# ## 6. Какой должна быть «хорошая» функция оптимизации?
#
# Требования к функции, оптимизируемой при выборе модели (Бахтеев, Стрижов): при некоторых значениях
# метапараметров она
# 1. приближает **метод максимального правдоподобия**;
# 2. штрафует **излишне сложные модели**;
# 3. приближает **обоснованность** модели;
# 4. позволяет **переходить между оптимальными структурами** модели;
# 5. функции потерь и валидации **непрерывны по метапараметрам**;
# 6. область определения функции **нетривиальна**.
#
# Пусть $L(\theta, \mathbf{h} \mid \boldsymbol{\lambda})$ — функция, оптимизируемая по вариационным параметрам
# $\theta$, $\theta(\mathbf{h}) = \arg\max_\theta L$ и $Q(\mathbf{h} \mid \boldsymbol{\lambda}) =
# L(\theta(\mathbf{h}), \mathbf{h} \mid \boldsymbol{\lambda})$.
#
# **Критерий перехода между структурами 1.** Существуют нетривиальная константа $K$ и метапараметры
# $\boldsymbol{\lambda}$, такие что для любой пары локальных оптимумов $\mathbf{h}_1, \mathbf{h}_2$ с
# вариационными параметрами $\theta(\mathbf{h}_1), \theta(\mathbf{h}_2)$, для которых
# $\mathrm{KL}(q(\Gamma \mid \theta_1) \,\|\, q(\Gamma \mid \theta_2)) > K$,
# $\mathrm{KL}(q(\Gamma \mid \theta_2) \,\|\, q(\Gamma \mid \theta_1)) > K$ и
# $Q(\mathbf{h}_1 \mid \boldsymbol{\lambda}) > Q(\mathbf{h}_2 \mid \boldsymbol{\lambda})$, существует значение
# $\boldsymbol{\lambda}'$, при котором (1) соответствия $\mathbf{h}_k \mapsto \theta(\mathbf{h}_k)$ сохраняются и
# (2) $Q(\mathbf{h}_1 \mid \boldsymbol{\lambda}') < Q(\mathbf{h}_2 \mid \boldsymbol{\lambda}')$.
#
# **Критерий 2** — то же самое с дивергенциями между *априорными* распределениями структур:
# $\mathrm{KL}(p(\Gamma \mid \mathbf{h}_1) \,\|\, p(\Gamma \mid \mathbf{h}_2)) > K$ и
# $\mathrm{KL}(p(\Gamma \mid \mathbf{h}_2) \,\|\, p(\Gamma \mid \mathbf{h}_1)) > K$.
#
# Словами: изменение метапараметров должно позволять поменять предпочтение между двумя структурно различными
# оптимумами; критерий 1 измеряет «различие» по апостериорным распределениям структур, критерий 2 — по априорным.
#
# *Разобранный пример.* Возьмём регрессию с отключаемыми весами из раздела 4 и вес сложности $\lambda$:
#
# $$L(\theta, h \mid \lambda) = \mathbb{E}_{q}\log p(\mathbf{y} \mid \mathbf{X}, \mathbf{w}, \Gamma) -
# \lambda\Big[\mathrm{KL}\big(q(\Gamma) \,\|\, p(\Gamma \mid h)\big) + \mathbb{E}_{q(\Gamma)}\mathrm{KL}\big(q(\mathbf{w}
# \mid \Gamma) \,\|\, p(\mathbf{w} \mid \Gamma)\big)\Big],$$
#
# $\theta = \boldsymbol{\pi}$ (вероятности включения в $q(\Gamma)$; $q(\mathbf{w} \mid \Gamma)$ — как в разделе 4),
# $h$ — априорная вероятность включения. При $\lambda = 1$ это вариационная нижняя оценка (требование 3), при
# $\lambda = 0$ — одно правдоподобие (требование 1), большое $\lambda$ штрафует сложность (требование 2). Два
# значения гиперпараметра: $h_1 = 0.3$ (разреживающее априорное распределение) и $h_2 = 0.9$ (плотное), $K = 1$
# нат. Ячейка максимизирует $L$ по $\boldsymbol{\pi}$ для обоих при $\lambda$ от 0,03 до 5, вычисляет обе пары
# дивергенций и ищет $\lambda'$, меняющее порядок.

# %%
from scipy.optimize import minimize

G_all = variational.all_structures(6)
ell_all, klw_all = terms(G_all)  # E log p(y|X, w, Γ) and KL(q(w|Γ) ‖ p(w|Γ)) for each of the 64 structures


def generalised_bound(pi, h, lam):
    """L(π, h | λ): the structure bound with the complexity terms weighted by λ (λ = 1: the variational bound)."""
    log_q = (G_all * torch.log(pi) + (1 - G_all) * torch.log1p(-pi)).sum(1)
    prior = torch.full_like(pi, h)
    return (torch.exp(log_q) * (ell_all - lam * klw_all)).sum() - lam * variational.bernoulli_kl(pi, prior)


def best_pi(h, lam):
    """θ(h) = argmax_π L(π, h | λ) over π = sigmoid(logits) (L-BFGS with autograd gradients)."""
    def neg(z):
        zt = torch.tensor(z, dtype=torch.float64, requires_grad=True)
        value = -generalised_bound(torch.sigmoid(zt).clamp(1e-12, 1 - 1e-12), h, lam)
        value.backward()
        return value.item(), zt.grad.numpy()
    z = minimize(neg, np.zeros(6), jac=True, method="L-BFGS-B", bounds=[(-25, 25)] * 6).x
    pi = torch.sigmoid(torch.tensor(z, dtype=torch.float64)).clamp(1e-12, 1 - 1e-12)
    return pi, generalised_bound(pi, h, lam).item()


check = generalised_bound(pi_q, 0.5, 1.0).item() - exact
print(tr("check: L(π, h = 0.5 | λ = 1) − exact bound of section 4 =", "проверка: L(π, h = 0.5 | λ = 1) − точная оценка раздела 4 ="),
      f"{check:.1e}")
H1, H2, K_NATS = 0.3, 0.9, 1.0
lams = np.logspace(np.log10(0.03), np.log10(5.0), 21)
sweep = [(best_pi(H1, lam_), best_pi(H2, lam_)) for lam_ in lams]
dQ = np.array([q1 - q2 for (_, q1), (_, q2) in sweep])
fig, ax = plt.subplots(figsize=(6.5, 3.2))
ax.semilogx(lams, dQ, "o-")
ax.axhline(0, color="k", lw=0.8)
ax.axvline(1.0, color="grey", ls="--", lw=0.8)
ax.set_xlabel(tr("complexity weight λ (λ = 1: variational bound)", "вес сложности λ (λ = 1: вариационная оценка)"))
ax.set_ylabel("Q(h₁ | λ) − Q(h₂ | λ)")
ax.grid(alpha=0.3)
plt.show()

(pi1, q1), (pi2, q2) = best_pi(H1, 1.0), best_pi(H2, 1.0)
kl_q12, kl_q21 = variational.bernoulli_kl(pi1, pi2).item(), variational.bernoulli_kl(pi2, pi1).item()
kl_p12 = variational.bernoulli_kl(torch.full((6,), H1), torch.full((6,), H2)).item()
kl_p21 = variational.bernoulli_kl(torch.full((6,), H2), torch.full((6,), H1)).item()
print(tr("at λ = 1:", "при λ = 1:"), f"Q(h₁) = {q1:.3f}, Q(h₂) = {q2:.3f}")
print(tr("criterion 1: KL(q₁‖q₂), KL(q₂‖q₁) =", "критерий 1: KL(q₁‖q₂), KL(q₂‖q₁) ="), f"{kl_q12:.2f}, {kl_q21:.2f}",
      tr(f"> K = {K_NATS:g}:", f"> K = {K_NATS:g}:"), min(kl_q12, kl_q21) > K_NATS)
print(tr("criterion 2: KL(p₁‖p₂), KL(p₂‖p₁) =", "критерий 2: KL(p₁‖p₂), KL(p₂‖p₁) ="), f"{kl_p12:.2f}, {kl_p21:.2f}",
      tr(f"> K = {K_NATS:g}:", f"> K = {K_NATS:g}:"), min(kl_p12, kl_p21) > K_NATS)
reversing = [lam_ for lam_, d in zip(lams, dQ) if np.sign(d) != np.sign(q1 - q2)]
if reversing:
    lam_rev = max(reversing)
    (pi1r, q1r), (pi2r, q2r) = best_pi(H1, lam_rev), best_pi(H2, lam_rev)
    print(tr(f"λ' = {lam_rev:.3f} reverses the order:", f"λ' = {lam_rev:.3f} меняет порядок:"),
          f"Q(h₁) = {q1r:.3f}, Q(h₂) = {q2r:.3f}")
    for name, a, b in (("h₁", pi1, pi1r), ("h₂", pi2, pi2r)):
        print(f"  {name}: π(λ = 1) =", np.round(a.numpy(), 2), f"π(λ') =", np.round(b.numpy(), 2),
              tr("most probable structure kept:", "самая вероятная структура сохранена:"),
              bool(torch.equal(a > 0.5, b > 0.5)))
    preserved = bool(torch.equal(pi1 > 0.5, pi1r > 0.5) and torch.equal(pi2 > 0.5, pi2r > 0.5))
    print(tr("summary for this pair: KL conditions hold, the order reverses at λ', correspondences preserved "
             f"(weak sense): {preserved}",
             "итог для этой пары: условия на KL выполнены, при λ' порядок меняется, соответствия сохранены "
             f"(в слабом смысле): {preserved}"))
else:
    print(tr("no λ in the grid reverses the order", "ни одно λ из сетки не меняет порядок"))

# %% [markdown] lang="en"
# How to read the output. At $\lambda = 1$ the optimised $q(\Gamma)$ of the two hyperparameters differ by more than
# $K$ in both directions, and so do the priors: the pair qualifies for both criteria. A smaller complexity weight
# reverses the preference (the likelihood term favours the dense prior), which is condition (2). Condition (1) is the
# demanding one: the correspondences $\mathbf{h}_k \mapsto \theta(\mathbf{h}_k)$ must survive the change of
# $\lambda$. We check only a weak form — each optimum keeps its most probable structure — and the printed flags show
# whether it holds; when it fails, the preference reversed *because* an optimum moved to another structure, which the
# criterion does not count. Try other pairs $h_1, h_2$ or another grid of $\lambda$.
#
# Note also *how* $\lambda$ acts here: it multiplies the complexity terms. In the plain variational bound a
# metaparameter can only enter through the prior over structures, $p(\Gamma \mid \mathbf{h}, \lambda)$; theory
# assignment 5 shows that then criterion 2 cannot hold.

# %% [markdown] lang="ru"
# Как читать вывод. При $\lambda = 1$ оптимальные $q(\Gamma)$ двух значений гиперпараметра различаются больше чем на
# $K$ в обе стороны, как и априорные распределения: пара подходит под условия обоих критериев. Меньший вес сложности
# меняет предпочтение (слагаемое правдоподобия предпочитает плотное априорное распределение) — это условие (2).
# Самое требовательное — условие (1): соответствия $\mathbf{h}_k \mapsto \theta(\mathbf{h}_k)$ должны пережить
# изменение $\lambda$. Мы проверяем лишь слабую форму — каждый оптимум сохраняет свою самую вероятную структуру, — и
# напечатанные флаги показывают, выполнена ли она; если нет, предпочтение поменялось *потому, что* оптимум перешёл к
# другой структуре, а такое критерий не засчитывает. Попробуйте другие пары $h_1, h_2$ или другую сетку $\lambda$.
#
# Обратите внимание и на то, *как* здесь действует $\lambda$: он умножает слагаемые сложности. В обычной
# вариационной оценке метапараметр может входить только через априорное распределение структур
# $p(\Gamma \mid \mathbf{h}, \lambda)$; теоретическое задание 5 показывает, что тогда критерий 2 выполняться не
# может.

# %% [markdown] lang="en"
# ## Check yourself
#
# 1. Write $\mathrm{KL}(\mathcal{N}(\boldsymbol{\mu}, \boldsymbol{\Sigma}_q) \,\|\, \mathcal{N}(\mathbf{0},
#    \mathbf{A}^{-1}))$ and find which terms the Graves formula of the 2019 slides drops.
#    <details><summary>Answer</summary>
#
#    $\tfrac12\big(\operatorname{tr}(\mathbf{A}\boldsymbol{\Sigma}_q) + \boldsymbol{\mu}^\top\mathbf{A}\boldsymbol{\mu}
#    - u + \ln|\mathbf{A}^{-1}| - \ln|\boldsymbol{\Sigma}_q|\big)$. The slides drop $-u$ and $\ln|\mathbf{A}^{-1}|$
#    (and write $\mathbf{A}^{-1}$ in the quadratic form instead of $\mathbf{A}$).
#
#    </details>
# 2. Why is the ELBO a lower bound of the log evidence, and when is it tight?
#    <details><summary>Answer</summary>
#
#    $\log p(\mathcal{D} \mid \mathbf{h}) = \mathrm{ELBO}(q) + \mathrm{KL}(q \,\|\, p(\mathbf{w} \mid \mathcal{D},
#    \mathbf{h}))$ and a KL divergence is non-negative. The bound is tight exactly when $q$ is the posterior.
#
#    </details>
# 3. Two weights: $\mu = 0.5, \sigma = 1$ and $\mu = 0.05, \sigma = 0.01$. Which one does Graves' criterion remove
#    first, and which one does magnitude pruning remove first?
#    <details><summary>Answer</summary>
#
#    $\rho_1 = e^{-0.125} \approx 0.88$, $\rho_2 = e^{-12.5} \approx 4 \cdot 10^{-6}$: Graves removes the first (large
#    but uncertain). Magnitude pruning removes the second ($0.05 < 0.5$), although it is known precisely.
#
#    </details>
# 4. Why does the log-uniform prior $p(z) \propto 1/|z|$ prefer no scale? Is it a proper distribution?
#    <details><summary>Answer</summary>
#
#    $dz/|z| = d\log|z|$: it is uniform in $\log|z|$, so every interval $[c, 2c]$ has the same mass whatever $c$ —
#    rescaling $z$ does not change it. It is improper: $\int dz/|z|$ diverges both at $0$ and at $\infty$.
#
#    </details>
# 5. Compute $\mathbb{E}K_+$ of the IBP for $N = 1$ and for $\beta \to \infty$. What does $\beta$ control?
#    <details><summary>Answer</summary>
#
#    $N = 1$: $\mathbb{E}K_+ = \alpha$. As $\beta \to \infty$ every term $\beta/(\beta + j - 1) \to 1$, so
#    $\mathbb{E}K_+ \to N\alpha$: nobody shares a dish. $\beta$ controls how much the customers share dishes
#    (units share inputs); $\alpha$ how many dishes each takes.
#
#    </details>
# 6. Why does the relaxed bound with structure approach the exact one as the temperature falls, and what is the
#    price?
#    <details><summary>Answer</summary>
#
#    As $\tau \to 0$ the relaxed sample $\tilde\Gamma$ concentrates on $\{0, 1\}$ with $P(\tilde\Gamma \approx 1) =
#    \pi$, so its expectation tends to the exact sum over structures. The price: the sigmoid becomes a step, so the
#    gradient in $\pi$ gets larger variance (and vanishes at $\tau = 0$).
#
#    </details>
# 7. Derive $h^* = \overline{\mu^2 + \sigma^2}$ and $C_p = \frac{u}{2}\ln h^* - \sum_i \ln\sigma_i$ for a mean-field
#    Gaussian $q$ and the prior $\mathcal{N}(0, h)$.
#    <details><summary>Answer</summary>
#
#    $\mathrm{KL} = \frac12\sum_i\big[(\mu_i^2 + \sigma_i^2)/h - 1 + \ln h - \ln\sigma_i^2\big]$. Its derivative in
#    $h$ is $\frac12\sum_i\big[-(\mu_i^2 + \sigma_i^2)/h^2 + 1/h\big] = 0$, so $h^* = \frac1u\sum_i(\mu_i^2 +
#    \sigma_i^2)$. Then $\sum_i(\mu_i^2 + \sigma_i^2)/h^* = u$ cancels the $-u$, leaving $\frac{u}{2}\ln h^* -
#    \sum_i\ln\sigma_i$.
#
#    </details>
# 8. Which of the six requirements does the plain ELBO satisfy? Which does the generalised bound of section 6 add,
#    and at which $\lambda$?
#    <details><summary>Answer</summary>
#
#    The plain ELBO bounds the evidence (3) and penalises complex models through the KL (2). The complexity weight
#    adds maximum likelihood at $\lambda = 0$ (1) and a lever for moving between structures (4): a smaller
#    $\lambda$ reverses the preference between the two optima of section 6 (whether each optimum keeps its structure
#    there is printed by the cell); $\lambda = 1$ gives back the ELBO.
#
#    </details>

# %% [markdown] lang="ru"
# ## Проверьте себя
#
# 1. Запишите $\mathrm{KL}(\mathcal{N}(\boldsymbol{\mu}, \boldsymbol{\Sigma}_q) \,\|\, \mathcal{N}(\mathbf{0},
#    \mathbf{A}^{-1}))$ и найдите слагаемые, потерянные в формуле Graves из слайдов 2019 года.
#    <details><summary>Ответ</summary>
#
#    $\tfrac12\big(\operatorname{tr}(\mathbf{A}\boldsymbol{\Sigma}_q) + \boldsymbol{\mu}^\top\mathbf{A}\boldsymbol{\mu}
#    - u + \ln|\mathbf{A}^{-1}| - \ln|\boldsymbol{\Sigma}_q|\big)$. В слайдах потеряны $-u$ и $\ln|\mathbf{A}^{-1}|$
#    (и в квадратичной форме стоит $\mathbf{A}^{-1}$ вместо $\mathbf{A}$).
#
#    </details>
# 2. Почему вариационная нижняя оценка (ELBO) не превосходит логарифма обоснованности и когда достигается равенство?
#    <details><summary>Ответ</summary>
#
#    $\log p(\mathcal{D} \mid \mathbf{h}) = \mathrm{ELBO}(q) + \mathrm{KL}(q \,\|\, p(\mathbf{w} \mid \mathcal{D},
#    \mathbf{h}))$, а дивергенция Кульбака–Лейблера неотрицательна. Равенство — ровно тогда, когда $q$ совпадает с
#    апостериорным распределением.
#
#    </details>
# 3. Два веса: $\mu = 0.5, \sigma = 1$ и $\mu = 0.05, \sigma = 0.01$. Какой из них критерий Graves удалит первым, а
#    какой — удаление по модулю?
#    <details><summary>Ответ</summary>
#
#    $\rho_1 = e^{-0.125} \approx 0.88$, $\rho_2 = e^{-12.5} \approx 4 \cdot 10^{-6}$: Graves удалит первый (большой,
#    но неопределённый). Удаление по модулю уберёт второй ($0.05 < 0.5$), хотя он известен точно.
#
#    </details>
# 4. Почему лог-равномерное априорное распределение $p(z) \propto 1/|z|$ не предпочитает никакого масштаба? Является
#    ли оно собственным?
#    <details><summary>Ответ</summary>
#
#    $dz/|z| = d\log|z|$: распределение равномерно по $\log|z|$, поэтому любой отрезок $[c, 2c]$ имеет одну и ту же
#    массу при любом $c$ — изменение масштаба $z$ его не меняет. Оно несобственное: $\int dz/|z|$ расходится и в
#    нуле, и на бесконечности.
#
#    </details>
# 5. Вычислите $\mathbb{E}K_+$ для IBP при $N = 1$ и при $\beta \to \infty$. За что отвечает $\beta$?
#    <details><summary>Ответ</summary>
#
#    При $N = 1$: $\mathbb{E}K_+ = \alpha$. При $\beta \to \infty$ каждое слагаемое $\beta/(\beta + j - 1) \to 1$,
#    и $\mathbb{E}K_+ \to N\alpha$: никто не делит блюда. $\beta$ отвечает за то, насколько посетители делят блюда
#    (нейроны — общие входы); $\alpha$ — за то, сколько блюд берёт каждый.
#
#    </details>
# 6. Почему релаксированная оценка со структурой приближается к точной при уменьшении температуры и какова цена?
#    <details><summary>Ответ</summary>
#
#    При $\tau \to 0$ релаксированная выборка $\tilde\Gamma$ сосредотачивается на $\{0, 1\}$ с
#    $P(\tilde\Gamma \approx 1) = \pi$, и её математическое ожидание стремится к точной сумме по структурам. Цена:
#    сигмоида превращается в ступеньку, дисперсия градиента по $\pi$ растёт (а при $\tau = 0$ градиента нет).
#
#    </details>
# 7. Выведите $h^* = \overline{\mu^2 + \sigma^2}$ и $C_p = \frac{u}{2}\ln h^* - \sum_i \ln\sigma_i$ для полностью
#    факторизованного гауссовского $q$ и априорного распределения $\mathcal{N}(0, h)$.
#    <details><summary>Ответ</summary>
#
#    $\mathrm{KL} = \frac12\sum_i\big[(\mu_i^2 + \sigma_i^2)/h - 1 + \ln h - \ln\sigma_i^2\big]$. Производная по $h$
#    равна $\frac12\sum_i\big[-(\mu_i^2 + \sigma_i^2)/h^2 + 1/h\big] = 0$, откуда $h^* = \frac1u\sum_i(\mu_i^2 +
#    \sigma_i^2)$. Тогда $\sum_i(\mu_i^2 + \sigma_i^2)/h^* = u$ сокращает $-u$, и остаётся $\frac{u}{2}\ln h^* -
#    \sum_i\ln\sigma_i$.
#
#    </details>
# 8. Каким из шести требований удовлетворяет обычная ELBO? Какие добавляет обобщённая оценка из раздела 6 и при
#    каких $\lambda$?
#    <details><summary>Ответ</summary>
#
#    Обычная ELBO оценивает обоснованность (3) и штрафует сложные модели слагаемым KL (2). Вес сложности добавляет
#    метод максимального правдоподобия при $\lambda = 0$ (1) и рычаг для перехода между структурами (4): меньшее
#    $\lambda$ меняет предпочтение между двумя оптимумами раздела 6 (сохраняет ли при этом каждый оптимум свою
#    структуру, печатает ячейка); при $\lambda = 1$ получается ELBO.
#
#    </details>

# %% [markdown] lang="en"
# ## References
# * Hinton G. E., van Camp D. Keeping neural networks simple by minimizing the description length of the weights.
#   COLT 1993.
# * Graves A. Practical variational inference for neural networks. NIPS 2011.
# * Louizos C., Ullrich K., Welling M. Bayesian compression for deep learning. NIPS 2017.
# * Griffiths T. L., Ghahramani Z. Infinite latent feature models and the Indian buffet process. NIPS 2005;
#   Ghahramani Z., Griffiths T. L., Sollich P. Bayesian nonparametric latent feature models. Bayesian Statistics 8,
#   2007.
# * Adams R., Wallach H., Ghahramani Z. Learning the structure of deep sparse graphical models. AISTATS 2010.
# * Maddison C. J., Mnih A., Teh Y. W. The concrete distribution: a continuous relaxation of discrete random
#   variables. ICLR 2017; Jang E., Gu S., Poole B. Categorical reparameterization with Gumbel-softmax. ICLR 2017.
# * Kingma D. P., Welling M. Auto-encoding variational Bayes. ICLR 2014 (the reparameterisation trick).
# * Grabovoy A. V., Bakhteev O. Y., Strijov V. V. Определение релевантности параметров нейросети [Estimation of
#   relevance for neural network parameters]. Informatika i ee Primeneniya 13(2):62–70, 2019 (in Russian).
# * Bakhteev O. Y., Strijov V. V. Comprehensive analysis of gradient-based hyperparameter optimization
#   algorithms. Annals of Operations Research, 2020.
# * Bakhteev O. Метаоптимизация и структура [Metaoptimization and structure]. Lecture slides, MIPT, 2019 (in
#   Russian; the formulas of Graves, Louizos et al.
#   and the variational bound corrected after the original papers).

# %% [markdown] lang="ru"
# ## Литература
#
# Работы перечислены в порядке разделов лекции. Названия приведены на языке оригинала, чтобы их было легко найти;
# после каждой кратко сказано, что из неё взято в лекцию и в какой раздел.
# * Hinton G. E., van Camp D. Keeping neural networks simple by minimizing the description length of the weights.
#   COLT 1993 — длина описания весов и рассуждение «bits-back» (раздел 1).
# * Graves A. Practical variational inference for neural networks. NIPS 2011 — вариационный вывод для нейросетей и
#   удаление по относительной плотности (раздел 1).
# * Louizos C., Ullrich K., Welling M. Bayesian compression for deep learning. NIPS 2017 — две модели байесовского
#   сжатия и удаление групп (раздел 2).
# * Griffiths T. L., Ghahramani Z. Infinite latent feature models and the Indian buffet process. NIPS 2005;
#   Ghahramani Z., Griffiths T. L., Sollich P. Bayesian nonparametric latent feature models. Bayesian Statistics 8,
#   2007 — индийский буфетный процесс с одним и с двумя параметрами, его свойства и вывод (раздел 3).
# * Adams R., Wallach H., Ghahramani Z. Learning the structure of deep sparse graphical models. AISTATS 2010 —
#   структура сети как случайная величина (раздел 3).
# * Maddison C. J., Mnih A., Teh Y. W. The concrete distribution: a continuous relaxation of discrete random
#   variables. ICLR 2017; Jang E., Gu S., Poole B. Categorical reparameterization with Gumbel-softmax. ICLR 2017 —
#   непрерывная релаксация дискретной структуры и её температура (раздел 4).
# * Kingma D. P., Welling M. Auto-encoding variational Bayes. ICLR 2014 — приём репараметризации для градиентов
#   вариационной оценки (раздел 1).
# * Грабовой А. В., Бахтеев О. Ю., Стрижов В. В. Определение релевантности параметров нейросети. Информатика и её
#   применения, 2019, 13(2):62–70 — относительная плотность и параметрическая сложность (раздел 5).
# * Bakhteev O. Y., Strijov V. V. Comprehensive analysis of gradient-based hyperparameter optimization
#   algorithms. Annals of Operations Research, 2020 — требования к функции оптимизации (раздел 6).
# * Бахтеев О. Ю. Метаоптимизация и структура. Слайды лекции, МФТИ, 2019 (формулы Graves, Louizos и др. и
#   вариационной оценки исправлены по оригинальным статьям).
