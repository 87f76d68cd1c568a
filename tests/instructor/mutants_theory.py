"""Plausible wrong answers to the theory assignments, each with the test cells it must fail — and no other.

``MUTANTS = {assignment: [(answer_grade_id, wrong_source, expected_failed_test_ids), ...]}``: ``wrong_source`` is the
whole source of the answer cell ``answer_grade_id`` with one mistake put in (a dropped constant, a sign, a reversed
KL, a missing term, a wrong normalisation...). Graded against the reference solution on the same hidden inputs,
the notebook must lose exactly the points of ``expected_failed_test_ids`` (the cells that test that function):
one mistake costs one function. ``tests/instructor/test_theory_grading.py`` checks this in-process on two seeds; the same
table can be fed to the full sandboxed pipeline (``metaopt grade``) as submissions.

The table is built from the solution notebooks by replacing a piece of text (``EDITS``); a replacement that no
longer applies raises at import, so the table cannot silently go stale.
"""

from __future__ import annotations

from pathlib import Path

import nbformat

__all__ = ["EDITS", "MUTANTS", "ALTERNATIVES", "wrong_source"]

ROOT = Path(__file__).resolve().parents[2]

# assignment -> [(answer cell, text in the solution, its wrong replacement, what the mistake is, failed test cells)]
EDITS: dict[str, list[tuple[str, str, str, str, frozenset[str]]]] = {
    "theory_1": [
        ("log_evidence_structures", "- torch.log(torch.diagonal(L)).sum()", "",
         "log-determinant dropped", frozenset({"test_log_evidence_structures"})),
        ("log_evidence_structures", "-0.5 * n * math.log(2 * math.pi)", "-0.5 * math.log(2 * math.pi)",
         "normalising constant without n", frozenset({"test_log_evidence_structures"})),
        ("log_evidence_structures", "Xg @ torch.diag(1.0 / alpha) @ Xg.T", "Xg @ torch.diag(alpha) @ Xg.T",
         "prior precision used as covariance", frozenset({"test_log_evidence_structures"})),
        ("structured_bound", "    total = -kl_gamma", "    total = 0 * kl_gamma",
         "KL of the structures dropped", frozenset({"test_structured_bound"})),
        ("structured_bound", "torch.trace(Xg @ S @ Xg.T)", "0.0",
         "variance term of the expected squared error dropped", frozenset({"test_structured_bound"})),
        ("structured_bound", " - 2\n", "\n",
         "Gaussian KL without its −d term", frozenset({"test_structured_bound"})),
        ("structured_bound", "torch.xlogy(q_gamma, q_gamma) - q_gamma * log_prior_gamma",
         "q_gamma * log_prior_gamma - torch.xlogy(q_gamma, q_gamma)",
         "sign of the structure KL flipped", frozenset({"test_structured_bound"})),
        ("structured_posterior", "means.append(cov @ Xg.T @ y / noise_var)", "means.append(cov @ Xg.T @ y)",
         "posterior mean without 1/σ²", frozenset({"test_structured_posterior"})),
        ("structured_posterior", "post_gamma = torch.softmax(log_joint, 0)", "post_gamma = torch.softmax(log_ev, 0)",
         "structure posterior without the prior", frozenset({"test_structured_posterior"})),
        ("structured_posterior", "M = torch.diag(alpha) + Xg.T @ Xg / noise_var", "M = torch.eye(2) + Xg.T @ Xg / noise_var",
         "unit prior precision instead of A", frozenset({"test_structured_posterior"})),
    ],
    "theory_2": [
        ("expected_rho_inverse", "(2 * sigma ** 2)", "(sigma ** 2)",
         "factor 2 dropped in the exponent", frozenset({"test_expected_rho_inverse"})),
        ("expected_rho_inverse", "torch.exp((mu - m) ** 2 / (2 * sigma ** 2))",
         "torch.exp(-(mu - m) ** 2 / (2 * sigma ** 2))", "ρ instead of ρ⁻¹ (sign)",
         frozenset({"test_expected_rho_inverse"})),
        ("weighted_l1_rhs", "return abs(w) * abs(q - p)", "return abs(q - p)",
         "weight |w| dropped", frozenset({"test_weighted_l1_rhs"})),
        ("weighted_l1_rhs", "total += qg * value", "total += value",
         "structures not weighted by q_Γ", frozenset({"test_weighted_l1_rhs"})),
        ("bound_constant", "math.sqrt(2 * math.pi * math.e))", "math.sqrt(2 * math.pi))",
         "Lipschitz constant without e^{-1/2}", frozenset({"test_bound_constant"})),
        ("bound_constant", "return lipschitz.max() / q_at_m.min()", "return lipschitz.max() / q_at_m.max()",
         "sup of q(m) instead of inf", frozenset({"test_bound_constant"})),
    ],
    "theory_3": [
        ("tv_normal", "return 0.5 * value", "return value",
         "L1 distance instead of TV (factor ½)", frozenset({"test_tv_normal"})),
        ("tv_normal", "return abs(a - b)", "return a - b",
         "signed difference (no absolute value)", frozenset({"test_tv_normal"})),
        ("kl_normal", "/ (2 * s2 ** 2) - 0.5", "/ (s2 ** 2) - 0.5",
         "factor 2 dropped", frozenset({"test_kl_normal"})),
        ("kl_normal", "return torch.log(s2 / s1) + (s1 ** 2 + (mu1 - mu2) ** 2) / (2 * s2 ** 2) - 0.5",
         "return torch.log(s1 / s2) + (s2 ** 2 + (mu1 - mu2) ** 2) / (2 * s1 ** 2) - 0.5",
         "reversed KL", frozenset({"test_kl_normal"})),
        ("parametric_complexity", "v_star = float(min(max(float(second_moment), v_low), v_high))",
         "v_star = float(second_moment)", "minimiser not clipped to U_h", frozenset({"test_parametric_complexity"})),
        ("parametric_complexity", "return kl_gamma + kl_w, v_star", "return kl_w, v_star",
         "KL of the structures dropped", frozenset({"test_parametric_complexity"})),
    ],
    "theory_4": [
        ("rho_inverse_mc", "float(values.std() / math.sqrt(n_samples))", "float(values.std() / n_samples)",
         "standard error divided by n", frozenset({"test_rho_inverse_mc"})),
        ("rho_inverse_mc", "gamma_std * torch.randn", "gamma_std ** 2 * torch.randn",
         "variance used as standard deviation", frozenset({"test_rho_inverse_mc"})),
        ("rho_inverse_mc", "(2 * sigma ** 2)", "(sigma ** 2)",
         "factor 2 dropped in the exponent", frozenset({"test_rho_inverse_mc"})),
        ("rho_inverse_closed", " - 0.5 * math.log(d)", "",
         "normalising factor 1/√d dropped", frozenset({"test_rho_inverse_closed"})),
        ("rho_inverse_closed", "if d <= 0:", "if d < 0:",
         "divergence at the threshold d = 0 missed (off by one point)", frozenset({"test_rho_inverse_closed"})),
        ("rho_inverse_closed", "c * gamma_mean ** 2 / d", "c * gamma_mean ** 2",
         "completing the square without 1/d", frozenset({"test_rho_inverse_closed"})),
    ],
    "theory_5": [
        ("tempered_prior", "log_p / lam", "log_p * lam",
         "temperature multiplies instead of dividing", frozenset({"test_tempered_prior"})),
        ("tempered_prior", " + (1 - STRUCTURES) * torch.log1p(-pi)", "",
         "prior without the (1 − π) factors", frozenset({"test_tempered_prior"})),
        ("tempered_prior", 'f"температура должна быть положительной, получено {lam}"', '""',
         "English-only error message", frozenset({"test_tempered_prior_error"})),
        ("tempered_prior", "    if not lam > 0:\n", "    if lam < 0:\n",
         "λ = 0 accepted", frozenset({"test_tempered_prior_error"})),
        ("structure_bound", "- torch.xlogy(q_gamma, prior))", "- q_gamma * prior)",
         "prior instead of log prior", frozenset({"test_structure_bound"})),
        ("structure_bound", "torch.sum(torch.xlogy(q_gamma, q_gamma) - torch.xlogy(q_gamma, prior))",
         "torch.sum(torch.xlogy(prior, prior) - torch.xlogy(prior, q_gamma))",
         "reversed KL", frozenset({"test_structure_bound"})),
        ("structure_bound", "torch.sum(q_gamma * log_ev) - torch.sum", "torch.sum(q_gamma * log_ev) + torch.sum",
         "sign of the KL flipped", frozenset({"test_structure_bound"})),
        ("optimal_structure", "logits = torch.log(prior) + log_ev", "logits = log_ev + 0 * prior",
         "prior ignored", frozenset({"test_optimal_structure"})),
        ("optimal_structure", "torch.logsumexp(logits, 0)", "torch.max(logits)",
         "max instead of log-sum-exp", frozenset({"test_optimal_structure"})),
        ("optimal_structure", "logits = torch.log(prior) + log_ev", "logits = prior + log_ev",
         "prior instead of log prior", frozenset({"test_optimal_structure"})),
    ],
}


def _answer_sources(name: str) -> dict[str, str]:
    nb = nbformat.read(ROOT / "solutions" / name / f"{name}.ipynb", as_version=4)
    return {c.metadata["nbgrader"]["grade_id"]: c.source for c in nb.cells
            if c.cell_type == "code" and c.get("metadata", {}).get("nbgrader", {}).get("solution")}


def wrong_source(name: str, answer: str, old: str, new: str) -> str:
    source = _answer_sources(name)[answer]
    if source.count(old) != 1:
        raise ValueError(f"{name}/{answer}: the mutant's text occurs {source.count(old)} times: {old!r}")
    return source.replace(old, new)


def _build() -> dict[str, list[tuple[str, str, frozenset[str]]]]:
    table = {}
    for name, edits in EDITS.items():
        if not (ROOT / "solutions" / name / f"{name}.ipynb").is_file():
            continue
        table[name] = [(answer, wrong_source(name, answer, old, new), failed) for answer, old, new, _, failed in edits]
    return table


MUTANTS = _build()


# Correct answers written differently from the reference (another algorithm, another sampler, a plain formula):
# they must pass every test cell — the tolerances of the probes admit any correct implementation.
# assignment -> [(answer cell, its whole source, what differs)]
ALTERNATIVES: dict[str, list[tuple[str, str, str]]] = {
    "theory_1": [
        ("log_evidence_structures", '''def log_evidence_structures(X, y, alpha, noise_var):
    n = X.shape[0]
    out = []
    for gamma in STRUCTURES:
        Xg = X * gamma
        C = noise_var * torch.eye(n) + Xg @ torch.diag(1.0 / alpha) @ Xg.T
        out.append(torch.distributions.MultivariateNormal(torch.zeros(n), covariance_matrix=C).log_prob(y))
    return torch.stack(out)
''', "torch.distributions instead of a Cholesky solve"),
        ("structured_posterior", '''def structured_posterior(X, y, alpha, noise_var, pi, log_ev):
    logits = (STRUCTURES * torch.log(pi) + (1 - STRUCTURES) * torch.log(1 - pi)).sum(1) + log_ev
    post_gamma = torch.exp(logits - logits.max())
    post_gamma = post_gamma / post_gamma.sum()
    P = torch.diag(1 / alpha)
    means, covs = [], []
    for gamma in STRUCTURES:
        Xg = X * gamma
        K = P @ Xg.T @ torch.linalg.inv(noise_var * torch.eye(X.shape[0]) + Xg @ P @ Xg.T)
        means.append(K @ y)
        covs.append(P - K @ Xg @ P)
    return post_gamma, torch.stack(means), torch.stack(covs)
''', "covariance-form conditioning (Kalman gain) instead of the precision form"),
    ],
    "theory_2": [
        ("weighted_l1_rhs", '''def weighted_l1_rhs(q_gamma, mu, sigma, m, s):
    w = torch.linspace(-40.0, 40.0, 400_001)
    total = 0.0
    for k in range(len(q_gamma)):
        q = torch.exp(torch.distributions.Normal(mu[k], sigma[k]).log_prob(w))
        p = torch.exp(torch.distributions.Normal(float(m), s[k]).log_prob(w))
        total = total + q_gamma[k] * torch.trapezoid(w.abs() * (q - p).abs(), w)
    return total
''', "a fine trapezoid grid instead of adaptive quadrature"),
    ],
    "theory_3": [
        ("kl_normal", '''def kl_normal(mu1, s1, mu2, s2):
    mu1, s1, mu2, s2 = (torch.as_tensor(x, dtype=torch.float64) for x in (mu1, s1, mu2, s2))
    return torch.distributions.kl_divergence(torch.distributions.Normal(mu1, s1), torch.distributions.Normal(mu2, s2))
''', "torch.distributions.kl_divergence"),
    ],
    "theory_4": [
        ("rho_inverse_mc", '''def rho_inverse_mc(mu, sigma, gamma_mean, gamma_std, n_samples, generator):
    gamma = torch.normal(gamma_mean, gamma_std, size=(n_samples,), generator=generator)
    values = torch.exp(gamma ** 2 * mu ** 2 / (2 * sigma ** 2))
    return float(values.mean()), float(values.std(unbiased=False) / math.sqrt(n_samples))
''', "torch.normal as the sampler and the biased standard deviation"),
    ],
    "theory_5": [
        ("tempered_prior", '''def tempered_prior(pi, lam):
    if lam <= 0:
        raise ValueError("lam must be > 0 / lam должно быть > 0")
    p = torch.stack([(pi ** g * (1 - pi) ** (1 - g)).prod() for g in STRUCTURES]) ** (1.0 / lam)
    return p / p.sum()
''', "the product formula raised to 1/λ, no log-space"),
        ("optimal_structure", '''def optimal_structure(log_ev, prior):
    shift = log_ev.max()
    weights = prior * torch.exp(log_ev - shift)
    return weights / weights.sum(), torch.log(weights.sum()) + shift
''', "Gibbs weights with a max-shift instead of softmax/logsumexp"),
    ],
}
