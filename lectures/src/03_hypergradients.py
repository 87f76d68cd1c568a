# %% [markdown] lang="en"
# # Lecture 3. Gradient-based hyperparameter optimization
#
# **After this lecture you can**
# * write hyperparameter optimisation as a bilevel problem and name its hypergradient;
# * compute the hypergradient by differentiating through unrolled training (reverse and forward mode) and by the
#   implicit function theorem (Neumann series, conjugate gradient), and say what each costs;
# * write the Neumann approximation of an inverse Hessian correctly and choose its step;
# * optimise thousands of hyperparameters: one weight decay per feature, a distilled training set;
# * name the assumptions under which implicit differentiation is valid.

# %% [markdown] lang="ru"
# # Лекция 3. Градиентная оптимизация гиперпараметров
#
# **После этой лекции вы сможете**
# * записывать оптимизацию гиперпараметров как двухуровневую задачу и называть её гиперградиент;
# * вычислять гиперградиент дифференцированием через развёрнутое обучение (обратный и прямой режимы) и через
#   теорему о неявной функции (ряд Неймана, сопряжённые градиенты) и оценивать стоимость каждого способа;
# * правильно записывать приближение обратного гессиана рядом Неймана и выбирать его шаг;
# * оптимизировать тысячи гиперпараметров: свой коэффициент регуляризации для каждого признака, дистиллированную
#   обучающую выборку;
# * называть предположения, при которых неявное дифференцирование корректно.

# %%
import ipywidgets as w
import matplotlib.pyplot as plt
import numpy as np
import torch

from metaopt_course.widgets import interact
from metaopt_lib import hypergrad as hg
from metaopt_lib import training
from metaopt_lib.data import load_digits
from metaopt_lib.i18n import translator
from metaopt_lib.seeding import set_seed

tr = translator(LANG)
gen = set_seed(0)
torch.set_default_dtype(torch.float64)
torch.set_num_threads(1)  # small tensors: extra threads only add overhead

# %% [markdown] lang="en"
# ## 1. The bilevel problem
#
# Franceschi et al. (2018) put hyperparameter optimisation and meta-learning into one frame:
#
# $$\boldsymbol{\lambda}^* = \arg\min_{\boldsymbol{\lambda}} \; L_{\text{val}}\big(\boldsymbol{\theta}^*(\boldsymbol{\lambda}),
# \boldsymbol{\lambda}\big), \qquad \boldsymbol{\theta}^*(\boldsymbol{\lambda}) = \arg\min_{\boldsymbol{\theta}}
# \; L_{\text{train}}(\boldsymbol{\theta}, \boldsymbol{\lambda}),$$
#
# with $L_{\text{train}}$ the training loss (the inner problem) and $L_{\text{val}}$ the validation loss (the outer problem). Its gradient
# with respect to the outer variables is the **hypergradient**
#
# $$\frac{d L_{\text{val}}}{d\boldsymbol{\lambda}} = \frac{\partial L_{\text{val}}}{\partial\boldsymbol{\lambda}} +
# \Big(\frac{d\boldsymbol{\theta}^*}{d\boldsymbol{\lambda}}\Big)^{\!\top}\frac{\partial L_{\text{val}}}{\partial\boldsymbol{\theta}}.$$
#
# Everything hard is in $d\boldsymbol{\theta}^*/d\boldsymbol{\lambda}$. Franceschi et al. replace the exact
# $\arg\min$ by $T$ steps of an optimiser, $\boldsymbol{\theta}_T(\boldsymbol{\lambda})$, and show that solutions of
# this approximate problem converge to those of the exact one as $T \to \infty$. In meta-learning the outer
# variables are the **hyper-representation**: layers shared by all tasks, while each episode fits only its own
# last layer in the inner problem.

# %% [markdown] lang="ru"
# ## 1. Двухуровневая задача
#
# Franceschi и др. (2018) описали оптимизацию гиперпараметров и метаобучение в одной постановке:
#
# $$\boldsymbol{\lambda}^* = \arg\min_{\boldsymbol{\lambda}} \; L_{\text{val}}\big(\boldsymbol{\theta}^*(\boldsymbol{\lambda}),
# \boldsymbol{\lambda}\big), \qquad \boldsymbol{\theta}^*(\boldsymbol{\lambda}) = \arg\min_{\boldsymbol{\theta}}
# \; L_{\text{train}}(\boldsymbol{\theta}, \boldsymbol{\lambda}),$$
#
# где $L_{\text{train}}$ — функция потерь на обучении (внутренняя задача), $L_{\text{val}}$ — на валидации (внешняя задача). Её градиент
# по внешним переменным называется **гиперградиентом**:
#
# $$\frac{d L_{\text{val}}}{d\boldsymbol{\lambda}} = \frac{\partial L_{\text{val}}}{\partial\boldsymbol{\lambda}} +
# \Big(\frac{d\boldsymbol{\theta}^*}{d\boldsymbol{\lambda}}\Big)^{\!\top}\frac{\partial L_{\text{val}}}{\partial\boldsymbol{\theta}}.$$
#
# Вся трудность — в $d\boldsymbol{\theta}^*/d\boldsymbol{\lambda}$. Franceschi и др. заменяют точный
# $\arg\min$ на $T$ шагов оптимизатора, $\boldsymbol{\theta}_T(\boldsymbol{\lambda})$, и доказывают, что решения
# такой приближённой задачи сходятся к решениям точной при $T \to \infty$. В метаобучении внешние переменные —
# это **гиперпредставление**: слои, общие для всех задач, а в каждом эпизоде внутренняя задача подбирает только
# свой последний слой.

# %% [markdown] lang="en"
# ## 2. Four ways to a hypergradient, and the exact one to check them
#
# **(a) Reverse mode through unrolled training.** Write training as a differentiable map
# $\boldsymbol{\theta}_{t+1} = \Phi(\boldsymbol{\theta}_t, \boldsymbol{\lambda})$ (here gradient descent with
# momentum) and backpropagate through all $T$ steps. Cost about that of training; memory $O(T\,|\boldsymbol{\theta}|)$.
# Maclaurin, Duvenaud & Adams (2015) avoid storing the trajectory: SGD with momentum
# $\mathbf{v}_{t+1} = \gamma\mathbf{v}_t - \nabla L_{\text{train}}(\boldsymbol{\theta}_t)$,
# $\boldsymbol{\theta}_{t+1} = \boldsymbol{\theta}_t + \eta\mathbf{v}_{t+1}$ can be run **backwards**,
# $\boldsymbol{\theta}_t = \boldsymbol{\theta}_{t+1} - \eta\mathbf{v}_{t+1}$,
# $\mathbf{v}_t = (\mathbf{v}_{t+1} + \nabla L_{\text{train}}(\boldsymbol{\theta}_t))/\gamma$; in floating point the division
# by $\gamma < 1$ amplifies rounding, so they store exactly the bits that multiplication by $\gamma$ destroys
# ($\log_2(1/\gamma)$ bits per number per step) and reverse training exactly. That gives gradients with respect to
# learning-rate and momentum schedules, initialisation scales and regularisers.
#
# **(b) Forward mode.** Carry $\mathbf{Z}_t = d\boldsymbol{\theta}_t/d\boldsymbol{\lambda}$ along:
# $\mathbf{Z}_{t+1} = \frac{\partial\Phi}{\partial\boldsymbol{\theta}}\mathbf{Z}_t + \frac{\partial\Phi}{\partial
# \boldsymbol{\lambda}}$ (Franceschi et al. 2017). Memory independent of $T$, cost proportional to the number of
# hyperparameters: good for few hyperparameters and long or online training.
#
# **(c, d) Implicit function theorem (IFT).** At a strict minimum $\nabla_{\boldsymbol{\theta}}
# L_{\text{train}}(\boldsymbol{\theta}^*(\boldsymbol{\lambda}), \boldsymbol{\lambda}) = 0$; differentiating this identity,
#
# $$\frac{d\boldsymbol{\theta}^*}{d\boldsymbol{\lambda}} = -\mathbf{H}^{-1}\frac{\partial^2 L_{\text{train}}}{\partial
# \boldsymbol{\theta}\,\partial\boldsymbol{\lambda}}, \qquad \mathbf{H} = \frac{\partial^2 L_{\text{train}}}{\partial
# \boldsymbol{\theta}^2}, \qquad \frac{dL_{\text{val}}}{d\boldsymbol{\lambda}} = \frac{\partial L_{\text{val}}}{\partial\boldsymbol{\lambda}}
# - \Big(\frac{\partial^2 L_{\text{train}}}{\partial\boldsymbol{\theta}\,\partial\boldsymbol{\lambda}}\Big)^{\!\top}
# \mathbf{H}^{-1}\frac{\partial L_{\text{val}}}{\partial\boldsymbol{\theta}}.$$
#
# Only the optimum matters, not the path. $\mathbf{H}^{-1}\mathbf{g}$ is found with Hessian-vector products:
# by a truncated Neumann series (Lorraine, Vicol & Duvenaud 2020) or by conjugate gradient (iMAML, Rajeswaran et
# al. 2019). Memory is flat in the number of training steps.
#
# **(e) The exact answer, the ground truth for (a)–(d).** For ridge regression with one weight decay per feature,
# $L_{\text{train}} = \frac{1}{2n}\|\mathbf{X}\mathbf{w} - \mathbf{y}\|^2 + \frac12\sum_j\lambda_j w_j^2$, everything is in
# closed form: $\mathbf{w}^* = \mathbf{H}^{-1}\mathbf{X}^\top\mathbf{y}/n$ and
# $dL_{\text{val}}/d\boldsymbol{\lambda} = -\mathbf{w}^* \odot \mathbf{H}^{-1}\nabla_{\mathbf{w}}L_{\text{val}}(\mathbf{w}^*)$.

# %% [markdown] lang="ru"
# ## 2. Четыре способа получить гиперградиент и точный ответ для их проверки
#
# **(a) Обратный режим через развёрнутое обучение.** Запишем обучение как дифференцируемое отображение
# $\boldsymbol{\theta}_{t+1} = \Phi(\boldsymbol{\theta}_t, \boldsymbol{\lambda})$ (здесь градиентный спуск с
# моментом) и применим обратное распространение через все $T$ шагов. Стоимость порядка стоимости обучения, память
# $O(T\,|\boldsymbol{\theta}|)$. Maclaurin, Duvenaud и Adams (2015) обходятся без хранения траектории: SGD с моментом
# $\mathbf{v}_{t+1} = \gamma\mathbf{v}_t - \nabla L_{\text{train}}(\boldsymbol{\theta}_t)$,
# $\boldsymbol{\theta}_{t+1} = \boldsymbol{\theta}_t + \eta\mathbf{v}_{t+1}$ можно выполнить **в обратную
# сторону**: $\boldsymbol{\theta}_t = \boldsymbol{\theta}_{t+1} - \eta\mathbf{v}_{t+1}$,
# $\mathbf{v}_t = (\mathbf{v}_{t+1} + \nabla L_{\text{train}}(\boldsymbol{\theta}_t))/\gamma$. В арифметике с плавающей точкой
# деление на $\gamma < 1$ усиливает ошибки округления, поэтому они сохраняют ровно те биты, которые теряются при
# умножении на $\gamma$ ($\log_2(1/\gamma)$ бит на число за шаг), и обращают обучение точно. Так получаются
# градиенты по расписаниям шага и момента, по масштабам инициализации и по регуляризаторам.
#
# **(b) Прямой режим.** Переносим вперёд $\mathbf{Z}_t = d\boldsymbol{\theta}_t/d\boldsymbol{\lambda}$:
# $\mathbf{Z}_{t+1} = \frac{\partial\Phi}{\partial\boldsymbol{\theta}}\mathbf{Z}_t + \frac{\partial\Phi}{\partial
# \boldsymbol{\lambda}}$ (Franceschi и др., 2017). Память не зависит от $T$, стоимость пропорциональна числу
# гиперпараметров: подходит для немногих гиперпараметров и длинного или онлайн-обучения.
#
# **(c, d) Теорема о неявной функции.** В точке строгого минимума $\nabla_{\boldsymbol{\theta}}
# L_{\text{train}}(\boldsymbol{\theta}^*(\boldsymbol{\lambda}), \boldsymbol{\lambda}) = 0$; дифференцируя это тождество,
#
# $$\frac{d\boldsymbol{\theta}^*}{d\boldsymbol{\lambda}} = -\mathbf{H}^{-1}\frac{\partial^2 L_{\text{train}}}{\partial
# \boldsymbol{\theta}\,\partial\boldsymbol{\lambda}}, \qquad \mathbf{H} = \frac{\partial^2 L_{\text{train}}}{\partial
# \boldsymbol{\theta}^2}, \qquad \frac{dL_{\text{val}}}{d\boldsymbol{\lambda}} = \frac{\partial L_{\text{val}}}{\partial\boldsymbol{\lambda}}
# - \Big(\frac{\partial^2 L_{\text{train}}}{\partial\boldsymbol{\theta}\,\partial\boldsymbol{\lambda}}\Big)^{\!\top}
# \mathbf{H}^{-1}\frac{\partial L_{\text{val}}}{\partial\boldsymbol{\theta}}.$$
#
# Важен только оптимум, а не путь к нему. Вектор $\mathbf{H}^{-1}\mathbf{g}$ находят через умножения гессиана на
# вектор: усечённым рядом Неймана (Lorraine, Vicol и Duvenaud, 2020) или методом сопряжённых градиентов (iMAML,
# Rajeswaran и др., 2019). Память не растёт с числом шагов обучения.
#
# **(e) Точный ответ — эталон для (a)–(d).** Для гребневой регрессии со своим коэффициентом регуляризации у каждого признака,
# $L_{\text{train}} = \frac{1}{2n}\|\mathbf{X}\mathbf{w} - \mathbf{y}\|^2 + \frac12\sum_j\lambda_j w_j^2$, всё выписывается
# явно: $\mathbf{w}^* = \mathbf{H}^{-1}\mathbf{X}^\top\mathbf{y}/n$ и
# $dL_{\text{val}}/d\boldsymbol{\lambda} = -\mathbf{w}^* \odot \mathbf{H}^{-1}\nabla_{\mathbf{w}}L_{\text{val}}(\mathbf{w}^*)$.

# %%
d = 20
Z = torch.randn(260, d, generator=gen)
Z = Z + 1.5 * Z[:, :1]  # correlated features: an ill-conditioned Hessian
w_true = torch.randn(d, generator=gen)
yy = Z @ w_true + 0.5 * torch.randn(260, generator=gen)
X_tr, y_tr, X_val, y_val = Z[:100], yy[:100], Z[100:], yy[100:]
lam = torch.logspace(-2, 0, d)
inner, outer = hg.ridge_inner_loss(X_tr, y_tr), hg.ridge_outer_loss(X_val, y_val)
w_star, exact = hg.ridge_hypergrad_exact(X_tr, y_tr, X_val, y_val, lam)
H = X_tr.T @ X_tr / len(y_tr) + torch.diag(lam)
eig = torch.linalg.eigvalsh(H)
lr = 1.0 / float(eig.max())


def rel_err(g):
    return float((g - exact).norm() / exact.norm())


rows = []
for T in (10, 100, 1000):
    rows.append((tr(f"unrolled reverse, T = {T}", f"развёрнутое, обратный режим, T = {T}"),
                 rel_err(hg.unrolled_hypergrad_reverse(inner, outer, torch.zeros(d), lam, T, lr))))
rows.append((tr("unrolled forward, T = 100", "развёрнутое, прямой режим, T = 100"),
             rel_err(hg.unrolled_hypergrad_forward(inner, outer, torch.zeros(d), lam, 100, lr))))
for K in (10, 100, 1000):
    rows.append((tr(f"IFT + Neumann, K = {K}", f"теорема о неявной функции + ряд Неймана, K = {K}"),
                 rel_err(hg.ift_hypergrad(inner, outer, w_star, lam, "neumann", K=K, alpha=lr))))
stats = {}
rows.append((tr("IFT + conjugate gradient", "теорема о неявной функции + сопряжённые градиенты"),
             rel_err(hg.ift_hypergrad(inner, outer, w_star, lam, "cg", rtol=1e-10, stats=stats))))
print(tr(f"condition number of H: {float(eig.max() / eig.min()):.0f}; CG used {stats['hvps']} Hessian-vector products",
         f"число обусловленности H: {float(eig.max() / eig.min()):.0f}; CG сделал {stats['hvps']} умножений гессиана на вектор"))
for name, err in rows:
    print(f"{name:50s} {tr('relative error', 'относительная ошибка')} {err:.2e}")

# %% [markdown] lang="en"
# Unrolled differentiation answers a different question — the hypergradient of $T$ steps from $\mathbf{w}_0 = 0$
# — and approaches the exact one only as training converges. The IFT answers the right question at the optimum,
# with an error set by the linear solver alone.
#
# ## 3. The Neumann series, written correctly
#
# For a matrix $\mathbf{U}$ with spectral radius of $\mathbf{I} - \mathbf{U}$ below one,
# $\mathbf{U}^{-1} = \sum_{i=0}^{\infty}(\mathbf{I} - \mathbf{U})^i$. Take $\mathbf{U} = \eta\mathbf{H}$ with a step
# $0 < \eta < 2/\lambda_{\max}(\mathbf{H})$:
#
# $$\mathbf{H}^{-1} = \eta\sum_{i=0}^{\infty}(\mathbf{I} - \eta\mathbf{H})^i \;\approx\;
# \eta\sum_{i=0}^{K}(\mathbf{I} - \eta\mathbf{H})^i .$$
#
# The sum **starts at $i = 0$** and the step **$\eta$ multiplies it** (the blog post on Lorraine et al. writes the sum from $i = 1$
# without $\eta$; that is $\mathbf{H}^{-1} - \mathbf{I}$ for $\eta = 1$, not $\mathbf{H}^{-1}$). `metaopt_lib`
# returns $\eta\sum_{i=0}^{K}(\mathbf{I} - \eta\mathbf{H})^i\mathbf{v}$ at the price of $K$ Hessian-vector
# products. The error is $(\mathbf{I} - \eta\mathbf{H})^{K+1}\mathbf{H}^{-1}\mathbf{v}$: it falls like
# $(1 - \eta\lambda_{\min})^{K+1}$, slowly for an ill-conditioned $\mathbf{H}$, and grows without bound when
# $\eta\lambda_{\max} > 2$. Conjugate gradient needs at most $d$ products and converges like
# $\big((\sqrt\kappa - 1)/(\sqrt\kappa + 1)\big)^k$.

# %% [markdown] lang="ru"
# Развёрнутое дифференцирование отвечает на другой вопрос — гиперградиент после $T$ шагов из $\mathbf{w}_0 = 0$ — и
# приближается к точному, только когда обучение сошлось. Теорема о неявной функции отвечает на правильный
# вопрос в оптимуме, и её ошибка определяется только линейным решателем.
#
# ## 3. Ряд Неймана в правильной записи
#
# Для матрицы $\mathbf{U}$, у которой спектральный радиус $\mathbf{I} - \mathbf{U}$ меньше единицы,
# $\mathbf{U}^{-1} = \sum_{i=0}^{\infty}(\mathbf{I} - \mathbf{U})^i$. Возьмём $\mathbf{U} = \eta\mathbf{H}$ с шагом
# $0 < \eta < 2/\lambda_{\max}(\mathbf{H})$:
#
# $$\mathbf{H}^{-1} = \eta\sum_{i=0}^{\infty}(\mathbf{I} - \eta\mathbf{H})^i \;\approx\;
# \eta\sum_{i=0}^{K}(\mathbf{I} - \eta\mathbf{H})^i .$$
#
# Сумма **начинается с $i = 0$**, и **шаг $\eta$ стоит множителем** (в записи в блоге о статье Lorraine и др. сумма начинается с
# $i = 1$ и без $\eta$; при $\eta = 1$ это $\mathbf{H}^{-1} - \mathbf{I}$, а не $\mathbf{H}^{-1}$).
# `metaopt_lib` возвращает $\eta\sum_{i=0}^{K}(\mathbf{I} - \eta\mathbf{H})^i\mathbf{v}$ ценой $K$ умножений
# гессиана на вектор. Ошибка равна $(\mathbf{I} - \eta\mathbf{H})^{K+1}\mathbf{H}^{-1}\mathbf{v}$: она убывает
# как $(1 - \eta\lambda_{\min})^{K+1}$, медленно для плохо обусловленной $\mathbf{H}$, и неограниченно растёт при
# $\eta\lambda_{\max} > 2$. Методу сопряжённых градиентов нужно не больше $d$ умножений, и он сходится как
# $\big((\sqrt\kappa - 1)/(\sqrt\kappa + 1)\big)^k$.

# %%
def neumann_error(K, alpha_scale):
    """Relative error of the IFT hypergradient against the exact one, for Neumann terms 0..K, α = scale/λmax."""
    Ks = np.unique(np.linspace(0, K, 12).astype(int))
    errs = [rel_err(hg.ift_hypergrad(inner, outer, w_star, lam, "neumann", K=int(k), alpha=alpha_scale * lr))
            for k in Ks]
    fig, ax = plt.subplots(figsize=(6.5, 3.5))
    ax.semilogy(Ks, errs, "o-", label=tr("Neumann", "ряд Неймана"))
    ax.axhline(rel_err(hg.ift_hypergrad(inner, outer, w_star, lam, "cg", rtol=1e-10)), color="k", ls="--",
               label=tr("conjugate gradient", "сопряжённые градиенты"))
    ax.set_xlabel(tr("K (Hessian-vector products)", "K (умножений гессиана на вектор)"))
    ax.set_ylabel(tr("relative error of the hypergradient", "относительная ошибка гиперградиента"))
    ax.set_title(f"η·λmax = {alpha_scale:.2f}")
    ax.legend()
    plt.show()


interact(neumann_error,
         K=w.IntSlider(value=200, min=5, max=400, step=5, description="K"),
         alpha_scale=w.FloatSlider(value=1.0, min=0.2, max=2.1, step=0.1, description="η·λmax"))

# %% [markdown] lang="en"
# ## 4. Thousands of hyperparameters
#
# Hypergradients cost about as much as one training run, however many hyperparameters there are. Two examples.
#
# **One weight decay per feature.** 50 features, 10 of them relevant, 60 training points. We descend on
# $\log\lambda_j$ with Adam, hypergradients by IFT with conjugate gradient, starting from the best single weight
# decay found on a grid, and report the loss on fresh test data.

# %% [markdown] lang="ru"
# ## 4. Тысячи гиперпараметров
#
# Гиперградиент стоит примерно как одно обучение, сколько бы ни было гиперпараметров. Два примера.
#
# **Свой коэффициент регуляризации для каждого признака.** 50 признаков, из них 10 информативных, 60 обучающих
# объектов. Спускаемся по $\log\lambda_j$ методом Adam, гиперградиенты — через теорему о неявной функции с
# сопряжёнными градиентами, начиная с лучшего общего коэффициента на сетке; качество смотрим на новых тестовых данных.

# %%
dd = 50
w_sparse = torch.zeros(dd)
w_sparse[:10] = 2 * torch.randn(10, generator=gen)


def sample(k):
    Xk = torch.randn(k, dd, generator=gen)
    return Xk, Xk @ w_sparse + 0.5 * torch.randn(k, generator=gen)


(Xa, ya), (Xb, yb), (Xc, yc) = sample(60), sample(200), sample(1000)
inner_a, val_b, test_c = hg.ridge_inner_loss(Xa, ya), hg.ridge_outer_loss(Xb, yb), hg.ridge_outer_loss(Xc, yc)
grid = np.logspace(-3, 1, 30)
grid_val = [float(val_b(hg.ridge_solution(Xa, ya, float(g)), None)) for g in grid]
best = float(grid[int(np.argmin(grid_val))])
log_lam = torch.full((dd,), np.log(best), requires_grad=True)
opt = training.Adam([log_lam], lr=0.15)
history = []
for _ in range(60):
    lam_j = log_lam.detach().exp()
    w_j = hg.ridge_solution(Xa, ya, lam_j)
    history.append(float(val_b(w_j, None)))
    log_lam.grad = hg.ift_hypergrad(inner_a, val_b, w_j, lam_j, "cg", rtol=1e-8) * lam_j  # chain rule to log λ
    opt.step()
lam_j = log_lam.detach().exp()
fig, axes = plt.subplots(1, 2, figsize=(11, 3.5))
axes[0].plot(history, label=tr("per-feature λ (validation)", "свой λ у признака (валидация)"))
axes[0].axhline(min(grid_val), color="k", ls="--", label=tr("best single λ (validation)", "лучший общий λ (валидация)"))
axes[0].set_xlabel(tr("hypergradient steps", "шаги по гиперградиенту"))
axes[0].set_ylabel(tr("validation loss", "потери на валидации"))
axes[0].legend()
axes[1].bar(range(dd), lam_j.numpy(), color=["C1"] * 10 + ["C0"] * (dd - 10))
axes[1].set_yscale("log")
axes[1].set_xlabel(tr("feature (first 10 are relevant)", "признак (первые 10 информативны)"))
axes[1].set_ylabel(tr("learned weight decay λ_j", "найденный коэффициент λ_j"))
plt.tight_layout()
plt.show()
print(tr(f"test loss: best single λ {float(test_c(hg.ridge_solution(Xa, ya, best), None)):.3f}, "
         f"per-feature λ {float(test_c(hg.ridge_solution(Xa, ya, lam_j), None)):.3f}",
         f"потери на тесте: лучший общий λ {float(test_c(hg.ridge_solution(Xa, ya, best), None)):.3f}, "
         f"свой λ у признака {float(test_c(hg.ridge_solution(Xa, ya, lam_j), None)):.3f}"))

# %% [markdown] lang="en"
# **Dataset distillation.** The hyperparameters are the training set itself: one synthetic 8×8 image per digit,
# 640 numbers. The inner problem trains a softmax regression on these ten images only (20 gradient steps from
# zero); the outer loss is the cross-entropy on real training digits. Hypergradients come from reverse mode
# through the 20 steps (Wang et al. 2018; Lorraine et al. 2020 do the same with the IFT). We compare with a
# model trained the same way on ten random real images, one per class, which is also the starting point.

# %% [markdown] lang="ru"
# **Дистилляция выборки.** Гиперпараметры — сама обучающая выборка: по одному синтетическому изображению 8×8 на
# цифру, 640 чисел. Во внутренней задаче многоклассовая логистическая регрессия обучается только на этих десяти
# изображениях (20 шагов градиентного спуска из нуля); внешние потери — перекрёстная энтропия на настоящих
# обучающих цифрах. Гиперградиенты считаются в обратном режиме через эти 20 шагов (Wang и др., 2018; Lorraine и
# др., 2020, делают то же через теорему о неявной функции). Сравниваем с моделью, обученной так же на десяти
# случайных настоящих изображениях, по одному на класс, — они же служат начальным приближением.

# %%
digits = load_digits()
Xd_tr, yd_tr, Xd_val, yd_val = (t.double() if t.is_floating_point() else t for t in digits.split_validation(0.2))
random_real = hg.random_images_per_class(Xd_tr, yd_tr, 10, gen)
distilled = hg.distill_dataset(Xd_tr, yd_tr, 10, outer_steps=60, init=random_real, generator=gen)


def val_accuracy(images):
    W = hg.train_softmax_regression(images, torch.arange(10), 10, steps=20, lr=1.0)
    return float(((Xd_val @ W[:-1] + W[-1]).argmax(1) == yd_val).double().mean())


acc_real, acc_distilled = val_accuracy(random_real), val_accuracy(distilled)
print(tr(f"validation accuracy: random real images {acc_real:.3f}, distilled images {acc_distilled:.3f}",
         f"точность на валидации: случайные настоящие изображения {acc_real:.3f}, дистиллированные {acc_distilled:.3f}"))
fig, axes = plt.subplots(2, 10, figsize=(10, 2.6))
for c in range(10):
    axes[0, c].imshow(random_real[c].reshape(digits.image_shape), cmap="gray_r")
    axes[1, c].imshow(distilled[c].reshape(digits.image_shape), cmap="gray_r")
    axes[0, c].set_title(str(c))
    for ax in axes[:, c]:
        ax.set_xticks([]), ax.set_yticks([])
axes[0, 0].set_ylabel(tr("random", "случайные"))
axes[1, 0].set_ylabel(tr("distilled", "дистиллированные"))
fig.suptitle(tr(f"validation accuracy: 10 random real images {acc_real:.2f}, 10 distilled images {acc_distilled:.2f}",
                f"точность на валидации: 10 случайных изображений {acc_real:.2f}, 10 дистиллированных {acc_distilled:.2f}"))
plt.tight_layout()
plt.show()

# %% [markdown] lang="en"
# ## 5. Limitations
#
# * **A unique optimum.** The IFT needs $\boldsymbol{\theta}^*(\boldsymbol{\lambda})$ to be a strict local
#   minimum with an invertible Hessian, reached exactly. SGD on a neural network gives different optima for
#   different seeds, and in practice stops before any of them; the IFT then differentiates a fiction.
# * **Only hyperparameters of the loss.** The IFT sees the inner problem only through $\nabla_{\boldsymbol{\theta}}
#   L_{\text{train}} = 0$. Learning rates, batch sizes, momentum or the initialisation change the path, not the optimum, so
#   their IFT hypergradient is zero or undefined; for them, differentiate through the unrolled training (as
#   Maclaurin et al. do for learning-rate schedules), accepting the memory cost or reversing the dynamics.
# * **Short horizons.** Unrolling only a few steps is cheap but biased towards greedy hyperparameters.

# %% [markdown] lang="ru"
# ## 5. Ограничения
#
# * **Единственный оптимум.** Теореме о неявной функции нужно, чтобы $\boldsymbol{\theta}^*(\boldsymbol{\lambda})$
#   был строгим локальным минимумом с обратимым гессианом и был достигнут точно. SGD для нейросети приходит в
#   разные оптимумы при разных начальных значениях генератора и на практике останавливается раньше; тогда
#   теорема дифференцирует то, чего нет.
# * **Только гиперпараметры функции потерь.** Теорема о неявной функции «знает» о внутренней задаче лишь условие
#   $\nabla_{\boldsymbol{\theta}} L_{\text{train}} = 0$. Шаг обучения, размер батча, момент или инициализация меняют путь, а не
#   оптимум, поэтому их гиперградиент по теореме равен нулю или не определён; для них нужно дифференцировать
#   развёрнутое обучение (как Maclaurin и др. для расписаний шага), платя памятью или обращая динамику.
# * **Короткий горизонт.** Развёртка на несколько шагов дешева, но смещает выбор к «жадным» гиперпараметрам.

# %% [markdown] lang="en"
# ## 6. EvoGrad: a hypergradient without second derivatives
#
# Every method above needs second-order terms: Hessian-vector products, or backpropagation through a stored
# trajectory. EvoGrad (Bohdal, Yang & Hospedales 2021) needs neither. Around the current parameters
# $\boldsymbol{\theta}$ it draws $K$ copies $\boldsymbol{\theta}_k = \boldsymbol{\theta} + \boldsymbol{\varepsilon}_k$,
# $\boldsymbol{\varepsilon}_k \sim \mathcal N(0, \sigma^2\mathbf I)$, scores them by the training loss and mixes them
# with softmax weights at a temperature $\tau$:
#
# $$w_k(\boldsymbol{\lambda}) = \operatorname{softmax}_k\!\Big(-\frac{L_T(\boldsymbol{\theta}_k, \boldsymbol{\lambda})}{\tau}\Big),
# \qquad \boldsymbol{\theta}^*(\boldsymbol{\lambda}) = \sum_{k=1}^{K} w_k(\boldsymbol{\lambda})\,\boldsymbol{\theta}_k,
# \qquad \widehat{\frac{dL_V}{d\boldsymbol{\lambda}}} = \frac{d}{d\boldsymbol{\lambda}}
# L_V\big(\boldsymbol{\theta}^*(\boldsymbol{\lambda}), \boldsymbol{\lambda}\big).$$
#
# The hyperparameters reach $\boldsymbol{\theta}^*$ only through $K$ numbers $L_T(\boldsymbol{\theta}_k,
# \boldsymbol{\lambda})$, so one backward pass with first derivatives suffices. What does it estimate? Expanding the
# softmax for small $\sigma$ gives, on average, one gradient step
# $\boldsymbol{\theta}^* \approx \boldsymbol{\theta} - \alpha\nabla_{\boldsymbol{\theta}}L_T$ with
# $\alpha = \sigma^2(1 - 1/K)/\tau$, and the expectation of EvoGrad tends to the **one-step (greedy)
# hypergradient** $-\alpha\,(\partial^2 L_T/\partial\boldsymbol{\lambda}\,\partial\boldsymbol{\theta})\,
# \nabla_{\boldsymbol{\theta}}L_V$. For our ridge problem at $\mathbf w^*$ that is $-\alpha\,\mathbf w^*\odot\mathbf g$
# against the exact $-\mathbf w^*\odot\mathbf H^{-1}\mathbf g$: EvoGrad replaces the inverse Hessian by a number.
# Below, on the ridge problem of section 2: the error of one estimate against that limit, the cosine with the
# exact hypergradient, and the time per hypergradient.

# %% [markdown] lang="ru"
# ## 6. EvoGrad: гиперградиент без вторых производных
#
# Всем методам выше нужны члены второго порядка: умножения гессиана на вектор или обратное распространение через
# сохранённую траекторию. EvoGrad (Bohdal, Yang и Hospedales 2021) обходится без них. Вокруг текущих параметров
# $\boldsymbol{\theta}$ он берёт $K$ копий $\boldsymbol{\theta}_k = \boldsymbol{\theta} + \boldsymbol{\varepsilon}_k$,
# $\boldsymbol{\varepsilon}_k \sim \mathcal N(0, \sigma^2\mathbf I)$, оценивает их функцией потерь на обучении и
# смешивает с весами softmax при температуре $\tau$:
#
# $$w_k(\boldsymbol{\lambda}) = \operatorname{softmax}_k\!\Big(-\frac{L_T(\boldsymbol{\theta}_k, \boldsymbol{\lambda})}{\tau}\Big),
# \qquad \boldsymbol{\theta}^*(\boldsymbol{\lambda}) = \sum_{k=1}^{K} w_k(\boldsymbol{\lambda})\,\boldsymbol{\theta}_k,
# \qquad \widehat{\frac{dL_V}{d\boldsymbol{\lambda}}} = \frac{d}{d\boldsymbol{\lambda}}
# L_V\big(\boldsymbol{\theta}^*(\boldsymbol{\lambda}), \boldsymbol{\lambda}\big).$$
#
# Гиперпараметры влияют на $\boldsymbol{\theta}^*$ только через $K$ чисел $L_T(\boldsymbol{\theta}_k,
# \boldsymbol{\lambda})$, поэтому хватает одного обратного прохода с первыми производными. Что же оценивается?
# Разложение softmax при малом $\sigma$ даёт в среднем один градиентный шаг
# $\boldsymbol{\theta}^* \approx \boldsymbol{\theta} - \alpha\nabla_{\boldsymbol{\theta}}L_T$ с
# $\alpha = \sigma^2(1 - 1/K)/\tau$, и математическое ожидание EvoGrad стремится к **одношаговому («жадному»)
# гиперградиенту** $-\alpha\,(\partial^2 L_T/\partial\boldsymbol{\lambda}\,\partial\boldsymbol{\theta})\,
# \nabla_{\boldsymbol{\theta}}L_V$. Для нашей гребневой регрессии в точке $\mathbf w^*$ это
# $-\alpha\,\mathbf w^*\odot\mathbf g$ вместо точного $-\mathbf w^*\odot\mathbf H^{-1}\mathbf g$: EvoGrad заменяет
# обратный гессиан числом. Ниже, на задаче из раздела 2: ошибка одной оценки относительно этого предела, косинус
# с точным гиперградиентом и время на один гиперградиент.

# %%
import time

from metaopt_lib import evograd as eg

sigma_evo, tau_evo, draws = 1e-2, 0.05, 30
populations = [2, 4, 8, 16, 32, 64, 128]


def cosine(a, b):
    return float(a @ b / (a.norm() * b.norm()))


err_med, err_lo, err_hi, cos_med = [], [], [], []
for K in populations:
    limit = eg.evograd_limit(inner, outer, w_star, lam, K, sigma_evo, tau_evo)
    ests = [eg.evograd_hypergrad(inner, outer, w_star, lam, K, sigma_evo, tau_evo, gen) for _ in range(draws)]
    errs = np.array([float((e - limit).norm() / limit.norm()) for e in ests])
    err_med.append(np.median(errs)), err_lo.append(np.quantile(errs, 0.1)), err_hi.append(np.quantile(errs, 0.9))
    cos_med.append(np.median([cosine(e, exact) for e in ests]))
cos_limit = cosine(limit, exact)


def ms_per_call(fn, repeat):
    start = time.perf_counter()
    for _ in range(repeat):
        fn()
    return 1e3 * (time.perf_counter() - start) / repeat


timings = [
    (tr("exact (Cholesky)", "точный (Холецкий)"), ms_per_call(lambda: hg.ridge_hypergrad_exact(X_tr, y_tr, X_val, y_val, lam), 50)),
    ("EvoGrad K = 2", ms_per_call(lambda: eg.evograd_hypergrad(inner, outer, w_star, lam, 2, sigma_evo, tau_evo, gen), 50)),
    ("EvoGrad K = 32", ms_per_call(lambda: eg.evograd_hypergrad(inner, outer, w_star, lam, 32, sigma_evo, tau_evo, gen), 10)),
    (tr("IFT + CG", "неявная функция + CG"), ms_per_call(lambda: hg.ift_hypergrad(inner, outer, w_star, lam, "cg", rtol=1e-10), 10)),
    (tr("unrolled, T = 100", "развёртка, T = 100"), ms_per_call(lambda: hg.unrolled_hypergrad_reverse(inner, outer, torch.zeros(d), lam, 100, lr), 3)),
]
fig, axes = plt.subplots(1, 2, figsize=(12, 3.8))
axes[0].loglog(populations, err_med, "o-", label=tr("rel. error vs its one-step limit (median)",
                                                      "отн. ошибка к одношаговому пределу (медиана)"))
axes[0].fill_between(populations, err_lo, err_hi, alpha=0.25, label=tr("10–90% of draws", "10–90% запусков"))
axes[0].loglog(populations, err_med[0] * np.sqrt(2 / np.array(populations)), "k:", label="∝ 1/√K")
axes[0].set_xlabel(tr("population K", "размер популяции K"))
axes[0].set_ylabel(tr("relative error", "относительная ошибка"))
ax_cos = axes[0].twinx()
ax_cos.semilogx(populations, cos_med, "s--", color="C3")
ax_cos.axhline(cos_limit, color="C3", lw=0.8)
ax_cos.text(populations[0], cos_limit + 0.02, tr("limit", "предел"), color="C3", fontsize=8)
ax_cos.set_ylim(0, 1.05)
ax_cos.set_ylabel(tr("cosine with the exact hypergradient (median)", "косинус с точным гиперградиентом (медиана)"),
                  color="C3")
axes[0].legend(loc="lower left", fontsize=8)
names, times = zip(*timings)
axes[1].barh(names, times, color=["k", "C0", "C0", "C2", "C1"])
axes[1].set_xscale("log")
axes[1].set_xlabel(tr("milliseconds per hypergradient (this machine)", "миллисекунд на гиперградиент (эта машина)"))
plt.tight_layout()
plt.show()
print(tr(f"EvoGrad (σ = {sigma_evo}, τ = {tau_evo}): relative error to its limit {err_med[0]:.2f} for K = 2, "
         f"{err_med[-1]:.2f} for K = {populations[-1]}; cosine with the exact hypergradient {cos_med[0]:.2f} (K = 2), "
         f"{cos_med[-1]:.2f} (K = {populations[-1]}), {cos_limit:.2f} for the limit",
         f"EvoGrad (σ = {sigma_evo}, τ = {tau_evo}): относительная ошибка к пределу {err_med[0]:.2f} при K = 2, "
         f"{err_med[-1]:.2f} при K = {populations[-1]}; косинус с точным гиперградиентом {cos_med[0]:.2f} (K = 2), "
         f"{cos_med[-1]:.2f} (K = {populations[-1]}), {cos_limit:.2f} у предела"))
for name, ms in timings:
    print(f"{name:28s} {ms:8.2f} {tr('ms', 'мс')}")

# %% [markdown] lang="en"
# One estimate is noisy — with $K = 2$, as in the paper, its error is of the order of the hypergradient itself — and
# the noise falls like $1/\sqrt K$; the paper relies on the training loop to average it over steps. Even the limit
# is not the exact hypergradient: it is the greedy one, and its direction agrees with the exact one only as far as
# $\mathbf H^{-1}\mathbf g$ is parallel to $\mathbf g$ (the cosine above; it reaches 1 when
# $\mathbf H$ is a multiple of the identity). What EvoGrad buys is cost: a few evaluations of the training loss and
# no second derivatives, independent of any horizon $T$, which is what lets the paper scale meta-learning from
# ResNet18 to ResNet34.
#
# *O. Bohdal, Y. Yang, T. Hospedales. EvoGrad: Efficient gradient-based meta-learning and hyperparameter
# optimization. NeurIPS 2021.*

# %% [markdown] lang="ru"
# Одна оценка зашумлена: при $K = 2$, как в статье, её ошибка сравнима с самим гиперградиентом, а шум убывает как
# $1/\sqrt K$; в статье его усредняет цикл обучения по шагам. Даже предел — не точный гиперградиент, а жадный, и
# его направление совпадает с точным лишь настолько, насколько $\mathbf H^{-1}\mathbf g$ параллелен $\mathbf g$
# (косинус выше; он равен 1, когда $\mathbf H$ кратна единичной матрице). Выигрыш EvoGrad — в стоимости: несколько
# вычислений функции потерь на обучении и никаких вторых производных, независимо от горизонта $T$. Именно это
# позволило авторам масштабировать метаобучение с ResNet18 до ResNet34.
#
# *O. Bohdal, Y. Yang, T. Hospedales. EvoGrad: Efficient gradient-based meta-learning and hyperparameter
# optimization. NeurIPS 2021.*

# %% [markdown] lang="en"
# ## Check yourself
#
# 1. Derive $d\boldsymbol{\theta}^*/d\boldsymbol{\lambda}$ from $\nabla_{\boldsymbol{\theta}}L_{\text{train}} = 0$. Where is
#    positive definiteness of $\mathbf{H}$ used?
#    <details><summary>Answer</summary>
#
#    Differentiate the identity
#    $\nabla_{\boldsymbol{\theta}}L_{\text{train}}(\boldsymbol{\theta}^*(\boldsymbol{\lambda}), \boldsymbol{\lambda}) = \mathbf{0}$
#    in $\boldsymbol{\lambda}$:
#    $\mathbf{H}\,d\boldsymbol{\theta}^*/d\boldsymbol{\lambda} + \partial^2 L_{\text{train}}/\partial\boldsymbol{\theta}\partial\boldsymbol{\lambda} = \mathbf{0}$.
#    Positive definiteness makes $\mathbf{H}$ invertible, so that one can solve for
#    $d\boldsymbol{\theta}^*/d\boldsymbol{\lambda}$ (and the IFT guarantees a differentiable
#    $\boldsymbol{\theta}^*(\boldsymbol{\lambda})$ nearby), and makes the stationary point a strict minimum rather
#    than a saddle.
#
#    </details>
# 2. Why does $\eta\sum_{i=0}^{K}(\mathbf{I} - \eta\mathbf{H})^i$ converge only for $\eta < 2/\lambda_{\max}$?
#    What does the sum from $i = 1$ without $\eta$ approximate?
#    <details><summary>Answer</summary>
#
#    The series converges iff every eigenvalue of $\mathbf{I} - \eta\mathbf{H}$ is in $(-1, 1)$, i.e.
#    $0 < \eta\lambda_i < 2$ for all $i$, i.e. $\eta < 2/\lambda_{\max}$ for a positive-definite $\mathbf{H}$. The
#    sum from $i = 1$ without $\eta$ approximates $(\eta\mathbf{H})^{-1} - \mathbf{I}$, which is
#    $\mathbf{H}^{-1} - \mathbf{I}$ for $\eta = 1$.
#
#    </details>
# 3. Reverse or forward mode for 3 hyperparameters and $10^5$ training steps? For $10^4$ hyperparameters and 50 steps?
#    <details><summary>Answer</summary>
#
#    Three hyperparameters and $10^5$ steps: forward mode — its memory does not depend on the number of steps and
#    its cost grows with the number of hyperparameters, here 3. $10^4$ hyperparameters and 50 steps: reverse mode —
#    one backward pass gives all $10^4$ components, and 50 stored states are cheap.
#
#    </details>
# 4. Why can the IFT not give the hypergradient with respect to the learning rate? Which method can?
#    <details><summary>Answer</summary>
#
#    The learning rate does not enter $L_{\text{train}}$, hence not the optimality condition
#    $\nabla_{\boldsymbol{\theta}}L_{\text{train}} = \mathbf{0}$: the mixed derivative is zero and so is the IFT
#    hypergradient — the optimum, if reached, does not depend on the step. The step changes the path and where a
#    finite training stops; differentiating through the unrolled training (reverse mode as in Maclaurin et al., or
#    forward mode) captures that.
#
#    </details>
# 5. In dataset distillation, what would the IFT need that unrolled differentiation does not?
#    <details><summary>Answer</summary>
#
#    A unique optimum of the inner problem, reached, with an invertible Hessian there. A network trained on a
#    handful of distilled examples has many optima and a singular Hessian, and the method relies on a few steps
#    from a given initialisation, not on an optimum; unrolling only needs the training steps to be differentiable.
#
#    </details>

# %% [markdown] lang="ru"
# ## Проверьте себя
#
# 1. Выведите $d\boldsymbol{\theta}^*/d\boldsymbol{\lambda}$ из условия $\nabla_{\boldsymbol{\theta}}L_{\text{train}} = 0$. Где
#    используется положительная определённость $\mathbf{H}$?
#    <details><summary>Ответ</summary>
#
#    Продифференцируем тождество
#    $\nabla_{\boldsymbol{\theta}}L_{\text{train}}(\boldsymbol{\theta}^*(\boldsymbol{\lambda}), \boldsymbol{\lambda}) = \mathbf{0}$
#    по $\boldsymbol{\lambda}$:
#    $\mathbf{H}\,d\boldsymbol{\theta}^*/d\boldsymbol{\lambda} + \partial^2 L_{\text{train}}/\partial\boldsymbol{\theta}\partial\boldsymbol{\lambda} = \mathbf{0}$.
#    Положительная определённость делает $\mathbf{H}$ обратимым — из уравнения можно выразить
#    $d\boldsymbol{\theta}^*/d\boldsymbol{\lambda}$ (а теорема гарантирует дифференцируемую
#    $\boldsymbol{\theta}^*(\boldsymbol{\lambda})$ в окрестности), — и делает стационарную точку строгим минимумом,
#    а не седлом.
#
#    </details>
# 2. Почему $\eta\sum_{i=0}^{K}(\mathbf{I} - \eta\mathbf{H})^i$ сходится только при $\eta < 2/\lambda_{\max}$?
#    Что приближает сумма с $i = 1$ без множителя $\eta$?
#    <details><summary>Ответ</summary>
#
#    Ряд сходится тогда и только тогда, когда все собственные числа $\mathbf{I} - \eta\mathbf{H}$ лежат в
#    $(-1, 1)$, то есть $0 < \eta\lambda_i < 2$ для всех $i$, то есть $\eta < 2/\lambda_{\max}$ для положительно
#    определённой $\mathbf{H}$. Сумма с $i = 1$ без множителя $\eta$ приближает
#    $(\eta\mathbf{H})^{-1} - \mathbf{I}$, при $\eta = 1$ это $\mathbf{H}^{-1} - \mathbf{I}$.
#
#    </details>
# 3. Обратный или прямой режим для трёх гиперпараметров и $10^5$ шагов обучения? Для $10^4$ гиперпараметров и 50
#    шагов?
#    <details><summary>Ответ</summary>
#
#    Три гиперпараметра и $10^5$ шагов — прямой режим: его память не зависит от числа шагов, а стоимость растёт с
#    числом гиперпараметров, здесь их 3. $10^4$ гиперпараметров и 50 шагов — обратный режим: один обратный проход
#    даёт все $10^4$ компонент, а хранить 50 состояний дёшево.
#
#    </details>
# 4. Почему теорема о неявной функции не даёт гиперградиент по шагу обучения? Какой метод его даёт?
#    <details><summary>Ответ</summary>
#
#    Шаг обучения не входит в $L_{\text{train}}$, а значит, и в условие оптимальности
#    $\nabla_{\boldsymbol{\theta}}L_{\text{train}} = \mathbf{0}$: смешанная производная равна нулю, и гиперградиент
#    по теореме о неявной функции тоже ноль — оптимум, если он достигнут, от шага не зависит. Шаг меняет путь и
#    точку, где останавливается конечное обучение; это учитывает дифференцирование развёрнутого обучения (обратный
#    режим, как у Maclaurin и др., или прямой).
#
#    </details>
# 5. Что понадобилось бы теореме о неявной функции в дистилляции выборки, без чего обходится развёрнутое
#    дифференцирование?
#    <details><summary>Ответ</summary>
#
#    Единственный оптимум внутренней задачи, действительно достигнутый, с обратимым гессианом в нём. У сети,
#    обученной на нескольких дистиллированных примерах, много оптимумов и вырожденный гессиан, а сам метод
#    опирается на несколько шагов из заданного начального приближения, а не на оптимум; развёртке нужно лишь, чтобы
#    шаги обучения были дифференцируемы.
#
#    </details>

# %% [markdown] lang="en"
# ## References
#
# * Franceschi L., Frasconi P., Salzo S., Grazzi R., Pontil M. Bilevel programming for hyperparameter optimization
#   and meta-learning. ICML, 2018.
# * Franceschi L., Donini M., Frasconi P., Pontil M. Forward and reverse gradient-based hyperparameter optimization.
#   ICML, 2017.
# * Maclaurin D., Duvenaud D., Adams R. P. Gradient-based hyperparameter optimization through reversible learning.
#   ICML, 2015.
# * Lorraine J., Vicol P., Duvenaud D. Optimizing millions of hyperparameters by implicit differentiation. AISTATS,
#   2020.
# * Rajeswaran A., Finn C., Kakade S., Levine S. Meta-learning with implicit gradients. NeurIPS, 2019.
# * Pedregosa F. Hyperparameter optimization with approximate gradient. ICML, 2016.
# * Wang T., Zhu J.-Y., Torralba A., Efros A. A. Dataset distillation. arXiv:1811.10959, 2018.
# * A blog post on Lorraine, Vicol & Duvenaud (2020), 14 November 2019 (its Neumann sum is corrected above).

# %% [markdown] lang="ru"
# ## Литература
#
# * Franceschi L., Frasconi P., Salzo S., Grazzi R., Pontil M. Bilevel programming for hyperparameter optimization
#   and meta-learning. ICML, 2018.
# * Franceschi L., Donini M., Frasconi P., Pontil M. Forward and reverse gradient-based hyperparameter optimization.
#   ICML, 2017.
# * Maclaurin D., Duvenaud D., Adams R. P. Gradient-based hyperparameter optimization through reversible learning.
#   ICML, 2015.
# * Lorraine J., Vicol P., Duvenaud D. Optimizing millions of hyperparameters by implicit differentiation. AISTATS,
#   2020.
# * Rajeswaran A., Finn C., Kakade S., Levine S. Meta-learning with implicit gradients. NeurIPS, 2019.
# * Pedregosa F. Hyperparameter optimization with approximate gradient. ICML, 2016.
# * Wang T., Zhu J.-Y., Torralba A., Efros A. A. Dataset distillation. arXiv:1811.10959, 2018.
# * Запись в блоге о статье Lorraine, Vicol и Duvenaud (2020), 14 ноября 2019 года (её сумма Неймана исправлена выше)
