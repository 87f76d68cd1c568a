# %% [markdown]
# # Theory 2. The relative variational density: a bound on $|\mathbb E\rho^{-1} - 1|$
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
# # Теория 2. Относительная вариационная плотность: оценка $|\mathbb E\rho^{-1} - 1|$
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
import scipy.special
import torch

from metaopt_course.grading import check_close, check_true, hidden_generator, probe
from metaopt_lib.seeding import set_seed

GRADING = bool(os.environ.get("NBGRADER_EXECUTION"))  # True while the notebook is being graded
torch.set_default_dtype(torch.float64)
set_seed(0)

# An example with K = 3 structures / пример с K = 3 структурами
q_gamma0 = torch.tensor([0.5, 0.3, 0.2])   # q_Γ(Γ | θ_Γ)
mu0 = torch.tensor([0.4, -0.2, 1.0])      # mode = mean of q_w(w | Γ, θ_w)
sigma0 = torch.tensor([0.5, 1.0, 0.8])     # std of q_w(w | Γ, θ_w)
m0 = 0.0                                   # common mode = mean of the prior p(w | Γ, h, λ)
s0 = torch.tensor([1.0, 0.7, 1.5])         # std of the prior p(w | Γ, h, λ)

# %% [markdown]
# ## The statement
#
# The **relative variational density** of a parameter $w$ compares the variational density at the prior's mode
# with its value at its own mode:
# $$\rho(w|\Gamma,\theta_w,\mathbf h,\lambda) = \frac{q_w\big(\operatorname{mode} p(w|\Gamma,\mathbf h,\lambda)\,\big|\,\Gamma,\theta_w\big)}{q_w\big(\operatorname{mode} q_w(\cdot|\Gamma,\theta_w)\,\big|\,\Gamma,\theta_w\big)} \in (0, 1].$$
# A parameter with small $\rho$ (the prior's mode is improbable under $q$) is informative; $\rho \approx 1$ means
# $q$ barely moved away from the prior, so the parameter can be pruned.
#
# **Statement 2.** Assume
# 1. compact sets $U_h \subset \mathbb H$, $U_{\theta_w} \subset \Theta_w$, $U_{\theta_\Gamma} \subset \Theta_\Gamma$ are given;
# 2. $q_w(w|\Gamma,\theta_w)$ is absolutely continuous and unimodal on $U_{\theta_w}$, its mode equals its mean: $\operatorname{mode} q_w(w|\Gamma,\theta_w) = \mathbb E_{q_w(w|\Gamma,\theta_w)} w$;
# 3. the prior $p(w|\Gamma,\mathbf h,\lambda)$ is absolutely continuous and unimodal on $U_h$, its mode equals its mean and depends neither on $\mathbf h \in U_h$ nor on the structure: $\mathbb E_{p(w|\Gamma,\mathbf h,\lambda)} w = \operatorname{mode} p(w|\Gamma_1,\mathbf h_1,\lambda) = \operatorname{mode} p(w|\Gamma_2,\mathbf h_2,\lambda) = m$ for all $\mathbf h_1,\mathbf h_2 \in U_h$, $\Gamma_1,\Gamma_2$;
# 4. $w$ has finite second moments under the marginals $\int q_\Gamma(\Gamma|\theta_\Gamma)q_w(w|\Gamma,\theta_w)d\Gamma$ and $\int q_\Gamma(\Gamma|\theta_\Gamma)p(w|\Gamma,\mathbf h,\lambda)d\Gamma$ for all $\theta_w\in U_{\theta_w}$, $\theta_\Gamma\in U_{\theta_\Gamma}$, $\mathbf h\in U_h$;
# 5. $q_w(w|\Gamma,\theta_w)$ is Lipschitz in $w$ (we read this, as the proof needs, with one constant $L$ for all $\Gamma$ and $\theta_w \in U_{\theta_w}$);
# 6. $q_w(w|\Gamma,\theta_w) \ne 0$ for all $\theta_w\in U_{\theta_w}$, $\Gamma$;
# 7. $\inf_{\Gamma,\ \theta_w\in U_{\theta_w}} q_w(m|\Gamma,\theta_w) > 0$.
#
# Then there is a constant $C$ such that
# $$\Big|\,\mathbb E_{q_\Gamma(\Gamma|\theta_\Gamma)}\, \rho(w|\Gamma,\theta_w,\mathbf h,\lambda)^{-1} - 1\Big| \;\le\;
#   C \iint_{\Gamma,\, w} |w|\cdot\big|q_w(w|\Gamma,\theta_w) - p(w|\Gamma,\mathbf h,\lambda)\big|\; q_\Gamma(\Gamma|\theta_\Gamma)\, dw\, d\Gamma.$$
# (The lecture's homework slide writes $p(\dots)^{-1}$ on the left; $\rho^{-1}$ is meant.) Prove it and name the
# constant $C$.
#
# ---
#
# ## Утверждение
#
# **Относительная вариационная плотность** параметра $w$ сравнивает вариационную плотность в моде априорного
# распределения с её значением в собственной моде:
# $$\rho(w|\Gamma,\theta_w,\mathbf h,\lambda) = \frac{q_w\big(\operatorname{mode} p(w|\Gamma,\mathbf h,\lambda)\,\big|\,\Gamma,\theta_w\big)}{q_w\big(\operatorname{mode} q_w(\cdot|\Gamma,\theta_w)\,\big|\,\Gamma,\theta_w\big)} \in (0, 1].$$
# Параметр с малым $\rho$ (мода априорного распределения маловероятна при $q$) информативен; $\rho \approx 1$ означает,
# что $q$ почти не отошло от априорного распределения, и параметр можно удалить (прунинг).
#
# **Утверждение 2.** Пусть
# 1. заданы компактные множества $U_h \subset \mathbb H$, $U_{\theta_w} \subset \Theta_w$, $U_{\theta_\Gamma} \subset \Theta_\Gamma$;
# 2. вариационное распределение $q_w(w|\Gamma,\theta_w)$ абсолютно непрерывно и унимодально на $U_{\theta_w}$, его мода совпадает с матожиданием: $\operatorname{mode} q_w(w|\Gamma,\theta_w) = \mathbb E_{q_w(w|\Gamma,\theta_w)} w$;
# 3. априорное распределение $p(w|\Gamma,\mathbf h,\lambda)$ абсолютно непрерывно и унимодально на $U_h$, его мода совпадает с матожиданием и не зависит ни от $\mathbf h \in U_h$, ни от структуры: $\mathbb E_{p(w|\Gamma,\mathbf h,\lambda)} w = \operatorname{mode} p(w|\Gamma_1,\mathbf h_1,\lambda) = \operatorname{mode} p(w|\Gamma_2,\mathbf h_2,\lambda) = m$ для любых $\mathbf h_1,\mathbf h_2 \in U_h$, $\Gamma_1,\Gamma_2$;
# 4. у $w$ конечны вторые моменты по маргинальным распределениям $\int q_\Gamma(\Gamma|\theta_\Gamma)q_w(w|\Gamma,\theta_w)d\Gamma$ и $\int q_\Gamma(\Gamma|\theta_\Gamma)p(w|\Gamma,\mathbf h,\lambda)d\Gamma$ при любых $\theta_w\in U_{\theta_w}$, $\theta_\Gamma\in U_{\theta_\Gamma}$, $\mathbf h\in U_h$;
# 5. $q_w(w|\Gamma,\theta_w)$ липшицево по $w$ (понимаем это, как требует доказательство, с общей константой $L$ для всех $\Gamma$ и $\theta_w \in U_{\theta_w}$);
# 6. $q_w(w|\Gamma,\theta_w) \ne 0$ при всех $\theta_w\in U_{\theta_w}$, $\Gamma$;
# 7. $\inf_{\Gamma,\ \theta_w\in U_{\theta_w}} q_w(m|\Gamma,\theta_w) > 0$.
#
# Тогда существует константа $C$, при которой
# $$\Big|\,\mathbb E_{q_\Gamma(\Gamma|\theta_\Gamma)}\, \rho(w|\Gamma,\theta_w,\mathbf h,\lambda)^{-1} - 1\Big| \;\le\;
#   C \iint_{\Gamma,\, w} |w|\cdot\big|q_w(w|\Gamma,\theta_w) - p(w|\Gamma,\mathbf h,\lambda)\big|\; q_\Gamma(\Gamma|\theta_\Gamma)\, dw\, d\Gamma.$$
# (На слайде с домашним заданием слева написано $p(\dots)^{-1}$; имеется в виду $\rho^{-1}$.) Докажите утверждение
# и укажите константу $C$.

# %% [markdown] nb="manual" gid="proof" points=10
# **Proof / Доказательство.** Fix $\Gamma$ and write $\mu_\Gamma = \operatorname{mode} q_w(\cdot|\Gamma,\theta_w)$,
# $q_\Gamma(w) = q_w(w|\Gamma,\theta_w)$, $p_\Gamma(w) = p(w|\Gamma,\mathbf h,\lambda)$. By assumption 3 the prior's mode is $m$
# for every $\Gamma$, so
# $$\rho^{-1}_\Gamma = \frac{q_\Gamma(\mu_\Gamma)}{q_\Gamma(m)},\qquad
#   \rho^{-1}_\Gamma - 1 = \frac{q_\Gamma(\mu_\Gamma) - q_\Gamma(m)}{q_\Gamma(m)}$$
# (the denominator is positive by assumptions 6–7).
#
# *Lipschitz step.* By assumption 5, $|q_\Gamma(\mu_\Gamma) - q_\Gamma(m)| \le L\,|\mu_\Gamma - m|$, and by assumption 7
# $q_\Gamma(m) \ge q_{\inf} := \inf_{\Gamma,\theta_w} q_w(m|\Gamma,\theta_w) > 0$. Hence $|\rho^{-1}_\Gamma - 1| \le \frac{L}{q_{\inf}}|\mu_\Gamma - m|$.
#
# *Moments step.* By assumptions 2 and 3, $\mu_\Gamma = \int w\, q_\Gamma(w)dw$ and $m = \int w\, p_\Gamma(w)dw$; both integrals
# converge absolutely (assumption 4: finite second moments give finite first moments). So
# $$|\mu_\Gamma - m| = \Big|\int w\,\big(q_\Gamma(w) - p_\Gamma(w)\big)dw\Big| \le \int |w|\,|q_\Gamma(w) - p_\Gamma(w)|\,dw.$$
#
# *Averaging over Γ.* By the triangle inequality for integrals (or Jensen for $|\cdot|$),
# $$\big|\mathbb E_{q_\Gamma}\rho^{-1} - 1\big| = \big|\mathbb E_{q_\Gamma}(\rho^{-1}_\Gamma - 1)\big| \le \mathbb E_{q_\Gamma}|\rho^{-1}_\Gamma - 1|
#   \le \frac{L}{q_{\inf}} \iint |w|\,|q_w - p|\,q_\Gamma\, dw\,d\Gamma,$$
# the double integral being finite by assumption 4 (Tonelli). So $C = L/q_{\inf}$ works: it is finite and independent
# of $\Gamma$, $\theta$, $\mathbf h$ because $L$ is one constant for all $\Gamma,\theta_w$ (assumption 5 as read) and
# $q_{\inf} > 0$ (assumption 7). Compactness (assumption 1) is what makes these uniform readings natural: a Lipschitz
# constant or a value $q_w(m|\Gamma,\theta_w)$ that depends continuously on $\theta_w$ attains its max/min on a compact
# $U_{\theta_w}$ (for finitely many structures). Any larger constant also works, and for particular families a smaller
# one may (the statement only asks for existence). $\blacksquare$
#
# (Коротко по-русски: $|\rho^{-1}_\Gamma - 1| \le \frac{L}{q_{\inf}}|\mu_\Gamma - m|$ по условиям 5, 7; $|\mu_\Gamma - m| \le \int|w||q_\Gamma - p_\Gamma|dw$
# по условиям 2–4; усреднение по $\Gamma$ даёт $C = L/q_{\inf}$, равномерную по условиям 5 и 7; компактность (условие 1)
# объясняет, почему такие равномерные константы существуют для непрерывно зависящих от $\theta_w$ семейств.)

# %% [markdown]
# ### Grading rubric (10 points) / Критерии оценивания (10 баллов)
#
# | step | points |
# |---|---|
# | $\rho^{-1}_\Gamma - 1 = \big(q(\mu_\Gamma) - q(m)\big)/q(m)$ written with the prior's mode $m$ common to all $\Gamma$, $\mathbf h$ (assumption 3) | 2 |
# | Lipschitz bound $\vert q(\mu_\Gamma) - q(m)\vert  \le L\vert \mu_\Gamma - m\vert $ and $q(m)\ge q_{\inf} > 0$ (assumptions 5, 7) | 2 |
# | $\mu_\Gamma - m = \int w(q - p)\,dw$ from mode = mean (assumptions 2, 3) and $\vert \int w(q-p)\vert  \le \int\vert w\vert \vert q-p\vert $; finiteness from assumption 4 | 3 |
# | Averaging over $\Gamma$: $\vert \mathbb E(\rho^{-1}-1)\vert  \le \mathbb E\vert \rho^{-1}-1\vert $, constant uniform in $\Gamma$ | 2 |
# | A valid constant named with its justification ($C = L/q_{\inf}$, or any other constant the argument proves valid; a sharper valid constant gets full marks), and the role of compactness (assumption 1) explained | 1 |
#
# ---
#
# | шаг | баллы |
# |---|---|
# | Записано $\rho^{-1}_\Gamma - 1 = \big(q(\mu_\Gamma) - q(m)\big)/q(m)$ с общей для всех $\Gamma$, $\mathbf h$ модой априорного распределения $m$ (условие 3) | 2 |
# | Оценка Липшица $\vert q(\mu_\Gamma) - q(m)\vert  \le L\vert \mu_\Gamma - m\vert $ и $q(m)\ge q_{\inf} > 0$ (условия 5, 7) | 2 |
# | $\mu_\Gamma - m = \int w(q - p)\,dw$ из равенства моды и матожидания (условия 2, 3) и $\vert \int w(q-p)\vert  \le \int\vert w\vert \vert q-p\vert $; конечность — из условия 4 | 3 |
# | Усреднение по $\Gamma$: $\vert \mathbb E(\rho^{-1}-1)\vert  \le \mathbb E\vert \rho^{-1}-1\vert $, константа не зависит от $\Gamma$ | 2 |
# | Названа верная константа с обоснованием ($C = L/q_{\inf}$ или любая другая, верность которой доказана; более точная верная константа получает полный балл) и объяснена роль компактности (условие 1) | 1 |

# %% [markdown]
# ## Part 2. Code: Gaussian families
#
# Take $K$ structures with probabilities $q_\Gamma$ (a vector `q_gamma` [K], the integral over Γ becomes a sum),
# $q_w(w|\Gamma) = \mathcal N(\mu_\Gamma, \sigma_\Gamma^2)$ and the prior $p(w|\Gamma) = \mathcal N(m, s_\Gamma^2)$
# (`mu`, `sigma`, `s` are tensors [K], `m` a number).
#
# ### 2.1 Expected inverse relative density (3 points)
# `expected_rho_inverse(q_gamma, mu, sigma, m)` returns $\mathbb E_{q_\Gamma}\rho^{-1} = \sum_\Gamma q_\Gamma\, q_w(\mu_\Gamma|\Gamma)/q_w(m|\Gamma)$.
#
# ---
#
# ## Часть 2. Код: гауссовские семейства
#
# Возьмём $K$ структур с вероятностями $q_\Gamma$ (вектор `q_gamma` [K], интеграл по Γ становится суммой),
# $q_w(w|\Gamma) = \mathcal N(\mu_\Gamma, \sigma_\Gamma^2)$ и априорное распределение $p(w|\Gamma) = \mathcal N(m, s_\Gamma^2)$
# (`mu`, `sigma`, `s` — тензоры [K], `m` — число).
#
# ### 2.1 Матожидание обратной относительной плотности (3 балла)
# `expected_rho_inverse(q_gamma, mu, sigma, m)` возвращает $\mathbb E_{q_\Gamma}\rho^{-1} = \sum_\Gamma q_\Gamma\, q_w(\mu_\Gamma|\Gamma)/q_w(m|\Gamma)$.

# %% nb="answer" gid="expected_rho_inverse"
def expected_rho_inverse(q_gamma, mu, sigma, m):
    """E_{q_Γ} ρ⁻¹ for Gaussian q_w(w|Γ) = N(mu_Γ, sigma_Γ²) and a prior with mode m (a scalar tensor)."""
    ### BEGIN SOLUTION
    return torch.sum(q_gamma * torch.exp((mu - m) ** 2 / (2 * sigma ** 2)))
    ### END SOLUTION


# %% nb="tests" gid="test_expected_rho_inverse" points=3
_e = expected_rho_inverse(q_gamma0, mu0, sigma0, m0)
check_true("test_expected_rho_inverse:at_least_one", float(_e) >= 1.0, "ρ ≤ 1, so E ρ⁻¹ ≥ 1 / ρ ≤ 1, поэтому E ρ⁻¹ ≥ 1")
check_close("test_expected_rho_inverse:centred", expected_rho_inverse(q_gamma0, torch.zeros(3), sigma0, 0.0), 1.0,
            rtol=1e-12, atol=1e-12)
### BEGIN HIDDEN TESTS
for _seed in (1, 2, 3):
    _g = hidden_generator(f"test_expected_rho_inverse:{_seed}")
    _K = 2 + _seed
    _qg = torch.rand(_K, generator=_g) + 0.05
    _qg = _qg / _qg.sum()
    _mu = 2 * torch.randn(_K, generator=_g)
    _sig = 0.4 + 2 * torch.rand(_K, generator=_g)
    _m = float(torch.randn(1, generator=_g))
    probe(f"test_expected_rho_inverse:value_{_seed}", expected_rho_inverse(_qg, _mu, _sig, _m), rtol=1e-9, atol=1e-12)
### END HIDDEN TESTS

# %% [markdown]
# ### 2.2 The right-hand side by quadrature (4 points)
# `weighted_l1_rhs(q_gamma, mu, sigma, m, s)` returns $\sum_\Gamma q_\Gamma \int_{-\infty}^{\infty} |w|\,\big|\mathcal N(w|\mu_\Gamma,\sigma_\Gamma^2) - \mathcal N(w|m,s_\Gamma^2)\big|\,dw$
# computed **numerically** (e.g. `scipy.integrate.quad` on a finite interval wide enough, with the kinks as break
# points, or a fine grid). Relative accuracy $10^{-5}$ is required (the reference solution is accurate to about
# $10^{-10}$); the integrand has kinks only at $0$ and at the points where the two densities cross.
#
# ---
#
# ### 2.2 Правая часть квадратурой (4 балла)
# `weighted_l1_rhs(q_gamma, mu, sigma, m, s)` возвращает $\sum_\Gamma q_\Gamma \int_{-\infty}^{\infty} |w|\,\big|\mathcal N(w|\mu_\Gamma,\sigma_\Gamma^2) - \mathcal N(w|m,s_\Gamma^2)\big|\,dw$,
# вычисленную **численно** (например, `scipy.integrate.quad` на достаточно широком конечном отрезке с изломами
# в качестве точек разбиения, или на мелкой сетке). Нужна относительная точность $10^{-5}$ (эталонное решение точно
# примерно до $10^{-10}$); изломы подынтегральной функции — только в $0$ и в точках пересечения плотностей.

# %% nb="answer" gid="weighted_l1_rhs"
def weighted_l1_rhs(q_gamma, mu, sigma, m, s):
    """Σ_Γ q_Γ ∫ |w| |N(w|mu_Γ, sigma_Γ²) − N(w|m, s_Γ²)| dw by quadrature (a float or scalar tensor)."""
    ### BEGIN SOLUTION
    total = 0.0
    for qg, a, b, c in zip(q_gamma.tolist(), mu.tolist(), sigma.tolist(), s.tolist()):
        def f(w):
            q = math.exp(-0.5 * ((w - a) / b) ** 2) / (b * math.sqrt(2 * math.pi))
            p = math.exp(-0.5 * ((w - m) / c) ** 2) / (c * math.sqrt(2 * math.pi))
            return abs(w) * abs(q - p)
        lo = min(a - 14 * b, m - 14 * c)
        hi = max(a + 14 * b, m + 14 * c)
        breaks = sorted(x for x in {0.0, a, float(m)} if lo < x < hi)
        value, _ = scipy.integrate.quad(f, lo, hi, points=breaks, limit=500, epsabs=1e-13, epsrel=1e-11)
        total += qg * value
    return torch.tensor(total)
    ### END SOLUTION


# %% nb="tests" gid="test_weighted_l1_rhs" points=4
_r = weighted_l1_rhs(q_gamma0, mu0, sigma0, m0, s0)
check_true("test_weighted_l1_rhs:positive", float(_r) > 0, "the integrand is non-negative / подынтегральная функция неотрицательна")
check_close("test_weighted_l1_rhs:equal_densities", weighted_l1_rhs(q_gamma0, torch.full((3,), m0), s0, m0, s0), 0.0,
            rtol=0, atol=1e-10)
check_close("test_weighted_l1_rhs:example", _r, 0.6589203994619632, rtol=1e-5, atol=1e-9)
### BEGIN HIDDEN TESTS
for _seed in (1, 2, 3):
    _g = hidden_generator(f"test_weighted_l1_rhs:{_seed}")
    _K = 1 + _seed
    _qg = torch.rand(_K, generator=_g) + 0.05
    _qg = _qg / _qg.sum()
    _mu = 2 * torch.randn(_K, generator=_g)
    _sig = 0.3 + 2 * torch.rand(_K, generator=_g)
    _s = 0.3 + 2 * torch.rand(_K, generator=_g)
    _m = float(torch.randn(1, generator=_g))
    probe(f"test_weighted_l1_rhs:value_{_seed}", weighted_l1_rhs(_qg, _mu, _sig, _m, _s), rtol=1e-5, atol=1e-9)
# equal widths (one crossing point) and far-apart densities / равные ширины и далеко разнесённые плотности
_g = hidden_generator("test_weighted_l1_rhs:cases")
_w1, _shift = float(0.5 + torch.rand(1, generator=_g)), float(5 + 2 * torch.rand(1, generator=_g))
probe("test_weighted_l1_rhs:equal_widths", weighted_l1_rhs(torch.tensor([1.0]), torch.tensor([0.7]), torch.tensor([_w1]),
                                                           0.0, torch.tensor([_w1])), rtol=1e-5, atol=1e-9)
probe("test_weighted_l1_rhs:far_apart", weighted_l1_rhs(torch.tensor([1.0]), torch.tensor([_shift]), torch.tensor([0.5]),
                                                        -1.0, torch.tensor([2.0])), rtol=1e-5, atol=1e-9)
### END HIDDEN TESTS

# %% [markdown]
# ### 2.3 The constant and the inequality (3 points)
# `bound_constant(mu, sigma, m)` returns exactly this constant (the one of the model proof; the proof may use another
# valid constant, the code asks for this one) for these Gaussian families: $C = L / q_{\inf}$ with $L = \max_\Gamma \sup_w |\partial_w q_w(w|\Gamma)|$ (the Lipschitz constant of a Gaussian
# density, in closed form) and $q_{\inf} = \min_\Gamma q_w(m|\Gamma)$. With 2.1 and 2.2 you can check the inequality of
# Statement 2 on your own instances.
#
# ---
#
# ### 2.3 Константа и неравенство (3 балла)
# `bound_constant(mu, sigma, m)` возвращает именно эту константу (из образцового доказательства; в вашем доказательстве
# может быть другая верная константа, а код требует эту) для этих гауссовских семейств: $C = L / q_{\inf}$, где $L = \max_\Gamma \sup_w |\partial_w q_w(w|\Gamma)|$ (константа Липшица гауссовской плотности,
# явной формулой) и $q_{\inf} = \min_\Gamma q_w(m|\Gamma)$. Вместе с 2.1 и 2.2 можно проверить неравенство утверждения 2
# на своих примерах.

# %% nb="answer" gid="bound_constant"
def bound_constant(mu, sigma, m):
    """C = max_Γ Lip(q_w(·|Γ)) / min_Γ q_w(m|Γ) for q_w(w|Γ) = N(mu_Γ, sigma_Γ²) (a scalar tensor)."""
    ### BEGIN SOLUTION
    lipschitz = 1.0 / (sigma ** 2 * math.sqrt(2 * math.pi * math.e))
    q_at_m = torch.exp(-0.5 * ((m - mu) / sigma) ** 2) / (sigma * math.sqrt(2 * math.pi))
    return lipschitz.max() / q_at_m.min()
    ### END SOLUTION


# %% nb="tests" gid="test_bound_constant" points=3
_C = bound_constant(mu0, sigma0, m0)
check_true("test_bound_constant:positive", float(_C) > 0, "C > 0")
# one standard normal centred at m: L = 1/√(2πe), q(m) = 1/√(2π), C = e^(−1/2)
check_close("test_bound_constant:standard", bound_constant(torch.tensor([0.0]), torch.tensor([1.0]), 0.0), math.exp(-0.5),
            rtol=1e-10, atol=1e-12)
check_close("test_bound_constant:example", _C, 4.23931122793237, rtol=1e-9, atol=1e-12)
### BEGIN HIDDEN TESTS
for _seed in (1, 2, 3):
    _g = hidden_generator(f"test_bound_constant:{_seed}")
    _K = 1 + _seed
    _mu = torch.randn(_K, generator=_g)
    _sig = 0.5 + 1.5 * torch.rand(_K, generator=_g)
    _m = 0.3 * float(torch.randn(1, generator=_g))
    probe(f"test_bound_constant:value_{_seed}", bound_constant(_mu, _sig, _m), rtol=1e-9, atol=1e-12)
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

run_checks("theory_2")  # quiet while graded; under Validate it lists unanswered written answers
