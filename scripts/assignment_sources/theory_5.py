# %% [markdown]
# # Theory 5. The variational bound fails the structure-transition criterion 2
#
# **How this assignment works.** Two parts of equal weight:
# 1. **Proof (10 points, graded by hand)** in the Markdown answer cell below the statement (LaTeX: `$...$`, `$$...$$`).
#    The rubric under the answer cell lists the steps the grader looks for.
# 2. **Code (10 points, graded automatically):** implement the functions marked `# YOUR CODE HERE`. Visible checks
#    follow each function; hidden checks run your functions on random instances drawn for you and compare the results
#    with the instructor's reference solution on the same instances. Each function is graded on its own.
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
#    функцией идут открытые проверки; скрытые запускают ваши функции на случайных примерах, порождённых для вас, и
#    сравнивают результаты с эталонным решением на тех же примерах. Каждая функция оценивается отдельно.
#
# Не переименовывайте функции, не меняйте и не удаляйте закрытые ячейки; считайте в `float64`. Перед сдачей:
# *Restart & Run All*, сохранить, запустить ячейку самопроверки в конце.

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
# log evidence F(Γ) = log p(y | X, Γ, h) of each structure in an example / логарифм обоснованности каждой структуры
log_ev0 = torch.tensor([-12.0, -10.5, -9.0, -9.4])
pi0 = torch.tensor([0.7, 0.2])
# its prior at λ = 1: the Bernoulli products / априорное распределение при λ = 1: произведения Бернулли
prior0 = torch.tensor([0.3 * 0.8, 0.3 * 0.2, 0.7 * 0.8, 0.7 * 0.2])

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
# (as in the code part). Say which of assumptions 1–3 your proof uses, and why assumption 1 alone does not turn the
# stationarity condition $\int\nabla_{\theta_\Gamma} q\,f\,d\Gamma = 0$ into $f = \mathrm{const}$. Mind the quantifiers of the
# negation of criterion 2: the statement presumes that for every $K$ and $\lambda$ a pair of optima satisfying the KL
# condition exists (for a $K$, $\lambda$ without one the criterion holds vacuously).
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
# (как в части с кодом). Укажите, какие из условий 1–3 использует ваше доказательство и почему одного условия 1
# недостаточно, чтобы из условия стационарности $\int\nabla_{\theta_\Gamma} q\,f\,d\Gamma = 0$ получить $f = \mathrm{const}$. Следите
# за кванторами в отрицании критерия 2: утверждение предполагает, что для любых $K$ и $\lambda$ существует пара
# оптимумов, удовлетворяющая условию на KL (для $K$, $\lambda$ без такой пары критерий выполняется тривиально).

# %% [markdown] nb="manual" gid="proof" points=10
# **Proof / Доказательство.** *Step 1: only one term depends on λ.* By Theory 1, with $q(\mathbf w,\Gamma) = q_\Gamma(\Gamma|\theta_\Gamma)q_w(\mathbf w|\Gamma,\theta_w)$,
# $$L(\theta,\mathbf h|\lambda) = \mathbb E_{q_\Gamma} G(\Gamma) + \mathcal H(q_\Gamma) + \mathbb E_{q_\Gamma}\log p(\Gamma|\mathbf h,\lambda),$$
# where $G(\Gamma) = \mathbb E_{q_w}\log p(\mathbf y|\mathbf X,\mathbf w,\Gamma) - \mathrm{KL}(q_w(\cdot|\Gamma)\|p(\cdot|\Gamma,\mathbf h))$ and
# $\mathcal H$ is the entropy; since $\lambda$ parametrises only the structure prior, it enters only through the last
# term, and $G$ depends on $\theta_w$ and $\mathbf h$ but not on $\lambda$.
#
# *Step 2: what preserved correspondences mean.* Suppose that for a pair $\mathbf h_1,\mathbf h_2$ some $\lambda'$ satisfies
# condition (1) of criterion 2: $\theta(\mathbf h_k)$ maximises both $L(\cdot,\mathbf h_k|\lambda)$ and $L(\cdot,\mathbf h_k|\lambda')$, $k=1,2$.
#
# *Step 3: the priors coincide (Gibbs form of the optimum).* Fix $k$ and $\theta_w = \theta_w(\mathbf h_k)$ (the same under
# $\lambda$ and $\lambda'$), so $G$ is the same function under both. Completing the KL,
# $$L = -\mathrm{KL}\big(q_\Gamma\,\|\,q^*_\lambda\big) + \log Z_\lambda,\qquad
#   q^*_\lambda(\Gamma) = \frac{p(\Gamma|\mathbf h_k,\lambda)\,e^{G(\Gamma)}}{Z_\lambda},\quad Z_\lambda = \int p(\Gamma|\mathbf h_k,\lambda)e^{G(\Gamma)}d\Gamma .$$
# The family contains the Gibbs optimum for every metaparameter (the richness assumed; e.g. all distributions on
# finitely many structures, as in the code part), in particular $q^*_\lambda$ and $q^*_{\lambda'}$. Since $\mathrm{KL}\ge0$ with
# equality iff the distributions coincide, the maximisers over $\theta_\Gamma$ are exactly the $\theta_\Gamma$ with
# $q_\Gamma(\cdot|\theta_\Gamma) = q^*_\lambda$ (a.e.); under $\lambda'$, exactly those with $q_\Gamma(\cdot|\theta_\Gamma) = q^*_{\lambda'}$.
# Hence $q^*_\lambda = q_\Gamma(\cdot|\theta_\Gamma(\mathbf h_k)) = q^*_{\lambda'}$ a.e., i.e. $p(\Gamma|\mathbf h_k,\lambda)/p(\Gamma|\mathbf h_k,\lambda') = Z_\lambda/Z_{\lambda'}$
# for almost every $\Gamma$ ($e^{G}>0$ cancels); both priors are normalised, so the constant is 1 and the priors are equal.
#
# *Where assumptions 1–2 are (not) needed.* This route uses neither. They belong to the stationarity route:
# differentiating under the integral (assumption 2) and subtracting the conditions under $\lambda$ and $\lambda'$ gives
# $\int \nabla_{\theta_\Gamma} q(\Gamma|\theta_\Gamma)\,f(\Gamma)\,d\Gamma = 0$ with $f = \log p(\Gamma|\mathbf h_k,\lambda) - \log p(\Gamma|\mathbf h_k,\lambda')$.
# That is $\dim\theta_\Gamma$ equations; it does **not** force $f = \mathrm{const}$, even when $\nabla q\ne0$ almost
# everywhere (assumption 1). Example: $q = \mathcal N(\theta,1)$ and $f(\Gamma) = a(\Gamma-\theta)^2 + b$ (the log-ratio of two priors
# $\mathcal N(\theta,\lambda)$, $\mathcal N(\theta,\lambda')$): $\int (\Gamma-\theta)\,\mathcal N(\Gamma|\theta,1)\,f(\Gamma)\,d\Gamma = 0$ although $f$ is not constant.
# The stationarity route would need the derivatives $\partial_{\theta_j} q$ to span enough functions; the richness that
# closes the argument is the one used above — the family contains the Gibbs optimum.
#
# *Step 4: no swap.* By assumption 3 (read for equality almost everywhere), $\lambda' = \lambda$. Then
# $Q(\mathbf h_k|\lambda') = Q(\mathbf h_k|\lambda)$ and $Q(\mathbf h_1|\lambda') > Q(\mathbf h_2|\lambda')$: condition (2) fails. So for every
# admissible pair no $\lambda'$ satisfies (1) and (2) together.
#
# *The negation of criterion 2.* Criterion 2 reads: $\exists K\ \exists\lambda\ \forall$ admissible $(\mathbf h_1,\mathbf h_2)$ with
# $Q(\mathbf h_1|\lambda)>Q(\mathbf h_2|\lambda)$ $\exists\lambda'$: (1) and (2). Its negation: $\forall K\ \forall\lambda\ \exists$ an admissible pair
# with $Q(\mathbf h_1|\lambda)>Q(\mathbf h_2|\lambda)$ such that $\forall\lambda'$: not both (1) and (2). Step 4 gives the last part for every
# admissible pair, so the negation holds as soon as **for every $K$ and $\lambda$ an admissible pair exists** (for a
# $K$, $\lambda$ without one the criterion holds vacuously) — this is the presumption of the statement. $\blacksquare$
#
# **Доказательство по-русски (кратко).** *Шаг 1.* $L = \mathbb E_{q_\Gamma}G + \mathcal H(q_\Gamma) + \mathbb E_{q_\Gamma}\log p(\Gamma|\mathbf h,\lambda)$; $\lambda$ входит только в
# последнее слагаемое, $G$ от $\lambda$ не зависит. *Шаг 2.* Сохранение соответствий: $\theta(\mathbf h_k)$ — точка максимума
# при $\lambda$ и при $\lambda'$. *Шаг 3.* При фиксированном $\theta_w$ имеем $L = -\mathrm{KL}(q_\Gamma\|q^*_\lambda) + \log Z_\lambda$; семейство
# содержит оптимум Гиббса при любом метапараметре (в частности, $q^*_\lambda$ и $q^*_{\lambda'}$), поэтому оптимум при $\lambda$ —
# ровно $q^*_\lambda$, а при $\lambda'$ — ровно $q^*_{\lambda'}$; значит, $q^*_\lambda = q^*_{\lambda'}$ почти всюду,
# отношение априорных распределений постоянно и по нормировке равно 1. Условия 1–2 здесь не нужны: из условия
# стационарности $\int\nabla_{\theta_\Gamma}q\,f\,d\Gamma = 0$ ($\dim\theta_\Gamma$ уравнений) не следует $f = \mathrm{const}$ даже при $\nabla q\ne0$ почти
# всюду (пример: $q = \mathcal N(\theta,1)$, $f = a(\Gamma-\theta)^2+b$). *Шаг 4.* По условию 3 $\lambda'=\lambda$, порядок $Q$ не меняется.
# Отрицание критерия 2: для любых $K$ и $\lambda$ существует допустимая пара, для которой никакое $\lambda'$ не даёт (1) и (2);
# шаг 4 доказывает это для каждой допустимой пары, так что нужно, чтобы для любых $K$ и $\lambda$ допустимая пара существовала.

# %% [markdown]
# ### Grading rubric (10 points) / Критерии оценивания (10 баллов)
#
# | step | points |
# |---|---|
# | The ELBO split so that $\lambda$ enters only through $\mathbb E_{q_\Gamma}\log p(\Gamma\vert \mathbf h,\lambda)$ | 2 |
# | Preserved correspondences written as: $\theta(\mathbf h_k)$ maximises $L(\cdot,\mathbf h_k\vert \lambda)$ and $L(\cdot,\mathbf h_k\vert \lambda')$, with the same $\theta_w$, hence the same $G$ | 2 |
# | From optimality to $p(\Gamma\vert \mathbf h_k,\lambda) = p(\Gamma\vert \mathbf h_k,\lambda')$: Gibbs form $L = -\mathrm{KL}(q_\Gamma\Vert q^*_\lambda)+\log Z_\lambda$, the optimum is $q^*_\lambda$ (and $q^*_{\lambda'}$ under $\lambda'$) because the family contains the Gibbs optima, ratio of the priors constant, normalisation. No credit for "the bracket vanishes where $\nabla q\ne0$, i.e. a.e. (assumption 1)": the stationarity condition is $\dim\theta_\Gamma$ equations and does not force it; full marks need the Gibbs route (or another valid argument) and a correct remark on where assumption 1 is not enough | 3 |
# | Assumption 3 gives $\lambda'=\lambda$, so $Q$ and the order do not change; the negation of criterion 2 with the right quantifiers: for every $K$ and every $\lambda$ there is an admissible pair for which no $\lambda'$ gives (1) and (2); the proof needs that for every $K$ and $\lambda$ an admissible pair exists | 2 |
# | Clarity and logical order | 1 |
#
# ---
#
# | шаг | баллы |
# |---|---|
# | ELBO разложена так, что $\lambda$ входит только через $\mathbb E_{q_\Gamma}\log p(\Gamma\vert \mathbf h,\lambda)$ | 2 |
# | Сохранение соответствий записано так: $\theta(\mathbf h_k)$ максимизирует и $L(\cdot,\mathbf h_k\vert \lambda)$, и $L(\cdot,\mathbf h_k\vert \lambda')$, при одном и том же $\theta_w$, а значит, одной и той же $G$ | 2 |
# | От оптимальности к $p(\Gamma\vert \mathbf h_k,\lambda) = p(\Gamma\vert \mathbf h_k,\lambda')$: форма Гиббса $L = -\mathrm{KL}(q_\Gamma\Vert q^*_\lambda)+\log Z_\lambda$, оптимум равен $q^*_\lambda$ (при $\lambda'$ — $q^*_{\lambda'}$), так как семейство содержит оптимумы Гиббса, отношение априорных распределений постоянно, нормировка. Не засчитывается «скобка обращается в нуль там, где $\nabla q\ne0$, т. е. почти всюду (условие 1)»: условие стационарности — это $\dim\theta_\Gamma$ уравнений, и оно этого не влечёт; полный балл — за рассуждение через форму Гиббса (или другое верное) и верное замечание о том, где условия 1 недостаточно | 3 |
# | Из условия 3 следует $\lambda'=\lambda$, поэтому $Q$ и порядок не меняются; отрицание критерия 2 с верными кванторами: для любых $K$ и $\lambda$ найдётся допустимая пара, для которой никакое $\lambda'$ не даёт (1) и (2); доказательство требует, чтобы для любых $K$ и $\lambda$ допустимая пара существовала | 2 |
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
# The three functions are graded separately: 2.2 and 2.3 take the prior as an argument `prior` [4] (in your own
# experiments pass `tempered_prior(pi, lam)`; the tests pass their own priors), so a slip in 2.1 costs only 2.1.
#
# ### 2.1 The tempered prior (3 points: 2 for the values, 1 for the error)
# `tempered_prior(pi, lam)` returns the 4 probabilities; it raises `ValueError` with a message in English and Russian
# when `lam <= 0`.
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
# Три функции оцениваются независимо: 2.2 и 2.3 получают априорное распределение аргументом `prior` [4] (в своих
# экспериментах передавайте `tempered_prior(pi, lam)`; тесты передают свои распределения), так что ошибка в 2.1
# стоит баллов только за 2.1.
#
# ### 2.1 Априорное распределение с температурой (3 балла: 2 за значения, 1 за ошибку)
# `tempered_prior(pi, lam)` возвращает 4 вероятности; при `lam <= 0` вызывает `ValueError` с сообщением на английском
# и русском языках.

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


# %% nb="tests" gid="test_tempered_prior" points=2
_p = tempered_prior(pi0, 1.0)
check_close("test_tempered_prior:bernoulli", _p, prior0, rtol=1e-10, atol=1e-12)
check_close("test_tempered_prior:hot", tempered_prior(pi0, 1e6), [0.25] * 4, rtol=1e-4, atol=1e-6)
### BEGIN HIDDEN TESTS
for _seed in (1, 2, 3):
    _g = hidden_generator(f"test_tempered_prior:{_seed}")
    _pi = 0.05 + 0.9 * torch.rand(2, generator=_g)
    _lam = float(0.1 + 4 * torch.rand(1, generator=_g))
    probe(f"test_tempered_prior:values_{_seed}", tempered_prior(_pi, _lam), rtol=1e-10, atol=1e-12)
    # the temperature matters (assumption 3) / температура влияет на распределение
    probe(f"test_tempered_prior:warmer_{_seed}", tempered_prior(_pi, 1.3 * _lam), rtol=1e-10, atol=1e-12)
    # cold limit: one-hot on the most probable structure / холодный предел
    probe(f"test_tempered_prior:cold_{_seed}", tempered_prior(_pi, 2e-2), rtol=0, atol=1e-6)
### END HIDDEN TESTS

# %% nb="tests" gid="test_tempered_prior_error" points=1
try:
    tempered_prior(pi0, 0.0)
    _raised = False
except ValueError:
    _raised = True
check_true("test_tempered_prior_error:bad_temperature", _raised, "λ ≤ 0 must raise ValueError / λ ≤ 0 должно вызывать ValueError")
### BEGIN HIDDEN TESTS
import re as _re
_g = hidden_generator("test_tempered_prior_error")
for _seed, _bad in zip((1, 2, 3), (0.0, -1.0, -float(torch.rand(1, generator=_g)))):
    try:
        tempered_prior(torch.tensor([0.3, 0.6]), _bad)
        _flags = [0.0, 0.0, 0.0]
    except ValueError as _e:
        _flags = [1.0, float(bool(_re.search("[А-Яа-яЁё]", str(_e)))), float(bool(_re.search("[A-Za-z]", str(_e))))]
    except Exception:  # noqa: BLE001 - another exception type is a wrong answer, not a crash of the cell
        _flags = [0.0, 0.0, 0.0]
    probe(f"test_tempered_prior_error:raised_cyrillic_latin_{_seed}", _flags, rtol=0, atol=0)
# a tiny positive temperature is still valid: a normalised distribution / малая положительная температура допустима
_pi = 0.05 + 0.9 * torch.rand(2, generator=_g)
probe("test_tempered_prior_error:small_positive_sum", float(tempered_prior(_pi, 1e-2).sum()), rtol=1e-10, atol=1e-12)
### END HIDDEN TESTS

# %% [markdown]
# ### 2.2 The bound as a function of $q_\Gamma$ (3 points)
# `structure_bound(q_gamma, log_ev, prior)` returns $L(q|\lambda) = \sum_\Gamma q(\Gamma)F(\Gamma) - \mathrm{KL}\big(q\,\|\,p\big)$ for the
# prior probabilities `prior` [4] of the structures (e.g. `tempered_prior(pi, lam)`); convention $0\log0 = 0$.
#
# ---
#
# ### 2.2 Оценка как функция $q_\Gamma$ (3 балла)
# `structure_bound(q_gamma, log_ev, prior)` возвращает $L(q|\lambda) = \sum_\Gamma q(\Gamma)F(\Gamma) - \mathrm{KL}\big(q\,\|\,p\big)$ для
# априорных вероятностей структур `prior` [4] (например, `tempered_prior(pi, lam)`); соглашение $0\log0 = 0$.

# %% nb="answer" gid="structure_bound"
def structure_bound(q_gamma, log_ev, prior):
    """L(q | λ) = Σ q F − KL(q || prior), a scalar tensor."""
    ### BEGIN SOLUTION
    return torch.sum(q_gamma * log_ev) - torch.sum(torch.xlogy(q_gamma, q_gamma) - torch.xlogy(q_gamma, prior))
    ### END SOLUTION


# %% nb="tests" gid="test_structure_bound" points=3
check_close("test_structure_bound:q_is_prior", structure_bound(prior0, log_ev0, prior0), torch.sum(prior0 * log_ev0),
            rtol=1e-12, atol=1e-12)
_b = structure_bound(torch.tensor([0.0, 0.0, 1.0, 0.0]), log_ev0, prior0)
check_close("test_structure_bound:point_mass", _b, -9.0 + math.log(0.7 * 0.8), rtol=1e-12, atol=1e-12)
### BEGIN HIDDEN TESTS
for _seed in (1, 2, 3):
    _g = hidden_generator(f"test_structure_bound:{_seed}")
    _prior = torch.softmax(1.5 * torch.randn(4, generator=_g), 0)
    _F = -10 + 3 * torch.randn(4, generator=_g)
    _q = torch.rand(4, generator=_g) + 0.01
    _q = _q / _q.sum()
    probe(f"test_structure_bound:value_{_seed}", structure_bound(_q, _F, _prior), rtol=1e-10, atol=1e-10)
    # structures with zero variational probability contribute nothing / структуры с нулевой вероятностью
    _q0 = _q * torch.tensor([1.0, 0.0, 1.0, 0.0]) if _seed % 2 else _q * torch.tensor([0.0, 1.0, 1.0, 0.0])
    probe(f"test_structure_bound:zero_mass_{_seed}", structure_bound(_q0 / _q0.sum(), _F, _prior), rtol=1e-10, atol=1e-10)
### END HIDDEN TESTS

# %% [markdown]
# ### 2.3 The optimum $\theta(\mathbf h)$ and $Q(\mathbf h|\lambda)$; no swap while correspondences hold (4 points)
# `optimal_structure(log_ev, prior)` returns the pair `(q_star, Q)`: the maximiser of $L(\cdot|\lambda)$ over the simplex
# and the maximum $Q$, both in closed form, for the prior probabilities `prior` [4]. The hidden tests take random
# instances, then two hyperparameters $\boldsymbol\pi_1, \boldsymbol\pi_2$ whose priors differ strongly and a scan of
# $\lambda'$: Statement 5 says that whenever both optima $q^*(\boldsymbol\pi_k|\lambda')$ stay equal to
# $q^*(\boldsymbol\pi_k|\lambda)$ (only at $\lambda'=\lambda$), the order of $Q(\boldsymbol\pi_1|\cdot)$ and $Q(\boldsymbol\pi_2|\cdot)$ is kept.
#
# ---
#
# ### 2.3 Оптимум $\theta(\mathbf h)$ и $Q(\mathbf h|\lambda)$; порядок не меняется, пока сохраняются соответствия (4 балла)
# `optimal_structure(log_ev, prior)` возвращает пару `(q_star, Q)`: точку максимума $L(\cdot|\lambda)$ на симплексе и
# максимум $Q$, обе явными формулами, для априорных вероятностей `prior` [4]. Скрытые тесты берут случайные примеры,
# затем два гиперпараметра $\boldsymbol\pi_1, \boldsymbol\pi_2$ с сильно различающимися априорными распределениями и
# перебор $\lambda'$: по утверждению 5, пока оба оптимума $q^*(\boldsymbol\pi_k|\lambda')$ равны $q^*(\boldsymbol\pi_k|\lambda)$
# (это бывает только при $\lambda'=\lambda$), порядок $Q(\boldsymbol\pi_1|\cdot)$ и $Q(\boldsymbol\pi_2|\cdot)$ сохраняется.

# %% nb="answer" gid="optimal_structure"
def optimal_structure(log_ev, prior):
    """(q* [4], Q) with q* = argmax_q L(q | λ) and Q = max_q L(q | λ) for the structure prior `prior`."""
    ### BEGIN SOLUTION
    logits = torch.log(prior) + log_ev
    return torch.softmax(logits, 0), torch.logsumexp(logits, 0)
    ### END SOLUTION


# %% nb="tests" gid="test_optimal_structure" points=4
_qs, _Q = optimal_structure(log_ev0, prior0)
check_close("test_optimal_structure:normalised", _qs.sum(), 1.0, rtol=1e-12, atol=1e-12)
check_close("test_optimal_structure:value", _Q, -9.386866863934106, rtol=1e-10, atol=1e-10)
check_close("test_optimal_structure:q_star", _qs, [0.017593082539849998, 0.019711681433100328, 0.8245218542093066,
                                                   0.1381733818177432], rtol=1e-9, atol=1e-12)
### BEGIN HIDDEN TESTS
for _seed in (1, 2, 3):
    _g = hidden_generator(f"test_optimal_structure:{_seed}")
    _prior = torch.softmax(1.5 * torch.randn(4, generator=_g), 0)
    _F = -10 + 2 * torch.randn(4, generator=_g)
    _qs, _Q = optimal_structure(_F, _prior)
    probe(f"test_optimal_structure:q_star_{_seed}", _qs, rtol=1e-9, atol=1e-12)
    probe(f"test_optimal_structure:Q_{_seed}", _Q, rtol=1e-10, atol=1e-10)


# Statement 5 numerically: two hyperparameters with strongly different priors, a scan of λ' (the priors are inputs)
def _tempered(pi, lam):
    log_p = (STRUCTURES * torch.log(pi) + (1 - STRUCTURES) * torch.log1p(-pi)).sum(1)
    return torch.softmax(log_p / lam, 0)


_g = hidden_generator("test_optimal_structure:scan")
_F = torch.tensor([-11.0, -9.0, -9.3, -7.0]) + 0.5 * torch.randn(4, generator=_g)
_pi1, _pi2 = torch.tensor([0.9, 0.1]), torch.tensor([0.1, 0.8])
_scan = [(float(_lp),) + tuple(optimal_structure(_F, _tempered(_pi, float(_lp))) for _pi in (_pi1, _pi2))
         for _lp in np.round(np.linspace(0.05, 5.0, 34), 10)]
probe("test_optimal_structure:scan_Q_gap", [float(_a[1] - _b[1]) for _, _a, _b in _scan], rtol=1e-9, atol=1e-9)
probe("test_optimal_structure:scan_q_star", [torch.cat([_a[0], _b[0]]) for _, _a, _b in _scan], rtol=1e-9, atol=1e-12)
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
from metaopt_course.selfcheck import run_checks

run_checks("theory_5")  # quiet while graded; under Validate it lists unanswered written answers
