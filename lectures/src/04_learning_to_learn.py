# ---
# jupyter:
#   jupytext:
#     text_representation:
#       extension: .py
#       format_name: percent
# ---

# %% [markdown] lang="en"
# # Lecture 4. Learning to learn
#
# **After this lecture you can**
# * describe Schmidhuber's network that embeds its own meta-levels;
# * treat an optimisation algorithm as a differentiable, trainable map and write the learning-to-learn objective;
# * explain the coordinate-wise LSTM optimizer of Andrychowicz et al. (2016): preprocessing, weight sharing,
#   truncated backpropagation through optimisation;
# * compare a learned optimizer with hand-tuned SGD and Adam fairly;
# * outline learning to learn *without* gradient descent (Chen et al. 2017).
# %% [markdown] lang="ru"
# # Лекция 4. Обучение обучению
#
# **После этой лекции вы сможете**
# * описать сеть, содержащую собственные метауровни (Schmidhuber, 1993);
# * рассматривать алгоритм оптимизации как дифференцируемое обучаемое отображение и записывать задачу обучения
#   обучению;
# * объяснить покоординатный LSTM-оптимизатор Andrychowicz и др. (2016): предобработку градиентов, общие для всех
#   координат параметры, усечённое обратное распространение через процесс оптимизации;
# * честно сравнивать обученный оптимизатор с настроенными SGD и Adam;
# * в общих чертах изложить обучение обучению *без* градиентного спуска (Chen и др., 2017).

# %%
import matplotlib.pyplot as plt
import torch
from ipywidgets import FloatLogSlider, IntSlider

from metaopt_course.widgets import interact
from metaopt_lib import learned_opt as lo
from metaopt_lib import meta
from metaopt_lib.checkpoint import load_checkpoint
from metaopt_lib.i18n import translator
from metaopt_lib.seeding import set_seed

tr = translator(LANG)
gen = set_seed(0)
torch.set_num_threads(1)

# %% [markdown] lang="en"
# ## 1. A network that embeds its own meta-levels
#
# Schmidhuber (1993) proposed a recurrent network that can inspect and change its own weights. The model is
# decomposed into sub-models with different jobs:
#
# * the **normal** model: optimisation and inference — it solves the task;
# * the **evaluation** model: estimates the quality $Q$ (how well the normal model is doing, e.g. on validation data);
# * the **analysing** model: reads and analyses the model's own parameters;
# * the **modifying** model: changes those parameters.
#
# Because the analysing and modifying parts are themselves trained by a gradient algorithm, the network learns
# *how to change itself* — the idea of **learning to learn** (a relative of his earlier "fast weights", 1992,
# where one network computes the weight changes of another).
# Everything in this course that optimises an optimisation process — hyperparameters by hypergradients (lecture 3),
# a learned optimizer (this lecture), a learned initialisation (MAML, lecture 5) — is a flattened version of this
# hierarchy: an inner level that learns and an outer level that improves the learning.
# %% [markdown] lang="ru"
# ## 1. Сеть, содержащая собственные метауровни
#
# Schmidhuber (1993) предложил рекуррентную сеть, которая может просматривать и менять собственные веса. Модель
# разбивается на подмодели с разными назначениями:
#
# * **обычная** модель (normal): обучение и вывод — она решает задачу;
# * модель **оценки** (evaluation): оценивает качество $Q$ (насколько хорошо работает обычная модель, например на
#   валидационных данных);
# * **анализирующая** модель (analyzing): читает и анализирует собственные параметры модели;
# * **модифицирующая** модель (modifying): изменяет эти параметры.
#
# Поскольку анализирующая и модифицирующая части сами обучаются градиентным алгоритмом, сеть учится *тому, как
# менять саму себя* — это идея **обучения обучению** (ей родственны его же более ранние «быстрые веса», 1992:
# одна сеть вычисляет изменения весов другой).
# Всё, что в этом курсе оптимизирует сам процесс оптимизации, — гиперпараметры по гиперградиентам (лекция 3),
# обученный оптимизатор (эта лекция), обученное начальное приближение (MAML, лекция 5), — это «сплющенный»
# вариант той же иерархии: внутренний уровень учится, внешний уровень улучшает обучение.

# %% [markdown] lang="en"
# ## 2. The optimizer as a trainable function
#
# Write one step of an optimisation algorithm as a map $T$ of the current parameters (and of the gradient and
# some memory): gradient descent is $T(\theta) = \theta - \eta \nabla L(\theta)$. Andrychowicz et al. (2016)
# make $T$ a recurrent network with parameters $\phi$,
#
# $$\theta_{t+1} = \theta_t + g_t, \qquad (g_t, h_{t+1}) = \mathrm{LSTM}_\phi\big(\nabla L(\theta_t), h_t\big),$$
#
# and train $\phi$ so that the optimisation goes well *along the whole trajectory*:
#
# $$\mathcal L(\phi) = \mathbb E_{L}\Big[\sum_{t=t_0}^{t_\eta} w_t\, L\big(T^t_\phi(\theta_{t_0})\big)\Big] \;\to\; \min_\phi .$$
#
# The objective is **minimised**: the losses along the optimisation path should be small (the 2023 MIPT lecture
# slides write "→ max", a slip). With $w_t = 1$ every step counts, which rewards fast progress, not only a good end point.
# %% [markdown] lang="ru"
# ## 2. Оптимизатор как обучаемая функция
#
# Запишем один шаг алгоритма оптимизации как отображение $T$ текущих параметров (а также градиента и некоторой
# памяти): для градиентного спуска $T(\theta) = \theta - \eta \nabla L(\theta)$. Andrychowicz и др. (2016)
# делают $T$ рекуррентной сетью с параметрами $\phi$:
#
# $$\theta_{t+1} = \theta_t + g_t, \qquad (g_t, h_{t+1}) = \mathrm{LSTM}_\phi\big(\nabla L(\theta_t), h_t\big),$$
#
# и обучают $\phi$ так, чтобы оптимизация шла хорошо *на всей траектории*:
#
# $$\mathcal L(\phi) = \mathbb E_{L}\Big[\sum_{t=t_0}^{t_\eta} w_t\, L\big(T^t_\phi(\theta_{t_0})\big)\Big] \;\to\; \min_\phi .$$
#
# Этот функционал **минимизируется**: потери вдоль траектории оптимизации должны быть малы (на одном из слайдов
# лекций МФТИ 2023 года написано «→ max», это опечатка). При $w_t = 1$ учитывается каждый шаг, поэтому поощряется быстрый
# прогресс, а не только хорошая конечная точка.

# %% [markdown] lang="en"
# ## 3. The coordinate-wise LSTM
#
# * **Weight sharing.** One small two-layer LSTM (20 units per layer) is applied to *every coordinate* of $\theta$
#   separately, with its own hidden state per coordinate. The optimizer therefore has a few thousand parameters
#   whatever the dimension of $\theta$, and it does not depend on the order of the coordinates — like SGD or Adam,
#   which are coordinate-wise too. ("The LSTM has a small number of parameters and shares them across all
#   coordinates", as the 2023 MIPT lecture slides put it.)
# * **Preprocessing.** Gradients span many orders of magnitude, so each is fed as two numbers:
#   $(\log|\nabla|/p,\ \operatorname{sgn}\nabla)$ if $|\nabla| \ge e^{-p}$ and $(-1,\ e^{p}\nabla)$ otherwise, $p=10$.
# * **Training.** The meta-gradient $\partial\mathcal L/\partial\phi$ is computed by backpropagation through the
#   unrolled optimisation (100 steps), **truncated** every 20 steps: after each window $\phi$ takes an Adam step
#   and the trajectory is detached. Like the paper, the gradient fed to the LSTM is treated as a constant
#   ($\partial \nabla_t/\partial\phi = 0$), which avoids second derivatives of $L$.
#
# The training problems are the paper's random quadratics $L(\theta) = \lVert W\theta - y\rVert^2$,
# $W \in \mathbb R^{10\times 10}$, $y \in \mathbb R^{10}$ with i.i.d. standard normal entries, $\theta_0 = 0$.
# The checkpoint was produced by `scripts/train_lstm_opt.py` (a few minutes of CPU); the same script tuned the step
# sizes of SGD and Adam on a 13-value grid from $10^{-4}$ to $1$ on the *training* quadratics, so the comparison
# below is against the best hand-tuned versions of both.
# %% [markdown] lang="ru"
# ## 3. Покоординатная LSTM
#
# * **Общие параметры.** Одна небольшая двухслойная LSTM (20 нейронов в слое) применяется к *каждой координате*
#   $\theta$ отдельно, со своим скрытым состоянием для каждой координаты. Поэтому у оптимизатора несколько тысяч
#   параметров при любой размерности $\theta$, и он не зависит от порядка координат — как SGD или Adam, которые
#   тоже действуют покоординатно. («У LSTM немного параметров, и они общие для всех координат», — как сказано
#   в слайдах МФТИ 2023 года.)
# * **Предобработка.** Градиенты различаются на много порядков, поэтому каждый подаётся как два числа:
#   $(\log|\nabla|/p,\ \operatorname{sgn}\nabla)$, если $|\nabla| \ge e^{-p}$, и $(-1,\ e^{p}\nabla)$ иначе, $p=10$.
# * **Обучение.** Метаградиент $\partial\mathcal L/\partial\phi$ вычисляется обратным распространением через
#   развёрнутый процесс оптимизации (100 шагов), **усечённым** каждые 20 шагов: после каждого отрезка $\phi$
#   делает шаг Adam, а траектория отсоединяется от графа. Как и в статье, градиент на входе LSTM считается
#   константой ($\partial \nabla_t/\partial\phi = 0$), что избавляет от вторых производных $L$.
#
# Обучающие задачи — случайные квадратичные функции из статьи $L(\theta) = \lVert W\theta - y\rVert^2$,
# $W \in \mathbb R^{10\times 10}$, $y \in \mathbb R^{10}$ с независимыми стандартными нормальными элементами,
# $\theta_0 = 0$. Сохранённые веса (контрольную точку) получил скрипт `scripts/train_lstm_opt.py` (несколько минут процессорного
# времени); тот же скрипт подобрал шаги SGD и Adam по сетке из 13 значений от $10^{-4}$ до $1$ на *обучающих*
# квадратичных функциях, так что ниже сравнение идёт с лучшими настроенными вручную вариантами обоих методов.

# %%
ckpt = load_checkpoint("lstm_opt")
cfg = ckpt["config"]
W, y = lo.random_quadratics(300, cfg["dim"], torch.Generator().manual_seed(cfg["eval_seed"] + 1))
f_test, theta0 = lo.quadratic_problems(W, y), torch.zeros(300, cfg["dim"])
curves = {"lstm": lo.lstm_curve(ckpt["phi"], f_test, theta0, cfg["horizon"])}
for name in ("sgd", "adam"):
    curves[name] = lo.hand_optimizer_curve(name, ckpt["lr"][name], f_test, theta0, cfg["horizon"])
labels = {"lstm": tr("LSTM (learned)", "LSTM (обученный)"), "sgd": f"SGD, lr = {ckpt['lr']['sgd']:.2g}",
          "adam": f"Adam, lr = {ckpt['lr']['adam']:.2g}"}

fig, ax = plt.subplots(figsize=(6.5, 4))
for name, curve in curves.items():
    ax.plot(curve.mean(1), label=labels[name])
ax.set_yscale("log")
ax.set_xlabel(tr("optimisation step t", "шаг оптимизации t"))
ax.set_ylabel(tr("mean loss on 300 new quadratics", "средние потери на 300 новых функциях"))
ax.set_title(tr("A learned optimizer against tuned SGD and Adam", "Обученный оптимизатор против настроенных SGD и Adam"))
ax.legend()
plt.show()
for name in ("lstm", "sgd", "adam"):
    m, c = ckpt["final"][name]
    print(tr(f"{labels[name]:22s} loss after 100 steps on 1000 held-out quadratics: {m:.4f} ± {c:.4f}",
             f"{labels[name]:22s} потери после 100 шагов на 1000 отложенных функциях: {m:.4f} ± {c:.4f}"))

# %% [markdown] lang="en"
# The printed figures are the script's measurements on 1000 held-out quadratics (mean and 95% confidence
# interval); the curves are recomputed here on 300 fresh ones. The learned optimizer wins *on its training
# distribution*. Andrychowicz et al. also test it outside that distribution: an LSTM optimizer trained on a small
# MLP with sigmoid activations on MNIST still beats the hand-tuned optimizers on a network with twice as many hidden
# units and on one with more layers, but fails when the activations are changed to ReLU. A learned rule carries over
# to problems that resemble its training problems; beyond them nothing is guaranteed, and for a new family of
# problems it must be trained anew — the price of learning to learn.
#
# ### Try it: one problem, any step size
#
# Pick a quadratic and a step size for SGD and for Adam, and compare their trajectories with the learned optimizer
# (which has no step size to tune).
# %% [markdown] lang="ru"
# Напечатанные числа — измерения скрипта на 1000 отложенных квадратичных функциях (среднее и 95%
# доверительный интервал); кривые пересчитаны здесь на 300 новых функциях. Обученный оптимизатор выигрывает
# *на своём обучающем распределении*. Andrychowicz и др. проверяют его и за пределами этого распределения:
# LSTM-оптимизатор, обученный на небольшом многослойном перцептроне с сигмоидными активациями на MNIST, по-прежнему
# обгоняет настроенные вручную оптимизаторы на сети с вдвое большим числом скрытых нейронов и на сети с большим
# числом слоёв, но перестаёт работать, если заменить активации на ReLU. Выученное правило переносится на задачи, похожие на
# обучающие; за их пределами ничего не гарантировано, и для нового семейства задач оптимизатор приходится обучать
# заново — такова цена обучения обучению.
#
# ### Попробуйте: одна задача, любой шаг
#
# Выберите квадратичную функцию и шаг для SGD и для Adam и сравните их траектории с обученным оптимизатором
# (у которого нет шага, требующего настройки).

# %%
def compare_on_problem(problem=0, sgd_lr=0.01, adam_lr=0.3):
    f_one = lo.quadratic_problems(W[problem:problem + 1], y[problem:problem + 1])
    start = torch.zeros(1, cfg["dim"])
    fig, ax = plt.subplots(figsize=(6.5, 3.6))
    ax.plot(curves["lstm"][:, problem], label=labels["lstm"])
    ax.plot(lo.hand_optimizer_curve("sgd", sgd_lr, f_one, start, cfg["horizon"])[:, 0], label=f"SGD, lr = {sgd_lr:.2g}")
    ax.plot(lo.hand_optimizer_curve("adam", adam_lr, f_one, start, cfg["horizon"])[:, 0],
            label=f"Adam, lr = {adam_lr:.2g}")
    ax.set_yscale("log")
    ax.set_ylim(1e-6, 1e3)
    ax.set_xlabel(tr("optimisation step t", "шаг оптимизации t"))
    ax.set_ylabel(tr("loss", "потери"))
    ax.set_title(tr(f"quadratic no. {problem}", f"квадратичная функция № {problem}"))
    ax.legend(fontsize=8)
    plt.show()


interact(compare_on_problem,
         problem=IntSlider(value=0, min=0, max=299, description=tr("problem", "задача")),
         sgd_lr=FloatLogSlider(value=0.01, base=10, min=-4, max=0, description="SGD lr"),
         adam_lr=FloatLogSlider(value=0.3, base=10, min=-4, max=0, description="Adam lr"))

# %% [markdown] lang="en"
# ## 4. Learning to learn without gradient descent
#
# Chen et al. (2017) use the same idea for **black-box optimisation**, e.g. hyperparameter search, as an
# alternative to Bayesian optimisation with Gaussian processes:
#
# * an RNN proposes the next query point from the previous point, its observed value and its hidden state:
#   $x_t = \mathrm{RNN}_\phi(x_{t-1}, y_{t-1}, h_{t-1})$, $y_t = f(x_t)$;
# * it is trained by gradient descent on many synthetic functions (samples from a Gaussian process, where
#   derivatives are available), to minimise e.g. the sum of the observed values or of the observed improvement;
# * at test time it needs **no gradient** of $f$: only function values, so it can tune hyperparameters of real
#   models; it can be combined with acquisition functions such as expected improvement (EI), and it is much
#   faster per query than a GP-based optimiser.
# %% [markdown] lang="ru"
# ## 4. Обучение обучению без градиентного спуска
#
# Chen и др. (2017) применяют ту же идею к **оптимизации чёрного ящика**, например к поиску
# гиперпараметров, как альтернативу байесовской оптимизации на гауссовских процессах:
#
# * рекуррентная сеть предлагает следующую точку запроса по предыдущей точке, наблюдённому в ней значению и своему
#   скрытому состоянию: $x_t = \mathrm{RNN}_\phi(x_{t-1}, y_{t-1}, h_{t-1})$, $y_t = f(x_t)$;
# * она обучается градиентным спуском на большом числе синтетических функций (реализаций гауссовского процесса, у
#   которых производные доступны), минимизируя, например, сумму наблюдённых значений или наблюдённых улучшений;
# * при применении ей **не нужен градиент** $f$, только значения функции, поэтому она годится для настройки
#   гиперпараметров реальных моделей; её можно сочетать с функциями приобретения, например с ожидаемым улучшением (EI),
#   и каждый запрос она делает намного быстрее, чем оптимизатор на гауссовских процессах.

# %% [markdown] lang="en"
# ## 5. Meta-training live: a learned step-size schedule
#
# The LSTM above was trained by a script for minutes. Here is the same idea small enough to meta-train while you
# watch. The "optimizer" is gradient descent with $T = 10$ step sizes $\eta_1, \dots, \eta_T$, and they are the
# meta-parameters. The problems are random quadratics $f(\mathbf x) = \frac12(\mathbf x - \mathbf x^*)^\top
# \mathbf A(\mathbf x - \mathbf x^*)$ in 10 dimensions whose eigenvalues lie in $[\mu, L] = [0.01, 1]$ (both ends in
# every problem, the others log-uniform). In the eigenbasis of $\mathbf A$ a step multiplies the error along
# eigenvalue $\lambda$ by $1 - \eta_t\lambda$, so after $T$ steps
#
# $$f(\mathbf x_T) = \tfrac12\sum_i \lambda_i e_{0,i}^2 \prod_{t=1}^{T}(1 - \eta_t\lambda_i)^2 .$$
#
# The meta-loss is the mean of $\log f(\mathbf x_T)/f(\mathbf x_0)$ over a batch of 64 problems; its gradient
# with respect to $\log\eta_t$ is computed by backpropagation through the ten unrolled steps — the
# learning-to-learn objective of section 2 with $w_t = 0$ for $t < T$ and the simplest possible optimizer.
# Two baselines: the **best constant step**, tuned on training problems, and the **Chebyshev steps**
# $\eta_t = 1/\nu_t$, $\nu_t$ the Chebyshev nodes of $[\mu, L]$, which minimise the *worst case*
# $\max_{\lambda\in[\mu, L]}\prod_t|1 - \eta_t\lambda|$ (Young 1953). One subtlety: the steps commute on a
# quadratic, so the meta-loss is symmetric in them, and a constant starting schedule would stay constant for ever
# (its meta-gradient has equal components); we start from distinct steps, $0.5$ to $3$.

# %% [markdown] lang="ru"
# ## 5. Метаобучение вживую: обучаемое расписание шага
#
# LSTM выше обучалась скриптом несколько минут. Вот та же идея в таком масштабе, что метаобучение проходит у вас на
# глазах. «Оптимизатор» — градиентный спуск с $T = 10$ шагами $\eta_1, \dots, \eta_T$, и именно они —
# метапараметры. Задачи — случайные квадратичные функции $f(\mathbf x) = \frac12(\mathbf x - \mathbf x^*)^\top
# \mathbf A(\mathbf x - \mathbf x^*)$ в размерности 10, собственные числа которых лежат в $[\mu, L] = [0{,}01; 1]$
# (оба конца — в каждой задаче, остальные равномерно в логарифмической шкале). В собственном базисе $\mathbf A$ шаг
# умножает ошибку вдоль собственного числа $\lambda$ на $1 - \eta_t\lambda$, поэтому после $T$ шагов
#
# $$f(\mathbf x_T) = \tfrac12\sum_i \lambda_i e_{0,i}^2 \prod_{t=1}^{T}(1 - \eta_t\lambda_i)^2 .$$
#
# Функция потерь метаобучения — среднее $\log f(\mathbf x_T)/f(\mathbf x_0)$ по батчу из 64 задач; её градиент по
# $\log\eta_t$ считается обратным распространением через десять развёрнутых шагов — это задача обучения обучению из
# раздела 2 с $w_t = 0$ при $t < T$ и простейшим оптимизатором. Два метода сравнения: **лучший постоянный шаг**,
# подобранный на обучающих задачах, и **шаги Чебышёва** $\eta_t = 1/\nu_t$, где $\nu_t$ — узлы Чебышёва отрезка
# $[\mu, L]$; они минимизируют *наихудший случай* $\max_{\lambda\in[\mu, L]}\prod_t|1 - \eta_t\lambda|$ (Young 1953).
# Одна тонкость: на квадратичной функции шаги перестановочны, поэтому функция потерь метаобучения симметрична по
# ним, и постоянное начальное расписание осталось бы постоянным навсегда (у его метаградиента все компоненты равны);
# поэтому начинаем с разных шагов, от $0{,}5$ до $3$.

# %%
import math
import time

from metaopt_lib import schedule as sc

mu, L, T_steps, dim_q = 0.01, 1.0, 10, 10
sched_gen = torch.Generator().manual_seed(4)
start = time.process_time()
learned_steps, meta_history = sc.meta_train_schedule(
    torch.linspace(0.5, 3.0, T_steps, dtype=torch.float64),
    lambda: sc.spectral_quadratics(64, dim_q, mu, L, sched_gen), n_iters=300, lr=0.05)
train_seconds = time.process_time() - start
eig_train, e_train = sc.spectral_quadratics(512, dim_q, mu, L, sched_gen)
const_step = sc.best_constant_step(eig_train, e_train, T_steps)
schedules = {tr("learned schedule", "обученное расписание"): learned_steps,
             tr(f"best constant step η = {const_step:.2f}", f"лучший постоянный шаг η = {const_step:.2f}"):
                 torch.full((T_steps,), const_step, dtype=torch.float64),
             tr("Chebyshev steps (worst-case optimal)", "шаги Чебышёва (оптимальны в худшем случае)"):
                 sc.chebyshev_steps(mu, L, T_steps)}
eig_test, e_test = sc.spectral_quadratics(1000, dim_q, mu, L, torch.Generator().manual_seed(2017))
eig_wide, e_wide = sc.spectral_quadratics(1000, dim_q, mu, 2 * L, torch.Generator().manual_seed(2018))

fig, axes = plt.subplots(1, 3, figsize=(14, 3.8))
for name, steps in schedules.items():
    axes[0].semilogy(range(1, T_steps + 1), torch.sort(steps, descending=True).values, "o-", label=name)
    shortest_first = torch.sort(steps).values  # the order changes the path, not the end point
    ratio = sc.gd_losses(shortest_first, eig_test, e_test) / sc.gd_losses(shortest_first, eig_test, e_test)[0]
    axes[1].semilogy(range(T_steps + 1), ratio.median(1).values, "o-", label=name)
axes[0].set_xlabel(tr("step, sorted from largest", "шаг, по убыванию"))
axes[0].set_ylabel("η")
axes[0].legend(fontsize=7)
axes[1].set_xlabel(tr("gradient-descent step t (shortest steps first)", "шаг градиентного спуска t (сначала короткие)"))
axes[1].set_ylabel(tr("median f(x_t)/f(x_0), 1000 new problems", "медиана f(x_t)/f(x_0), 1000 новых задач"))
axes[2].plot(meta_history)
axes[2].set_xlabel(tr("meta-training iteration", "итерация метаобучения"))
axes[2].set_ylabel(tr("meta-loss: mean log f(x_T)/f(x_0)", "функция потерь: среднее log f(x_T)/f(x_0)"))
plt.tight_layout()
plt.show()
print(tr("learned steps: ", "обученные шаги: ") + ", ".join(f"{float(v):.2f}" for v in torch.sort(learned_steps, descending=True).values))
print(tr(f"meta-training: 300 Adam steps on batches of 64 problems, {train_seconds:.1f} s CPU",
         f"метаобучение: 300 шагов Adam по батчам из 64 задач, {train_seconds:.1f} с ЦП"))
for name, steps in schedules.items():
    test = float(sc.schedule_meta_loss(steps.log(), eig_test, e_test))
    wide = float(sc.schedule_meta_loss(steps.log(), eig_wide, e_wide))
    print(tr(f"{name:40s} mean log f(x_T)/f(x_0): new problems {test:6.2f} (geometric mean ratio {math.exp(test):.1e}); "
             f"eigenvalues up to 2L {wide:8.2f}",
             f"{name:40s} среднее log f(x_T)/f(x_0): новые задачи {test:6.2f} (среднее геометрическое {math.exp(test):.1e}); "
             f"собственные числа до 2L {wide:8.2f}"))

# %% [markdown] lang="en"
# What was learned. The learned steps are far from constant: a few long steps (tens, of the order of $1/\mu$) that
# remove the error along small eigenvalues, and many short ones (about $1/L$) that repair what the long steps
# amplify along large eigenvalues — the shape of the Chebyshev steps, found by gradient descent from the data alone.
# On new problems from the same distribution the learned schedule beats the tuned constant step by a wide margin,
# and it also beats the Chebyshev steps *on average*: Chebyshev's are optimal for the worst eigenvalue, the learned
# ones for the distribution they were trained on. The last column is the price, as for the LSTM: on problems whose
# eigenvalues reach $2L$ the long steps multiply the error along the largest eigenvalues by tens, and the learned
# schedule diverges — and so do the others: the tuned constant step is above the new stability limit $2/(2L)$,
# and Chebyshev's long steps are as unforgiving as the learned ones. A schedule is tuned to the spectrum it was
# trained on. (On a quadratic the order of the steps changes the path, not the end point; the middle panel
# applies every schedule from its shortest step.)

# %% [markdown] lang="ru"
# Чему научилось расписание. Обученные шаги далеко не постоянны: несколько длинных (десятки, порядка $1/\mu$)
# убирают ошибку вдоль малых собственных чисел, а много коротких (около $1/L$) исправляют то, что длинные шаги
# усиливают вдоль больших. Это форма шагов Чебышёва, найденная градиентным спуском только по данным. На новых
# задачах из того же распределения обученное расписание намного лучше настроенного постоянного шага и *в среднем*
# лучше шагов Чебышёва: шаги Чебышёва оптимальны для худшего собственного числа, а обученные — для того
# распределения, на котором их обучали. Последний столбец — цена, как и у LSTM: на задачах с собственными числами до
# $2L$ длинные шаги умножают ошибку вдоль больших собственных чисел в десятки раз, и обученное расписание
# расходится — как и остальные: подобранный постоянный шаг больше нового порога устойчивости $2/(2L)$, а длинные
# шаги Чебышёва так же беспощадны, как обученные. Расписание настроено на тот спектр, на котором его обучали. (На
# квадратичной функции порядок шагов меняет путь, но не конечную точку; на среднем графике каждое расписание
# применяется начиная с самого короткого шага.)

# %% [markdown] lang="en"
# ### A tiny version of Chen et al. (2017)
#
# The recipe of section 4 at toy scale (`metaopt_lib.learned_blackbox`): a GRU with 32 units reads
# $(x_{t-1}, y_{t-1}, y^+_{t-1})$, the last query, its value and the best value so far, and proposes
# $x_t \in [0, 1]$. It is meta-trained for 300 Adam steps on batches of 96 one-dimensional functions drawn from a
# Gaussian-process prior (squared-exponential kernel, $\ell = 0.15$), minimising the mean over $t \le 10$ of the best
# value so far; the gradient flows through $f$, which is why training functions must be differentiable, while at
# test time only values of $f$ are used. We compare it on 25 new functions from the same prior with random search and
# with the Bayesian optimisation of lecture 1 (GP surrogate, expected improvement, three random starting points),
# ten queries each; the regret is the best value found minus the minimum on a fine grid.

# %% [markdown] lang="ru"
# ### Маленькая версия работы Chen и др. (2017)
#
# Рецепт из раздела 4 в игрушечном масштабе (`metaopt_lib.learned_blackbox`): GRU с 32 нейронами читает
# $(x_{t-1}, y_{t-1}, y^+_{t-1})$ — прошлую точку запроса, значение в ней и лучшее значение на данный момент — и
# предлагает $x_t \in [0, 1]$. Её метаобучают 300 шагами Adam на батчах из 96 одномерных функций — реализаций
# гауссовского процесса (квадратично-экспоненциальное ядро, $\ell = 0{,}15$), минимизируя среднее по $t \le 10$
# лучшее найденное значение; градиент проходит через $f$, поэтому обучающие функции должны быть дифференцируемыми,
# а при применении используются только значения $f$. Сравниваем на 25 новых функциях из того же распределения со
# случайным поиском и с байесовской оптимизацией из лекции 1 (суррогатная модель — гауссовский процесс, функция
# приобретения — ожидаемое улучшение, три случайные начальные точки), по десять запросов; сожаление — лучшее
# найденное значение минус минимум на мелкой сетке.

# %%
import numpy as np

from metaopt_lib import bayesopt as bo
from metaopt_lib import learned_blackbox as lb

torch.manual_seed(0)
bb_gen = torch.Generator().manual_seed(2017)
rnn_opt = lb.RNNBlackBoxOptimizer(32)
start = time.process_time()
bb_history = lb.train_rnn_optimizer(rnn_opt, lambda: lb.gp_prior_functions(96, 0.15, generator=bb_gen), 300,
                                    horizon=10)
bb_seconds = time.process_time() - start

regrets = {"rnn": [], "bo": [], "random": []}
examples = []
unit01 = torch.tensor([[0.0, 1.0]], dtype=torch.float64)
for j in range(25):
    f_j = lb.gp_prior_functions(1, 0.15, generator=torch.Generator().manual_seed(10_000 + j))
    f_min = float(lb.grid_minimum(f_j, 1))
    with torch.no_grad():
        xs_j, ys_j = rnn_opt.rollout(f_j, 1, 10)
    regrets["rnn"].append(torch.cummin(ys_j[:, 0], 0).values.numpy() - f_min)
    objective = lambda x, f_j=f_j: float(f_j(x.reshape(1).float()))  # noqa: E731
    regrets["bo"].append(np.minimum.accumulate(bo.bayes_opt(objective, unit01, 7,
                                                            n_init=3, seed=j).y.numpy()) - f_min)
    regrets["random"].append(np.minimum.accumulate(bo.random_search_box(objective, unit01, 10, seed=500 + j).y.numpy())
                             - f_min)
    if j < 2:
        examples.append((f_j, xs_j[:, 0].numpy(), ys_j[:, 0].numpy()))
bb_labels = {"rnn": tr("learned optimizer (GRU)", "обученный оптимизатор (GRU)"),
             "bo": tr("Bayesian optimisation (GP + EI)", "байесовская оптимизация (GP + EI)"),
             "random": tr("random search", "случайный поиск")}
fig, axes = plt.subplots(1, 3, figsize=(14, 3.6))
for key, r in regrets.items():
    axes[0].semilogy(range(1, 11), np.maximum(np.median(np.array(r), axis=0), 1e-6), "o-", label=bb_labels[key])
axes[0].set_xlabel(tr("number of queries", "число запросов"))
axes[0].set_ylabel(tr("median regret, 25 new functions", "медиана сожаления, 25 новых функций"))
axes[0].legend(fontsize=8)
grid01 = torch.linspace(0, 1, 300)
for ax, (f_j, xs_j, ys_j) in zip(axes[1:], examples):
    with torch.no_grad():
        ax.plot(grid01, [float(f_j(v.reshape(1))) for v in grid01], "k", lw=1)
    ax.scatter(xs_j, ys_j, c=np.arange(10), cmap="viridis", zorder=3)
    for t, (x, y) in enumerate(zip(xs_j, ys_j)):
        ax.annotate(str(t + 1), (x, y), textcoords="offset points", xytext=(3, 3), fontsize=7)
    ax.set_xlabel("x")
    ax.set_title(tr("queries of the learned optimizer, in order", "запросы обученного оптимизатора по порядку"),
                 fontsize=9)
plt.tight_layout()
plt.show()
print(tr(f"meta-training: 300 Adam steps, {bb_seconds:.1f} s CPU", f"метаобучение: 300 шагов Adam, {bb_seconds:.1f} с ЦП"))
for key, r in regrets.items():
    r = np.array(r)
    print(tr(f"{bb_labels[key]:36s} median regret after 3 / 10 queries: {np.median(r[:, 2]):.3f} / {np.median(r[:, -1]):.4f}",
             f"{bb_labels[key]:36s} медиана сожаления после 3 / 10 запросов: {np.median(r[:, 2]):.3f} / {np.median(r[:, -1]):.4f}"))

# %% [markdown] lang="en"
# An honest result. The learned optimizer is clearly better than random search (median regret after ten queries
# about a third of random search's), so something was learned — but look at what: the example panels show a
# fixed sweep from right to left with steps matched to the prior's lengthscale, which ends at the boundary and
# stays there once the values stop improving. Bayesian optimisation, which builds a posterior of *this* function,
# ends orders of magnitude closer to the minimum after ten queries. Chen et al. report RNN optimizers
# competitive with GP-based Bayesian optimisation and far cheaper per query; that took an LSTM, much longer
# meta-training and losses that reward exploration (their observed-improvement and expected-improvement losses),
# none of which fits a few seconds. What the toy shows faithfully is the mechanism — an optimizer meta-trained by
# gradient descent through differentiable training functions, then used on values alone — and the limit shared with
# every learned optimizer in this lecture: it is as good as its training distribution and its meta-training budget.
#
# *References for this section:* Y. Chen, M. W. Hoffman, S. G. Colmenarejo, M. Denil, T. P. Lillicrap, M. Botvinick,
# N. de Freitas. Learning to learn without gradient descent by gradient descent. ICML 2017. A. Rahimi, B. Recht.
# Random features for large-scale kernel machines. NeurIPS 2007. D. M. Young. On Richardson's method for solving
# linear systems with positive definite matrices. J. Math. Phys. 32, 1953.

# %% [markdown] lang="ru"
# Честный результат. Обученный оптимизатор заметно лучше случайного поиска (медиана сожаления после десяти
# запросов — около трети от случайного), значит, чему-то он научился. Но посмотрите, чему: на примерах видна
# фиксированная «развёртка» справа налево с шагом, согласованным с масштабом ядра априорного распределения; она
# заканчивается у границы и там и остаётся, когда значения перестают улучшаться. Байесовская оптимизация строит
# апостериорное распределение *этой* функции и после десяти запросов оказывается на порядки ближе к минимуму. Chen и соавторы сообщают, что их рекуррентные оптимизаторы не уступают байесовской оптимизации на
# гауссовских процессах и намного дешевле на один запрос; для этого понадобились LSTM, гораздо более долгое
# метаобучение и функции потерь, поощряющие исследование (наблюдённое и ожидаемое улучшение), — всё это не
# умещается в несколько секунд. Игрушка честно показывает механизм — оптимизатор, метаобученный градиентным спуском
# через дифференцируемые обучающие функции и применяемый затем только к значениям, — и общее для всех обучаемых
# оптимизаторов этой лекции ограничение: он хорош ровно настолько, насколько хороши его обучающее распределение и
# бюджет метаобучения.
#
# *Литература к разделу:* Y. Chen, M. W. Hoffman, S. G. Colmenarejo, M. Denil, T. P. Lillicrap, M. Botvinick,
# N. de Freitas. Learning to learn without gradient descent by gradient descent. ICML 2017. A. Rahimi, B. Recht.
# Random features for large-scale kernel machines. NeurIPS 2007. D. M. Young. On Richardson's method for solving
# linear systems with positive definite matrices. J. Math. Phys. 32, 1953.

# %% [markdown] lang="en"
# ## Check yourself
#
# 1. Why is the learning-to-learn objective a *sum* over the trajectory rather than the final loss only? What would
#    the LSTM learn with $w_t = 0$ for $t < T$?
#    <details><summary>Answer</summary>
#
#    The sum gives every step a direct signal and rewards fast progress, not only the end point; with truncation
#    every window of 20 steps contains terms of the objective. With $w_t = 0$ for $t < T$ only the last window
#    would get a signal, the LSTM could take wild intermediate steps, and the gradient would have to travel through
#    the whole trajectory.
#
#    </details>
# 2. Which of Schmidhuber's four sub-models correspond to the LSTM optimizer, and which to the meta-objective?
#    <details><summary>Answer</summary>
#
#    The optimizee is the normal model; the LSTM optimizer is the analysing and modifying models (it reads
#    gradients of the parameters and changes them); the meta-objective, the sum of losses along the trajectory,
#    plays the evaluation model.
#
#    </details>
# 3. Why does weight sharing across coordinates make the optimizer applicable to problems of any dimension?
#    <details><summary>Answer</summary>
#
#    The same LSTM, with the same parameters $\phi$, is applied to each coordinate with its own hidden state. Its
#    size does not depend on the dimension of $\theta$: for a problem of any dimension one runs it on as many
#    coordinates as there are.
#
#    </details>
# 4. What does the truncation of backpropagation every 20 steps cost? Which dependencies are lost?
#    <details><summary>Answer</summary>
#
#    The state at the start of each window ($\theta$ and the hidden states) is treated as a constant: the effect of
#    $\phi$ on steps more than 20 steps later is ignored. The meta-gradient is biased towards short-horizon
#    (greedy) behaviour.
#
#    </details>
# 5. Why must the SGD and Adam step sizes be tuned on the *training* problems, not on the held-out ones?
#    <details><summary>Answer</summary>
#
#    The learned optimizer saw only the training problems; tuning its competitors on the held-out ones would give
#    them information it never had and make the comparison unfair (and optimistic for them).
#
#    </details>
# 6. What does Chen et al.'s optimizer need at test time, and what does it not need?
#    <details><summary>Answer</summary>
#
#    At test time it needs only the values $f(x_t)$ and its trained weights $\phi$: no gradient of $f$ and no
#    Gaussian process fitted per query. Gradients are needed only for training, on synthetic functions where they
#    are available.
#
#    </details>
# %% [markdown] lang="ru"
# ## Проверьте себя
#
# 1. Почему функционал обучения обучению — *сумма* по траектории, а не только потери в конце? Чему научилась бы
#    LSTM при $w_t = 0$ для $t < T$?
#    <details><summary>Ответ</summary>
#
#    Сумма даёт прямой сигнал каждому шагу и поощряет быстрый прогресс, а не только конечную точку; при усечении
#    каждое окно из 20 шагов содержит слагаемые функционала. При $w_t = 0$ для $t < T$ сигнал получало бы только
#    последнее окно, LSTM могла бы делать сколь угодно странные промежуточные шаги, а градиенту пришлось бы
#    проходить через всю траекторию.
#
#    </details>
# 2. Каким из четырёх подмоделей Schmidhuber соответствует LSTM-оптимизатор, а каким — метафункционал?
#    <details><summary>Ответ</summary>
#
#    Оптимизируемая модель — обычная модель; LSTM-оптимизатор — анализирующая и модифицирующая модели (он читает
#    градиенты параметров и меняет параметры); метафункционал — сумма потерь вдоль траектории — играет роль модели
#    оценки.
#
#    </details>
# 3. Почему общие для всех координат параметры позволяют применять оптимизатор к задачам любой размерности?
#    <details><summary>Ответ</summary>
#
#    Одна и та же LSTM с одними и теми же параметрами $\phi$ применяется к каждой координате со своим скрытым
#    состоянием. Её размер не зависит от размерности $\theta$: для задачи любой размерности её просто запускают на
#    всех координатах.
#
#    </details>
# 4. Чем приходится платить за усечение обратного распространения каждые 20 шагов? Какие зависимости теряются?
#    <details><summary>Ответ</summary>
#
#    Состояние в начале каждого окна ($\theta$ и скрытые состояния) считается константой: влияние $\phi$ на шаги,
#    отстоящие больше чем на 20, не учитывается. Метаградиент смещается к поведению с коротким горизонтом
#    («жадному»).
#
#    </details>
# 5. Почему шаги SGD и Adam нужно подбирать на *обучающих* задачах, а не на отложенных?
#    <details><summary>Ответ</summary>
#
#    Обученный оптимизатор видел только обучающие задачи; если подбирать шаги конкурентов на отложенных, они
#    получат информацию, которой у него не было, и сравнение станет нечестным (и оптимистичным для них).
#
#    </details>
# 6. Что нужно оптимизатору Chen и др. при применении, а что не нужно?
#    <details><summary>Ответ</summary>
#
#    При применении ему нужны только значения $f(x_t)$ и обученные веса $\phi$: ни градиента $f$, ни гауссовского
#    процесса, подгоняемого на каждом запросе. Градиенты нужны лишь при обучении — на синтетических функциях, где
#    они доступны.
#
#    </details>

# %% [markdown] lang="en"
# ## References
#
# * Schmidhuber J. A neural network that embeds its own meta-levels. IEEE International Conference on Neural
#   Networks, 1993.
# * Schmidhuber J. Learning to control fast-weight memories: an alternative to dynamic recurrent networks. Neural
#   Computation, 1992.
# * Andrychowicz M., Denil M., Gómez S., Hoffman M. W., Pfau D., Schaul T., Shillingford B., de Freitas N. Learning
#   to learn by gradient descent by gradient descent. NeurIPS, 2016.
# * Chen Y., Hoffman M. W., Colmenarejo S. G., Denil M., Lillicrap T. P., Botvinick M., de Freitas N. Learning to
#   learn without gradient descent by gradient descent. ICML, 2017.
# * Hochreiter S., Schmidhuber J. Long short-term memory. Neural Computation, 1997.
# * Kingma D. P., Ba J. Adam: a method for stochastic optimization. ICLR, 2015.
# * Metaparameters and metaoptimization. Lecture slides, MIPT, 2023.

# %% [markdown] lang="ru"
# ## Литература
#
# * Schmidhuber J. A neural network that embeds its own meta-levels. IEEE International Conference on Neural
#   Networks, 1993.
# * Schmidhuber J. Learning to control fast-weight memories: an alternative to dynamic recurrent networks. Neural
#   Computation, 1992.
# * Andrychowicz M., Denil M., Gómez S., Hoffman M. W., Pfau D., Schaul T., Shillingford B., de Freitas N. Learning
#   to learn by gradient descent by gradient descent. NeurIPS, 2016.
# * Chen Y., Hoffman M. W., Colmenarejo S. G., Denil M., Lillicrap T. P., Botvinick M., de Freitas N. Learning to
#   learn without gradient descent by gradient descent. ICML, 2017.
# * Hochreiter S., Schmidhuber J. Long short-term memory. Neural Computation, 1997.
# * Kingma D. P., Ba J. Adam: a method for stochastic optimization. ICLR, 2015.
# * Metaparameters and metaoptimization. Слайды лекций, МФТИ, 2023.
