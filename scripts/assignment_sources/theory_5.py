# %% [markdown]
# # Theory 5. The variational bound fails the structure-transition criterion 2
#
# **How this assignment works.** Two parts of equal weight:
# 1. **Proof (10 points, graded by hand)** in the Markdown answer cell below the statement (LaTeX: `$...$`, `$$...$$`).
#    The rubric under the answer cell lists the steps the grader looks for.
# 2. **Code (10 points, graded automatically):** implement the functions marked `# YOUR CODE HERE`. Visible checks
#    follow each function; hidden checks compare your results with enumeration, `torch.distributions` and numerical
#    maximisation on several random instances.
#
# Do not rename functions, do not edit or delete locked cells; work in `float64`. Before submitting: *Restart & Run
# All*, save, run the self-check cell at the end.
#
# ---
#
# # Теория 5. Вариационная оценка не удовлетворяет критерию 2 перехода между структурами
#
# **Как устроено задание.** Две части равного веса:
# 1. **Доказательство (10 баллов, проверяется вручную)** — в ячейке ответа Markdown под утверждением
#    (LaTeX: `$...$`, `$$...$$`). Под ячейкой ответа — критерии оценивания.
# 2. **Код (10 баллов, проверяется автоматически):** реализуйте функции с пометкой `# ВАШ КОД ЗДЕСЬ`. За каждой
#    функцией идут открытые проверки; скрытые сравнивают ваши результаты с полным перебором, `torch.distributions`
#    и численной максимизацией на нескольких случайных примерах.
#
# Не переименовывайте функции, не меняйте и не удаляйте закрытые ячейки; считайте в `float64`. Перед сдачей:
# *Restart & Run All*, сохранить, запустить ячейку самопроверки в конце.

# %% nb="setup" gid="setup"
import math
import os

import numpy as np
import scipy.optimize
import torch

from metaopt_lib.grading import check_close, check_true
from metaopt_lib.seeding import set_seed

GRADING = bool(os.environ.get("NBGRADER_EXECUTION"))  # True while the notebook is being graded
torch.set_default_dtype(torch.float64)
set_seed(0)

# The four structures Γ ∈ {0,1}², always in this order / четыре структуры Γ ∈ {0,1}², всегда в этом порядке
STRUCTURES = torch.tensor([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])
# log evidence F(Γ) = log p(y | X, Γ, h) of each structure in an example / логарифм обоснованности каждой структуры
log_ev0 = torch.tensor([-12.0, -10.5, -9.0, -9.4])
pi0 = torch.tensor([0.7, 0.2])

# %% [markdown]
# ## Definitions and the statement
#
# Let $L(\theta,\mathbf h|\lambda)$ be the variational lower bound (Theory 1) for a prior over structures
# $p(\Gamma|\mathbf h,\lambda)$ that depends on metaparameters $\lambda$ (e.g. a temperature), $\theta = [\theta_w,\theta_\Gamma]$,
# $\theta(\mathbf h) = \arg\max_\theta L(\theta,\mathbf h|\lambda)$ and $Q(\mathbf h|\lambda) = L(\theta(\mathbf h),\mathbf h|\lambda)$.
#
# **Criterion 2 (transition between structures).** There exist a non-trivial constant $K$ and metaparameters $\lambda$
# such that for any pair of local optima $\mathbf h_1,\mathbf h_2$ with their variational parameters
# $\theta(\mathbf h_1),\theta(\mathbf h_2)$, with $\mathrm{KL}(p(\Gamma|\mathbf h_1)\|p(\Gamma|\mathbf h_2)) > K$,
# $\mathrm{KL}(p(\Gamma|\mathbf h_2)\|p(\Gamma|\mathbf h_1)) > K$ and $Q(\mathbf h_1|\lambda) > Q(\mathbf h_2|\lambda)$, there is
# $\lambda'$ such that (1) the correspondences $\mathbf h_k \mapsto \theta(\mathbf h_k)$ are preserved (they stay optimal
# under $\lambda'$), and (2) $Q(\mathbf h_1|\lambda') < Q(\mathbf h_2|\lambda')$. (Criterion 1 is the same with
# $\mathrm{KL}(q(\Gamma|\theta_1)\|q(\Gamma|\theta_2))$ in place of the prior's KL.)
#
# **Statement 5.** Let $q_\Gamma$ be absolutely continuous with a differentiable density such that
# 1. the gradient $\nabla_{\theta_\Gamma} q(\Gamma|\theta_\Gamma)$ is non-zero almost everywhere;
# 2. $\nabla_{\theta_\Gamma} q(\Gamma|\theta_\Gamma)\,\log p(\Gamma|\mathbf h,\lambda)$ is bounded on $U_\theta$ by an absolutely
#    continuous random variable independent of $\Gamma$ with a finite first moment;
# 3. there are no metaparameters $\lambda_1 \ne \lambda_2$ with $p(\Gamma|\mathbf h,\lambda_1) = p(\Gamma|\mathbf h,\lambda_2)$ for all $\Gamma$.
#
# Then optimisation of the variational bound ($L = Q$ = ELBO) does not satisfy criterion 2.
#
# *What to prove.* Here $\lambda$ is a metaparameter of the structure prior only (the prior of the weights
# $p(\mathbf w|\Gamma,\mathbf h)$ and the likelihood do not depend on it), as for a temperature. Show that preserving the correspondences forces $p(\Gamma|\mathbf h_k,\lambda') = p(\Gamma|\mathbf h_k,\lambda)$,
# hence $\lambda'=\lambda$ and no swap. The step from the stationarity conditions to the equality of the priors needs the
# family $q_\Gamma$ to be rich enough; prove it for a family that contains the optimal
# $q^*(\Gamma) \propto p(\Gamma|\mathbf h,\lambda)\exp G(\Gamma)$, $G(\Gamma) = \mathbb E_{q_w}\log p(\mathbf y|\mathbf X,\mathbf w,\Gamma) - \mathrm{KL}(q_w(\cdot|\Gamma)\|p(\cdot|\Gamma,\mathbf h))$
# (as in the code part), and say where assumptions 1–3 enter. Note that the statement presumes at least one pair of
# optima satisfying the KL condition (otherwise the criterion holds vacuously).
#
# ---
#
# ## Определения и утверждение
#
# Пусть $L(\theta,\mathbf h|\lambda)$ — вариационная нижняя оценка (теория 1) при априорном распределении структур
# $p(\Gamma|\mathbf h,\lambda)$, зависящем от метапараметров $\lambda$ (например, температуры), $\theta = [\theta_w,\theta_\Gamma]$,
# $\theta(\mathbf h) = \arg\max_\theta L(\theta,\mathbf h|\lambda)$ и $Q(\mathbf h|\lambda) = L(\theta(\mathbf h),\mathbf h|\lambda)$.
#
# **Критерий 2 (перехода между структурами).** Существуют нетривиальная константа $K$ и метапараметры $\lambda$ такие,
# что для любой пары локальных оптимумов $\mathbf h_1,\mathbf h_2$ с соответствующими вариационными параметрами
# $\theta(\mathbf h_1),\theta(\mathbf h_2)$, для которых $\mathrm{KL}(p(\Gamma|\mathbf h_1)\|p(\Gamma|\mathbf h_2)) > K$,
# $\mathrm{KL}(p(\Gamma|\mathbf h_2)\|p(\Gamma|\mathbf h_1)) > K$ и $Q(\mathbf h_1|\lambda) > Q(\mathbf h_2|\lambda)$, найдётся
# $\lambda'$, при котором (1) соответствия $\mathbf h_k \mapsto \theta(\mathbf h_k)$ сохраняются (остаются оптимальными
# при $\lambda'$) и (2) $Q(\mathbf h_1|\lambda') < Q(\mathbf h_2|\lambda')$. (Критерий 1 такой же, но с
# $\mathrm{KL}(q(\Gamma|\theta_1)\|q(\Gamma|\theta_2))$ вместо KL априорных распределений.)
#
# **Утверждение 5.** Пусть $q_\Gamma$ — абсолютно непрерывное распределение с дифференцируемой плотностью, такой что
# 1. градиент плотности $\nabla_{\theta_\Gamma} q(\Gamma|\theta_\Gamma)$ ненулевой почти всюду;
# 2. выражение $\nabla_{\theta_\Gamma} q(\Gamma|\theta_\Gamma)\,\log p(\Gamma|\mathbf h,\lambda)$ ограничено на $U_\theta$ абсолютно
#    непрерывной случайной величиной, не зависящей от $\Gamma$, с конечным первым моментом;
# 3. не существует метапараметров $\lambda_1 \ne \lambda_2$ таких, что $p(\Gamma|\mathbf h,\lambda_1) = p(\Gamma|\mathbf h,\lambda_2)$ при всех $\Gamma$.
#
# Тогда оптимизация вариационной оценки ($L = Q$ = ELBO) не удовлетворяет критерию 2.
#
# *Что доказать.* Здесь $\lambda$ — метапараметр только априорного распределения структуры (априорное распределение
# параметров $p(\mathbf w|\Gamma,\mathbf h)$ и правдоподобие от него не зависят), как температура. Покажите, что сохранение соответствий влечёт $p(\Gamma|\mathbf h_k,\lambda') = p(\Gamma|\mathbf h_k,\lambda)$,
# откуда $\lambda'=\lambda$ и порядок не меняется. Переход от условий стационарности к равенству априорных распределений
# требует достаточно богатого семейства $q_\Gamma$; докажите его для семейства, содержащего оптимальное
# $q^*(\Gamma) \propto p(\Gamma|\mathbf h,\lambda)\exp G(\Gamma)$, $G(\Gamma) = \mathbb E_{q_w}\log p(\mathbf y|\mathbf X,\mathbf w,\Gamma) - \mathrm{KL}(q_w(\cdot|\Gamma)\|p(\cdot|\Gamma,\mathbf h))$
# (как в части с кодом), и укажите, где используются условия 1–3. Утверждение предполагает, что хотя бы одна пара
# оптимумов удовлетворяет условию на KL (иначе критерий выполняется тривиально).

# %% [markdown] nb="manual" gid="proof" points=10
# **Proof / Доказательство.** *Step 1: only one term depends on λ.* By Theory 1, with $q(\mathbf w,\Gamma) = q_\Gamma(\Gamma|\theta_\Gamma)q_w(\mathbf w|\Gamma,\theta_w)$,
# $$L(\theta,\mathbf h|\lambda) = \mathbb E_{q_\Gamma} G(\Gamma) + \mathcal H(q_\Gamma) + \mathbb E_{q_\Gamma}\log p(\Gamma|\mathbf h,\lambda),$$
# where $G(\Gamma) = \mathbb E_{q_w}\log p(\mathbf y|\mathbf X,\mathbf w,\Gamma) - \mathrm{KL}(q_w(\cdot|\Gamma)\|p(\cdot|\Gamma,\mathbf h))$ and
# $\mathcal H$ is the entropy; since $\lambda$ parametrises only the structure prior, it enters only through the last term.
#
# *Step 2: stationarity under λ and λ'.* Suppose criterion 2 holds for a pair $\mathbf h_1,\mathbf h_2$ with some $\lambda'$.
# Preserved correspondences mean that $\theta(\mathbf h_k)$ maximises both $L(\cdot,\mathbf h_k|\lambda)$ and $L(\cdot,\mathbf h_k|\lambda')$.
# Differentiating under the integral (allowed by assumption 2, dominated convergence) and subtracting the two
# stationarity conditions in $\theta_\Gamma$, all λ-free terms cancel:
# $$\int \nabla_{\theta_\Gamma} q(\Gamma|\theta_\Gamma)\,\big[\log p(\Gamma|\mathbf h_k,\lambda) - \log p(\Gamma|\mathbf h_k,\lambda')\big]\,d\Gamma = 0.$$
#
# *Step 3: the priors coincide.* For a family containing the optimum, maximising over $q_\Gamma$ (a Gibbs variational
# problem: $L = -\mathrm{KL}(q_\Gamma\|q^*) + \log\int p(\Gamma|\mathbf h,\lambda)e^{G(\Gamma)}d\Gamma$) gives
# $q_\Gamma(\Gamma|\theta_\Gamma(\mathbf h_k)) = p(\Gamma|\mathbf h_k,\lambda)e^{G(\Gamma)}/Z_\lambda = p(\Gamma|\mathbf h_k,\lambda')e^{G(\Gamma)}/Z_{\lambda'}$
# ($G$ is the same because $\theta_w$ is preserved). Hence $p(\Gamma|\mathbf h_k,\lambda)/p(\Gamma|\mathbf h_k,\lambda')$ is constant in
# $\Gamma$; both are normalised, so they are equal for all $\Gamma$ (in the parametric form of step 2 this is where
# assumption 1 is used: the bracket must vanish where $\nabla q \neq 0$, i.e. almost everywhere).
#
# *Step 4: no swap.* By assumption 3, $\lambda' = \lambda$ (the two metaparameters give the same prior). Then
# $Q(\mathbf h_k|\lambda') = Q(\mathbf h_k|\lambda)$ and $Q(\mathbf h_1|\lambda') > Q(\mathbf h_2|\lambda')$: condition (2) fails for this
# pair, for every $K$ and $\lambda$. So the ELBO does not satisfy criterion 2 (given one admissible pair exists). $\blacksquare$

# %% [markdown]
# ### Grading rubric (10 points) / Критерии оценивания (10 баллов)
#
# | step | points |
# |---|---|
# | The ELBO split so that $\lambda$ enters only through $\mathbb E_{q_\Gamma}\log p(\Gamma\vert \mathbf h,\lambda)$ | 2 |
# | Preserved correspondences written as stationarity (optimality) under both $\lambda$ and $\lambda'$; differentiation under the integral justified by assumption 2 | 2 |
# | From the optimality conditions to $p(\Gamma\vert \mathbf h_k,\lambda) = p(\Gamma\vert \mathbf h_k,\lambda')$ for all $\Gamma$ (Gibbs form of the optimum, normalisation; role of assumption 1 and of the richness of the family stated) | 3 |
# | Assumption 3 gives $\lambda'=\lambda$, so $Q$ and the order do not change; the negation of criterion 2 formulated correctly (one admissible pair suffices) | 2 |
# | Clarity and logical order | 1 |
#
# ---
#
# | шаг | баллы |
# |---|---|
# | ELBO разложена так, что $\lambda$ входит только через $\mathbb E_{q_\Gamma}\log p(\Gamma\vert \mathbf h,\lambda)$ | 2 |
# | Сохранение соответствий записано как стационарность (оптимальность) при $\lambda$ и при $\lambda'$; дифференцирование под интегралом обосновано условием 2 | 2 |
# | От условий оптимальности к $p(\Gamma\vert \mathbf h_k,\lambda) = p(\Gamma\vert \mathbf h_k,\lambda')$ при всех $\Gamma$ (форма Гиббса для оптимума, нормировка; указаны роль условия 1 и богатства семейства) | 3 |
# | Из условия 3 следует $\lambda'=\lambda$, поэтому $Q$ и порядок не меняются; отрицание критерия 2 сформулировано верно (достаточно одной допустимой пары) | 2 |
# | Ясность и логический порядок | 1 |

# %% [markdown]
# ## Part 2. Code: a structure prior with a temperature
#
# Four structures $\Gamma\in\{0,1\}^2$ (in the order of `STRUCTURES`) and the prior with temperature $\lambda>0$
# $$p(\Gamma|\boldsymbol\pi,\lambda) = \frac{\big(\prod_j \pi_j^{\Gamma_j}(1-\pi_j)^{1-\Gamma_j}\big)^{1/\lambda}}{\sum_{\Gamma'}\big(\prod_j \pi_j^{\Gamma'_j}(1-\pi_j)^{1-\Gamma'_j}\big)^{1/\lambda}}$$
# ($\lambda=1$: independent Bernoulli switches; $\lambda\to0$: all mass on the most probable structure; $\lambda\to\infty$:
# uniform). The weights' part of the bound is already optimal, so $G(\Gamma) = F(\Gamma) = \log p(\mathbf y|\mathbf X,\Gamma,\mathbf h)$
# (the log evidence of each structure, vector `log_ev` [4]) and the bound is a function of $q = q_\Gamma$ only:
# $L(q|\lambda) = \sum_\Gamma q(\Gamma)F(\Gamma) - \mathrm{KL}\big(q\,\|\,p(\cdot|\boldsymbol\pi,\lambda)\big)$.
#
# ### 2.1 The tempered prior (3 points)
# `tempered_prior(pi, lam)` returns the 4 probabilities; it raises `ValueError` (message in English and Russian) when
# `lam <= 0`.
#
# ---
#
# ## Часть 2. Код: априорное распределение структуры с температурой
#
# Четыре структуры $\Gamma\in\{0,1\}^2$ (в порядке `STRUCTURES`) и априорное распределение с температурой $\lambda>0$
# $$p(\Gamma|\boldsymbol\pi,\lambda) = \frac{\big(\prod_j \pi_j^{\Gamma_j}(1-\pi_j)^{1-\Gamma_j}\big)^{1/\lambda}}{\sum_{\Gamma'}\big(\prod_j \pi_j^{\Gamma'_j}(1-\pi_j)^{1-\Gamma'_j}\big)^{1/\lambda}}$$
# ($\lambda=1$: независимые переключатели Бернулли; $\lambda\to0$: вся масса на самой вероятной структуре;
# $\lambda\to\infty$: равномерное). Часть оценки, отвечающая параметрам, уже оптимальна, так что
# $G(\Gamma) = F(\Gamma) = \log p(\mathbf y|\mathbf X,\Gamma,\mathbf h)$ (логарифм обоснованности каждой структуры, вектор
# `log_ev` [4]), и оценка зависит только от $q = q_\Gamma$:
# $L(q|\lambda) = \sum_\Gamma q(\Gamma)F(\Gamma) - \mathrm{KL}\big(q\,\|\,p(\cdot|\boldsymbol\pi,\lambda)\big)$.
#
# ### 2.1 Априорное распределение с температурой (3 балла)
# `tempered_prior(pi, lam)` возвращает 4 вероятности; при `lam <= 0` вызывает `ValueError` (сообщение на английском
# и русском).

# %% nb="answer" gid="tempered_prior"
def tempered_prior(pi, lam):
    """p(Γ | π, λ) ∝ p(Γ | π)^(1/λ) over STRUCTURES, a tensor [4]."""
    ### BEGIN SOLUTION
    if not lam > 0:
        raise ValueError(f"the temperature must be positive, got {lam}\n"
                         f"температура должна быть положительной, получено {lam}")
    pi = torch.as_tensor(pi, dtype=torch.float64)
    log_p = (STRUCTURES * torch.log(pi) + (1 - STRUCTURES) * torch.log1p(-pi)).sum(1)
    return torch.softmax(log_p / lam, 0)
    ### END SOLUTION


# %% nb="tests" gid="test_tempered_prior" points=3
_p = tempered_prior(pi0, 1.0)
check_close("test_tempered_prior:bernoulli", _p, [0.3 * 0.8, 0.3 * 0.2, 0.7 * 0.8, 0.7 * 0.2], rtol=1e-10, atol=1e-12)
check_close("test_tempered_prior:hot", tempered_prior(pi0, 1e6), [0.25] * 4, rtol=1e-4, atol=1e-6)
try:
    tempered_prior(pi0, 0.0)
    _raised = False
except ValueError:
    _raised = True
check_true("test_tempered_prior:bad_temperature", _raised, "λ ≤ 0 must raise ValueError / λ ≤ 0 должно вызывать ValueError")
### BEGIN HIDDEN TESTS
from torch.distributions import Bernoulli as _Bern
for _seed in (11, 12, 13):
    _g = torch.Generator().manual_seed(_seed)
    _pi = 0.05 + 0.9 * torch.rand(2, generator=_g)
    _lam = float(0.1 + 4 * torch.rand(1, generator=_g))
    _w = torch.stack([torch.exp(_Bern(probs=_pi).log_prob(_s).sum() / _lam) for _s in STRUCTURES])
    check_close(f"test_tempered_prior:enumeration_seed{_seed}", tempered_prior(_pi, _lam), _w / _w.sum(), rtol=1e-10, atol=1e-12)
    # cold limit: one-hot on the most probable structure / холодный предел
    _mode = int(torch.argmax(torch.stack([_Bern(probs=_pi).log_prob(_s).sum() for _s in STRUCTURES])))
    check_close(f"test_tempered_prior:cold_seed{_seed}", tempered_prior(_pi, 1e-3), torch.nn.functional.one_hot(
        torch.tensor(_mode), 4).double(), rtol=0, atol=1e-6)
    # assumption 3: different temperatures give different priors (π not uniform)
    check_true(f"test_tempered_prior:identifiable_seed{_seed}",
               float((tempered_prior(_pi, _lam) - tempered_prior(_pi, 1.3 * _lam)).abs().max()) > 1e-6, "assumption 3")
for _bad in (-1.0, 0.0):
    try:
        tempered_prior(torch.tensor([0.3, 0.6]), _bad)
        _ok = False
    except ValueError as _e:
        _ok = bool(__import__("re").search("[А-Яа-я]", str(_e))) and bool(__import__("re").search("[A-Za-z]", str(_e)))
    check_true(f"test_tempered_prior:bilingual_error_{_bad}", _ok, "bilingual ValueError / двуязычный ValueError")
### END HIDDEN TESTS

# %% [markdown]
# ### 2.2 The bound as a function of $q_\Gamma$ (3 points)
# `structure_bound(q_gamma, log_ev, pi, lam)` returns $L(q|\lambda) = \sum_\Gamma q(\Gamma)F(\Gamma) - \mathrm{KL}\big(q\,\|\,p(\cdot|\boldsymbol\pi,\lambda)\big)$
# (convention $0\log0 = 0$).
#
# ---
#
# ### 2.2 Оценка как функция $q_\Gamma$ (3 балла)
# `structure_bound(q_gamma, log_ev, pi, lam)` возвращает $L(q|\lambda) = \sum_\Gamma q(\Gamma)F(\Gamma) - \mathrm{KL}\big(q\,\|\,p(\cdot|\boldsymbol\pi,\lambda)\big)$
# (соглашение $0\log0 = 0$).

# %% nb="answer" gid="structure_bound"
def structure_bound(q_gamma, log_ev, pi, lam):
    """L(q | λ) = Σ q F − KL(q || p(·|π, λ)), a scalar tensor."""
    ### BEGIN SOLUTION
    prior = tempered_prior(pi, lam)
    return torch.sum(q_gamma * log_ev) - torch.sum(torch.xlogy(q_gamma, q_gamma) - torch.xlogy(q_gamma, prior))
    ### END SOLUTION


# %% nb="tests" gid="test_structure_bound" points=3
_q = tempered_prior(pi0, 1.0)
check_close("test_structure_bound:q_is_prior", structure_bound(_q, log_ev0, pi0, 1.0), torch.sum(_q * log_ev0),
            rtol=1e-12, atol=1e-12)
_b = structure_bound(torch.tensor([0.0, 0.0, 1.0, 0.0]), log_ev0, pi0, 1.0)
check_close("test_structure_bound:point_mass", _b, -9.0 + math.log(0.7 * 0.8), rtol=1e-12, atol=1e-12)
### BEGIN HIDDEN TESTS
from torch.distributions import Categorical as _Cat, kl_divergence as _kld
for _seed in (21, 22, 23):
    _g = torch.Generator().manual_seed(_seed)
    _pi = 0.05 + 0.9 * torch.rand(2, generator=_g)
    _lam = float(0.2 + 3 * torch.rand(1, generator=_g))
    _F = -10 + 3 * torch.randn(4, generator=_g)
    _q = torch.rand(4, generator=_g) + 0.01
    _q = _q / _q.sum()
    _prior = tempered_prior(_pi, _lam)
    _ref = torch.sum(_q * _F) - _kld(_Cat(probs=_q), _Cat(probs=_prior))
    check_close(f"test_structure_bound:seed{_seed}", structure_bound(_q, _F, _pi, _lam), _ref, rtol=1e-10, atol=1e-10)
    # the bound never exceeds the log evidence log Σ p(Γ) e^F(Γ)
    check_true(f"test_structure_bound:below_evidence_seed{_seed}",
               float(structure_bound(_q, _F, _pi, _lam)) <= float(torch.logsumexp(torch.log(_prior) + _F, 0)) + 1e-10,
               "L(q) ≤ log evidence")
_q = torch.tensor([0.5, 0.0, 0.5, 0.0])
check_close("test_structure_bound:zero_mass", structure_bound(_q, log_ev0, pi0, 0.7),
            torch.sum(_q * log_ev0) - torch.sum(torch.xlogy(_q, _q / tempered_prior(pi0, 0.7))), rtol=1e-10, atol=1e-10)
### END HIDDEN TESTS

# %% [markdown]
# ### 2.3 The optimum $\theta(\mathbf h)$ and $Q(\mathbf h|\lambda)$; no swap while correspondences hold (4 points)
# `optimal_structure(log_ev, pi, lam)` returns the pair `(q_star, Q)`: the maximiser of $L(\cdot|\lambda)$ over the simplex
# and the maximum $Q(\boldsymbol\pi|\lambda)$, both in closed form. The hidden tests compare with numerical maximisation,
# then take two hyperparameters $\boldsymbol\pi_1, \boldsymbol\pi_2$ whose priors differ strongly, scan $\lambda'$ and check
# Statement 5 numerically: whenever both optima $q^*(\boldsymbol\pi_k|\lambda')$ stay equal to $q^*(\boldsymbol\pi_k|\lambda)$
# (only at $\lambda'=\lambda$), the order of $Q(\boldsymbol\pi_1|\cdot)$ and $Q(\boldsymbol\pi_2|\cdot)$ is kept.
#
# ---
#
# ### 2.3 Оптимум $\theta(\mathbf h)$ и $Q(\mathbf h|\lambda)$; порядок не меняется, пока сохраняются соответствия (4 балла)
# `optimal_structure(log_ev, pi, lam)` возвращает пару `(q_star, Q)`: точку максимума $L(\cdot|\lambda)$ на симплексе и
# максимум $Q(\boldsymbol\pi|\lambda)$, обе явными формулами. Скрытые тесты сравнивают с численной максимизацией, затем
# берут два гиперпараметра $\boldsymbol\pi_1, \boldsymbol\pi_2$ с сильно различающимися априорными распределениями, перебирают
# $\lambda'$ и численно проверяют утверждение 5: если оба оптимума $q^*(\boldsymbol\pi_k|\lambda')$ остаются равными
# $q^*(\boldsymbol\pi_k|\lambda)$ (это бывает только при $\lambda'=\lambda$), порядок $Q(\boldsymbol\pi_1|\cdot)$ и $Q(\boldsymbol\pi_2|\cdot)$ сохраняется.

# %% nb="answer" gid="optimal_structure"
def optimal_structure(log_ev, pi, lam):
    """(q* [4], Q) with q* = argmax_q L(q | λ) and Q = max_q L(q | λ)."""
    ### BEGIN SOLUTION
    logits = torch.log(tempered_prior(pi, lam)) + log_ev
    return torch.softmax(logits, 0), torch.logsumexp(logits, 0)
    ### END SOLUTION


# %% nb="tests" gid="test_optimal_structure" points=4
_qs, _Q = optimal_structure(log_ev0, pi0, 1.0)
check_close("test_optimal_structure:normalised", _qs.sum(), 1.0, rtol=1e-12, atol=1e-12)
check_close("test_optimal_structure:value", _Q, structure_bound(_qs, log_ev0, pi0, 1.0), rtol=1e-10, atol=1e-10)
check_true("test_optimal_structure:maximum", float(_Q) >= float(structure_bound(torch.full((4,), 0.25), log_ev0, pi0, 1.0)),
           "Q is at least the bound at the uniform q / Q не меньше оценки при равномерном q")
### BEGIN HIDDEN TESTS
from torch.distributions import Categorical as _Cat, Dirichlet as _Dir, kl_divergence as _kld


def _ref_bound(q, F, pi, lam):
    return float(torch.sum(q * F) - _kld(_Cat(probs=q), _Cat(probs=tempered_prior(pi, lam))))


for _seed in (31, 32, 33):
    _g = torch.Generator().manual_seed(_seed)
    _pi = 0.05 + 0.9 * torch.rand(2, generator=_g)
    _lam = float(0.2 + 3 * torch.rand(1, generator=_g))
    _F = -10 + 2 * torch.randn(4, generator=_g)
    _qs, _Q = optimal_structure(_F, _pi, _lam)
    _res = scipy.optimize.minimize(lambda z: -_ref_bound(torch.softmax(torch.tensor(z), 0), _F, _pi, _lam),
                                   np.zeros(4), method="Nelder-Mead", options={"xatol": 1e-10, "fatol": 1e-13, "maxiter": 20000})
    check_close(f"test_optimal_structure:numerical_max_seed{_seed}", _Q, -_res.fun, rtol=1e-8, atol=1e-8)
    check_close(f"test_optimal_structure:argmax_seed{_seed}", _qs, torch.softmax(torch.tensor(_res.x), 0), rtol=0, atol=1e-4)
    torch.manual_seed(_seed)
    _samples = _Dir(torch.ones(4)).sample((2000,))
    _best = max(_ref_bound(_s, _F, _pi, _lam) for _s in _samples)
    check_true(f"test_optimal_structure:no_better_q_seed{_seed}", _best <= float(_Q) + 1e-10, "random q never beat Q")
# Statement 5 numerically: two optima with strongly different priors; the order of Q cannot be swapped by λ'
# while both correspondences θ(h_k) are preserved
_F = torch.tensor([-11.0, -9.0, -9.3, -7.0])
_pi1, _pi2, _lam = torch.tensor([0.9, 0.1]), torch.tensor([0.1, 0.8]), 1.0
_p1, _p2 = tempered_prior(_pi1, _lam), tempered_prior(_pi2, _lam)
check_true("test_optimal_structure:pair_is_admissible",
           float(_kld(_Cat(probs=_p1), _Cat(probs=_p2))) > 1 and float(_kld(_Cat(probs=_p2), _Cat(probs=_p1))) > 1, "KL > K = 1")
_q1, _Q1 = optimal_structure(_F, _pi1, _lam)
_q2, _Q2 = optimal_structure(_F, _pi2, _lam)
_sign = float(_Q1 - _Q2) > 0
_preserved_at, _swapped_somewhere = [], False
for _lp in np.round(np.concatenate([np.linspace(0.05, 5.0, 100), [1.0]]), 10):
    _a, _Qa = optimal_structure(_F, _pi1, float(_lp))
    _b, _Qb = optimal_structure(_F, _pi2, float(_lp))
    if (float(_Qa - _Qb) > 0) != _sign:
        _swapped_somewhere = True
    if float((_a - _q1).abs().max()) < 1e-9 and float((_b - _q2).abs().max()) < 1e-9:
        _preserved_at.append(float(_lp))
        check_true(f"test_optimal_structure:order_kept_at_{_lp:g}", (float(_Qa - _Qb) > 0) == _sign,
                   "order kept while correspondences hold / порядок сохраняется")
check_true("test_optimal_structure:preserved_only_at_lambda", set(_preserved_at) == {1.0},
           f"correspondences preserved only at λ' = λ: {_preserved_at}")
check_true("test_optimal_structure:swap_needs_moving_optima", _swapped_somewhere,
           "the order does swap for some λ', but only with moved optima / порядок меняется лишь при сдвинутых оптимумах")
### END HIDDEN TESTS

# %% [markdown]
# ## Self-check before submitting
# Save the notebook (Ctrl+S), then run the cell below: it runs the visible tests against your functions and lists
# which pass. Hidden tests run only at grading, so passing here is necessary, not sufficient.
#
# ---
#
# ## Самопроверка перед сдачей
# Сохраните ноутбук (Ctrl+S) и запустите ячейку ниже: она выполнит открытые тесты на ваших функциях и покажет,
# какие пройдены. Скрытые тесты запускаются только при оценивании: пройти открытые необходимо, но недостаточно.

# %% nb="setup" gid="selfcheck"
from metaopt_lib.selfcheck import run_checks

if not GRADING:
    run_checks("theory_5")
