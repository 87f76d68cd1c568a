# %% [markdown] lang="en"
# # Lecture 1. Hyperparameters and metaparameters
#
# **After this lecture you can**
# * tell a model's parameters, its hyperparameters and the metaparameters of its training apart;
# * write model selection as a bilevel optimisation problem;
# * compute the evidence of Bayesian linear regression and use it to choose a hyperparameter;
# * explain why log p(D | h) = ELBO + KL(q ‖ p(w | D, h)) and what that means for variational inference;
# * compare black-box searches of hyperparameters (grid, random, Bayesian optimisation, Hyperband, evolution).

# %% [markdown] lang="ru"
# # Лекция 1. Гиперпараметры и метапараметры
#
# **После этой лекции вы сможете**
# * отличать параметры модели, её гиперпараметры и метапараметры её обучения;
# * записывать выбор модели как двухуровневую задачу оптимизации;
# * вычислять обоснованность байесовской линейной регрессии и выбирать по ней гиперпараметр;
# * объяснить, почему log p(D | h) = ELBO + KL(q ‖ p(w | D, h)) и что из этого следует для вариационного вывода;
# * сравнивать методы поиска гиперпараметров «чёрным ящиком» (сетка, случайный поиск, байесовская оптимизация,
#   Hyperband, эволюция).

# %%
import ipywidgets as w
import matplotlib.pyplot as plt
import numpy as np
import torch

from metaopt_lib import evidence
from metaopt_lib.i18n import translator
from metaopt_lib.seeding import set_seed
from metaopt_lib.widgets import interact

tr = translator(LANG)
set_seed(0)
torch.set_default_dtype(torch.float64)  # evidence work wants double precision

# %% [markdown] lang="en"
# ## 1. Parameters, structure, hyperparameters
#
# A model $\mathbf{f}$ with parameters $\mathbf{w} \in \mathbb{W}$ and structure $\Gamma$ (which parameters
# exist and how they are connected) defines the likelihood $p(\mathbf{y} \mid \mathbf{X}, \mathbf{w}, \Gamma)$.
# Our assumptions about plausible parameters are the **prior**
#
# $$p(\mathbf{w}, \Gamma \mid \mathbf{h}) : \mathbb{W} \times \mathbb{\Gamma} \times \mathbb{H} \to \mathbb{R}^+ .$$
#
# **Definition.** The *hyperparameters* $\mathbf{h} \in \mathbb{H}$ of a model are the parameters of its prior
# $p(\mathbf{w}, \Gamma \mid \mathbf{h})$, i.e. parameters of the distribution of the parameters.
#
# *Example.* $\mathbf{w} \sim \mathcal{N}(\mathbf{0}, \mathbf{A}^{-1})$ with
# $\mathbf{A} = \operatorname{diag}(\alpha_1, \dots, \alpha_u)$: the precisions $\mathbf{h} = [\alpha_1, \dots,
# \alpha_u]$ are hyperparameters. A large $\alpha_i$ says "$w_i$ is close to zero".

# %% [markdown] lang="ru"
# ## 1. Параметры, структура, гиперпараметры
#
# Модель $\mathbf{f}$ с параметрами $\mathbf{w} \in \mathbb{W}$ и структурой $\Gamma$ (какие параметры есть и как
# они связаны) задаёт правдоподобие $p(\mathbf{y} \mid \mathbf{X}, \mathbf{w}, \Gamma)$. Наши предположения о
# правдоподобных значениях параметров выражает **априорное распределение**
#
# $$p(\mathbf{w}, \Gamma \mid \mathbf{h}) : \mathbb{W} \times \mathbb{\Gamma} \times \mathbb{H} \to \mathbb{R}^+ .$$
#
# **Определение.** *Гиперпараметрами* $\mathbf{h} \in \mathbb{H}$ модели называются параметры её априорного
# распределения $p(\mathbf{w}, \Gamma \mid \mathbf{h})$, то есть параметры распределения параметров.
#
# *Пример.* $\mathbf{w} \sim \mathcal{N}(\mathbf{0}, \mathbf{A}^{-1})$, где
# $\mathbf{A} = \operatorname{diag}(\alpha_1, \dots, \alpha_u)$: точности $\mathbf{h} = [\alpha_1, \dots,
# \alpha_u]$ — гиперпараметры. Большое $\alpha_i$ означает «$w_i$ близок к нулю».

# %% [markdown] lang="en"
# ## 2. Metaparameters
#
# Wikipedia: *a metaparameter is "a parameter that controls the value of one or more others"*.
#
# **Definition.** The *metaparameters* $\boldsymbol{\lambda}$ are the parameters of the optimisation problem
# and of the optimisation operator that produce the model — not of the model's probabilistic description.
# They are usually set by an expert and are not optimised while the model is being selected.
#
# What can be a metaparameter:
# * parameters of the optimisation operator (learning rate, momentum, batch size, number of steps);
# * parameters of the optimisation problem (weights of penalty terms, a temperature of a relaxation);
# * the structure of the model;
# * the activation functions of the layers;
# * the form of the prior and of the likelihood.
#
# The border is drawn by *what the quantity parameterises*: a distribution of the parameters (hyperparameter)
# or the procedure/problem that finds them (metaparameter).

# %% [markdown] lang="ru"
# ## 2. Метапараметры
#
# Википедия: *метапараметр — «параметр, который управляет значением одного или нескольких других»*.
#
# **Определение.** *Метапараметры* $\boldsymbol{\lambda}$ — это параметры задачи оптимизации и оператора
# оптимизации, которые порождают модель, а не параметры её вероятностного описания. Обычно их назначает эксперт,
# и в ходе выбора модели они не оптимизируются.
#
# Что может быть метапараметром:
# * параметры оператора оптимизации (шаг обучения, момент, размер батча, число шагов);
# * параметры задачи оптимизации (веса штрафных слагаемых, температура релаксации);
# * структура модели;
# * функции активации слоёв;
# * вид априорного распределения и функции правдоподобия.
#
# Граница проводится по тому, *что параметризует величина*: распределение параметров (гиперпараметр) или
# процедуру и задачу, которые эти параметры находят (метапараметр).

# %% [markdown] lang="en"
# ### Quiz: hyperparameter or metaparameter?
#
# Choose a question and your answer; the widget explains the verdict. There is one question on which reasonable
# people disagree — the explanation says why.

# %% [markdown] lang="ru"
# ### Тест: гиперпараметр или метапараметр?
#
# Выберите вопрос и ответ; виджет объяснит решение. В одном из вопросов разумные люди расходятся во мнениях —
# объяснение говорит почему.

# %%
QUIZ = {
    "dropout": {
        "question": tr("Is the dropout rate a metaparameter or a hyperparameter?",
                       "Доля dropout — метапараметр или гиперпараметр?"),
        "best": "depends",
        "explain": tr(
            "It depends on the reading. Used as a regulariser, dropout changes the stochastic optimisation problem "
            "(a random mask multiplies the weights at every step): its rate is a parameter of the optimisation "
            "problem, a metaparameter. In variational dropout (Kingma et al. 2015; Gal & Ghahramani 2016) the same "
            "rate is the parameter of the variational family q(w) — or, with a spike-and-slab prior, of the prior "
            "p(w|h), i.e. a hyperparameter — and it can be fitted by maximising the ELBO.",
            "Зависит от трактовки. Как регуляризатор dropout меняет стохастическую задачу оптимизации (на каждом "
            "шаге веса умножаются на случайную маску): его доля — параметр задачи оптимизации, то есть "
            "метапараметр. В вариационном dropout (Kingma и др., 2015; Gal и Ghahramani, 2016) та же доля — "
            "параметр вариационного семейства q(w), а при априорном распределении вида «пик и плато» "
            "(spike-and-slab) — параметр априорного распределения p(w|h), то есть гиперпараметр; тогда её можно "
            "подбирать, максимизируя ELBO."),
    },
    "temperature": {
        "question": tr("Gumbel-softmax is the variational distribution over the structure of a deep network. "
                       "Is its temperature a metaparameter or a hyperparameter?",
                       "Распределение Gumbel-softmax — вариационное распределение структуры глубокой сети. "
                       "Его температура — метапараметр или гиперпараметр?"),
        "best": "meta",
        "explain": tr(
            "A metaparameter. The temperature does not describe our beliefs about the structure: it controls how "
            "closely the continuous relaxation approximates discrete structures, i.e. the optimisation problem "
            "we solve. The course's slides write it as λ_temp among the metaparameters in "
            "p(w, Γ | h, λ_temp) and anneal it during training.",
            "Метапараметр. Температура не выражает наших представлений о структуре: она управляет тем, насколько "
            "непрерывная релаксация близка к дискретным структурам, то есть задачей оптимизации, которую мы "
            "решаем. В слайдах курса она обозначена λ_temp среди метапараметров в p(w, Γ | h, λ_temp), и её "
            "постепенно понижают в ходе обучения."),
    },
    "lr": {
        "question": tr("Is the SGD learning rate a metaparameter or a hyperparameter?",
                       "Шаг обучения SGD — метапараметр или гиперпараметр?"),
        "best": "meta",
        "explain": tr(
            "A metaparameter: it is a parameter of the optimisation operator T(w) = w − β∇L(w), not of any "
            "distribution of the parameters. (In lecture 2 the step size does shape an implicit variational "
            "distribution of the weights — the distribution that gradient descent produces — but it remains a "
            "parameter of the operator that produces it.)",
            "Метапараметр: это параметр оператора оптимизации T(w) = w − β∇L(w), а не какого-либо распределения "
            "параметров. (В лекции 2 шаг действительно определяет неявное вариационное распределение весов — то, "
            "которое порождает градиентный спуск, — но остаётся параметром оператора, который его порождает.)"),
    },
}
ANSWERS = [(tr("hyperparameter", "гиперпараметр"), "hyper"), (tr("metaparameter", "метапараметр"), "meta"),
           (tr("it depends", "зависит от трактовки"), "depends")]


def quiz(question, answer):
    item = QUIZ[question]
    verdict = tr("Right.", "Верно.") if answer == item["best"] else tr("Not quite.", "Не совсем.")
    print(item["question"])
    print(f"{verdict} {item['explain']}")


interact(quiz, question=w.Dropdown(options=[(QUIZ[k]["question"][:60] + "…", k) for k in QUIZ], value="dropout"),
         answer=w.ToggleButtons(options=ANSWERS, value="meta"))

# %% [markdown] lang="en"
# ## 3. Model selection is a bilevel problem
#
# Let $\boldsymbol{\theta} \in \mathbb{R}^s$ be everything that is optimised (parameters, variational
# parameters), $L(\boldsymbol{\theta}, \mathbf{h})$ the differentiable loss that training minimises and
# $Q(\boldsymbol{\theta}, \mathbf{h})$ the differentiable criterion of the final quality of the model (for
# instance the validation log-likelihood, or an estimate of the evidence). Then
#
# $$\mathbf{h}^* = \arg\max_{\mathbf{h} \in \mathbb{H}} Q\bigl(\boldsymbol{\theta}^*(\mathbf{h}), \mathbf{h}\bigr),
# \qquad \boldsymbol{\theta}^*(\mathbf{h}) = \arg\min_{\boldsymbol{\theta} \in \mathbb{R}^s}
# L(\boldsymbol{\theta}, \mathbf{h}).$$
#
# The inner problem is training; the outer one is the choice of hyperparameters (and, in the same way, of
# metaparameters). Two families of methods solve it: **black-box search**, which only evaluates
# $Q(\boldsymbol{\theta}^*(\mathbf{h}), \mathbf{h})$ (section 6), and **gradient-based** methods, which
# differentiate through $\boldsymbol{\theta}^*(\mathbf{h})$ (lectures 2, 3 and 6).

# %% [markdown] lang="ru"
# ## 3. Выбор модели — двухуровневая задача
#
# Пусть $\boldsymbol{\theta} \in \mathbb{R}^s$ — всё, что оптимизируется (параметры, вариационные параметры),
# $L(\boldsymbol{\theta}, \mathbf{h})$ — дифференцируемая функция потерь, которую минимизирует обучение, а
# $Q(\boldsymbol{\theta}, \mathbf{h})$ — дифференцируемый критерий итогового качества модели (например,
# правдоподобие на валидации или оценка обоснованности). Тогда
#
# $$\mathbf{h}^* = \arg\max_{\mathbf{h} \in \mathbb{H}} Q\bigl(\boldsymbol{\theta}^*(\mathbf{h}), \mathbf{h}\bigr),
# \qquad \boldsymbol{\theta}^*(\mathbf{h}) = \arg\min_{\boldsymbol{\theta} \in \mathbb{R}^s}
# L(\boldsymbol{\theta}, \mathbf{h}).$$
#
# Внутренняя задача — обучение, внешняя — выбор гиперпараметров (и точно так же метапараметров). Её решают два
# семейства методов: **поиск «чёрным ящиком»**, который лишь вычисляет
# $Q(\boldsymbol{\theta}^*(\mathbf{h}), \mathbf{h})$ (раздел 6), и **градиентные** методы, которые
# дифференцируют $\boldsymbol{\theta}^*(\mathbf{h})$ (лекции 2, 3 и 6).

# %% [markdown] lang="en"
# ## 4. The evidence of Bayesian linear regression
#
# Take $\mathbf{y} = \mathbf{X}\mathbf{w} + \boldsymbol{\varepsilon}$, $\boldsymbol{\varepsilon} \sim
# \mathcal{N}(\mathbf{0}, \sigma^2\mathbf{I})$, and the prior $\mathbf{w} \sim \mathcal{N}(\mathbf{0},
# \alpha^{-1}\mathbf{I})$. The **evidence** (marginal likelihood) integrates the parameters out:
#
# $$p(\mathbf{y} \mid \mathbf{X}, \alpha, \sigma^2) = \int p(\mathbf{y} \mid \mathbf{X}, \mathbf{w}, \sigma^2)\,
# p(\mathbf{w} \mid \alpha)\, d\mathbf{w} = \mathcal{N}\bigl(\mathbf{y} \mid \mathbf{0},\ \sigma^2\mathbf{I} +
# \alpha^{-1}\mathbf{X}\mathbf{X}^\top\bigr).$$
#
# Too large an $\alpha$ forbids the weights the data need; too small an $\alpha$ spreads the prior mass over
# weights the data never asked for: the evidence prefers the simplest model that explains the data (Occam's
# razor, MacKay 1992). Maximising it over $\alpha$ (type-II maximum likelihood) uses only the training data.
# `metaopt_lib.evidence.log_evidence_blr` computes it exactly; below, on scikit-learn's bundled *diabetes* data,
# we compare its maximiser with the minimiser of the validation error of the posterior mean. The noise variance
# is either known (here: estimated once by least squares) or estimated together with $\alpha$ by maximising
# the evidence over both with L-BFGS (the evidence is differentiable in its hyperparameters).

# %% [markdown] lang="ru"
# ## 4. Обоснованность байесовской линейной регрессии
#
# Пусть $\mathbf{y} = \mathbf{X}\mathbf{w} + \boldsymbol{\varepsilon}$, $\boldsymbol{\varepsilon} \sim
# \mathcal{N}(\mathbf{0}, \sigma^2\mathbf{I})$, а априорное распределение $\mathbf{w} \sim
# \mathcal{N}(\mathbf{0}, \alpha^{-1}\mathbf{I})$. **Обоснованность** (маргинальное правдоподобие) получается
# интегрированием по параметрам:
#
# $$p(\mathbf{y} \mid \mathbf{X}, \alpha, \sigma^2) = \int p(\mathbf{y} \mid \mathbf{X}, \mathbf{w}, \sigma^2)\,
# p(\mathbf{w} \mid \alpha)\, d\mathbf{w} = \mathcal{N}\bigl(\mathbf{y} \mid \mathbf{0},\ \sigma^2\mathbf{I} +
# \alpha^{-1}\mathbf{X}\mathbf{X}^\top\bigr).$$
#
# Слишком большое $\alpha$ запрещает веса, которые нужны данным; слишком малое размазывает априорную массу по
# весам, которых данные не требуют: обоснованность предпочитает простейшую модель, объясняющую данные (бритва
# Оккама, MacKay, 1992). Её максимизация по $\alpha$ (максимум правдоподобия второго рода) использует только
# обучающую выборку. Функция `metaopt_lib.evidence.log_evidence_blr` вычисляет её точно; ниже на встроенном в
# scikit-learn наборе *diabetes* мы сравним её точку максимума с точкой минимума ошибки апостериорного среднего на
# валидации. Дисперсия шума либо известна (здесь — один раз оценена методом наименьших квадратов), либо
# оценивается вместе с $\alpha$ максимизацией обоснованности по обоим параметрам методом L-BFGS (обоснованность
# дифференцируема по своим гиперпараметрам).

# %%
from sklearn.datasets import load_diabetes
from sklearn.model_selection import train_test_split

X_all, y_all = load_diabetes(return_X_y=True)
X_tr, X_val, y_tr, y_val = train_test_split(X_all, y_all, test_size=0.3, random_state=0)
mu, sd, y_mean, y_sd = X_tr.mean(0), X_tr.std(0), y_tr.mean(), y_tr.std()
to_t = lambda a: torch.tensor(a)  # noqa: E731
X_tr, X_val = to_t((X_tr - mu) / sd), to_t((X_val - mu) / sd)
y_tr, y_val = to_t((y_tr - y_mean) / y_sd), to_t((y_val - y_mean) / y_sd)
n, d = X_tr.shape

# "known" noise: the residual variance of least squares on the training set
w_ls = torch.linalg.lstsq(X_tr, y_tr.unsqueeze(1)).solution.squeeze(1)
noise_known = float(((y_tr - X_tr @ w_ls) ** 2).sum() / (n - d))

alphas = torch.logspace(-3, 4, 57)
log_ev_known = torch.stack([evidence.log_evidence_blr(X_tr, y_tr, a, noise_known) for a in alphas])
val_mse = torch.stack([((X_val @ evidence.posterior_blr(X_tr, y_tr, a, noise_known)[0] - y_val) ** 2).mean()
                       for a in alphas])

# estimated noise: maximise the evidence over (log alpha, log sigma^2) jointly by L-BFGS (type-II ML)
log_params = torch.zeros(2, requires_grad=True)
opt = torch.optim.LBFGS([log_params], max_iter=100, line_search_fn="strong_wolfe")


def neg_log_evidence():
    opt.zero_grad()
    loss = -evidence.log_evidence_blr(X_tr, y_tr, log_params[0].exp(), log_params[1].exp())
    loss.backward()
    return loss


opt.step(neg_log_evidence)
a_joint, s2_joint = (float(v) for v in log_params.detach().exp())

a_ev = float(alphas[log_ev_known.argmax()])
a_val = float(alphas[val_mse.argmin()])
print(tr(f"noise variance (least squares): {noise_known:.3f}", f"дисперсия шума (МНК): {noise_known:.3f}"))
print(tr(f"evidence maximiser, known noise:      alpha = {a_ev:.3g}",
         f"максимум обоснованности, шум известен: alpha = {a_ev:.3g}"))
print(tr(f"evidence maximiser, estimated noise:  alpha = {a_joint:.3g}, sigma^2 = {s2_joint:.3f}",
         f"максимум обоснованности, шум оценён:   alpha = {a_joint:.3g}, sigma^2 = {s2_joint:.3f}"))
print(tr(f"validation MSE minimiser:             alpha = {a_val:.3g}",
         f"минимум MSE на валидации:             alpha = {a_val:.3g}"))
mse_at_ev = float(val_mse[log_ev_known.argmax()])
print(tr(f"validation MSE at the evidence maximiser {mse_at_ev:.4f}, at its own minimiser {float(val_mse.min()):.4f}",
         f"MSE на валидации в максимуме обоснованности {mse_at_ev:.4f}, в собственном минимуме "
         f"{float(val_mse.min()):.4f}"))

fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(11, 3.8))
ax1.semilogx(alphas, log_ev_known, label=tr("known noise", "шум известен"))
ax1.semilogx([a_joint], [float(evidence.log_evidence_blr(X_tr, y_tr, a_joint, s2_joint))], "k*", ms=10,
             label=tr("joint maximum over (α, σ²)", "совместный максимум по (α, σ²)"))
ax1.axvline(a_ev, color="C0", lw=0.8)
ax1.set_xlabel("α")
ax1.set_ylabel(tr("log evidence", "log обоснованности"))
ax1.set_title(tr("Evidence on the training set", "Обоснованность на обучающей выборке"))
ax1.legend()
ax2.semilogx(alphas, val_mse, color="C2")
ax2.axvline(a_val, color="C2", lw=0.8)
ax2.axvline(a_ev, color="C0", lw=0.8, ls=":", label=tr("evidence maximiser", "максимум обоснованности"))
ax2.set_xlabel("α")
ax2.set_ylabel(tr("validation MSE (standardised y)", "MSE на валидации (стандартизованный y)"))
ax2.set_title(tr("Validation error of the posterior mean", "Ошибка апостериорного среднего на валидации"))
ax2.legend()
plt.tight_layout()
plt.show()

# %% [markdown] lang="en"
# The two criteria do not pick the same $\alpha$ — the evidence prefers a weaker prior here — but both curves are
# flat around their optima on this small, well-conditioned problem (10 features, about 300 training points), and
# the validation error at the evidence's choice is within a few percent of its minimum (the printed lines). The
# evidence got there from the training data alone, without spending data on validation and without depending on
# a lucky split; with fewer data or more features that advantage grows.
#
# Move the slider: the evidence as a function of the noise variance for a fixed $\alpha$.

# %% [markdown] lang="ru"
# Два критерия выбирают разные $\alpha$ — обоснованность здесь предпочитает более слабое априорное
# распределение, — но на этой небольшой хорошо обусловленной задаче (10 признаков, около 300 обучающих объектов)
# обе кривые пологие около оптимума, и ошибка на валидации в точке, выбранной обоснованностью, всего на несколько
# процентов выше своего минимума (см. напечатанные строки). Обоснованность пришла туда только по обучающей выборке,
# не тратя данных на валидацию и не завися от удачного разбиения; при меньшем числе объектов или большем числе
# признаков это преимущество растёт.
#
# Подвигайте ползунок: обоснованность как функция дисперсии шума при фиксированном $\alpha$.

# %%
noise_grid = torch.linspace(0.2, 1.5, 40)


def evidence_vs_noise(log10_alpha):
    a = 10.0 ** log10_alpha
    curve = torch.stack([evidence.log_evidence_blr(X_tr, y_tr, a, s2) for s2 in noise_grid])
    plt.figure(figsize=(5.5, 3.2))
    plt.plot(noise_grid, curve)
    plt.axvline(noise_known, ls=":", color="gray", label=tr("least-squares noise", "шум по МНК"))
    plt.xlabel("σ²")
    plt.ylabel(tr("log evidence", "log обоснованности"))
    plt.title(f"α = {a:.3g}")
    plt.legend()
    plt.show()


interact(evidence_vs_noise, log10_alpha=w.FloatSlider(value=1.0, min=-3.0, max=4.0, step=0.25,
                                                      description="log10 α"))

# %% [markdown] lang="en"
# ## 5. The evidence lower bound
#
# When the evidence cannot be computed, we pick a distribution $q(\mathbf{w})$ from a family $\Omega$ and use
# the identity, true for every $q$:
#
# $$\log p(\mathcal{D} \mid \mathbf{h}) = \underbrace{\mathbb{E}_{q} \log p(\mathcal{D} \mid \mathbf{w}) -
# \mathrm{KL}\bigl(q(\mathbf{w}) \,\|\, p(\mathbf{w} \mid \mathbf{h})\bigr)}_{\text{ELBO}(q)} +
# \mathrm{KL}\bigl(q(\mathbf{w}) \,\|\, p(\mathbf{w} \mid \mathcal{D}, \mathbf{h})\bigr).$$
#
# Since the last KL divergence is non-negative, the ELBO is a lower bound on the log evidence, and maximising
# it over $q$ is the same as minimising $\mathrm{KL}(q \,\|\, p(\mathbf{w} \mid \mathcal{D}, \mathbf{h}))$:
# the bound is tight exactly when $q$ is the posterior. (One of the course's Russian slides writes the KL
# divergence to the posterior *equal* to the ELBO; it is not: the two add up to the log evidence.) The
# distribution of the parameters produced by an optimisation procedure can itself be read as a variational
# distribution — the idea of lecture 2.
#
# Below, $q = \mathcal{N}(\mathbf{m}_N + t\,\mathbf{v},\ s^2 \mathbf{S}_N)$ is a shifted and rescaled posterior
# of the regression above; the ELBO is computed in closed form, the KL divergence with `torch.distributions`, and
# their sum is the exact log evidence whatever $t$ and $s$ are.

# %% [markdown] lang="ru"
# ## 5. Вариационная нижняя оценка
#
# Когда обоснованность не вычисляется, выбирают распределение $q(\mathbf{w})$ из семейства $\Omega$ и пользуются
# тождеством, верным для любого $q$:
#
# $$\log p(\mathcal{D} \mid \mathbf{h}) = \underbrace{\mathbb{E}_{q} \log p(\mathcal{D} \mid \mathbf{w}) -
# \mathrm{KL}\bigl(q(\mathbf{w}) \,\|\, p(\mathbf{w} \mid \mathbf{h})\bigr)}_{\text{ELBO}(q)} +
# \mathrm{KL}\bigl(q(\mathbf{w}) \,\|\, p(\mathbf{w} \mid \mathcal{D}, \mathbf{h})\bigr).$$
#
# Последняя KL-дивергенция неотрицательна, поэтому ELBO — нижняя оценка логарифма обоснованности (вариационная
# оценка), а её максимизация по $q$ равносильна минимизации $\mathrm{KL}(q \,\|\, p(\mathbf{w} \mid \mathcal{D},
# \mathbf{h}))$: оценка точна ровно тогда, когда $q$ совпадает с апостериорным распределением. (На одном из
# русскоязычных слайдов курса KL-дивергенция до апостериорного распределения *приравнена* к ELBO; это неверно:
# в сумме они дают логарифм обоснованности.) Распределение параметров, которое порождает процедура оптимизации,
# тоже можно считать вариационным — это идея лекции 2.
#
# Ниже $q = \mathcal{N}(\mathbf{m}_N + t\,\mathbf{v},\ s^2 \mathbf{S}_N)$ — сдвинутое и растянутое апостериорное
# распределение регрессии из раздела 4; ELBO вычисляется в замкнутом виде, KL-дивергенция — через
# `torch.distributions`, и их сумма равна точному логарифму обоснованности при любых $t$ и $s$.

# %%
from torch.distributions import MultivariateNormal, kl_divergence

alpha_demo = a_ev
m_N, S_N = evidence.posterior_blr(X_tr, y_tr, alpha_demo, noise_known)
log_ev_demo = float(evidence.log_evidence_blr(X_tr, y_tr, alpha_demo, noise_known))
direction = torch.linalg.eigh(S_N).eigenvectors[:, -1]          # the widest direction of the posterior
posterior = MultivariateNormal(m_N, S_N)


def elbo_parts(t, s):
    """ELBO(q) and KL(q || posterior) for q = N(m_N + t v, s^2 S_N)."""
    q_mean, q_cov = m_N + t * direction, s ** 2 * S_N
    elbo = float(evidence.elbo_blr(X_tr, y_tr, alpha_demo, noise_known, q_mean, q_cov))
    kl = float(kl_divergence(MultivariateNormal(q_mean, q_cov), posterior))
    return elbo, kl


def show_elbo(t, s):
    elbo, kl = elbo_parts(t, s)
    plt.figure(figsize=(5.5, 3.2))
    plt.bar([0, 1], [elbo, kl], color=["C0", "C3"])
    plt.bar([2], [log_ev_demo], color="gray")
    plt.bar([2], [elbo], color="C0", alpha=0.35)
    plt.xticks([0, 1, 2], ["ELBO", "KL(q‖post)", tr("log evidence", "log обоснованности")])
    plt.title(f"ELBO + KL = {elbo + kl:.4f},  log p(D|h) = {log_ev_demo:.4f}")
    plt.show()


for t, s in [(0.0, 1.0), (0.5, 1.0), (0.0, 2.0)]:
    elbo, kl = elbo_parts(t, s)
    print(f"t={t:.1f}, s={s:.1f}:  ELBO={elbo:9.4f}  KL={kl:7.4f}  ELBO+KL={elbo + kl:9.4f}  "
          f"log p(D|h)={log_ev_demo:9.4f}")

interact(show_elbo, t=w.FloatSlider(value=0.0, min=-1.0, max=1.0, step=0.05, description="t"),
         s=w.FloatSlider(value=1.0, min=0.25, max=3.0, step=0.05, description="s"))

# %%
# PLACEHOLDER: black-box search section (search.py owner)

# %% [markdown] lang="en"
# ## Check yourself
#
# 1. Give an example of a quantity that is a hyperparameter in one model and a metaparameter in another.
# 2. Why does maximising the evidence over $\alpha$ not need a validation set? What does it assume instead?
# 3. Show that the ELBO equals the log evidence if and only if $q$ is the posterior.
# 4. The evidence of the regression above as a function of $\alpha$: what happens as $\alpha \to 0$ and as
#    $\alpha \to \infty$? Explain both limits.
# 5. Which of the black-box searches can use the result of a cheap, short training to stop a bad configuration
#    early, and what does it assume about learning curves?
#
# ## References
#
# * MacKay D. J. C. Bayesian interpolation. *Neural Computation*, 1992.
# * Bishop C. M. *Pattern Recognition and Machine Learning*, §3.5. Springer, 2006.
# * Blei D. M., Kucukelbir A., McAuliffe J. D. Variational inference: a review for statisticians. *JASA*, 2017.
# * Kingma D. P., Salimans T., Welling M. Variational dropout and the local reparameterization trick. NeurIPS 2015.
# * Gal Y., Ghahramani Z. Dropout as a Bayesian approximation. ICML 2016.
# * Jang E., Gu S., Poole B. Categorical reparameterization with Gumbel-softmax. ICLR 2017.
# * Bergstra J., Bengio Y. Random search for hyper-parameter optimization. *JMLR*, 2012.
# * Li L. et al. Hyperband: a novel bandit-based approach to hyperparameter optimization. *JMLR*, 2018.
# * Akiba T. et al. Optuna: a next-generation hyperparameter optimization framework. KDD 2019.
# * Bakhteev O. Yu., Strijov V. V. Lectures "Metaparameters and metaoptimization", MIPT, 2019–2023.

# %% [markdown] lang="ru"
# ## Проверьте себя
#
# 1. Приведите пример величины, которая в одной модели является гиперпараметром, а в другой — метапараметром.
# 2. Почему для максимизации обоснованности по $\alpha$ не нужна валидационная выборка? Что предполагается
#    взамен?
# 3. Докажите, что ELBO равна логарифму обоснованности тогда и только тогда, когда $q$ — апостериорное
#    распределение.
# 4. Как ведёт себя обоснованность регрессии выше как функция $\alpha$ при $\alpha \to 0$ и при
#    $\alpha \to \infty$? Объясните оба предела.
# 5. Какие из методов поиска «чёрным ящиком» могут по результату дешёвого короткого обучения досрочно
#    остановить плохую конфигурацию и что они предполагают о кривых обучения?
#
# ## Литература
#
# * MacKay D. J. C. Байесовская интерполяция (Bayesian interpolation). *Neural Computation*, 1992.
# * Bishop C. M. Распознавание образов и машинное обучение (Pattern Recognition and Machine Learning), §3.5, 2006.
# * Blei D. M. и др. Вариационный вывод: обзор для статистиков (Variational inference: a review for
#   statisticians). *JASA*, 2017.
# * Kingma D. P. и др. Вариационный dropout и локальная репараметризация. NeurIPS 2015.
# * Gal Y., Ghahramani Z. Dropout как байесовское приближение. ICML 2016.
# * Jang E. и др. Категориальная репараметризация через Gumbel-softmax. ICLR 2017.
# * Bergstra J., Bengio Y. Случайный поиск гиперпараметров. *JMLR*, 2012.
# * Li L. и др. Hyperband: бандитский подход к оптимизации гиперпараметров. *JMLR*, 2018.
# * Akiba T. и др. Optuna: система оптимизации гиперпараметров нового поколения. KDD 2019.
# * Бахтеев О. Ю., Стрижов В. В. Лекции «Метапараметры и метаоптимизация», МФТИ, 2019–2023.
