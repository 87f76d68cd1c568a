# %% [markdown]
# # Theory 3. Small parametric complexity forces $q$ close to the prior (Pinsker's inequality)
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
# # Теория 3. Малая параметрическая сложность приближает $q$ к априорному распределению (неравенство Пинскера)
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
import scipy.optimize
import torch

from metaopt_course.grading import check_close, check_true, hidden_generator, probe
from metaopt_lib.seeding import set_seed

GRADING = bool(os.environ.get("NBGRADER_EXECUTION"))  # True while the notebook is being graded
torch.set_default_dtype(torch.float64)
set_seed(0)

# An example with K = 3 structures / пример с K = 3 структурами
q_gamma0 = torch.tensor([0.5, 0.3, 0.2])   # q_Γ(Γ | θ_Γ)
p_gamma0 = torch.tensor([0.4, 0.4, 0.2])   # p(Γ | λ), fixed / фиксировано
mu0 = torch.tensor([0.4, -0.2, 1.0])       # means of q_w(w | Γ, θ_w)
sigma0 = torch.tensor([0.5, 1.0, 0.8])     # stds of q_w(w | Γ, θ_w)
V_LOW, V_HIGH = 0.1, 10.0                  # U_h = [V_LOW, V_HIGH], the prior variance h = v

# %% [markdown]
# ## The statement
#
# The **parametric complexity** of a model is the smallest divergence between its variational distribution and the
# prior over a compact set $U_h$ of hyperparameters:
# $$C_p(\theta\,|\,U_h,\lambda) = \min_{\mathbf h\in U_h} D_{\mathrm{KL}}\big(q(\mathbf w,\Gamma|\theta)\,\|\,p(\mathbf w,\Gamma|\mathbf h,\lambda)\big),
#   \qquad q(\mathbf w,\Gamma|\theta) = q_\Gamma(\Gamma|\theta_\Gamma)\,q_w(\mathbf w|\Gamma,\theta_w).$$
#
# **Statement 3.** Assume
# 1. the variational distribution $q_w(\mathbf w|\Gamma,\theta_w)$ and the prior $p(\mathbf w|\Gamma,\mathbf h,\lambda)$ are absolutely continuous;
# 2. the problem $\mathbf h^* = \arg\min_{\mathbf h\in U_h} D_{\mathrm{KL}}\big(q(\mathbf w,\Gamma|\theta)\,\|\,p(\mathbf w,\Gamma|\mathbf h,\lambda)\big)$ (1) has a unique solution for every $\theta\in U_\theta$;
# 3. an infinite sequence of variational parameters $\theta[1],\theta[2],\dots\in U_\theta$ is given with $\lim_{i\to\infty} C_p(\theta[i]\,|\,U_h,\lambda) = 0$.
#
# Then
# $$\lim_{i\to\infty} \iint_{\mathbf w,\Gamma} \big|p(\mathbf w|\Gamma,\mathbf h[i],\lambda) - q_w(\mathbf w|\Gamma,\theta_w[i])\big|\; q_\Gamma(\Gamma|\theta_\Gamma[i])\, d\Gamma\, d\mathbf w = 0,$$
# where $\theta[i] = [\theta_w[i], \theta_\Gamma[i]]$ and $\mathbf h[i]$ solves (1) for $\theta[i]$.
# Prove it. Hint: Pinsker's inequality $\|P - Q\|_{1} = \int|p - q| \le \sqrt{2\,\mathrm{KL}(Q\|P)}$.
#
# ---
#
# ## Утверждение
#
# **Параметрическая сложность** модели — наименьшая дивергенция между вариационным и априорным распределениями
# на компакте $U_h$ гиперпараметров:
# $$C_p(\theta\,|\,U_h,\lambda) = \min_{\mathbf h\in U_h} D_{\mathrm{KL}}\big(q(\mathbf w,\Gamma|\theta)\,\|\,p(\mathbf w,\Gamma|\mathbf h,\lambda)\big),
#   \qquad q(\mathbf w,\Gamma|\theta) = q_\Gamma(\Gamma|\theta_\Gamma)\,q_w(\mathbf w|\Gamma,\theta_w).$$
#
# **Утверждение 3.** Пусть
# 1. вариационное распределение $q_w(\mathbf w|\Gamma,\theta_w)$ и априорное распределение $p(\mathbf w|\Gamma,\mathbf h,\lambda)$ абсолютно непрерывны;
# 2. задача $\mathbf h^* = \arg\min_{\mathbf h\in U_h} D_{\mathrm{KL}}\big(q(\mathbf w,\Gamma|\theta)\,\|\,p(\mathbf w,\Gamma|\mathbf h,\lambda)\big)$ (1) имеет единственное решение при любом $\theta\in U_\theta$;
# 3. задана бесконечная последовательность векторов вариационных параметров $\theta[1],\theta[2],\dots\in U_\theta$, для которой $\lim_{i\to\infty} C_p(\theta[i]\,|\,U_h,\lambda) = 0$.
#
# Тогда
# $$\lim_{i\to\infty} \iint_{\mathbf w,\Gamma} \big|p(\mathbf w|\Gamma,\mathbf h[i],\lambda) - q_w(\mathbf w|\Gamma,\theta_w[i])\big|\; q_\Gamma(\Gamma|\theta_\Gamma[i])\, d\Gamma\, d\mathbf w = 0,$$
# где $\theta[i] = [\theta_w[i], \theta_\Gamma[i]]$, а $\mathbf h[i]$ — решение задачи (1) для $\theta[i]$.
# Докажите утверждение. Подсказка: неравенство Пинскера $\|P - Q\|_{1} = \int|p - q| \le \sqrt{2\,\mathrm{KL}(Q\|P)}$.

# %% [markdown] nb="manual" gid="proof" points=10
# **Proof / Доказательство.** Fix $i$ and write $q_\Gamma = q_\Gamma(\Gamma|\theta_\Gamma[i])$, $q_{w,\Gamma} = q_w(\cdot|\Gamma,\theta_w[i])$,
# $p_{w,\Gamma} = p(\cdot|\Gamma,\mathbf h[i],\lambda)$, $p_\Gamma = p(\Gamma|\mathbf h[i],\lambda)$. By assumption 2, $\mathbf h[i]$ is well defined and
# $C_p(\theta[i]) = \mathrm{KL}\big(q(\mathbf w,\Gamma|\theta[i])\,\|\,p(\mathbf w,\Gamma|\mathbf h[i],\lambda)\big)$.
#
# *Chain rule.* $\mathrm{KL}(q(\mathbf w,\Gamma)\|p(\mathbf w,\Gamma)) = \mathrm{KL}(q_\Gamma\|p_\Gamma) + \mathbb E_{q_\Gamma}\mathrm{KL}(q_{w,\Gamma}\|p_{w,\Gamma})$;
# both terms are non-negative (Gibbs), hence $\mathbb E_{q_\Gamma}\mathrm{KL}(q_{w,\Gamma}\|p_{w,\Gamma}) \le C_p(\theta[i])$.
#
# *Pinsker for each Γ.* The densities exist (assumption 1), so for every $\Gamma$:
# $\int |p_{w,\Gamma} - q_{w,\Gamma}|\,d\mathbf w \le \sqrt{2\,\mathrm{KL}(q_{w,\Gamma}\|p_{w,\Gamma})}$.
#
# *Averaging.* The integrand is non-negative, so by Tonelli the double integral is $\mathbb E_{q_\Gamma}\int|p_{w,\Gamma} - q_{w,\Gamma}|d\mathbf w$,
# and by Jensen's inequality for the concave $\sqrt{\cdot}$:
# $$\iint |p - q_w|\,q_\Gamma\,d\Gamma\,d\mathbf w \le \mathbb E_{q_\Gamma}\sqrt{2\,\mathrm{KL}(q_{w,\Gamma}\|p_{w,\Gamma})}
#   \le \sqrt{2\,\mathbb E_{q_\Gamma}\mathrm{KL}(q_{w,\Gamma}\|p_{w,\Gamma})} \le \sqrt{2\,C_p(\theta[i])}.$$
#
# *Limit.* The left side is $\ge 0$ and the right side tends to $0$ by assumption 3, so the left side tends to $0$
# (squeeze). $\blacksquare$

# %% [markdown]
# ### Grading rubric (10 points) / Критерии оценивания (10 баллов)
#
# | step | points |
# |---|---|
# | $C_p(\theta[i])$ identified with the KL at $\mathbf h[i]$; role of uniqueness (assumption 2) | 1 |
# | Chain rule for KL of the joint and dropping $\mathrm{KL}(q_\Gamma\Vert p_\Gamma)\ge0$: $\mathbb E_{q_\Gamma}\mathrm{KL}(q_w\Vert p_w)\le C_p$ | 3 |
# | Pinsker's inequality applied per $\Gamma$ with the right constant ($\Vert \cdot\Vert _1 \le \sqrt{2\,\mathrm{KL}}$) | 2 |
# | Averaging over $\Gamma$ with Jensen (concavity of $\sqrt{\cdot}$) and Tonelli/Fubini for the double integral | 3 |
# | The limit concluded (squeeze) | 1 |
#
# ---
#
# | шаг | баллы |
# |---|---|
# | $C_p(\theta[i])$ отождествлена с KL при $\mathbf h[i]$; роль единственности (условие 2) | 1 |
# | Цепное правило для KL совместных распределений и отбрасывание $\mathrm{KL}(q_\Gamma\Vert p_\Gamma)\ge0$: $\mathbb E_{q_\Gamma}\mathrm{KL}(q_w\Vert p_w)\le C_p$ | 3 |
# | Неравенство Пинскера для каждого $\Gamma$ с правильной константой ($\Vert \cdot\Vert _1 \le \sqrt{2\,\mathrm{KL}}$) | 2 |
# | Усреднение по $\Gamma$ через неравенство Йенсена (вогнутость $\sqrt{\cdot}$) и теорему Тонелли/Фубини для двойного интеграла | 3 |
# | Сделан вывод о пределе (теорема о двух милиционерах) | 1 |

# %% [markdown]
# ## Part 2. Code
#
# ### 2.1 Total variation by quadrature (3 points)
# `tv_normal(mu1, s1, mu2, s2)` returns $\mathrm{TV} = \tfrac12\int|\mathcal N(w|\mu_1,s_1^2) - \mathcal N(w|\mu_2,s_2^2)|\,dw$
# computed **numerically** (quadrature), relative accuracy $10^{-6}$. Arguments are Python floats. (A closed form exists
# through the normal CDF at the points where the densities cross; here the quadrature is asked for.)
#
# ---
#
# ## Часть 2. Код
#
# ### 2.1 Расстояние полной вариации квадратурой (3 балла)
# `tv_normal(mu1, s1, mu2, s2)` возвращает $\mathrm{TV} = \tfrac12\int|\mathcal N(w|\mu_1,s_1^2) - \mathcal N(w|\mu_2,s_2^2)|\,dw$,
# вычисленное **численно** (квадратурой), с относительной точностью $10^{-6}$. Аргументы — числа Python. (Есть и явная
# формула через функцию нормального распределения в точках пересечения плотностей; здесь нужна квадратура.)

# %% nb="answer" gid="tv_normal"
def tv_normal(mu1, s1, mu2, s2):
    """Total variation distance between N(mu1, s1²) and N(mu2, s2²) by quadrature (a float)."""
    ### BEGIN SOLUTION
    def f(w):
        a = math.exp(-0.5 * ((w - mu1) / s1) ** 2) / (s1 * math.sqrt(2 * math.pi))
        b = math.exp(-0.5 * ((w - mu2) / s2) ** 2) / (s2 * math.sqrt(2 * math.pi))
        return abs(a - b)
    lo = min(mu1 - 14 * s1, mu2 - 14 * s2)
    hi = max(mu1 + 14 * s1, mu2 + 14 * s2)
    breaks = sorted({mu1, mu2})
    value, _ = scipy.integrate.quad(f, lo, hi, points=breaks, limit=500, epsabs=1e-13, epsrel=1e-11)
    return 0.5 * value
    ### END SOLUTION


# %% nb="tests" gid="test_tv_normal" points=3
check_close("test_tv_normal:identical", tv_normal(0.3, 1.2, 0.3, 1.2), 0.0, rtol=0, atol=1e-10)
_t = tv_normal(0.0, 1.0, 1.0, 1.0)
check_true("test_tv_normal:range", 0 < _t < 1, "0 < TV < 1")
# equal variances: TV = 2Φ(|Δμ|/(2s)) − 1 / при равных дисперсиях
check_close("test_tv_normal:equal_var", _t, 2 * 0.5 * (1 + math.erf(0.5 / math.sqrt(2))) - 1, rtol=1e-6, atol=1e-10)
### BEGIN HIDDEN TESTS
for _seed in (1, 2, 3):
    _g = hidden_generator(f"test_tv_normal:{_seed}")
    _a, _b = (2 * torch.randn(2, generator=_g)).tolist()
    _s1, _s2 = (0.3 + 2 * torch.rand(2, generator=_g)).tolist()
    probe(f"test_tv_normal:value_{_seed}", tv_normal(_a, _s1, _b, _s2), rtol=1e-6, atol=1e-10)
_g = hidden_generator("test_tv_normal:far")
_d = float(8 + 4 * torch.rand(1, generator=_g))
probe("test_tv_normal:far_apart", tv_normal(-_d / 2, 0.5, _d / 2, 0.7), rtol=1e-6, atol=1e-10)
### END HIDDEN TESTS

# %% [markdown]
# ### 2.2 KL in closed form and Pinsker's inequality (3 points)
# `kl_normal(mu1, s1, mu2, s2)` returns $\mathrm{KL}\big(\mathcal N(\mu_1,s_1^2)\,\|\,\mathcal N(\mu_2,s_2^2)\big)$ in **closed form**
# (floats or tensors of equal shape, elementwise). With 2.1, Pinsker's inequality reads $\mathrm{TV}\le\sqrt{\mathrm{KL}/2}$.
#
# ---
#
# ### 2.2 KL явной формулой и неравенство Пинскера (3 балла)
# `kl_normal(mu1, s1, mu2, s2)` возвращает $\mathrm{KL}\big(\mathcal N(\mu_1,s_1^2)\,\|\,\mathcal N(\mu_2,s_2^2)\big)$ **явной формулой**
# (числа или тензоры одной формы, поэлементно). Вместе с 2.1 неравенство Пинскера: $\mathrm{TV}\le\sqrt{\mathrm{KL}/2}$.

# %% nb="answer" gid="kl_normal"
def kl_normal(mu1, s1, mu2, s2):
    """KL(N(mu1, s1²) || N(mu2, s2²)), elementwise."""
    ### BEGIN SOLUTION
    mu1, s1, mu2, s2 = (torch.as_tensor(x, dtype=torch.float64) for x in (mu1, s1, mu2, s2))
    return torch.log(s2 / s1) + (s1 ** 2 + (mu1 - mu2) ** 2) / (2 * s2 ** 2) - 0.5
    ### END SOLUTION


# %% nb="tests" gid="test_kl_normal" points=3
check_close("test_kl_normal:identical", kl_normal(0.5, 2.0, 0.5, 2.0), 0.0, rtol=0, atol=1e-12)
check_close("test_kl_normal:mean_shift", kl_normal(1.0, 1.0, 0.0, 1.0), 0.5, rtol=1e-12, atol=1e-12)
# KL(N(0,1) || N(1,4)) = log 2 + (1 + 1)/8 − 1/2
check_close("test_kl_normal:widths", kl_normal(0.0, 1.0, 1.0, 2.0), math.log(2) - 0.25, rtol=1e-12, atol=1e-12)
### BEGIN HIDDEN TESTS
for _seed in (1, 2, 3):
    _g = hidden_generator(f"test_kl_normal:{_seed}")
    _m1, _m2 = 2 * torch.randn(2, 5, generator=_g)
    _s1, _s2 = 0.3 + 2 * torch.rand(2, 5, generator=_g)
    probe(f"test_kl_normal:tensors_{_seed}", kl_normal(_m1, _s1, _m2, _s2), rtol=1e-10, atol=1e-12)
    probe(f"test_kl_normal:floats_{_seed}", kl_normal(float(_m1[0]), float(_s1[0]), float(_m2[0]), float(_s2[0])),
          rtol=1e-10, atol=1e-12)
### END HIDDEN TESTS

# %% [markdown]
# ### 2.3 Parametric complexity of a concrete family, and a sequence with $C_p\to0$ (4 points)
# Structures $\Gamma\in\{1,\dots,K\}$ with a fixed prior $p(\Gamma|\lambda)$ (`p_gamma` [K]); the prior of the
# parameter is $p(w|\Gamma,h) = \mathcal N(0, v)$ with one hyperparameter $h = v\in U_h = [v_{\rm low}, v_{\rm high}]$.
# The variational distribution: `q_gamma` [K] and $q_w(w|\Gamma) = \mathcal N(\mu_\Gamma,\sigma_\Gamma^2)$ (`mu`, `sigma` [K]).
# `parametric_complexity(q_gamma, mu, sigma, p_gamma, v_low, v_high)` returns the pair `(C_p, v_star)`: the minimum
# over $U_h$ of $\mathrm{KL}(q(w,\Gamma)\|p(w,\Gamma|v))$ and the minimiser (derive it in closed form: the minimiser is
# unique, which is assumption 2; mind the boundaries of $U_h$). The hidden tests take random instances whose
# minimiser lies inside $U_h$ and beyond either end, and follow a sequence $\theta[i]$ with $C_p\to0$ (by Statement 3
# then $\iint|p-q_w|q_\Gamma \le \sqrt{2C_p}\to 0$).
#
# ---
#
# ### 2.3 Параметрическая сложность конкретного семейства и последовательность с $C_p\to0$ (4 балла)
# Структуры $\Gamma\in\{1,\dots,K\}$ с фиксированным априорным распределением $p(\Gamma|\lambda)$ (`p_gamma` [K]);
# априорное распределение параметра $p(w|\Gamma,h) = \mathcal N(0, v)$ с одним гиперпараметром
# $h = v\in U_h = [v_{\rm low}, v_{\rm high}]$. Вариационное распределение: `q_gamma` [K] и
# $q_w(w|\Gamma) = \mathcal N(\mu_\Gamma,\sigma_\Gamma^2)$ (`mu`, `sigma` [K]).
# `parametric_complexity(q_gamma, mu, sigma, p_gamma, v_low, v_high)` возвращает пару `(C_p, v_star)`: минимум по $U_h$
# величины $\mathrm{KL}(q(w,\Gamma)\|p(w,\Gamma|v))$ и точку минимума (выведите её явно: она единственна — это
# условие 2; учтите границы $U_h$). Скрытые тесты берут случайные примеры с точкой минимума внутри $U_h$ и за каждым
# из его концов и проходят по последовательности $\theta[i]$ с $C_p\to0$ (по утверждению 3 тогда
# $\iint|p-q_w|q_\Gamma \le \sqrt{2C_p}\to 0$).

# %% nb="answer" gid="parametric_complexity"
def parametric_complexity(q_gamma, mu, sigma, p_gamma, v_low, v_high):
    """(C_p, v*) = (min over v in [v_low, v_high] of KL(q(w,Γ) || p(w,Γ|v)), its minimiser)."""
    ### BEGIN SOLUTION
    kl_gamma = torch.sum(torch.xlogy(q_gamma, q_gamma) - torch.xlogy(q_gamma, p_gamma))
    second_moment = torch.sum(q_gamma * (sigma ** 2 + mu ** 2))
    v_star = float(min(max(float(second_moment), v_low), v_high))
    kl_w = torch.sum(q_gamma * (0.5 * math.log(v_star) - torch.log(sigma) + (sigma ** 2 + mu ** 2) / (2 * v_star) - 0.5))
    return kl_gamma + kl_w, v_star
    ### END SOLUTION


# %% nb="tests" gid="test_parametric_complexity" points=4
_c, _v = parametric_complexity(q_gamma0, mu0, sigma0, p_gamma0, V_LOW, V_HIGH)
check_true("test_parametric_complexity:in_U", V_LOW <= float(_v) <= V_HIGH, "v* ∈ U_h")
check_true("test_parametric_complexity:non_negative", float(_c) >= 0, "C_p ≥ 0")
# q equal to the prior: zero complexity / q совпадает с априорным распределением: сложность 0
_c0, _v0 = parametric_complexity(p_gamma0, torch.zeros(3), torch.full((3,), 1.5), p_gamma0, V_LOW, V_HIGH)
check_close("test_parametric_complexity:zero", [float(_c0), float(_v0)], [0.0, 2.25], rtol=1e-9, atol=1e-12)
### BEGIN HIDDEN TESTS
for _seed in (1, 2, 3):
    _g = hidden_generator(f"test_parametric_complexity:{_seed}")
    _K = 1 + _seed
    _qg = torch.rand(_K, generator=_g) + 0.05
    _qg = _qg / _qg.sum()
    _pg = torch.rand(_K, generator=_g) + 0.05
    _pg = _pg / _pg.sum()
    _mu = torch.randn(_K, generator=_g)
    _sig = 0.3 + 1.5 * torch.rand(_K, generator=_g)
    _m2 = float(torch.sum(_qg * (_sig ** 2 + _mu ** 2)))
    # 1: interior minimiser; 2 and 3: the unconstrained minimiser lies beyond the upper / the lower end of U_h
    _lo, _hi = {1: (0.1, 10.0), 2: (0.05, 0.5 * _m2), 3: (1.5 * _m2, 1.5 * _m2 + 5.0)}[_seed]
    _c, _v = parametric_complexity(_qg, _mu, _sig, _pg, _lo, _hi)
    probe(f"test_parametric_complexity:cp_v_{_seed}", [float(_c), float(_v)], rtol=1e-8, atol=1e-10)
# a sequence θ[i] with C_p → 0: q_Γ → p_Γ, μ_Γ → 0, σ_Γ² → v / последовательность с C_p → 0
_g = hidden_generator("test_parametric_complexity:sequence")
_pg = torch.softmax(torch.randn(3, generator=_g), 0)
_dq = 0.1 * torch.randn(3, generator=_g)
_dq = _dq - _dq.mean()
_mu0, _v0 = torch.randn(3, generator=_g), float(0.5 + 2 * torch.rand(1, generator=_g))
_dv = 0.3 * torch.rand(3, generator=_g)
_seq = [parametric_complexity(torch.softmax(torch.log(_pg) + _dq / _i, 0), _mu0 / _i, torch.sqrt(_v0 * (1 + _dv / _i)),
                              _pg, 0.1, 10.0) for _i in (1, 3, 10, 30, 100, 1000)]
probe("test_parametric_complexity:sequence_cp", [float(_c) for _c, _ in _seq], rtol=1e-7, atol=1e-12)
probe("test_parametric_complexity:sequence_v", [float(_v) for _, _v in _seq], rtol=1e-8, atol=1e-10)
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

run_checks("theory_3")  # quiet while graded; under Validate it lists unanswered written answers
