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

from metaopt_course.widgets import interact
from metaopt_lib import evidence
from metaopt_lib.i18n import translator
from metaopt_lib.seeding import set_seed

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
# * the structure $\Gamma$ of the model, when an expert fixes it (when the structure is random, as in the prior
#   $p(\mathbf{w}, \Gamma \mid \mathbf{h})$ of section 1, it is a variable of the model like $\mathbf{w}$, and the
#   parameters of its prior are hyperparameters — lectures 7–8);
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
# * структура модели $\Gamma$, если её фиксирует эксперт (если структура случайна, как в априорном распределении
#   $p(\mathbf{w}, \Gamma \mid \mathbf{h})$ из раздела 1, она — переменная модели наравне с $\mathbf{w}$, а
#   параметры её априорного распределения — гиперпараметры; лекции 7–8);
# * функции активации слоёв;
# * вид априорного распределения и функции правдоподобия.
#
# Граница проводится по тому, *что параметризует величина*: распределение параметров (гиперпараметр) или
# процедуру и задачу, которые эти параметры находят (метапараметр).

# %% [markdown] lang="en"
# ### Quiz: hyperparameter or metaparameter?
#
# Choose a question, think, then press your answer: the verdict and its explanation appear only after you answer.
# There is one question on which reasonable people disagree — the explanation says why.

# %% [markdown] lang="ru"
# ### Тест: гиперпараметр или метапараметр?
#
# Выберите вопрос, подумайте и нажмите свой ответ: вердикт и объяснение появятся только после ответа. В одном из
# вопросов разумные люди расходятся во мнениях — объяснение говорит почему.

# %%
QUIZ = {
    "dropout": {
        "label": tr("1. The dropout rate", "1. Доля dropout"),
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
        "label": tr("2. The temperature of Gumbel-softmax", "2. Температура Gumbel-softmax"),
        "question": tr("Gumbel-softmax is the variational distribution over the structure of a deep network. "
                       "Is its temperature a metaparameter or a hyperparameter?",
                       "Распределение Gumbel-softmax — вариационное распределение структуры глубокой сети. "
                       "Его температура — метапараметр или гиперпараметр?"),
        "best": "meta",
        "explain": tr(
            "A metaparameter. The temperature does not describe our beliefs about the structure: it controls how "
            "closely the continuous relaxation approximates discrete structures, i.e. the optimisation problem "
            "we solve. O. Bakhteev's 2019 MIPT lecture slides write it as λ_temp among the metaparameters in "
            "p(w, Γ | h, λ_temp) and anneal it during training.",
            "Метапараметр. Температура не выражает наших представлений о структуре: она управляет тем, насколько "
            "непрерывная релаксация близка к дискретным структурам, то есть задачей оптимизации, которую мы "
            "решаем. В слайдах лекций О. Ю. Бахтеева (МФТИ, 2019) она обозначена λ_temp среди метапараметров в p(w, Γ | h, λ_temp), и её "
            "постепенно понижают в ходе обучения."),
    },
    "lr": {
        "label": tr("3. The learning rate of SGD", "3. Шаг обучения SGD"),
        "question": tr("Is the SGD learning rate a metaparameter or a hyperparameter?",
                       "Шаг обучения SGD — метапараметр или гиперпараметр?"),
        "best": "meta",
        "explain": tr(
            "A metaparameter: it is a parameter of the optimisation operator T(w) = w − η∇L(w), not of any "
            "distribution of the parameters. (In lecture 2 the step size does shape an implicit variational "
            "distribution of the weights — the distribution that gradient descent produces — but it remains a "
            "parameter of the operator that produces it.)",
            "Метапараметр: это параметр оператора оптимизации T(w) = w − η∇L(w), а не какого-либо распределения "
            "параметров. (В лекции 2 шаг действительно определяет неявное вариационное распределение весов — то, "
            "которое порождает градиентный спуск, — но остаётся параметром оператора, который его порождает.)"),
    },
}
ANSWERS = [(tr("hyperparameter", "гиперпараметр"), "hyper"), (tr("metaparameter", "метапараметр"), "meta"),
           (tr("it depends", "зависит от трактовки"), "depends")]


def quiz(question, answer=None):
    """Print the question in full; the verdict and the explanation only once an answer is chosen."""
    item = QUIZ[question]
    print(item["question"])
    if answer is None:
        print(tr("Press your answer below the question list.", "Нажмите свой ответ под списком вопросов."))
        return
    verdict = tr("Right.", "Верно.") if answer == item["best"] else tr("Not quite.", "Не совсем.")
    print(f"{verdict} {item['explain']}")


# no answer is preselected (value=None), and choosing another question clears the answer again
question_box = w.Dropdown(options=[(QUIZ[k]["label"], k) for k in QUIZ], value="dropout",
                          description=tr("question", "вопрос"), layout=w.Layout(width="auto"))
answer_box = w.ToggleButtons(options=ANSWERS, value=None, description=tr("answer", "ответ"))
question_box.observe(lambda change: setattr(answer_box, "value", None), names="value")
interact(quiz, question=question_box, answer=answer_box)

# %% [markdown] lang="en"
# ## 3. Model selection is a bilevel problem
#
# Let $\boldsymbol{\theta} \in \mathbb{R}^s$ be everything that is optimised (parameters, variational
# parameters), $L_{\text{train}}(\boldsymbol{\theta}, \mathbf{h})$ the differentiable loss that training
# minimises and $L_{\text{val}}(\boldsymbol{\theta}, \mathbf{h})$ the criterion of the final quality of the model,
# written as a loss (for instance minus the validation log-likelihood, or minus an estimate of the evidence). Then
#
# $$\mathbf{h}^* = \arg\min_{\mathbf{h} \in \mathbb{H}} L_{\text{val}}\bigl(\boldsymbol{\theta}^*(\mathbf{h}),
# \mathbf{h}\bigr), \qquad \boldsymbol{\theta}^*(\mathbf{h}) = \arg\min_{\boldsymbol{\theta} \in \mathbb{R}^s}
# L_{\text{train}}(\boldsymbol{\theta}, \mathbf{h}).$$
#
# This is the one form of the bilevel problem used in the whole course (lecture 0); for metaparameters write
# $\boldsymbol{\lambda}$ instead of $\mathbf{h}$. (The course's MIPT lecture slides maximise a quality criterion
# $Q = -L_{\text{val}}$; it is the same problem.)
#
# The inner problem is training; the outer one is the choice of hyperparameters (and, in the same way, of
# metaparameters). Two families of methods solve it: **black-box search**, which only evaluates
# $L_{\text{val}}(\boldsymbol{\theta}^*(\mathbf{h}), \mathbf{h})$ (section 6), and **gradient-based** methods, which
# differentiate through $\boldsymbol{\theta}^*(\mathbf{h})$ (lectures 2, 3 and 6).

# %% [markdown] lang="ru"
# ## 3. Выбор модели — двухуровневая задача
#
# Пусть $\boldsymbol{\theta} \in \mathbb{R}^s$ — всё, что оптимизируется (параметры, вариационные параметры),
# $L_{\text{train}}(\boldsymbol{\theta}, \mathbf{h})$ — дифференцируемая функция потерь, которую минимизирует
# обучение, а $L_{\text{val}}(\boldsymbol{\theta}, \mathbf{h})$ — критерий итогового качества модели, записанный
# как потери (например, минус логарифм правдоподобия на валидации или минус оценка обоснованности). Тогда
#
# $$\mathbf{h}^* = \arg\min_{\mathbf{h} \in \mathbb{H}} L_{\text{val}}\bigl(\boldsymbol{\theta}^*(\mathbf{h}),
# \mathbf{h}\bigr), \qquad \boldsymbol{\theta}^*(\mathbf{h}) = \arg\min_{\boldsymbol{\theta} \in \mathbb{R}^s}
# L_{\text{train}}(\boldsymbol{\theta}, \mathbf{h}).$$
#
# Это единственная форма двухуровневой задачи во всём курсе (лекция 0); для метапараметров вместо $\mathbf{h}$
# пишем $\boldsymbol{\lambda}$. (В слайдах лекций МФТИ максимизируется критерий качества $Q = -L_{\text{val}}$; задача
# та же.)
#
# Внутренняя задача — обучение, внешняя — выбор гиперпараметров (и точно так же метапараметров). Эту задачу решают два
# семейства методов: **поиск «чёрным ящиком»**, который лишь вычисляет
# $L_{\text{val}}(\boldsymbol{\theta}^*(\mathbf{h}), \mathbf{h})$ (раздел 6), и **градиентные** методы, которые
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
# the bound is tight exactly when $q$ is the posterior. (O. Bakhteev's 2019 MIPT lecture slides write the KL
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
# Когда обоснованность не удаётся вычислить, выбирают распределение $q(\mathbf{w})$ из семейства $\Omega$ и пользуются
# тождеством, верным для любого $q$:
#
# $$\log p(\mathcal{D} \mid \mathbf{h}) = \underbrace{\mathbb{E}_{q} \log p(\mathcal{D} \mid \mathbf{w}) -
# \mathrm{KL}\bigl(q(\mathbf{w}) \,\|\, p(\mathbf{w} \mid \mathbf{h})\bigr)}_{\text{ELBO}(q)} +
# \mathrm{KL}\bigl(q(\mathbf{w}) \,\|\, p(\mathbf{w} \mid \mathcal{D}, \mathbf{h})\bigr).$$
#
# Последняя KL-дивергенция неотрицательна, поэтому ELBO — нижняя оценка логарифма обоснованности (вариационная
# оценка), а её максимизация по $q$ равносильна минимизации $\mathrm{KL}(q \,\|\, p(\mathbf{w} \mid \mathcal{D},
# \mathbf{h}))$: оценка точна ровно тогда, когда $q$ совпадает с апостериорным распределением. (В слайдах
# лекций О. Ю. Бахтеева, МФТИ, 2019, KL-дивергенция до апостериорного распределения *приравнена* к ELBO; это неверно:
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

# %% [markdown] lang="en"
# ## 6. Black-box search
#
# Most of the time $L_{\text{val}}(\boldsymbol{\theta}^*(\mathbf{h}), \mathbf{h})$ is a **black box**: we can only pick a
# configuration, train, and read the validation loss. The loop is always the same — choose hyperparameters, build
# and train the model, measure it on validation data, choose the next hyperparameters, and at the very end measure the
# chosen model once on the test data. What makes it hard: the space is partly discrete (no gradient), every
# evaluation is a full training (expensive), and the signal is noisy (a 0.2% gain may be a lucky initialisation).
#
# * **Grid search** tries the Cartesian product of a few values per hyperparameter: $k^d$ trainings for $d$
#   hyperparameters. If only one of them matters, the grid tries only $k$ values of it: the other $k^d - k$
#   trainings repeat values already seen (6 of 9 for $k = 3$, $d = 2$).
# * **Random search** (Bergstra & Bengio, 2012) draws configurations independently — log-uniformly for scale
#   parameters such as a learning rate or a penalty weight. With the same budget it tries $n$ *different* values of
#   every hyperparameter, so it rarely loses to a grid and usually wins when few hyperparameters matter.
# * **Coarse-to-fine**: a quick random search over wide ranges, then another one over narrower ranges centred on the
#   best configurations, and so on — the manual version of "explore more where it was good".
# * **Bayesian optimisation** (sequential model-based optimisation): fit a probabilistic surrogate of the loss to the
#   trials so far and choose the next configuration by an acquisition function such as the expected improvement. A
#   Gaussian process is the classic surrogate (Snoek et al., 2012); the Tree-structured Parzen Estimator (Bergstra et
#   al., 2011) models the density $\ell(\mathbf{h})$ of good and $g(\mathbf{h})$ of bad configurations and proposes
#   the maximiser of $\ell(\mathbf{h}) / g(\mathbf{h})$. We use TPE from the library optuna. The price: the search is
#   sequential, no longer embarrassingly parallel.
# * **Successive halving** (Jamieson & Talwalkar, 2016) uses cheap partial trainings: start $n$ configurations with
#   a small budget $r$ (epochs, steps), keep the best $1/\eta$, give them $\eta$ times the budget, repeat — rung $i$
#   trains $n_i = \lfloor n \eta^{-i} \rfloor$ configurations with $r_i = r \eta^i$. It assumes learning curves
#   rarely cross. **Hyperband** (Li et al., 2018) hedges that assumption: with the maximum budget $R$ (in units of
#   the minimum), $s_{\max} = \lfloor \log_\eta R \rfloor$ and $B = (s_{\max} + 1) R$, bracket $s = s_{\max}, \dots,
#   0$ runs successive halving from $n = \lceil \frac{B}{R} \frac{\eta^s}{s + 1} \rceil$ configurations with
#   $r = R \eta^{-s}$; the last bracket is plain random search at full budget.
# * **Evolutionary search** keeps a population of configurations, mutates the good ones and drops others. In
#   *regularised evolution* (Real et al., 2019, the search behind AmoebaNet) a tournament of a few random members
#   picks the parent, its mutated child is trained and added, and the **oldest** member — not the worst — is removed.

# %% [markdown] lang="ru"
# ## 6. Поиск «чёрным ящиком»
#
# Чаще всего $L_{\text{val}}(\boldsymbol{\theta}^*(\mathbf{h}), \mathbf{h})$ — **чёрный ящик**: можно только выбрать конфигурацию,
# обучить модель и посмотреть на потери на валидации. Цикл всегда один и тот же: выбрать гиперпараметры, построить
# и обучить модель, измерить её качество на валидационной выборке, выбрать следующие гиперпараметры, а в самом конце
# один раз измерить выбранную модель на тестовой выборке. Трудности: пространство отчасти дискретно (градиента нет),
# каждое вычисление — полное обучение (дорого), а сигнал шумный (выигрыш в 0,2% может объясняться удачной
# инициализацией).
#
# * **Поиск по сетке** перебирает декартово произведение нескольких значений каждого гиперпараметра: $k^d$ обучений
#   для $d$ гиперпараметров. Если важен только один из них, сетка пробует лишь $k$ его значений: остальные
#   $k^d - k$ обучений повторяют уже виденные значения (6 из 9 при $k = 3$, $d = 2$).
# * **Случайный поиск** (Bergstra и Bengio, 2012) выбирает конфигурации независимо — для параметров масштаба, таких
#   как шаг обучения или вес штрафа, равномерно в логарифмической шкале. При том же бюджете он пробует $n$ *разных*
#   значений каждого гиперпараметра, поэтому редко проигрывает сетке и обычно выигрывает, когда важны лишь немногие из них.
# * **От грубого к точному**: быстрый случайный поиск по широким диапазонам, затем ещё один по узким диапазонам
#   вокруг лучших конфигураций и так далее — ручной вариант принципа «исследуй больше там, где было хорошо».
# * **Байесовская оптимизация** (последовательная оптимизация на основе модели): по уже проведённым испытаниям строится
#   вероятностная суррогатная модель функции потерь, а следующая конфигурация выбирается по функции
#   приобретения (acquisition function), например по ожидаемому улучшению. Классическая суррогатная модель —
#   гауссовский процесс (Snoek и др., 2012);
#   древовидная парзеновская оценка (TPE; Bergstra и др., 2011) моделирует плотности хороших $\ell(\mathbf{h})$ и плохих
#   $g(\mathbf{h})$ конфигураций и предлагает точку максимума $\ell(\mathbf{h}) / g(\mathbf{h})$. Мы берём её из
#   библиотеки optuna. Цена — поиск становится последовательным и уже не распараллеливается тривиально.
# * **Последовательное деление пополам** (Jamieson и Talwalkar, 2016) использует дешёвые неполные обучения:
#   запускаем $n$ конфигураций с малым бюджетом $r$ (эпохи, шаги), оставляем лучшую долю $1/\eta$, даём ей в
#   $\eta$ раз больший бюджет и повторяем — на ступени $i$ обучаются $n_i = \lfloor n \eta^{-i} \rfloor$
#   конфигураций с бюджетом $r_i = r \eta^i$. Предполагается, что кривые обучения редко пересекаются. **Hyperband**
#   (Li и др., 2018) страхует от нарушения этого предположения: при максимальном бюджете $R$ (в единицах минимального),
#   $s_{\max} = \lfloor \log_\eta R \rfloor$ и $B = (s_{\max} + 1) R$ серия $s = s_{\max}, \dots, 0$ запускает
#   деление пополам с $n = \lceil \frac{B}{R} \frac{\eta^s}{s + 1} \rceil$ конфигураций и $r = R \eta^{-s}$;
#   последняя серия — обычный случайный поиск с полным бюджетом.
# * **Эволюционный поиск** хранит популяцию конфигураций, мутирует хорошие и отбрасывает остальные. В *регуляризованной
#   эволюции* (Real и др., 2019; так найдена сеть AmoebaNet) турнир из нескольких случайных членов выбирает родителя,
#   его мутированного потомка обучают и добавляют, а удаляют **самого старого** члена популяции, а не худшего.

# %%
from metaopt_lib import search
from metaopt_lib.data import load_digits

print(tr("Hyperband brackets for R = 81, η = 3 (Li et al., 2018, Table 1): (n_i, r_i) per rung",
         "Серии Hyperband при R = 81, η = 3 (Li и др., 2018, табл. 1): (n_i, r_i) по ступеням"))
for s, bracket in zip(range(4, -1, -1), search.hyperband_brackets(81, eta=3)):
    print(f"s = {s}: " + "  ".join(f"({n}, {r:g})" for n, r in bracket))

# %% [markdown] lang="en"
# **Six searchers on one real task.** Multinomial logistic regression on the digits, trained from zero by full-batch
# gradient descent with momentum for at most 27 steps; three hyperparameters: the step $\eta \in [10^{-3}, 30]$ and
# the weight decay $\in [10^{-6}, 1]$ (both log-uniform) and the momentum $\in [0, 0.95]$. Every searcher gets about
# 30 trainings: a $5 \times 3 \times 2$ grid, 30 random draws, coarse-to-fine (3 rounds of 10, the box halved each
# round), 30 TPE trials (the first 10 random), 30 trainings of
# regularised evolution (population 8), and Hyperband with $R = 27$ steps, $\eta = 3$ (a training of $r$ steps costs
# $r/27$ of a full one, so its four brackets spend about 15.7 full trainings). The plot shows the best validation loss
# found so far against the number of (full-training-equivalent) trainings.

# %% [markdown] lang="ru"
# **Шесть методов поиска на одной реальной задаче.** Многоклассовая логистическая регрессия на цифрах, обучаемая с
# нуля не более чем 27 шагами полного градиентного спуска с моментом; три гиперпараметра: шаг $\eta \in [10^{-3}, 30]$ и
# коэффициент затухания весов $\in [10^{-6}, 1]$ (оба — равномерно в логарифмической шкале) и момент
# $\in [0, 0.95]$. Каждый метод получает около 30 обучений: сетка $5 \times 3 \times 2$, 30 случайных точек,
# поиск от грубого к точному (3 раунда по 10, каждый раунд вдвое сужает область), 30 испытаний древовидной
# парзеновской оценки (первые 10 — случайные), 30 обучений регуляризованной эволюции
# (популяция 8) и Hyperband с $R = 27$ шагами и $\eta = 3$ (обучение за $r$ шагов стоит $r/27$ полного, поэтому его
# четыре серии тратят около 15,7 полного обучения). На графике — лучшие найденные к этому моменту потери на валидации в зависимости
# от числа обучений (в пересчёте на полные).

# %%
torch.set_num_threads(1)  # ~200 tiny trainings: a second thread only adds waiting (~5x the CPU time)
X_s, y_s, X_v, y_v = load_digits().split_validation(0.25, seed=0)
lr_objective = search.logistic_regression_objective(X_s, y_s, X_v, y_v, max_steps=27)
space = {"lr": search.Float(1e-3, 30.0, log=True), "weight_decay": search.Float(1e-6, 1.0, log=True),
         "momentum": search.Float(0.0, 0.95)}
searches = {
    tr("grid", "сетка"): (search.grid_search(lr_objective, space, {"lr": 5, "weight_decay": 3, "momentum": 2}), None),
    tr("random", "случайный"): (search.random_search(lr_objective, space, 30, seed=0), None),
    tr("coarse-to-fine", "от грубого к точному"): (search.coarse_to_fine(lr_objective, space, 3, 10, seed=0), None),
    tr("Bayesian (TPE, optuna)", "байесовский (TPE, optuna)"): (search.optuna_search(lr_objective, space, 30, seed=0),
                                                               None),
    "Hyperband": (search.hyperband(lr_objective, space, max_budget=27, eta=3, seed=0), 27),
    tr("regularised evolution", "регуляризованная эволюция"): (
        search.evolutionary_search(lr_objective, space, 30, population_size=8, seed=0), None),
}
plt.figure(figsize=(6.5, 4))
for name, (trials, max_budget) in searches.items():
    cost, best = search.best_so_far(trials, max_budget)
    plt.step(cost, best, where="post", label=name)
    winner = min(trials, key=lambda t: t.loss)
    print(f"{name:28s} {cost[-1]:5.1f} {tr('trainings', 'обучений')}: {tr('best', 'лучшее')} {best[-1]:.4f}  "
          + ", ".join(f"{k}={v:.3g}" for k, v in winner.config.items()))
plt.yscale("log")
plt.xlabel(tr("number of trainings (full-training equivalents)", "число обучений (в пересчёте на полные)"))
plt.ylabel(tr("best validation loss so far", "лучшие потери на валидации"))
plt.title(tr("Black-box search, logistic regression on digits", "Поиск «чёрным ящиком»: логистическая регрессия"))
plt.legend()
plt.show()

# %% [markdown] lang="en"
# **Reading the plot** (one seed — rerun with others before believing small differences). The grid walks through
# its points in a fixed order and needs about three quarters of its budget to reach a good learning rate. Random
# search and evolution (which start from the same random draws) are near 0.21 after five trainings. Hyperband gets
# there after about eight full-training equivalents: its first bracket screens 27 configurations with one step each
# for the price of one full training, but on this problem one step says little about the final loss — the risk its
# later brackets hedge. After 30 trainings the searches that exploit what they have seen (TPE, evolution,
# coarse-to-fine) are best, at about 0.18, against 0.20–0.21 for the grid, random search and Hyperband (which spent
# only about 16 trainings). With three hyperparameters and a cheap model the differences are small; the advantage of
# adaptive methods grows with the dimension and the cost of a training.
#
# ### Neural architecture search and evolution, in outline
#
# Neural architecture search (NAS) applies the same loop to the structure of the network: a **search space** (cells,
# operations, connections), a **search strategy** and a way to **estimate performance** cheaply. The strategies of
# the survey table in S.-C. Chung's lecture (NSYSU): reinforcement learning (RL: a controller generates architectures,
# rewarded by validation accuracy), evolutionary algorithms (EA), gradient optimisation of a continuous relaxation
# (GO: DARTS and its family, one-shot models that share weights), random search (RS) and sequential model-based
# optimisation (SMBO). A few rows (ImageNet; numbers as quoted there, at different image sizes and settings, so
# not strictly comparable):
#
# | strategy | method | top-1, % | parameters, M | GPU-days |
# |---|---|---|---|---|
# | human | MobileNets | 70.6 | 4.2 | — |
# | RL | NASNet-A | 74.0 | 5.3 | 2000 |
# | RL | Block-QNN | 77.4 | N/A | 96 |
# | EA | Hierarchical-EAS | 79.7 | 64.0 | 300 |
# | EA | AmoebaNet-A (N=6, F=190) | 82.8 | 86.7 | 3150 |
# | RS | Hierarchical-EAS, random | 79.0 | N/A | 300 |
# | SMBO | PNAS (Mobile) | 74.2 | 5.1 | 225 |
# | GO | DARTS | 73.3 | 4.7 | 4 |
# | GO | PC-DARTS (ImageNet) | 75.8 | 5.3 | 3.8 |
# | GO | GDAS | 72.5 | 4.4 | 0.17 |
#
# Two lessons. Weight sharing and gradients cut the cost by three to four orders of magnitude (thousands of GPU-days
# for RL and evolution, a few for DARTS). And random search in the same well-designed space comes within 0.7 points
# of evolution (79.0 against 79.7): the search space matters as much as the strategy.
#
# *Sources for this section:* Bergstra & Bengio, JMLR 2012; Bergstra, Bardenet, Bengio & Kégl, NeurIPS 2011;
# Snoek, Larochelle & Adams, NeurIPS 2012; Akiba et al. (optuna), KDD 2019; Jamieson & Talwalkar, AISTATS 2016;
# Li, Jamieson, DeSalvo, Rostamizadeh & Talwalkar (Hyperband), JMLR 2018; Real, Aggarwal, Huang & Le, AAAI 2019;
# Liu, Simonyan & Yang (DARTS), ICLR 2019; Zoph & Le, ICLR 2017.

# %% [markdown] lang="ru"
# **Как читать график** (одно начальное значение генератора случайных чисел — прежде чем верить небольшим различиям,
# повторите с другими).
# Сетка обходит свои точки в фиксированном порядке, и ей нужно около трёх четвертей бюджета, чтобы дойти до
# хорошего шага обучения. Случайный поиск и эволюция (они начинают с одних и тех же случайных точек) выходят на
# уровень около 0,21 за пять обучений. Hyperband доходит до него примерно за восемь полных обучений: его первая
# серия просеивает 27 конфигураций по одному шагу каждая за цену одного полного обучения, но в этой задаче один
# шаг мало говорит об итоговых потерях — именно от этого риска страхуют его следующие серии. После 30 обучений
# лучше всех методы, которые используют увиденное (древовидная парзеновская оценка, эволюция, поиск от грубого к
# точному): около 0,18 против 0,20–0,21 у сетки, случайного поиска и Hyperband (который потратил лишь около 16
# обучений). При трёх гиперпараметрах и дешёвой модели различия невелики; преимущество адаптивных методов растёт с
# размерностью и стоимостью обучения.
#
# ### Поиск архитектуры нейросети и эволюция: обзор
#
# Поиск архитектуры нейросети (NAS) применяет тот же цикл к структуре сети: нужны **пространство поиска** (ячейки,
# операции, связи), **стратегия поиска** и способ дёшево **оценивать качество**. Стратегии из обзорной таблицы в
# лекции S.-C. Chung (NSYSU): обучение с подкреплением (RL: контроллер порождает архитектуры и получает награду — точность на
# валидации), эволюционные алгоритмы (EA), градиентная оптимизация непрерывной релаксации (GO: семейство DARTS,
# однократные (one-shot) модели с общими весами), случайный поиск (RS) и последовательная оптимизация по модели (SMBO).
# Несколько строк (ImageNet; числа приведены как в таблице, при разных размерах изображений и условиях, поэтому
# сравнивать их строго нельзя):
#
# | стратегия | метод | точность top-1, % | параметров, млн | GPU-дней |
# |---|---|---|---|---|
# | человек | MobileNets | 70,6 | 4,2 | — |
# | RL | NASNet-A | 74,0 | 5,3 | 2000 |
# | RL | Block-QNN | 77,4 | н/д | 96 |
# | EA | Hierarchical-EAS | 79,7 | 64,0 | 300 |
# | EA | AmoebaNet-A (N=6, F=190) | 82,8 | 86,7 | 3150 |
# | RS | Hierarchical-EAS, случайный | 79,0 | н/д | 300 |
# | SMBO | PNAS (Mobile) | 74,2 | 5,1 | 225 |
# | GO | DARTS | 73,3 | 4,7 | 4 |
# | GO | PC-DARTS (ImageNet) | 75,8 | 5,3 | 3,8 |
# | GO | GDAS | 72,5 | 4,4 | 0,17 |
#
# Два вывода. Разделение весов и градиентные методы снижают стоимость на три-четыре порядка (тысячи GPU-дней у обучения с
# подкреплением и эволюции, единицы — у DARTS). А случайный поиск в том же хорошо устроенном пространстве отстаёт от
# эволюции всего на 0,7 пункта (79,0 против 79,7): пространство поиска важно не меньше стратегии.
#
# *Источники к разделу:* Bergstra и Bengio, JMLR 2012; Bergstra, Bardenet, Bengio и Kégl, NeurIPS 2011;
# Snoek, Larochelle и Adams, NeurIPS 2012; Akiba и др. (библиотека optuna), KDD 2019; Jamieson и Talwalkar,
# AISTATS 2016; Li, Jamieson, DeSalvo, Rostamizadeh и Talwalkar (Hyperband), JMLR 2018; Real, Aggarwal, Huang и
# Le, AAAI 2019; Liu, Simonyan и Yang (DARTS), ICLR 2019; Zoph и Le, ICLR 2017.

# %% [markdown] lang="en"
# ## 7. Bayesian optimisation, step by step
#
# Bayesian optimisation keeps a probabilistic **surrogate model** of the validation loss $f(\mathbf{h})$ and spends
# each expensive training where the surrogate says it is worth it. The classic surrogate is a Gaussian process,
# $f \sim \mathcal{GP}(m, k)$ with the squared-exponential kernel $k(\mathbf{h}, \mathbf{h}') = s^2
# \exp(-\|\mathbf{h} - \mathbf{h}'\|^2 / 2\ell^2)$. Given the trials $\mathbf{y} = f(\mathbf{H})$ so far, the
# posterior at a new point is Gaussian with
#
# $$\mu(\mathbf{h}) = m + \mathbf{k}_*^\top(\mathbf{K} + \sigma_n^2\mathbf{I})^{-1}(\mathbf{y} - m), \qquad
# \sigma^2(\mathbf{h}) = k(\mathbf{h}, \mathbf{h}) - \mathbf{k}_*^\top(\mathbf{K} + \sigma_n^2\mathbf{I})^{-1}
# \mathbf{k}_*,$$
#
# where $\mathbf{K} = k(\mathbf{H}, \mathbf{H})$ and $\mathbf{k}_* = k(\mathbf{H}, \mathbf{h})$; the lengthscale
# $\ell$ is chosen by the GP's own evidence (Rasmussen & Williams 2006). The **acquisition function** turns the
# posterior into a score. The **expected improvement** over the best loss so far $y^+$,
#
# $$\mathrm{EI}(\mathbf{h}) = \mathbb{E}\max(y^+ - \xi - f(\mathbf{h}), 0) = (y^+ - \xi - \mu)\,\Phi(z) +
# \sigma\,\varphi(z), \qquad z = \frac{y^+ - \xi - \mu}{\sigma},$$
#
# is large where the mean is low (exploitation) or the uncertainty is high (exploration); $\xi \ge 0$ tilts it
# towards exploration (Mockus 1978; Jones, Schonlau & Welch 1998). Each step: fit the surrogate, evaluate $f$ at the
# maximiser of EI, repeat. Below: the Forrester function $f(x) = (6x - 2)^2 \sin(12x - 4)$ on $[0, 1]$ (a standard
# test with a local minimum near $x = 0.14$ and the global one, $-6.02$, at $x = 0.757$), three random starting
# points, then BO steps (`metaopt_lib.bayesopt`).

# %% [markdown] lang="ru"
# ## 7. Байесовская оптимизация шаг за шагом
#
# Байесовская оптимизация хранит вероятностную **суррогатную модель** потерь на валидации $f(\mathbf{h})$ и тратит
# каждое дорогое обучение там, где суррогатная модель обещает выгоду. Классическая суррогатная модель —
# гауссовский процесс $f \sim \mathcal{GP}(m, k)$ с квадратично-экспоненциальным ядром $k(\mathbf{h}, \mathbf{h}') =
# s^2 \exp(-\|\mathbf{h} - \mathbf{h}'\|^2 / 2\ell^2)$. По уже проведённым испытаниям $\mathbf{y} = f(\mathbf{H})$
# апостериорное распределение в новой точке гауссовское:
#
# $$\mu(\mathbf{h}) = m + \mathbf{k}_*^\top(\mathbf{K} + \sigma_n^2\mathbf{I})^{-1}(\mathbf{y} - m), \qquad
# \sigma^2(\mathbf{h}) = k(\mathbf{h}, \mathbf{h}) - \mathbf{k}_*^\top(\mathbf{K} + \sigma_n^2\mathbf{I})^{-1}
# \mathbf{k}_*,$$
#
# где $\mathbf{K} = k(\mathbf{H}, \mathbf{H})$ и $\mathbf{k}_* = k(\mathbf{H}, \mathbf{h})$; масштаб ядра $\ell$
# выбирается по обоснованности самого гауссовского процесса (Rasmussen и Williams 2006). **Функция приобретения**
# превращает апостериорное распределение в оценку точки. **Ожидаемое улучшение** лучших на данный момент потерь
# $y^+$,
#
# $$\mathrm{EI}(\mathbf{h}) = \mathbb{E}\max(y^+ - \xi - f(\mathbf{h}), 0) = (y^+ - \xi - \mu)\,\Phi(z) +
# \sigma\,\varphi(z), \qquad z = \frac{y^+ - \xi - \mu}{\sigma},$$
#
# велико там, где мало среднее (использование) или велика неопределённость (исследование); $\xi \ge 0$ сдвигает
# баланс к исследованию (Mockus 1978; Jones, Schonlau и Welch 1998). Каждый шаг: построить суррогатную модель,
# вычислить $f$ в точке максимума EI, повторить. Ниже — функция Форрестера $f(x) = (6x - 2)^2 \sin(12x - 4)$ на
# $[0, 1]$ (стандартный тест: локальный минимум около $x = 0{,}14$ и глобальный, $-6{,}02$, в $x = 0{,}757$), три
# случайные начальные точки, затем шаги байесовской оптимизации (`metaopt_lib.bayesopt`).

# %%
from metaopt_lib import bayesopt as bo


def forrester(x):
    return float((6 * x[0] - 2) ** 2 * torch.sin(12 * x[0] - 4))


unit = torch.tensor([[0.0, 1.0]])
x_plot = torch.linspace(0, 1, 400).unsqueeze(1)
f_plot = np.array([forrester(x) for x in x_plot])


def draw_bo_state(run, n_seen, xi, ax_top, ax_bottom):
    """The surrogate after the first n_seen trials of a BO run, its expected improvement and the next point."""
    X_seen, y_seen = run.X[:n_seen], run.y[:n_seen]
    mu, sd, ell = bo.fit_surrogate(X_seen, y_seen, x_plot)
    scale = float(y_seen.std()) if n_seen > 1 else 1.0
    ei = bo.expected_improvement(mu, sd, float(y_seen.min()), xi * scale)
    x_next = float(x_plot[int(ei.argmax())])
    ax_top.plot(x_plot[:, 0], f_plot, "k--", lw=1, label=tr("true f (unknown)", "истинная f (неизвестна)"))
    ax_top.plot(x_plot[:, 0], mu, "C0", label=tr("surrogate mean μ", "среднее суррогатной модели μ"))
    ax_top.fill_between(x_plot[:, 0], mu - 2 * sd, mu + 2 * sd, color="C0", alpha=0.2, label="μ ± 2σ")
    ax_top.plot(X_seen[:, 0], y_seen, "ko", ms=4, label=tr("trials", "испытания"))
    ax_top.axvline(x_next, color="C3", lw=1)
    ax_top.set_ylim(-12, 18)
    ax_top.set_title(tr(f"{n_seen} trials, ℓ = {ell:.2f}", f"испытаний: {n_seen}, ℓ = {ell:.2f}"), fontsize=9)
    ax_bottom.plot(x_plot[:, 0], ei, "C3")
    ax_bottom.axvline(x_next, color="C3", lw=1)
    ax_bottom.set_xlabel("x")
    return x_next


bo_run = bo.bayes_opt(forrester, unit, n_iter=7, n_init=3, seed=1)
fig, axes = plt.subplots(2, 4, figsize=(13, 5), sharex=True, gridspec_kw={"height_ratios": [2, 1]})
for col, step in enumerate([0, 1, 2, 4]):
    draw_bo_state(bo_run, 3 + step, 0.0, axes[0, col], axes[1, col])
axes[0, 0].legend(fontsize=7, loc="upper left")
axes[0, 0].set_ylabel("f(x)")
axes[1, 0].set_ylabel(tr("expected improvement", "ожидаемое улучшение"))
fig.suptitle(tr("Bayesian optimisation of the Forrester function: the red line is the next trial",
                "Байесовская оптимизация функции Форрестера: красная линия — следующее испытание"))
plt.tight_layout()
plt.show()
print(tr("trials in order: ", "испытания по порядку: ")
      + ", ".join(f"x={float(x):.3f} f={float(y):.2f}" for x, y in zip(bo_run.X[:, 0], bo_run.y)))


def bo_step(step, xi):
    run = bo.bayes_opt(forrester, unit, n_iter=step, n_init=3, seed=1, xi=xi)
    fig, (top, bottom) = plt.subplots(2, 1, figsize=(6.5, 4.5), sharex=True, gridspec_kw={"height_ratios": [2, 1]})
    draw_bo_state(run, 3 + step, xi, top, bottom)
    top.legend(fontsize=7, loc="upper left")
    bottom.set_ylabel("EI")
    plt.show()


_ = interact(bo_step, step=w.IntSlider(value=3, min=0, max=8, description=tr("BO step", "шаг BO")),
             xi=w.FloatSlider(value=0.0, min=0.0, max=1.0, step=0.1, description="ξ"))

# %% [markdown] lang="en"
# Averaged over seeds, the same budget of ten evaluations: BO (three random, then seven by expected improvement)
# against ten random draws. The plot shows the median and the quartiles of the regret
# $\min_{i \le t} f(x_i) - f^*$ over 20 seeds.

# %% [markdown] lang="ru"
# Теперь в среднем по зёрнам генератора и при одном бюджете в десять вычислений: байесовская оптимизация (три
# случайные точки, затем семь по ожидаемому улучшению) против десяти случайных точек. На графике — медиана и
# квартили сожаления $\min_{i \le t} f(x_i) - f^*$ по 20 зёрнам.

# %%
x_fine = torch.linspace(0, 1, 20001)
f_star = float(((6 * x_fine - 2) ** 2 * torch.sin(12 * x_fine - 4)).min())  # −6.0207 at x = 0.7572
regret = {}
for name, run_fn in ((tr("Bayesian optimisation (EI)", "байесовская оптимизация (EI)"),
                      lambda s: bo.bayes_opt(forrester, unit, n_iter=7, n_init=3, seed=s)),
                     (tr("random search", "случайный поиск"), lambda s: bo.random_search_box(forrester, unit, 10, seed=100 + s))):
    regret[name] = np.array([np.minimum.accumulate(run_fn(s).y.numpy()) - f_star for s in range(20)])
plt.figure(figsize=(6.5, 3.8))
for name, r in regret.items():
    q1, med, q3 = np.quantile(np.maximum(r, 1e-6), [0.25, 0.5, 0.75], axis=0)
    steps = np.arange(1, r.shape[1] + 1)
    plt.semilogy(steps, med, "o-", label=name)
    plt.fill_between(steps, q1, q3, alpha=0.2)
plt.xlabel(tr("number of evaluations", "число вычислений"))
plt.ylabel(tr("regret (best so far − f*)", "сожаление (лучшее − f*)"))
plt.legend()
plt.show()
for name, r in regret.items():
    print(tr(f"{name:32s} after 10 evaluations: median regret {np.median(r[:, -1]):.2g}, mean {r[:, -1].mean():.2g}, "
             f"found the global minimum (regret < 0.01) in {(r[:, -1] < 0.01).sum()}/20 seeds",
             f"{name:32s} после 10 вычислений: медиана сожаления {np.median(r[:, -1]):.2g}, среднее {r[:, -1].mean():.2g}, "
             f"глобальный минимум (сожаление < 0,01) найден в {(r[:, -1] < 0.01).sum()}/20 случаях"))

# %% [markdown] lang="en"
# ### Warm-starting from similar datasets: meta-features
#
# BO above starts from random points, as if nothing had ever been tuned before. Feurer, Springenberg & Hutter
# (2015) start it instead from the configurations that were best on the **most similar past datasets**. Similarity
# is measured by **meta-features** — numbers that describe a dataset: its size, its dimension, statistics of the
# target, the accuracy of cheap "landmark" models (they used 46); the distance is the L1 norm of the difference of
# the standardised meta-feature vectors. Kim et al. (2017) learn the meta-features instead, with a Siamese network.
#
# A small, honest experiment. The task family: kernel ridge regression of $y = \sin(\omega x) + \varepsilon$, $x \sim
# U[0, 1]$, with $\omega \in [2, 25]$, noise level $\in [0.05, 0.8]$ and $n \in [30, 120)$ drawn per dataset;
# two hyperparameters, $\log_{10}\lambda \in [-6, 1]$ (the ridge) and $\log_{10}\ell \in [-2.5, 0]$ (the kernel
# lengthscale); the loss is the mean squared error on a validation half. Four meta-features:
# $\log n$, $\log(n/p)$, $\log \operatorname{std}(y)$ and a "roughness" landmark — the mean
# $|y_{(i+1)} - y_{(i)}|$ along sorted $x$ over $\operatorname{std}(y)$ (near 0 for a smooth target, $2/\sqrt\pi
# \approx 1.13$ for pure noise). Twenty past datasets are tuned by a $10 \times 10$ grid; on six new ones we compare
# BO warm-started from the best configurations of the three nearest past datasets, BO from three random points, and
# random search — fifteen evaluations each. The loss is shown relative to the best of a $12 \times 12$ grid on the
# new dataset.

# %% [markdown] lang="ru"
# ### Тёплый старт по похожим наборам данных: метапризнаки
#
# Байесовская оптимизация выше начинает со случайных точек, будто раньше ничего не настраивали. Feurer,
# Springenberg и Hutter (2015) начинают её с конфигураций, лучших на **самых похожих прошлых наборах данных**.
# Сходство измеряется по **метапризнакам** — числам, описывающим набор данных: размер, размерность, статистики
# целевой переменной, качество дешёвых «ориентирных» моделей (у авторов их 46); расстояние — норма L1 разности
# стандартизованных векторов метапризнаков. Kim и др. (2017) не задают метапризнаки вручную, а обучают их
# сиамской сетью.
#
# Небольшой и честный эксперимент. Семейство задач: ядровая гребневая регрессия для $y = \sin(\omega x) +
# \varepsilon$, $x \sim U[0, 1]$, где для каждого набора данных случайно выбираются $\omega \in [2, 25]$, уровень
# шума $\in [0{,}05; 0{,}8]$ и $n \in [30, 120)$; два гиперпараметра — $\log_{10}\lambda \in [-6, 1]$ (коэффициент
# регуляризации) и $\log_{10}\ell \in [-2{,}5; 0]$ (масштаб ядра); потери — среднеквадратичная ошибка на
# валидационной половине. Четыре метапризнака: $\log n$, $\log(n/p)$, $\log \operatorname{std}(y)$ и ориентир
# «шероховатость» — среднее $|y_{(i+1)} - y_{(i)}|$ вдоль упорядоченных $x$, делённое на $\operatorname{std}(y)$
# (около 0 для гладкой зависимости, $2/\sqrt\pi \approx 1{,}13$ для чистого шума). Двадцать прошлых наборов данных
# настроены сеткой $10 \times 10$; на шести новых сравниваем байесовскую оптимизацию с тёплым стартом из лучших
# конфигураций трёх ближайших прошлых наборов, байесовскую оптимизацию из трёх случайных точек и случайный поиск —
# по пятнадцать вычислений. Потери показаны относительно лучшей точки сетки $12 \times 12$ на новом наборе.

# %%
meta_gen = torch.Generator().manual_seed(2015)
box = torch.tensor([[-6.0, 1.0], [-2.5, 0.0]])


def draw_dataset():
    n = int(torch.randint(30, 120, (1,), generator=meta_gen))
    omega = float(2 + 23 * torch.rand(1, generator=meta_gen))
    noise = float(0.05 + 0.75 * torch.rand(1, generator=meta_gen))
    x = torch.rand(2 * n, 1, generator=meta_gen)
    y = torch.sin(omega * x[:, 0]) + noise * torch.randn(2 * n, generator=meta_gen)
    return x[:n], y[:n], bo.kernel_ridge_objective(x[:n], y[:n], x[n:], y[n:])


def grid_points(k):
    return torch.cartesian_prod(torch.linspace(-6, 1, k), torch.linspace(-2.5, 0, k))


past_meta, past_best = [], []
for _ in range(20):
    x_d, y_d, objective = draw_dataset()
    pts = grid_points(10)
    past_best.append(pts[int(np.argmin([objective(p) for p in pts]))])
    past_meta.append(bo.regression_meta_features(x_d, y_d))
past_meta, past_best = torch.stack(past_meta), torch.stack(past_best)

curves = {"warm": [], "cold": [], "random": []}
for j in range(6):
    x_d, y_d, objective = draw_dataset()
    reference = min(objective(p) for p in grid_points(12))
    init = bo.warm_start_configs(bo.regression_meta_features(x_d, y_d), past_meta, past_best, k=3)
    runs = {"warm": bo.bayes_opt(objective, box, n_iter=12, init=init, seed=j),
            "cold": bo.bayes_opt(objective, box, n_iter=12, n_init=3, seed=j),
            "random": bo.random_search_box(objective, box, 15, seed=50 + j)}
    for key, run in runs.items():
        curves[key].append(np.minimum.accumulate(run.y.numpy()) / reference)
labels = {"warm": tr("BO, warm start (3 nearest datasets)", "BO, тёплый старт (3 ближайших набора)"),
          "cold": tr("BO, 3 random starting points", "BO, 3 случайные начальные точки"),
          "random": tr("random search", "случайный поиск")}
plt.figure(figsize=(6.5, 3.8))
for key, c in curves.items():
    plt.semilogy(np.arange(1, 16), np.mean(c, axis=0), "o-", ms=3, label=labels[key])
plt.axhline(1.0, color="k", lw=0.8)
plt.xlabel(tr("number of evaluations", "число вычислений"))
plt.ylabel(tr("best validation MSE / best of a 12×12 grid", "лучшая ошибка / лучшая на сетке 12×12"))
plt.title(tr("Mean over 6 new datasets", "Среднее по 6 новым наборам данных"))
plt.legend()
plt.show()
for key, c in curves.items():
    c = np.array(c)
    print(tr(f"{labels[key]:40s} after 1, 2, 5, 10, 15 evaluations: ", f"{labels[key]:40s} после 1, 2, 5, 10, 15 вычислений: ")
          + "  ".join(f"{c[:, t - 1].mean():.3g}" for t in (1, 2, 5, 10, 15)))

# %% [markdown] lang="en"
# What the numbers say, and what they do not. After two evaluations the warm start is within about 5% of the best
# grid point on average; its very first configuration is sometimes far off (the nearest past dataset is not always
# the right one, hence a mean of several after one evaluation). BO from random points is within 8% only after ten
# evaluations and catches up at fifteen; random search is still 6% behind. The warm start works because the best configuration moves with
# the meta-features — the lengthscale follows $\omega$, the ridge follows the noise — and the roughness landmark
# sees both. The experiment is favourable by construction — the past and new datasets come from one
# family, and with two hyperparameters there is little left to gain after fifteen trials. On real collections
# (Feurer et al. used 57 datasets from OpenML) the gain is in the first few dozen evaluations, and it vanishes when
# no past dataset resembles the new one: meta-features only help as far as they predict which configurations work.
#
# *References for this section:* C. E. Rasmussen, C. K. I. Williams. Gaussian Processes for Machine Learning. MIT
# Press, 2006. D. R. Jones, M. Schonlau, W. J. Welch. Efficient global optimization of expensive black-box
# functions. J. Global Optimization, 1998. J. Snoek, H. Larochelle, R. P. Adams. Practical Bayesian optimization of
# machine learning algorithms. NeurIPS 2012. M. Feurer, J. T. Springenberg, F. Hutter. Initializing Bayesian
# hyperparameter optimization via meta-learning. AAAI 2015. J. Kim, S. Kim, S. Choi. Learning to warm-start
# Bayesian hyperparameter optimization. arXiv, 2017. A. I. J. Forrester, A. Sóbester, A. J. Keane.
# Engineering Design via Surrogate Modelling. Wiley, 2008.

# %% [markdown] lang="ru"
# Что числа говорят и чего не говорят. После двух вычислений тёплый старт в среднем отстаёт от лучшей точки
# сетки примерно на 5%; самая первая его конфигурация иногда далека от хорошей (ближайший прошлый набор данных не
# всегда оказывается подходящим, отсюда среднее в несколько раз больше после одного вычисления). Байесовская
# оптимизация из случайных точек подходит на 8% лишь после десяти вычислений и догоняет к пятнадцатому, а
# случайный поиск и тогда отстаёт на 6%. Тёплый старт работает, потому что лучшая конфигурация смещается вместе с метапризнаками: масштаб ядра
# следует за $\omega$, коэффициент регуляризации — за шумом, и ориентир «шероховатость» видит и то и другое. Эксперимент благоприятен по построению: прошлые и новые наборы
# данных взяты из одного семейства, а при двух гиперпараметрах после пятнадцати испытаний выигрывать уже почти
# нечего. На реальных коллекциях (Feurer и др. взяли 57 наборов данных из OpenML) выигрыш приходится на первые
# несколько десятков вычислений и исчезает, если ни один прошлый набор не похож на новый: метапризнаки полезны
# ровно настолько, насколько они предсказывают, какие конфигурации работают.
#
# *Литература к разделу:* C. E. Rasmussen, C. K. I. Williams. Gaussian Processes for Machine Learning. MIT
# Press, 2006. D. R. Jones, M. Schonlau, W. J. Welch. Efficient global optimization of expensive black-box
# functions. J. Global Optimization, 1998. J. Snoek, H. Larochelle, R. P. Adams. Practical Bayesian optimization of
# machine learning algorithms. NeurIPS 2012. M. Feurer, J. T. Springenberg, F. Hutter. Initializing Bayesian
# hyperparameter optimization via meta-learning. AAAI 2015. J. Kim, S. Kim, S. Choi. Learning to warm-start
# Bayesian hyperparameter optimization. arXiv, 2017. A. I. J. Forrester, A. Sóbester, A. J. Keane.
# Engineering Design via Surrogate Modelling. Wiley, 2008.

# %% [markdown] lang="en"
# ## Check yourself
#
# 1. Give an example of a quantity that is a hyperparameter in one model and a metaparameter in another.
#    <details><summary>Answer</summary>
#
#    The weight of an L2 penalty. In
#    $L_{\text{train}} = -\log p(\mathcal{D} \mid \mathbf{w}) + \lambda\|\mathbf{w}\|^2$ it is a parameter of the
#    optimisation problem — a metaparameter. In a Bayesian model with the prior
#    $\mathcal{N}(\mathbf{0}, \alpha^{-1}\mathbf{I})$ the same number ($\alpha = 2\lambda$) is a parameter of the
#    prior — a hyperparameter. The dropout rate of the quiz is another example.
#
#    </details>
# 2. Why does maximising the evidence over $\alpha$ not need a validation set? What does it assume instead?
#    <details><summary>Answer</summary>
#
#    The evidence integrates the parameters out: it scores the whole family of models allowed by the prior, not one
#    fitted model. By the chain rule $p(\mathbf{y} \mid \alpha) = \prod_i p(y_i \mid y_{<i}, \alpha)$, so every
#    point is predicted once before it is seen — a built-in validation. What it assumes instead: that the model is
#    right (a linear model with Gaussian noise and a Gaussian prior); if the model is misspecified, the evidence
#    can prefer a bad $\alpha$.
#
#    </details>
# 3. Show that the ELBO equals the log evidence if and only if $q$ is the posterior.
#    <details><summary>Answer</summary>
#
#    From
#    $\log p(\mathcal{D} \mid \mathbf{h}) = \text{ELBO}(q) + \mathrm{KL}(q \,\|\, p(\mathbf{w} \mid \mathcal{D}, \mathbf{h}))$
#    and Gibbs' inequality: the KL divergence is non-negative and equals zero if and only if
#    $q = p(\mathbf{w} \mid \mathcal{D}, \mathbf{h})$ almost everywhere.
#
#    </details>
# 4. The evidence of the regression above as a function of $\alpha$: what happens as $\alpha \to 0$ and as
#    $\alpha \to \infty$? Explain both limits.
#    <details><summary>Answer</summary>
#
#    As $\alpha \to \infty$ the prior collapses to $\mathbf{w} = \mathbf{0}$ and the evidence tends to the finite
#    $\log\mathcal{N}(\mathbf{y} \mid \mathbf{0}, \sigma^2\mathbf{I})$: the model explains nothing and calls all of
#    $\mathbf{y}$ noise. As $\alpha \to 0$ the prior spreads its mass over ever larger weights: the fit term tends
#    to that of least squares, but $\log|\sigma^2\mathbf{I} + \alpha^{-1}\mathbf{X}\mathbf{X}^\top|$ grows like
#    $-d\log\alpha$, so the log evidence falls to $-\infty$ (Occam's razor).
#
#    </details>
# 5. Which of the black-box searches can use the result of a cheap, short training to stop a bad configuration
#    early, and what does it assume about learning curves?
#    <details><summary>Answer</summary>
#
#    Successive halving and Hyperband: they train many configurations with a small budget and continue only the
#    best. They assume that learning curves rarely cross — a configuration that is bad after a short training stays
#    bad; Hyperband hedges this by also running brackets that start with larger budgets.
#
#    </details>

# %% [markdown] lang="ru"
# ## Проверьте себя
#
# 1. Приведите пример величины, которая в одной модели является гиперпараметром, а в другой — метапараметром.
#    <details><summary>Ответ</summary>
#
#    Вес штрафа L2. В $L_{\text{train}} = -\log p(\mathcal{D} \mid \mathbf{w}) + \lambda\|\mathbf{w}\|^2$ это
#    параметр задачи оптимизации, то есть метапараметр. В байесовской модели с априорным распределением
#    $\mathcal{N}(\mathbf{0}, \alpha^{-1}\mathbf{I})$ то же число ($\alpha = 2\lambda$) — параметр априорного
#    распределения, то есть гиперпараметр. Другой пример — доля dropout из теста.
#
#    </details>
# 2. Почему для максимизации обоснованности по $\alpha$ не нужна валидационная выборка? Что предполагается
#    взамен?
#    <details><summary>Ответ</summary>
#
#    Обоснованность интегрирует по параметрам: она оценивает всё семейство моделей, допустимых априорным
#    распределением, а не одну обученную модель. По правилу произведения
#    $p(\mathbf{y} \mid \alpha) = \prod_i p(y_i \mid y_{<i}, \alpha)$, то есть каждая точка предсказывается один
#    раз до того, как её увидели, — валидация встроена. Взамен предполагается, что модель верна (линейная модель,
#    гауссовский шум, гауссовское априорное распределение); если модель неверна, обоснованность может выбрать
#    плохое $\alpha$.
#
#    </details>
# 3. Докажите, что ELBO равна логарифму обоснованности тогда и только тогда, когда $q$ — апостериорное
#    распределение.
#    <details><summary>Ответ</summary>
#
#    Из
#    $\log p(\mathcal{D} \mid \mathbf{h}) = \text{ELBO}(q) + \mathrm{KL}(q \,\|\, p(\mathbf{w} \mid \mathcal{D}, \mathbf{h}))$
#    и неравенства Гиббса: KL-дивергенция неотрицательна и равна нулю тогда и только тогда, когда
#    $q = p(\mathbf{w} \mid \mathcal{D}, \mathbf{h})$ почти всюду.
#
#    </details>
# 4. Как ведёт себя обоснованность регрессии выше как функция $\alpha$ при $\alpha \to 0$ и при
#    $\alpha \to \infty$? Объясните оба предела.
#    <details><summary>Ответ</summary>
#
#    При $\alpha \to \infty$ априорное распределение стягивается в $\mathbf{w} = \mathbf{0}$, и обоснованность
#    стремится к конечному $\log\mathcal{N}(\mathbf{y} \mid \mathbf{0}, \sigma^2\mathbf{I})$: модель ничего не
#    объясняет и считает весь $\mathbf{y}$ шумом. При $\alpha \to 0$ априорная масса размазывается по всё бо́льшим
#    весам: слагаемое качества подгонки стремится к значению метода наименьших квадратов, но
#    $\log|\sigma^2\mathbf{I} + \alpha^{-1}\mathbf{X}\mathbf{X}^\top|$ растёт как $-d\log\alpha$, и логарифм
#    обоснованности падает до $-\infty$ (бритва Оккама).
#
#    </details>
# 5. Какие из методов поиска «чёрным ящиком» могут по результату дешёвого короткого обучения досрочно
#    остановить плохую конфигурацию и что они предполагают о кривых обучения?
#    <details><summary>Ответ</summary>
#
#    Последовательное деление пополам и Hyperband: они обучают много конфигураций с малым бюджетом и продолжают
#    только лучшие. Предполагается, что кривые обучения редко пересекаются — конфигурация, плохая после короткого
#    обучения, остаётся плохой; Hyperband страхуется, запуская и серии с бо́льшим начальным бюджетом.
#
#    </details>

# %% [markdown] lang="en"
# ## References
#
# * MacKay D. J. C. Bayesian interpolation. Neural Computation, 1992.
# * Bishop C. M. Pattern Recognition and Machine Learning, §3.5. Springer, 2006.
# * Blei D. M., Kucukelbir A., McAuliffe J. D. Variational inference: a review for statisticians. JASA, 2017.
# * Kingma D. P., Salimans T., Welling M. Variational dropout and the local reparameterization trick. NeurIPS, 2015.
# * Gal Y., Ghahramani Z. Dropout as a Bayesian approximation: representing model uncertainty in deep learning. ICML,
#   2016.
# * Jang E., Gu S., Poole B. Categorical reparameterization with Gumbel-softmax. ICLR, 2017.
# * Bergstra J., Bengio Y. Random search for hyper-parameter optimization. JMLR, 2012.
# * Bergstra J., Bardenet R., Bengio Y., Kégl B. Algorithms for hyper-parameter optimization. NeurIPS, 2011.
# * Snoek J., Larochelle H., Adams R. P. Practical Bayesian optimization of machine learning algorithms. NeurIPS,
#   2012.
# * Akiba T., Sano S., Yanase T., Ohta T., Koyama M. Optuna: a next-generation hyperparameter optimization framework.
#   KDD, 2019.
# * Jamieson K., Talwalkar A. Non-stochastic best arm identification and hyperparameter optimization. AISTATS, 2016.
# * Li L., Jamieson K., DeSalvo G., Rostamizadeh A., Talwalkar A. Hyperband: a novel bandit-based approach to
#   hyperparameter optimization. JMLR, 2018.
# * Real E., Aggarwal A., Huang Y., Le Q. V. Regularized evolution for image classifier architecture search. AAAI,
#   2019.
# * Liu H., Simonyan K., Yang Y. DARTS: differentiable architecture search. ICLR, 2019.
# * Zoph B., Le Q. V. Neural architecture search with reinforcement learning. ICLR, 2017.
# * Metaparameters and metaoptimization. Lecture slides, MIPT, 2023.
# * Bakhteev O. Метаоптимизация и структура [Metaoptimization and structure]. Lecture slides, MIPT, 2019 (in
#   Russian).
# * Chung S.-C. Hyperparameter search and meta learning. Lecture slides, NSYSU (the table of architecture-search
#   methods).

# %% [markdown] lang="ru"
# ## Литература
#
# * MacKay D. J. C. Bayesian interpolation. Neural Computation, 1992.
# * Bishop C. M. Pattern Recognition and Machine Learning, §3.5. Springer, 2006.
# * Blei D. M., Kucukelbir A., McAuliffe J. D. Variational inference: a review for statisticians. JASA, 2017.
# * Kingma D. P., Salimans T., Welling M. Variational dropout and the local reparameterization trick. NeurIPS, 2015.
# * Gal Y., Ghahramani Z. Dropout as a Bayesian approximation: representing model uncertainty in deep learning. ICML,
#   2016.
# * Jang E., Gu S., Poole B. Categorical reparameterization with Gumbel-softmax. ICLR, 2017.
# * Bergstra J., Bengio Y. Random search for hyper-parameter optimization. JMLR, 2012.
# * Bergstra J., Bardenet R., Bengio Y., Kégl B. Algorithms for hyper-parameter optimization. NeurIPS, 2011.
# * Snoek J., Larochelle H., Adams R. P. Practical Bayesian optimization of machine learning algorithms. NeurIPS,
#   2012.
# * Akiba T., Sano S., Yanase T., Ohta T., Koyama M. Optuna: a next-generation hyperparameter optimization framework.
#   KDD, 2019.
# * Jamieson K., Talwalkar A. Non-stochastic best arm identification and hyperparameter optimization. AISTATS, 2016.
# * Li L., Jamieson K., DeSalvo G., Rostamizadeh A., Talwalkar A. Hyperband: a novel bandit-based approach to
#   hyperparameter optimization. JMLR, 2018.
# * Real E., Aggarwal A., Huang Y., Le Q. V. Regularized evolution for image classifier architecture search. AAAI,
#   2019.
# * Liu H., Simonyan K., Yang Y. DARTS: differentiable architecture search. ICLR, 2019.
# * Zoph B., Le Q. V. Neural architecture search with reinforcement learning. ICLR, 2017.
# * Metaparameters and metaoptimization. Слайды лекций, МФТИ, 2023.
# * Бахтеев О. Ю. Метаоптимизация и структура. Слайды лекций, МФТИ, 2019.
# * Chung S.-C. Hyperparameter search and meta learning. Слайды лекций, NSYSU (таблица методов поиска архитектуры).
