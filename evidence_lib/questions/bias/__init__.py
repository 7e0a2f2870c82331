"""Publication-bias and small-study methods at parity with R metafor: regression tests and
PET-PEESE (:mod:`.regression`), the rank correlation test (:mod:`.rank`), trim and fill
(:mod:`.trim_and_fill`), fail-safe N (:mod:`.failsafe`), step-function selection models (:mod:`.selection`)."""
