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

from metaopt_lib import meta, tasks
from metaopt_lib.i18n import translator
from metaopt_lib.seeding import set_seed
from metaopt_lib.widgets import interact

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
ckpt = meta.load_checkpoint("maml_sinusoid")
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
digits = meta.load_checkpoint("maml_digits")
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
