# %% [markdown]
# # Theory 3. Small parametric complexity forces $q$ close to the prior (Pinsker's inequality)
#
# **How this assignment works.** Two parts of equal weight:
# 1. **Proof (10 points, graded by hand)** in the Markdown answer cell below the statement (LaTeX: `$...$`, `$$...$$`).
#    The rubric under the answer cell lists the steps the grader looks for.
# 2. **Code (10 points, graded automatically):** implement the functions marked `# YOUR CODE HERE`. Visible checks
#    follow each function; hidden checks compare your results with closed forms, `torch.distributions`, Monte Carlo
#    and brute-force minimisation on several random instances.
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
#    функцией идут открытые проверки; скрытые сравнивают ваши результаты с явными формулами, `torch.distributions`,
#    методом Монте-Карло и минимизацией перебором на нескольких случайных примерах.
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

from metaopt_lib.grading import check_close, check_true
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
# computed **numerically** (quadrature), relative accuracy $10^{-6}$. Arguments are Python floats. The hidden tests
# compare with a closed form through the normal CDF at the points where the densities cross.
#
# ---
#
# ## Часть 2. Код
#
# ### 2.1 Расстояние полной вариации квадратурой (3 балла)
# `tv_normal(mu1, s1, mu2, s2)` возвращает $\mathrm{TV} = \tfrac12\int|\mathcal N(w|\mu_1,s_1^2) - \mathcal N(w|\mu_2,s_2^2)|\,dw$,
# вычисленное **численно** (квадратурой), с относительной точностью $10^{-6}$. Аргументы — числа Python. Скрытые тесты
# сравнивают с явной формулой через функцию нормального распределения в точках пересечения плотностей.

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
from scipy.special import ndtr as _ndtr


def _ref_tv(mu1, s1, mu2, s2):
    A = 1 / (2 * s2 ** 2) - 1 / (2 * s1 ** 2)
    B = mu1 / s1 ** 2 - mu2 / s2 ** 2
    C = -mu1 ** 2 / (2 * s1 ** 2) + mu2 ** 2 / (2 * s2 ** 2) + math.log(s2 / s1)
    if abs(A) < 1e-14:
        roots = [] if abs(B) < 1e-14 else [-C / B]
    else:
        disc = B * B - 4 * A * C
        roots = [] if disc < 0 else sorted([(-B - math.sqrt(disc)) / (2 * A), (-B + math.sqrt(disc)) / (2 * A)])
    edges = [-math.inf] + roots + [math.inf]
    total = 0.0
    for a, b in zip(edges[:-1], edges[1:]):
        pa = _ndtr((b - mu1) / s1) - _ndtr((a - mu1) / s1)
        pb = _ndtr((b - mu2) / s2) - _ndtr((a - mu2) / s2)
        total += abs(pa - pb)
    return 0.5 * total


for _seed in (11, 12, 13):
    _g = torch.Generator().manual_seed(_seed)
    _a, _b = (2 * torch.randn(2, generator=_g)).tolist()
    _s1, _s2 = (0.3 + 2 * torch.rand(2, generator=_g)).tolist()
    check_close(f"test_tv_normal:closed_form_seed{_seed}", tv_normal(_a, _s1, _b, _s2), _ref_tv(_a, _s1, _b, _s2),
                rtol=1e-6, atol=1e-10)
check_close("test_tv_normal:far_apart", tv_normal(-5.0, 0.5, 5.0, 0.7), _ref_tv(-5.0, 0.5, 5.0, 0.7), rtol=1e-6, atol=1e-10)
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
_kl = float(kl_normal(0.0, 1.0, 1.0, 2.0))
check_true("test_kl_normal:pinsker", tv_normal(0.0, 1.0, 1.0, 2.0) <= math.sqrt(_kl / 2), "TV ≤ √(KL/2)")
### BEGIN HIDDEN TESTS
from torch.distributions import Normal as _Normal, kl_divergence as _kld
for _seed in (21, 22, 23):
    _g = torch.Generator().manual_seed(_seed)
    _m1, _m2 = 2 * torch.randn(2, 5, generator=_g)
    _s1, _s2 = 0.3 + 2 * torch.rand(2, 5, generator=_g)
    _got = kl_normal(_m1, _s1, _m2, _s2)
    check_close(f"test_kl_normal:torch_seed{_seed}", _got, _kld(_Normal(_m1, _s1), _Normal(_m2, _s2)), rtol=1e-10, atol=1e-12)
    # Monte Carlo, 400 000 draws, within 5 standard errors
    _x = _m1[0] + _s1[0] * torch.randn(400_000, generator=_g)
    _terms = _Normal(_m1[0], _s1[0]).log_prob(_x) - _Normal(_m2[0], _s2[0]).log_prob(_x)
    check_true(f"test_kl_normal:monte_carlo_seed{_seed}",
               abs(float(_got[0]) - float(_terms.mean())) < 5 * float(_terms.std()) / math.sqrt(400_000), "MC")
    # Pinsker on each pair, with the student's TV and KL
    for _k in range(5):
        _tv = tv_normal(float(_m1[_k]), float(_s1[_k]), float(_m2[_k]), float(_s2[_k]))
        check_true(f"test_kl_normal:pinsker_seed{_seed}_{_k}", _tv <= math.sqrt(float(_got[_k]) / 2) + 1e-12,
                   "Pinsker / Пинскер")
### END HIDDEN TESTS

# %% [markdown]
# ### 2.3 Parametric complexity of a concrete family, and a sequence with $C_p\to0$ (4 points)
# Structures $\Gamma\in\{1,\dots,K\}$ with a fixed prior $p(\Gamma|\lambda)$ (`p_gamma` [K]); the prior of the
# parameter is $p(w|\Gamma,h) = \mathcal N(0, v)$ with one hyperparameter $h = v\in U_h = [v_{\rm low}, v_{\rm high}]$.
# The variational distribution: `q_gamma` [K] and $q_w(w|\Gamma) = \mathcal N(\mu_\Gamma,\sigma_\Gamma^2)$ (`mu`, `sigma` [K]).
# `parametric_complexity(q_gamma, mu, sigma, p_gamma, v_low, v_high)` returns the pair `(C_p, v_star)`: the minimum
# over $U_h$ of $\mathrm{KL}(q(w,\Gamma)\|p(w,\Gamma|v))$ and the minimiser (derive it in closed form: the minimiser is
# unique, which is assumption 2). The hidden tests compare with brute-force minimisation and follow a sequence
# $\theta[i]$ with $C_p\to0$, checking that $\iint|p-q_w|q_\Gamma \le \sqrt{2C_p}\to 0$.
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
# условие 2). Скрытые тесты сравнивают с минимизацией перебором и проходят по последовательности $\theta[i]$
# с $C_p\to0$, проверяя $\iint|p-q_w|q_\Gamma \le \sqrt{2C_p}\to 0$.

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
from torch.distributions import Normal as _Normal, Categorical as _Cat, kl_divergence as _kld


def _ref_kl_joint(qg, mu, sig, pg, v):
    kl = _kld(_Cat(probs=qg), _Cat(probs=pg))
    return kl + torch.sum(qg * _kld(_Normal(mu, sig), _Normal(torch.zeros_like(mu), math.sqrt(v) * torch.ones_like(mu))))


for _seed in (31, 32, 33):
    _g = torch.Generator().manual_seed(_seed)
    _K = 2 + _seed % 3
    _qg = torch.rand(_K, generator=_g) + 0.05
    _qg = _qg / _qg.sum()
    _pg = torch.rand(_K, generator=_g) + 0.05
    _pg = _pg / _pg.sum()
    _mu = torch.randn(_K, generator=_g)
    _sig = 0.3 + 1.5 * torch.rand(_K, generator=_g)
    _m2 = float(torch.sum(_qg * (_sig ** 2 + _mu ** 2)))
    # seed 31: interior minimiser; 32 and 33: the unconstrained minimiser lies outside U_h (upper, lower boundary)
    _lo, _hi = {31: (0.1, 10.0), 32: (0.05, 0.5 * _m2), 33: (1.5 * _m2, 1.5 * _m2 + 5.0)}[_seed]
    _res = scipy.optimize.minimize_scalar(lambda v: float(_ref_kl_joint(_qg, _mu, _sig, _pg, v)), bounds=(_lo, _hi),
                                          method="bounded", options={"xatol": 1e-10})
    _grid = np.linspace(_lo, _hi, 20001)
    _vals = np.array([float(_ref_kl_joint(_qg, _mu, _sig, _pg, v)) for v in _grid[::20]])
    _c, _v = parametric_complexity(_qg, _mu, _sig, _pg, _lo, _hi)
    check_close(f"test_parametric_complexity:min_seed{_seed}", float(_c), min(_res.fun, _vals.min()), rtol=1e-7, atol=1e-9)
    check_close(f"test_parametric_complexity:argmin_seed{_seed}", float(_v), _res.x, rtol=1e-5, atol=1e-6)
# a sequence θ[i] with C_p → 0: q_Γ → p_Γ, μ_Γ → 0, σ_Γ² → 1.7; the weighted L1 distance → 0 and ≤ √(2 C_p)
_pg = torch.tensor([0.2, 0.5, 0.3])
_w = torch.linspace(-15, 15, 300001)
_cps, _l1s = [], []
for _i in (1, 3, 10, 30, 100, 1000):
    _qg = _pg + torch.tensor([0.1, -0.05, -0.05]) / _i
    _mu = torch.tensor([1.0, -0.5, 2.0]) / _i
    _sig = torch.sqrt(1.7 * (1 + torch.tensor([0.3, -0.2, 0.5]) / _i))
    _c, _v = parametric_complexity(_qg, _mu, _sig, _pg, 0.1, 10.0)
    _l1 = 0.0
    for _k in range(3):
        _d = torch.exp(_Normal(_mu[_k], _sig[_k]).log_prob(_w)) - torch.exp(_Normal(0.0, math.sqrt(float(_v))).log_prob(_w))
        _l1 += float(_qg[_k]) * float(torch.trapezoid(_d.abs(), _w))
    check_true(f"test_parametric_complexity:pinsker_i{_i}", _l1 <= math.sqrt(2 * float(_c)) + 1e-9,
               "∬|p − q|q_Γ ≤ √(2 C_p)")
    _cps.append(float(_c))
    _l1s.append(_l1)
check_true("test_parametric_complexity:cp_to_zero", _cps[-1] < 1e-5 and all(a > b for a, b in zip(_cps, _cps[1:])),
           f"C_p decreases to 0: {_cps}")
check_true("test_parametric_complexity:l1_to_zero", _l1s[-1] < 5e-3 and _l1s[-1] < _l1s[0] / 50,
           f"L1 distance goes to 0: {_l1s}")
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
    run_checks("theory_3")
