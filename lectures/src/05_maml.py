# ---
# jupyter:
#   jupytext:
#     text_representation:
#       extension: .py
#       format_name: percent
# ---

# %% [markdown] lang="en"
# # Lecture 5. MAML and its family: learning an initialisation
#
# **After this lecture you can**
# * state few-shot learning as N-way K-shot episodes with support and query sets;
# * write Algorithm 1 of MAML (Finn, Abbeel & Levine 2017) and derive its meta-gradient, Hessian term included;
# * explain how learning an initialisation differs from pre-training on all tasks;
# * tell MAML, first-order MAML, Reptile and ANIL apart, and say what each one drops;
# * read the sinusoid experiment of the MAML paper and the few-shot results on rotated digits.
# %% [markdown] lang="ru"
# # Лекция 5. MAML и его семейство: обучение начального приближения
#
# **После этой лекции вы сможете**
# * ставить задачу обучения по нескольким примерам (few-shot) как эпизоды «N классов, K примеров» с опорным и
#   запросным множествами;
# * записать алгоритм 1 метода MAML (Finn, Abbeel и Levine, 2017) и вывести его метаградиент вместе со слагаемым с гессианом;
# * объяснить, чем обучение начального приближения отличается от предобучения на всех задачах;
# * различать MAML, MAML первого порядка, Reptile и ANIL и понимать, что каждый из них отбрасывает;
# * читать эксперимент с синусоидами из статьи о MAML и результаты классификации по одному примеру на повёрнутых цифрах.

# %%
import matplotlib.pyplot as plt
import torch
import torch.nn.functional as F
from ipywidgets import Dropdown, FloatSlider, IntSlider

from metaopt_course.widgets import interact
from metaopt_lib import meta, tasks
from metaopt_lib.checkpoint import load_checkpoint
from metaopt_lib.i18n import translator
from metaopt_lib.seeding import set_seed

tr = translator(LANG)
gen = set_seed(0)
torch.set_num_threads(1)

# %% [markdown] lang="en"
# ## 1. Tasks, episodes, N-way K-shot
#
# Meta-learning works with a *distribution of tasks* $p(\mathcal T)$. A task $\mathcal T_i$ comes with a small
# **support set** (the data a learner may train on) and a **query set** (the data on which the trained learner is
# judged). In **N-way K-shot** classification each task picks $N$ classes and gives $K$ labelled examples of each
# class; the labels $0,\dots,N-1$ are assigned anew in every episode, so a learner cannot memorise "class 3 is a
# seven" — it must learn *how to learn* a new class from $K$ examples.
#
# The classical benchmark is Omniglot (1623 handwritten characters, 20 drawings each; training and test
# characters are disjoint). It cannot be downloaded here, so the course uses an offline substitute with the same
# structure: sklearn's 8×8 digits, each digit rotated by 0°, 90°, 180°, 270° as a new class (the MAML paper also
# adds rotations of Omniglot characters as new classes). Rotations that reproduce another class are left out:
# 0, 1, 8 turned upside down are themselves, and a 6 turned upside down is a 9. That leaves 30 classes; the
# digits 3, 6, 9 (8 classes) are the test classes, the other 22 classes are for meta-training.
# %% [markdown] lang="ru"
# ## 1. Задачи, эпизоды, N классов по K примеров
#
# Метаобучение работает с *распределением задач* $p(\mathcal T)$. У задачи $\mathcal T_i$ есть небольшое
# **опорное множество** (support set — данные, на которых ученик может обучаться) и **запросное множество**
# (query set — данные, на которых оценивают обученного ученика). В классификации **«N классов, K примеров»**
# (N-way K-shot) каждая задача выбирает $N$ классов и даёт по $K$ размеченных примеров каждого; метки
# $0,\dots,N-1$ назначаются заново в каждом эпизоде, поэтому модель не может запомнить «класс 3 — это семёрка»:
# она должна научиться *учиться* новому классу по $K$ примерам.
#
# Классический набор — Omniglot (1623 рукописных символа по 20 изображений; символы для обучения и для теста не
# пересекаются). Скачать его здесь нельзя, поэтому в курсе используется офлайн-замена с той же структурой:
# цифры 8×8 из sklearn, где каждая цифра, повёрнутая на 0°, 90°, 180°, 270°, считается новым классом (в статье о
# MAML повороты символов Omniglot тоже добавляются как новые классы). Повороты, дающие уже существующий класс,
# исключены: 0, 1 и 8, перевёрнутые вверх ногами, не меняются, а перевёрнутая 6 — это 9. Остаётся 30 классов; цифры 3, 6, 9
# (8 классов) — тестовые, остальные 22 класса — для метаобучения.

# %%
test_images = tasks.rotated_digits(tasks.digit_classes("test"))
episode = tasks.sample_episodes(test_images, n_way=5, k_shot=1, q_query=3, n_tasks=1, generator=gen)
fig, axes = plt.subplots(4, 5, figsize=(7, 5.6))
for label in range(5):
    axes[0, label].imshow(episode.xs[0, label].reshape(8, 8), cmap="gray_r")
    axes[0, label].set_title(tr(f"support, label {label}", f"опорное, метка {label}"), fontsize=8)
    for row, img in enumerate(episode.xq[0, episode.yq[0] == label]):
        axes[row + 1, label].imshow(img.reshape(8, 8), cmap="gray_r")
for ax in axes.flat:
    ax.set_xticks([])
    ax.set_yticks([])
axes[1, 0].set_ylabel(tr("query", "запросное"))
fig.suptitle(tr("One 5-way 1-shot episode from the test classes", "Один эпизод «5 классов, 1 пример» из тестовых классов"))
plt.show()

# %% [markdown] lang="en"
# ## 2. MAML: Algorithm 1
#
# MAML looks for parameters $\theta$ of a model $f_\theta$ from which **a few gradient steps** on a new task's
# support set give a good model for that task. With the inner step size $\alpha$ and the outer (meta) step size
# $\beta$ (the letters of the paper; elsewhere $\alpha$ is a prior precision and $\eta$ a step — lecture 0):
#
# 1. randomly initialise $\theta$;
# 2. **while** not done:
# 3. &nbsp;&nbsp; sample a batch of tasks $\mathcal T_i \sim p(\mathcal T)$;
# 4. &nbsp;&nbsp; **for all** $\mathcal T_i$:
# 5. &nbsp;&nbsp;&nbsp;&nbsp; evaluate $\nabla_\theta \mathcal L_{\mathcal T_i}(f_\theta)$ on the $K$ support examples;
# 6. &nbsp;&nbsp;&nbsp;&nbsp; adapted parameters by gradient descent: $\theta_i' = \theta - \alpha \nabla_\theta \mathcal L_{\mathcal T_i}(f_\theta)$;
# 7. &nbsp;&nbsp; **end for**
# 8. &nbsp;&nbsp; update $\theta \leftarrow \theta - \beta \nabla_\theta \sum_{\mathcal T_i} \mathcal L_{\mathcal T_i}(f_{\theta_i'})$, the losses evaluated on the query sets;
# 9. **end while**
#
# (The minus sign in lines 6 and 8 is lost in some copies of the slide.) Lines 4–7 are the **inner loop**
# (adaptation to one task), line 8 the **outer loop** (meta-learning across tasks). Since $\theta_i'$ depends on
# $\theta$, the chain rule gives for one inner step
#
# $$\nabla_\theta \mathcal L^{q}_i(\theta_i') = \big(I - \alpha \nabla^2_\theta \mathcal L^{s}_i(\theta)\big)\,\nabla \mathcal L^{q}_i(\theta_i'),$$
#
# with the Hessian of the support loss: MAML is a **second-order** method. `metaopt_lib.meta.maml_grad` computes
# exactly this derivative with `torch.func`: `grad` of the query loss after `grad` steps of the inner loop, with
# `vmap` over the tasks of a meta-batch (the tests check it against finite differences and against this formula
# with an explicit Hessian).
# %% [markdown] lang="ru"
# ## 2. MAML: алгоритм 1
#
# MAML ищет такие параметры $\theta$ модели $f_\theta$, из которых **несколько шагов градиентного спуска** на
# опорном множестве новой задачи дают хорошую модель для этой задачи. С шагом внутреннего цикла $\alpha$ и шагом
# внешнего цикла (меташагом) $\beta$ (это буквы статьи; в остальном курсе $\alpha$ — точность априорного
# распределения, а $\eta$ — шаг, см. лекцию 0):
#
# 1. случайно инициализировать $\theta$;
# 2. **пока** не выполнен критерий остановки:
# 3. &nbsp;&nbsp; выбрать батч задач $\mathcal T_i \sim p(\mathcal T)$;
# 4. &nbsp;&nbsp; **для всех** $\mathcal T_i$:
# 5. &nbsp;&nbsp;&nbsp;&nbsp; вычислить $\nabla_\theta \mathcal L_{\mathcal T_i}(f_\theta)$ по $K$ опорным примерам;
# 6. &nbsp;&nbsp;&nbsp;&nbsp; адаптированные параметры градиентным спуском: $\theta_i' = \theta - \alpha \nabla_\theta \mathcal L_{\mathcal T_i}(f_\theta)$;
# 7. &nbsp;&nbsp; **конец цикла**
# 8. &nbsp;&nbsp; обновить $\theta \leftarrow \theta - \beta \nabla_\theta \sum_{\mathcal T_i} \mathcal L_{\mathcal T_i}(f_{\theta_i'})$, потери считаются на запросных множествах;
# 9. **конец цикла**
#
# (В некоторых копиях слайда знак минус в строках 6 и 8 потерян.) Строки 4–7 — **внутренний цикл** (адаптация к
# одной задаче), строка 8 — **внешний цикл** (метаобучение по задачам). Так как $\theta_i'$ зависит от $\theta$,
# по правилу дифференцирования сложной функции для одного внутреннего шага
#
# $$\nabla_\theta \mathcal L^{q}_i(\theta_i') = \big(I - \alpha \nabla^2_\theta \mathcal L^{s}_i(\theta)\big)\,\nabla \mathcal L^{q}_i(\theta_i'),$$
#
# где стоит гессиан функции потерь на опорном множестве: MAML — метод **второго порядка**.
# `metaopt_lib.meta.maml_grad` вычисляет ровно эту производную средствами `torch.func`: `grad` от потерь на
# запросном множестве после шагов внутреннего цикла, тоже сделанных через `grad`, с `vmap` по задачам
# метабатча (тесты сверяют её с конечными разностями и с этой формулой с явным гессианом).

# %%
net = tasks.sinusoid_net()
loss = meta.functional_loss(net, F.mse_loss)
theta = meta.params_of(net)
batch = tasks.sample_sinusoid_tasks(25, 10, generator=gen)
g_maml, value = meta.maml_grad(loss, theta, batch, lr=0.01)
g_fo, _ = meta.maml_grad(loss, theta, batch, lr=0.01, first_order=True)
flat = lambda g: torch.cat([v.flatten() for v in g.values()])
cos = F.cosine_similarity(flat(g_maml), flat(g_fo), dim=0).item()
print(tr(f"meta-loss of a random initialisation: {value:.3f}",
         f"метапотери случайного начального приближения: {value:.3f}"))
print(tr(f"cosine between the MAML and first-order MAML meta-gradients: {cos:.4f}",
         f"косинус между метаградиентами MAML и MAML первого порядка: {cos:.4f}"))

# %% [markdown] lang="en"
# ## 3. Learning an initialisation versus pre-training
#
# Both approaches train one $\phi$ on many tasks, but for different objectives (the comparison of S.-C. Chung's
# lecture "Hyperparameter search and meta learning", NSYSU):
#
# * **MAML**: $L(\phi) = \sum_{n=1}^{N} l^n(\hat\theta^n(\phi))$ — the loss of the model *after* adapting to task $n$.
#   We do not care how good $\phi$ itself is on the training tasks; we care about the $\hat\theta^n$ it leads to
#   (its *potential*).
# * **Pre-training**: $L(\phi) = \sum_{n=1}^{N} l^n(\phi)$ — one $\phi$ that is good for all tasks *now*
#   (its *current performance*); nothing guarantees that a few steps from it lead to good $\hat\theta^n$.
#
# On sinusoids the difference is stark. The pre-trained model predicts the average of the tasks,
# $\mathsf{E}[A\sin(x - \varphi)] = -\frac{2\,\mathsf{E}A}{\pi}\cos x \approx -1.6\cos x$ for
# $\varphi \sim U[0, \pi]$ — a small sinusoid of one fixed phase that fits no particular task — and one gradient
# step barely moves it, while the MAML initialisation is placed so that one
# step of size $\alpha = 0.01$ on 10 points already fits the sinusoid. The checkpoint below was trained by
# `scripts/train_maml_sinusoid.py` in the setting of the paper: $A \sim U[0.1, 5]$, $\varphi \sim U[0, \pi]$,
# $x \sim U[-5, 5]$, a 1-40-40-1 ReLU network, one inner step with $\alpha=0.01$, meta-batch 25, Adam with step
# $10^{-3}$; the pre-trained baseline saw the same tasks.
# %% [markdown] lang="ru"
# ## 3. Обучение начального приближения против предобучения
#
# Оба подхода обучают одно $\phi$ на многих задачах, но оптимизируют разное (сравнение из лекции S.-C. Chung
# «Hyperparameter search and meta learning», NSYSU):
#
# * **MAML**: $L(\phi) = \sum_{n=1}^{N} l^n(\hat\theta^n(\phi))$ — потери модели *после* адаптации к задаче $n$.
#   Нам неважно, насколько хорошо само $\phi$ на обучающих задачах; важно, к каким $\hat\theta^n$ оно приводит
#   (его *потенциал*).
# * **Предобучение**: $L(\phi) = \sum_{n=1}^{N} l^n(\phi)$ — одно $\phi$, хорошее для всех задач *сейчас*
#   (*текущее качество*); ничто не гарантирует, что несколько шагов из него приведут к хорошим $\hat\theta^n$.
#
# На синусоидах разница разительна. Предобученная модель предсказывает среднее по задачам,
# $\mathsf{E}[A\sin(x - \varphi)] = -\frac{2\,\mathsf{E}A}{\pi}\cos x \approx -1.6\cos x$ при
# $\varphi \sim U[0, \pi]$, — синусоиду небольшой амплитуды с одной фиксированной фазой, которая не подходит ни к одной
# конкретной задаче, — и один шаг градиента её почти не сдвигает, а начальное приближение MAML
# расположено так, что одного шага размера $\alpha = 0.01$ по 10 точкам уже хватает, чтобы подогнать синусоиду.
# Сохранённые веса ниже (контрольная точка) получены скриптом `scripts/train_maml_sinusoid.py` в постановке статьи:
# $A \sim U[0.1, 5]$, $\varphi \sim U[0, \pi]$, $x \sim U[-5, 5]$, сеть 1-40-40-1 с ReLU, один внутренний шаг с
# $\alpha=0.01$, метабатч из 25 задач, Adam с шагом $10^{-3}$; предобученная модель видела те же задачи.

# %%
ckpt = load_checkpoint("maml_sinusoid")
models = {name: {k: v for k, v in run["state_dict"].items()} for name, run in ckpt["runs"].items()}
x_grid = torch.linspace(-5, 5, 200).reshape(1, 200, 1)


def adapt_and_predict(params, amplitude, phase, k_shot, steps, seed=1):
    """Adapt on K random points of one sinusoid; predictions on the grid after 0..steps inner steps."""
    g = torch.Generator().manual_seed(seed)
    task = tasks.sinusoid_tasks(torch.tensor([amplitude]), torch.tensor([phase]), k_shot, 1, g)
    preds, fast = [], params
    for s in range(steps + 1):
        preds.append(torch.func.functional_call(net, fast, (x_grid[0],)).detach().squeeze(-1))
        fast = meta.inner_sgd(loss, fast, task.xs[0], task.ys[0], lr=0.01, steps=1)
    return task, preds


def plot_adaptation(ax, params, title, amplitude=3.0, phase=1.0, k_shot=10, steps=10):
    task, preds = adapt_and_predict(params, amplitude, phase, k_shot, steps)
    ax.plot(x_grid[0, :, 0], tasks.sinusoid(x_grid[0, :, 0], amplitude, phase), "k", lw=2,
            label=tr("ground truth", "истинная функция"))
    ax.plot(x_grid[0, :, 0], preds[0], ":", label=tr("pre-update", "до адаптации"))
    ax.plot(x_grid[0, :, 0], preds[1], "--", label=tr("after 1 step", "после 1 шага"))
    ax.plot(x_grid[0, :, 0], preds[steps], "-", label=tr(f"after {steps} steps", f"после {steps} шагов"))
    ax.plot(task.xs[0, :, 0], task.ys[0, :, 0], "^", color="tab:purple", ms=8,
            label=tr(f"{k_shot} support points", f"{k_shot} опорных точек"))
    ax.set_title(title)
    ax.set_xlabel("x")
    ax.set_ylim(-6, 6)


fig, axes = plt.subplots(1, 2, figsize=(11, 4), sharey=True)
plot_adaptation(axes[0], models["maml_k10"], tr("MAML, K = 10", "MAML, K = 10"))
plot_adaptation(axes[1], models["pretrain_k10"], tr("pre-trained, K = 10", "предобучение, K = 10"))
axes[0].legend(fontsize=8)
plt.show()

# %% [markdown] lang="en"
# The figure of the paper, measured: the mean squared error on the query points of **600 held-out tasks** as a
# function of the number of inner gradient steps (step 0.01), for K = 5 and K = 10, with 95% confidence intervals.
# The numbers were computed by the training script and are stored in the checkpoint; `tests/test_checkpoints_meta.py`
# recomputes them from the shipped weights.
# %% [markdown] lang="ru"
# Рисунок из статьи, воспроизведённый заново: средняя квадратичная ошибка на точках запросного множества **600 отложенных
# задач** в зависимости от числа внутренних шагов градиентного спуска (шаг 0,01) для K = 5 и K = 10, с 95%
# доверительными интервалами. Числа посчитаны обучающим скриптом и хранятся вместе с сохранёнными весами;
# `tests/test_checkpoints_meta.py` пересчитывает их по поставляемым весам.

# %%
fig, axes = plt.subplots(1, 2, figsize=(11, 3.8), sharey=True)
for ax, k in zip(axes, (5, 10)):
    for method, label in (("maml", tr("MAML", "MAML")), ("pretrain", tr("pre-trained", "предобучение"))):
        run = ckpt["runs"][f"{method}_k{k}"]
        mean, ci = torch.tensor(run["heldout_mse_mean"]), torch.tensor(run["heldout_mse_ci95"])
        steps = torch.arange(len(mean))
        ax.plot(steps, mean, "o-", label=label)
        ax.fill_between(steps, mean - ci, mean + ci, alpha=0.25)
    ax.set_title(f"K = {k}")
    ax.set_xlabel(tr("inner gradient steps", "число внутренних шагов"))
    ax.set_yscale("log")
axes[0].set_ylabel(tr("held-out MSE (600 tasks)", "MSE на 600 отложенных задачах"))
axes[0].legend()
plt.show()
for name, run in ckpt["runs"].items():
    m, c = run["heldout_mse_mean"][1], run["heldout_mse_ci95"][1]
    print(tr(f"{name:13s} MSE after one step: {m:.3f} ± {c:.3f}  ({run['cpu_seconds']:.0f} s CPU of training)",
             f"{name:13s} MSE после одного шага: {m:.3f} ± {c:.3f}  ({run['cpu_seconds']:.0f} с процессорного времени на обучение)"))

# %% [markdown] lang="en"
# ### Try it: pick a task and watch the adaptation
#
# Choose the amplitude and phase of a sinusoid, the number of support points and of inner steps; compare the
# MAML initialisation with the pre-trained one (both trained for the chosen K).
# %% [markdown] lang="ru"
# ### Попробуйте: выберите задачу и посмотрите на адаптацию
#
# Выберите амплитуду и фазу синусоиды, число опорных точек и внутренних шагов; сравните начальное приближение
# MAML с предобученным (оба обучены для выбранного K).

# %%
def show_task(amplitude=3.0, phase=1.0, k_shot=10, steps=5):
    fig, axes = plt.subplots(1, 2, figsize=(11, 3.6), sharey=True)
    plot_adaptation(axes[0], models[f"maml_k{k_shot}"], f"MAML, K = {k_shot}", amplitude, phase, k_shot, steps)
    plot_adaptation(axes[1], models[f"pretrain_k{k_shot}"], tr(f"pre-trained, K = {k_shot}",
                    f"предобучение, K = {k_shot}"), amplitude, phase, k_shot, steps)
    axes[0].legend(fontsize=7)
    plt.show()


interact(show_task,
         amplitude=FloatSlider(value=3.0, min=0.1, max=5.0, step=0.1, description=tr("amplitude", "амплитуда")),
         phase=FloatSlider(value=1.0, min=0.0, max=3.14, step=0.05, description=tr("phase", "фаза")),
         k_shot=Dropdown(options=[5, 10], value=10, description="K"),
         steps=IntSlider(value=5, min=1, max=10, description=tr("steps", "шаги")))

# %% [markdown] lang="en"
# ## 4. The family: first-order MAML, Reptile, ANIL
#
# * **First-order MAML** (Finn et al. 2017) drops the Hessian term: the meta-gradient of a task is
#   $\nabla \mathcal L^{q}_i(\theta_i')$, the query gradient at the adapted point. It needs no second derivatives
#   and often works almost as well (`maml_grad(..., first_order=True)`; the cosine printed above shows how close
#   the two directions are here). The reason is *not* that the Hessian vanishes: in a ReLU network the second
#   derivatives of the activations are zero almost everywhere, but the Hessian of the loss keeps its Gauss–Newton
#   part $J^\top \nabla^2 \ell\, J$; with a small inner step $\alpha$ the correction
#   $\alpha \nabla^2 \mathcal L^{s}_i$ in the formula above is simply small next to $I$.
# * **Reptile** (Nichol, Achiam & Schulman 2018) does not even separate support and query: it runs $k$ steps of
#   SGD on task $i$ from $\theta$, obtaining $W_i$, and moves the initialisation towards the results,
#   $\theta \leftarrow \theta + \varepsilon\,\frac1n\sum_i (W_i - \theta)$ (`meta.reptile_update`). With $k = 1$
#   this is ordinary joint training; with $k > 1$ the update contains a term that, as Nichol et al. show,
#   maximises the inner product of gradients of different mini-batches of a task — generalisation within a task.
# * **ANIL**, "almost no inner loop" (Raghu, Raghu, Bengio & Vinyals 2020), asks *rapid learning or feature
#   reuse?* Their analysis of MAML networks shows that the body barely changes in the inner loop: MAML mostly
#   learns good features and re-fits the head. ANIL therefore adapts only the last layer in the inner loop
#   (`meta.anil_grad(..., head=[...])`) at a fraction of the cost. Raghu et al. report it on a par with MAML on
#   their benchmarks; on our digits (below) it is at least as good as MAML after the one inner step both were
#   trained for, but
#   gains much less from further steps.
#
# Results on 5-way 1-shot rotated digits (600 episodes of held-out classes, accuracy on the query set after
# adaptation by SGD with step 0.4), from `scripts/train_maml_digits.py`. Two pre-training baselines: the *joint*
# pre-training of Chung's comparison (the same episodes, loss $\sum_n l^n(\phi)$) and *classifier* pre-training (a 22-way
# classifier on all training classes, then a fresh 5-way head, fine-tuned on the support set), the latter once
# with the meta-learners' step 0.4 and once with its own step tuned on episodes of the training classes.
# %% [markdown] lang="ru"
# ## 4. Семейство: MAML первого порядка, Reptile, ANIL
#
# * **MAML первого порядка** (first-order MAML, Finn и др., 2017) отбрасывает слагаемое с гессианом: метаградиент
#   задачи равен $\nabla \mathcal L^{q}_i(\theta_i')$ — градиенту на запросном множестве в адаптированной точке.
#   Вторые производные не нужны, и метод часто работает почти так же хорошо (`maml_grad(..., first_order=True)`;
#   косинус, напечатанный выше, показывает, насколько близки здесь два направления). Причина *не* в том, что
#   гессиан исчезает: у сети с ReLU вторые производные активаций почти всюду равны нулю, но гессиан функции потерь
#   сохраняет гаусс-ньютоновскую часть $J^\top \nabla^2 \ell\, J$; при малом внутреннем шаге $\alpha$ поправка
#   $\alpha \nabla^2 \mathcal L^{s}_i$ в формуле выше просто мала по сравнению с $I$.
# * **Reptile** (Nichol, Achiam и Schulman, 2018) даже не разделяет опорное и запросное множества: он делает
#   $k$ шагов стохастического градиентного спуска на задаче $i$, начиная из $\theta$, получая $W_i$, и сдвигает начальное
#   приближение к результатам: $\theta \leftarrow \theta + \varepsilon\,\frac1n\sum_i (W_i - \theta)$
#   (`meta.reptile_update`). При $k = 1$ это обычное совместное обучение; при $k > 1$ в шаге появляется слагаемое,
#   которое, как показали авторы, максимизирует скалярное произведение градиентов разных мини-батчей одной задачи,
#   то есть способствует обобщению внутри задачи.
# * **ANIL**, «почти без внутреннего цикла» (Raghu, Raghu, Bengio и Vinyals, 2020), задаётся вопросом: *быстрое
#   обучение или повторное использование признаков?* Анализ сетей, обученных MAML, показывает, что тело сети во
#   внутреннем цикле почти не меняется: MAML в основном выучивает хорошие признаки и заново подгоняет голову.
#   Поэтому ANIL во внутреннем цикле адаптирует только последний слой (`meta.anil_grad(..., head=[...])`), что
#   гораздо дешевле. Raghu и др. сообщают, что на их наборах данных он не уступает MAML; на наших
#   цифрах (ниже) он не уступает MAML после одного внутреннего шага, на который обучены оба метода, но от
#   дальнейших шагов выигрывает гораздо меньше.
#
# Результаты на повёрнутых цифрах, «5 классов, 1 пример» (600 эпизодов из отложенных классов, точность на
# запросном множестве после адаптации градиентным спуском с шагом 0,4), получены скриптом
# `scripts/train_maml_digits.py`. Два варианта предобучения: *совместное* предобучение из сравнения Chung (те же
# эпизоды, функция потерь $\sum_n l^n(\phi)$) и предобучение *классификатора* (классификатор на 22 обучающих
# класса, затем новая голова на 5 классов, дообучаемая на опорном множестве); второй вариант — один раз с шагом
# 0,4, как у метаобучаемых моделей, и один раз со своим шагом, подобранным на эпизодах из обучающих классов.

# %%
digits = load_checkpoint("maml_digits")
names = {"maml": "MAML", "anil": "ANIL", "pretrain": tr("joint pre-training", "совместное предобучение"),
         "classifier": tr("classifier pre-training", "предобучение классификатора"),
         "classifier_tuned": tr("classifier, tuned step", "классификатор, подобранный шаг")}
fig, ax = plt.subplots(figsize=(6.5, 3.8))
for key, run in digits["runs"].items():
    mean, ci = torch.tensor(run["heldout_acc_mean"]), torch.tensor(run["heldout_acc_ci95"])
    steps = torch.arange(len(mean))
    ax.plot(steps, mean, "o-", label=names[key])
    ax.fill_between(steps, mean - ci, mean + ci, alpha=0.25)
    print(tr(f"{names[key]:32s} step {run['fine_tune_lr']:.2f}: accuracy after 1 step {mean[1]:.3f} ± {ci[1]:.3f}, "
             f"after 10 steps {mean[10]:.3f} ± {ci[10]:.3f}",
             f"{names[key]:32s} шаг {run['fine_tune_lr']:.2f}: точность после 1 шага {mean[1]:.3f} ± {ci[1]:.3f}, "
             f"после 10 шагов {mean[10]:.3f} ± {ci[10]:.3f}"))
ax.axhline(0.2, color="gray", ls=":", label=tr("chance", "случайное угадывание"))
ax.set_xlabel(tr("inner gradient steps on the support set", "число шагов на опорном множестве"))
ax.set_ylabel(tr("held-out accuracy, 5-way 1-shot", "точность, 5 классов, 1 пример"))
ax.legend(fontsize=8)
plt.show()

# %% [markdown] lang="en"
# Read the curves honestly. After **one** step — the protocol MAML and ANIL were trained for — both are far ahead
# of every pre-trained model: their initialisation is *ready to adapt*. Joint pre-training on episodes is near
# chance, exactly as Chung's argument predicts (the labels are permuted in every episode, so "good for all tasks
# now" means predicting nothing). With more steps and a well-chosen step size, the pre-trained classifier catches up
# a good part of the gap (Chen et al., 2019, make the same observation on real benchmarks): a good feature
# extractor is most of the story, which is the point of ANIL. But the head alone is not all of it here: after 10
# steps ANIL reaches 0.672 against MAML's 0.766 (the printed lines), so adapting the body too still pays on these
# tasks. Also note the dip of MAML after 2–3 steps: it was trained for
# one step of size 0.4, and further steps of that size overshoot before settling.
# %% [markdown] lang="ru"
# Прочитаем кривые честно. После **одного** шага — того режима, для которого обучены MAML и ANIL, — оба метода
# намного опережают все предобученные модели: их начальное приближение *готово к адаптации*. Совместное
# предобучение на эпизодах почти не лучше случайного угадывания, как и предсказывает рассуждение Chung (метки перемешиваются в каждом эпизоде, поэтому «хорошо для всех задач сразу» означает «не предсказывать
# ничего»). С большим числом шагов и удачно подобранным шагом предобученный классификатор заметно сокращает
# отставание (Chen и др., 2019, наблюдают то же на настоящих наборах данных): хороший извлекатель признаков — это
# большая часть успеха, о чём и говорит ANIL. Но одной головы здесь всё же мало: после 10 шагов ANIL достигает
# 0,672 против 0,766 у MAML (см. напечатанные строки), так что адаптация тела сети на этих задачах окупается. Обратите внимание и на провал MAML после 2–3 шагов: модель обучена
# на один шаг размера 0,4, и следующие шаги того же размера сначала «перелетают» цель.

# %% [markdown] lang="en"
# ## 5. Three families of meta-learning; prototypical networks
#
# MAML is one answer to "how does a learner use the support set?". Meta-learning methods fall into three families
# by that answer (Hospedales et al. 2021, survey; Vinyals et al. 2016; Finn et al. 2017):
#
# | family | what is meta-learned | how a new task is handled | examples |
# |---|---|---|---|
# | **metric-based** (non-parametric) | an embedding $f_\phi$ in which classes are easy to compare | no training: compare the query with the support examples (nearest prototype, attention over examples) | Siamese networks (Koch et al. 2015), Matching networks (Vinyals et al. 2016), **Prototypical networks** (Snell et al. 2017) |
# | **optimisation-based** | the initialisation (and perhaps the step sizes or the optimizer) of an inner gradient descent | a few gradient steps on the support set | MAML, Reptile, ANIL (this lecture), the LSTM meta-learner (Ravi & Larochelle 2017), lecture 4 |
# | **black-box** (model-based) | a network that reads the whole support set and outputs predictions, or the weights of a classifier | one forward pass of that network; no gradient step, no fixed comparison rule | memory-augmented networks (Santoro et al. 2016), SNAIL (Mishra et al. 2018), hypernetworks that generate weights from the support set (lecture 6) |
#
# The families trade flexibility for inductive bias: a black box can in principle learn any learning rule but needs
# many tasks to do so; an optimisation-based learner keeps gradient descent, so it still improves with more steps
# on an unusual task; a metric-based learner fixes the rule (nearest class mean) and learns only the space.
#
# **Prototypical networks.** The prototype of class $k$ is the mean embedding of its support examples, and a query
# is classified by a softmax over negative squared Euclidean distances:
#
# $$\mathbf c_k = \frac{1}{|S_k|}\sum_{(\mathbf x_i, y_i) \in S_k} f_\phi(\mathbf x_i), \qquad
# p_\phi(y = k \mid \mathbf x) = \frac{\exp(-\|f_\phi(\mathbf x) - \mathbf c_k\|^2)}{\sum_{k'}
# \exp(-\|f_\phi(\mathbf x) - \mathbf c_{k'}\|^2)}.$$
#
# Meta-training minimises the query cross-entropy $-\log p_\phi(y \mid \mathbf x)$ over episodes by ordinary
# gradient descent on $\phi$ — no inner loop, no second derivatives. Since $-\|\mathbf f - \mathbf c_k\|^2 =
# 2\mathbf c_k^\top\mathbf f - \|\mathbf c_k\|^2 - \|\mathbf f\|^2$ and the last term is the same for all classes,
# the prototype classifier is a *linear* head with weights $2\mathbf c_k$ and biases $-\|\mathbf c_k\|^2$ computed
# from the support set: the classifier-pre-training baseline of section 4 with its head written down instead of
# fitted. Below we train $f_\phi$ — the body of the MAML network (64-64-64, ReLU), without its head — on
# 5-way 1-shot episodes of the 22 training classes (300 Adam steps, 16 episodes each, a few seconds) and test it on
# **the same 600 held-out episodes** as MAML and ANIL (`metaopt_lib.protonet`). Two prototype baselines without
# meta-training: prototypes of raw pixels, and prototypes in the feature space of the pre-trained classifier.

# %% [markdown] lang="ru"
# ## 5. Три семейства метаобучения; прототипные сети
#
# MAML — лишь один ответ на вопрос «как обучаемая модель использует опорное множество?». По ответу на него методы
# метаобучения делятся на три семейства (обзор Hospedales и др. 2021; Vinyals и др. 2016; Finn и др. 2017):
#
# | семейство | что обучается на уровне метаобучения | как решается новая задача | примеры |
# |---|---|---|---|
# | **метрические** (непараметрические) | представление $f_\phi$, в котором классы легко сравнивать | без обучения: запрос сравнивается с примерами опорного множества (ближайший прототип, внимание по примерам) | сиамские сети (Koch и др. 2015), Matching networks (Vinyals и др. 2016), **прототипные сети** (Snell и др. 2017) |
# | **оптимизационные** | начальное приближение (а также, возможно, шаги или сам оптимизатор) внутреннего градиентного спуска | несколько шагов градиентного спуска на опорном множестве | MAML, Reptile, ANIL (эта лекция), LSTM-метаобучатель (Ravi и Larochelle 2017), лекция 4 |
# | **«чёрный ящик»** (модельные) | сеть, которая читает всё опорное множество и выдаёт предсказания или веса классификатора | один прямой проход этой сети; ни шага градиента, ни фиксированного правила сравнения | сети с внешней памятью (Santoro и др. 2016), SNAIL (Mishra и др. 2018), гиперсети, порождающие веса по опорному множеству (лекция 6) |
#
# Семейства меняют гибкость на индуктивное смещение: «чёрный ящик» в принципе может выучить любое правило обучения,
# но ему нужно очень много задач; оптимизационный метод сохраняет градиентный спуск и потому продолжает улучшаться
# с числом шагов даже на необычной задаче; метрический метод фиксирует правило (ближайшее среднее класса) и учит
# только пространство.
#
# **Прототипные сети.** Прототип класса $k$ — среднее представлений его примеров из опорного множества, а запрос
# классифицируется по softmax от минус квадратов евклидовых расстояний:
#
# $$\mathbf c_k = \frac{1}{|S_k|}\sum_{(\mathbf x_i, y_i) \in S_k} f_\phi(\mathbf x_i), \qquad
# p_\phi(y = k \mid \mathbf x) = \frac{\exp(-\|f_\phi(\mathbf x) - \mathbf c_k\|^2)}{\sum_{k'}
# \exp(-\|f_\phi(\mathbf x) - \mathbf c_{k'}\|^2)}.$$
#
# Метаобучение минимизирует перекрёстную энтропию $-\log p_\phi(y \mid \mathbf x)$ на запросных множествах эпизодов
# обычным градиентным спуском по $\phi$ — без внутреннего цикла и без вторых производных. Поскольку
# $-\|\mathbf f - \mathbf c_k\|^2 = 2\mathbf c_k^\top\mathbf f - \|\mathbf c_k\|^2 - \|\mathbf f\|^2$, а последнее
# слагаемое одинаково для всех классов, прототипный классификатор — это *линейная* голова с весами $2\mathbf c_k$ и
# сдвигами $-\|\mathbf c_k\|^2$, вычисленными по опорному множеству: та же схема, что у предобученного
# классификатора из раздела 4, только голова не подгоняется, а записывается сразу. Ниже обучим $f_\phi$ — тело сети
# MAML (64-64-64, ReLU) без головы — на эпизодах «5 классов, 1 пример» из 22 обучающих классов (300 шагов Adam по 16
# эпизодов, несколько секунд) и проверим на **тех же 600 отложенных эпизодах**, что и MAML с ANIL
# (`metaopt_lib.protonet`). Два варианта прототипов без метаобучения: прототипы по исходным пикселям и прототипы в
# пространстве признаков предобученного классификатора.

# %%
from metaopt_lib import protonet as pn

cfg = digits["config"]
held_out = tasks.sample_episodes(tasks.rotated_digits(tasks.digit_classes("test")), cfg["n_way"], cfg["k_shot"],
                                 cfg["q_query"], cfg["eval_tasks"], torch.Generator().manual_seed(cfg["eval_seed"]))
train_images = tasks.rotated_digits(tasks.digit_classes("train"))
proto_net = pn.embedding_net(cfg["hidden"])
embed = pn.functional_embedding(proto_net)
phi = {k: v.detach().clone() for k, v in proto_net.named_parameters()}
checkpoints_at, proto_acc = [0], [meta.mean_ci95(pn.batch_accuracy(embed, phi, held_out, cfg["n_way"]))]
proto_history = []
for _ in range(6):  # 6 × 50 Adam steps, evaluated on the held-out episodes after each block
    phi, hist = pn.train_protonet(embed, phi, lambda: tasks.sample_episodes(train_images, cfg["n_way"], cfg["k_shot"],
                                                                            cfg["q_query"], cfg["meta_batch"], gen),
                                  50, cfg["n_way"], lr=cfg["meta_lr"])
    proto_history += hist
    checkpoints_at.append(len(proto_history))
    proto_acc.append(meta.mean_ci95(pn.batch_accuracy(embed, phi, held_out, cfg["n_way"])))
train_eval = tasks.sample_episodes(train_images, cfg["n_way"], cfg["k_shot"], cfg["q_query"], 600,
                                   torch.Generator().manual_seed(cfg["eval_seed"] + 1))
proto_train_acc = meta.mean_ci95(pn.batch_accuracy(embed, phi, train_eval, cfg["n_way"]))
pixel_acc = meta.mean_ci95(pn.batch_accuracy(lambda p, x: x, {}, held_out, cfg["n_way"]))
body = {k: v for k, v in digits["runs"]["classifier"]["state_dict"].items() if not k.startswith("4.")}
clf_acc = meta.mean_ci95(pn.batch_accuracy(embed, body, held_out, cfg["n_way"]))

fig, axes = plt.subplots(1, 2, figsize=(12, 3.8))
mean = torch.tensor([m for m, _ in proto_acc])
ci = torch.tensor([c for _, c in proto_acc])
axes[0].plot(checkpoints_at, mean, "o-", color="C4", label=tr("prototypical network (trained here)",
                                                              "прототипная сеть (обучена здесь)"))
axes[0].fill_between(checkpoints_at, mean - ci, mean + ci, color="C4", alpha=0.25)
refs = [(pixel_acc[0], tr("prototypes of raw pixels", "прототипы по пикселям"), "k", ":"),
        (clf_acc[0], tr("prototypes, pre-trained classifier's features", "прототипы, признаки классификатора"), "C2", ":"),
        (digits["runs"]["maml"]["heldout_acc_mean"][10], tr("MAML, 10 steps", "MAML, 10 шагов"), "C0", "--"),
        (digits["runs"]["anil"]["heldout_acc_mean"][10], tr("ANIL, 10 steps", "ANIL, 10 шагов"), "C1", "--")]
for value, label, color, style in refs:
    axes[0].axhline(value, color=color, ls=style, label=label)
axes[0].set_xlabel(tr("meta-training steps (Adam, 16 episodes each)", "шаги метаобучения (Adam, по 16 эпизодов)"))
axes[0].set_ylabel(tr("held-out accuracy, 5-way 1-shot", "точность, 5 классов, 1 пример"))
axes[0].set_ylim(0.6, 0.97)
axes[0].legend(fontsize=7, loc="upper left", ncol=2)
axes[1].plot(proto_history, color="C4", alpha=0.6)
axes[1].set_xlabel(tr("meta-training step", "шаг метаобучения"))
axes[1].set_ylabel(tr("query cross-entropy (training classes)", "перекрёстная энтропия (обучающие классы)"))
plt.tight_layout()
plt.show()
rows = [(tr("prototypes of raw pixels (no learning)", "прототипы по пикселям (без обучения)"), pixel_acc),
        (tr("prototypes in the classifier's features", "прототипы в признаках классификатора"), clf_acc),
        (tr("prototypical network, untrained", "прототипная сеть без обучения"), proto_acc[0]),
        (tr(f"prototypical network, {checkpoints_at[-1]} steps", f"прототипная сеть, {checkpoints_at[-1]} шагов"), proto_acc[-1]),
        (tr("  the same on episodes of the training classes", "  она же на эпизодах обучающих классов"), proto_train_acc)]
for key, label in (("maml", "MAML"), ("anil", "ANIL"), ("classifier_tuned", tr("classifier, tuned step", "классификатор, подобранный шаг"))):
    run = digits["runs"][key]
    rows.append((tr(f"{label}, 1 / 10 steps (checkpoint)", f"{label}, 1 / 10 шагов (контрольная точка)"),
                 (run["heldout_acc_mean"][1], run["heldout_acc_ci95"][1])))
    rows.append(("", (run["heldout_acc_mean"][10], run["heldout_acc_ci95"][10])))
for label, (m, c) in rows:
    print(f"{label:52s} {m:.3f} ± {c:.3f}")

# %% [markdown] lang="en"
# The honest reading. The prototypical network trains in seconds, needs no step at test time and beats MAML and ANIL
# on these episodes; even its *untrained* random embedding is within a few points of MAML after ten steps. But the
# strongest line on the plot is not a meta-learner: **the nearest prototype of raw pixels** is better still. Digits on an 8×8 grid are so clean that pixel distance already separates them, and the
# learned embedding — above 0.95 on episodes of the training classes — specialises to the 22 training shapes and
# transfers worse to the new digits 3, 6, 9. With only 22 training classes every meta-learner here overfits the
# class distribution. This is the known weakness of small few-shot benchmarks (Chen et al. 2019; Tian et al. 2020
# find simple embeddings with nearest-mean or linear heads hard to beat): before crediting a meta-learner, compare
# it with the nearest-prototype baseline in the input space and in pre-trained features.
#
# *References for this section:* J. Snell, K. Swersky, R. Zemel. Prototypical networks for few-shot learning.
# NeurIPS 2017. O. Vinyals et al. Matching networks for one shot learning. NeurIPS 2016. G. Koch, R. Zemel,
# R. Salakhutdinov. Siamese neural networks for one-shot image recognition. ICML Deep Learning Workshop 2015.
# A. Santoro et al. Meta-learning with memory-augmented neural networks. ICML 2016. N. Mishra et al. A simple neural
# attentive meta-learner. ICLR 2018. S. Ravi, H. Larochelle. Optimization as a model for few-shot learning. ICLR 2017.
# T. Hospedales et al. Meta-learning in neural networks: a survey. IEEE TPAMI 2021. W.-Y. Chen et al. A closer look
# at few-shot classification. ICLR 2019. Y. Tian et al. Rethinking few-shot image classification: a good embedding
# is all you need? ECCV 2020.

# %% [markdown] lang="ru"
# Честное прочтение. Прототипная сеть обучается за секунды, не делает ни одного шага при тестировании и обгоняет MAML
# и ANIL на этих эпизодах; даже её *необученное* случайное представление отстаёт от MAML после десяти шагов всего
# на несколько пунктов. Но сильнейшая линия на графике — вовсе не метаобучение: **ближайший прототип по исходным
# пикселям** ещё лучше. Цифры 8×8 настолько чистые, что расстояние между пикселями уже разделяет их, а
# выученное представление — выше 0,95 на эпизодах обучающих классов — подстраивается под 22 обучающие формы и хуже
# переносится на новые цифры 3, 6, 9. При всего 22 обучающих классах любое метаобучение здесь переобучается на
# распределение классов. Это известная слабость небольших наборов для обучения по нескольким примерам (Chen и др.
# 2019; Tian и др. 2020 показывают, что простые представления с ближайшим средним или линейной головой трудно
# превзойти): прежде чем хвалить метод метаобучения, сравните его с ближайшим прототипом во входном пространстве и в
# признаках предобученной сети.
#
# *Литература к разделу:* J. Snell, K. Swersky, R. Zemel. Prototypical networks for few-shot learning.
# NeurIPS 2017. O. Vinyals и др. Matching networks for one shot learning. NeurIPS 2016. G. Koch, R. Zemel,
# R. Salakhutdinov. Siamese neural networks for one-shot image recognition. ICML Deep Learning Workshop 2015.
# A. Santoro и др. Meta-learning with memory-augmented neural networks. ICML 2016. N. Mishra и др. A simple neural
# attentive meta-learner. ICLR 2018. S. Ravi, H. Larochelle. Optimization as a model for few-shot learning. ICLR 2017.
# T. Hospedales и др. Meta-learning in neural networks: a survey. IEEE TPAMI 2021. W.-Y. Chen и др. A closer look
# at few-shot classification. ICLR 2019. Y. Tian и др. Rethinking few-shot image classification: a good embedding
# is all you need? ECCV 2020.

# %% [markdown] lang="en"
# ## Check yourself
#
# 1. Write the MAML meta-gradient for **two** inner steps. Which second-order terms appear?
#    <details><summary>Answer</summary>
#
#    With $\theta_1 = \theta - \alpha\nabla\mathcal L^s_i(\theta)$ and
#    $\theta_2 = \theta_1 - \alpha\nabla\mathcal L^s_i(\theta_1)$:
#    $\nabla_\theta\mathcal L^q_i(\theta_2) = \big(I - \alpha\nabla^2\mathcal L^s_i(\theta)\big)\big(I - \alpha\nabla^2\mathcal L^s_i(\theta_1)\big)\nabla\mathcal L^q_i(\theta_2)$
#    — two Hessians of the support loss, at $\theta$ and at $\theta_1$, and their product.
#
#    </details>
# 2. Why does the pre-trained sinusoid model predict about $-1.6\cos x$ whatever the task? What would it predict
#    if the phases were drawn from $U[0, 2\pi]$?
#    <details><summary>Answer</summary>
#
#    Minimising the summed squared error over tasks gives the mean over tasks:
#    $\mathsf{E}[A\sin(x - \varphi)] = \mathsf{E}A \cdot \frac1\pi\int_0^\pi \sin(x - \varphi)\,d\varphi = -\frac{2\,\mathsf{E}A}{\pi}\cos x$
#    with $\mathsf{E}A = 2.55$, i.e. $\approx -1.6\cos x$. With $\varphi \sim U[0, 2\pi]$ the mean is zero: the
#    pre-trained model would predict a flat line.
#
#    </details>
# 3. With $k=1$ and $\varepsilon = 1$, Reptile coincides with which baseline of this lecture? Prove it.
#    <details><summary>Answer</summary>
#
#    With $k = 1$: $W_i = \theta - \alpha\nabla L_i(\theta)$, and with $\varepsilon = 1$ the update is
#    $\theta \leftarrow \frac1n\sum_i W_i = \theta - \alpha\,\frac1n\sum_i\nabla L_i(\theta)$ — one gradient step
#    on the average loss of the tasks: joint pre-training.
#
#    </details>
# 4. Why must the labels $0,\dots,N-1$ be permuted anew in every episode? What would a network learn otherwise?
#    <details><summary>Answer</summary>
#
#    Otherwise a class keeps its label across episodes, and the network can learn a fixed map from images to labels
#    (memorise "class 3 is a seven") instead of learning from the support set; on new classes that map is useless.
#
#    </details>
# 5. Why are 6@180° and 9@0° not allowed to be two different classes of the digits benchmark?
#    <details><summary>Answer</summary>
#
#    A 6 turned by 180° is (up to handwriting) a 9: two classes with the same images would get contradictory labels
#    that no learner can tell apart.
#
#    </details>
# 6. ANIL adapts only the head. What does it mean for the features learnt by the body — and when would you expect
#    ANIL to lose to MAML?
#    <details><summary>Answer</summary>
#
#    That the body's features are already good for the new classes: MAML mostly reuses features and re-fits the
#    head. ANIL should lose when new tasks need features the meta-training did not produce (a shift of domain), or
#    when several inner steps can usefully reshape the body — as on our digits after 10 steps (0.672 against
#    0.766).
#
#    </details>
# %% [markdown] lang="ru"
# ## Проверьте себя
#
# 1. Запишите метаградиент MAML для **двух** внутренних шагов. Какие слагаемые второго порядка в нём появляются?
#    <details><summary>Ответ</summary>
#
#    При $\theta_1 = \theta - \alpha\nabla\mathcal L^s_i(\theta)$ и
#    $\theta_2 = \theta_1 - \alpha\nabla\mathcal L^s_i(\theta_1)$:
#    $\nabla_\theta\mathcal L^q_i(\theta_2) = \big(I - \alpha\nabla^2\mathcal L^s_i(\theta)\big)\big(I - \alpha\nabla^2\mathcal L^s_i(\theta_1)\big)\nabla\mathcal L^q_i(\theta_2)$
#    — два гессиана функции потерь на опорном множестве, в $\theta$ и в $\theta_1$, и их произведение.
#
#    </details>
# 2. Почему предобученная модель для синусоид при любой задаче предсказывает примерно $-1.6\cos x$? Что она
#    предсказывала бы, если бы фазы выбирались из $U[0, 2\pi]$?
#    <details><summary>Ответ</summary>
#
#    Минимизация суммарной квадратичной ошибки по задачам даёт среднее по задачам:
#    $\mathsf{E}[A\sin(x - \varphi)] = \mathsf{E}A \cdot \frac1\pi\int_0^\pi \sin(x - \varphi)\,d\varphi = -\frac{2\,\mathsf{E}A}{\pi}\cos x$
#    при $\mathsf{E}A = 2.55$, то есть $\approx -1.6\cos x$. При $\varphi \sim U[0, 2\pi]$ среднее равно нулю:
#    предобученная модель предсказывала бы горизонтальную прямую.
#
#    </details>
# 3. С каким методом сравнения из этой лекции совпадает Reptile при $k=1$ и $\varepsilon = 1$? Докажите.
#    <details><summary>Ответ</summary>
#
#    При $k = 1$: $W_i = \theta - \alpha\nabla L_i(\theta)$, и при $\varepsilon = 1$ шаг равен
#    $\theta \leftarrow \frac1n\sum_i W_i = \theta - \alpha\,\frac1n\sum_i\nabla L_i(\theta)$ — один шаг
#    градиентного спуска по средним потерям задач, то есть совместное предобучение.
#
#    </details>
# 4. Почему метки $0,\dots,N-1$ нужно заново перемешивать в каждом эпизоде? Чему научилась бы сеть иначе?
#    <details><summary>Ответ</summary>
#
#    Иначе класс сохраняет метку во всех эпизодах, и сеть может выучить фиксированное отображение изображений в
#    метки («класс 3 — это семёрка») вместо того, чтобы учиться по опорному множеству; на новых классах такое
#    отображение бесполезно.
#
#    </details>
# 5. Почему 6, повёрнутая на 180°, и 9 без поворота не могут быть двумя разными классами в наборе цифр?
#    <details><summary>Ответ</summary>
#
#    Шестёрка, повёрнутая на 180°, — это (с точностью до почерка) девятка: два класса с одинаковыми изображениями
#    получили бы противоречивые метки, которые не различит никакой ученик.
#
#    </details>
# 6. ANIL адаптирует только голову. Что это говорит о признаках, выученных телом сети, и когда ANIL должен
#    проигрывать MAML?
#    <details><summary>Ответ</summary>
#
#    Что признаки тела сети уже хороши для новых классов: MAML в основном повторно использует признаки и заново
#    подгоняет голову. ANIL должен проигрывать, когда новым задачам нужны признаки, которых метаобучение не дало
#    (сдвиг домена), или когда несколько внутренних шагов могут с пользой перестроить тело, — как на наших цифрах
#    после 10 шагов (0,672 против 0,766).
#
#    </details>

# %% [markdown] lang="en"
# ## References
#
# * Finn C., Abbeel P., Levine S. Model-agnostic meta-learning for fast adaptation of deep networks. ICML, 2017.
# * Nichol A., Achiam J., Schulman J. On first-order meta-learning algorithms. arXiv:1803.02999, 2018.
# * Raghu A., Raghu M., Bengio S., Vinyals O. Rapid learning or feature reuse? Towards understanding the
#   effectiveness of MAML. ICLR, 2020.
# * Vinyals O., Blundell C., Lillicrap T., Kavukcuoglu K., Wierstra D. Matching networks for one shot learning.
#   NeurIPS, 2016.
# * Chen W.-Y., Liu Y.-C., Kira Z., Wang Y.-C. F., Huang J.-B. A closer look at few-shot classification. ICLR, 2019.
# * Lake B. M., Salakhutdinov R., Tenenbaum J. B. Human-level concept learning through probabilistic program
#   induction. Science, 2015.
# * Chung S.-C. Hyperparameter search and meta learning. Lecture slides, NSYSU (MAML versus pre-training).

# %% [markdown] lang="ru"
# ## Литература
#
# * Finn C., Abbeel P., Levine S. Model-agnostic meta-learning for fast adaptation of deep networks. ICML, 2017.
# * Nichol A., Achiam J., Schulman J. On first-order meta-learning algorithms. arXiv:1803.02999, 2018.
# * Raghu A., Raghu M., Bengio S., Vinyals O. Rapid learning or feature reuse? Towards understanding the
#   effectiveness of MAML. ICLR, 2020.
# * Vinyals O., Blundell C., Lillicrap T., Kavukcuoglu K., Wierstra D. Matching networks for one shot learning.
#   NeurIPS, 2016.
# * Chen W.-Y., Liu Y.-C., Kira Z., Wang Y.-C. F., Huang J.-B. A closer look at few-shot classification. ICLR, 2019.
# * Lake B. M., Salakhutdinov R., Tenenbaum J. B. Human-level concept learning through probabilistic program
#   induction. Science, 2015.
# * Chung S.-C. Hyperparameter search and meta learning. Слайды лекций, NSYSU (сравнение MAML и предобучения).
