# %% [markdown] lang="en"
# # Lecture 6. Hypernetworks
#
# **After this lecture you can**
# * define a hypernetwork $G: \Lambda \times \mathbb{R}^u \to \mathbb{R}^n$ and say what it is conditioned on;
# * state the best-response function of a bilevel problem and why retraining for every λ is expensive;
# * write the objective of stochastic hyperparameter optimisation through hypernetworks and explain its theorem;
# * tune a hyperparameter through a trained hypernetwork by gradient descent;
# * use one hypernetwork to control the complexity of a model: accuracy against the share of pruned parameters.

# %% [markdown] lang="ru"
# # Лекция 6. Гиперсети
#
# **После этой лекции вы сможете**
# * дать определение гиперсети $G: \Lambda \times \mathbb{R}^u \to \mathbb{R}^n$ и сказать, от чего она зависит;
# * записать функцию наилучшего ответа двухуровневой задачи и объяснить, почему обучать модель заново для каждого
#   λ дорого;
# * записать функционал стохастической оптимизации гиперпараметров с помощью гиперсетей и пересказать его теорему;
# * настраивать гиперпараметр градиентным спуском через обученную гиперсеть;
# * управлять сложностью модели одной гиперсетью: точность в зависимости от доли удалённых параметров.

# %%
import ipywidgets as w
import matplotlib.pyplot as plt
import numpy as np
import torch

from metaopt_course.widgets import interact
from metaopt_lib import hypernet
from metaopt_lib.checkpoint import load_checkpoint
from metaopt_lib.data import load_digits
from metaopt_lib.i18n import translator
from metaopt_lib.seeding import set_seed

tr = translator(LANG)
set_seed(0)
torch.set_num_threads(1)  # small tensors: one thread is faster than two that wait for each other

# %% [markdown] lang="en"
# ## 1. What a hypernetwork is
#
# **Definition** (the course's 2023 MIPT lecture slides, formalising the hypernetworks of Ha, Dai & Le, 2016).
# Given a set $\Lambda$, a *hypernetwork* is a parametric map from $\Lambda$ to
# the set $\mathbb{R}^n$ of parameters of a model $\mathbf{f}$:
#
# $$G: \Lambda \times \mathbb{R}^u \to \mathbb{R}^n, \qquad \mathbf{w} = G(\lambda; \boldsymbol{\varphi}),$$
#
# where $\boldsymbol{\varphi} \in \mathbb{R}^u$ are the parameters of the hypernetwork itself (in this lecture $u$
# counts them, as in the slides' definition; in lectures 1, 7 and 8 $u$ is the number of a model's parameters). The model $\mathbf{f}$
# is never trained directly: its weights are *outputs*, and only $\boldsymbol{\varphi}$ is learned.
#
# What $\lambda$ can be:
# * an embedding of a layer (Ha et al.: one small network generates the kernels of all layers of a big one —
#   weight sharing, and there the point is $u \ll n$);
# * a task description (meta-learning);
# * **a hyperparameter or metaparameter** — the case of this lecture: one network gives a whole family of models
#   $\{\mathbf{w}(\lambda)\}_{\lambda \in \Lambda}$ at once.

# %% [markdown] lang="ru"
# ## 1. Что такое гиперсеть
#
# **Определение** (слайды лекций МФТИ 2023 года; формализация гиперсетей Ha, Dai и Le, 2016). Пусть задано множество $\Lambda$. *Гиперсетью* называется параметрическое
# отображение из $\Lambda$ во множество $\mathbb{R}^n$ параметров модели $\mathbf{f}$:
#
# $$G: \Lambda \times \mathbb{R}^u \to \mathbb{R}^n, \qquad \mathbf{w} = G(\lambda; \boldsymbol{\varphi}),$$
#
# где $\boldsymbol{\varphi} \in \mathbb{R}^u$ — параметры самой гиперсети (в этой лекции, как в определении из
# слайдов, $u$ — их число; в лекциях 1, 7 и 8 $u$ — число параметров модели). Модель $\mathbf{f}$ напрямую не
# обучается: её веса — это *выход* гиперсети, а обучаются только $\boldsymbol{\varphi}$.
#
# Чем может быть $\lambda$:
# * векторным представлением слоя (у Ha и др. одна маленькая сеть порождает ядра всех слоёв большой —
#   разделение весов, и там весь смысл в том, что $u \ll n$);
# * описанием задачи (метаобучение);
# * **гиперпараметром или метапараметром** — случай этой лекции: одна сеть сразу задаёт целое семейство моделей
#   $\{\mathbf{w}(\lambda)\}_{\lambda \in \Lambda}$.

# %% [markdown] lang="en"
# ## 2. The best-response function
#
# Hyperparameter selection is the bilevel problem of lectures 0 and 1: the training loss $L_{\text{train}}$ depends
# on the parameters and on $\lambda$, the validation loss $L_{\text{val}}$ judges the result. Here the inner
# variable $\boldsymbol{\theta}$ is just the weights $\mathbf{w}$ of the model, and $L_{\text{val}}$ does not
# depend on $\lambda$ directly:
#
# $$\lambda^* = \arg\min_{\lambda} L_{\text{val}}\big(\mathbf{w}^*(\lambda), \lambda\big), \qquad
# \mathbf{w}^*(\lambda) = \arg\min_{\mathbf{w}} L_{\text{train}}(\mathbf{w}, \lambda).$$
#
# The map $\lambda \mapsto \mathbf{w}^*(\lambda)$ is the **best-response function** (the term comes from game theory:
# the inner player's best answer to the outer player's move). Black-box search (lecture 1) evaluates it point by
# point, one full training per $\lambda$. Gradient methods (lecture 3) differentiate it at one point, by unrolling
# or by the implicit function theorem. A hypernetwork instead **learns the whole function**:
# $G(\lambda; \boldsymbol{\varphi}) \approx \mathbf{w}^*(\lambda)$.

# %% [markdown] lang="ru"
# ## 2. Функция наилучшего ответа
#
# Выбор гиперпараметров — двухуровневая задача лекций 0 и 1: функция потерь на обучении $L_{\text{train}}$
# зависит от параметров и от $\lambda$, а потери на валидации $L_{\text{val}}$ оценивают результат. Здесь
# внутренняя переменная $\boldsymbol{\theta}$ — это просто веса модели $\mathbf{w}$, а $L_{\text{val}}$ от
# $\lambda$ напрямую не зависит:
#
# $$\lambda^* = \arg\min_{\lambda} L_{\text{val}}\big(\mathbf{w}^*(\lambda), \lambda\big), \qquad
# \mathbf{w}^*(\lambda) = \arg\min_{\mathbf{w}} L_{\text{train}}(\mathbf{w}, \lambda).$$
#
# Отображение $\lambda \mapsto \mathbf{w}^*(\lambda)$ называется **функцией наилучшего ответа** (термин из теории
# игр: лучший ответ внутреннего игрока на ход внешнего). Поиск «чёрным ящиком» (лекция 1) вычисляет её поточечно,
# одно полное обучение на каждое $\lambda$. Градиентные методы (лекция 3) дифференцируют её в одной точке —
# развёрткой обучения или через теорему о неявной функции. Гиперсеть же **выучивает функцию целиком**:
# $G(\lambda; \boldsymbol{\varphi}) \approx \mathbf{w}^*(\lambda)$.

# %% [markdown] lang="en"
# ## 3. Stochastic hyperparameter optimisation through hypernetworks
#
# Lorraine & Duvenaud (2018) train $\boldsymbol{\varphi}$ on the training loss *averaged over a distribution of
# hyperparameters* $p(\lambda)$; with an L2 penalty
#
# $$\mathsf{E}_{\lambda \sim p(\lambda)} \Big( -\log p\big(\mathfrak{D} \mid \mathbf{w}(\lambda)\big)
#   + \lambda \|\mathbf{w}(\lambda)\|_2^2 \Big) \to \min_{\boldsymbol{\varphi}}, \qquad
#   \mathbf{w}(\lambda) = G(\lambda; \boldsymbol{\varphi}).$$
#
# **Theorem (in words).** A sufficiently powerful hypernetwork can represent a continuous best-response function;
# then it minimises the expected loss above for *every* distribution $p(\lambda)$ whose support is convex, and the
# minimiser coincides with $\mathbf{w}^*(\lambda)$ on that support. The reason: the expectation is minimised by
# minimising the integrand separately at each $\lambda$, which is exactly what $\mathbf{w}^*(\lambda)$ does.
#
# Then $\lambda$ is tuned **without training the model again**: $\hat\lambda = \arg\min_\lambda L_{\text{val}}(G(\lambda;
# \boldsymbol{\varphi}))$, by gradient descent, since $G$ is differentiable in $\lambda$. The paper's full algorithm
# alternates the two steps, keeping $p(\lambda)$ a narrow distribution around the current $\hat\lambda$, so that a
# small hypernetwork only has to be accurate locally.
#
# **Our setting.** Multinomial logistic regression on the 8×8 digits, $n = 64 \cdot 10 + 10 = 650$ parameters;
# $\log\lambda \sim U[\log 10^{-3}, \log 10^{2}]$; the bias is not penalised. The hypernetwork is a one-hidden-layer
# network in $t$, the rescaled $\log \lambda \in [-1, 1]$: $G(\lambda; \boldsymbol{\varphi}) = \mathbf{w}_0 +
# t\,\mathbf{u} + \tanh(t\,\mathbf{a} + \mathbf{c})\,\mathbf{V}$ with 16 hidden units. It was trained by
# `scripts/train_hypernet.py` (4000 Adam steps, about half a minute of CPU); we load the checkpoint. The ground
# truth $\mathbf{w}^*(\lambda)$ — the model trained anew at each $\lambda$ — is computed here by L-BFGS; the problem
# is convex.
#
# Note the sizes (the first printed line): the hypernetwork has $u = 11\,732$ parameters for a model of $n = 650$.
# Here $u \ll n$ is not the aim, unlike the weight sharing of Ha et al.: $G$ stores a whole curve of models
# $\lambda \mapsto \mathbf{w}^*(\lambda)$, not one model, and what it saves is trainings, not memory.

# %% [markdown] lang="ru"
# ## 3. Стохастическая оптимизация гиперпараметров с помощью гиперсетей
#
# Lorraine и Duvenaud (2018) обучают $\boldsymbol{\varphi}$ на функции потерь, *усреднённой по распределению
# гиперпараметров* $p(\lambda)$; со штрафом L2
#
# $$\mathsf{E}_{\lambda \sim p(\lambda)} \Big( -\log p\big(\mathfrak{D} \mid \mathbf{w}(\lambda)\big)
#   + \lambda \|\mathbf{w}(\lambda)\|_2^2 \Big) \to \min_{\boldsymbol{\varphi}}, \qquad
#   \mathbf{w}(\lambda) = G(\lambda; \boldsymbol{\varphi}).$$
#
# **Теорема (словами).** Достаточно мощная гиперсеть может представить непрерывную функцию наилучшего ответа; тогда
# она минимизирует записанные выше ожидаемые потери для *любого* распределения $p(\lambda)$ с выпуклым носителем, и минимум
# совпадает с $\mathbf{w}^*(\lambda)$ на этом носителе. Причина: математическое ожидание минимизируется, если минимизировать
# подынтегральное выражение отдельно при каждом $\lambda$, а это и делает $\mathbf{w}^*(\lambda)$.
#
# После этого $\lambda$ настраивается **без повторного обучения модели**: $\hat\lambda = \arg\min_\lambda
# L_{\text{val}}(G(\lambda; \boldsymbol{\varphi}))$ градиентным спуском, ведь $G$ дифференцируема по $\lambda$.
# Полный алгоритм статьи чередует оба шага и держит $p(\lambda)$ узким распределением вокруг текущего
# $\hat\lambda$, чтобы маленькой гиперсети хватало точности локально.
#
# **Наша постановка.** Многоклассовая логистическая регрессия на цифрах 8×8, $n = 64 \cdot 10 + 10 = 650$
# параметров; $\log\lambda \sim U[\log 10^{-3}, \log 10^{2}]$; смещение не штрафуется. Гиперсеть — сеть с одним
# скрытым слоем по $t$, отмасштабированному $\log \lambda \in [-1, 1]$: $G(\lambda; \boldsymbol{\varphi}) =
# \mathbf{w}_0 + t\,\mathbf{u} + \tanh(t\,\mathbf{a} + \mathbf{c})\,\mathbf{V}$, 16 скрытых нейронов. Её обучил
# скрипт `scripts/train_hypernet.py` (4000 шагов Adam, около полуминуты процессорного времени); мы загружаем
# сохранённые веса (контрольную точку). Эталон $\mathbf{w}^*(\lambda)$ — модель, заново обученную при каждом
# $\lambda$, — считаем здесь методом L-BFGS; задача выпуклая.
#
# Обратите внимание на размеры (первая напечатанная строка): у гиперсети $u = 11\,732$ параметра при $n = 650$
# параметрах модели. Здесь цель не $u \ll n$, в отличие от разделения весов у Ha и др.: $G$ хранит целую кривую
# моделей $\lambda \mapsto \mathbf{w}^*(\lambda)$, а не одну модель, и экономит она обучения, а не память.

# %%
checkpoint = load_checkpoint("hypernet")
run = checkpoint["runs"]["logreg_l2"]
phi, sizes = run["phi"], tuple(run["config"]["sizes"])
digits = load_digits()
X_tr, y_tr, X_val, y_val = digits.split_validation(0.25, seed=0)
print(tr(f"hypernetwork: {sum(v.numel() for k, v in phi.items() if k != 'log_range')} parameters φ, "
         f"target model: {hypernet.n_params(sizes)} parameters w; trained {run['config']['steps']} steps "
         f"in {run['cpu_seconds']:.0f} s CPU",
         f"гиперсеть: число параметров φ — {sum(v.numel() for k, v in phi.items() if k != 'log_range')}, "
         f"у целевой модели число параметров w — {hypernet.n_params(sizes)}; обучение: {run['config']['steps']} "
         f"шагов, {run['cpu_seconds']:.0f} с процессорного времени"))

lams_fine = np.logspace(-3, 2, 60)
with torch.no_grad():
    val_hyper = hypernet.cross_entropy(hypernet.hypernet_weights(phi, lams_fine), X_val, y_val, sizes).numpy()
lams_check = [0.001, 0.003, 0.01, 0.1, 1.0, 10.0, 30.0]  # five in the range of the test, two at the weak end
w_star = {lam: hypernet.best_response(X_tr, y_tr, sizes, lam) for lam in lams_check}
val_star = [hypernet.cross_entropy(w_star[lam], X_val, y_val, sizes).item() for lam in lams_check]
print(tr("   λ    trained anew  hypernetwork  difference", "   λ    обучена заново  гиперсеть  разница"))
for lam, v in zip(lams_check, val_star):
    vh = hypernet.cross_entropy(hypernet.hypernet_weights(phi, lam)[0].detach(), X_val, y_val, sizes).item()
    print(f"{lam:6g}   {v:.4f}        {vh:.4f}      {100 * (vh / v - 1):+.1f}%")

# %% [markdown] lang="en"
# One hypernetwork replaces all these (in fact infinitely many) trainings: the validation losses agree within a few
# percent on $\lambda \in [10^{-2}, 30]$. At the weakly regularised end ($\lambda \lesssim 3 \cdot 10^{-3}$) they
# part: the model trained anew fits the nearly separable training set ever more sharply and its validation loss
# grows, while the hypernetwork there is still short of that optimum — here that happens to *help* on validation,
# but it is an approximation error, not a virtue. Now we tune $\lambda$ through $G$: 150 Adam steps on $\log
# \lambda$, each a forward pass of the hypernetwork, no training of the model.

# %% [markdown] lang="ru"
# Одна гиперсеть заменяет все эти (а на деле бесконечно много) обучения: потери на валидации совпадают с точностью до
# нескольких процентов при $\lambda \in [10^{-2}, 30]$. На слабо регуляризованном краю ($\lambda \lesssim
# 3 \cdot 10^{-3}$) они расходятся: заново обученная модель всё резче подгоняется под почти линейно разделимую
# обучающую выборку, и её потери на валидации растут, а гиперсеть там до этого оптимума не дотягивает — на
# валидации это случайно *помогает*, но это ошибка аппроксимации, а не достоинство. Теперь настроим $\lambda$
# через $G$: 150 шагов Adam по $\log \lambda$, каждый — один проход гиперсети, без обучения модели.

# %%
lam_hat, tune_history = hypernet.tune_lambda(phi, X_val, y_val, sizes, lam0=10.0, steps=150, lr=0.1)
print(tr(f"λ tuned through the hypernetwork: {lam_hat:.3g}", f"λ, настроенное через гиперсеть: {lam_hat:.3g}"))

fig, ax = plt.subplots(figsize=(6.5, 4))
ax.semilogx(lams_fine, val_hyper, label=tr("hypernetwork G(λ; φ)", "гиперсеть G(λ; φ)"))
ax.semilogx(lams_check, val_star, "o", label=tr("trained anew at λ (L-BFGS)", "обучена заново при λ (L-BFGS)"))
ax.axvline(lam_hat, color="gray", ls="--", label=tr("λ tuned through G", "λ, настроенное через G"))
ax.set_xlabel("λ")
ax.set_ylabel(tr("validation cross-entropy", "кросс-энтропия на валидации"))
ax.set_title(tr("Best response learned by one hypernetwork", "Функция наилучшего ответа, выученная одной гиперсетью"))
ax.legend()
plt.show()

# %% [markdown] lang="en"
# **Widget.** Move λ: above, the weights of three classes produced by the hypernetwork, shown as 8×8 images;
# below, the same weights of the model trained anew at this λ. Strong regularisation blurs and shrinks the
# templates (look at the colour scale), weak regularisation makes them sharp and noisy — and the two rows stay alike.

# %% [markdown] lang="ru"
# **Виджет.** Меняйте λ: в верхнем ряду — веса трёх классов, порождённые гиперсетью, в виде картинок 8×8; в нижнем —
# те же веса модели, заново обученной при этом λ. Сильная регуляризация размывает и уменьшает шаблоны (смотрите на шкалу
# цвета), слабая делает их резкими и шумными — а оба ряда остаются похожими.

# %%
def show_weights(lam=1.0):
    w_h = hypernet.hypernet_weights(phi, lam)[0].detach()
    w_r = hypernet.best_response(X_tr, y_tr, sizes, lam, init=w_h)
    fig, axes = plt.subplots(2, 3, figsize=(6.5, 4.4))
    for row, (flat, name) in enumerate([(w_h, tr("hypernetwork", "гиперсеть")), (w_r, tr("trained anew", "обучена заново"))]):
        W = hypernet.unflatten(flat, sizes)["W1"]
        scale = W.abs().max().item()
        val = hypernet.cross_entropy(flat, X_val, y_val, sizes).item()
        for col, digit in enumerate((0, 3, 8)):
            axes[row, col].imshow(W[digit].reshape(8, 8), cmap="RdBu", vmin=-scale, vmax=scale)
            axes[row, col].set_xticks([])
            axes[row, col].set_yticks([])
            axes[row, col].set_title(f"{name}: {digit}", fontsize=9)
        axes[row, 0].set_ylabel(tr(f"val. loss {val:.3f}\n|w| ≤ {scale:.2f}", f"потери {val:.3f}\n|w| ≤ {scale:.2f}"))
    fig.suptitle(f"λ = {lam:.3g}")
    plt.show()


interact(show_weights, lam=w.FloatLogSlider(value=1.0, base=10, min=-2, max=1.5, step=0.25, description="λ"))

# %% [markdown] lang="en"
# ## 4. Parametric complexity control
#
# Grebenkova, Bakhteev & Strijov (2023) go further: a hypernetwork conditioned on $\lambda$ learns not only the best
# response but also the *statistical properties* of the models along it — among them their complexity. Corollary:
# metaparameters such as the pruning rate or the complexity of the model can be controlled **after** training, by
# choosing $\lambda$ at inference time.
#
# **What we reproduce, and what we substitute.** In the paper the hypernetwork generates a *variational
# distribution* of the weights, $\lambda$ weighs the complexity term (the KL divergence to the prior) of a
# variational objective, and the parameters are pruned by their variational distribution. We keep the idea — one
# hypernetwork, $\lambda$ as a complexity knob, pruning after training — but, to stay small and deterministic, we
# **substitute** an L1 penalty (a Laplace prior) for the KL term and magnitude pruning for pruning by the
# variational distribution (lecture 8 prunes the variational way). The result below is therefore evidence for
# the idea, not a reproduction of the paper's numbers:
#
# $$\mathsf{E}_{\lambda} \Big( -\log p\big(\mathfrak{D} \mid \mathbf{w}(\lambda)\big) + \lambda
#   \|\mathbf{w}(\lambda)\|_1 \Big) \to \min_{\boldsymbol{\varphi}}, \qquad \log \lambda \sim U[\log 0.005, \log 2],$$
#
# for a 64-32-10 ReLU network ($n = 2410$), one hypernetwork of the same form. Then for $\lambda \in \{0.01, 0.1,
# 1\}$ we take $G(\lambda; \boldsymbol{\varphi})$, remove the given percent of weights with the smallest $|w|$
# (magnitude pruning, one global threshold, no retraining) and measure the test accuracy. Expectation: larger
# $\lambda$ — more weights near zero — accuracy degrades more slowly.

# %% [markdown] lang="ru"
# ## 4. Параметрический контроль сложности
#
# Гребенькова, Бахтеев и Стрижов (2023) идут дальше: гиперсеть, зависящая от $\lambda$, выучивает не только функцию
# наилучшего ответа, но и *статистические свойства* моделей вдоль неё — в том числе их сложность. Следствие:
# метапараметрами вроде доли прунинга или сложности модели можно управлять **после** обучения, выбирая $\lambda$
# при использовании модели.
#
# **Что мы воспроизводим и что заменяем.** В статье гиперсеть порождает *вариационное распределение* весов,
# $\lambda$ — вес слагаемого сложности (KL-дивергенции до априорного распределения) в вариационном функционале, а
# параметры удаляются по их вариационному распределению. Мы сохраняем идею — одна гиперсеть, $\lambda$ как
# «ручка» сложности, прунинг после обучения, — но, чтобы пример оставался маленьким и детерминированным,
# **заменяем** KL-слагаемое штрафом L1 (априорное распределение Лапласа), а прунинг по вариационному распределению —
# прунингом по модулю (вариационный прунинг — в лекции 8). Поэтому результат ниже подтверждает идею, но не
# воспроизводит числа статьи:
#
# $$\mathsf{E}_{\lambda} \Big( -\log p\big(\mathfrak{D} \mid \mathbf{w}(\lambda)\big) + \lambda
#   \|\mathbf{w}(\lambda)\|_1 \Big) \to \min_{\boldsymbol{\varphi}}, \qquad \log \lambda \sim U[\log 0.005, \log 2],$$
#
# для полносвязной сети 64-32-10 с активацией ReLU ($n = 2410$) и одной гиперсети того же вида. Затем для
# $\lambda \in \{0.01, 0.1, 1\}$ берём $G(\lambda; \boldsymbol{\varphi})$, удаляем заданный процент весов с
# наименьшим $|w|$ (прунинг по модулю, единый порог, без дообучения) и измеряем точность на тесте. Ожидание: чем
# больше $\lambda$, тем больше весов около нуля и тем медленнее падает точность.

# %%
run_l1 = checkpoint["runs"]["mlp_l1"]
phi_l1, sizes_l1 = run_l1["phi"], tuple(run_l1["config"]["sizes"])
fractions = np.linspace(0, 0.98, 29)
lams_cc = [0.01, 0.1, 1.0]
acc = hypernet.pruning_curve(phi_l1, lams_cc, fractions, digits.X_test, digits.y_test, sizes_l1).numpy()

fig, ax = plt.subplots(figsize=(6.5, 4))
for lam, a in zip(lams_cc, acc):
    ax.plot(100 * fractions, a, label=f"λ = {lam:.2f}")
ax.set_xlabel(tr("pruned parameters, %", "удалено параметров, %"))
ax.set_ylabel(tr("test accuracy", "точность на тесте"))
ax.set_title(tr("One hypernetwork, three complexities", "Одна гиперсеть, три уровня сложности"))
ax.legend()
plt.show()
print(tr("accuracy at 0 / 80 / 90 / 95 % pruned:", "точность при удалении 0 / 80 / 90 / 95 % весов:"))
for lam, a in zip(lams_cc, acc):
    print(f"λ = {lam:4.2f}: " + " / ".join(f"{np.interp(p, fractions, a):.3f}" for p in (0, 0.8, 0.9, 0.95)))

# %% [markdown] lang="en"
# **What we see.** Unpruned, the three models are equally accurate (about 97%). With more weights removed the
# curves part in the expected order: at 90% pruned the model at $\lambda = 1$ still keeps most of its accuracy,
# while those at $\lambda = 0.1$ and $0.01$ have lost about ten points; beyond about 95% all of them collapse. So here
# the claim of the 2023 MIPT lecture slides holds (in our substitute setting): one knob $\lambda$, chosen after training, trades accuracy for compressibility. It is
# a small model on an easy data set; the gap between the curves is modest and would shrink if the models were
# retrained after pruning (lecture 7).

# %% [markdown] lang="ru"
# **Что мы видим.** Без прунинга три модели одинаково точны (около 97%). При удалении всё большего числа весов кривые
# расходятся в ожидаемом порядке: при 90% удалённых модель с $\lambda = 1$ сохраняет почти всю точность, а модели с
# $\lambda = 0.1$ и $0.01$ теряют около десяти процентных пунктов; после примерно 95% падают все. Значит, здесь
# утверждение из слайдов МФТИ 2023 года подтверждается (в нашей упрощённой постановке): одна «ручка» $\lambda$, выбранная после обучения, обменивает точность на
# сжимаемость. Модель маленькая, а данные простые; разрыв между кривыми умеренный и сократился бы, если бы модели
# дообучались после прунинга (лекция 7).

# %% [markdown] lang="en"
# ## Check yourself
#
# 1. Write the definition of a hypernetwork. What are $\Lambda$, $u$ and $n$ in our logistic-regression example?
#    <details><summary>Answer</summary>
#
#    $G: \Lambda \times \mathbb{R}^u \to \mathbb{R}^n$, $\mathbf{w} = G(\lambda; \boldsymbol{\varphi})$: a
#    parametric map from a set $\Lambda$ to the parameters of a model. In our example $\Lambda = [10^{-3}, 10^2]$
#    (the penalty weights, fed as the rescaled $\log\lambda$), $u = 11\,732$ parameters $\boldsymbol{\varphi}$ and
#    $n = 64 \cdot 10 + 10 = 650$.
#
#    </details>
# 2. What is the best-response function? Why does black-box search need one full training per point of it?
#    <details><summary>Answer</summary>
#
#    $\mathbf{w}^*(\lambda) = \arg\min_{\mathbf{w}} L_{\text{train}}(\mathbf{w}, \lambda)$. Black-box search sees
#    only values: to know $\mathbf{w}^*(\lambda)$ and $L_{\text{val}}$ at one $\lambda$ it must solve the inner
#    problem there, i.e. train the model once more.
#
#    </details>
# 3. Why does minimising $\mathsf{E}_{\lambda}[L_{\text{train}}(G(\lambda;\boldsymbol\varphi), \lambda)]$ recover
#    $\mathbf{w}^*(\lambda)$ for a sufficiently powerful $G$? What goes wrong if the support of $p(\lambda)$ does not
#    contain the $\lambda$ you later query?
#    <details><summary>Answer</summary>
#
#    $\mathsf{E}_\lambda L_{\text{train}}(G(\lambda; \boldsymbol{\varphi}), \lambda) \ge \mathsf{E}_\lambda \min_{\mathbf{w}} L_{\text{train}}(\mathbf{w}, \lambda)$,
#    with equality iff $G(\lambda; \boldsymbol{\varphi}) = \mathbf{w}^*(\lambda)$ for almost every $\lambda$ of the
#    support; a powerful enough $G$ can attain it. Outside the support the objective says nothing: $G$ there is an
#    uncontrolled extrapolation.
#
#    </details>
# 4. Tuning $\lambda$ through $G$ needs no implicit function theorem and no unrolling. What does it need instead,
#    and where can it fail (hint: the last table at small $\lambda$)?
#    <details><summary>Answer</summary>
#
#    A hypernetwork that is accurate near the $\lambda$ being tuned and differentiable in $\lambda$. Where $G$ is
#    inaccurate — at small $\lambda$ in the table — the minimiser of $L_{\text{val}}(G(\lambda))$ need not be that
#    of $L_{\text{val}}(\mathbf{w}^*(\lambda))$.
#
#    </details>
# 5. Why an L1 penalty and not L2 for the complexity-control experiment? Would magnitude pruning of an L2-regularised
#    model behave the same way?
#    <details><summary>Answer</summary>
#
#    L1 (a Laplace prior) drives many weights to zero or near it, more of them for larger $\lambda$, so magnitude
#    pruning removes them at little cost. L2 shrinks all weights smoothly without making them sparse; the ranking
#    by $|w|$ changes little with $\lambda$, and the curves for different $\lambda$ would part much less.
#
#    </details>

# %% [markdown] lang="ru"
# ## Проверьте себя
#
# 1. Запишите определение гиперсети. Что такое $\Lambda$, $u$ и $n$ в нашем примере с логистической регрессией?
#    <details><summary>Ответ</summary>
#
#    $G: \Lambda \times \mathbb{R}^u \to \mathbb{R}^n$, $\mathbf{w} = G(\lambda; \boldsymbol{\varphi})$ —
#    параметрическое отображение множества $\Lambda$ в параметры модели. В нашем примере
#    $\Lambda = [10^{-3}, 10^2]$ (веса штрафа, на вход подаётся отмасштабированный $\log\lambda$), $u = 11\,732$
#    параметра $\boldsymbol{\varphi}$ и $n = 64 \cdot 10 + 10 = 650$.
#
#    </details>
# 2. Что такое функция наилучшего ответа? Почему поиску «чёрным ящиком» нужно одно полное обучение на каждую её точку?
#    <details><summary>Ответ</summary>
#
#    $\mathbf{w}^*(\lambda) = \arg\min_{\mathbf{w}} L_{\text{train}}(\mathbf{w}, \lambda)$. Поиск «чёрным ящиком»
#    видит только значения: чтобы узнать $\mathbf{w}^*(\lambda)$ и $L_{\text{val}}$ в одной точке $\lambda$, он
#    должен решить там внутреннюю задачу, то есть ещё раз обучить модель.
#
#    </details>
# 3. Почему минимизация $\mathsf{E}_{\lambda}[L_{\text{train}}(G(\lambda;\boldsymbol\varphi), \lambda)]$ даёт
#    $\mathbf{w}^*(\lambda)$ для достаточно мощной $G$? Что пойдёт не так, если носитель $p(\lambda)$ не содержит то
#    $\lambda$, которое потом подают на вход?
#    <details><summary>Ответ</summary>
#
#    $\mathsf{E}_\lambda L_{\text{train}}(G(\lambda; \boldsymbol{\varphi}), \lambda) \ge \mathsf{E}_\lambda \min_{\mathbf{w}} L_{\text{train}}(\mathbf{w}, \lambda)$,
#    и равенство достигается тогда и только тогда, когда $G(\lambda; \boldsymbol{\varphi}) = \mathbf{w}^*(\lambda)$
#    почти при всех $\lambda$ из носителя; достаточно мощная $G$ может его достичь. Вне носителя функционал ничего
#    не требует: там $G$ — неконтролируемая экстраполяция.
#
#    </details>
# 4. Настройке $\lambda$ через $G$ не нужны ни теорема о неявной функции, ни развёртка обучения. Что нужно взамен и
#    где это может подвести (подсказка: таблица при малых $\lambda$)?
#    <details><summary>Ответ</summary>
#
#    Гиперсеть, точная около настраиваемого $\lambda$ и дифференцируемая по $\lambda$. Там, где $G$ неточна, — при
#    малых $\lambda$ в таблице, — точка минимума $L_{\text{val}}(G(\lambda))$ может не совпадать с точкой минимума
#    $L_{\text{val}}(\mathbf{w}^*(\lambda))$.
#
#    </details>
# 5. Почему в эксперименте с контролем сложности штраф L1, а не L2? Вёл бы себя так же прунинг по модулю для модели,
#    регуляризованной L2?
#    <details><summary>Ответ</summary>
#
#    L1 (априорное распределение Лапласа) загоняет многие веса в ноль или почти в ноль — тем больше, чем больше
#    $\lambda$, — и прунинг по модулю удаляет их почти без потерь. L2 плавно уменьшает все веса, не делая их
#    разреженными; порядок весов по $|w|$ почти не меняется с $\lambda$, и кривые для разных $\lambda$ расходились
#    бы гораздо меньше.
#
#    </details>

# %% [markdown] lang="en"
# ## References
#
# * Ha D., Dai A., Le Q. V. HyperNetworks. arXiv:1609.09106, 2016.
# * Lorraine J., Duvenaud D. Stochastic hyperparameter optimization through hypernetworks. arXiv:1802.09419, 2018.
# * MacKay M., Vicol P., Lorraine J., Duvenaud D., Grosse R. Self-tuning networks: bilevel optimization of
#   hyperparameters using structured best-response functions. ICLR, 2019.
# * Grebenkova O., Bakhteev O., Strijov V. Deep learning model selection with parametric complexity control. ICAART,
#   2023.
# * Grebenkova O. S., Bakhteev O. Yu., Strijov V. V. Вариационная оптимизация модели глубокого обучения с контролем
#   сложности [Variational optimisation of a deep learning model with complexity control]. Informatika i ee
#   primeneniya 15(1), 42–49, 2021 (in Russian).
# * Han S., Pool J., Tran J., Dally W. J. Learning both weights and connections for efficient neural networks.
#   NeurIPS, 2015.
# * Metaparameters and metaoptimization. Lecture slides, MIPT, 2023.

# %% [markdown] lang="ru"
# ## Литература
#
# * Ha D., Dai A., Le Q. V. HyperNetworks. arXiv:1609.09106, 2016.
# * Lorraine J., Duvenaud D. Stochastic hyperparameter optimization through hypernetworks. arXiv:1802.09419, 2018.
# * MacKay M., Vicol P., Lorraine J., Duvenaud D., Grosse R. Self-tuning networks: bilevel optimization of
#   hyperparameters using structured best-response functions. ICLR, 2019.
# * Grebenkova O., Bakhteev O., Strijov V. Deep learning model selection with parametric complexity control. ICAART,
#   2023.
# * Гребенькова О. С., Бахтеев О. Ю., Стрижов В. В. Вариационная оптимизация модели глубокого обучения с контролем
#   сложности. Информатика и её применения 15(1), 42–49, 2021.
# * Han S., Pool J., Tran J., Dally W. J. Learning both weights and connections for efficient neural networks.
#   NeurIPS, 2015.
# * Metaparameters and metaoptimization. Слайды лекций, МФТИ, 2023.
