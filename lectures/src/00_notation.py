# %% [markdown] lang="en"
# # Lecture 0. Notation and terms
#
# **After this page you can**
# * read every formula of the course with one meaning per letter, and know the few places where a paper's own
#   letters are kept;
# * write the bilevel problem of model selection in the one form that all lectures use;
# * find the Russian term for an English one and back, and know which variants the course avoids and why.
#
# This page is a reference: nothing here needs to be run except the cell that prints the glossary.

# %% [markdown] lang="ru"
# # Лекция 0. Обозначения и термины
#
# **После этой страницы вы сможете**
# * читать каждую формулу курса, где у каждой буквы одно значение, и знать те немногие места, где сохранены
#   обозначения статьи;
# * записывать двухуровневую задачу выбора модели в той единственной форме, которой пользуются все лекции;
# * находить русский термин по английскому и обратно и знать, каких вариантов курс избегает и почему.
#
# Это справочная страница: запускать здесь нужно только ячейку, которая печатает глоссарий.

# %% [markdown] lang="en"
# ## 1. Data, models, parameters
#
# | symbol | meaning | lectures |
# |---|---|---|
# | $\mathcal{D} = (\mathbf{X}, \mathbf{y})$ | the data: inputs and targets ($\mathfrak{D}, \mathbf{Y}$ in lecture 2, as in the slides) | all |
# | $\mathbf{f}$ | a model | 1, 6–8 |
# | $\mathbf{w} \in \mathbb{W}$ | the parameters (weights) of the model | all |
# | $u$ | the number of parameters of the model, $\mathbf{w} \in \mathbb{R}^u$ | 1, 7–8 |
# | $\Gamma$ | the structure of the model: which parameters exist and how they are connected | 1, 7–8 |
# | $\mathbf{h} \in \mathbb{H}$ | **hyperparameters**: the parameters of the prior $p(\mathbf{w}, \Gamma \mid \mathbf{h})$ | 1, 2, 7–8 |
# | $\boldsymbol{\lambda}$ | **metaparameters**: the parameters of the optimisation problem or operator | all |
# | $\alpha$, $\mathbf{A} = \operatorname{diag}(\alpha_1, \dots, \alpha_u)$ | the precision of a Gaussian prior $\mathcal{N}(\mathbf{0}, \mathbf{A}^{-1})$ — a hyperparameter | 1, 2, 7–8 |
# | $\sigma^2$ | the noise variance of a regression | 1, 2 |
# | $q(\mathbf{w})$ | a variational distribution | 1, 2, 7–8 |
# | $\mathsf{S}(q)$ | the entropy of $q$ | 2 |
#
# A quantity such as the weight of an L2 penalty is a metaparameter $\lambda$ (a parameter of the optimisation
# problem); read as the precision of a Gaussian prior it is the hyperparameter $\alpha$ — lecture 1 discusses this
# double reading.
#
# ## 2. The bilevel problem — the one form of the course
#
# $\boldsymbol{\theta}$ is everything the inner problem optimises (parameters, variational parameters);
# $L_{\text{train}}$ is the loss of training, $L_{\text{val}}$ the criterion of the final quality written as a loss
# (a validation loss, or minus an estimate of the evidence):
#
# $$\boldsymbol{\lambda}^* = \arg\min_{\boldsymbol{\lambda}} L_{\text{val}}\bigl(\boldsymbol{\theta}^*(\boldsymbol{\lambda}),
# \boldsymbol{\lambda}\bigr), \qquad \boldsymbol{\theta}^*(\boldsymbol{\lambda}) = \arg\min_{\boldsymbol{\theta}}
# L_{\text{train}}(\boldsymbol{\theta}, \boldsymbol{\lambda}).$$
#
# When the outer variable is a hyperparameter, write $\mathbf{h}$ for $\boldsymbol{\lambda}$ (lecture 1). The MIPT
# lecture slides maximise a quality criterion $Q = -L_{\text{val}}$: the same problem. The map
# $\boldsymbol{\lambda} \mapsto \boldsymbol{\theta}^*(\boldsymbol{\lambda})$ is the **best-response function**
# (lecture 6), its derivative $dL_{\text{val}}/d\boldsymbol{\lambda}$ the **hypergradient** (lecture 3).
#
# ## 3. Optimisation and meta-learning
#
# | symbol | meaning | lectures |
# |---|---|---|
# | $\mathbf{H}$ | the Hessian of the training loss; $\lambda_i$, $\lambda_{\min}$, $\lambda_{\max}$ its eigenvalues (in lecture 3, $\lambda_j$ with a feature index $j$ is the penalty of feature $j$) | 2, 3, 7 |
# | $\eta$ | a step size (learning rate) of gradient descent; in successive halving and Hyperband, the reduction factor | 1, 3, 4 |
# | $\beta$ | the step of gradient descent in the evidence estimator (the letter of the slides) | 2 |
# | $\alpha$, $\beta$ in MAML | the inner and the outer (meta) step, the letters of Finn et al. | 5 |
# | $T$ | the optimisation operator $T(\mathbf{w}) = \mathbf{w} - \eta\nabla L(\mathbf{w})$ (1, 4); the number of unrolled steps (3) | 1, 3, 4 |
# | $\boldsymbol{\varphi}$, $\phi$ | the parameters of a model that works on another model: the LSTM optimizer (4), the initialisation in the pre-training comparison (5), the hypernetwork $G(\lambda; \boldsymbol{\varphi})$ (6) | 4–6 |
# | $\mathcal{T}_i$; support / query set | a task; the data to adapt on / the data to judge the adapted model on | 5 |
# | $G: \Lambda \times \mathbb{R}^u \to \mathbb{R}^n$ | a hypernetwork; here, following the slides' definition, $u$ counts the parameters of the hypernetwork and $n$ those of the model | 6 |
#
# Where a lecture keeps a paper's letters (MAML's $\alpha$, $\beta$; the slides' $\beta$ in lecture 2; $u$ and $n$
# of the hypernetwork definition), it says so where the letters first appear.

# %% [markdown] lang="ru"
# ## 1. Данные, модели, параметры
#
# | обозначение | смысл | лекции |
# |---|---|---|
# | $\mathcal{D} = (\mathbf{X}, \mathbf{y})$ | данные: объекты и ответы ($\mathfrak{D}, \mathbf{Y}$ в лекции 2, как в слайдах) | все |
# | $\mathbf{f}$ | модель | 1, 6–8 |
# | $\mathbf{w} \in \mathbb{W}$ | параметры (веса) модели | все |
# | $u$ | число параметров модели, $\mathbf{w} \in \mathbb{R}^u$ | 1, 7–8 |
# | $\Gamma$ | структура модели: какие параметры есть и как они связаны | 1, 7–8 |
# | $\mathbf{h} \in \mathbb{H}$ | **гиперпараметры**: параметры априорного распределения $p(\mathbf{w}, \Gamma \mid \mathbf{h})$ | 1, 2, 7–8 |
# | $\boldsymbol{\lambda}$ | **метапараметры**: параметры задачи оптимизации или оператора оптимизации | все |
# | $\alpha$, $\mathbf{A} = \operatorname{diag}(\alpha_1, \dots, \alpha_u)$ | точность гауссовского априорного распределения $\mathcal{N}(\mathbf{0}, \mathbf{A}^{-1})$ — гиперпараметр | 1, 2, 7–8 |
# | $\sigma^2$ | дисперсия шума регрессии | 1, 2 |
# | $q(\mathbf{w})$ | вариационное распределение | 1, 2, 7–8 |
# | $\mathsf{S}(q)$ | энтропия $q$ | 2 |
#
# Величина вроде веса штрафа L2 — метапараметр $\lambda$ (параметр задачи оптимизации); если читать её как
# точность гауссовского априорного распределения, это гиперпараметр $\alpha$. Об этом двойном прочтении говорит
# лекция 1.
#
# ## 2. Двухуровневая задача — единственная форма записи в курсе
#
# $\boldsymbol{\theta}$ — всё, что оптимизирует внутренняя задача (параметры, вариационные параметры);
# $L_{\text{train}}$ — функция потерь обучения, $L_{\text{val}}$ — критерий итогового качества, записанный как
# потери (потери на валидации или оценка обоснованности со знаком минус):
#
# $$\boldsymbol{\lambda}^* = \arg\min_{\boldsymbol{\lambda}} L_{\text{val}}\bigl(\boldsymbol{\theta}^*(\boldsymbol{\lambda}),
# \boldsymbol{\lambda}\bigr), \qquad \boldsymbol{\theta}^*(\boldsymbol{\lambda}) = \arg\min_{\boldsymbol{\theta}}
# L_{\text{train}}(\boldsymbol{\theta}, \boldsymbol{\lambda}).$$
#
# Если внешняя переменная — гиперпараметр, вместо $\boldsymbol{\lambda}$ пишем $\mathbf{h}$ (лекция 1). В слайдах
# лекций МФТИ максимизируется критерий качества $Q = -L_{\text{val}}$ — это та же задача. Отображение
# $\boldsymbol{\lambda} \mapsto \boldsymbol{\theta}^*(\boldsymbol{\lambda})$ называется **функцией наилучшего
# ответа** (лекция 6), производная $dL_{\text{val}}/d\boldsymbol{\lambda}$ — **гиперградиентом** (лекция 3).
#
# ## 3. Оптимизация и метаобучение
#
# | обозначение | смысл | лекции |
# |---|---|---|
# | $\mathbf{H}$ | гессиан функции потерь обучения; $\lambda_i$, $\lambda_{\min}$, $\lambda_{\max}$ — его собственные числа (в лекции 3 $\lambda_j$ с индексом признака $j$ — штраф признака $j$) | 2, 3, 7 |
# | $\eta$ | шаг градиентного спуска (шаг обучения); в последовательном делении пополам и Hyperband — коэффициент отсева | 1, 3, 4 |
# | $\beta$ | шаг градиентного спуска в оценке обоснованности (буква слайдов) | 2 |
# | $\alpha$, $\beta$ в MAML | шаг внутреннего и внешнего (мета-) цикла, буквы статьи Finn и др. | 5 |
# | $T$ | оператор оптимизации $T(\mathbf{w}) = \mathbf{w} - \eta\nabla L(\mathbf{w})$ (1, 4); число шагов развёртки (3) | 1, 3, 4 |
# | $\boldsymbol{\varphi}$, $\phi$ | параметры модели, которая работает с другой моделью: LSTM-оптимизатора (4), начального приближения в сравнении с предобучением (5), гиперсети $G(\lambda; \boldsymbol{\varphi})$ (6) | 4–6 |
# | $\mathcal{T}_i$; опорное / запросное множество | задача; данные для адаптации / данные для оценки адаптированной модели | 5 |
# | $G: \Lambda \times \mathbb{R}^u \to \mathbb{R}^n$ | гиперсеть; здесь, как в определении из слайдов, $u$ — число параметров гиперсети, $n$ — модели | 6 |
#
# Там, где лекция сохраняет буквы статьи (у MAML $\alpha$, $\beta$; $\beta$ слайдов в лекции 2; $u$ и $n$ в
# определении гиперсети), она говорит об этом при первом появлении обозначения.

# %% [markdown] lang="en"
# ## 4. Glossary
#
# The table below is printed from `metaopt_course.glossary`, the one list of terms of the course; a test checks the
# lectures, the assignments and the library's messages against its forbidden variants. Three rules that are not
# single terms:
#
# * **Names.** Authors are cited as printed in their papers, in Latin script, in both languages (Lorraine, Louizos,
#   Ghahramani, Andrychowicz). Authors who publish in Russian are written in Cyrillic in Russian text (Бахтеев,
#   Стрижов, Гребенькова). Terms named after a person keep their established Russian form (ряд Неймана, бритва
#   Оккама, оценка Хатчинсона).
# * **Numbers.** Russian prose writes the decimal comma (0,68); formulas, code and program output keep the point,
#   since they are shared by both languages and printed by Python.
# * **References** keep titles in their original language (a translated title cannot be searched for), in one
#   form: *Surname I., Surname I. Title. Venue, year.*

# %% [markdown] lang="ru"
# ## 4. Глоссарий
#
# Таблица ниже печатается из `metaopt_course.glossary` — единственного списка терминов курса; тест проверяет по его
# запрещённым вариантам лекции, задания и сообщения библиотеки. Три правила, которые не сводятся к отдельным
# терминам:
#
# * **Имена.** Авторов цитируем так, как имя напечатано в статье, — латиницей в обоих языках (Lorraine, Louizos,
#   Ghahramani, Andrychowicz). Авторов, публикующихся по-русски, в русском тексте пишем кириллицей (Бахтеев,
#   Стрижов, Гребенькова). Термины, названные по имени, сохраняют устоявшуюся русскую форму (ряд Неймана, бритва
#   Оккама, оценка Хатчинсона).
# * **Числа.** В русском тексте десятичный разделитель — запятая (0,68); в формулах, коде и выводе программ
#   остаётся точка: они общие для двух языков и печатаются Python.
# * **Литература**: названия работ остаются на языке оригинала (переведённое название не найти поиском), в одной
#   форме: *Фамилия И., Фамилия И. Название. Место публикации, год.*

# %%
from IPython.display import Markdown, display

from metaopt_course import glossary

display(Markdown(glossary.markdown_table(LANG)))

# %% [markdown] lang="en"
# ## References
#
# * Metaparameters and metaoptimization. Lecture slides, MIPT, 2023.
# * Bakhteev O. Метаоптимизация и структура [Metaoptimization and structure]. Lecture slides, MIPT, 2019 (in
#   Russian).
# * Finn C., Abbeel P., Levine S. Model-agnostic meta-learning for fast adaptation of deep networks. ICML, 2017.
# * Ha D., Dai A., Le Q. V. HyperNetworks. arXiv:1609.09106, 2016.

# %% [markdown] lang="ru"
# ## Литература
#
# * Metaparameters and metaoptimization. Слайды лекций, МФТИ, 2023.
# * Бахтеев О. Ю. Метаоптимизация и структура. Слайды лекций, МФТИ, 2019.
# * Finn C., Abbeel P., Levine S. Model-agnostic meta-learning for fast adaptation of deep networks. ICML, 2017.
# * Ha D., Dai A., Le Q. V. HyperNetworks. arXiv:1609.09106, 2016.
