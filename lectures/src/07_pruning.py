# %% [markdown] lang="en"
# # Lecture 7. Pruning and compression
#
# **After this lecture you can**
# * derive the saliency of Optimal Brain Damage, $h_{ii}\theta_i^2/2$, and of Optimal Brain Surgeon,
#   $\theta_q^2/(2[\mathbf{H}^{-1}]_{qq})$, say which Hessian they use (with the regulariser's term) and tell them apart;
# * get the diagonal of a network's Hessian exactly (Gauss–Newton) or by Hutchinson's estimate, and know when the two
#   agree;
# * prune a network by magnitude with retraining (Han et al. 2015), iteratively, and state the paper's three
#   observations;
# * compress a network with Deep Compression — prune, share weights by per-layer k-means, retrain the centroids,
#   Huffman-code — and count every stored bit.
#
# The demonstrations use a small multilayer perceptron (MLP). The homework (practice assignments 1–3) prunes
# logistic regression: the comparisons it asks for are left to you.

# %% [markdown] lang="ru"
# # Лекция 7. Прунинг и сжатие
#
# **После этой лекции вы сможете**
# * выводить значимость (saliency) в методе Optimal Brain Damage, $h_{ii}\theta_i^2/2$, и в методе Optimal Brain
#   Surgeon, $\theta_q^2/(2[\mathbf{H}^{-1}]_{qq})$, называть гессиан, который они используют (вместе со слагаемым
#   регуляризатора), и не путать эти методы;
# * находить диагональ гессиана нейросети точно (через матрицу Гаусса — Ньютона) или оценкой Хатчинсона и знать,
#   когда они совпадают;
# * удалять параметры сети по модулю с дообучением (Han и др., 2015), в том числе итеративно, и формулировать
#   три наблюдения статьи;
# * сжимать сеть методом Deep Compression — прунинг, разделение весов k-средними в каждом слое, дообучение
#   центроидов, коды Хаффмана — и подсчитывать каждый хранимый бит.
#
# Все демонстрации — на небольшом многослойном перцептроне. В домашнем задании (практические задания 1–3) удаляются
# параметры логистической регрессии: сравнения, о которых там спрашивается, вы проведёте сами.

# %%
import ipywidgets as w
import matplotlib.pyplot as plt
import numpy as np
import torch

from metaopt_course.widgets import interact
from metaopt_lib import compression, pruning, training
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

L2, HIDDEN = 1e-4, 32  # the penalty l2·Σ‖W_l‖² and the width of the hidden layer
mlp = training.train_mlp(Xtr, ytr, K, hidden=(HIDDEN,), epochs=300, lr=0.01, l2=L2, seed=0)
NAMES = training.mlp_weight_names(mlp)  # ["W1", "W2"]: the weight matrices we prune (biases are kept)
n_weights = sum(mlp[n].numel() for n in NAMES)
acc0 = training.mlp_accuracy(mlp, Xte, yte)
print(tr(f"MLP {Xtr.shape[1]} → {HIDDEN} ReLU → {K}: {n_weights} weights, test accuracy {acc0:.3f}",
         f"перцептрон {Xtr.shape[1]} → {HIDDEN} ReLU → {K}: {n_weights} весов, точность на тесте {acc0:.3f}"))

# %% [markdown] lang="en"
# ## 1. The pruning problem
#
# A trained model has parameters $\boldsymbol{\theta} \in \mathbb{R}^u$ (in lecture 0's notation $\boldsymbol{\theta}$
# is what training optimises; here it is simply the weights $\mathbf{w}$). Pruning chooses a **mask**
# $\mathbf{m} \in \{0, 1\}^u$ with a given share of zeros and keeps $\mathbf{m} \odot \boldsymbol{\theta}$; the
# structure $\Gamma$ of the model becomes "which parameters exist" (lecture 8 treats $\Gamma$ as a random variable).
# The measure of sparsity is the percent of parameters removed, $100 \cdot \|\mathbf{1} - \mathbf{m}\|_1 / u$.
#
# Our model is the MLP above, trained by full-batch Adam on the mean cross-entropy plus an $L_2$ penalty,
#
# $$L(\boldsymbol{\theta}) = -\frac{1}{n}\sum_{i=1}^{n} \log p(y_i \mid \mathbf{x}_i, \boldsymbol{\theta})
# + \lambda \sum_{l} \|\mathbf{W}_l\|^2 , \qquad \lambda = 10^{-4};$$
#
# the penalty weight $\lambda$ is a metaparameter (lecture 0); the code calls it `L2`.
#
# Three questions organise the lecture: *which* parameters to remove (a criterion: magnitude, a saliency),
# *what to do afterwards* (nothing, or retrain the survivors with the mask fixed) and *how to store* what is left.

# %% [markdown] lang="ru"
# ## 1. Задача удаления параметров
#
# У обученной модели параметры $\boldsymbol{\theta} \in \mathbb{R}^u$ (в обозначениях лекции 0
# $\boldsymbol{\theta}$ — то, что оптимизирует обучение; здесь это просто веса $\mathbf{w}$). Прунинг выбирает **маску**
# $\mathbf{m} \in \{0, 1\}^u$ с заданной долей нулей и оставляет $\mathbf{m} \odot \boldsymbol{\theta}$; структура
# $\Gamma$ модели — это ответ на вопрос «какие параметры существуют» (в лекции 8 структура $\Gamma$ станет случайной
# величиной). Мера разреженности — процент удалённых параметров $100 \cdot \|\mathbf{1} - \mathbf{m}\|_1 / u$.
#
# Наша модель — перцептрон выше, обученный методом Adam по всей выборке (без батчей) на средней кросс-энтропии с
# $L_2$-регуляризацией:
#
# $$L(\boldsymbol{\theta}) = -\frac{1}{n}\sum_{i=1}^{n} \log p(y_i \mid \mathbf{x}_i, \boldsymbol{\theta})
# + \lambda \sum_{l} \|\mathbf{W}_l\|^2 , \qquad \lambda = 10^{-4};$$
#
# вес штрафа $\lambda$ — метапараметр (лекция 0); в коде он называется `L2`.
#
# Лекцию организуют три вопроса: *какие* параметры удалять (критерий: модуль, значимость), *что делать потом*
# (ничего или дообучить оставшиеся веса при фиксированной маске) и *как хранить* то, что осталось.

# %% [markdown] lang="en"
# ## 2. Optimal Brain Damage and Optimal Brain Surgeon
#
# Expand the loss (minimised) around a trained point $\boldsymbol{\theta}^*$:
#
# $$L(\boldsymbol{\theta}^* + \Delta\boldsymbol{\theta}) - L(\boldsymbol{\theta}^*) = \nabla L^\top
# \Delta\boldsymbol{\theta} + \tfrac{1}{2}\, \Delta\boldsymbol{\theta}^\top \mathbf{H}\, \Delta\boldsymbol{\theta}
# + O(\|\Delta\boldsymbol{\theta}\|^3),$$
#
# where $\mathbf{H}$ is the Hessian of $L$ at $\boldsymbol{\theta}^*$ and $\nabla L(\boldsymbol{\theta}^*) \approx
# \mathbf{0}$ at a minimum. (The 2019 MIPT slides write the quadratic term as $\theta^\top \mathbf{H} \theta$; it is
# $\Delta\theta^\top \mathbf{H} \Delta\theta$.) Removing parameter $q$ is the constraint $\mathbf{e}_q^\top
# \Delta\boldsymbol{\theta} + \theta^*_q = 0$.
#
# **Which Hessian.** $\mathbf{H}$ is the Hessian of the loss that was *trained*, penalty included. For
# $\lambda \|\boldsymbol{\theta}\|^2$ the penalty adds $2 \lambda$ to every diagonal entry:
#
# $$\mathbf{H} = \nabla^2 \mathrm{CE}(\boldsymbol{\theta}^*) + 2 \lambda \mathbf{I}, \qquad h_{ii} = \frac{\partial^2
# \mathrm{CE}}{\partial \theta_i^2} + 2 \lambda .$$
#
# This is the Hessian used everywhere below (and in practice assignment 3). Its entries $h_{ij}$ keep the letter of
# LeCun et al.; they are not the hyperparameters $\mathbf{h}$ of lecture 0.
#
# **Optimal Brain Damage** (LeCun, Denker & Solla 1990) takes $\mathbf{H}$ *diagonal*; the other parameters do not
# move, and removing parameter $i$ raises the loss by its **saliency**
#
# $$s_i^{\mathrm{OBD}} = \tfrac{1}{2}\, h_{ii}\, \theta_i^{*2}.$$
#
# LeCun et al. get $h_{ii}$ by a backward pass of second derivatives that drops the same term as the Gauss–Newton
# approximation below, and they use OBD as a loop: train, delete the parameters of lowest saliency, retrain, repeat.
#
# **Optimal Brain Surgeon** (Hassibi & Stork 1993) keeps the full $\mathbf{H}$ and lets the other parameters
# compensate: $\min_{\Delta\theta} \tfrac12 \Delta\theta^\top \mathbf{H} \Delta\theta$ subject to
# $\mathbf{e}_q^\top\Delta\theta + \theta_q = 0$ gives
#
# $$s_q^{\mathrm{OBS}} = \frac{\theta_q^2}{2\,[\mathbf{H}^{-1}]_{qq}}, \qquad
# \Delta\boldsymbol{\theta} = -\frac{\theta_q}{[\mathbf{H}^{-1}]_{qq}}\, \mathbf{H}^{-1}\mathbf{e}_q .$$
#
# The 2019 slides give this second formula under the name OBD: it is the OBS saliency. For a diagonal
# $\mathbf{H}$, $[\mathbf{H}^{-1}]_{qq} = 1/h_{qq}$ and the two coincide. OBS needs $\mathbf{H}^{-1}$, so
# $\mathbf{H}$ must be positive definite; greedy OBS for many weights downdates $\mathbf{H}^{-1}$ after every removal
# so that removed weights stay zero (`pruning.obs_prune_many`).
#
# **The cell.** For the output layer $\mathbf{W}_2$ of our MLP (320 weights, everything else fixed) the exact
# Hessian is affordable. We remove 10–90 % of $\mathbf{W}_2$ by OBD (diagonal of that Hessian, survivors frozen) and by
# greedy OBS (full Hessian, survivors moved), and compare the *actual* growth of the training loss with the
# quadratic model's prediction $\nabla L^\top \Delta\theta + \frac12 \Delta\theta^\top \mathbf{H} \Delta\theta$.

# %% [markdown] lang="ru"
# ## 2. Optimal Brain Damage и Optimal Brain Surgeon
#
# Разложим минимизируемую функцию потерь в окрестности обученной точки $\boldsymbol{\theta}^*$:
#
# $$L(\boldsymbol{\theta}^* + \Delta\boldsymbol{\theta}) - L(\boldsymbol{\theta}^*) = \nabla L^\top
# \Delta\boldsymbol{\theta} + \tfrac{1}{2}\, \Delta\boldsymbol{\theta}^\top \mathbf{H}\, \Delta\boldsymbol{\theta}
# + O(\|\Delta\boldsymbol{\theta}\|^3),$$
#
# где $\mathbf{H}$ — гессиан $L$ в точке $\boldsymbol{\theta}^*$, а в минимуме $\nabla L(\boldsymbol{\theta}^*)
# \approx \mathbf{0}$. (В слайдах лекции МФТИ 2019 года квадратичный член записан как $\theta^\top \mathbf{H}
# \theta$; правильно — $\Delta\theta^\top \mathbf{H} \Delta\theta$.) Удаление параметра $q$ — это ограничение
# $\mathbf{e}_q^\top \Delta\boldsymbol{\theta} + \theta^*_q = 0$.
#
# **Какой гессиан.** $\mathbf{H}$ — гессиан той функции потерь, которую *обучали*, вместе с регуляризатором. Штраф
# $\lambda \|\boldsymbol{\theta}\|^2$ добавляет $2 \lambda$ к каждому диагональному элементу:
#
# $$\mathbf{H} = \nabla^2 \mathrm{CE}(\boldsymbol{\theta}^*) + 2 \lambda \mathbf{I}, \qquad h_{ii} = \frac{\partial^2
# \mathrm{CE}}{\partial \theta_i^2} + 2 \lambda .$$
#
# Именно этот гессиан используется везде ниже (и в практическом задании 3). Его элементы $h_{ij}$ обозначены, как
# у LeCun и др.; это не гиперпараметры $\mathbf{h}$ из лекции 0.
#
# **Optimal Brain Damage** (LeCun, Denker, Solla, 1990) считает гессиан $\mathbf{H}$ *диагональным*; остальные
# параметры не меняются, и удаление параметра $i$ увеличивает функцию потерь на его **значимость** (saliency)
#
# $$s_i^{\mathrm{OBD}} = \tfrac{1}{2}\, h_{ii}\, \theta_i^{*2}.$$
#
# LeCun и др. находят $h_{ii}$ обратным проходом вторых производных, отбрасывая то же слагаемое, что и приближение
# Гаусса — Ньютона ниже, и применяют OBD циклом: обучить, удалить параметры с наименьшей значимостью, дообучить,
# повторить.
#
# **Optimal Brain Surgeon** (Hassibi, Stork, 1993) использует полный гессиан и позволяет остальным параметрам
# компенсировать удаление: задача $\min_{\Delta\theta} \tfrac12 \Delta\theta^\top \mathbf{H} \Delta\theta$ при
# условии $\mathbf{e}_q^\top\Delta\theta + \theta_q = 0$ даёт
#
# $$s_q^{\mathrm{OBS}} = \frac{\theta_q^2}{2\,[\mathbf{H}^{-1}]_{qq}}, \qquad
# \Delta\boldsymbol{\theta} = -\frac{\theta_q}{[\mathbf{H}^{-1}]_{qq}}\, \mathbf{H}^{-1}\mathbf{e}_q .$$
#
# В слайдах 2019 года именно эта формула подписана как OBD, но это значимость OBS. Для диагонального гессиана
# $[\mathbf{H}^{-1}]_{qq} = 1/h_{qq}$, и обе значимости совпадают. OBS нужна матрица $\mathbf{H}^{-1}$, поэтому
# гессиан должен быть положительно определён; жадный OBS для многих весов после каждого удаления пересчитывает
# $\mathbf{H}^{-1}$ так, чтобы удалённые веса оставались нулевыми (`pruning.obs_prune_many`).
#
# **Ячейка.** Для выходного слоя $\mathbf{W}_2$ нашего перцептрона (320 весов, остальное фиксировано) точный гессиан
# вычислить недорого. Удалим 10–90 % весов $\mathbf{W}_2$ методом OBD (диагональ этого гессиана, остальные веса
# заморожены) и жадным OBS (полный гессиан, остальные веса сдвигаются) и сравним *фактический* рост функции потерь
# на обучающей выборке с предсказанием квадратичной модели $\nabla L^\top \Delta\theta + \frac12 \Delta\theta^\top
# \mathbf{H} \Delta\theta$.

# %%
P = {k: v.double() for k, v in mlp.items()}  # float64 for the Hessian
Xd = Xtr.double()
shape2 = P["W2"].shape


def loss_W2(v):
    """The trained loss (cross-entropy + l2·Σ‖W_l‖²) as a function of the flat output layer W2."""
    return training.mlp_loss({**P, "W2": v.reshape(shape2)}, Xd, ytr, l2=L2)


w2 = P["W2"].reshape(-1)
g2 = torch.func.grad(loss_W2)(w2)
H = torch.autograd.functional.hessian(loss_W2, w2)  # the Hessian of CE plus 2·l2·I from the penalty
eig = torch.linalg.eigvalsh(H)
L0 = loss_W2(w2).item()
print(tr("output layer:", "выходной слой:"), f"u = {w2.numel()}, ‖∇L‖ = {g2.norm().item():.1e},",
      tr("eigenvalues of H from", "собственные значения H от"), f"{eig[0].item():.2e}",
      tr("to", "до"), f"{eig[-1].item():.2e} (2·l2 = {2 * L2:.0e})")

FR_OBS = [0.1, 0.3, 0.5, 0.7, 0.9]
quad = lambda d: (g2 @ d + 0.5 * d @ H @ d).item()  # the quadratic model of the loss increase
rise = {"obd": [], "obs": [], "obd_q": [], "obs_q": []}
for f in FR_OBS:
    w_obd = w2 * pruning.saliency_mask(pruning.obd_saliency(w2, torch.diagonal(H)), f)
    w_obs, _ = pruning.obs_prune_many(w2, H, pruning.n_removed(w2.numel(), f))
    for key, w_new in (("obd", w_obd), ("obs", w_obs)):
        rise[key].append(loss_W2(w_new).item() - L0)
        rise[key + "_q"].append(quad(w_new - w2))

pct_obs = 100 * np.array(FR_OBS)
fig, ax = plt.subplots(figsize=(7, 3.6))
for key, label, color in (("obd", "OBD", "tab:blue"), ("obs", tr("OBS (greedy)", "OBS (жадный)"), "tab:red")):
    ax.plot(pct_obs, rise[key], "o-", color=color, label=label + tr(": actual", ": фактический"))
    ax.plot(pct_obs, rise[key + "_q"], "x--", color=color, label=label + tr(": quadratic model", ": квадратичная модель"))
ax.set_yscale("symlog", linthresh=1e-5)  # logarithmic above 10⁻⁵, linear around zero (the change can be negative)
ax.set_xlabel(tr("weights of W2 removed, %", "удалено весов W2, %"))
ax.set_ylabel(tr("growth of the training loss", "рост функции потерь на обучении"))
ax.legend(fontsize=8)
ax.grid(alpha=0.3)
plt.show()
i50, i90 = FR_OBS.index(0.5), FR_OBS.index(0.9)
print(tr("loss growth at 10 % / 50 % / 90 % removed:", "рост функции потерь при удалении 10 % / 50 % / 90 %:"),
      f"OBD {rise['obd'][0]:.1e} / {rise['obd'][i50]:.4f} / {rise['obd'][i90]:.3f},",
      f"OBS {rise['obs'][0]:.1e} / {rise['obs'][i50]:.4f} / {rise['obs'][i90]:.3f}")
print(tr("OBS below OBD at", "OBS ниже OBD при"),
      [f"{p:.0f} %" for p, s, d in zip(pct_obs, rise["obs"], rise["obd"]) if s < d])
print(tr("actual / quadratic prediction at 90 %:", "фактический рост / предсказание при 90 %:"),
      f"OBD {rise['obd'][i90] / rise['obd_q'][i90]:.1f}×, OBS {rise['obs'][i90] / rise['obs_q'][i90]:.1f}×")

# %% [markdown] lang="en"
# What the cell shows (the numbers are printed above):
# * The smallest eigenvalue of this Hessian is $2 \lambda$ exactly: the cross-entropy does not change when the same
#   vector is added to every row of $\mathbf{W}_2$ (all class scores shift together), so $\nabla^2\mathrm{CE}$ is
#   singular and only the penalty makes $\mathbf{H}$ invertible — without it OBS could not be applied.
# * The gradient is small but not zero (Adam stopped after 300 steps), so the first-order term is kept in the
#   prediction; when few weights are removed it can make the change negative (see the printed values at 10 %; the
#   plot's scale is linear around zero and logarithmic above $10^{-5}$).
# * Compensating the removed weights (OBS) keeps the loss far lower than freezing the others (OBD) at the points
#   printed above, and the quadratic model is accurate while few weights are removed and underestimates the damage when many are: the
#   Taylor expansion is local.

# %% [markdown] lang="ru"
# Что показывает ячейка (числа напечатаны выше):
# * Наименьшее собственное значение этого гессиана равно ровно $2 \lambda$: кросс-энтропия не меняется, если прибавить
#   один и тот же вектор ко всем строкам $\mathbf{W}_2$ (оценки всех классов сдвигаются вместе), поэтому
#   $\nabla^2\mathrm{CE}$ вырожден, и обратимым гессиан делает только регуляризатор — без него OBS неприменим.
# * Градиент мал, но не равен нулю (Adam остановлен после 300 шагов), поэтому линейный член в предсказании
#   сохранён; когда удалено мало весов, он может сделать изменение отрицательным (см. напечатанные значения при
#   10 %; шкала графика линейна около нуля и логарифмическая выше $10^{-5}$).
# * Компенсация удалённых весов (OBS) держит функцию потерь намного ниже, чем заморозка остальных (OBD), в
#   напечатанных выше точках, а квадратичная модель точна, пока удалено мало весов, и недооценивает ущерб, когда удалено много: разложение
#   Тейлора локально.

# %% [markdown] lang="en"
# ### The diagonal of a network's Hessian
#
# For the whole network the full Hessian ($2368^2$ entries here, $10^{12}$ for a modest CNN) is out of reach, and OBD
# needs only its diagonal. Two ways to get it:
# * the **Gauss–Newton** diagonal, $\operatorname{diag} \frac1n \sum_i \mathbf{J}_i^\top (\operatorname{diag}
#   \mathbf{p}_i - \mathbf{p}_i\mathbf{p}_i^\top) \mathbf{J}_i$ with $\mathbf{J}_i$ the Jacobian of the scores
#   (`pruning.gauss_newton_diag_mlp`); it drops the term $\sum_k \partial \mathrm{CE}/\partial s_k \cdot
#   \partial^2 s_k/\partial\theta_i^2$;
# * **Hutchinson's** estimate $\mathbb{E}[\mathbf{z} \odot \mathbf{H}\mathbf{z}]$ with random signs $\mathbf{z}$
#   (`pruning.hutchinson_hessian_diag`), one Hessian-vector product per sample, unbiased but noisy.
#
# For a ReLU network the dropped term vanishes on the diagonal: each score is piecewise linear in every single weight
# ($s_k = \sum_j W_{2,kj}\, \mathrm{relu}(\mathbf{w}_{1,j}^\top \mathbf{x} + b_{1,j}) + b_{2,k}$ and
# $\mathrm{relu}'' = 0$ almost everywhere), so $\partial^2 s_k/\partial\theta_i^2 = 0$ and **the Gauss–Newton
# diagonal is the exact diagonal**. The same holds for deeper ReLU networks: a composition of piecewise linear maps is
# piecewise linear in any one weight. It fails off the diagonal (a weight of $\mathbf{W}_1$ and one of
# $\mathbf{W}_2$ multiply each other), for curved activations such as tanh, and when one weight is used in several
# layers (a recurrent network). The cell checks it against exact $h_{ii} = \mathbf{e}_i^\top \mathbf{H} \mathbf{e}_i$ for
# 20 random weights of $\mathbf{W}_1$ and measures how far Hutchinson's estimate with 50 samples is from it.

# %% [markdown] lang="ru"
# ### Диагональ гессиана нейросети
#
# Для всей сети полный гессиан (здесь $2368^2$ элементов, для скромной свёрточной сети — $10^{12}$) недоступен, а
# OBD нужна только его диагональ. Два способа её получить:
# * диагональ матрицы **Гаусса — Ньютона** $\operatorname{diag} \frac1n \sum_i \mathbf{J}_i^\top
#   (\operatorname{diag} \mathbf{p}_i - \mathbf{p}_i\mathbf{p}_i^\top) \mathbf{J}_i$, где $\mathbf{J}_i$ — якобиан
#   оценок классов (`pruning.gauss_newton_diag_mlp`); она отбрасывает слагаемое $\sum_k \partial
#   \mathrm{CE}/\partial s_k \cdot \partial^2 s_k/\partial\theta_i^2$;
# * оценка **Хатчинсона** $\mathbb{E}[\mathbf{z} \odot \mathbf{H}\mathbf{z}]$ со случайными знаками $\mathbf{z}$
#   (`pruning.hutchinson_hessian_diag`): одно умножение гессиана на вектор на выборку, несмещённая, но шумная.
#
# У ReLU-сети отброшенное слагаемое на диагонали равно нулю: каждая оценка кусочно-линейна по каждому отдельному
# весу ($s_k = \sum_j W_{2,kj}\, \mathrm{relu}(\mathbf{w}_{1,j}^\top \mathbf{x} + b_{1,j}) + b_{2,k}$,
# а $\mathrm{relu}'' = 0$ почти всюду), поэтому $\partial^2 s_k/\partial\theta_i^2 = 0$ и **диагональ матрицы
# Гаусса — Ньютона и есть точная диагональ гессиана**. Это верно и для более глубоких ReLU-сетей: композиция
# кусочно-линейных отображений кусочно-линейна по любому одному весу. Вне диагонали это неверно (вес из
# $\mathbf{W}_1$ и вес из $\mathbf{W}_2$ перемножаются), неверно для искривлённых функций активации вроде tanh и
# для веса, который используется в нескольких слоях (рекуррентная сеть). Ячейка сверяет это с точными $h_{ii} = \mathbf{e}_i^\top \mathbf{H}
# \mathbf{e}_i$ для 20 случайных весов $\mathbf{W}_1$ и измеряет, насколько далека от них оценка Хатчинсона по 50
# выборкам.

# %%
def loss_all(p):
    return training.mlp_loss(p, Xd, ytr, l2=L2)


gn = pruning.gauss_newton_diag_mlp(P, Xd)
h_gn = {n: gn[n] + 2 * L2 for n in NAMES}  # + 2·l2: the penalty's share of h_ii (the Hessian stated above)
grad_all = torch.func.grad(loss_all)
picks = torch.randperm(P["W1"].numel(), generator=torch.Generator().manual_seed(0))[:20].tolist()
exact = []
for i in picks:  # exact h_ii = e_iᵀ H e_i by one Hessian-vector product each
    e = {k: torch.zeros_like(v) for k, v in P.items()}
    e["W1"].view(-1)[i] = 1.0
    exact.append(torch.func.jvp(grad_all, (P,), (e,))[1]["W1"].view(-1)[i].item())
gap = max(abs(a - h_gn["W1"].view(-1)[i].item()) for a, i in zip(exact, picks))
print(tr("20 weights of W1: max |exact h_ii − (Gauss–Newton + 2·l2)| =",
         "20 весов W1: max |точный h_ii − (Гаусс — Ньютон + 2·l2)| ="), f"{gap:.1e}",
      tr("(largest h_ii", "(наибольший h_ii"), f"{max(exact):.1e})")
print(tr("output layer: max |diag H − (Gauss–Newton + 2·l2)| =", "выходной слой: max |diag H − (Гаусс — Ньютон + 2·l2)| ="),
      f"{(torch.diagonal(H) - h_gn['W2'].reshape(-1)).abs().max().item():.1e}")
hutch = pruning.hutchinson_hessian_diag(loss_all, P, n_samples=50, generator=torch.Generator().manual_seed(0))
for n in NAMES:
    rel = ((hutch[n] - h_gn[n]).norm() / h_gn[n].norm()).item()
    print(tr(f"{n}: relative error of Hutchinson's estimate (50 samples) {rel:.2f}",
             f"{n}: относительная ошибка оценки Хатчинсона (50 выборок) {rel:.2f}"))

# %% [markdown] lang="en"
# Hutchinson's variance for entry $i$ is $\sum_{j \ne i} h_{ij}^2$ per sample: with strong off-diagonal curvature
# fifty samples are far from enough. When an exact diagonal (or its Gauss–Newton form) is available, it is both
# cheaper and better.

# %% [markdown] lang="ru"
# Дисперсия оценки Хатчинсона для элемента $i$ равна $\sum_{j \ne i} h_{ij}^2$ на одну выборку: при сильной
# внедиагональной кривизне пятидесяти выборок далеко не достаточно. Когда точная диагональ (или её форма Гаусса —
# Ньютона) доступна, она и дешевле, и лучше.

# %% [markdown] lang="en"
# ## 3. Magnitude pruning with retraining (Han et al. 2015)
#
# Han, Pool, Tran & Dally (2015) use the simplest criterion — remove the weights of smallest $|\theta_i|$, layer by
# layer — and put the effort into what follows: **retraining** the surviving weights with the mask fixed, and
# repeating prune → retrain several times (**iterative pruning**). With it they remove 89 % of AlexNet's and 92 % of
# VGG-16's parameters without loss of accuracy. They report three observations:
# 1. with retraining, $L_2$ regularisation is better than $L_1$ (without retraining, $L_1$ is better: it already
#    drives many weights to zero);
# 2. retraining should start from the previous optimum, not from a random point with the same mask (the survivors'
#    values carry information);
# 3. after pruning the distribution of the weights becomes multimodal (for one layer: two modes with a gap around
#    zero).
#
# The cell prunes our MLP layer by layer by magnitude: without retraining; with retraining from the previous optimum
# (100 Adam steps); with retraining from a random point (same mask, same budget); and iteratively (each fraction
# starts from the previous fraction's retrained network — its cumulative budget is larger, one retraining per
# step). The first observation concerns the choice of the penalty: checking it is part of practice assignment 1.

# %% [markdown] lang="ru"
# ## 3. Удаление по модулю с дообучением (Han и др., 2015)
#
# Han, Pool, Tran и Dally (2015) берут простейший критерий — удалить веса с наименьшим $|\theta_i|$, слой за слоем —
# и вкладывают усилия в то, что идёт после: **дообучение** оставшихся весов при фиксированной маске и
# многократное повторение цикла «прунинг → дообучение» (**итеративный прунинг**). Так они удаляют 89 % параметров
# AlexNet и 92 % параметров VGG-16 без потери точности. Статья приводит три наблюдения:
# 1. при дообучении $L_2$-регуляризация лучше, чем $L_1$ (без дообучения лучше $L_1$: она уже обнуляет многие веса);
# 2. дообучение нужно начинать из предыдущего оптимума, а не из случайной точки с той же маской (значения
#    оставшихся весов несут информацию);
# 3. после прунинга распределение весов становится мультимодальным (для одного слоя — две моды с провалом около
#    нуля).
#
# Ячейка удаляет веса нашего перцептрона по модулю, слой за слоем: без дообучения; с дообучением из предыдущего
# оптимума (100 шагов Adam); с дообучением из случайной точки (та же маска, тот же бюджет) и итеративно (каждая доля
# начинается с дообученной сети предыдущей доли — суммарный бюджет больше, по одному дообучению на шаг). Первое
# наблюдение касается выбора регуляризатора: его проверка — часть практического задания 1.

# %%
FRACTIONS = [0.5, 0.8, 0.9, 0.95, 0.98]
RETRAIN = 100  # Adam steps of every retraining


def layer_masks(params, fraction):
    """Han et al.: the same share of smallest |w| removed in every weight matrix."""
    return pruning.layerwise_magnitude_masks({n: params[n] for n in NAMES}, fraction)


def apply_masks(params, masks):
    return {**params, **{n: params[n] * masks[n] for n in masks}}


def retrain(masks, init, seed=0):
    """Adam with the mask fixed, from `init` (the previous optimum) or, if None, from a random point."""
    return training.train_mlp(Xtr, ytr, K, hidden=(HIDDEN,), epochs=RETRAIN, lr=0.01, l2=L2, masks=masks,
                              init=init, seed=seed)


acc = {"none": [], "previous": [], "random": [], "iterative": []}
current = mlp
for f in FRACTIONS:
    m = layer_masks(mlp, f)
    acc["none"].append(training.mlp_accuracy(apply_masks(mlp, m), Xte, yte))
    acc["previous"].append(training.mlp_accuracy(retrain(m, mlp), Xte, yte))
    acc["random"].append(training.mlp_accuracy(retrain(m, None, seed=1), Xte, yte))
    current = retrain(layer_masks(current, f), current)  # pruned weights are 0, so they stay among the smallest
    acc["iterative"].append(training.mlp_accuracy(current, Xte, yte))

labels = {"none": tr("no retraining", "без дообучения"),
          "previous": tr("retrained from the previous optimum", "дообучение из предыдущего оптимума"),
          "random": tr("retrained from a random point", "дообучение из случайной точки"),
          "iterative": tr("iterative: prune → retrain, step by step", "итеративно: прунинг → дообучение по шагам")}
pct = 100 * np.array(FRACTIONS)
fig, ax = plt.subplots(figsize=(7.5, 3.8))
for key, style in (("none", "o:"), ("previous", "o-"), ("random", "s--"), ("iterative", "^-")):
    ax.plot(pct, acc[key], style, label=labels[key])
ax.axhline(acc0, color="k", lw=0.8, ls="--", label=tr("dense network", "исходная сеть"))
ax.set_xlabel(tr("weights removed in each layer, %", "удалено весов в каждом слое, %"))
ax.set_ylabel(tr("test accuracy", "точность на тесте"))
ax.set_title(tr("MLP, magnitude pruning", "перцептрон, удаление по модулю"), fontsize=10)
ax.legend(fontsize=8)
ax.grid(alpha=0.3)
plt.show()
for key in acc:
    print(f"  {labels[key]:45s}", "  ".join(f"{a:.3f}" for a in acc[key]))
high = [i for i, f in enumerate(FRACTIONS) if f >= 0.8]
mean = {key: float(np.mean([acc[key][i] for i in high])) for key in acc}
print(tr("mean accuracy at ≥ 80 % removed:", "средняя точность при удалении ≥ 80 %:"),
      ", ".join(f"{key} {v:.3f}" for key, v in mean.items()))
print(tr("iterative pruning better than one-shot pruning with one retraining:",
         "итеративный прунинг лучше однократного с одним дообучением:"), mean["iterative"] > mean["previous"],
      tr("; retraining better than none:", "; дообучение лучше, чем без него:"), mean["previous"] > mean["none"])
print(tr("observation 2 (previous optimum better than a random point) on this MLP:",
         "наблюдение 2 (предыдущий оптимум лучше случайной точки) на этом перцептроне:"),
      tr("holds", "выполняется") if mean["previous"] > mean["random"] else tr("does not hold", "не выполняется"))

# %% [markdown] lang="en"
# Read the plot with the printed numbers. Retraining recovers much of the accuracy that one-shot pruning loses, and
# pruning in steps goes further than one shot (both comparisons are printed): each retraining adapts the network to
# a smaller change. Whether the previous optimum beats a random point on this small network is printed above (averaged over the high sparsities,
# where the difference is largest; at 50 % the two may swap places: a small network retrains quickly from anywhere).
#
# **Observation 3** — the histogram of the first layer's weights before pruning, after removing 90 %, and after
# retraining. A bimodal distribution with a gap around zero shows as a low density at zero relative to the peak
# (measured on a kernel density estimate). Right after pruning the gap is there by construction; whether it
# survives retraining depends on how far retraining moves the survivors — with our budget and the training
# learning rate (0.01) the numbers printed below answer it for this MLP. Try a smaller retraining learning rate in
# `retrain` and compare.

# %% [markdown] lang="ru"
# Читайте график вместе с напечатанными числами. Дообучение возвращает значительную часть точности, потерянной при
# однократном прунинге, а прунинг по шагам идёт дальше однократного (оба сравнения напечатаны): каждое дообучение
# подстраивает сеть под меньшее изменение. Лучше ли предыдущий оптимум случайной точки на этой маленькой сети,
# напечатано выше (в среднем по сильным разреживаниям, где разница больше всего; при 50 % они могут поменяться местами: маленькая сеть быстро
# дообучается из любой точки).
#
# **Наблюдение 3** — гистограмма весов первого слоя до прунинга, после удаления 90 % и после дообучения.
# Бимодальное распределение с провалом около нуля видно по низкой плотности в нуле относительно пика (по ядерной
# оценке плотности). Сразу после прунинга провал есть по построению; сохранится ли он после дообучения, зависит от
# того, насколько далеко дообучение сдвигает оставшиеся веса, — для нашего бюджета и шага обучения (0,01) ответ для
# этого перцептрона дают числа ниже. Попробуйте меньший шаг дообучения в `retrain` и сравните.

# %%
def density_at_zero(values):
    """Kernel density estimate (Scott's bandwidth) at 0 divided by its maximum: ≈ 1 for a peak at zero, ≈ 0 for
    a gap around zero — a presentation helper."""
    from scipy.stats import gaussian_kde

    kde = gaussian_kde(values)
    grid = np.linspace(values.min(), values.max(), 400)
    return float(kde(np.zeros(1))[0] / kde(grid).max())


frac = 0.9
m90 = layer_masks(mlp, frac)
rt90 = retrain(m90, mlp)
panels = [(mlp["W1"].flatten(), tr("trained", "обученные")),
          (mlp["W1"][m90["W1"]], tr(f"after pruning {frac:.0%}", f"после удаления {frac:.0%}")),
          (rt90["W1"][m90["W1"]], tr("after pruning and retraining", "после удаления и дообучения"))]
fig, axes = plt.subplots(1, 3, figsize=(12, 3))
ratios = []
for ax, (vals, title) in zip(axes, panels):
    ratios.append(density_at_zero(vals.numpy()))
    ax.hist(vals.numpy(), bins=40, color="tab:blue")
    ax.set_title(f"{title}; " + tr("density at 0 / max", "плотность в 0 / макс.") + f" = {ratios[-1]:.2f}", fontsize=9)
    ax.set_xlabel(tr("weight value, layer 1", "значение веса, слой 1"))
plt.tight_layout()
plt.show()
print(tr("density at zero relative to the peak — trained / pruned / retrained:",
         "плотность в нуле относительно пика — обученные / после прунинга / после дообучения:"),
      " / ".join(f"{r:.2f}" for r in ratios))
band = mlp["W1"][m90["W1"]].abs().min().item()  # the pruning threshold of layer 1: the band |w| < band was removed
back = (rt90["W1"][m90["W1"]].abs() < band).double().mean().item()
print(tr(f"after retraining, {back:.0%} of the surviving weights of layer 1 are back inside the removed band "
         f"|w| < {band:.2f}", f"после дообучения {back:.0%} оставшихся весов слоя 1 вернулись в удалённую полосу "
         f"|w| < {band:.2f}"))

# %% [markdown] lang="en"
# **Widget.** What survives in the first layer? Each of the 32 hidden units has one weight per pixel; its row of
# $\mathbf{W}_1$ is drawn as an image (red positive, blue negative, white removed). Move the share removed and switch
# retraining on: watch the receptive fields become sparse strokes, and count the hidden units left with no inputs at
# all — magnitude pruning of single weights can remove whole neurons, a structure it never aimed at.

# %% [markdown] lang="ru"
# **Виджет.** Что остаётся в первом слое? У каждого из 32 скрытых нейронов по одному весу на пиксель; его строка
# $\mathbf{W}_1$ нарисована как изображение (красный — положительные, синий — отрицательные, белый — удалённые).
# Меняйте долю удалённых весов и включайте дообучение: рецептивные поля превращаются в редкие штрихи; посчитайте
# скрытые нейроны, у которых не осталось ни одного входа, — удаление отдельных весов по модулю может удалить целые
# нейроны, хотя такой структуры оно не добивалось.

# %%
def show_receptive_fields(percent=90, retrained=False):
    masks = layer_masks(mlp, percent / 100)
    params = retrain(masks, mlp) if retrained else apply_masks(mlp, masks)
    W1 = params["W1"]
    dead = int((W1.abs().sum(1) == 0).sum())
    rows, cols = 4, HIDDEN // 4
    h, wd = data.image_shape
    mosaic = W1.reshape(rows, cols, h, wd).permute(0, 2, 1, 3).reshape(rows * h, cols * wd)
    vmax = W1.abs().max().item() or 1.0
    fig, ax = plt.subplots(figsize=(8, 4.2))
    ax.imshow(mosaic.numpy(), cmap="bwr", vmin=-vmax, vmax=vmax)
    ax.set_xticks([])
    ax.set_yticks([])
    ax.set_title(tr(f"{percent}% removed per layer, {'retrained' if retrained else 'not retrained'}: "
                    f"test accuracy {training.mlp_accuracy(params, Xte, yte):.3f}, hidden units without inputs {dead}",
                    f"удалено {percent}% в каждом слое, {'с дообучением' if retrained else 'без дообучения'}: "
                    f"точность на тесте {training.mlp_accuracy(params, Xte, yte):.3f}, нейронов без входов {dead}"),
                 fontsize=9)
    plt.show()


_ = interact(show_receptive_fields,
             percent=w.IntSlider(value=90, min=0, max=98, step=1, description=tr("removed, %", "удалено, %")),
             retrained=w.Checkbox(value=False, description=tr("retrain", "дообучить")))

# %% [markdown] lang="en"
# ## 4. Deep Compression
#
# Han, Mao & Dally (2016) chain four steps:
# 1. **prune** small weights and retrain (section 3); store the positions of the survivors as **relative indices**
#    of $b$ bits each — the gap to the previous stored weight — inserting a filler zero when a gap does not fit in
#    $b$ bits;
# 2. **share weights**: k-means on each layer's surviving weights (linear initialisation, which keeps the rare large
#    weights represented), so each weight becomes an index into a codebook of $k$ values;
# 3. **retrain the centroids**: the gradient of a shared value is the sum of the gradients of its weights,
#    $\partial L/\partial c_k = \sum_{ij} \partial L/\partial W_{ij}\, [I_{ij} = k]$;
# 4. **Huffman-code** the cluster indices and the relative positions (both are far from uniform).
#
# The paper reports 35× (AlexNet) and 49× (VGG-16) smaller networks without loss of accuracy (the 2019 slides round
# it to "40 times"). A compression factor is only as honest as its bookkeeping; we count every stored bit:
#
# $$\text{bits} = \underbrace{\text{Huffman(indices)} + \text{Huffman(positions)}}_{\text{per surviving weight}}
# + \underbrace{32k}_{\text{codebook}} + \underbrace{8\,(k + 1 + 2^b)}_{\text{two Huffman tables}}
# \;\text{per layer} \;+\; 32 \cdot \#\text{biases},$$
#
# (a canonical Huffman table is its list of code lengths, one byte per symbol; the biases stay 32-bit floats), and
# the factor is $32 \cdot (\text{all parameters}) / \text{bits}$. Here: 80 % of $\mathbf{W}_1$ and 50 % of
# $\mathbf{W}_2$ removed, $k = 16$ shared values per layer, $b = 4$.

# %% [markdown] lang="ru"
# ## 4. Deep Compression
#
# Han, Mao и Dally (2016) последовательно выполняют четыре шага:
# 1. **прунинг** малых весов и дообучение (раздел 3); позиции оставшихся весов хранятся как **относительные
#    индексы** по $b$ бит — расстояние до предыдущего хранимого веса; если промежуток не помещается в $b$ бит,
#    вставляется нулевой заполнитель;
# 2. **разделение весов**: k-средних на оставшихся весах каждого слоя (линейная инициализация, чтобы редкие большие
#    веса не потерялись), так что вес становится индексом в кодовой книге из $k$ значений;
# 3. **дообучение центроидов**: градиент общего значения равен сумме градиентов его весов,
#    $\partial L/\partial c_k = \sum_{ij} \partial L/\partial W_{ij}\, [I_{ij} = k]$;
# 4. **коды Хаффмана** для индексов кластеров и относительных позиций (оба распределения далеки от равномерного).
#
# В статье сети уменьшаются в 35 раз (AlexNet) и в 49 раз (VGG-16) без потери точности (в слайдах 2019 года — «в
# 40 раз»). Коэффициент сжатия честен настолько, насколько честен подсчёт; мы учитываем каждый хранимый бит:
#
# $$\text{бит} = \underbrace{\text{Хаффман(индексы)} + \text{Хаффман(позиции)}}_{\text{на оставшиеся веса}}
# + \underbrace{32k}_{\text{кодовая книга}} + \underbrace{8\,(k + 1 + 2^b)}_{\text{две таблицы Хаффмана}}
# \;\text{на слой} \;+\; 32 \cdot \#\text{свободных членов},$$
#
# (каноническая таблица Хаффмана — это список длин кодов, по байту на символ; свободные члены хранятся 32-битными
# числами), а коэффициент равен $32 \cdot (\text{все параметры}) / \text{бит}$. Здесь удаляются 80 % весов
# $\mathbf{W}_1$ и 50 % весов $\mathbf{W}_2$, $k = 16$ общих значений в слое, $b = 4$.

# %%
dc = compression.deep_compression(mlp, Xtr, ytr, K, prune={"W1": 0.8, "W2": 0.5}, n_clusters=16, index_bits=4,
                                  retrain_epochs=150, centroid_epochs=50, l2=L2)
acc_dc = {"dense": acc0, **{stage: training.mlp_accuracy(p, Xte, yte) for stage, p in dc.stages.items()}}
print(dc.report.table(tr))
print()
stage_names = {"dense": tr("dense", "исходная"), "pruned": tr("pruned + retrained", "прунинг + дообучение"),
               "quantized": tr("k-means shared", "общие веса (k-средних)"),
               "final": tr("centroids retrained", "дообученные центроиды")}
for stage, a in acc_dc.items():
    print(f"  {stage_names[stage]:28s} {tr('test accuracy', 'точность на тесте')} {a:.3f}")
drop = 100 * (acc_dc["dense"] - acc_dc["final"])
print(tr(f"compression factor {dc.report.factor:.1f}× (fixed-width codes instead of Huffman: "
         f"{dc.report.factor_without_huffman:.1f}×), accuracy change {-drop:+.2f} points",
         f"коэффициент сжатия {dc.report.factor:.1f}× (коды фиксированной длины вместо кодов Хаффмана: "
         f"{dc.report.factor_without_huffman:.1f}×), изменение точности {-drop:+.2f} п."))
parts = {tr("indices", "индексы"): sum(l.indices for l in dc.report.layers),
         tr("positions", "позиции"): sum(l.positions for l in dc.report.layers),
         tr("codebooks", "кодовые книги"): sum(l.codebook for l in dc.report.layers),
         tr("Huffman tables", "таблицы Хаффмана"): sum(l.tables for l in dc.report.layers),
         tr("biases (raw)", "свободные члены (без сжатия)"): sum(l.original for l in dc.report.layers if l.raw)}
total = dc.report.compressed_bits
print(tr("where the bits go:", "куда уходят биты:"), ", ".join(f"{k} {100 * v / total:.0f} %" for k, v in parts.items()))

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
# On a network this small the fixed costs — codebooks, Huffman tables, the uncompressed biases — take a large share
# of the bits (printed above); on AlexNet they are negligible, which is one reason the paper's factors are larger.
# The surviving weights avoid zero (pruning removed the middle of the distribution), and linear initialisation
# spreads the codebook over the whole range.
#
# **Widget.** Weight sharing without retraining the centroids: choose the number of shared values $k$ and the bits
# $b$ of a relative index, and see the compression factor and the accuracy of the pruned network (the masks and
# the retrained weights of step 1 above are reused). Few shared values compress more and cost accuracy; too few
# index bits need many fillers, too many waste bits on every position.

# %% [markdown] lang="ru"
# У такой маленькой сети постоянные расходы — кодовые книги, таблицы Хаффмана, несжатые свободные члены — занимают
# большую долю битов (напечатано выше); у AlexNet они пренебрежимо малы, и это одна из причин, по которым
# коэффициенты в статье больше. Оставшиеся веса избегают нуля (прунинг удалил середину распределения), а линейная
# инициализация распределяет кодовую книгу по всему диапазону.
#
# **Виджет.** Разделение весов без дообучения центроидов: выберите число общих значений $k$ и число бит $b$
# относительного индекса и посмотрите на коэффициент сжатия и точность сети после прунинга (маски и дообученные
# веса шага 1 выше используются повторно). Меньше общих значений — сильнее сжатие и ниже точность; слишком мало
# бит индекса требует многих заполнителей, слишком много — тратит биты на каждую позицию.

# %%
def share_weights(n_clusters=16, index_bits=4):
    pruned = dc.stages["pruned"]
    report = compression.CompressionReport()
    shared = dict(pruned)
    for key, value in pruned.items():
        if key in NAMES:
            codebook, assignment = compression.quantize_layer(value, dc.masks[key], n_clusters)
            shared[key] = compression.shared_weights(codebook, assignment, dc.masks[key])
            report.layers.append(compression.layer_bits(key, dc.masks[key], assignment, n_clusters, index_bits))
        else:
            report.layers.append(compression.LayerBits(key, value.numel(), value.numel(), 32 * value.numel(),
                                                       raw=True))
    fig, ax = plt.subplots(figsize=(7, 2.6))
    ax.hist(pruned["W1"][dc.masks["W1"]].numpy(), bins=60, color="tab:blue", alpha=0.7)
    for c in shared["W1"][dc.masks["W1"]].unique().numpy():
        ax.axvline(c, color="tab:red", lw=1)
    ax.set_xlabel(tr("weight value, layer 1 (red: shared values)", "значение веса, слой 1 (красные — общие значения)"))
    ax.set_title(tr(f"k = {n_clusters}, b = {index_bits}: compression {report.factor:.1f}×, "
                    f"test accuracy {training.mlp_accuracy(shared, Xte, yte):.3f}",
                    f"k = {n_clusters}, b = {index_bits}: сжатие {report.factor:.1f}×, "
                    f"точность на тесте {training.mlp_accuracy(shared, Xte, yte):.3f}"), fontsize=10)
    plt.show()


_ = interact(share_weights,
             n_clusters=w.IntSlider(value=16, min=2, max=64, step=1, description=tr("k values", "k значений")),
             index_bits=w.IntSlider(value=4, min=1, max=8, step=1, description=tr("index bits", "бит индекса")))

# %% [markdown] lang="en"
# ## Check yourself
#
# 1. Why does the first-order term vanish in the OBD expansion, and what does the diagonal approximation throw
#    away? When do OBD and OBS give the same saliency?
#    <details><summary>Answer</summary>
#
#    At a minimum $\nabla L(\boldsymbol{\theta}^*) = \mathbf{0}$. The diagonal approximation drops the products
#    $h_{ij}\Delta\theta_i\Delta\theta_j$, $i \ne j$: the interaction of removed parameters and any compensation by
#    the others. The saliencies coincide when $[\mathbf{H}^{-1}]_{qq} = 1/h_{qq}$, e.g. when $\mathbf{H}$ is
#    diagonal.
#
#    </details>
# 2. Derive the OBS update $\Delta\boldsymbol{\theta}$ and saliency with a Lagrange multiplier.
#    <details><summary>Answer</summary>
#
#    $\mathcal{L} = \tfrac12 \Delta\boldsymbol{\theta}^\top \mathbf{H} \Delta\boldsymbol{\theta} + \mu(\mathbf{e}_q^\top
#    \Delta\boldsymbol{\theta} + \theta_q)$. Stationarity gives $\Delta\boldsymbol{\theta} = -\mu \mathbf{H}^{-1}
#    \mathbf{e}_q$; the constraint gives $\mu = \theta_q/[\mathbf{H}^{-1}]_{qq}$. Substituting,
#    $\Delta\boldsymbol{\theta} = -\theta_q \mathbf{H}^{-1}\mathbf{e}_q/[\mathbf{H}^{-1}]_{qq}$ and the loss grows by
#    $\tfrac12 \mu^2 [\mathbf{H}^{-1}]_{qq} = \theta_q^2/(2[\mathbf{H}^{-1}]_{qq})$.
#
#    </details>
# 3. A model was trained with the penalty $\lambda\|\boldsymbol{\theta}\|^2$. Which $h_{ii}$ enters the OBD saliency,
#    and what would go wrong with OBS if the penalty were dropped from $\mathbf{H}$ for the output layer of a softmax
#    classifier?
#    <details><summary>Answer</summary>
#
#    $h_{ii} = \partial^2\mathrm{CE}/\partial\theta_i^2 + 2\lambda$. Without the penalty the Hessian of the
#    cross-entropy in the output layer is singular (adding one vector to every row of $\mathbf{W}_2$ changes no
#    probability), so $\mathbf{H}^{-1}$ does not exist and OBS cannot be applied.
#
#    </details>
# 4. Why is the diagonal of the Gauss–Newton matrix exact for a ReLU network? Name two cases where it is not.
#    <details><summary>Answer</summary>
#
#    The dropped term contains $\partial^2 s_k/\partial\theta_i^2$, and every score is piecewise linear in any single
#    weight of a ReLU network, so this derivative is zero almost everywhere. It is not exact for curved activations
#    (tanh, sigmoid) or when one weight acts in several layers (a recurrent network); off the diagonal it is never
#    exact in general.
#
#    </details>
# 5. Why can iterative pruning reach a higher sparsity than one-shot pruning at the same accuracy?
#    <details><summary>Answer</summary>
#
#    Each step removes a small share, so the network stays close to an optimum and retraining only has to absorb a
#    small change; the magnitudes are re-measured after each retraining, when the survivors have taken over the
#    removed weights' work. (It also spends more retraining in total — a fair comparison says so.)
#
#    </details>
# 6. In Deep Compression, which stored parts did we count, and which of them would become negligible for a network
#    with $10^8$ weights? Why is a relative index with $b = 1$ bit a bad idea?
#    <details><summary>Answer</summary>
#
#    Huffman-coded cluster indices and relative positions (per surviving weight), a codebook of $k$ 32-bit values and
#    two Huffman tables per layer, and the raw biases. The codebooks, tables and biases grow with the number of layers
#    and units, not with the number of weights, so they become negligible. With $b = 1$ only gaps of 1 or 2 can be
#    written: at high sparsity almost every gap needs filler zeros, each costing an index and a position.
#
#    </details>
# 7. Would you expect L1 or L2 regularisation to be better before pruning, with and without retraining? Argue it —
#    practice assignment 1 asks you to check it.
#    <details><summary>Answer</summary>
#
#    Han et al. (2015) report: without retraining L1 is better — it has already driven many weights close to zero,
#    so removing them costs little; with retraining L2 is better — L1 keeps pushing the survivors towards zero and
#    retraining recovers less. Whether this holds for logistic regression is for you to check in the assignment.
#
#    </details>

# %% [markdown] lang="ru"
# ## Проверьте себя
#
# 1. Почему в разложении OBD исчезает член первого порядка и что отбрасывает диагональное приближение? Когда OBD и
#    OBS дают одинаковую значимость?
#    <details><summary>Ответ</summary>
#
#    В минимуме $\nabla L(\boldsymbol{\theta}^*) = \mathbf{0}$. Диагональное приближение отбрасывает произведения
#    $h_{ij}\Delta\theta_i\Delta\theta_j$, $i \ne j$: взаимодействие удалённых параметров и любую компенсацию со
#    стороны остальных. Значимости совпадают, когда $[\mathbf{H}^{-1}]_{qq} = 1/h_{qq}$, например когда
#    $\mathbf{H}$ диагональна.
#
#    </details>
# 2. Выведите поправку $\Delta\boldsymbol{\theta}$ и значимость OBS с помощью множителя Лагранжа.
#    <details><summary>Ответ</summary>
#
#    $\mathcal{L} = \tfrac12 \Delta\boldsymbol{\theta}^\top \mathbf{H} \Delta\boldsymbol{\theta} + \mu(\mathbf{e}_q^\top
#    \Delta\boldsymbol{\theta} + \theta_q)$. Условие стационарности даёт $\Delta\boldsymbol{\theta} = -\mu
#    \mathbf{H}^{-1} \mathbf{e}_q$, ограничение — $\mu = \theta_q/[\mathbf{H}^{-1}]_{qq}$. После подстановки
#    $\Delta\boldsymbol{\theta} = -\theta_q \mathbf{H}^{-1}\mathbf{e}_q/[\mathbf{H}^{-1}]_{qq}$, а функция потерь
#    растёт на $\tfrac12 \mu^2 [\mathbf{H}^{-1}]_{qq} = \theta_q^2/(2[\mathbf{H}^{-1}]_{qq})$.
#
#    </details>
# 3. Модель обучена со штрафом $\lambda\|\boldsymbol{\theta}\|^2$. Какой $h_{ii}$ входит в значимость OBD и что
#    случится с OBS для выходного слоя softmax-классификатора, если убрать штраф из $\mathbf{H}$?
#    <details><summary>Ответ</summary>
#
#    $h_{ii} = \partial^2\mathrm{CE}/\partial\theta_i^2 + 2\lambda$. Без штрафа гессиан кросс-энтропии по выходному
#    слою вырожден (прибавление одного вектора ко всем строкам $\mathbf{W}_2$ не меняет ни одной вероятности),
#    поэтому $\mathbf{H}^{-1}$ не существует и OBS неприменим.
#
#    </details>
# 4. Почему диагональ матрицы Гаусса — Ньютона точна для ReLU-сети? Назовите два случая, когда это не так.
#    <details><summary>Ответ</summary>
#
#    Отброшенное слагаемое содержит $\partial^2 s_k/\partial\theta_i^2$, а каждая оценка ReLU-сети кусочно-линейна
#    по любому отдельному весу, так что эта производная почти всюду равна нулю. Точности нет для искривлённых функций
#    активации (tanh, сигмоида) и когда один вес работает в нескольких слоях (рекуррентная сеть); вне диагонали её в
#    общем случае нет никогда.
#
#    </details>
# 5. Почему итеративный прунинг может достичь большей разреженности, чем однократный, при той же точности?
#    <details><summary>Ответ</summary>
#
#    На каждом шаге удаляется небольшая доля, сеть остаётся вблизи оптимума, и дообучению нужно поглотить лишь малое
#    изменение; модули весов измеряются заново после каждого дообучения, когда оставшиеся веса уже взяли на себя
#    работу удалённых. (Суммарно на дообучение уходит и больше шагов — честное сравнение это оговаривает.)
#
#    </details>
# 6. Какие хранимые части мы учли в Deep Compression и какие из них станут пренебрежимо малы для сети с $10^8$
#    весов? Почему относительный индекс в $b = 1$ бит — плохая идея?
#    <details><summary>Ответ</summary>
#
#    Индексы кластеров и относительные позиции в кодах Хаффмана (на каждый оставшийся вес), кодовую книгу из $k$
#    32-битных значений и две таблицы Хаффмана на слой, несжатые свободные члены. Книги, таблицы и свободные члены
#    растут с числом слоёв и нейронов, а не весов, и становятся пренебрежимо малы. При $b = 1$ записываются лишь
#    промежутки 1 и 2: при сильном разреживании почти каждому промежутку нужны нулевые заполнители, и каждый стоит
#    индекса и позиции.
#
#    </details>
# 7. Какую регуляризацию перед прунингом вы ожидаете лучшей — L1 или L2, с дообучением и без него? Обоснуйте —
#    практическое задание 1 предлагает это проверить.
#    <details><summary>Ответ</summary>
#
#    Han и др. (2015) сообщают: без дообучения лучше L1 — она уже приблизила многие веса к нулю, и их удаление
#    почти ничего не стоит; с дообучением лучше L2 — L1 продолжает тянуть к нулю и оставшиеся веса, и дообучение
#    восстанавливает меньше. Выполняется ли это для логистической регрессии, проверьте сами в задании.
#
#    </details>

# %% [markdown] lang="en"
# ## References
# * LeCun Y., Denker J. S., Solla S. A. Optimal brain damage. NIPS 1990.
# * Hassibi B., Stork D. G. Second order derivatives for network pruning: Optimal Brain Surgeon. NIPS 1993.
# * Han S., Pool J., Tran J., Dally W. J. Learning both weights and connections for efficient neural networks.
#   NIPS 2015.
# * Han S., Mao H., Dally W. J. Deep compression: compressing deep neural networks with pruning, trained
#   quantization and Huffman coding. ICLR 2016 (arXiv:1510.00149).
# * Martens J. New insights and perspectives on the natural gradient method. JMLR 21, 2020 (the Gauss–Newton matrix).
# * Bekas C., Kokiopoulou E., Saad Y. An estimator for the diagonal of a matrix. Applied Numerical Mathematics 57,
#   2007 (Hutchinson-type diagonal estimates).
# * Bakhteev O. Метаоптимизация и структура [Metaoptimization and structure]. Lecture slides, MIPT, 2019 (in
#   Russian; the OBD formula corrected after the
#   original papers).

# %% [markdown] lang="ru"
# ## Литература
#
# Названия работ приведены на языке оригинала, чтобы их было легко найти; после каждой — что из неё взято в
# лекцию и в какой раздел.
# * LeCun Y., Denker J. S., Solla S. A. Optimal brain damage. NIPS 1990 — значимость параметра по диагонали гессиана (раздел 2).
# * Hassibi B., Stork D. G. Second order derivatives for network pruning: Optimal Brain Surgeon. NIPS 1993 —
#   значимость по полному обратному гессиану и поправка остальных весов (раздел 2).
# * Han S., Pool J., Tran J., Dally W. J. Learning both weights and connections for efficient neural networks.
#   NIPS 2015 — удаление по модулю, дообучение сети и три наблюдения (раздел 3).
# * Han S., Mao H., Dally W. J. Deep compression: compressing deep neural networks with pruning, trained
#   quantization and Huffman coding. ICLR 2016 (arXiv:1510.00149) — прунинг, разделение весов и коды Хаффмана (раздел 4).
# * Martens J. New insights and perspectives on the natural gradient method. JMLR 21, 2020 — матрица Гаусса —
#   Ньютона и её связь с гессианом.
# * Bekas C., Kokiopoulou E., Saad Y. An estimator for the diagonal of a matrix. Applied Numerical Mathematics 57,
#   2007 — оценка диагонали матрицы случайными векторами (типа Хатчинсона).
# * Бахтеев О. Ю. Метаоптимизация и структура. Слайды лекции, МФТИ, 2019 (формула OBD исправлена по оригинальной
#   статье).
