"""Two readings of every published pooled result: frequentist and Bayesian.

For one published row (estimate, 95 % CI, k, heterogeneity) the frequentist reading
is what the review printed plus what follows from it (the two-sided z p-value the CI
implies, the verdict "CI excludes the null"), and, where k is known, the Knapp-Hartung
CI and the prediction interval of the reconstructed summary
(:func:`evidence_lib.published.reconstruct.from_published`). The Bayesian reading is the exact
posterior (:func:`evidence_lib.bayes.exact.exact_posterior`) of the same reconstructed
likelihood under a declared prior set: posterior median, 95 % central credible
interval, P(benefit), P(benefit > 0.2 SD) for SMDs, and the 95 % predictive
interval for the effect in a new study.

Direction is explicit: ``favours_intervention`` ("lower"/"higher") says which side of
the null favours the intervention on the published scale; "benefit" means that side.
Ratio measures are analysed on the log scale and reported back on the ratio scale.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import special

from evidence_lib.bayes import priors
from evidence_lib.core import checks
from evidence_lib.loaders.packaged import load_published
from evidence_lib.bayes.exact import exact_posterior
from evidence_lib.frequentist.rma import random_effects
from evidence_lib.core.measures import SMALL_SMD, benefit_sign, from_analysis_scale, to_analysis_scale
from evidence_lib.published.reconstruct import from_published, i2_definition_for
from evidence_lib.bayes.summaries import benefit_bounds, summarise

LEVEL = 0.95
BORDERLINE_P = 0.90  # P(benefit) at or above which a CI that includes the null is a disagreement


@dataclass(frozen=True)
class PriorSet:
    """A declared pair of priors: heterogeneity tau and overall effect mu (analysis scale)."""

    label: str
    tau: priors.TauPrior
    mu: object = None  # None = improper flat; (mean, sd) or a MuPrior


def default_prior_set() -> PriorSet:
    """The default set used for every row of the readings table.

    tau ~ half-normal(0.5) on the analysis scale (SMD or log ratio), a weakly
    informative choice (Röver et al. 2021, Res Synth Methods 12:448) that puts 95 % of
    its mass below tau = 0.98; mu flat, so the location is read from the data alone.
    """
    return PriorSet("half-normal(0.5) tau, flat mu", priors.half_normal(0.5), None)


SCEPTICAL_MU = (0.0, 0.2)  # centred on no effect; 95 % of its mass within +-0.39 SD


def standard_prior_sets() -> list[PriorSet]:
    """The prior sets every borderline result is read under (notebook 03).

    1. the default (half-normal(0.5) tau, flat mu);
    2.-3. Rhodes et al. 2015 empirical tau prior for mental-health outcomes of
       non-pharmacological interventions, in both readings of its disputed cell
       (location -3.85 as coded in bayesmeta; -2.85 as the table's pattern implies);
    4. a sceptical mu prior N(0, 0.2²) with the default tau prior;
    5. flat: improper uniform tau and flat mu (proper posterior needs k >= 3).
    """
    rhodes = "Rhodes 2015 mental health, non-pharmacological"
    return [
        default_prior_set(),
        PriorSet(f"{rhodes} (-3.85, bayesmeta), flat mu",
                 priors.rhodes2015("mental health outcome", "non-pharmacological (any)", reading="bayesmeta")),
        PriorSet(f"{rhodes} (-2.85, table pattern), flat mu",
                 priors.rhodes2015("mental health outcome", "non-pharmacological (any)", reading="pattern")),
        PriorSet("sceptical mu N(0, 0.2²), half-normal(0.5) tau", priors.half_normal(0.5), SCEPTICAL_MU),
        PriorSet("flat: uniform tau, flat mu", priors.uniform_tau(), None),
    ]


def readings_under_priors(row, prior_sets: list[PriorSet] | None = None) -> pd.DataFrame:
    """The Bayesian reading of one published row under each prior set (one row each)."""
    prior_sets = standard_prior_sets() if prior_sets is None else prior_sets
    return pd.DataFrame([read_row(row, ps) for ps in prior_sets]).set_index("prior_set")


def p_benefit_by_tau_scale(row, scales, *, family=None, mu_prior=None) -> np.ndarray:
    """P(benefit) for one published row as the scale of the tau prior varies.

    ``family`` maps a scale to a TauPrior (default ``priors.half_normal``).
    """
    family = family or priors.half_normal
    summary = summary_for_row(row)
    side = benefit_bounds(summary.favours)
    if side is None:
        raise ValueError(f"{row.get('result_id')}: direction favouring the intervention is unknown")
    return np.array([exact_posterior(summary, tau_prior=family(s), mu_prior=mu_prior).prob("mu", **side)
                     for s in scales])


def summary_for_row(row) -> object:
    """Reconstruct the hierarchical likelihood of one published row (see from_published)."""
    def value(name):
        v = row.get(name)
        return None if v is None or pd.isna(v) else float(v)

    def text(name):
        v = row.get(name)
        return None if v is None or pd.isna(v) or v == "" else str(v)

    return from_published(  # k is checked there: a whole number (4.0 passes, 4.5 is refused, never truncated)
        value("estimate_used"), value("ci_low"), value("ci_high"),
        k=value("k"), q=value("q"), i2=value("i2"),
        n_total=value("n") if row["measure"] == "SMD" else None, measure=row["measure"],
        favours=row.get("favours_intervention"), label=str(row.get("result_id") or row.get("label") or ""),
        i2_definition=text("i2_definition") or i2_definition_for(text("method")))


def read_row(row, prior_set: PriorSet | None = None) -> dict:
    """Both readings of one published row (a mapping with the published_results columns)."""
    prior_set = prior_set or default_prior_set()
    if not isinstance(prior_set, PriorSet):
        raise ValueError(f"prior_set must be a PriorSet (e.g. default_prior_set()), got {type(prior_set).__name__}")
    measure = row["measure"]
    out = {"prior_set": prior_set.label}

    def natural(x):
        return from_analysis_scale(x, measure)

    if pd.isna(row.get("ci_low")) or pd.isna(row.get("ci_high")):
        out["reading_note"] = "no figures reported: nothing to read"
        return out

    summary = summary_for_row(row)
    z = summary.estimate / summary.se
    out.update(
        se=summary.se,
        stat=z,
        pval=2 * special.ndtr(-abs(z)),  # scipy.stats.norm.sf(abs(z)) and norm.ppf, as computed there
        ci_excludes_null=bool(abs(z) > special.ndtri(0.5 + LEVEL / 2)),
        recon_k=summary.k,
        recon_q=summary.q,
        recon_i2=summary.i2,
        recon_tau2=summary.tau2,
        reading_note=summary.note,
    )
    if not summary.estimate_only:
        kh = random_effects(summary, method="REML", test="knha")
        re = random_effects(summary, method="REML", test="z")
        out.update(kh_ci_low=natural(kh.low), kh_ci_high=natural(kh.high), kh_pval=kh.pval,
                   pi_low=natural(re.pi_low), pi_high=natural(re.pi_high))

    post = exact_posterior(summary, tau_prior=prior_set.tau, mu_prior=prior_set.mu)
    bayes = summarise(post, favours=summary.favours, level=LEVEL, threshold=SMALL_SMD if measure == "SMD" else None)
    out.update(
        post_estimate=natural(bayes["estimate"]),
        cri_low=natural(bayes["low"]),
        cri_high=natural(bayes["high"]),
        # quadrature noise is no verdict
        cri_excludes_null=bool(round(bayes["low"], 10) > 0 or round(bayes["high"], 10) < 0),
    )
    if bayes["p_benefit"] is not None:
        out["p_benefit"] = bayes["p_benefit"]
        if measure == "SMD":
            out["p_benefit_beyond"] = bayes["p_benefit_beyond"]
    if not summary.estimate_only:
        out.update(pred_low=natural(bayes["pred_low"]), pred_high=natural(bayes["pred_high"]),
                   post_tau=bayes["tau"])
    return out


def readings_table(published: pd.DataFrame | None = None, prior_set: PriorSet | None = None) -> pd.DataFrame:
    """One row per published result with both readings (columns: see data/README.md)."""

    published = load_published() if published is None else published
    keep = ["result_id", "review", "comparison", "outcome", "timepoint", "measure", "k", "n",
            "estimate_used", "estimate_derived", "ci_low", "ci_high", "p_reported",
            "favours_intervention"]
    rows = [{**{c: r[c] for c in keep}, **read_row(r, prior_set)} for _, r in published.iterrows()]
    table = pd.DataFrame(rows)
    table["readings_disagree"] = _disagree(table)
    return table


@dataclass(frozen=True, eq=False)
class Harmonised:
    """Results on one benefit scale (``table``) and the ids left out because their direction
    is unknown (``unknown_direction``)."""

    table: pd.DataFrame
    unknown_direction: list

    def to_frame(self) -> pd.DataFrame:
        return self.table


def harmonise(published: pd.DataFrame) -> Harmonised:
    """Put every result with figures on one benefit scale: the analysis scale (log for
    ratios) with the sign flipped where lower values favour the intervention, so that
    positive always means benefit (columns ``benefit_estimate``, ``benefit_ci_low``,
    ``benefit_ci_high``). Rows whose direction is unknown are left out and listed.
    """
    checks.columns("harmonise", published, ("result_id", "measure", "estimate_used", "ci_low", "ci_high",
                                            "favours_intervention"))
    df = published[published["ci_low"].notna()].copy()
    sign = df["favours_intervention"].map(benefit_sign)
    unknown = sign.isna()
    scale = {c: np.array([to_analysis_scale(float(x), m) for x, m in zip(df[c], df["measure"])])
             for c in ("estimate_used", "ci_low", "ci_high")}
    df["benefit_estimate"] = sign * scale["estimate_used"]
    df["benefit_ci_low"] = np.where(sign > 0, scale["ci_low"], -scale["ci_high"])
    df["benefit_ci_high"] = np.where(sign > 0, scale["ci_high"], -scale["ci_low"])
    return Harmonised(df[~unknown], df.loc[unknown, "result_id"].tolist())


def _disagree(table: pd.DataFrame) -> pd.Series:
    """A substantive disagreement: the CI verdict and the CrI verdict differ, or the CI
    includes the null ("no difference") while P(benefit) >= BORDERLINE_P ("probably
    beneficial") — the borderline pattern."""
    has = table["cri_excludes_null"].notna()
    verdicts_differ = has & (table["ci_excludes_null"] != table["cri_excludes_null"])
    borderline = has & ~table["ci_excludes_null"].astype(bool) & (table["p_benefit"].fillna(0) >= BORDERLINE_P)
    return verdicts_differ | borderline
