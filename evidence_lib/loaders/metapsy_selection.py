"""Perinatal depression trials from the Metapsy database: one effect per comparison.

Source: the Metapsy database of psychotherapy vs. control for depression (Cuijpers et al.;
DOI 10.5281/zenodo.7254845, commit ceeabb718db4a8ed6d5c5e265262d6ed7a392b72), rows with
``target_group == "ppd"`` as returned by :func:`evidence_lib.loaders.metapsy.load_metapsy`.
Direction: Metapsy's Hedges' g is **positive when psychotherapy reduces depression**
(g = J (mean_control - mean_psychotherapy) / s_pooled); every ``yi`` here keeps that sign.

Selection rule (:func:`select_perinatal_effects`):

1. psychotherapy vs. control: ``condition_arm2`` is an inactive control (``CONTROL_ARMS``);
2. post-treatment: ``time == "post"``;
3. one time point per comparison (study x arm x control): the earliest post-treatment
   assessment (smallest ``time_weeks``);
4. one effect per comparison: the rows left (different instruments or outcome types, each
   already converted to g by Metapsy) are combined as correlated effects with a common
   within-comparison correlation ``RHO`` = 0.5
   (:func:`evidence_lib.effects.effect_sizes.aggregate_correlated`). This mirrors
   metapsyTools ``runMetaAnalysis`` "combined" model (metafor ``aggregate.escalc``, compound
   symmetry), whose default ``rho.within.study`` was 0.5 in earlier releases (0.6 in later ones);
5. multi-arm trials: several psychotherapy arms share one control arm. Following the
   Cochrane Handbook (section 23.3.4, "split the shared group"), the control arm's n (and
   events) are divided equally among its comparisons and g, v recomputed from the arm data:
   means/SDs with :func:`evidence_lib.effects.effect_sizes.smd` (metafor formula), events with the
   logit conversion Metapsy uses (:func:`evidence_lib.effects.effect_sizes.g_from_events`). Each control participant is then
   counted once. All other comparisons keep the database's ``.g`` and ``.g_se``.

The analysis unit is the comparison (a multi-arm trial gives one unit per psychotherapy arm,
so its arms can be classed dyadic or not separately).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np
import pandas as pd
from pathlib import Path

from evidence_lib.core import checks
from evidence_lib.effects.effect_sizes import aggregate_correlated, g_from_events, smd
from evidence_lib.core.studies import Studies
from evidence_lib.core.files import write_atomic

RHO = 0.5
CONTROL_ARMS = ("cau", "wl", "other ctr")
COMPARISON = ["study", "condition_arm1", "multi_arm1", "condition_arm2", "multi_arm2"]
#: Metapsy columns the selection reads
COLUMNS = COMPARISON + ["row_id", "time", "time_weeks", ".g", ".g_se", "outcome_type", "instrument", "format",
                        *(f"{v}_arm{a}" for v in ("n", "mean", "sd", "event", "totaln") for a in (1, 2))]

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


def arm_label(arm: str) -> str:
    """Short arm name: the text in parentheses of ``multi_arm1`` ("cbt (f-t-f)" -> "f-t-f")."""
    inner = re.search(r"\((.*)\)", arm)
    return inner.group(1) if inner else arm


def _comparison(rows: pd.DataFrame, n_control_arms: int, rho: float) -> tuple[dict, pd.DataFrame]:
    """One analysed comparison (a row of the study table) and the database rows it used."""
    rows = rows.assign(yi=rows[".g"], vi=rows[".g_se"] ** 2)
    if n_control_arms > 1:
        rows = _split_control(rows, n_control_arms)
    yi, vi = aggregate_correlated(rows["yi"], vi=rows["vi"], rho=rho)
    first = rows.iloc[0]
    arm = None if pd.isna(first["multi_arm1"]) else first["multi_arm1"]
    label = first["study"] + (f" [{arm_label(arm)}]" if arm else "")
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


def with_comparison_key(df: pd.DataFrame) -> pd.DataFrame:
    """``df`` with ``_key``: one value per comparison (the :data:`COMPARISON` columns joined)."""
    return df.assign(_key=df[COMPARISON].fillna("").astype(str).agg(" | ".join, axis=1))


def earliest_time_point(d: pd.DataFrame) -> pd.DataFrame:
    """The rows at each comparison's earliest ``time_weeks`` (rows without weeks are kept)."""
    earliest = d.groupby("_key")["time_weeks"].transform("min")
    return d[d["time_weeks"].isna() | earliest.isna() | d["time_weeks"].eq(earliest)]


class Flow:
    """The flow table of a selection: rows, comparisons and studies left after each step."""

    def __init__(self):
        self.rows = []

    def __call__(self, step: str, d: pd.DataFrame) -> None:
        self.rows.append({"step": step, "rows": len(d), "comparisons": d["_key"].nunique(),
                          "studies": d["study"].nunique()})

    def analysed(self, step: str, comparisons: int, studies: int) -> None:
        """The last step: one row per analysed comparison."""
        self.rows.append({"step": step, "rows": comparisons, "comparisons": comparisons, "studies": studies})

    def to_frame(self) -> pd.DataFrame:
        return pd.DataFrame(self.rows)


@dataclass(frozen=True, eq=False)
class PerinatalSelection:
    """The analysed comparisons (``studies``: Hedges' g, positive = psychotherapy reduces
    depression, so ``favours="higher"``; per-comparison columns in ``studies.data``), the flow
    table (rows, comparisons and studies left after each step) and the database rows used
    (``rows``: row_id, label, instrument, yi, vi after any control split; the input of the
    aggregation step)."""

    studies: Studies
    flow: pd.DataFrame
    rows: pd.DataFrame

    def to_frame(self) -> pd.DataFrame:
        """One row per comparison: label, yi, sei, vi and the columns of ``studies.data``."""
        return self.studies.to_frame()


def select_perinatal_effects(df: pd.DataFrame | None = None, *, rho: float = RHO) -> PerinatalSelection:
    """Apply the selection rule of the module docstring to the perinatal Metapsy rows.

    ``studies.data`` columns: ``study, arm, dyadic, instruments, n_rows, n_arm1, n_arm2,
    n_source, control_split, effect_source, row_ids, condition_arm1, condition_arm2, format,
    time_weeks``.
    """
    if df is None:
        from evidence_lib.loaders.metapsy import load_metapsy

        df = load_metapsy()
    checks.columns("select_perinatal_effects", df, COLUMNS)
    rho = checks.scalar("rho", rho)
    if not -1 <= rho <= 1:
        raise ValueError(f"rho is a correlation in [-1, 1], got {rho:g}")
    df = with_comparison_key(df)
    count = Flow()
    count("perinatal rows (target_group == 'ppd')", df)
    d = df[df["condition_arm2"].isin(CONTROL_ARMS)]
    count("psychotherapy vs. inactive control (cau, wl, other ctr)", d)
    d = d[d["time"].eq("post")]
    count("post-treatment (time == 'post')", d)
    d = earliest_time_point(d)
    count("earliest post-treatment time point per comparison", d)
    d = d[np.isfinite(d[".g"]) & (d[".g_se"] > 0)]
    count("effect size and SE available", d)

    shared = d.groupby(["study", "condition_arm2", d["multi_arm2"].fillna("")])["_key"].transform("nunique")
    units = [_comparison(rows.sort_values("row_id"), int(shared.loc[rows.index[0]]), rho)
             for _, rows in d.groupby("_key", sort=False)]
    table = pd.DataFrame([u for u, _ in units]).sort_values(["study", "arm"], ignore_index=True)
    count.analysed(f"one effect per comparison (rho = {rho:g}), analysed", len(table), table["study"].nunique())
    studies = Studies.from_frame(table.drop(columns="vi"), sei="sei", label="label", measure="SMD",
                                 favours="higher", note="Metapsy perinatal trials, psychotherapy vs inactive control")
    return PerinatalSelection(studies, count.to_frame(), pd.concat([r for _, r in units], ignore_index=True))


#: columns of the comparison table the R reference script reads (tests/reference)
EXPORT_COLUMNS = ["label", "study", "yi", "vi", "dyadic", "row_ids"]
EXPORT_NAME = "metapsy_perinatal_studies.csv"


def export_studies(studies: pd.DataFrame, directory, name: str = EXPORT_NAME) -> Path:
    """Write the analysed comparisons' :data:`EXPORT_COLUMNS` (a ``PerinatalSelection.to_frame()``)
    to ``directory/name`` (e.g. ``reports/``); returns the path."""
    return write_atomic(Path(directory) / name, studies[EXPORT_COLUMNS].to_csv(index=False), make_folder=True)
