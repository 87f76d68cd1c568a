# %% [markdown] lang="en"
# # Lecture 7. Pruning, compression and structure
#
# **After this lecture you can**
# * prune a model at random, by magnitude (after L1 or L2 training, with and without retraining), by
#   Optimal Brain Damage and by Optimal Brain Surgeon — and tell these last two apart;
# * read the three observations of Han et al. (2015) off an accuracy-versus-sparsity plot;
# * compress a network with Deep Compression and count every stored bit;
# * write Graves' variational (MDL) loss with all its terms and prune by relative density;
# * state Bayesian compression's group criteria, sample the Indian buffet process, and write the variational
#   bound with a structure $\Gamma$;
# * define parametric complexity, the requirements to a "good" optimisation function and the criteria for
#   moving between structures.

# %% [markdown] lang="ru"
# # Лекция 7. Прунинг, сжатие и структура
#
# **После этой лекции вы сможете**
# * удалять параметры модели случайно, по модулю (после обучения с L1- или L2-регуляризацией, с дообучением и
#   без него), методами Optimal Brain Damage и Optimal Brain Surgeon — и не путать два последних;
# * читать три наблюдения Хана и соавторов (2015) по графику «точность — доля удалённых параметров»;
# * сжимать сеть методом Deep Compression и подсчитывать каждый хранимый бит;
# * записывать вариационную функцию потерь Грейвса (длину описания) со всеми слагаемыми и удалять параметры по
#   относительной плотности;
# * формулировать групповые критерии байесовского сжатия, порождать выборки индийского буфета и записывать
#   вариационную оценку со структурой $\Gamma$;
# * определять параметрическую сложность, требования к «хорошей» функции оптимизации и критерии перехода между
#   структурами.

# %%
import ipywidgets as w
import matplotlib.pyplot as plt
import numpy as np
import torch

from metaopt_lib import compression, pruning, structure, training, variational
from metaopt_lib.data import load_mnist
from metaopt_lib.i18n import translator
from metaopt_lib.seeding import set_seed
from metaopt_lib.widgets import interact

tr = translator(LANG)
set_seed(0)
torch.set_num_threads(1)  # small full-batch problems: one thread avoids contention on a shared CPU
data = load_mnist(n_train=2000, n_test=1000)  # MNIST if its IDX files are present, else sklearn's digits
Xtr, ytr, Xte, yte, K = data.X_train, data.y_train, data.X_test, data.y_test, data.n_classes
print(tr(f"{data.name}: {len(ytr)} training and {len(yte)} test images of {data.image_shape}, {K} classes",
         f"{data.name}: {len(ytr)} обучающих и {len(yte)} контрольных изображений {data.image_shape}, {K} классов"))

# %% [markdown] lang="en"
# ## 1. The pruning problem
#
# A trained model has parameters $\mathbf{w} \in \mathbb{R}^u$. Pruning chooses a **mask**
# $\mathbf{m} \in \{0, 1\}^u$ with a given share of zeros and keeps $\mathbf{m} \odot \mathbf{w}$; the structure
# $\Gamma$ of the model is then "which parameters exist". The x-axis of every plot below is the percent of
# parameters removed, $100 \cdot \|\mathbf{1} - \mathbf{m}\|_1 / u$, from 0 to 99 %. We prune the weight matrix
# $\mathbf{W}$ of multinomial logistic regression $p(y \mid \mathbf{x}) = \operatorname{softmax}(\mathbf{W}\mathbf{x}
# + \mathbf{b})_y$ (biases are kept), trained by full-batch accelerated (proximal) gradient descent on
#
# $$L(\mathbf{W}, \mathbf{b}) = -\frac{1}{n}\sum_{i=1}^{n} \log p(y_i \mid \mathbf{x}_i) + l_1 \sum |W_{kj}|
# + l_2 \sum W_{kj}^2 .$$
#
# **Criteria compared.** *Random* (the baseline); *magnitude*: remove the smallest $|w_i|$ (Han et al. 2015),
# after training with an L1 or an L2 penalty; *OBD* and *Graves* (sections 2 and 3). Each may be followed by
# **retraining**: the mask is fixed, the remaining weights are trained again — from the previous optimum or from a
# random point.
#
# Han et al. (2015) train, prune the smallest weights and train again, and report three (almost obvious) facts:
# 1. L2 is better than L1 for pruning when retraining follows (L1 is better without retraining);
# 2. retraining from the previous optimum is better than from a random point;
# 3. after pruning the distribution of the weights becomes multimodal.
#
# We check all three on our own plot below.

# %% [markdown] lang="ru"
# ## 1. Задача удаления параметров
#
# У обученной модели параметры $\mathbf{w} \in \mathbb{R}^u$. Прунинг выбирает **маску**
# $\mathbf{m} \in \{0, 1\}^u$ с заданной долей нулей и оставляет $\mathbf{m} \odot \mathbf{w}$; структура
# $\Gamma$ модели — это ответ на вопрос «какие параметры существуют». По оси абсцисс всех графиков ниже — процент
# удалённых параметров $100 \cdot \|\mathbf{1} - \mathbf{m}\|_1 / u$, от 0 до 99 %. Удаляем элементы матрицы весов
# $\mathbf{W}$ мультиномиальной логистической регрессии $p(y \mid \mathbf{x}) = \operatorname{softmax}(\mathbf{W}
# \mathbf{x} + \mathbf{b})_y$ (свободные члены не трогаем), обученной полным ускоренным (проксимальным)
# градиентным спуском на
#
# $$L(\mathbf{W}, \mathbf{b}) = -\frac{1}{n}\sum_{i=1}^{n} \log p(y_i \mid \mathbf{x}_i) + l_1 \sum |W_{kj}|
# + l_2 \sum W_{kj}^2 .$$
#
# **Сравниваемые критерии.** *Случайное* удаление (базовая линия); *по модулю*: удаляем наименьшие $|w_i|$
# (Хан и др., 2015) после обучения с L1- или L2-регуляризацией; *OBD* и *Грейвс* (разделы 2 и 3). За каждым может
# следовать **дообучение**: маска фиксирована, оставшиеся веса обучаются заново — из предыдущего оптимума или из
# случайной точки.
#
# Хан и соавторы (2015) обучают модель, удаляют наименьшие по модулю веса и обучают снова; они подтверждают три
# (почти очевидных) факта:
# 1. L2 лучше для прунинга, чем L1, если после прунинга идёт оптимизация (без дообучения лучше L1);
# 2. дообучение лучше начинать из предыдущего оптимума, чем из случайной точки;
# 3. после прунинга распределение параметров становится мультимодальным.
#
# Все три проверим ниже на собственном графике.

# %% [markdown] lang="en"
# ## 2. Optimal Brain Damage and Optimal Brain Surgeon
#
# Expand the loss (minimised) around a trained optimum $\boldsymbol{\theta}^*$:
#
# $$L(\boldsymbol{\theta}^* + \Delta\boldsymbol{\theta}) - L(\boldsymbol{\theta}^*) = \nabla L^\top
# \Delta\boldsymbol{\theta} + \tfrac{1}{2}\, \Delta\boldsymbol{\theta}^\top \mathbf{H}\, \Delta\boldsymbol{\theta}
# + O(\|\Delta\boldsymbol{\theta}\|^3), \qquad \nabla L(\boldsymbol{\theta}^*) = \mathbf{0},$$
#
# where $\mathbf{H}$ is the Hessian of $L$ at $\boldsymbol{\theta}^*$. (The Russian seed writes the quadratic
# term as $\theta^\top \mathbf{H} \theta$; it is $\Delta\theta^\top \mathbf{H} \Delta\theta$.) Removing parameter
# $i$ is the constraint $\theta^*_i + \Delta\theta_i = 0$.
#
# **Optimal Brain Damage** (LeCun, Denker & Solla 1990) takes $\mathbf{H}$ *diagonal*; then the other parameters
# do not move and the loss grows by the **saliency**
#
# $$s_i^{\mathrm{OBD}} = \tfrac{1}{2}\, h_{ii}\, \theta_i^{*2}.$$
#
# **Optimal Brain Surgeon** (Hassibi & Stork 1993) keeps the full $\mathbf{H}$ and lets the other parameters
# compensate: $\min_{\Delta\theta} \tfrac12 \Delta\theta^\top \mathbf{H} \Delta\theta$ s.t.
# $\mathbf{e}_q^\top\Delta\theta + \theta_q = 0$ gives
#
# $$s_q^{\mathrm{OBS}} = \frac{\theta_q^2}{2\,[\mathbf{H}^{-1}]_{qq}}, \qquad
# \Delta\boldsymbol{\theta} = -\frac{\theta_q}{[\mathbf{H}^{-1}]_{qq}}\, \mathbf{H}^{-1}\mathbf{e}_q .$$
#
# The seed gives this second formula under the name OBD: it is the OBS saliency. For a diagonal
# $\mathbf{H}$, $[\mathbf{H}^{-1}]_{qq} = 1/h_{qq}$ and the two coincide. For logistic regression the diagonal is
# exact and cheap: $\partial^2 L / \partial W_{kj}^2 = \frac{1}{n} \sum_i p_{ik}(1 - p_{ik})\, x_{ij}^2$
# (+ $2 l_2$ from the penalty). For a network one uses a Hutchinson estimate $\mathbb{E}[\mathbf{z} \odot
# \mathbf{H}\mathbf{z}]$ or the Gauss–Newton diagonal (`pruning.hutchinson_hessian_diag`,
# `pruning.gauss_newton_diag_mlp`).

# %% [markdown] lang="ru"
# ## 2. Optimal Brain Damage и Optimal Brain Surgeon
#
# Разложим минимизируемую функцию потерь в окрестности найденного оптимума $\boldsymbol{\theta}^*$:
#
# $$L(\boldsymbol{\theta}^* + \Delta\boldsymbol{\theta}) - L(\boldsymbol{\theta}^*) = \nabla L^\top
# \Delta\boldsymbol{\theta} + \tfrac{1}{2}\, \Delta\boldsymbol{\theta}^\top \mathbf{H}\, \Delta\boldsymbol{\theta}
# + O(\|\Delta\boldsymbol{\theta}\|^3), \qquad \nabla L(\boldsymbol{\theta}^*) = \mathbf{0},$$
#
# где $\mathbf{H}$ — гессиан $L$ в точке $\boldsymbol{\theta}^*$. (В русскоязычных слайдах квадратичный член
# записан как $\theta^\top \mathbf{H} \theta$; правильно — $\Delta\theta^\top \mathbf{H} \Delta\theta$.)
# Удаление параметра $i$ — это ограничение $\theta^*_i + \Delta\theta_i = 0$.
#
# **Optimal Brain Damage** (Лекун, Денкер и Солла, 1990) считает гессиан $\mathbf{H}$ *диагональным*; тогда
# остальные параметры не меняются, а функция потерь возрастает на величину **информативности** (значимости)
#
# $$s_i^{\mathrm{OBD}} = \tfrac{1}{2}\, h_{ii}\, \theta_i^{*2}.$$
#
# **Optimal Brain Surgeon** (Хассиби и Сторк, 1993) использует полный гессиан и позволяет остальным параметрам
# компенсировать удаление: задача $\min_{\Delta\theta} \tfrac12 \Delta\theta^\top \mathbf{H} \Delta\theta$ при
# $\mathbf{e}_q^\top\Delta\theta + \theta_q = 0$ даёт
#
# $$s_q^{\mathrm{OBS}} = \frac{\theta_q^2}{2\,[\mathbf{H}^{-1}]_{qq}}, \qquad
# \Delta\boldsymbol{\theta} = -\frac{\theta_q}{[\mathbf{H}^{-1}]_{qq}}\, \mathbf{H}^{-1}\mathbf{e}_q .$$
#
# В слайдах именно эта формула подписана как OBD, но это показатель информативности OBS. Для диагонального
# гессиана $[\mathbf{H}^{-1}]_{qq} = 1/h_{qq}$, и оба показателя совпадают. Для логистической регрессии диагональ
# гессиана точна и дёшева: $\partial^2 L / \partial W_{kj}^2 = \frac{1}{n} \sum_i p_{ik}(1 - p_{ik})\, x_{ij}^2$
# (плюс $2 l_2$ от регуляризатора). Для нейросети используют оценку Хатчинсона $\mathbb{E}[\mathbf{z} \odot
# \mathbf{H}\mathbf{z}]$ или диагональ матрицы Гаусса — Ньютона (`pruning.hutchinson_hessian_diag`,
# `pruning.gauss_newton_diag_mlp`).

# %%
L1, L2 = 3e-4, 1e-3      # penalty strengths (metaparameters of the optimisation problem)
EPOCHS, RETRAIN = 200, 30  # training and retraining budgets (iterations of full-batch FISTA)
W_l1, b_l1 = training.train_logreg(Xtr, ytr, K, l1=L1, epochs=EPOCHS)
W_l2, b_l2 = training.train_logreg(Xtr, ytr, K, l2=L2, epochs=EPOCHS)

# OBD against OBS on one row of W (one class): its exact Hessian by autograd, then remove 60 % of the row
k = 3
row_loss = lambda v: training.logreg_loss(torch.cat([W_l2[:k], v[None], W_l2[k + 1:]]), b_l2, Xtr, ytr, l2=L2)
H = torch.autograd.functional.hessian(row_loss, W_l2[k]).double() + 1e-6 * torch.eye(W_l2.shape[1])
w_row = W_l2[k].double()
n_cut = int(0.6 * w_row.numel())
quad = lambda d: 0.5 * d @ H @ d  # the quadratic model of the loss increase
obd_keep = pruning.saliency_mask(pruning.obd_saliency(w_row, torch.diagonal(H)), 0.6)
obs_w, _ = pruning.obs_prune_many(w_row, H, n_cut)
print(tr("loss increase (quadratic model) after removing", "рост функции потерь (квадратичная модель) после удаления"),
      f"{n_cut}/{w_row.numel()}: OBD {quad(w_row * obd_keep - w_row).item():.4f},",
      f"OBS {quad(obs_w - w_row).item():.4f}")

# %% [markdown] lang="en"
# OBS is usually better on the quadratic model: it chooses with the full Hessian *and* moves the survivors
# (for a single removal it is optimal by construction; removing many weights greedily is not guaranteed to be). (The
# greedy multi-weight OBS downdates $\mathbf{H}^{-1}$ after every removal so that removed weights stay zero.)
#
# ## 3. Graves (2011): variational inference as minimum description length
#
# The description length of the data with a model is $\mathrm{MDL}(\mathbf{f}, \mathcal{D}) = L(\mathbf{f}) +
# L(\mathcal{D} \mid \mathbf{f})$. With a distribution $q(\mathbf{w})$ over the weights (the "bits-back"
# argument of Hinton & van Camp 1993) the length in nats is
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
# (The seed's formula has the likelihood with the wrong sign and at a point $\hat{\mathbf{w}}$, writes
# $\mathbf{A}^{-1}$ in the quadratic form and drops $-u$ and $\ln|\mathbf{A}^{-1}|$.) Since
#
# $$\log p(\mathcal{D} \mid \mathbf{h}) = \mathrm{ELBO}(q) + \mathrm{KL}\big(q(\mathbf{w}) \,\|\,
# p(\mathbf{w} \mid \mathcal{D}, \mathbf{h})\big),$$
#
# the ELBO is a lower bound of the evidence, tight exactly when $q$ is the posterior (the seed equates
# $\mathrm{KL}(q \,\|\, p(\mathbf{w} \mid \mathcal{D}))$ with the ELBO; they differ by the log evidence and a
# sign). Graves uses a mean-field $q = \prod_i \mathcal{N}(\mu_i, \sigma_i^2)$ trained by the
# reparameterisation trick and prunes the weights whose **relative density**
#
# $$\lambda_i = \frac{q(0)}{q(\mu_i)} = \exp\Big(-\frac{\mu_i^2}{2\sigma_i^2}\Big)$$
#
# is largest: the posterior hardly distinguishes them from zero. The cell checks the identity above on a small
# Bayesian linear regression, then trains Graves' model on our data.

# %% [markdown] lang="ru"
# На квадратичной модели OBS обычно лучше: он выбирает параметры по полному гессиану *и* сдвигает
# оставшиеся (для удаления одного веса он оптимален по построению; жадное удаление многих весов такой гарантии не
# даёт). (Жадный OBS для многих весов после каждого удаления пересчитывает $\mathbf{H}^{-1}$ так, чтобы удалённые веса
# оставались нулевыми.)
#
# ## 3. Грейвс (2011): вариационный вывод как минимальная длина описания
#
# Длина описания выборки с помощью модели: $\mathrm{MDL}(\mathbf{f}, \mathcal{D}) = L(\mathbf{f}) +
# L(\mathcal{D} \mid \mathbf{f})$. Если веса описываются распределением $q(\mathbf{w})$ (рассуждение «bits-back»
# Хинтона и ван Кампа, 1993), длина в натах равна
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
# (В слайдах правдоподобие взято с неверным знаком и в точке $\hat{\mathbf{w}}$, в квадратичной форме стоит
# $\mathbf{A}^{-1}$, а слагаемые $-u$ и $\ln|\mathbf{A}^{-1}|$ потеряны.) Поскольку
#
# $$\log p(\mathcal{D} \mid \mathbf{h}) = \mathrm{ELBO}(q) + \mathrm{KL}\big(q(\mathbf{w}) \,\|\,
# p(\mathbf{w} \mid \mathcal{D}, \mathbf{h})\big),$$
#
# вариационная оценка (ELBO) — нижняя оценка обоснованности, точная тогда и только тогда, когда $q$ совпадает с
# апостериорным распределением (в слайдах $\mathrm{KL}(q \,\|\, p(\mathbf{w} \mid \mathcal{D}))$ приравнена к
# ELBO; они отличаются на логарифм обоснованности и знак). Грейвс берёт полностью факторизованное
# $q = \prod_i \mathcal{N}(\mu_i, \sigma_i^2)$, обучает его с помощью репараметризации и удаляет веса с наибольшей
# **относительной плотностью**
#
# $$\lambda_i = \frac{q(0)}{q(\mu_i)} = \exp\Big(-\frac{\mu_i^2}{2\sigma_i^2}\Big):$$
#
# апостериорное распределение почти не отличает такие веса от нуля. Ячейка проверяет тождество выше на малой
# байесовской линейной регрессии, а затем обучает модель Грейвса на наших данных.

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

graves = variational.graves_logreg(Xtr, ytr, K, prior_sigma=1.0, epochs=100, lr=0.1, seed=0)
lam = variational.relative_density(graves.mu_W, graves.sigma_W)
print(tr("Graves: test accuracy at the posterior mean", "Грейвс: точность на контроле в среднем апостериорного"),
      f"{training.accuracy(graves.mu_W, graves.mu_b, Xte, yte):.3f};",
      tr("share of weights with relative density λ > 0.5", "доля весов с относительной плотностью λ > 0.5"),
      f"{(lam > 0.5).double().mean().item():.2f}")

# %% [markdown] lang="en"
# ## 4. Accuracy against the percent of parameters removed
#
# Every method prunes the same number of weights at each point. Retraining runs for the same budget
# (30 iterations) with the mask fixed; "from a random point" restarts from small random weights with the same mask.
# OBD uses the model trained with L2, Graves its posterior means $\boldsymbol{\mu}$.

# %% [markdown] lang="ru"
# ## 4. Точность в зависимости от процента удалённых параметров
#
# В каждой точке все методы удаляют одно и то же число весов. Дообучение идёт одинаковое число итераций (30) при
# фиксированной маске; «из случайной точки» — заново из малых случайных весов с той же маской. OBD применяется к
# модели, обученной с L2, метод Грейвса — к средним $\boldsymbol{\mu}$ апостериорного распределения.

# %%
FRACTIONS = [0.0, 0.25, 0.5, 0.7, 0.8, 0.9, 0.95, 0.99]
graves_sal = variational.graves_saliency(graves.mu_W, graves.sigma_W)
# key: (English label, Russian label, method of pruning.prune_logreg, model, penalty, retrained?)
METHODS = {
    "random": ("random", "случайно", "random", (W_l2, b_l2), {"l2": L2}),
    "l1": ("magnitude, L1", "по модулю, L1", "magnitude", (W_l1, b_l1), {"l1": L1}),
    "l2": ("magnitude, L2", "по модулю, L2", "magnitude", (W_l2, b_l2), {"l2": L2}),
    "obd": ("OBD", "OBD", "obd", (W_l2, b_l2), {"l2": L2}),
    "graves": ("Graves", "Грейвс", "saliency", (graves.mu_W, graves.mu_b), {"saliency": graves_sal}),
}
common = dict(X_train=Xtr, y_train=ytr, X_test=Xte, y_test=yte, n_classes=K, retrain_epochs=RETRAIN)
curves = {}
for key, (en, ru, method, (W0, b0), kw) in METHODS.items():
    curves[key] = pruning.prune_curve(method, FRACTIONS, W=W0, b=b0, **common, **kw)
    curves[key + "_rt"] = pruning.prune_curve(method + "_retrain", FRACTIONS, W=W0, b=b0, **common, **kw)
curves["l2_rt_rand"] = pruning.prune_curve("magnitude_retrain_random_init", FRACTIONS, W=W_l2, b=b_l2,
                                           **common, l2=L2)

pct = 100 * np.array(FRACTIONS)
fig, axes = plt.subplots(1, 2, figsize=(12, 4.2), sharey=True)
for key, (en, ru, *_rest) in METHODS.items():
    line, = axes[0].plot(pct, curves[key], "o-", label=tr(en, ru))
    axes[1].plot(pct, curves[key + "_rt"], "o-", color=line.get_color(), label=tr(en, ru))
axes[1].plot(pct, curves["l2_rt_rand"], "s--", color="grey",
             label=tr("magnitude, L2, from a random point", "по модулю, L2, из случайной точки"))
axes[0].set_title(tr("without retraining", "без дообучения"))
axes[1].set_title(tr(f"with retraining ({RETRAIN} iterations)", f"с дообучением ({RETRAIN} итераций)"))
for ax in axes:
    ax.set_xlabel(tr("parameters removed, %", "удалено параметров, %"))
    ax.grid(alpha=0.3)
axes[0].set_ylabel(tr("test accuracy", "точность на контроле"))
axes[1].legend(fontsize=8)
plt.tight_layout()
plt.show()

cols = [FRACTIONS.index(f) for f in (0.5, 0.9, 0.99)]
print(tr("test accuracy at 50 / 90 / 99 % removed", "точность на контроле при удалении 50 / 90 / 99 %"))
for key, acc in curves.items():
    print(f"  {key:12s}", "  ".join(f"{acc[c]:.3f}" for c in cols))

# %% [markdown] lang="en"
# **Checking the three observations.** We average the accuracy over the points with at least 50 % removed and
# compare; the verdicts printed below are computed, not written in advance. On a convex model such as logistic
# regression, retraining with enough iterations reaches the same constrained optimum from any start, so the
# second observation is about the *speed* of retraining: with a fixed, small budget the previous optimum wins.
# Whether L2 beats L1 after retraining depends on the penalty strengths and the budget on this small problem:
# with weak penalties the two trained models keep almost the same weights (the overlap of the masks is printed),
# so their curves nearly coincide; stronger L1 gives many exact zeros and wins without retraining. Han et al.'s
# first observation was made on deep networks pruned and retrained iteratively, where the L1 penalty keeps
# shrinking the survivors during retraining — a convex model need not reproduce it. Try other values of `L1`,
# `L2`, `RETRAIN`.

# %% [markdown] lang="ru"
# **Проверка трёх наблюдений.** Усредним точность по точкам, где удалено не меньше 50 % параметров, и сравним;
# выводы ниже вычисляются, а не написаны заранее. Для выпуклой модели, такой как логистическая регрессия,
# дообучение с достаточным числом итераций приходит в один и тот же условный оптимум из любой начальной точки,
# поэтому второе наблюдение касается *скорости* дообучения: при фиксированном малом бюджете выигрывает предыдущий
# оптимум. Лучше ли L2, чем L1, после дообучения, на этой маленькой задаче зависит от силы регуляризации и
# бюджета: при слабой регуляризации обе обученные модели оставляют почти одни и те же веса (доля общих весов масок
# напечатана ниже), поэтому их кривые почти совпадают; более сильная L1-регуляризация даёт много точных нулей и
# выигрывает без дообучения. Первое наблюдение Хана и соавторов получено на глубоких сетях с многократным
# чередованием прунинга и дообучения, где штраф L1 продолжает сжимать оставшиеся веса при дообучении; выпуклая
# модель не обязана его воспроизводить. Попробуйте другие значения `L1`, `L2`, `RETRAIN`.

# %%
high = [i for i, f in enumerate(FRACTIONS) if f >= 0.5]
avg = {key: float(np.mean([acc[i] for i in high])) for key, acc in curves.items()}
verdict = lambda ok: tr("holds", "выполняется") if ok else tr("does not hold here", "здесь не выполняется")
print("1.", tr("L2 better than L1 with retraining:", "L2 лучше L1 при дообучении:"),
      f"{avg['l2_rt']:.3f} vs {avg['l1_rt']:.3f} —", verdict(avg["l2_rt"] > avg["l1_rt"]))
print("   ", tr("L1 better than L2 without retraining:", "L1 лучше L2 без дообучения:"),
      f"{avg['l1']:.3f} vs {avg['l2']:.3f} —", verdict(avg["l1"] > avg["l2"]))
m1, m2 = pruning.magnitude_mask(W_l1, 0.9), pruning.magnitude_mask(W_l2, 0.9)
print("   ", tr("share of the weights kept at 90 % that the L1 and L2 masks have in common:",
               "доля весов, оставленных при 90 %, общих для масок L1 и L2:"), f"{((m1 & m2).sum() / m1.sum()).item():.2f};",
      tr("exact zeros after L1 training:", "точных нулей после обучения с L1:"), f"{(W_l1 == 0).double().mean().item():.2f}")
print("2.", tr("retraining from the previous optimum better than from a random point:",
               "дообучение из предыдущего оптимума лучше, чем из случайной точки:"),
      f"{avg['l2_rt']:.3f} vs {avg['l2_rt_rand']:.3f} —", verdict(avg["l2_rt"] > avg["l2_rt_rand"]))

# observation 3: the histogram of the surviving weights
def n_modes(values):
    """Local maxima of a Gaussian kernel density estimate (Scott's bandwidth) — a presentation helper."""
    from scipy.stats import gaussian_kde

    grid = np.linspace(values.min(), values.max(), 400)
    dens = gaussian_kde(values)(grid)
    return int(((dens[1:-1] > dens[:-2]) & (dens[1:-1] >= dens[2:])).sum())

frac = 0.8
mask = pruning.magnitude_mask(W_l2, frac)
W_rt, _ = pruning.prune_logreg("magnitude_retrain", frac, W=W_l2, b=b_l2, X_train=Xtr, y_train=ytr, n_classes=K,
                               l2=L2, retrain_epochs=RETRAIN)
fig, axes = plt.subplots(1, 3, figsize=(12, 3))
panels = [(W_l2.flatten(), tr("trained (L2)", "обученные (L2)")),
          (W_l2[mask], tr(f"after pruning {frac:.0%}", f"после удаления {frac:.0%}")),
          (W_rt[mask], tr("after pruning and retraining", "после удаления и дообучения"))]
for i, (ax, (vals, title)) in enumerate(zip(axes, panels)):
    ax.hist(vals.numpy(), bins=40, color="tab:blue")
    ax.set_title(title + ("" if i == 0 else "; " + tr("modes", "мод") + f": {n_modes(vals.numpy())}"), fontsize=9)
    ax.set_xlabel(tr("weight value", "значение веса"))
plt.tight_layout()
plt.show()
print("3.", tr("the weight distribution is multimodal after pruning:", "после прунинга распределение мультимодально:"),
      verdict(n_modes(W_l2[mask].numpy()) >= 2 and n_modes(W_rt[mask].numpy()) >= 2))

# %% [markdown] lang="en"
# **Widget.** Which weights survive? Each class's row of $\mathbf{W}$ is drawn as an image (red positive, blue
# negative, white removed), pruned by the chosen criterion without retraining.

# %% [markdown] lang="ru"
# **Виджет.** Какие веса остаются? Строка матрицы $\mathbf{W}$ каждого класса нарисована как изображение (красный —
# положительные, синий — отрицательные, белый — удалённые); удаление по выбранному критерию, без дообучения.

# %%
def show_templates(criterion="l2", percent=80):
    en, ru, method, (W0, b0), kw = METHODS[criterion]
    Wp, bp = pruning.prune_logreg(method, percent / 100, W=W0, b=b0, X_train=Xtr, y_train=ytr, n_classes=K, **kw)
    mosaic = torch.cat([Wp[c].reshape(data.image_shape) for c in range(K)], dim=1)  # classes side by side
    vmax = Wp.abs().max().item() or 1.0
    fig, ax = plt.subplots(figsize=(1.1 * K, 1.6))
    ax.imshow(mosaic.numpy(), cmap="bwr", vmin=-vmax, vmax=vmax)
    ax.set_xticks([(c + 0.5) * data.image_shape[1] - 0.5 for c in range(K)], [str(c) for c in range(K)])
    ax.set_yticks([])
    ax.set_title(f"{tr(en, ru)}: {percent}% " + tr("removed, test accuracy", "удалено, точность на контроле")
                 + f" {training.accuracy(Wp, bp, Xte, yte):.3f}", fontsize=10)
    plt.show()


interact(show_templates,
         criterion=w.Dropdown(options=[(tr(en, ru), key) for key, (en, ru, *_r) in METHODS.items()], value="l2",
                              description=tr("criterion", "критерий")),
         percent=w.IntSlider(value=80, min=0, max=99, step=1, description=tr("removed, %", "удалено, %")))

# %% [markdown] lang="en"
# ## 5. Deep Compression
#
# Han, Mao & Dally (2016) chain four steps:
# 1. prune small weights and retrain (section 1), storing the positions of the survivors as **relative indices**
#    of a few bits each (with a zero filler when a gap does not fit);
# 2. **share weights**: k-means on each layer's surviving weights (linear initialisation), so each weight becomes
#    an index into a codebook of $k$ values ($\log_2 k$ bits);
# 3. **retrain the centroids**: the gradient of a shared value is the sum of the gradients of its weights,
#    $\partial L/\partial c_k = \sum_{ij} \partial L/\partial W_{ij}\, [I_{ij} = k]$;
# 4. **Huffman-code** the indices and the relative positions.
#
# The paper reports ×35–×49 smaller networks (the Russian seed rounds it to "40 times") and a ×3 speed-up. We count
# every stored bit: the coded indices, the coded positions, the codebook (32 bits per value), the two Huffman
# tables (a code length per symbol) and the raw 32-bit biases. The network is a small MLP
# (inputs → 64 ReLU → 10).

# %% [markdown] lang="ru"
# ## 5. Deep Compression
#
# Хан, Мао и Далли (2016) последовательно выполняют четыре шага:
# 1. удаляют малые веса и дообучают сеть (раздел 1), а позиции оставшихся весов хранят как **относительные
#    индексы** по несколько бит (с нулевым заполнителем, если промежуток не помещается);
# 2. **разделяют веса**: k-средних на оставшихся весах каждого слоя (линейная инициализация), так что вес
#    становится индексом в кодовой книге из $k$ значений ($\log_2 k$ бит);
# 3. **дообучают центроиды**: градиент общего значения равен сумме градиентов его весов,
#    $\partial L/\partial c_k = \sum_{ij} \partial L/\partial W_{ij}\, [I_{ij} = k]$;
# 4. **кодируют кодами Хаффмана** индексы и относительные позиции.
#
# В статье сети уменьшаются в 35–49 раз (в слайдах — «в 40 раз») при ускорении в 3 раза. Мы считаем каждый
# хранимый бит: закодированные индексы, закодированные позиции, кодовую книгу (32 бита на значение), две таблицы
# Хаффмана (длина кода на каждый символ) и несжатые 32-битные свободные члены. Сеть — небольшой многослойный
# перцептрон (входы → 64 ReLU → 10).

# %%
mlp = training.train_mlp(Xtr, ytr, K, hidden=(64,), epochs=200, lr=0.01, seed=0)
dc = compression.deep_compression(mlp, Xtr, ytr, K, prune={"W1": 0.8, "W2": 0.5}, n_clusters=16, index_bits=4,
                                  retrain_epochs=150, centroid_epochs=50)
acc = {"dense": training.mlp_accuracy(mlp, Xte, yte),
       **{stage: training.mlp_accuracy(p, Xte, yte) for stage, p in dc.stages.items()}}
print(dc.report.table(tr))
print()
names = {"dense": tr("dense", "исходная"), "pruned": tr("pruned + retrained", "прунинг + дообучение"),
         "quantized": tr("k-means shared", "общие веса (k-средних)"),
         "final": tr("centroids retrained", "дообученные центроиды")}
for stage, a in acc.items():
    print(f"  {names[stage]:28s} {tr('test accuracy', 'точность на контроле')} {a:.3f}")
drop = 100 * (acc["dense"] - acc["final"])
print(tr(f"compression factor {dc.report.factor:.1f}× (without Huffman coding "
         f"{dc.report.factor_without_huffman:.1f}×), accuracy drop {drop:.2f} points",
         f"коэффициент сжатия {dc.report.factor:.1f}× (без кодов Хаффмана {dc.report.factor_without_huffman:.1f}×), "
         f"потеря точности {drop:.2f} п."))
print(tr("goal: ≥ 10× at ≤ 1 point —", "цель: ≥ 10× при потере ≤ 1 п. —"),
      verdict(dc.report.factor >= 10 and drop <= 1))

fig, ax = plt.subplots(figsize=(7, 2.8))
ax.hist(dc.stages["pruned"]["W1"][dc.masks["W1"]].numpy(), bins=60, color="tab:blue", alpha=0.7,
        label=tr("surviving weights of layer 1", "оставшиеся веса слоя 1"))
for c in dc.codebooks["W1"].numpy():
    ax.axvline(c, color="tab:red", lw=1)
ax.set_xlabel(tr("weight value (red: the 16 shared values after retraining)",
                 "значение веса (красные — 16 общих значений после дообучения)"))
ax.legend(fontsize=8)
plt.show()

# %% [markdown] lang="en"
# ## 6. Bayesian compression: pruning groups
#
# Louizos, Ullrich & Welling (2017) put a scale $z$ on every **group** of weights (e.g. all outgoing weights of a
# neuron) and remove whole groups.
#
# **Model 1** (normal–Jeffreys): $z \sim p(z) \propto 1/|z|$ (log-uniform; the seed's $1/|z|^2$ is a slip),
# $\mathbf{w} \mid z \sim \mathcal{N}(\mathbf{0}, z^2)$; variational $q(z) = \mathcal{N}(\mu_z, \sigma_z^2)$,
# $q(\mathbf{w} \mid z) = \mathcal{N}(z\boldsymbol{\mu}, z^2\boldsymbol{\sigma}^2)$. A group is removed when
#
# $$\log \sigma_z - \log |\mu_z| > \lambda$$
#
# (its multiplicative noise dominates its scale; $\log\alpha = 2(\log\sigma_z - \log|\mu_z|)$ is the log
# "dropout rate", thresholded at 3 in the paper, i.e. $\lambda = 1.5$).
#
# **Model 2** (group horseshoe, a half-Cauchy scale mixture):
#
# $$s \sim \mathcal{C}^+(0, \lambda_0),\quad z_i \sim \mathcal{C}^+(0, 1),\quad \hat{w}_{ij} \sim
# \mathcal{N}(0, 1),\quad w_{ij} = s\, z_i\, \hat{w}_{ij};$$
#
# variational $q(s) = \mathcal{LN}(\mu_s, \sigma_s^2)$, $q(z_i) = \mathcal{LN}(\mu_{z_i}, \sigma_{z_i}^2)$
# (log-normal). The half-Cauchy has a tall peak at zero and heavy tails: small groups are shrunk hard, large ones
# are left alone. A group is removed when its posterior scale $s z_i$ is negligible; we threshold
# $\mathbb{E}_q \log(s z_i) = \mu_s + \mu_{z_i}$.

# %% [markdown] lang="ru"
# ## 6. Байесовское сжатие: удаление групп
#
# Лузос, Ульрих и Веллинг (2017) вводят масштаб $z$ для каждой **группы** весов (например, всех исходящих весов
# нейрона) и удаляют группы целиком.
#
# **Модель 1** (нормальное — Джеффрис): $z \sim p(z) \propto 1/|z|$ (логарифмически равномерное; $1/|z|^2$ в
# слайдах — описка), $\mathbf{w} \mid z \sim \mathcal{N}(\mathbf{0}, z^2)$; вариационное распределение
# $q(z) = \mathcal{N}(\mu_z, \sigma_z^2)$, $q(\mathbf{w} \mid z) = \mathcal{N}(z\boldsymbol{\mu},
# z^2\boldsymbol{\sigma}^2)$. Группа удаляется, если
#
# $$\log \sigma_z - \log |\mu_z| > \lambda$$
#
# (мультипликативный шум группы превосходит её масштаб; $\log\alpha = 2(\log\sigma_z - \log|\mu_z|)$ — логарифм
# «доли дропаута», в статье порог 3, то есть $\lambda = 1.5$).
#
# **Модель 2** (групповая «подкова», смесь масштабов с полукошиевским распределением):
#
# $$s \sim \mathcal{C}^+(0, \lambda_0),\quad z_i \sim \mathcal{C}^+(0, 1),\quad \hat{w}_{ij} \sim
# \mathcal{N}(0, 1),\quad w_{ij} = s\, z_i\, \hat{w}_{ij};$$
#
# вариационные распределения $q(s) = \mathcal{LN}(\mu_s, \sigma_s^2)$, $q(z_i) = \mathcal{LN}(\mu_{z_i},
# \sigma_{z_i}^2)$ (логнормальные). У полукошиевского распределения высокий пик в нуле и тяжёлые хвосты: малые
# группы сильно сжимаются к нулю, большие почти не затрагиваются. Группа удаляется, если её апостериорный масштаб
# $s z_i$ пренебрежимо мал; мы сравниваем с порогом $\mathbb{E}_q \log(s z_i) = \mu_s + \mu_{z_i}$.

# %%
t = torch.linspace(0.01, 8, 400)
fig, axes = plt.subplots(1, 2, figsize=(11, 3.2))
for dist, name in [(torch.distributions.HalfCauchy(1.0), tr("half-Cauchy C⁺(0, 1)", "полукошиевское C⁺(0, 1)")),
                   (torch.distributions.HalfNormal(1.0), tr("half-normal", "полунормальное"))]:
    axes[0].semilogy(t.numpy(), dist.log_prob(t).exp().numpy(), label=name)
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
      tr("→ kept at λ = 1.5:", "→ остаются при λ = 1.5:"), pruning.jeffreys_group_mask(mu_z, sigma_z, 1.5).tolist())

# %% [markdown] lang="en"
# ## 7. A prior over structure: the Indian buffet process
#
# Adams, Wallach & Ghahramani (2010) treat the connections of a deep network as a random binary matrix $Z$ (rows:
# units of one layer, columns: units of the next) with the two-parameter **Indian buffet process** prior
# (Ghahramani, Griffiths & Sollich 2007). A restaurant has finitely many customers and infinitely many dishes;
# customer $j$ takes each dish $k$ already tasted with probability
#
# $$\frac{\eta_k}{j + \beta - 1},$$
#
# where $\eta_k$ is the number of previous customers who took it (its popularity), and then
# $\mathrm{Poisson}\big(\frac{\alpha\beta}{j + \beta - 1}\big)$ new dishes. Every customer takes
# $\mathrm{Poisson}(\alpha)$ dishes on average, and the expected number of distinct dishes after $N$ customers is
#
# $$\mathbb{E}K_+ = \alpha \sum_{j=1}^{N} \frac{\beta}{\beta + j - 1}.$$
#
# $\alpha$ sets how many dishes each customer takes; $\beta$ how much they share ($\beta \to 0$: all eat the same;
# large $\beta$: everyone new). The paper samples structure and parameters by MCMC. **Main conclusion: the
# structure can be treated as a random variable and handled by probabilistic methods.** Below: the seed's five
# settings, and a check of $\mathbb{E}K_+$ by simulation.

# %% [markdown] lang="ru"
# ## 7. Априорное распределение на структурах: индийский буфет
#
# Адамс, Уоллах и Гарамани (2010) рассматривают связи глубокой сети как случайную бинарную матрицу $Z$ (строки —
# нейроны одного слоя, столбцы — следующего) с априорным **двухпараметрическим процессом индийского буфета**
# (Гарамани, Гриффитс и Соллих, 2007). В ресторане конечное число посетителей и бесконечное число блюд;
# $j$-й посетитель берёт каждое уже опробованное блюдо $k$ с вероятностью
#
# $$\frac{\eta_k}{j + \beta - 1},$$
#
# где $\eta_k$ — число предыдущих посетителей, выбравших это блюдо (его популярность), а затем ещё
# $\mathrm{Poisson}\big(\frac{\alpha\beta}{j + \beta - 1}\big)$ новых блюд. Каждый посетитель в среднем берёт
# $\mathrm{Poisson}(\alpha)$ блюд, а ожидаемое число различных блюд после $N$ посетителей равно
#
# $$\mathbb{E}K_+ = \alpha \sum_{j=1}^{N} \frac{\beta}{\beta + j - 1}.$$
#
# $\alpha$ задаёт, сколько блюд берёт каждый, $\beta$ — насколько посетители делят блюда ($\beta \to 0$: все едят
# одно и то же; большое $\beta$: каждый берёт новое). В статье структура и параметры порождаются методом MCMC.
# **Главный вывод: структуру можно рассматривать как случайную величину и применять к ней вероятностные методы.**
# Ниже — пять настроек из слайдов и проверка $\mathbb{E}K_+$ моделированием.

# %%
structure.plot_ibp(structure.SEED_SETTINGS, n_customers=40, seed=0, tr=tr)
plt.tight_layout()
plt.show()
gen = torch.Generator().manual_seed(0)
for a, bta in structure.SEED_SETTINGS:
    ks = [structure.sample_ibp(40, a, bta, gen).shape[1] for _ in range(40)]
    print(f"α = {a:g}, β = {bta:g}: " + tr("mean K₊ over 40 draws", "среднее K₊ по 40 выборкам"),
          f"{np.mean(ks):.2f} ± {np.std(ks) / np.sqrt(40):.2f}, α Σ β/(β+j−1) = {structure.ibp_expected_dishes(40, a, bta):.2f}")


# %%
def show_ibp(alpha=1.0, beta=1.0):
    fig, ax = plt.subplots(figsize=(4, 4))
    structure.plot_ibp([(alpha, beta)], n_customers=40, seed=1, tr=tr, axes=[ax])
    plt.show()


interact(show_ibp, alpha=w.FloatSlider(value=1.0, min=0.25, max=4.0, step=0.25, description="α"),
         beta=w.FloatSlider(value=1.0, min=0.25, max=4.0, step=0.25, description="β"))

# %% [markdown] lang="en"
# ## 8. The variational bound with a structure $\Gamma$
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
# distribution with temperature $\lambda_{\text{temp}}$, $\tilde\Gamma = \sigma\big((\operatorname{logit}\pi +
# \log u - \log(1-u))/\lambda_{\text{temp}}\big)$, which allows gradients in $\pi$. The temperature is a
# metaparameter: as it falls, the relaxed bound approaches the exact one (and the gradient variance grows).
# Below: linear regression with 6 switchable weights ($2^6 = 64$ structures), the exact bound by enumeration
# and the relaxed estimate at several temperatures.

# %% [markdown] lang="ru"
# ## 8. Вариационная оценка со структурой $\Gamma$
#
# Пусть априорное распределение параметров зависит от структуры, $\mathbf{w} \sim p(\mathbf{w} \mid \Gamma,
# \mathbf{h})$, а апостериорное приближается распределением $q(\mathbf{w}, \Gamma) = q(\Gamma)\, q(\mathbf{w} \mid
# \Gamma)$. По цепному правилу для дивергенции Кульбака — Лейблера вариационная оценка имеет вид
#
# $$\log p(\mathbf{y} \mid \mathbf{X}, \mathbf{h}) \ge \mathbb{E}_{q(\Gamma)}\mathbb{E}_{q(\mathbf{w} \mid \Gamma)}
# \log p(\mathbf{y} \mid \mathbf{X}, \mathbf{w}, \Gamma) - \mathrm{KL}\big(q(\Gamma) \,\|\, p(\Gamma \mid
# \mathbf{h})\big) - \mathbb{E}_{q(\Gamma)}\, \mathrm{KL}\big(q(\mathbf{w} \mid \Gamma) \,\|\, p(\mathbf{w} \mid
# \Gamma, \mathbf{h})\big).$$
#
# Для небольшой дискретной структуры математическое ожидание по $q(\Gamma)$ — конечная сумма; в общем случае его
# заменяют **релаксацией**: $\Gamma$ порождается из непрерывного релаксированного распределения Бернулли
# (Gumbel-softmax, бинарное конкретное распределение) с температурой $\lambda_{\text{temp}}$,
# $\tilde\Gamma = \sigma\big((\operatorname{logit}\pi + \log u - \log(1-u))/\lambda_{\text{temp}}\big)$, что
# позволяет дифференцировать по $\pi$. Температура — метапараметр: при её уменьшении релаксированная оценка
# приближается к точной (а дисперсия градиента растёт). Ниже — линейная регрессия с 6 отключаемыми весами
# ($2^6 = 64$ структуры), точная оценка перебором и релаксированная при разных температурах.

# %%
g = torch.Generator().manual_seed(2)
Xg = torch.randn(30, 6, generator=g, dtype=torch.float64)
yg = Xg @ torch.tensor([2.0, 0.0, -1.0, 0.0, 0.5, 0.0], dtype=torch.float64) + 0.3 * torch.randn(30, generator=g,
                                                                                                dtype=torch.float64)
mu_g = torch.tensor([1.9, 0.1, -1.0, 0.05, 0.45, 0.0], dtype=torch.float64)
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

# %% [markdown] lang="en"
# ## 9. Parametric complexity
#
# The **relative variational density** of a parameter compares the density of $q$ at the prior's mode with its
# density at its own mode:
#
# $$\rho(w \mid \mathbf{h}) = \frac{q_w\big(\operatorname{mode} p(\mathbf{w} \mid \Gamma, \mathbf{h},
# \boldsymbol{\lambda})\big)}{q_w(\operatorname{mode} q_w)}, \qquad \rho = \prod_{w \in \mathbf{w}}
# \rho(w \mid \Gamma, \theta_w, \mathbf{h}, \boldsymbol{\lambda}).$$
#
# For a Gaussian $q$ and a zero-mode prior it is Graves' $\exp(-\mu^2/2\sigma^2)$.
#
# **Definition.** The *parametric complexity* of a model is the smallest divergence between the variational
# distribution and the prior,
#
# $$C_p = \min_{\mathbf{h} \in U} D_{\mathrm{KL}}\big(q \,\|\, p(\mathbf{w}, \Gamma \mid \mathbf{h},
# \lambda_{\text{temp}}, \mathbf{f})\big),$$
#
# $U$ a compact set. **Statement.** If $\lim_{i\to\infty} C_p(\theta[i]) = 0$ for a sequence of variational
# parameters, then $\lim_{i\to\infty} \mathbb{E}_{q(\Gamma)}\, \rho^{-1}(\mathbf{w} \mid \mathbf{h}[i]) = 1$ with
# $\mathbf{h}[i]$ the minimiser: a model of vanishing complexity has all its parameters at the prior's mode — all
# of them can be removed. For Graves' posterior and a prior $\mathcal{N}(0, h)$ the minimum is in closed form,
# $h^* = \overline{\mu^2 + \sigma^2}$.

# %% [markdown] lang="ru"
# ## 9. Параметрическая сложность
#
# **Относительная вариационная плотность** параметра сравнивает плотность $q$ в моде априорного распределения с
# её плотностью в собственной моде:
#
# $$\rho(w \mid \mathbf{h}) = \frac{q_w\big(\operatorname{mode} p(\mathbf{w} \mid \Gamma, \mathbf{h},
# \boldsymbol{\lambda})\big)}{q_w(\operatorname{mode} q_w)}, \qquad \rho = \prod_{w \in \mathbf{w}}
# \rho(w \mid \Gamma, \theta_w, \mathbf{h}, \boldsymbol{\lambda}).$$
#
# Для гауссовского $q$ и априорного распределения с модой в нуле это величина Грейвса $\exp(-\mu^2/2\sigma^2)$.
#
# **Определение.** *Параметрической сложностью* модели называется минимальная дивергенция между вариационным и
# априорным распределениями:
#
# $$C_p = \min_{\mathbf{h} \in U} D_{\mathrm{KL}}\big(q \,\|\, p(\mathbf{w}, \Gamma \mid \mathbf{h},
# \lambda_{\text{temp}}, \mathbf{f})\big),$$
#
# где $U$ — некоторый компакт. **Утверждение.** Если для последовательности вариационных параметров
# $\lim_{i\to\infty} C_p(\theta[i]) = 0$, то $\lim_{i\to\infty} \mathbb{E}_{q(\Gamma)}\, \rho^{-1}(\mathbf{w}
# \mid \mathbf{h}[i]) = 1$, где $\mathbf{h}[i]$ — точка минимума: у модели исчезающей сложности все параметры
# находятся в моде априорного распределения — все их можно удалить. Для апостериорного распределения Грейвса и
# априорного $\mathcal{N}(0, h)$ минимум находится явно: $h^* = \overline{\mu^2 + \sigma^2}$.

# %%
cp, h_star = variational.parametric_complexity(graves.mu_W, graves.sigma_W)
cp_w, _ = variational.parametric_complexity(graves.mu_W, graves.sigma_W, per_weight=True)
log_rho = variational.log_relative_variational_density(graves.mu_W, graves.sigma_W)
print(tr("Graves' posterior:", "апостериорное распределение Грейвса:"),
      f"C_p = {cp.item():.1f} " + tr("nats", "нат"), f"(h* = {h_star.item():.3f});",
      tr("with a prior variance per weight", "с дисперсией априорного распределения на каждый вес"),
      f"C_p = {cp_w.item():.1f};", f"log ρ = Σ log ρ(w) = {log_rho.sum().item():.1f}")

# %% [markdown] lang="en"
# ## 10. What should a "good" optimisation function do?
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
# **Structure-transition criterion 1.** There are a non-trivial constant $K$ and metaparameters
# $\boldsymbol{\lambda}$ such that for any pair of local optima $\mathbf{h}_1, \mathbf{h}_2$ with variational
# parameters $\theta(\mathbf{h}_1), \theta(\mathbf{h}_2)$ such that
# $\mathrm{KL}(q(\Gamma \mid \theta_1) \,\|\, q(\Gamma \mid \theta_2)) > K$,
# $\mathrm{KL}(q(\Gamma \mid \theta_2) \,\|\, q(\Gamma \mid \theta_1)) > K$ and
# $Q(\mathbf{h}_1 \mid \boldsymbol{\lambda}) > Q(\mathbf{h}_2 \mid \boldsymbol{\lambda})$, there is a
# $\boldsymbol{\lambda}'$ such that (1) the correspondences $\theta(\mathbf{h}_1), \theta(\mathbf{h}_2)$ are
# preserved and (2) $Q(\mathbf{h}_1 \mid \boldsymbol{\lambda}') < Q(\mathbf{h}_2 \mid \boldsymbol{\lambda}')$.
#
# **Criterion 2** is the same with the divergences between the *priors* over structures,
# $\mathrm{KL}(p(\Gamma \mid \mathbf{h}_1) \,\|\, p(\Gamma \mid \mathbf{h}_2)) > K$ and
# $\mathrm{KL}(p(\Gamma \mid \mathbf{h}_2) \,\|\, p(\Gamma \mid \mathbf{h}_1)) > K$.
#
# In words: changing the metaparameters must be able to reverse the preference between two structurally different
# optima. **For $L = Q$ equal to the variational bound, criterion 2 does not hold** (theory assignment 5).

# %% [markdown] lang="ru"
# ## 10. Какой должна быть «хорошая» функция оптимизации?
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
# **Критерий перехода между структурами 1.** Существуют нетривиальная константа $K$ и метапараметры
# $\boldsymbol{\lambda}$, такие что для любой пары локальных оптимумов $\mathbf{h}_1, \mathbf{h}_2$ с
# вариационными параметрами $\theta(\mathbf{h}_1), \theta(\mathbf{h}_2)$, для которых
# $\mathrm{KL}(q(\Gamma \mid \theta_1) \,\|\, q(\Gamma \mid \theta_2)) > K$,
# $\mathrm{KL}(q(\Gamma \mid \theta_2) \,\|\, q(\Gamma \mid \theta_1)) > K$ и
# $Q(\mathbf{h}_1 \mid \boldsymbol{\lambda}) > Q(\mathbf{h}_2 \mid \boldsymbol{\lambda})$, существует значение
# $\boldsymbol{\lambda}'$, при котором (1) соответствия $\theta(\mathbf{h}_1), \theta(\mathbf{h}_2)$ сохраняются и
# (2) $Q(\mathbf{h}_1 \mid \boldsymbol{\lambda}') < Q(\mathbf{h}_2 \mid \boldsymbol{\lambda}')$.
#
# **Критерий 2** — то же самое с дивергенциями между *априорными* распределениями структур:
# $\mathrm{KL}(p(\Gamma \mid \mathbf{h}_1) \,\|\, p(\Gamma \mid \mathbf{h}_2)) > K$ и
# $\mathrm{KL}(p(\Gamma \mid \mathbf{h}_2) \,\|\, p(\Gamma \mid \mathbf{h}_1)) > K$.
#
# Словами: изменение метапараметров должно позволять поменять предпочтение между двумя структурно различными
# оптимумами. **Для $L = Q$, равной вариационной оценке, критерий 2 не выполняется** (теоретическое задание 5).

# %% [markdown] lang="en"
# ## Check yourself
# 1. Why does the first-order term vanish in the OBD expansion, and what does the diagonal approximation throw
#    away? When do OBD and OBS give the same saliency?
# 2. Derive the OBS update $\Delta\boldsymbol{\theta}$ with a Lagrange multiplier.
# 3. Why can retraining from a random point reach the same accuracy as from the previous optimum for logistic
#    regression, but not within a small budget? Would you expect the same for a deep network?
# 4. Write $\mathrm{KL}(\mathcal{N}(\boldsymbol{\mu}, \boldsymbol{\Sigma}_q) \,\|\, \mathcal{N}(\mathbf{0},
#    \mathbf{A}^{-1}))$ and find which terms the seed's Graves formula drops.
# 5. In Deep Compression, which stored parts did we count, and which dominates for a small network?
# 6. Compute $\mathbb{E}K_+$ of the IBP for $N = 1$ and for $\beta \to \infty$. What does $\beta$ control?
# 7. Why does the relaxed bound with structure approach the exact one as the temperature falls, and what is the
#    price?
# 8. Which of the six requirements does the plain ELBO satisfy?

# %% [markdown] lang="ru"
# ## Проверьте себя
# 1. Почему в разложении OBD исчезает член первого порядка и что отбрасывает диагональное приближение? Когда OBD
#    и OBS дают одинаковую информативность?
# 2. Выведите поправку OBS $\Delta\boldsymbol{\theta}$ с помощью множителя Лагранжа.
# 3. Почему для логистической регрессии дообучение из случайной точки может достичь той же точности, что и из
#    предыдущего оптимума, но не за малое число итераций? Ожидаете ли вы того же для глубокой сети?
# 4. Запишите $\mathrm{KL}(\mathcal{N}(\boldsymbol{\mu}, \boldsymbol{\Sigma}_q) \,\|\, \mathcal{N}(\mathbf{0},
#    \mathbf{A}^{-1}))$ и найдите слагаемые, потерянные в формуле Грейвса из слайдов.
# 5. Какие хранимые части мы учли в Deep Compression и какая из них преобладает для маленькой сети?
# 6. Вычислите $\mathbb{E}K_+$ индийского буфета при $N = 1$ и при $\beta \to \infty$. За что отвечает $\beta$?
# 7. Почему релаксированная оценка со структурой приближается к точной при уменьшении температуры и какова цена?
# 8. Каким из шести требований удовлетворяет обычная вариационная оценка (ELBO)?

# %% [markdown] lang="en"
# ## References
# * LeCun Y., Denker J. S., Solla S. A. Optimal brain damage. NIPS 1990.
# * Hassibi B., Stork D. G. Second order derivatives for network pruning: Optimal Brain Surgeon. NIPS 1993.
# * Han S., Pool J., Tran J., Dally W. J. Learning both weights and connections for efficient neural networks.
#   NIPS 2015.
# * Han S., Mao H., Dally W. J. Deep compression: compressing deep neural networks with pruning, trained
#   quantization and Huffman coding. ICLR 2016 (arXiv:1510.00149).
# * Hinton G. E., van Camp D. Keeping neural networks simple by minimizing the description length of the weights.
#   COLT 1993.
# * Graves A. Practical variational inference for neural networks. NIPS 2011.
# * Louizos C., Ullrich K., Welling M. Bayesian compression for deep learning. NIPS 2017.
# * Ghahramani Z., Griffiths T. L., Sollich P. Bayesian nonparametric latent feature models. Bayesian Statistics 8,
#   2007; Griffiths T. L., Ghahramani Z. Infinite latent feature models and the Indian buffet process. NIPS 2005.
# * Adams R., Wallach H., Ghahramani Z. Learning the structure of deep sparse graphical models. AISTATS 2010.
# * Maddison C. J., Mnih A., Teh Y. W. The concrete distribution. ICLR 2017; Jang E., Gu S., Poole B.
#   Categorical reparameterization with Gumbel-softmax. ICLR 2017.
# * Beck A., Teboulle M. A fast iterative shrinkage-thresholding algorithm for linear inverse problems. SIAM J.
#   Imaging Sciences, 2009.
# * Грабовой А. В., Бахтеев О. Ю., Стрижов В. В. Определение релевантности параметров нейросети. Информатика и её
#   применения, 2019, 13(2):62–70.
# * Bakhteev O. Y., Strijov V. V. Comprehensive analysis of gradient-based hyperparameter optimization
#   algorithms. Annals of Operations Research, 2020.

# %% [markdown] lang="ru"
# ## Литература
# * Лекун Я., Денкер Дж., Солла С. Оптимальное повреждение мозга (Optimal Brain Damage). NIPS, 1990.
# * Хассиби Б., Сторк Д. Производные второго порядка для прунинга сетей: оптимальный хирург мозга. NIPS, 1993.
# * Хан С., Пул Дж., Тран Дж., Далли У. Обучение весов и связей для эффективных нейросетей. NIPS, 2015.
# * Хан С., Мао Х., Далли У. Глубокое сжатие: прунинг, обучаемое квантование и коды Хаффмана (Deep
#   Compression). ICLR, 2016.
# * Хинтон Дж., ван Камп Д. Простые нейросети через минимизацию длины описания весов. COLT, 1993.
# * Грейвс А. Практический вариационный вывод для нейросетей. NIPS, 2011.
# * Лузос К., Ульрих К., Веллинг М. Байесовское сжатие в глубоком обучении. NIPS, 2017.
# * Гарамани З., Гриффитс Т., Соллих П. Байесовские непараметрические модели латентных признаков, 2007;
#   Гриффитс Т., Гарамани З. Бесконечные модели латентных признаков и индийский буфет. NIPS, 2005.
# * Адамс Р., Уоллах Х., Гарамани З. Обучение структуры глубоких разреженных графических моделей. AISTATS, 2010.
# * Мэддисон К., Мних А., Тэ И. Конкретное распределение. ICLR, 2017; Джанг Э., Гу Ш., Пул Б. Категориальная
#   репараметризация через Gumbel-softmax. ICLR, 2017.
# * Бек А., Тебуль М. Быстрый итерационный алгоритм мягкого порога (FISTA). SIAM J. Imaging Sciences, 2009.
# * Грабовой А. В., Бахтеев О. Ю., Стрижов В. В. Определение релевантности параметров нейросети. Информатика и её
#   применения, 2019, 13(2):62–70.
# * Бахтеев О. Ю., Стрижов В. В. Всесторонний анализ градиентных методов оптимизации гиперпараметров. Annals of
#   Operations Research, 2020.
# * Бахтеев О. Ю. Метаоптимизация и структура. Слайды лекции, МФТИ, 2019 (формулы OBD, Грейвса и вариационной
#   оценки исправлены по оригинальным статьям).
