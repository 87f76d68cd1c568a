# %% [markdown]
# # Theory 4. The limit of $\mathbb E\rho^{-1}$ when the parametric complexity vanishes
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
# # Теория 4. Предел $\mathbb E\rho^{-1}$ при исчезающей параметрической сложности
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
import scipy.integrate
import torch

from metaopt_course.grading import check_close, check_true, hidden_generator, probe
from metaopt_lib.seeding import set_seed

GRADING = bool(os.environ.get("NBGRADER_EXECUTION"))  # True while the notebook is being graded
torch.set_default_dtype(torch.float64)
set_seed(0)

# %% [markdown]
# ## The statement
#
# Recall (Theory 2, 3): the relative variational density $\rho(w|\Gamma,\theta_w,\mathbf h,\lambda) = q_w(m|\Gamma,\theta_w)/q_w(\operatorname{mode}q_w|\Gamma,\theta_w)$,
# where $m$ is the common mode of the prior; the parametric complexity
# $C_p(\theta|U_h,\lambda) = \min_{\mathbf h\in U_h}\mathrm{KL}\big(q(\mathbf w,\Gamma|\theta)\,\|\,p(\mathbf w,\Gamma|\mathbf h,\lambda)\big)$.
#
# **Statement 4.** Let the assumptions of Statements 2 and 3 hold (compact sets $U_h, U_{\theta_w}, U_{\theta_\Gamma}$;
# unimodal absolutely continuous $q_w$ and prior whose modes equal their means, the prior's mode $m$ the same for all
# $\mathbf h$, $\Gamma$; finite second moments of the marginals of $w$ — we take them bounded uniformly on the compact
# sets; $q_w$ Lipschitz in $w$ with one constant; $\inf q_w(m|\Gamma,\theta_w) > 0$; a unique minimiser $\mathbf h[i]$
# in the definition of $C_p$; a sequence $\theta[i]\in U_\theta$ with $C_p(\theta[i]|U_h,\lambda)\to0$). Then
# $$\lim_{i\to\infty}\ \mathbb E_{q_\Gamma(\Gamma|\theta_\Gamma[i])}\ \rho(w|\Gamma,\theta_w[i],\mathbf h[i],\lambda)^{-1} = 1.$$
# Prove it. Hint: Statement 3 gives convergence in $L_1$ of the densities; to pass to $\iint|w|\,|q_w - p|\,q_\Gamma$ (the
# right side of Statement 2) use uniform integrability, which bounded second moments provide (see the discussion
# "convergence in law and uniform integrability", math.stackexchange.com/questions/112786).
#
# ---
#
# ## Утверждение
#
# Напомним (теория 2, 3): относительная вариационная плотность $\rho(w|\Gamma,\theta_w,\mathbf h,\lambda) = q_w(m|\Gamma,\theta_w)/q_w(\operatorname{mode}q_w|\Gamma,\theta_w)$,
# где $m$ — общая мода априорного распределения; параметрическая сложность
# $C_p(\theta|U_h,\lambda) = \min_{\mathbf h\in U_h}\mathrm{KL}\big(q(\mathbf w,\Gamma|\theta)\,\|\,p(\mathbf w,\Gamma|\mathbf h,\lambda)\big)$.
#
# **Утверждение 4.** Пусть выполнены условия утверждений 2 и 3 (компакты $U_h, U_{\theta_w}, U_{\theta_\Gamma}$;
# унимодальные абсолютно непрерывные $q_w$ и априорное распределение, у которых мода совпадает с матожиданием, а мода
# априорного распределения $m$ одна для всех $\mathbf h$, $\Gamma$; конечные вторые моменты маргинальных распределений
# $w$ — считаем их равномерно ограниченными на компактах; $q_w$ липшицево по $w$ с общей константой;
# $\inf q_w(m|\Gamma,\theta_w) > 0$; единственная точка минимума $\mathbf h[i]$ в определении $C_p$; последовательность
# $\theta[i]\in U_\theta$ с $C_p(\theta[i]|U_h,\lambda)\to0$). Тогда
# $$\lim_{i\to\infty}\ \mathbb E_{q_\Gamma(\Gamma|\theta_\Gamma[i])}\ \rho(w|\Gamma,\theta_w[i],\mathbf h[i],\lambda)^{-1} = 1.$$
# Докажите утверждение. Подсказка: утверждение 3 даёт сходимость плотностей в $L_1$; чтобы перейти к
# $\iint|w|\,|q_w - p|\,q_\Gamma$ (правая часть утверждения 2), используйте равномерную интегрируемость, которую дают
# ограниченные вторые моменты (см. обсуждение «convergence in law and uniform integrability», math.stackexchange.com/questions/112786).

# %% [markdown] nb="manual" gid="proof" points=10
# **Proof / Доказательство.** Write $D_i = \iint |p(\mathbf w|\Gamma,\mathbf h[i],\lambda) - q_w(\mathbf w|\Gamma,\theta_w[i])|\,q_\Gamma(\Gamma|\theta_\Gamma[i])\,d\Gamma\,d\mathbf w$
# and $J_i = \iint |w|\,|p - q_w|\,q_\Gamma\,d\Gamma\,dw$ (same arguments).
#
# *Step 1 (Statement 3).* Its assumptions hold, so $D_i \to 0$.
#
# *Step 2 (uniform integrability).* Let $M = \sup_i\big(\mathbb E_{\bar q_i} w^2 + \mathbb E_{\bar p_i} w^2\big) < \infty$, where
# $\bar q_i = \int q_\Gamma q_w\,d\Gamma$ and $\bar p_i = \int q_\Gamma p\,d\Gamma$ are the marginals (bounded second moments
# on the compact sets). For any $R>0$ split the integral at $|w| = R$; on $|w|>R$ use $|w| \le w^2/R$ and $|p - q_w| \le p + q_w$:
# $$J_i \le R\,D_i + \frac1R\iint_{|w|>R} w^2\,(p + q_w)\,q_\Gamma \le R\,D_i + \frac{M}{R}.$$
# Given $\varepsilon>0$ take $R = 2M/\varepsilon$ and then $i_0$ with $R\,D_i < \varepsilon/2$ for $i\ge i_0$: $J_i < \varepsilon$. So $J_i\to0$.
#
# *Step 3 (Statement 2).* Its assumptions hold for every $\theta[i]\in U_\theta$, $\mathbf h[i]\in U_h$ with one constant
# $C = L/q_{\inf}$ (uniform on the compact sets), so $\big|\mathbb E_{q_\Gamma}\rho^{-1} - 1\big| \le C\,J_i \to 0$, i.e.
# $\lim_i \mathbb E_{q_\Gamma(\Gamma|\theta_\Gamma[i])}\rho^{-1} = 1$. $\blacksquare$
#
# (Without the uniform bound on second moments, $L_1$ convergence alone does not control $\int|w||p-q|$: mass
# $1/i$ moved to $w = i^2$ keeps $D_i\to0$ while $J_i\to\infty$.)

# %% [markdown]
# ### Grading rubric (10 points) / Критерии оценивания (10 баллов)
#
# | step | points |
# |---|---|
# | Statement 3 invoked correctly: the weighted $L_1$ distance $D_i\to0$ | 2 |
# | Why $L_1$ convergence is not enough by itself, and uniform integrability from bounded second moments | 2 |
# | The split at $\vert w\vert =R$: $J_i \le R D_i + M/R$, and the $\varepsilon$–$R$–$i_0$ argument | 3 |
# | Statement 2 applied with a constant independent of $i$ (compactness), giving $\vert \mathbb E\rho^{-1}-1\vert \le C J_i\to0$ | 2 |
# | Clarity: which assumptions are used where | 1 |
#
# ---
#
# | шаг | баллы |
# |---|---|
# | Верно применено утверждение 3: взвешенное расстояние $L_1$ $D_i\to0$ | 2 |
# | Объяснено, почему сходимости в $L_1$ самой по себе мало, и равномерная интегрируемость из ограниченности вторых моментов | 2 |
# | Разбиение по $\vert w\vert =R$: $J_i \le R D_i + M/R$ и рассуждение $\varepsilon$–$R$–$i_0$ | 3 |
# | Утверждение 2 применено с константой, не зависящей от $i$ (компактность): $\vert \mathbb E\rho^{-1}-1\vert \le C J_i\to0$ | 2 |
# | Ясность: какие условия где используются | 1 |

# %% [markdown]
# ## Part 2. Code: a continuous structure
#
# Let the structure be a continuous gate $\Gamma\sim q_\Gamma = \mathcal N(\gamma, \tau^2)$ that scales the mean of the
# parameter: $q_w(w|\Gamma) = \mathcal N(\Gamma\mu, \sigma^2)$; the prior $p(w|\Gamma,h) = \mathcal N(0, h)$, so $m = 0$ for
# all $\Gamma$, $h$. Then
# $$\rho^{-1}(\Gamma) = \frac{q_w(\Gamma\mu|\Gamma)}{q_w(0|\Gamma)} = \exp\Big(\frac{\Gamma^2\mu^2}{2\sigma^2}\Big).$$
# (This Gaussian gate is not compact: $\inf_\Gamma q_w(0|\Gamma) = 0$, so assumption 7 fails, and indeed
# $\mathbb E\rho^{-1}$ can be infinite. Find out when.)
#
# ### 2.1 Monte Carlo (5 points)
# `rho_inverse_mc(mu, sigma, gamma_mean, gamma_std, n_samples, generator)` draws `n_samples` values of $\Gamma$ with
# `torch.randn(..., generator=generator)` and returns the pair `(estimate, standard_error)` of $\mathbb E_{q_\Gamma}\rho^{-1}$
# (standard error = sample standard deviation / $\sqrt{n}$). The hidden tests call it with their own generators and
# compare with the reference solution: drawn as asked, your estimate is the reference's; drawn otherwise, it must
# still agree within 6 standard errors, and your standard error within 15 %.
#
# ---
#
# ## Часть 2. Код: непрерывная структура
#
# Пусть структура — непрерывный «вентиль» $\Gamma\sim q_\Gamma = \mathcal N(\gamma, \tau^2)$, масштабирующий среднее
# параметра: $q_w(w|\Gamma) = \mathcal N(\Gamma\mu, \sigma^2)$; априорное распределение $p(w|\Gamma,h) = \mathcal N(0, h)$,
# так что $m = 0$ при всех $\Gamma$, $h$. Тогда
# $$\rho^{-1}(\Gamma) = \frac{q_w(\Gamma\mu|\Gamma)}{q_w(0|\Gamma)} = \exp\Big(\frac{\Gamma^2\mu^2}{2\sigma^2}\Big).$$
# (Гауссовский вентиль не компактен: $\inf_\Gamma q_w(0|\Gamma) = 0$, условие 7 нарушено, и $\mathbb E\rho^{-1}$ действительно
# может быть бесконечным. Выясните, когда.)
#
# ### 2.1 Метод Монте-Карло (5 баллов)
# `rho_inverse_mc(mu, sigma, gamma_mean, gamma_std, n_samples, generator)` порождает `n_samples` значений $\Gamma$ через
# `torch.randn(..., generator=generator)` и возвращает пару `(estimate, standard_error)` для $\mathbb E_{q_\Gamma}\rho^{-1}$
# (стандартная ошибка = выборочное стандартное отклонение / $\sqrt{n}$). Скрытые тесты вызывают её со своими
# генераторами и сравнивают с эталонным решением: при порождении, как сказано, ваша оценка совпадёт с эталонной;
# при другом способе она должна совпасть с точностью до 6 стандартных ошибок, а стандартная ошибка — до 15 %.

# %% nb="answer" gid="rho_inverse_mc"
def rho_inverse_mc(mu, sigma, gamma_mean, gamma_std, n_samples, generator):
    """Monte Carlo estimate of E_{Γ~N(gamma_mean, gamma_std²)} exp(Γ²μ²/(2σ²)) and its standard error."""
    ### BEGIN SOLUTION
    gamma = gamma_mean + gamma_std * torch.randn(n_samples, generator=generator)
    values = torch.exp(gamma ** 2 * mu ** 2 / (2 * sigma ** 2))
    return float(values.mean()), float(values.std() / math.sqrt(n_samples))
    ### END SOLUTION


# %% nb="tests" gid="test_rho_inverse_mc" points=5
_est, _se = rho_inverse_mc(0.0, 1.0, 0.5, 0.2, 1000, torch.Generator().manual_seed(0))
check_close("test_rho_inverse_mc:mu_zero", [_est, _se], [1.0, 0.0], rtol=0, atol=1e-12)
_est, _se = rho_inverse_mc(0.5, 1.0, 1.0, 0.0, 1000, torch.Generator().manual_seed(0))
check_close("test_rho_inverse_mc:fixed_gate", _est, math.exp(0.125), rtol=1e-12, atol=0)
_est, _se = rho_inverse_mc(0.5, 1.0, 1.0, 0.3, 20000, torch.Generator().manual_seed(0))
check_true("test_rho_inverse_mc:above_one", _est > 1 and 0 < _se < 0.05, "E ρ⁻¹ > 1, small standard error")
### BEGIN HIDDEN TESTS
for _seed in (1, 2, 3):
    _g = hidden_generator(f"test_rho_inverse_mc:{_seed}")
    _mu = float(0.3 + torch.rand(1, generator=_g))
    _sig = float(0.8 + torch.rand(1, generator=_g))
    _gm = float(torch.randn(1, generator=_g))
    _gs = float(0.1 + 0.3 * torch.rand(1, generator=_g))  # 4cτ² < 1: finite variance of the estimate
    _n = 200_000
    _est, _se = rho_inverse_mc(_mu, _sig, _gm, _gs, _n, hidden_generator(f"test_rho_inverse_mc:draws{_seed}"))
    # tolerance: 6 standard errors of the run that reports the expected value (the reference's)
    probe(f"test_rho_inverse_mc:estimate_{_seed}", _est, rtol=0, atol=6 * _se)
    probe(f"test_rho_inverse_mc:standard_error_{_seed}", _se, rtol=0.15, atol=0)
    # the estimate follows the generator: the same seed gives the same number / та же затравка — то же число
    _again, _ = rho_inverse_mc(_mu, _sig, _gm, _gs, _n, hidden_generator(f"test_rho_inverse_mc:draws{_seed}"))
    probe(f"test_rho_inverse_mc:reproducible_{_seed}", _again - _est, rtol=0, atol=1e-12)
### END HIDDEN TESTS

# %% [markdown]
# ### 2.2 Closed form, divergence and the limit (5 points)
# `rho_inverse_closed(mu, sigma, gamma_mean, gamma_std)` returns $\mathbb E_{\Gamma\sim\mathcal N(\gamma,\tau^2)}\exp\big(\Gamma^2\mu^2/(2\sigma^2)\big)$
# in closed form (complete the square in the Gaussian integral), and `math.inf` when the expectation diverges.
# Then check Statement 4 on a sequence: as $\mu_i\to0$ (the variational mean returns to the prior's mode, $C_p\to0$),
# your value must tend to 1. The hidden tests take random instances below, at and beyond the threshold of divergence
# and follow sequences $\theta[i]$.
#
# ---
#
# ### 2.2 Явная формула, расходимость и предел (5 баллов)
# `rho_inverse_closed(mu, sigma, gamma_mean, gamma_std)` возвращает $\mathbb E_{\Gamma\sim\mathcal N(\gamma,\tau^2)}\exp\big(\Gamma^2\mu^2/(2\sigma^2)\big)$
# явной формулой (выделите полный квадрат в гауссовском интеграле) и `math.inf`, если матожидание расходится.
# Затем проверьте утверждение 4 на последовательности: при $\mu_i\to0$ (вариационное среднее возвращается к моде
# априорного распределения, $C_p\to0$) ваше значение должно стремиться к 1. Скрытые тесты берут случайные примеры
# до порога расходимости, на пороге и за ним и проходят по последовательностям $\theta[i]$.

# %% nb="answer" gid="rho_inverse_closed"
def rho_inverse_closed(mu, sigma, gamma_mean, gamma_std):
    """E_{Γ~N(gamma_mean, gamma_std²)} exp(Γ²μ²/(2σ²)) in closed form; math.inf when it diverges."""
    ### BEGIN SOLUTION
    c = mu ** 2 / (2 * sigma ** 2)
    d = 1 - 2 * c * gamma_std ** 2
    if d <= 0:
        return math.inf
    exponent = c * gamma_mean ** 2 / d - 0.5 * math.log(d)
    return math.exp(exponent) if exponent < 709 else math.inf  # beyond float range
    ### END SOLUTION


# %% nb="tests" gid="test_rho_inverse_closed" points=5
check_close("test_rho_inverse_closed:mu_zero", rho_inverse_closed(0.0, 1.0, 0.7, 0.4), 1.0, rtol=1e-12, atol=0)
check_close("test_rho_inverse_closed:fixed_gate", rho_inverse_closed(0.5, 1.0, 1.0, 0.0), math.exp(0.125), rtol=1e-12, atol=0)
check_true("test_rho_inverse_closed:diverges", rho_inverse_closed(2.0, 1.0, 0.0, 1.0) == math.inf,
           "μ²τ² ≥ σ²: the expectation is infinite / матожидание бесконечно")
_vals = [rho_inverse_closed(1.0 / _i, 1.0, 1.0, 0.3) for _i in (1, 10, 100, 1000)]
check_true("test_rho_inverse_closed:limit", abs(_vals[-1] - 1) < 1e-5, f"E ρ⁻¹ → 1: {_vals}")
### BEGIN HIDDEN TESTS
for _seed in (1, 2, 3):
    _g = hidden_generator(f"test_rho_inverse_closed:{_seed}")
    _mu = float(0.2 + 1.5 * torch.rand(1, generator=_g))
    _sig = float(0.5 + torch.rand(1, generator=_g))
    _gm = float(torch.randn(1, generator=_g))
    _gs = float(0.9 * _sig / _mu * torch.rand(1, generator=_g))  # μ²τ² < 0.81σ²: finite
    probe(f"test_rho_inverse_closed:value_{_seed}", rho_inverse_closed(_mu, _sig, _gm, _gs), rtol=1e-9, atol=0)
    # at the threshold μ²τ² = σ² (here exactly: σ = μ, τ = 1) and beyond it the integral diverges
    probe(f"test_rho_inverse_closed:threshold_{_seed}",
          [rho_inverse_closed(_mu, _mu, _gm, 1.0), rho_inverse_closed(_mu, _sig, _gm, 1.001 * _sig / _mu),
           rho_inverse_closed(_mu, _sig, _gm, 1.2 * _sig / _mu)], rtol=0, atol=0)
    # Statement 4 on a sequence θ[i]: μ_i = μ/i → 0, σ_i² → the prior variance: E ρ⁻¹ decreases to 1
    probe(f"test_rho_inverse_closed:sequence_{_seed}",
          [rho_inverse_closed(_mu / _i, math.sqrt(_sig ** 2 * (1 + 1 / _i)), _gm, _gs) for _i in (1, 2, 5, 20, 100, 1000)],
          rtol=1e-9, atol=0)
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

run_checks("theory_4")  # quiet while graded; under Validate it lists unanswered written answers
