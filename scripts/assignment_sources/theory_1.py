# %% [markdown]
# # Theory 1. The variational bound with a structure Γ
#
# **How this assignment works.** It has two parts of about equal weight:
# 1. **Proof (10 points, graded by hand).** Write the proof in the answer cell below the statement, in Markdown
#    with LaTeX formulas (`$...$`, `$$...$$`). The rubric under the answer cell lists the steps the grader looks for.
# 2. **Code (10 points, graded automatically).** Implement the functions marked `# YOUR CODE HERE`. Every function
#    is followed by a locked test cell: the visible checks are there to help you, hidden checks run your function on
#    random instances drawn for you and compare the result with the instructor's reference solution on the same
#    instances. Each function is graded on its own: the tests never feed it the output of your other functions.
#
# Do not rename the functions, do not edit or delete the locked cells. Work in `float64`. Before submitting, run
# the whole notebook (*Kernel → Restart & Run All*), save it and run the self-check cell at the end.
#
# ---
#
# # Теория 1. Вариационная оценка при структуре Γ
#
# **Как устроено задание.** Две части примерно одинакового веса:
# 1. **Доказательство (10 баллов, проверяется вручную).** Запишите доказательство в ячейке ответа под
#    утверждением: Markdown с формулами LaTeX (`$...$`, `$$...$$`). Под ячейкой ответа — критерии оценивания:
#    какие шаги ищет проверяющий.
# 2. **Код (10 баллов, проверяется автоматически).** Реализуйте функции, помеченные `# ВАШ КОД ЗДЕСЬ`. За каждой
#    функцией идёт закрытая ячейка с тестами: открытые проверки помогают вам, скрытые запускают вашу функцию на
#    случайных примерах, порождённых для вас, и сравнивают результат с эталонным решением на тех же примерах.
#    Каждая функция оценивается отдельно: тесты не подают ей результаты других ваших функций.
#
# Не переименовывайте функции, не меняйте и не удаляйте закрытые ячейки. Считайте в `float64`. Перед сдачей
# выполните весь ноутбук (*Kernel → Restart & Run All*), сохраните его и запустите ячейку самопроверки в конце.

# %% nb="setup" gid="setup"
import math
import os

import numpy as np
import torch

from metaopt_course.grading import check_close, check_true, hidden_generator, probe
from metaopt_lib.seeding import set_seed

GRADING = bool(os.environ.get("NBGRADER_EXECUTION"))  # True while the notebook is being graded
torch.set_default_dtype(torch.float64)
set_seed(0)

# The four structures Γ ∈ {0,1}², always in this order / четыре структуры Γ ∈ {0,1}², всегда в этом порядке
STRUCTURES = torch.tensor([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])


def structure_log_prior(pi):
    """log p(Γ|h) for the four structures: independent Bernoulli(π_j) switches / независимые Бернулли(π_j)."""
    pi = torch.as_tensor(pi, dtype=torch.float64)
    return (STRUCTURES * torch.log(pi) + (1 - STRUCTURES) * torch.log1p(-pi)).sum(dim=1)


def example_problem(seed=0, n=8):
    """A small random instance: X [n,2], y [n], alpha [2], noise_var, pi [2]."""
    g = torch.Generator().manual_seed(seed)
    X = torch.randn(n, 2, generator=g)
    w = torch.tensor([1.5, 0.0])
    y = X @ w + 0.5 * torch.randn(n, generator=g)
    return X, y, torch.tensor([1.0, 2.0]), 0.25, torch.tensor([0.6, 0.3])


X0, y0, alpha0, noise0, pi0 = example_problem()
# log p(y | X, Γ, h) of the four structures on this example (what 2.1 returns) / что возвращает 2.1 на этом примере
log_ev0 = torch.tensor([-64.91408565141376, -66.34134982390316, -8.047150465609613, -8.12996863850838])

# %% [markdown]
# ## The model and the statement
#
# Data $\mathcal D = (\mathbf X, \mathbf y)$, $\mathbf X \in \mathbb R^{n\times 2}$. A **structure**
# $\Gamma = (\Gamma_1, \Gamma_2) \in \{0,1\}^2$ switches the two weights on and off. Prior (hyperparameters
# $\mathbf h = (\boldsymbol\alpha, \boldsymbol\pi, \sigma^2)$):
# $$p(\Gamma|\mathbf h) = \prod_{j=1}^2 \pi_j^{\Gamma_j}(1-\pi_j)^{1-\Gamma_j},\qquad
#   p(\mathbf w|\Gamma, \mathbf h) = \mathcal N(\mathbf w\,|\,\mathbf 0, \mathbf A^{-1}),\ \mathbf A = \operatorname{diag}(\boldsymbol\alpha),$$
# likelihood $p(\mathbf y|\mathbf X, \mathbf w, \Gamma) = \mathcal N(\mathbf y\,|\,\mathbf X_\Gamma \mathbf w, \sigma^2 \mathbf I)$
# with $\mathbf X_\Gamma = \mathbf X \operatorname{diag}(\Gamma)$.
# The variational distribution is $q(\mathbf w, \Gamma) = q(\Gamma)\, q(\mathbf w|\Gamma)$ with a categorical
# $q(\Gamma)$ over the four structures and $q(\mathbf w|\Gamma) = \mathcal N(\mathbf m_\Gamma, \mathbf S_\Gamma)$.
#
# **Statement 1.** Let the prior of the parameters depend on the structure, $\mathbf w \sim p(\mathbf w|\Gamma,\mathbf h)$,
# $\Gamma \sim p(\Gamma|\mathbf h)$, and let $q(\mathbf w, \Gamma) = q(\Gamma)q(\mathbf w|\Gamma)$. Then the
# variational lower bound of the log evidence is
# $$\log p(\mathbf y|\mathbf X, \mathbf h) \;\ge\; \mathcal L(q) =
#   \mathbb E_{q(\mathbf w,\Gamma)} \log p(\mathbf y|\mathbf X, \mathbf w, \Gamma)
#   - \mathrm{KL}\big(q(\Gamma)\,\|\,p(\Gamma|\mathbf h)\big)
#   - \mathbb E_{\Gamma\sim q(\Gamma)} \mathrm{KL}\big(q(\mathbf w|\Gamma)\,\|\,p(\mathbf w|\Gamma,\mathbf h)\big),$$
# and the gap is $\log p(\mathbf y|\mathbf X,\mathbf h) - \mathcal L(q) = \mathrm{KL}\big(q(\mathbf w,\Gamma)\,\|\,p(\mathbf w,\Gamma|\mathbf y,\mathbf X,\mathbf h)\big) \ge 0$
# (equality iff $q$ is the posterior). Prove it: write out the divergence. Mind a slip in the lecture slide, which
# equates KL with the ELBO: the correct identity is $\log p(\mathcal D|\mathbf h) = \mathrm{ELBO} + \mathrm{KL}(q\,\|\,p(\cdot|\mathcal D,\mathbf h))$.
# The proof is for general densities (sums over Γ may be integrals); the model above is only for the code part.
#
# ---
#
# ## Модель и утверждение
#
# Выборка $\mathcal D = (\mathbf X, \mathbf y)$, $\mathbf X \in \mathbb R^{n\times 2}$. **Структура**
# $\Gamma = (\Gamma_1, \Gamma_2) \in \{0,1\}^2$ включает и выключает два параметра. Априорное распределение
# (гиперпараметры $\mathbf h = (\boldsymbol\alpha, \boldsymbol\pi, \sigma^2)$):
# $$p(\Gamma|\mathbf h) = \prod_{j=1}^2 \pi_j^{\Gamma_j}(1-\pi_j)^{1-\Gamma_j},\qquad
#   p(\mathbf w|\Gamma, \mathbf h) = \mathcal N(\mathbf w\,|\,\mathbf 0, \mathbf A^{-1}),\ \mathbf A = \operatorname{diag}(\boldsymbol\alpha),$$
# правдоподобие $p(\mathbf y|\mathbf X, \mathbf w, \Gamma) = \mathcal N(\mathbf y\,|\,\mathbf X_\Gamma \mathbf w, \sigma^2 \mathbf I)$,
# где $\mathbf X_\Gamma = \mathbf X \operatorname{diag}(\Gamma)$.
# Вариационное распределение $q(\mathbf w, \Gamma) = q(\Gamma)\, q(\mathbf w|\Gamma)$: категориальное $q(\Gamma)$
# на четырёх структурах и $q(\mathbf w|\Gamma) = \mathcal N(\mathbf m_\Gamma, \mathbf S_\Gamma)$.
#
# **Утверждение 1.** Пусть априорное распределение параметров зависит от структуры:
# $\mathbf w \sim p(\mathbf w|\Gamma,\mathbf h)$, $\Gamma \sim p(\Gamma|\mathbf h)$, и $q(\mathbf w, \Gamma) = q(\Gamma)q(\mathbf w|\Gamma)$.
# Тогда вариационная нижняя оценка логарифма обоснованности имеет вид
# $$\log p(\mathbf y|\mathbf X, \mathbf h) \;\ge\; \mathcal L(q) =
#   \mathbb E_{q(\mathbf w,\Gamma)} \log p(\mathbf y|\mathbf X, \mathbf w, \Gamma)
#   - \mathrm{KL}\big(q(\Gamma)\,\|\,p(\Gamma|\mathbf h)\big)
#   - \mathbb E_{\Gamma\sim q(\Gamma)} \mathrm{KL}\big(q(\mathbf w|\Gamma)\,\|\,p(\mathbf w|\Gamma,\mathbf h)\big),$$
# а разрыв равен $\log p(\mathbf y|\mathbf X,\mathbf h) - \mathcal L(q) = \mathrm{KL}\big(q(\mathbf w,\Gamma)\,\|\,p(\mathbf w,\Gamma|\mathbf y,\mathbf X,\mathbf h)\big) \ge 0$
# (равенство тогда и только тогда, когда $q$ — апостериорное распределение). Докажите это, расписав дивергенцию.
# Осторожно: на слайде лекции KL приравнена к ELBO — это опечатка; верно
# $\log p(\mathcal D|\mathbf h) = \mathrm{ELBO} + \mathrm{KL}(q\,\|\,p(\cdot|\mathcal D,\mathbf h))$.
# Доказательство — для произвольных плотностей (суммы по Γ могут быть интегралами); модель выше нужна только для кода.

# %% [markdown] nb="manual" gid="proof" points=10
# **Proof / Доказательство.**
#
# Write $p(\mathbf y,\mathbf w,\Gamma|\mathbf X,\mathbf h) = p(\mathbf y|\mathbf X,\mathbf w,\Gamma)\,p(\mathbf w|\Gamma,\mathbf h)\,p(\Gamma|\mathbf h)$
# and let $\operatorname{supp} q \subseteq \operatorname{supp} p(\mathbf w,\Gamma|\mathbf h)$ and $p(\mathbf y|\mathbf X,\mathbf w,\Gamma) > 0$ on $\operatorname{supp} q$
# (otherwise $\mathrm{KL}(q\|p(\mathbf w,\Gamma|\mathbf h)) = +\infty$ or $\mathbb E_q\log p(\mathbf y|\mathbf X,\mathbf w,\Gamma) = -\infty$, so $\mathcal L(q) = -\infty$ and the bound
# is trivial); then the posterior is positive on $\operatorname{supp} q$ and every logarithm below is finite $q$-a.e.
# We also take $\mathcal L(q)$ finite, so the expectations below can be split without $\infty-\infty$.
# / Пусть носитель $q$ лежит в носителе априорного распределения и правдоподобие положительно на нём (иначе $\mathcal L(q) = -\infty$
# и оценка тривиальна); тогда апостериорное распределение положительно на носителе $q$.
#
# *Step 1 (Bayes).* For every $(\mathbf w,\Gamma)$ with $q>0$:
# $\log p(\mathbf y|\mathbf X,\mathbf h) = \log p(\mathbf y,\mathbf w,\Gamma|\mathbf X,\mathbf h) - \log p(\mathbf w,\Gamma|\mathbf y,\mathbf X,\mathbf h)$.
# The left side does not depend on $(\mathbf w,\Gamma)$; take $\mathbb E_q$ and add and subtract $\log q(\mathbf w,\Gamma)$:
# $$\log p(\mathbf y|\mathbf X,\mathbf h) = \underbrace{\mathbb E_q \log\frac{p(\mathbf y,\mathbf w,\Gamma|\mathbf X,\mathbf h)}{q(\mathbf w,\Gamma)}}_{\mathcal L(q)}
#   + \underbrace{\mathbb E_q \log\frac{q(\mathbf w,\Gamma)}{p(\mathbf w,\Gamma|\mathbf y,\mathbf X,\mathbf h)}}_{\mathrm{KL}(q\|p(\cdot|\mathcal D,\mathbf h))}.$$
#
# *Step 2 (Gibbs).* $\mathrm{KL}\ge 0$ with equality iff the two distributions coincide ($-\log$ is convex, Jensen:
# $-\mathrm{KL} = \mathbb E_q\log\frac{p}{q} \le \log \mathbb E_q \frac{p}{q} \le \log 1 = 0$), hence $\log p(\mathbf y|\mathbf X,\mathbf h) \ge \mathcal L(q)$,
# with equality iff $q = p(\mathbf w,\Gamma|\mathcal D,\mathbf h)$.
#
# *Step 3 (split off the likelihood).*
# $\mathcal L(q) = \mathbb E_q\log p(\mathbf y|\mathbf X,\mathbf w,\Gamma) - \mathbb E_q\log\frac{q(\mathbf w,\Gamma)}{p(\mathbf w,\Gamma|\mathbf h)}
#  = \mathbb E_q\log p(\mathbf y|\mathbf X,\mathbf w,\Gamma) - \mathrm{KL}\big(q(\mathbf w,\Gamma)\,\|\,p(\mathbf w,\Gamma|\mathbf h)\big)$.
#
# *Step 4 (chain rule for KL).* With $q(\mathbf w,\Gamma)=q(\Gamma)q(\mathbf w|\Gamma)$ and $p(\mathbf w,\Gamma|\mathbf h)=p(\Gamma|\mathbf h)p(\mathbf w|\Gamma,\mathbf h)$,
# $$\mathrm{KL}\big(q(\mathbf w,\Gamma)\|p(\mathbf w,\Gamma|\mathbf h)\big)
#  = \sum_\Gamma q(\Gamma)\!\int q(\mathbf w|\Gamma)\Big[\log\frac{q(\Gamma)}{p(\Gamma|\mathbf h)} + \log\frac{q(\mathbf w|\Gamma)}{p(\mathbf w|\Gamma,\mathbf h)}\Big]d\mathbf w
#  = \mathrm{KL}\big(q(\Gamma)\|p(\Gamma|\mathbf h)\big) + \mathbb E_{q(\Gamma)}\mathrm{KL}\big(q(\mathbf w|\Gamma)\|p(\mathbf w|\Gamma,\mathbf h)\big),$$
# because $\int q(\mathbf w|\Gamma)d\mathbf w = 1$ in the first term. Substituting into step 3 gives the statement.
# (Steps 1–2 are also the Jensen bound $\log \mathbb E_q \frac{p(\mathbf y,\mathbf w,\Gamma)}{q} \ge \mathbb E_q\log\frac{p(\mathbf y,\mathbf w,\Gamma)}{q}$.) $\blacksquare$

# %% [markdown]
# ### Grading rubric (10 points) / Критерии оценивания (10 баллов)
#
# | step | points |
# |---|---|
# | Joint model written correctly, $p(\mathbf y,\mathbf w,\Gamma) = p(\mathbf y\vert \mathbf w,\Gamma)p(\mathbf w\vert \Gamma,\mathbf h)p(\Gamma\vert \mathbf h)$; support condition mentioned | 1 |
# | Decomposition $\log p(\mathbf y\vert \mathbf X,\mathbf h) = \mathcal L(q) + \mathrm{KL}(q\Vert p(\mathbf w,\Gamma\vert \mathcal D,\mathbf h))$ derived (not just quoted), or an equivalent Jensen argument | 3 |
# | $\mathrm{KL}\ge0$ justified (Jensen/Gibbs) and the equality case stated | 2 |
# | Chain rule: $\mathrm{KL}$ of the joint $=\mathrm{KL}(q(\Gamma)\Vert p(\Gamma\vert \mathbf h)) + \mathbb E_{q(\Gamma)}\mathrm{KL}(q(\mathbf w\vert \Gamma)\Vert p(\mathbf w\vert \Gamma,\mathbf h))$, with the step $\int q(\mathbf w\vert \Gamma)d\mathbf w=1$ | 3 |
# | Clarity: every expectation says over what; the slide's slip (KL = ELBO) is not repeated | 1 |
#
# ---
#
# | шаг | баллы |
# |---|---|
# | Правильно записана совместная модель $p(\mathbf y,\mathbf w,\Gamma) = p(\mathbf y\vert \mathbf w,\Gamma)p(\mathbf w\vert \Gamma,\mathbf h)p(\Gamma\vert \mathbf h)$; упомянуто условие на носители | 1 |
# | Выведено (а не процитировано) разложение $\log p(\mathbf y\vert \mathbf X,\mathbf h) = \mathcal L(q) + \mathrm{KL}(q\Vert p(\mathbf w,\Gamma\vert \mathcal D,\mathbf h))$ или эквивалентное рассуждение через неравенство Йенсена | 3 |
# | Обосновано $\mathrm{KL}\ge0$ (Йенсен/Гиббс) и указан случай равенства | 2 |
# | Цепное правило: $\mathrm{KL}$ совместных $=\mathrm{KL}(q(\Gamma)\Vert p(\Gamma\vert \mathbf h)) + \mathbb E_{q(\Gamma)}\mathrm{KL}(q(\mathbf w\vert \Gamma)\Vert p(\mathbf w\vert \Gamma,\mathbf h))$, с шагом $\int q(\mathbf w\vert \Gamma)d\mathbf w=1$ | 3 |
# | Ясность: у каждого матожидания указано, по чему оно берётся; опечатка слайда (KL = ELBO) не повторена | 1 |

# %% [markdown]
# ## Part 2. Code
#
# ### 2.1 Evidence of each structure (3 points)
# Implement `log_evidence_structures(X, y, alpha, noise_var)`: a tensor of length 4 with
# $\log p(\mathbf y|\mathbf X,\Gamma,\mathbf h)$ for the structures in the order of `STRUCTURES`. Integrate $\mathbf w$
# out: $\mathbf y|\Gamma \sim \mathcal N(\mathbf 0,\ \sigma^2\mathbf I + \mathbf X_\Gamma\mathbf A^{-1}\mathbf X_\Gamma^\top)$.
# The full evidence is then $\log p(\mathbf y|\mathbf X,\mathbf h) = \log\sum_\Gamma p(\Gamma|\mathbf h)\,p(\mathbf y|\mathbf X,\Gamma,\mathbf h)$
# (`torch.logsumexp(structure_log_prior(pi) + log_evidence_structures(...), 0)`).
#
# ---
#
# ## Часть 2. Код
#
# ### 2.1 Обоснованность каждой структуры (3 балла)
# Реализуйте `log_evidence_structures(X, y, alpha, noise_var)`: тензор длины 4 из
# $\log p(\mathbf y|\mathbf X,\Gamma,\mathbf h)$ для структур в порядке `STRUCTURES`. Проинтегрируйте по $\mathbf w$:
# $\mathbf y|\Gamma \sim \mathcal N(\mathbf 0,\ \sigma^2\mathbf I + \mathbf X_\Gamma\mathbf A^{-1}\mathbf X_\Gamma^\top)$.
# Полная обоснованность: $\log p(\mathbf y|\mathbf X,\mathbf h) = \log\sum_\Gamma p(\Gamma|\mathbf h)\,p(\mathbf y|\mathbf X,\Gamma,\mathbf h)$
# (`torch.logsumexp(structure_log_prior(pi) + log_evidence_structures(...), 0)`).

# %% nb="answer" gid="log_evidence_structures"
def log_evidence_structures(X, y, alpha, noise_var):
    """log p(y | X, Γ, h) for the four structures of STRUCTURES, a tensor [4]."""
    ### BEGIN SOLUTION
    n = X.shape[0]
    out = []
    for gamma in STRUCTURES:
        Xg = X * gamma
        C = noise_var * torch.eye(n) + Xg @ torch.diag(1.0 / alpha) @ Xg.T
        L = torch.linalg.cholesky(C)
        z = torch.linalg.solve_triangular(L, y[:, None], upper=False)[:, 0]
        out.append(-0.5 * n * math.log(2 * math.pi) - torch.log(torch.diagonal(L)).sum() - 0.5 * z @ z)
    return torch.stack(out)
    ### END SOLUTION


# %% nb="tests" gid="test_log_evidence_structures" points=3
_le = log_evidence_structures(X0, y0, alpha0, noise0)
check_true("test_log_evidence_structures:shape", tuple(_le.shape) == (4,), "a tensor of 4 values / тензор из 4 значений")
# Γ = (0,0): the data are pure noise / при Γ = (0,0) данные — чистый шум
_noise_only = -0.5 * len(y0) * math.log(2 * math.pi * noise0) - 0.5 * float(y0 @ y0) / noise0
check_close("test_log_evidence_structures:empty_structure", _le[0], _noise_only, rtol=1e-9, atol=1e-9)
check_close("test_log_evidence_structures:example", _le, log_ev0, rtol=1e-9, atol=1e-9)
### BEGIN HIDDEN TESTS
for _seed in (1, 2, 3):
    _g = hidden_generator(f"test_log_evidence_structures:{_seed}")
    _n = 6 + _seed
    _X = torch.randn(_n, 2, generator=_g) * 1.5
    _y = torch.randn(_n, generator=_g)
    _alpha = 0.3 + 3 * torch.rand(2, generator=_g)
    _s2 = 0.1 + torch.rand(1, generator=_g).item()
    probe(f"test_log_evidence_structures:values_{_seed}", log_evidence_structures(_X, _y, _alpha, _s2),
          rtol=1e-8, atol=1e-8)
### END HIDDEN TESTS

# %% [markdown]
# ### 2.2 The bound with structure Γ (4 points)
# Implement `structured_bound(X, y, alpha, noise_var, pi, q_gamma, q_means, q_covs)`: the right-hand side
# $\mathcal L(q)$ of Statement 1 for `q_gamma` [4] (probabilities of the structures, some may be 0),
# `q_means` [4, 2] and `q_covs` [4, 2, 2] (the Gaussian $q(\mathbf w|\Gamma)$ of each structure). Use closed forms:
# $\mathbb E_{\mathcal N(\mathbf m,\mathbf S)}\|\mathbf y-\mathbf X_\Gamma\mathbf w\|^2 = \|\mathbf y-\mathbf X_\Gamma\mathbf m\|^2 + \operatorname{tr}(\mathbf X_\Gamma\mathbf S\mathbf X_\Gamma^\top)$
# and the KL divergence of two Gaussians. Convention $0\log 0 = 0$ (`torch.xlogy`); the log prior of the structures
# is given (`structure_log_prior(pi)`). The hidden tests take random $q$, $q$ with zero-probability structures, and
# $q$ equal to the exact posterior (then $\mathcal L(q)$ is the log evidence, Statement 1).
#
# ---
#
# ### 2.2 Оценка при структуре Γ (4 балла)
# Реализуйте `structured_bound(X, y, alpha, noise_var, pi, q_gamma, q_means, q_covs)`: правую часть
# $\mathcal L(q)$ утверждения 1 для `q_gamma` [4] (вероятности структур, некоторые могут быть 0),
# `q_means` [4, 2] и `q_covs` [4, 2, 2] (гауссовское $q(\mathbf w|\Gamma)$ каждой структуры). Используйте явные формулы:
# $\mathbb E_{\mathcal N(\mathbf m,\mathbf S)}\|\mathbf y-\mathbf X_\Gamma\mathbf w\|^2 = \|\mathbf y-\mathbf X_\Gamma\mathbf m\|^2 + \operatorname{tr}(\mathbf X_\Gamma\mathbf S\mathbf X_\Gamma^\top)$
# и дивергенцию KL двух гауссиан. Соглашение $0\log 0 = 0$ (`torch.xlogy`); логарифм априорного распределения
# структур дан (`structure_log_prior(pi)`). Скрытые тесты берут случайное $q$, $q$ со структурами нулевой вероятности
# и $q$, равное точному апостериорному распределению (тогда $\mathcal L(q)$ — логарифм обоснованности, утверждение 1).

# %% nb="answer" gid="structured_bound"
def structured_bound(X, y, alpha, noise_var, pi, q_gamma, q_means, q_covs):
    """The variational lower bound L(q) of Statement 1 (a scalar tensor)."""
    ### BEGIN SOLUTION
    n = X.shape[0]
    log_prior_gamma = structure_log_prior(pi)
    kl_gamma = (torch.xlogy(q_gamma, q_gamma) - q_gamma * log_prior_gamma).sum()
    total = -kl_gamma
    for k, gamma in enumerate(STRUCTURES):
        if float(q_gamma[k]) == 0.0:
            continue
        m, S = q_means[k], q_covs[k]
        Xg = X * gamma
        resid = y - Xg @ m
        exp_sq = resid @ resid + torch.trace(Xg @ S @ Xg.T)
        exp_loglik = -0.5 * n * math.log(2 * math.pi * noise_var) - 0.5 * exp_sq / noise_var
        kl_w = 0.5 * (torch.sum(alpha * torch.diagonal(S)) + m @ (alpha * m) - 2
                      - torch.log(alpha).sum() - torch.logdet(S))
        total = total + q_gamma[k] * (exp_loglik - kl_w)
    return total
    ### END SOLUTION


# %% nb="tests" gid="test_structured_bound" points=4
_qg = torch.tensor([0.1, 0.2, 0.3, 0.4])
_qm = torch.zeros(4, 2)
_qS = torch.eye(2).repeat(4, 1, 1)
_b = structured_bound(X0, y0, alpha0, noise0, pi0, _qg, _qm, _qS)
check_true("test_structured_bound:scalar", _b.numel() == 1, "the bound is one number / оценка — одно число")
# the log evidence of the example is −8.582109417425764 / логарифм обоснованности примера
check_true("test_structured_bound:below_evidence", float(_b) <= -8.582109417425764,
           "the bound never exceeds the log evidence / оценка не превосходит логарифм обоснованности")
check_close("test_structured_bound:example", _b, -94.1153856314372, rtol=1e-9, atol=1e-9)
### BEGIN HIDDEN TESTS
def _hidden_problem(seed):
    g = hidden_generator(f"test_structured_bound:{seed}")
    n = 7 + seed % 3
    X = torch.randn(n, 2, generator=g)
    y = X @ torch.tensor([1.0, -0.5]) + 0.7 * torch.randn(n, generator=g)
    alpha = 0.3 + 3 * torch.rand(2, generator=g)
    s2 = 0.2 + torch.rand(1, generator=g).item()
    pi = 0.15 + 0.7 * torch.rand(2, generator=g)
    qg = torch.rand(4, generator=g) + 0.05
    qg = qg / qg.sum()
    qm = torch.randn(4, 2, generator=g)
    B = torch.randn(4, 2, 2, generator=g)
    qS = B @ B.transpose(1, 2) + 0.1 * torch.eye(2)
    return X, y, alpha, s2, pi, qg, qm, qS


def _posterior_input(X, y, alpha, s2, pi):
    """The exact posterior, used as the input q (Gaussian conditioning and Bayes over the structures)."""
    n = X.shape[0]
    logp, means, covs = [], [], []
    P = torch.diag(1 / alpha)
    for gam in STRUCTURES:
        Xg = X * gam
        C = s2 * torch.eye(n) + Xg @ P @ Xg.T
        L = torch.linalg.cholesky(C)
        z = torch.linalg.solve_triangular(L, y[:, None], upper=False)[:, 0]
        logp.append(-torch.log(torch.diagonal(L)).sum() - 0.5 * z @ z)
        K = P @ Xg.T @ torch.linalg.inv(C)
        means.append(K @ y)
        cov = P - K @ Xg @ P
        covs.append(0.5 * (cov + cov.T))
    return torch.softmax(structure_log_prior(pi) + torch.stack(logp), 0), torch.stack(means), torch.stack(covs)


for _seed in (1, 2, 3):
    _X, _y, _alpha, _s2, _pi, _qg, _qm, _qS = _hidden_problem(_seed)
    probe(f"test_structured_bound:random_q_{_seed}", structured_bound(_X, _y, _alpha, _s2, _pi, _qg, _qm, _qS),
          rtol=1e-8, atol=1e-8)
    # q = the posterior: the bound equals the log evidence / q — апостериорное: оценка равна логарифму обоснованности
    probe(f"test_structured_bound:posterior_q_{_seed}",
          structured_bound(_X, _y, _alpha, _s2, _pi, *_posterior_input(_X, _y, _alpha, _s2, _pi)), rtol=1e-8, atol=1e-8)
    # structures with zero variational probability contribute nothing / структуры с нулевой вероятностью
    _mask = torch.tensor([[0.0, 1.0, 0.0, 1.0], [1.0, 0.0, 1.0, 0.0], [0.0, 0.0, 1.0, 1.0]])[_seed - 1]
    probe(f"test_structured_bound:zero_mass_{_seed}",
          structured_bound(_X, _y, _alpha, _s2, _pi, _qg * _mask / (_qg * _mask).sum(), _qm, _qS), rtol=1e-8, atol=1e-8)
### END HIDDEN TESTS

# %% [markdown]
# ### 2.3 The exact posterior (3 points)
# Implement `structured_posterior(X, y, alpha, noise_var, pi, log_ev)` returning `(post_gamma, post_means, post_covs)` of
# shapes [4], [4, 2], [4, 2, 2]: $p(\Gamma|\mathcal D,\mathbf h) \propto p(\Gamma|\mathbf h)p(\mathbf y|\mathbf X,\Gamma,\mathbf h)$
# and $p(\mathbf w|\Gamma,\mathcal D,\mathbf h) = \mathcal N(\mathbf M_\Gamma^{-1}\mathbf X_\Gamma^\top\mathbf y/\sigma^2,\ \mathbf M_\Gamma^{-1})$,
# $\mathbf M_\Gamma = \mathbf A + \mathbf X_\Gamma^\top\mathbf X_\Gamma/\sigma^2$. The log evidence of the structures,
# $\log p(\mathbf y|\mathbf X,\Gamma,\mathbf h)$, is the argument `log_ev` [4]: pass the result of 2.1,
# `log_evidence_structures(X, y, alpha, noise_var)` (the tests pass their own values, so this function is graded
# on its own). By Statement 1 your bound at this $q$ must equal the log evidence.
#
# ---
#
# ### 2.3 Точное апостериорное распределение (3 балла)
# Реализуйте `structured_posterior(X, y, alpha, noise_var, pi, log_ev)`, возвращающую `(post_gamma, post_means, post_covs)`
# форм [4], [4, 2], [4, 2, 2]: $p(\Gamma|\mathcal D,\mathbf h) \propto p(\Gamma|\mathbf h)p(\mathbf y|\mathbf X,\Gamma,\mathbf h)$
# и $p(\mathbf w|\Gamma,\mathcal D,\mathbf h) = \mathcal N(\mathbf M_\Gamma^{-1}\mathbf X_\Gamma^\top\mathbf y/\sigma^2,\ \mathbf M_\Gamma^{-1})$,
# $\mathbf M_\Gamma = \mathbf A + \mathbf X_\Gamma^\top\mathbf X_\Gamma/\sigma^2$. Логарифм обоснованности структур
# $\log p(\mathbf y|\mathbf X,\Gamma,\mathbf h)$ — аргумент `log_ev` [4]: передайте результат 2.1,
# `log_evidence_structures(X, y, alpha, noise_var)` (тесты передают свои значения, так что функция оценивается
# отдельно). По утверждению 1 ваша оценка при таком $q$ должна совпасть с логарифмом обоснованности.

# %% nb="answer" gid="structured_posterior"
def structured_posterior(X, y, alpha, noise_var, pi, log_ev):
    """(post_gamma [4], post_means [4,2], post_covs [4,2,2]) of the exact posterior; log_ev = log p(y|X,Γ,h) [4]."""
    ### BEGIN SOLUTION
    log_joint = structure_log_prior(pi) + log_ev
    post_gamma = torch.softmax(log_joint, 0)
    means, covs = [], []
    for gamma in STRUCTURES:
        Xg = X * gamma
        M = torch.diag(alpha) + Xg.T @ Xg / noise_var
        cov = torch.linalg.inv(M)
        means.append(cov @ Xg.T @ y / noise_var)
        covs.append(0.5 * (cov + cov.T))
    return post_gamma, torch.stack(means), torch.stack(covs)
    ### END SOLUTION


# %% nb="tests" gid="test_structured_posterior" points=3
_pg, _pm, _pS = structured_posterior(X0, y0, alpha0, noise0, pi0, log_ev0)
check_true("test_structured_posterior:shapes", tuple(_pg.shape) == (4,) and tuple(_pm.shape) == (4, 2)
           and tuple(_pS.shape) == (4, 2, 2), "shapes [4], [4,2], [4,2,2] / формы [4], [4,2], [4,2,2]")
check_close("test_structured_posterior:normalised", _pg.sum(), 1.0, rtol=1e-10, atol=1e-10)
# a switched-off weight keeps its prior / выключенный параметр сохраняет априорное распределение
check_close("test_structured_posterior:off_weight_prior", _pS[0], torch.diag(1 / alpha0), rtol=1e-9, atol=1e-12)
### BEGIN HIDDEN TESTS
for _seed in (1, 2, 3):
    _g = hidden_generator(f"test_structured_posterior:{_seed}")
    _n = 5 + 2 * _seed
    _X = torch.randn(_n, 2, generator=_g)
    _y = _X @ torch.tensor([0.8, 0.3]) + 0.5 * torch.randn(_n, generator=_g)
    _alpha = 0.3 + 3 * torch.rand(2, generator=_g)
    _s2 = 0.1 + torch.rand(1, generator=_g).item()
    _pi = 0.15 + 0.7 * torch.rand(2, generator=_g)
    _log_ev = -10 + 2 * torch.randn(4, generator=_g)  # any log evidence: an input, not computed by 2.1
    _pg, _pm, _pS = structured_posterior(_X, _y, _alpha, _s2, _pi, _log_ev)
    probe(f"test_structured_posterior:gamma_{_seed}", _pg, rtol=1e-8, atol=1e-10)
    probe(f"test_structured_posterior:means_{_seed}", _pm, rtol=1e-8, atol=1e-10)
    probe(f"test_structured_posterior:covs_{_seed}", _pS, rtol=1e-8, atol=1e-10)
### END HIDDEN TESTS

# %% [markdown]
# ## Self-check before submitting
# Save the notebook (Ctrl+S), then run the cell below. It runs the visible tests of this notebook against your
# functions and lists which pass. Hidden tests run only when the work is graded, so passing here is necessary,
# not sufficient.
#
# ---
#
# ## Самопроверка перед сдачей
# Сохраните ноутбук (Ctrl+S) и запустите ячейку ниже. Она выполнит открытые тесты этого ноутбука на ваших функциях
# и покажет, какие пройдены. Скрытые тесты запускаются только при оценивании: пройти открытые необходимо, но
# недостаточно.

# %% nb="setup" gid="selfcheck"
from metaopt_course.selfcheck import run_checks

run_checks("theory_1")  # quiet while graded; under Validate it lists unanswered written answers
