# %% [markdown] lang="en"
# # Lecture 2. Evidence estimation by gradient descent
#
# **After this lecture you can**
# * read a run of gradient descent as a sequence of distributions over the parameters, and follow its entropy;
# * derive the entropy change of one step, $\log|\det(\mathbf{I} - \beta\mathbf{H})|$, and its trace bound
#   $-\beta\operatorname{Tr}\mathbf{H} - \beta^2\operatorname{Tr}\mathbf{H}^2$, and say when the bound holds;
# * estimate the evidence $\log p(\mathbf{Y} \mid \mathfrak{D}, \mathbf{h})$ along the optimisation, with exact
#   traces or with Hutchinson's estimator;
# * explain why the estimate peaks and then falls, and why that peak is read as the onset of overfitting.

# %% [markdown] lang="ru"
# # Лекция 2. Оценка обоснованности градиентным спуском
#
# **После этой лекции вы сможете**
# * рассматривать запуск градиентного спуска как последовательность распределений на параметрах и следить за
#   их энтропией;
# * выводить изменение энтропии за один шаг, $\log|\det(\mathbf{I} - \beta\mathbf{H})|$, и его оценку через следы
#   $-\beta\operatorname{Tr}\mathbf{H} - \beta^2\operatorname{Tr}\mathbf{H}^2$, и знать, когда эта оценка верна;
# * оценивать обоснованность $\log p(\mathbf{Y} \mid \mathfrak{D}, \mathbf{h})$ по ходу оптимизации — с точными
#   следами или со стохастической оценкой Хатчинсона;
# * объяснять, почему оценка сначала растёт, а потом падает, и почему её максимум трактуют как начало
#   переобучения.

# %%
import ipywidgets as w
import matplotlib.pyplot as plt
import numpy as np
import torch

from metaopt_course.widgets import interact
from metaopt_lib import evidence
from metaopt_lib.data import load_digits
from metaopt_lib.i18n import translator
from metaopt_lib.seeding import set_seed

tr = translator(LANG)
gen = set_seed(0)
torch.set_default_dtype(torch.float64)  # evidence work wants double precision
torch.set_num_threads(1)  # small tensors: extra threads only add overhead

# %% [markdown] lang="en"
# ## 1. Evidence and a variational lower bound
#
# For a model with parameters $\mathbf{w}$ and hyperparameters $\mathbf{h}$ the **evidence** (marginal likelihood)
# is $p(\mathbf{Y} \mid \mathfrak{D}, \mathbf{h}) = \int p(\mathbf{Y} \mid \mathfrak{D}, \mathbf{w})\,
# p(\mathbf{w} \mid \mathbf{h})\,d\mathbf{w}$. For every distribution $q(\mathbf{w})$
#
# $$\log p(\mathbf{Y} \mid \mathfrak{D}, \mathbf{h}) = \underbrace{\mathsf{E}_{q}\log p(\mathbf{Y}, \mathbf{w}
# \mid \mathfrak{D}, \mathbf{h}) + \mathsf{S}(q)}_{\text{ELBO}(q)} + \mathrm{KL}\big(q \,\|\, p(\mathbf{w} \mid
# \mathbf{Y}, \mathfrak{D}, \mathbf{h})\big) \;\ge\; \text{ELBO}(q),$$
#
# where $\mathsf{S}(q) = -\mathsf{E}_q \log q$ is the entropy. We need two things: an expectation of the log joint
# (easy to estimate by sampling) and the **entropy** of $q$. Lecture 1 computed the evidence of Bayesian linear
# regression exactly; here it is the ground truth.

# %% [markdown] lang="ru"
# ## 1. Обоснованность и вариационная нижняя оценка
#
# Для модели с параметрами $\mathbf{w}$ и гиперпараметрами $\mathbf{h}$ **обоснованность** (маргинальное
# правдоподобие) равна $p(\mathbf{Y} \mid \mathfrak{D}, \mathbf{h}) = \int p(\mathbf{Y} \mid \mathfrak{D},
# \mathbf{w})\, p(\mathbf{w} \mid \mathbf{h})\,d\mathbf{w}$. Для любого распределения $q(\mathbf{w})$
#
# $$\log p(\mathbf{Y} \mid \mathfrak{D}, \mathbf{h}) = \underbrace{\mathsf{E}_{q}\log p(\mathbf{Y}, \mathbf{w}
# \mid \mathfrak{D}, \mathbf{h}) + \mathsf{S}(q)}_{\text{ELBO}(q)} + \mathrm{KL}\big(q \,\|\, p(\mathbf{w} \mid
# \mathbf{Y}, \mathfrak{D}, \mathbf{h})\big) \;\ge\; \text{ELBO}(q),$$
#
# где $\mathsf{S}(q) = -\mathsf{E}_q \log q$ — энтропия. Нужны две вещи: математическое ожидание логарифма
# совместного распределения (его легко оценить по выборке) и **энтропия** $q$. В лекции 1 обоснованность
# байесовской линейной регрессии вычислена точно; здесь она служит эталоном.

# %% [markdown] lang="en"
# ## 2. Gradient descent transforms a distribution
#
# Draw a starting point $\mathbf{w}_0 \sim q^0$ and take steps on $L(\mathbf{w}) = -\log p(\mathbf{Y}, \mathbf{w}
# \mid \mathfrak{D}, \mathbf{h})$:
# $\mathbf{w}' = T(\mathbf{w}) = \mathbf{w} - \beta \nabla L(\mathbf{w})$ (the step is $\beta$ here, the letter of
# the slides; elsewhere the course writes $\eta$ — lecture 0). The points $\mathbf{w}_\tau$ are
# distributed by some $q^\tau$ we never write down. If $T$ is a **bijection** — guaranteed when $\nabla L$ is
# Lipschitz with constant $\ell$ and $\beta < 1/\ell$ — the change of variables gives the entropy exactly:
#
# $$\mathsf{S}(q') - \mathsf{S}(q) = \mathsf{E}_{q}\log\big|\det \mathbf{J}_T(\mathbf{w})\big| =
# \mathsf{E}_{q}\log\big|\det\big(\mathbf{I} - \beta\mathbf{H}(\mathbf{w})\big)\big|, \qquad
# \mathbf{H} = \nabla^2 L .$$
#
# A determinant costs $O(d^3)$. With the eigenvalues $\lambda_i$ of $\mathbf{H}$ and $\log(1-x) \ge -x - x^2$
# (true for $x \le 0.68$),
#
# $$\log\big|\det(\mathbf{I} - \beta\mathbf{H})\big| \;\ge\; -\beta\operatorname{Tr}\mathbf{H} -
# \beta^2\operatorname{Tr}\mathbf{H}^2 \qquad \text{when } \beta\,\lambda_{\max}(\mathbf{H}) \le 0.68,$$
#
# so the ELBO stays a lower bound when the determinant is replaced by traces. Averaged over $r$ runs
# (as stated in the 2023 MIPT lecture slides):
#
# $$\mathsf{S}(q') - \mathsf{S}(q) \simeq \frac{1}{r}\sum_{g=1}^{r}\Big(-\beta\operatorname{Tr}\mathbf{H}(\mathbf{w}^g)
# - \beta^2\operatorname{Tr}\big[\mathbf{H}(\mathbf{w}^g)\mathbf{H}(\mathbf{w}^g)\big]\Big),$$
#
# with the Hessian taken at the point where the step starts.

# %% [markdown] lang="ru"
# ## 2. Градиентный спуск преобразует распределение
#
# Выберем начальную точку $\mathbf{w}_0 \sim q^0$ и будем делать шаги по $L(\mathbf{w}) = -\log p(\mathbf{Y},
# \mathbf{w} \mid \mathfrak{D}, \mathbf{h})$: $\mathbf{w}' = T(\mathbf{w}) = \mathbf{w} - \beta \nabla
# L(\mathbf{w})$ (шаг здесь обозначен $\beta$, как в слайдах; в остальном курсе — $\eta$, см. лекцию 0). Точки
# $\mathbf{w}_\tau$ распределены по некоторому $q^\tau$, которое мы никогда не выписываем.
# Если $T$ — **биекция** (это так, когда градиент $\nabla L$ липшицев с константой $\ell$ и $\beta < 1/\ell$),
# замена переменных даёт энтропию точно:
#
# $$\mathsf{S}(q') - \mathsf{S}(q) = \mathsf{E}_{q}\log\big|\det \mathbf{J}_T(\mathbf{w})\big| =
# \mathsf{E}_{q}\log\big|\det\big(\mathbf{I} - \beta\mathbf{H}(\mathbf{w})\big)\big|, \qquad
# \mathbf{H} = \nabla^2 L .$$
#
# Вычисление определителя стоит $O(d^3)$ операций. Через собственные числа $\lambda_i$ матрицы $\mathbf{H}$ и неравенство
# $\log(1-x) \ge -x - x^2$ (верно при $x \le 0.68$) получаем
#
# $$\log\big|\det(\mathbf{I} - \beta\mathbf{H})\big| \;\ge\; -\beta\operatorname{Tr}\mathbf{H} -
# \beta^2\operatorname{Tr}\mathbf{H}^2 \qquad \text{при } \beta\,\lambda_{\max}(\mathbf{H}) \le 0.68,$$
#
# поэтому ELBO остаётся нижней оценкой и после замены определителя следами. Усредняя по $r$ запускам (как в
# слайдах лекций МФТИ 2023 года):
#
# $$\mathsf{S}(q') - \mathsf{S}(q) \simeq \frac{1}{r}\sum_{g=1}^{r}\Big(-\beta\operatorname{Tr}\mathbf{H}(\mathbf{w}^g)
# - \beta^2\operatorname{Tr}\big[\mathbf{H}(\mathbf{w}^g)\mathbf{H}(\mathbf{w}^g)\big]\Big),$$
#
# где гессиан берётся в точке, из которой делается шаг.

# %%
x = np.linspace(-1.0, 0.95, 400)
fig, ax = plt.subplots(figsize=(6, 3.5))
ax.plot(x, np.log(1 - x), label=r"$\log(1 - x)$")
ax.plot(x, -x - x ** 2, "--", label=r"$-x - x^2$")
ax.axvline(evidence.BOUND_RADIUS, color="gray", lw=0.8)
ax.text(evidence.BOUND_RADIUS + 0.01, -2.5, r"$x = 0.68$")
ax.set_xlabel(tr(r"$x = \beta\lambda$ (step times a Hessian eigenvalue)",
                 r"$x = \beta\lambda$ (шаг, умноженный на собственное число гессиана)"))
ax.set_title(tr("The trace bound holds eigenvalue by eigenvalue up to 0.68",
                "Оценка через следы верна для каждого собственного числа до 0,68"))
ax.legend()
plt.show()

# %% [markdown] lang="en"
# ## 3. The estimator
#
# Summing the entropy changes over $\tau$ steps and adding the initial entropy $\mathsf{S}(q^0)$ gives the
# estimate of the evidence after $\tau$ steps (Duvenaud, Maclaurin & Adams 2016; the 2023 MIPT lecture slides
# credit Maclaurin et al. 2015, whose reversible-learning work it grew from):
#
# $$\log \hat p(\mathbf{Y} \mid \mathfrak{D}, \mathbf{h}) = \frac{1}{r}\sum_{g=1}^{r}\log p(\mathbf{Y},
# \mathbf{w}_\tau^g \mid \mathfrak{D}, \mathbf{h}) + \mathsf{S}(q^0) + \frac{1}{r}\sum_{b=0}^{\tau-1}\sum_{g=1}^{r}
# \Big(-\beta\operatorname{Tr}\mathbf{H}(\mathbf{w}_b^g) - \beta^2\operatorname{Tr}\mathbf{H}(\mathbf{w}_b^g)^2\Big).$$
#
# The slides write the first term as $L(\mathbf{w}_\tau^g, \mathfrak{D}, \mathbf{Y})$ with $L$ the **log joint**
# (so it is added, not subtracted); the steps ascend that log joint. We start from the prior,
# $q^0 = p(\mathbf{w} \mid \mathbf{h}) = \mathcal{N}(\mathbf{0}, \alpha^{-1}\mathbf{I})$, on Bayesian linear
# regression. There $\mathbf{H} = \mathbf{X}^\top\mathbf{X}/\sigma^2 + \alpha\mathbf{I}$ is constant, every $q^\tau$
# is Gaussian, and the exact ELBO of $q^\tau$ is available in closed form (`evidence.gd_elbo_gaussian`): a second
# ground truth besides the exact evidence.

# %% [markdown] lang="ru"
# ## 3. Оценка
#
# Суммируя изменения энтропии за $\tau$ шагов и добавляя начальную энтропию $\mathsf{S}(q^0)$, получаем оценку
# обоснованности после $\tau$ шагов (Duvenaud, Maclaurin и Adams, 2016; слайды лекций МФТИ 2023 года ссылаются на
# Maclaurin и др., 2015, — работу об обратимом обучении, из которой выросла эта идея):
#
# $$\log \hat p(\mathbf{Y} \mid \mathfrak{D}, \mathbf{h}) = \frac{1}{r}\sum_{g=1}^{r}\log p(\mathbf{Y},
# \mathbf{w}_\tau^g \mid \mathfrak{D}, \mathbf{h}) + \mathsf{S}(q^0) + \frac{1}{r}\sum_{b=0}^{\tau-1}\sum_{g=1}^{r}
# \Big(-\beta\operatorname{Tr}\mathbf{H}(\mathbf{w}_b^g) - \beta^2\operatorname{Tr}\mathbf{H}(\mathbf{w}_b^g)^2\Big).$$
#
# В слайдах первое слагаемое записано как $L(\mathbf{w}_\tau^g, \mathfrak{D}, \mathbf{Y})$, где $L$ —
# **логарифм совместного распределения** (поэтому оно прибавляется, а не вычитается); шаги делаются в сторону его
# роста. Начинаем с априорного распределения $q^0 = p(\mathbf{w} \mid \mathbf{h}) = \mathcal{N}(\mathbf{0},
# \alpha^{-1}\mathbf{I})$ на байесовской линейной регрессии. Здесь $\mathbf{H} = \mathbf{X}^\top\mathbf{X}/\sigma^2
# + \alpha\mathbf{I}$ постоянна, каждое $q^\tau$ гауссово, и точное ELBO для $q^\tau$ известно в явном виде
# (`evidence.gd_elbo_gaussian`) — второй эталон, помимо точной обоснованности.

# %%
n, d, noise_var = 40, 8, 0.25
X = torch.randn(n, d, generator=gen)
y = X @ torch.randn(d, generator=gen) + noise_var ** 0.5 * torch.randn(n, generator=gen)


def run_blr(alpha, beta_scale=0.5, steps=40, n_runs=10, seed=1):
    """Estimator (exact traces) and the exact Gaussian ELBO along gradient ascent from the prior."""
    H, b, c = evidence.blr_quadratic(X, y, alpha, noise_var)
    beta = beta_scale / float(torch.linalg.eigvalsh(H).max())
    est = evidence.evidence_gd(evidence.log_joint_blr(X, y, alpha, noise_var), torch.zeros(d), alpha ** -0.5,
                               beta, steps, n_runs=n_runs, generator=torch.Generator().manual_seed(seed))
    exact_elbo = evidence.gd_elbo_gaussian(H, b, c, torch.zeros(d), torch.eye(d) / alpha, beta, steps)
    return est, exact_elbo, float(evidence.log_evidence_blr(X, y, alpha, noise_var))


est, exact_elbo, log_ev = run_blr(alpha=1.0)
peak = int(est.log_evidence.argmax())
fig, axes = plt.subplots(1, 2, figsize=(11, 3.8))
axes[0].plot(est.log_evidence, label=tr("estimate (traces, r = 10)", "оценка (следы, r = 10)"))
axes[0].plot(exact_elbo, "--", label=tr("exact ELBO of $q^\\tau$", "точное ELBO для $q^\\tau$"))
axes[0].axhline(log_ev, color="k", lw=0.8, label=tr("exact log evidence", "точная log-обоснованность"))
axes[0].axvline(peak, color="gray", ls=":", label=tr(f"peak at step {peak}", f"максимум на шаге {peak}"))
axes[0].set_ylim(log_ev - 60, log_ev + 5)
axes[0].set_xlabel(tr("gradient steps $\\tau$", "шаги градиентного спуска $\\tau$"))
axes[0].set_ylabel(tr("log evidence estimate", "оценка log-обоснованности"))
axes[0].legend(fontsize=8)
axes[1].plot(est.energy, label=tr("$E_q \\log p(Y, w)$ (energy)", "$E_q \\log p(Y, w)$ (энергия)"))
axes[1].plot(est.entropy, label=tr("entropy $S(q^\\tau)$", "энтропия $S(q^\\tau)$"))
axes[1].set_xlabel(tr("gradient steps $\\tau$", "шаги градиентного спуска $\\tau$"))
axes[1].legend(fontsize=8)
plt.tight_layout()
plt.show()
print(tr(f"exact log evidence {log_ev:.2f}; best estimate {float(est.log_evidence.max()):.2f} at step {peak}; "
         f"best exact ELBO along the run {float(exact_elbo.max()):.2f}",
         f"точная log-обоснованность {log_ev:.2f}; лучшая оценка {float(est.log_evidence.max()):.2f} на шаге "
         f"{peak}; лучшее точное ELBO на траектории {float(exact_elbo.max()):.2f}"))

# %% [markdown] lang="en"
# ## 4. Why the estimate peaks: the onset of overfitting
#
# The energy term climbs while the runs move from the prior towards the mode; the entropy term only falls. Here
# $\mathbf{H}$ is positive definite and $0 < \beta\lambda_i < 2$, so every step contracts the cloud of runs by
# $|\det(\mathbf{I} - \beta\mathbf{H})| < 1$. (That needs a positive-definite $\mathbf{H}$: near a saddle point or
# a maximum of a non-convex loss, $\mathbf{H}$ has negative eigenvalues, a step stretches the cloud along their
# directions, and the entropy can grow.) Gradient descent does **not**
# minimise $\mathrm{KL}(q \,\|\, p(\mathbf{w} \mid \mathfrak{D}, \mathbf{h}))$: it keeps shrinking $q^\tau$
# towards a point, past the width of the posterior, and as $\tau \to \infty$ the entropy goes to $-\infty$.
# The estimate therefore rises, peaks and falls. Duvenaud et al. read the peak as the point where further
# optimisation starts to overfit; stopping there ("early stopping") picks the best variational approximation that
# this implicit family offers. The estimate stays below the exact evidence: gradient descent shrinks every
# direction by its own factor $(1 - \beta\lambda_i)$, while the posterior would need the covariance
# $\mathbf{H}^{-1}$, so the KL gap never closes.

# %% [markdown] lang="ru"
# ## 4. Почему у оценки есть максимум: начало переобучения
#
# Энергия растёт, пока запуски движутся от априорного распределения к моде; энтропия только убывает. Здесь
# $\mathbf{H}$ положительно определена и $0 < \beta\lambda_i < 2$, поэтому каждый шаг сжимает облако запусков в
# $1/|\det(\mathbf{I} - \beta\mathbf{H})| > 1$ раз. (Для этого нужна положительная определённость $\mathbf{H}$:
# около седловой точки или максимума невыпуклой функции потерь у $\mathbf{H}$ есть отрицательные собственные
# числа, шаг растягивает облако вдоль соответствующих направлений, и энтропия может расти.) Градиентный спуск **не** минимизирует
# $\mathrm{KL}(q \,\|\, p(\mathbf{w} \mid \mathfrak{D}, \mathbf{h}))$: он продолжает стягивать $q^\tau$ к точке —
# до ширины меньше, чем у апостериорного распределения, — и при $\tau \to \infty$ энтропия стремится к $-\infty$.
# Поэтому оценка растёт, достигает максимума и падает. Duvenaud и др. трактуют максимум как момент, после
# которого дальнейшая оптимизация начинает переобучать; остановка в этот момент (ранняя остановка) даёт лучшее
# вариационное приближение в этом неявном семействе. Оценка остаётся ниже точной обоснованности: градиентный спуск
# сжимает каждое направление со своим множителем $(1 - \beta\lambda_i)$, а апостериорному распределению нужна
# ковариация $\mathbf{H}^{-1}$, так что разрыв KL не исчезает.

# %% [markdown] lang="en"
# ### Try it: step size and prior precision
#
# Move $\beta\lambda_{\max}$ above 0.68 and the trace bound is no longer a bound: the estimate can rise above
# the exact ELBO of the same runs. Move $\alpha$ and watch the peak and the exact evidence move together.

# %% [markdown] lang="ru"
# ### Попробуйте: шаг и точность априорного распределения
#
# Поднимите $\beta\lambda_{\max}$ выше 0,68 — и оценка через следы перестаёт быть нижней: она может оказаться
# выше точного ELBO тех же запусков. Меняйте $\alpha$ и следите, как вместе смещаются максимум оценки и точная
# обоснованность.

# %%
def explore(beta_scale, alpha):
    est, exact_elbo, log_ev = run_blr(alpha, beta_scale=beta_scale, steps=25, n_runs=3)
    fig, ax = plt.subplots(figsize=(6.5, 3.5))
    ax.plot(est.log_evidence, label=tr("estimate (traces)", "оценка (следы)"))
    ax.plot(exact_elbo, "--", label=tr("exact ELBO of $q^\\tau$", "точное ELBO для $q^\\tau$"))
    ax.axhline(log_ev, color="k", lw=0.8, label=tr("exact log evidence", "точная log-обоснованность"))
    ax.set_ylim(log_ev - 80, log_ev + 10)
    ax.set_xlabel(tr("gradient steps", "шаги градиентного спуска"))
    ax.set_title(tr(f"β·λmax = {beta_scale:.2f}, α = {alpha:.3g}", f"β·λmax = {beta_scale:.2f}, α = {alpha:.3g}"))
    ax.legend(fontsize=8)
    plt.show()


interact(explore,
         beta_scale=w.FloatSlider(value=0.5, min=0.1, max=0.95, step=0.05,
                                  description=tr("β·λmax", "β·λmax")),
         alpha=w.FloatLogSlider(value=1.0, base=10, min=-2, max=2, step=0.25, description="α"))

# %% [markdown] lang="en"
# ## 5. Choosing a hyperparameter with the estimate
#
# The point of an evidence estimate is model selection. For several prior precisions $\alpha$ we take the peak
# of the estimate and compare it with the exact evidence: the estimate is biased low, but it ranks the $\alpha$
# in the same order (this is a test of `metaopt_lib`).

# %% [markdown] lang="ru"
# ## 5. Выбор гиперпараметра по оценке
#
# Оценка обоснованности нужна для выбора модели. Для нескольких значений точности априорного распределения
# $\alpha$ возьмём максимум оценки и сравним с точной обоснованностью: оценка смещена вниз, но упорядочивает
# значения $\alpha$ так же (это проверяется тестами `metaopt_lib`).

# %%
grid = np.logspace(-3, 2.5, 40)
exact_curve = [float(evidence.log_evidence_blr(X, y, a, noise_var)) for a in grid]
alphas = [1e-2, 1e-1, 1.0, 10.0, 100.0]
peaks = [float(run_blr(a, steps=35, n_runs=5)[0].log_evidence.max()) for a in alphas]
fig, ax = plt.subplots(figsize=(6.5, 3.5))
ax.semilogx(grid, exact_curve, label=tr("exact log evidence", "точная log-обоснованность"))
ax.semilogx(alphas, peaks, "o--", label=tr("peak of the GD estimate", "максимум оценки градиентным спуском"))
ax.set_xlabel(tr("prior precision α", "точность априорного распределения α"))
ax.set_ylabel("log p(Y | X, α)")
ax.legend()
plt.show()
print(tr("order by exact evidence:", "порядок по точной обоснованности:"),
      [alphas[i] for i in np.argsort([float(evidence.log_evidence_blr(X, y, a, noise_var)) for a in alphas])])
print(tr("order by the estimate:  ", "порядок по оценке:                "), [alphas[i] for i in np.argsort(peaks)])

# %% [markdown] lang="en"
# ## 6. Larger models: Hutchinson's trace estimator
#
# For $d$ parameters the full Hessian costs $d$ Hessian-vector products and $O(d^2)$ memory. Hutchinson's
# estimator needs none of it: for a random vector $\mathbf{v}$ with independent $\pm 1$ entries,
# $\mathsf{E}\,\mathbf{v}^\top\mathbf{H}\mathbf{v} = \operatorname{Tr}\mathbf{H}$, and with $\mathbf{u} =
# \mathbf{H}\mathbf{v}$ (one Hessian-vector product through `torch.func`) also $\mathsf{E}\,\mathbf{u}^\top\mathbf{u}
# = \operatorname{Tr}\mathbf{H}^2$. Below: logistic regression on digits "3" against "8" ($d = 65$, prior
# $\mathcal{N}(\mathbf{0}, \mathbf{I})$), the estimate with exact traces and with 4 Hutchinson probes per run,
# and the held-out accuracy of the final runs.

# %% [markdown] lang="ru"
# ## 6. Большие модели: стохастическая оценка следа Хатчинсона
#
# Для $d$ параметров полный гессиан стоит $d$ умножений гессиана на вектор и $O(d^2)$ памяти. Оценке Хатчинсона
# это не нужно: для случайного вектора $\mathbf{v}$ с независимыми компонентами $\pm 1$ верно
# $\mathsf{E}\,\mathbf{v}^\top\mathbf{H}\mathbf{v} = \operatorname{Tr}\mathbf{H}$, а при $\mathbf{u} =
# \mathbf{H}\mathbf{v}$ (одно умножение гессиана на вектор через `torch.func`) ещё и $\mathsf{E}\,
# \mathbf{u}^\top\mathbf{u} = \operatorname{Tr}\mathbf{H}^2$. Ниже логистическая регрессия на цифрах «3» против
# «8» ($d = 65$, априорное распределение $\mathcal{N}(\mathbf{0}, \mathbf{I})$): оценка с точными следами и с
# четырьмя пробными векторами Хатчинсона на запуск, и точность итоговых запусков на отложенной выборке.

# %%
digits = load_digits()
keep_tr = (digits.y_train == 3) | (digits.y_train == 8)
keep_te = (digits.y_test == 3) | (digits.y_test == 8)
Xd = torch.cat([digits.X_train[keep_tr], torch.ones(int(keep_tr.sum()), 1)], 1).double()
td = (digits.y_train[keep_tr] == 8).double()
Xte = torch.cat([digits.X_test[keep_te], torch.ones(int(keep_te.sum()), 1)], 1).double()
tte = (digits.y_test[keep_te] == 8).double()


def log_joint_logistic(wv):
    z = Xd @ wv
    return (td * z - torch.nn.functional.softplus(z)).sum() - 0.5 * (wv @ wv) - 0.5 * wv.numel() * np.log(2 * np.pi)


lipschitz = float(torch.linalg.eigvalsh(Xd.T @ Xd / 4).max()) + 1.0  # ‖∇²L‖ ≤ ‖X‖²/4 + 1
beta = 0.5 / lipschitz
common = dict(init_mean=torch.zeros(65), init_std=1.0, beta=beta, steps=40, n_runs=3)
exact_run = evidence.evidence_gd(log_joint_logistic, generator=torch.Generator().manual_seed(0), **common)
hutch_run = evidence.evidence_gd(log_joint_logistic, n_probes=4, generator=torch.Generator().manual_seed(0),
                                 **common)
print(tr(f"final accuracy of the runs on held-out digits: "
         f"{float(((Xte @ exact_run.weights.T > 0).double() == tte[:, None]).double().mean()):.3f}",
         f"итоговая точность запусков на отложенных цифрах: "
         f"{float(((Xte @ exact_run.weights.T > 0).double() == tte[:, None]).double().mean()):.3f}"))
fig, ax = plt.subplots(figsize=(6.5, 3.5))
ax.plot(exact_run.log_evidence, label=tr("exact traces", "точные следы"))
ax.plot(hutch_run.log_evidence, "--", label=tr("Hutchinson, 4 probes", "Хатчинсон, 4 пробных вектора"))
ax.set_xlabel(tr("gradient steps", "шаги градиентного спуска"))
ax.set_ylabel(tr("log evidence estimate", "оценка log-обоснованности"))
ax.legend()
plt.show()

# %% [markdown] lang="en"
# ## Check yourself
#
# 1. Why must the gradient step be a bijection for the entropy formula, and what condition on $\beta$ ensures it?
#    <details><summary>Answer</summary>
#
#    The change of variables $q'(T(\mathbf{w})) = q(\mathbf{w}) / |\det \mathbf{J}_T(\mathbf{w})|$ needs $T$ to be
#    one-to-one; otherwise the densities of several points add up at one image. If $\nabla L$ is $\ell$-Lipschitz
#    and $\beta < 1/\ell$, then
#    $\|T(\mathbf{w}) - T(\mathbf{w}')\| \ge (1 - \beta\ell)\|\mathbf{w} - \mathbf{w}'\| > 0$ for
#    $\mathbf{w} \ne \mathbf{w}'$.
#
#    </details>
# 2. Show that $\log(1 - x) \ge -x - x^2$ for $x \le 0.68$ and that it fails slightly above. What happens to the
#    estimate if $\beta\lambda_{\max} = 0.9$?
#    <details><summary>Answer</summary>
#
#    Let $g(x) = \log(1 - x) + x + x^2$; $g(0) = 0$ and $g'(x) = x(1 - 2x)/(1 - x)$. So $g$ decreases on $x \le 0$
#    (hence $g \ge 0$ there), increases on $[0, 1/2]$ and decreases after, crossing zero near $x \approx 0.684$
#    ($g(0.68) \approx 0.003$, $g(0.69) \approx -0.005$). At $\beta\lambda_{\max} = 0.9$ the term of the largest
#    eigenvalue is $-1.71$ instead of $\log 0.1 = -2.30$: the traces overstate the entropy, and the estimate is no
#    longer a lower bound — it can exceed the evidence.
#
#    </details>
# 3. Why does the entropy of $q^\tau$ go to $-\infty$ while the energy stays bounded? What does the maximum of the
#    estimate mean?
#    <details><summary>Answer</summary>
#
#    Each step multiplies the volume of the cloud by $|\det(\mathbf{I} - \beta\mathbf{H})| < 1$ (a constant here),
#    so $\mathsf{S}(q^\tau)$ falls linearly in $\tau$ to $-\infty$, while the energy tends to the finite log joint
#    at the mode. The maximum is the step after which the gain in fit no longer pays for the lost entropy: the best
#    member of the implicit variational family, read as the onset of overfitting (early stopping).
#
#    </details>
# 4. Hutchinson's estimator of $\operatorname{Tr}\mathbf{H}$ is unbiased. Is $-\beta\,\mathbf{v}^\top\mathbf{H}\mathbf{v}
#    - \beta^2\|\mathbf{H}\mathbf{v}\|^2$ an unbiased estimate of the trace bound? Of $\log|\det(\mathbf{I} -
#    \beta\mathbf{H})|$?
#    <details><summary>Answer</summary>
#
#    Yes for the trace bound: for probes with $\mathsf{E}\,\mathbf{v}\mathbf{v}^\top = \mathbf{I}$,
#    $\mathsf{E}\,\mathbf{v}^\top\mathbf{H}\mathbf{v} = \operatorname{Tr}\mathbf{H}$ and
#    $\mathsf{E}\|\mathbf{H}\mathbf{v}\|^2 = \mathsf{E}\,\mathbf{v}^\top\mathbf{H}^2\mathbf{v} = \operatorname{Tr}\mathbf{H}^2$.
#    No for $\log|\det(\mathbf{I} - \beta\mathbf{H})|$: the expression estimates the bound, which lies below the
#    log-determinant.
#
#    </details>
# 5. Why is the estimate below the exact evidence even on a linear-Gaussian model, where every $q^\tau$ is Gaussian?
#    <details><summary>Answer</summary>
#
#    $q^\tau$ has the covariance $\alpha^{-1}(\mathbf{I} - \beta\mathbf{H})^{2\tau}$: gradient descent shrinks the
#    eigendirection $i$ of the prior by $(1 - \beta\lambda_i)^\tau$, while the posterior needs the covariance
#    $\mathbf{H}^{-1}$, i.e. $1/\lambda_i$ in direction $i$. The directions would need different numbers of steps,
#    so for every $\tau$ the gap $\mathrm{KL}(q^\tau \,\|\, p(\mathbf{w} \mid \mathfrak{D}, \mathbf{h})) > 0$ (and
#    the trace bound adds its own gap).
#
#    </details>

# %% [markdown] lang="ru"
# ## Проверьте себя
#
# 1. Почему для формулы энтропии шаг градиентного спуска должен быть биекцией и какое условие на $\beta$ это
#    гарантирует?
#    <details><summary>Ответ</summary>
#
#    Замена переменных $q'(T(\mathbf{w})) = q(\mathbf{w}) / |\det \mathbf{J}_T(\mathbf{w})|$ требует, чтобы $T$
#    было взаимно однозначным; иначе в одном образе складываются плотности нескольких точек. Если $\nabla L$
#    липшицев с константой $\ell$ и $\beta < 1/\ell$, то
#    $\|T(\mathbf{w}) - T(\mathbf{w}')\| \ge (1 - \beta\ell)\|\mathbf{w} - \mathbf{w}'\| > 0$ при
#    $\mathbf{w} \ne \mathbf{w}'$.
#
#    </details>
# 2. Докажите, что $\log(1 - x) \ge -x - x^2$ при $x \le 0.68$ и что чуть выше неравенство нарушается. Что
#    произойдёт с оценкой при $\beta\lambda_{\max} = 0.9$?
#    <details><summary>Ответ</summary>
#
#    Пусть $g(x) = \log(1 - x) + x + x^2$; $g(0) = 0$ и $g'(x) = x(1 - 2x)/(1 - x)$. Значит, $g$ убывает при
#    $x \le 0$ (поэтому там $g \ge 0$), возрастает на $[0, 1/2]$ и затем убывает, переходя через ноль около
#    $x \approx 0.684$ ($g(0.68) \approx 0.003$, $g(0.69) \approx -0.005$). При $\beta\lambda_{\max} = 0.9$
#    слагаемое наибольшего собственного числа равно $-1.71$ вместо $\log 0.1 = -2.30$: следы завышают энтропию, и
#    оценка перестаёт быть нижней — она может превысить обоснованность.
#
#    </details>
# 3. Почему энтропия $q^\tau$ стремится к $-\infty$, а энергия остаётся ограниченной? Что означает максимум оценки?
#    <details><summary>Ответ</summary>
#
#    Каждый шаг умножает объём облака на $|\det(\mathbf{I} - \beta\mathbf{H})| < 1$ (здесь это константа), поэтому
#    $\mathsf{S}(q^\tau)$ линейно по $\tau$ убывает до $-\infty$, а энергия стремится к конечному значению
#    логарифма совместного распределения в моде. Максимум — это шаг, после которого выигрыш в качестве подгонки уже
#    не окупает потерю энтропии: лучший элемент неявного вариационного семейства, который трактуют как начало
#    переобучения (ранняя остановка).
#
#    </details>
# 4. Оценка Хатчинсона для $\operatorname{Tr}\mathbf{H}$ несмещённая. Является ли $-\beta\,\mathbf{v}^\top
#    \mathbf{H}\mathbf{v} - \beta^2\|\mathbf{H}\mathbf{v}\|^2$ несмещённой оценкой для оценки через следы? А для
#    $\log|\det(\mathbf{I} - \beta\mathbf{H})|$?
#    <details><summary>Ответ</summary>
#
#    Для оценки через следы — да: для пробных векторов с $\mathsf{E}\,\mathbf{v}\mathbf{v}^\top = \mathbf{I}$ верно
#    $\mathsf{E}\,\mathbf{v}^\top\mathbf{H}\mathbf{v} = \operatorname{Tr}\mathbf{H}$ и
#    $\mathsf{E}\|\mathbf{H}\mathbf{v}\|^2 = \mathsf{E}\,\mathbf{v}^\top\mathbf{H}^2\mathbf{v} = \operatorname{Tr}\mathbf{H}^2$.
#    Для $\log|\det(\mathbf{I} - \beta\mathbf{H})|$ — нет: выражение оценивает нижнюю границу, которая лежит ниже
#    логарифма определителя.
#
#    </details>
# 5. Почему оценка ниже точной обоснованности даже для линейно-гауссовой модели, где каждое $q^\tau$ гауссово?
#    <details><summary>Ответ</summary>
#
#    Ковариация $q^\tau$ равна $\alpha^{-1}(\mathbf{I} - \beta\mathbf{H})^{2\tau}$: градиентный спуск сжимает $i$-е
#    собственное направление априорного распределения в $(1 - \beta\lambda_i)^{-\tau}$ раз, а апостериорному
#    распределению нужна ковариация $\mathbf{H}^{-1}$, то есть $1/\lambda_i$ в направлении $i$. Разным направлениям
#    нужно разное число шагов, поэтому при любом $\tau$ разрыв
#    $\mathrm{KL}(q^\tau \,\|\, p(\mathbf{w} \mid \mathfrak{D}, \mathbf{h})) > 0$ (и оценка через следы добавляет
#    свой разрыв).
#
#    </details>

# %% [markdown] lang="en"
# ## References
#
# * Duvenaud D., Maclaurin D., Adams R. P. Early stopping as nonparametric variational inference. AISTATS, 2016.
# * Maclaurin D., Duvenaud D., Adams R. P. Gradient-based hyperparameter optimization through reversible learning.
#   ICML, 2015.
# * Hutchinson M. F. A stochastic estimator of the trace of the influence matrix for Laplacian smoothing splines.
#   Communications in Statistics — Simulation and Computation, 1990.
# * Bishop C. M. Pattern Recognition and Machine Learning, §3.5. Springer, 2006.
# * Metaparameters and metaoptimization. Lecture slides, MIPT, 2023 (the slides on gradient descent for evidence
#   estimation).

# %% [markdown] lang="ru"
# ## Литература
#
# * Duvenaud D., Maclaurin D., Adams R. P. Early stopping as nonparametric variational inference. AISTATS, 2016.
# * Maclaurin D., Duvenaud D., Adams R. P. Gradient-based hyperparameter optimization through reversible learning.
#   ICML, 2015.
# * Hutchinson M. F. A stochastic estimator of the trace of the influence matrix for Laplacian smoothing splines.
#   Communications in Statistics — Simulation and Computation, 1990.
# * Bishop C. M. Pattern Recognition and Machine Learning, §3.5. Springer, 2006.
# * Metaparameters and metaoptimization. Слайды лекций, МФТИ, 2023 (слайды об оценке обоснованности градиентным
#   спуском).
