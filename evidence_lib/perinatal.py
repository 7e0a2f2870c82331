"""Perinatal depression trials from the Metapsy database: one effect per comparison.

Source: the Metapsy database of psychotherapy vs. control for depression (Cuijpers et al.;
DOI 10.5281/zenodo.7254845, commit ceeabb718db4a8ed6d5c5e265262d6ed7a392b72), rows with
``target_group == "ppd"`` as returned by :func:`evidence_lib.metapsy.load_metapsy`.
Direction: Metapsy's Hedges' g is **positive when psychotherapy reduces depression**
(g = J (mean_control - mean_psychotherapy) / s_pooled); every ``yi`` here keeps that sign.

Selection rule (:func:`select_perinatal_effects`):

1. psychotherapy vs. control: ``condition_arm2`` is an inactive control (``CONTROL_ARMS``);
2. post-treatment: ``time == "post"``;
3. one time point per comparison (study x arm x control): the earliest post-treatment
   assessment (smallest ``time_weeks``);
4. one effect per comparison: the rows left (different instruments or outcome types, each
   already converted to g by Metapsy) are combined as correlated effects with a common
   within-comparison correlation ``RHO`` = 0.5 (:func:`aggregate_correlated`). This mirrors
   metapsyTools ``runMetaAnalysis`` "combined" model (metafor ``aggregate.escalc``, compound
   symmetry), whose default ``rho.within.study`` was 0.5 in earlier releases (0.6 in later ones);
5. multi-arm trials: several psychotherapy arms share one control arm. Following the
   Cochrane Handbook (section 23.3.4, "split the shared group"), the control arm's n (and
   events) are divided equally among its comparisons and g, v recomputed from the arm data:
   means/SDs with :func:`evidence_lib.effect_sizes.smd` (metafor formula), events with the
   logit conversion Metapsy uses (:func:`g_from_events`). Each control participant is then
   counted once. All other comparisons keep the database's ``.g`` and ``.g_se``.

The analysis unit is the comparison (a multi-arm trial gives one unit per psychotherapy arm,
so its arms can be classed dyadic or not separately).
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import statsmodels.api as sm
from scipy import stats

from evidence_lib.effect_sizes import smd

RHO = 0.5
CONTROL_ARMS = ("cau", "wl", "other ctr")
COMPARISON = ["study", "condition_arm1", "multi_arm1", "condition_arm2", "multi_arm2"]

DYADIC_RULE = (
    "An arm is dyadic when its psychotherapy treats the mother together with her infant and "
    "targets their relationship (mother-infant / parent-infant psychotherapy, the intervention "
    "class of the three seed reviews). Metapsy has no field for this, so arms are classed by an "
    "explicit list (DYADIC_ARMS), each entry with its reason; every other perinatal study whose "
    "reference title mentions infants, babies, dyads, parenting, bonding or attachment "
    "(SCREEN_PATTERN) was checked and is listed with the reason it is not dyadic (NOT_DYADIC)."
)
# (study, multi_arm1 or None) -> reason
DYADIC_ARMS = {
    ("Clark, 2008", None): "title: 'A mother-infant therapy group model for postpartum depression'",
    ("Goodman, 2015", None): "title: 'Perinatal Dyadic Psychotherapy for postpartum depression'",
    ("Puckering, 2010", None): "title: 'Mellow Babies: A group intervention for infants and mothers'",
    ("Cooper, 2003", "dyn (psychodynamic psychotherapy)"): (
        "psychodynamic arm of the Cambridge trial: therapy on the mother's representations of, and "
        "relationship with, her infant (from the trial report, Cooper et al. 2003, Br J Psychiatry "
        "182:412, not a database field); the trial's CBT and counselling arms are not dyadic"),
}
SCREEN_PATTERN = r"infant|bab(?:y|ies)|dyad|parent|mother[-\u2013 ]child|bonding|attachment"
NOT_DYADIC = {
    "Alhusen, 2021": "coded cbt (group); attachment and sensitivity are outcomes in the title",
    "Gureje, 2022": "task-shared psychological intervention; parenting skills are an outcome in the title",
    "Husain, 2021a": "coded cbt; title: integrated parenting intervention, not a mother-infant psychotherapy",
    "Milgrom, 2015b": "coded cbt; 'infant follow-up' is an assessment, not the therapy",
    "Pan, 2023": "coded 3rd-wave (mindfulness, women and partners); bonding is an outcome in the title",
    "Rahman, 2008": "coded cbt by community health workers; infants appear as an outcome population",
    "Spinelli, 2003": "coded ipt; the 'parenting education program' is the control condition",
}


def is_dyadic(study: str, multi_arm1=None) -> bool:
    """True when (study, arm) is in :data:`DYADIC_ARMS`; ``multi_arm1`` NaN/None = single arm."""
    arm = None if multi_arm1 is None or pd.isna(multi_arm1) else multi_arm1
    return (study, arm) in DYADIC_ARMS


def dyadic_screen(df: pd.DataFrame) -> pd.DataFrame:
    """Studies whose reference (``full_ref``) matches :data:`SCREEN_PATTERN` or that have a
    dyadic arm, with the decision and its reason (ValueError if a screened study is undecided)."""
    refs = df.drop_duplicates("study").set_index("study")["full_ref"]
    listed = {study for study, _ in DYADIC_ARMS}
    hits = sorted(set(refs.index[refs.str.contains(SCREEN_PATTERN, case=False, regex=True)]) | listed)
    undecided = [s for s in hits if s not in listed and s not in NOT_DYADIC]
    if undecided:
        raise ValueError(f"screened studies without a dyadic decision: {undecided}")
    rows = [{"study": study, "arm": arm or "", "dyadic": True, "reason": why}
            for (study, arm), why in DYADIC_ARMS.items()]
    rows += [{"study": s, "arm": "", "dyadic": False, "reason": NOT_DYADIC[s]} for s in hits if s not in listed]
    return pd.DataFrame(rows).sort_values(["dyadic", "study"], ascending=[False, True], ignore_index=True)


def aggregate_correlated(yi, vi, rho: float = RHO) -> tuple[float, float]:
    """Combine effects from one comparison assumed to correlate ``rho`` (compound symmetry).

    V_ij = rho sqrt(v_i v_j) (V_ii = v_i), w = V^-1 1: y = w'y / 1'w, v = 1 / 1'w; the GLS
    estimate of metafor ``aggregate.escalc(struct="CS")`` (Viechtbauer, metafor manual).
    """
    yi, vi = np.asarray(yi, float), np.asarray(vi, float)
    sd = np.sqrt(vi)
    cov = rho * np.outer(sd, sd)
    np.fill_diagonal(cov, vi)
    w = np.linalg.solve(cov, np.ones_like(yi))
    return float(w @ yi / w.sum()), float(1 / w.sum())


def g_from_events(e1, n1, e2, n2) -> tuple[np.ndarray, np.ndarray]:
    """Hedges' g from a 2x2 table by the logit method, as Metapsy converts binary outcomes.

    d = ln(OR) sqrt(3)/pi (Chinn 2000, Stat Med 19:3127), OR = e1 (n2-e2) / ((n1-e1) e2),
    g = J d with J = 1 - 3/(4 (n1+n2) - 9), v = (3/pi²)(1/e1 + 1/(n1-e1) + 1/e2 + 1/(n2-e2))
    (no J in v; reproduces the database's ``.g``/``.g_se``). Counts may be fractional (split
    control arms), which :func:`evidence_lib.effect_sizes.log_or` rejects; positive g = more
    events (response/remission) with arm 1.
    """
    e1, n1, e2, n2 = (np.asarray(a, float) for a in (e1, n1, e2, n2))
    cells = np.stack([e1, n1 - e1, e2, n2 - e2])
    if (cells <= 0).any():
        raise ValueError("g_from_events needs every 2x2 cell > 0")
    j = 1 - 3 / (4 * (n1 + n2) - 9)
    g = j * np.log(e1 * (n2 - e2) / ((n1 - e1) * e2)) * np.sqrt(3) / np.pi
    return g, 3 / np.pi**2 * (1 / cells).sum(axis=0)


def _split_control(rows: pd.DataFrame, m: int) -> pd.DataFrame:
    """Recompute yi, vi of each row with the control arm divided by ``m`` (see module doc)."""
    rows = rows.copy()
    msd = rows["outcome_type"].eq("msd")
    if msd.any():
        r = rows[msd]
        g, v = smd(r["mean_arm1"], r["sd_arm1"], r["n_arm1"], r["mean_arm2"], r["sd_arm2"], r["n_arm2"] / m)
        rows.loc[msd, "yi"], rows.loc[msd, "vi"] = -g, v  # lower score = less depression
    binary = ~msd & rows["event_arm1"].notna()
    if binary.any():
        r = rows[binary]
        g, v = g_from_events(r["event_arm1"], r["totaln_arm1"], r["event_arm2"] / m, r["totaln_arm2"] / m)
        rows.loc[binary, "yi"], rows.loc[binary, "vi"] = g, v
    if not (msd | binary).all():
        raise ValueError(f"cannot split the control arm of rows {rows.loc[~(msd | binary), 'row_id'].tolist()}")
    return rows


def _arm_n(rows: pd.DataFrame, arm: int) -> tuple[float, str]:
    """Largest analysed n of one arm over the rows: ``n_armX``, else event-data ``totaln_armX``."""
    for col in (f"n_arm{arm}", f"totaln_arm{arm}"):
        if rows[col].notna().any():
            return float(rows[col].max()), "n_arm" if col.startswith("n_") else "totaln_arm (event data)"
    raise ValueError(f"no sample size for arm {arm} of rows {rows['row_id'].tolist()}")


def _arm_label(arm: str) -> str:
    """Short arm name: the text in parentheses of ``multi_arm1`` ("cbt (f-t-f)" -> "f-t-f")."""
    inner = re.search(r"\((.*)\)", arm)
    return inner.group(1) if inner else arm


def _comparison(rows: pd.DataFrame, n_control_arms: int, rho: float) -> tuple[dict, pd.DataFrame]:
    """One analysed comparison (a row of the study table) and the database rows it used."""
    rows = rows.assign(yi=rows[".g"], vi=rows[".g_se"] ** 2)
    if n_control_arms > 1:
        rows = _split_control(rows, n_control_arms)
    yi, vi = aggregate_correlated(rows["yi"], rows["vi"], rho)
    first = rows.iloc[0]
    arm = None if pd.isna(first["multi_arm1"]) else first["multi_arm1"]
    label = first["study"] + (f" [{_arm_label(arm)}]" if arm else "")
    n1, source = _arm_n(rows, 1)
    n2, _ = _arm_n(rows, 2)
    used = pd.DataFrame({"row_id": rows["row_id"], "label": label, "instrument": rows["instrument"],
                         "yi": rows["yi"], "vi": rows["vi"]})
    return {
        "label": label,
        "study": first["study"], "arm": arm or "", "yi": yi, "vi": vi, "sei": np.sqrt(vi),
        "dyadic": is_dyadic(first["study"], arm),
        "instruments": ";".join(rows["instrument"]), "n_rows": len(rows),
        "n_arm1": n1, "n_arm2": n2 / n_control_arms, "n_source": source,
        "control_split": n_control_arms,
        "effect_source": "database .g" if n_control_arms == 1 else f"recomputed, control n / {n_control_arms}",
        "row_ids": ";".join(str(i) for i in rows["row_id"]),
        "condition_arm1": first["condition_arm1"], "condition_arm2": first["condition_arm2"],
        "format": first["format"], "time_weeks": first["time_weeks"],
    }, used


def select_perinatal_effects(df: pd.DataFrame | None = None, *, rho: float = RHO):
    """Apply the selection rule of the module docstring to the perinatal Metapsy rows.

    Returns ``(studies, flow)``: one row per analysed comparison (columns ``label, study,
    arm, yi, vi, sei, dyadic, instruments, n_rows, n_arm1, n_arm2, n_source, control_split,
    effect_source, row_ids, condition_arm1, condition_arm2, format, time_weeks``) and the
    flow table (rows, comparisons and studies left after each step). ``studies.attrs["rows"]``
    holds the database rows used (``row_id, label, instrument, yi, vi``; yi, vi after any
    control split), the input of the aggregation step.
    """
    if df is None:
        from evidence_lib.metapsy import load_metapsy

        df = load_metapsy()
    df = df.assign(_key=df[COMPARISON].fillna("").astype(str).agg(" | ".join, axis=1))
    flow = []

    def count(step, d):
        flow.append({"step": step, "rows": len(d), "comparisons": d["_key"].nunique(),
                     "studies": d["study"].nunique()})

    count("perinatal rows (target_group == 'ppd')", df)
    d = df[df["condition_arm2"].isin(CONTROL_ARMS)]
    count("psychotherapy vs. inactive control (cau, wl, other ctr)", d)
    d = d[d["time"].eq("post")]
    count("post-treatment (time == 'post')", d)
    earliest = d.groupby("_key")["time_weeks"].transform("min")
    d = d[d["time_weeks"].isna() | earliest.isna() | d["time_weeks"].eq(earliest)]
    count("earliest post-treatment time point per comparison", d)
    d = d[np.isfinite(d[".g"]) & (d[".g_se"] > 0)]
    count("effect size and SE available", d)

    shared = d.groupby(["study", "condition_arm2", d["multi_arm2"].fillna("")])["_key"].transform("nunique")
    units = [_comparison(rows.sort_values("row_id"), int(shared.loc[rows.index[0]]), rho)
             for _, rows in d.groupby("_key", sort=False)]
    studies = pd.DataFrame([u for u, _ in units]).sort_values(["study", "arm"], ignore_index=True)
    studies.attrs["rows"] = pd.concat([r for _, r in units], ignore_index=True)
    flow.append({"step": f"one effect per comparison (rho = {rho:g}), analysed", "rows": len(studies),
                 "comparisons": len(studies), "studies": studies["study"].nunique()})
    return studies, pd.DataFrame(flow)


# --------------------------------------------------------------------------- analyses
EXPORT_COLUMNS = ["label", "study", "yi", "vi", "dyadic", "row_ids"]
SUBSETS = {"all": lambda s: s, "dyadic": lambda s: s[s["dyadic"]], "other": lambda s: s[~s["dyadic"]]}


def fit_subsets(studies: pd.DataFrame, test: str = "knha") -> pd.DataFrame:
    """REML random-effects fit (:func:`~evidence_lib.frequentist.random_effects`, ``test``
    "z" or Knapp-Hartung "knha") of all comparisons, the dyadic and the other ones.

    One row per subset: k, studies, participants (sum of both arms' n), mu, se, ci, pval,
    tau2, i2, q and the 95 % prediction interval (critical value of ``test``).
    """
    from evidence_lib.frequentist import random_effects

    rows = []
    for name, pick in SUBSETS.items():
        s = pick(studies)
        fit = random_effects(s["yi"], vi=s["vi"], method="REML", test=test)
        rows.append({"subset": name, "k": fit.k, "studies": s["study"].nunique(),
                     "participants": float((s["n_arm1"] + s["n_arm2"]).sum()),
                     **{f: getattr(fit, f) for f in ("mu", "se", "ci_low", "ci_high", "pval", "tau2",
                                                     "i2", "q", "pi_low", "pi_high")}})
    table = pd.DataFrame(rows).set_index("subset")
    table.attrs["test"] = test
    return table


def subgroup_difference(fits: pd.DataFrame, groups=("dyadic", "other")) -> dict:
    """Test of subgroup difference with separate tau² per subgroup (Borenstein et al. 2009,
    Introduction to Meta-Analysis, ch. 19): Q_b = sum w_j (mu_j - mu_w)², w_j = 1/se_j²,
    against chi²(J - 1). ``fits`` is a :func:`fit_subsets` table (use ``test="z"``)."""
    f = fits.loc[list(groups)]
    w = 1 / f["se"] ** 2
    q = float((w * (f["mu"] - (w * f["mu"]).sum() / w.sum()) ** 2).sum())
    return {"difference": float(f["mu"].iloc[0] - f["mu"].iloc[1]), "q_between": q,
            "df": len(f) - 1, "pval": float(stats.chi2.sf(q, len(f) - 1))}


def egger_test(yi, vi) -> dict:
    """Egger's regression test (Egger et al. 1997, BMJ 315:629): OLS of y_i/se_i on 1/se_i;
    the intercept measures funnel asymmetry (small-study effects), t-test on k - 2 df.
    Equals metafor ``regtest(rma(yi, vi, method="EE"), model="lm")`` (its coefficient on sei)."""
    yi, sei = np.asarray(yi, float), np.sqrt(np.asarray(vi, float))
    fit = sm.OLS(yi / sei, sm.add_constant(1 / sei)).fit()
    return {"intercept": float(fit.params[0]), "se": float(fit.bse[0]), "t": float(fit.tvalues[0]),
            "df": int(fit.df_resid), "pval": float(fit.pvalues[0]), "slope": float(fit.params[1])}


def funnel_limits(mu: float, se_max: float, level: float = 0.95, n: int = 50) -> pd.DataFrame:
    """Pseudo-confidence region of a funnel plot: mu ± z se for se in [0, se_max]."""
    se = np.linspace(0, se_max, n)
    z = stats.norm.ppf(0.5 + level / 2)
    return pd.DataFrame({"se": se, "low": mu - z * se, "high": mu + z * se})


def _draws(fit, name: str) -> np.ndarray:
    return np.asarray(fit["posterior"][name]).ravel()


def summarise_posterior(post, level: float = 0.95) -> dict:
    """Median and central ``level`` interval of mu, median tau, predictive interval of
    theta_new and P(mu > 0) (benefit), from an exact posterior or a PyMC DataTree."""
    from evidence_lib.exact import ExactPosterior

    if isinstance(post, ExactPosterior):
        get = {"median": post.median, "interval": lambda p: post.interval(p, level=level, kind="central"),
               "p": lambda: post.prob("mu", lower=0.0)}
    else:
        q = (0.5 - level / 2, 0.5 + level / 2)
        get = {"median": lambda p: float(np.median(_draws(post, p))),
               "interval": lambda p: tuple(np.quantile(_draws(post, p), q)),
               "p": lambda: float(np.mean(_draws(post, "mu") > 0))}
    mu_lo, mu_hi = get["interval"]("mu")
    new_lo, new_hi = get["interval"]("theta_new")
    return {"mu_median": float(get["median"]("mu")), "mu_low": float(mu_lo), "mu_high": float(mu_hi),
            "tau_median": float(get["median"]("tau")), "new_low": float(new_lo), "new_high": float(new_hi),
            "p_benefit": float(get["p"]())}


def exact_by_prior(studies: pd.DataFrame, tau_priors: dict, mu_prior=None,
                   subsets=("all", "dyadic")) -> pd.DataFrame:
    """Exact posterior (:func:`~evidence_lib.exact.exact_posterior`) of each subset under each
    ``{label: tau prior}``; rows (prior, subset) with the :func:`summarise_posterior` columns."""
    from evidence_lib.exact import exact_posterior

    rows = []
    for label, prior in tau_priors.items():
        for name in subsets:
            s = SUBSETS[name](studies)
            post = exact_posterior(s["yi"].to_numpy(), s["sei"].to_numpy(), prior, mu_prior)
            rows.append({"prior": label, "subset": name, **summarise_posterior(post)})
    return pd.DataFrame(rows).set_index(["prior", "subset"])


def regression_summary(fit, at: dict, level: float = 0.95) -> pd.DataFrame:
    """Posterior of mu + beta·x at each ``{label: x}`` and of the slope beta, from
    :func:`~evidence_lib.pymc_models.sample_meta_regression`: median, central ``level``
    interval and P(> 0) (positive = psychotherapy better / dyadic better)."""
    mu, beta = _draws(fit, "mu"), _draws(fit, "beta")
    quantities = {label: mu + beta * x for label, x in at.items()} | {"slope beta": beta}
    q = (0.5 - level / 2, 0.5 + level / 2)
    return pd.DataFrame([{"quantity": k, "median": float(np.median(v)), "low": float(np.quantile(v, q[0])),
                          "high": float(np.quantile(v, q[1])), "p_positive": float(np.mean(v > 0))}
                         for k, v in quantities.items()]).set_index("quantity")


def summary_level_check(studies: pd.DataFrame, tau_prior, mu_prior=None, digits: int = 2) -> pd.DataFrame:
    """Does a published-style summary carry the evidence of the full data?

    For all comparisons and the dyadic subset: the REML (z) pooled estimate, 95 % CI (both
    rounded to ``digits`` as a review would print them), k and Q go through
    :func:`~evidence_lib.reconstruct.from_published`; the exact posterior of those
    pseudo-studies is set beside the exact posterior of the full data (same priors).
    Rows (subset, source) with the :func:`summarise_posterior` columns.
    """
    from evidence_lib.exact import exact_posterior
    from evidence_lib.frequentist import random_effects
    from evidence_lib.reconstruct import from_published

    rows, posts = [], {}
    for name in ("all", "dyadic"):
        s = SUBSETS[name](studies)
        fit = random_effects(s["yi"], vi=s["vi"], method="REML", test="z")
        recon = from_published(round(fit.mu, digits), round(fit.ci_low, digits), round(fit.ci_high, digits),
                               k=fit.k, q=round(fit.q, digits))
        posts[name, "full data"] = exact_posterior(s["yi"].to_numpy(), s["sei"].to_numpy(), tau_prior, mu_prior)
        posts[name, "reconstruction"] = exact_posterior(recon, None, tau_prior, mu_prior)
        rows += [{"subset": name, "source": source, **summarise_posterior(posts[name, source])}
                 for source in ("full data", "reconstruction")]
    table = pd.DataFrame(rows).set_index(["subset", "source"])
    table.attrs["posteriors"] = posts
    return table


# The seeds' maternal-depression results (data/published_results.csv), for the final figure
SEED_RESULTS = ("barlow2015_ctrl_depression_smd_post", "sleed2023_maternal_depression_post",
                "huang2019_depression_smd_short")


def seed_comparison(published: pd.DataFrame, fits: pd.DataFrame, bayes: pd.DataFrame) -> pd.DataFrame:
    """The seeds' maternal-depression results beside this analysis, on one benefit scale.

    Seeds: rows :data:`SEED_RESULTS` of ``published`` through
    :func:`~evidence_lib.readings.harmonise` (sign flipped where lower favours the
    intervention, so positive = less depression). Ours (Metapsy g, already positive =
    benefit): ``fits`` from :func:`fit_subsets` (estimate and CI) and ``bayes`` indexed by
    subset with :func:`summarise_posterior` columns. Ours first, so that :func:`plots.harmonised`
    colours them blue (frequentist) and orange (Bayesian); columns as that function needs.
    """
    from evidence_lib.readings import harmonise

    seeds = published.set_index("result_id").loc[list(SEED_RESULTS)].reset_index()
    seeds = harmonise(seeds)
    seeds = seeds.assign(label=seeds["review"] + ": " + seeds["outcome"].str.split(",").str[0],
                         group="seed reviews (their own trial sets)")
    method = "REML, KH" if fits.attrs.get("test") == "knha" else "REML"
    ours = [{"label": f"Metapsy perinatal, {name} ({method}, k {int(fits.loc[name, 'k'])})",
             "group": "Metapsy perinatal: frequentist", "benefit_estimate": fits.loc[name, "mu"],
             "benefit_ci_low": fits.loc[name, "ci_low"], "benefit_ci_high": fits.loc[name, "ci_high"],
             "estimate_derived": False} for name in ("all", "dyadic")]
    ours += [{"label": f"Metapsy perinatal, {name} (posterior median, CrI)",
              "group": "Metapsy perinatal: Bayesian", "benefit_estimate": bayes.loc[name, "mu_median"],
              "benefit_ci_low": bayes.loc[name, "mu_low"], "benefit_ci_high": bayes.loc[name, "mu_high"],
              "estimate_derived": False} for name in ("all", "dyadic")]
    cols = ["label", "group", "benefit_estimate", "benefit_ci_low", "benefit_ci_high", "estimate_derived"]
    return pd.concat([pd.DataFrame(ours), seeds[cols]], ignore_index=True)
