"""Binary outcomes (response, remission) from the Metapsy database: one 2x2 table per comparison.

Source: :func:`evidence_lib.loaders.metapsy.load_metapsy` (pinned commit; ``target_group="ppd"`` for
perinatal depression, None for every target group). Counts are the database's harmonised
``.event_arm1/.totaln_arm1`` (psychotherapy) and ``.event_arm2/.totaln_arm2`` (control); an
event is a good outcome (responder, remitter), so an odds ratio > 1 favours psychotherapy.

Selection rule (:func:`select_binary`):

1. reported counts: the trial's own ``event_arm1, event_arm2, totaln_arm1, totaln_arm2`` are
   all filled. metapsyTools also fills ``.event_*`` for some rows analysed from means
   (``outcome_type`` "msd" or "change": perinatal Milgrom 2021 and Ngai 2015, and Saloheimo
   2016), by imputing responders from continuous data; those counts were never observed and
   are left out. So is a row whose harmonised and reported counts disagree (Kivi 2014: arm
   totals 36 and 43 reported, 43 and 36 harmonised; which is right needs the trial report);
2. psychotherapy vs. inactive control (``condition_arm2`` in
   :data:`evidence_lib.loaders.metapsy_selection.CONTROL_ARMS`), post-treatment (``time == "post"``), the
   earliest post-treatment time point of each comparison (study x arm x control, as
   :data:`evidence_lib.loaders.metapsy_selection.COMPARISON`);
3. one definition per comparison: remission before response before other dichotomies
   (``outcome_type``), then a clinician rating before a self-report (``rating``), then the
   lowest database row id. Remission is the commonest definition; a clinician-rated one is
   preferred as the less noisy assessment;
4. arms shared by several comparisons of one trial (a control arm against several
   psychotherapy arms, or one psychotherapy arm against several controls) are split, as the
   Cochrane Handbook (section 23.3.4) advises: "both the number of events and the total
   number of participants would be divided up". An arm is shared when comparisons of one
   study carry the same arm label (condition and ``multi_arm``) and the same counts (Araya
   2021's two "cau" arms, 114/440 and 70/215, are two arms). The split keeps whole counts
   (exact binomial likelihoods need them): an arm of e events in n split m ways gives
   floor(n/m) participants to each part and one more to the first n mod m parts in row-id
   order; events likewise. So every participant is counted once. (``evidence_lib.loaders.metapsy_selection``
   splits the same way but with fractional counts, which a g computed from counts allows.)

The analysis unit is the comparison.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from evidence_lib.core import checks
from evidence_lib.core.files import write_atomic
from evidence_lib.loaders.metapsy_selection import COMPARISON, CONTROL_ARMS, Flow, arm_label, earliest_time_point, with_comparison_key

COUNTS = [".event_arm1", ".totaln_arm1", ".event_arm2", ".totaln_arm2"]
REPORTED = ["event_arm1", "totaln_arm1", "event_arm2", "totaln_arm2"]
OUTCOME_PRIORITY = ("remission", "response", "other dich")
RATING_PRIORITY = ("clinician", "self-report")
EXPORT_COLUMNS = ["study", "e1", "n1", "e2", "n2", "definition", "row_id", "set_aside"]
EXPORT_NAME = "metapsy_perinatal_binary.csv"
#: Metapsy columns the selection reads
COLUMNS = COMPARISON + COUNTS + REPORTED + ["row_id", "time", "time_weeks", "outcome_type", "rating", "dich_paper",
                                           "instrument", "target_group"]


def split_counts(events: int, total: int, parts: int) -> list[tuple[int, int]]:
    """Divide an arm of ``events`` of ``total`` into ``parts`` whole-count arms as evenly as
    possible (the first ``total mod parts`` get one participant more; events likewise)."""
    n = [total // parts + (i < total % parts) for i in range(parts)]
    e = [events // parts + (i < events % parts) for i in range(parts)]
    return list(zip(e, n))


def _check_counts(d: pd.DataFrame) -> None:
    """ValueError naming the rows (by row_id) whose counts are not whole or whose events lie outside [0, total]."""
    e1, n1, e2, n2 = (d[c].to_numpy(float) for c in COUNTS)
    bad = ((np.round(d[COUNTS].to_numpy(float)) != d[COUNTS].to_numpy(float)).any(axis=1)
           | (e1 < 0) | (e2 < 0) | (n1 < 1) | (n2 < 1) | (e1 > n1) | (e2 > n2))
    if bad.any():
        shown = d.loc[bad, ["row_id", "study", *COUNTS]].head(5).to_dict("records")
        raise ValueError(f"select_binary: {int(bad.sum())} row(s) with impossible counts (whole numbers, 0 <= events "
                         f"<= total, total >= 1, per arm): {shown}")


def _priority(values: pd.Series, order) -> pd.Series:
    """Position of each value's first matching prefix in ``order`` (len(order) if none)."""
    rank = pd.Series(len(order), index=values.index)
    for i, prefix in reversed(list(enumerate(order))):
        rank[values.fillna("").str.startswith(prefix)] = i
    return rank


def _split_shared(d: pd.DataFrame, arm: int) -> pd.DataFrame:
    """Split the counts of arm 1 or 2 where several comparisons of a study share it (rule 4);
    ``d`` sorted by row id. Adds ``split_arm{arm}``, the number of ways the arm was split."""
    e, n = f".event_arm{arm}", f".totaln_arm{arm}"
    label = [f"condition_arm{arm}", f"multi_arm{arm}"]
    keys = d[["study", *label, e, n]].fillna({c: "" for c in label})
    d = d.assign(**{f"split_arm{arm}": 1})
    for _, group in keys.groupby(list(keys.columns), sort=False):
        if len(group) > 1:
            parts = split_counts(int(group[e].iloc[0]), int(group[n].iloc[0]), len(group))
            d.loc[group.index, [e, n]] = np.array(parts, dtype=float)
            d.loc[group.index, f"split_arm{arm}"] = len(group)
    return d


def _label(row: pd.Series, several_controls: bool) -> str:
    parts = [] if pd.isna(row["multi_arm1"]) else [arm_label(row["multi_arm1"])]
    if several_controls:
        parts.append("vs " + (row["condition_arm2"] if pd.isna(row["multi_arm2"]) else row["multi_arm2"]))
    return row["study"] + (f" [{', '.join(parts)}]" if parts else "")


def select_binary(df: pd.DataFrame | None = None, *, target_group: str | None = "ppd"):
    """Apply the selection rule of the module docstring.

    ``df``: Metapsy rows (default: :func:`~evidence_lib.loaders.metapsy.load_metapsy` with
    ``target_group``). Returns ``(table, flow)``: one row per comparison (``study`` = label,
    ``trial``, ``e1, n1, e2, n2`` as whole numbers, ``definition`` (``dich_paper``),
    ``outcome_type``, ``instrument``, ``rating``, ``target_group``, ``split_arm1``,
    ``split_arm2`` (ways each arm was split), ``row_id`` (the database row used) and
    ``set_aside`` (";"-joined row ids of the other definitions of the comparison)) and the
    flow table (rows, comparisons, studies after each step).
    """
    if df is None:
        from evidence_lib.loaders.metapsy import load_metapsy

        df = load_metapsy(target_group=target_group)
    checks.columns("select_binary", df, COLUMNS)
    df = with_comparison_key(df)
    count = Flow()

    count("database rows" + ("" if target_group is None else f" (target_group == {target_group!r})"), df)
    d = df[df[COUNTS].notna().all(axis=1)]
    count("harmonised counts (.event_*, .totaln_*) filled", d)
    _check_counts(d)
    d = d[d[REPORTED].notna().all(axis=1)]
    count("counts reported by the trial (not imputed from means)", d)
    d = d[(d[REPORTED].to_numpy() == d[COUNTS].to_numpy()).all(axis=1)]
    count("harmonised and reported counts agree", d)
    d = d[d["condition_arm2"].isin(CONTROL_ARMS) & d["time"].eq("post")]
    count("psychotherapy vs. inactive control, post-treatment", d)
    d = earliest_time_point(d)
    count("earliest post-treatment time point per comparison", d)
    d = d.assign(_outcome=_priority(d["outcome_type"], OUTCOME_PRIORITY),
                 _rating=_priority(d["rating"], RATING_PRIORITY))
    d = d.sort_values(["_key", "_outcome", "_rating", "row_id"])
    set_aside = d[d["_key"].duplicated()].groupby("_key")["row_id"].agg(lambda ids: ";".join(map(str, ids)))
    d = d.drop_duplicates("_key").copy()
    d["set_aside"] = d["_key"].map(set_aside).fillna("")
    count("one definition per comparison (remission > response > other; clinician > self-report)", d)
    d = _split_shared(_split_shared(d.sort_values("row_id"), 2), 1)
    controls = d.groupby("study")[["condition_arm2", "multi_arm2"]].apply(
        lambda g: len(g.fillna("").drop_duplicates()))
    table = pd.DataFrame({
        "study": [_label(r, controls[r["study"]] > 1) for _, r in d.iterrows()],
        "trial": d["study"], "e1": d[".event_arm1"].astype(int), "n1": d[".totaln_arm1"].astype(int),
        "e2": d[".event_arm2"].astype(int), "n2": d[".totaln_arm2"].astype(int),
        "definition": d["dich_paper"], "outcome_type": d["outcome_type"], "instrument": d["instrument"],
        "rating": d["rating"], "target_group": d["target_group"], "split_arm1": d["split_arm1"],
        "split_arm2": d["split_arm2"], "row_id": d["row_id"], "set_aside": d["set_aside"],
    }).sort_values("study", ignore_index=True)
    if not table["study"].is_unique:
        raise ValueError(f"comparison labels are not unique: {table['study'][table['study'].duplicated()].tolist()}")
    count.analysed("shared arms split (Cochrane Handbook 23.3.4), analysed", len(table), table["trial"].nunique())
    return table, count.to_frame()


def export_binary(table: pd.DataFrame, directory, name: str = EXPORT_NAME) -> Path:
    """Write ``table``'s :data:`EXPORT_COLUMNS` to ``directory/name`` (e.g. ``reports/``); returns the path."""
    return write_atomic(Path(directory) / name, table[EXPORT_COLUMNS].to_csv(index=False), make_folder=True)
