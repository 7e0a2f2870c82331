# Regenerates tests/reference/metapsy_perinatal_reference.json, the metafor parity reference
# for the perinatal Metapsy analysis (evidence_lib.loaders.metapsy_selection, notebook 06).
#
# Inputs, written by the Python selection (evidence_lib.loaders.metapsy_selection.select_perinatal_effects on
# the pinned Metapsy database, commit ceeabb718db4a8ed6d5c5e265262d6ed7a392b72):
#   tests/reference/metapsy_perinatal_studies.csv  one row per analysed comparison
#   tests/reference/metapsy_perinatal_rows.csv     the database rows behind each comparison
# Run from the repository root:
#     .venv/bin/python tests/test_metapsy_selection.py  # rewrites the two CSVs
#     Rscript tests/reference/metapsy_perinatal_reference.R
# Produced with R 4.2.2 and metafor 3.8-1 (Debian r-cran-metafor), jsonlite 1.8.4.
# REML is run to the maximum (Fisher scoring threshold 1e-11, as in metafor_reference.R),
# since evidence_lib computes the estimator's value, not metafor's default stopping point.
# yi is Metapsy's Hedges' g: positive favours psychotherapy.

suppressMessages({
  library(metafor)
  library(jsonlite)
})

ref_dir <- file.path("tests", "reference")
studies <- read.csv(file.path(ref_dir, "metapsy_perinatal_studies.csv"), stringsAsFactors = FALSE)
rows <- read.csv(file.path(ref_dir, "metapsy_perinatal_rows.csv"), stringsAsFactors = FALSE)
studies$dyadic <- as.logical(studies$dyadic)

num <- function(x) unname(c(x))[1]

# REML with z and Knapp-Hartung tests; prediction intervals from predict() of each fit
TIGHT <- list(threshold = 1e-11, maxiter = 1000)
fit_subset <- function(d, name) {
  z <- rma(yi, vi, data = d, method = "REML", test = "z", control = TIGHT)
  kh <- rma(yi, vi, data = d, method = "REML", test = "knha", control = TIGHT)
  pz <- predict(z)
  pkh <- predict(kh)
  list(
    subset = name, k = z$k,
    mu = num(z$beta), se = num(z$se), ci_low = num(z$ci.lb), ci_high = num(z$ci.ub),
    pval = num(z$pval), tau2 = num(z$tau2), i2 = num(z$I2), q = num(z$QE),
    pi_low = num(pz$pi.lb), pi_high = num(pz$pi.ub),
    knha = list(se = num(kh$se), ci_low = num(kh$ci.lb), ci_high = num(kh$ci.ub),
                pval = num(kh$pval), pi_low = num(pkh$pi.lb), pi_high = num(pkh$pi.ub))
  )
}

fits <- list(
  fit_subset(studies, "all"),
  fit_subset(studies[studies$dyadic, ], "dyadic"),
  fit_subset(studies[!studies$dyadic, ], "other")
)

# Egger's test: weighted regression of yi on sei (weights 1/vi); its sei coefficient is the
# intercept of the classical Egger regression of yi/sei on 1/sei.
eg <- regtest(rma(yi, vi, data = studies, method = "EE"), model = "lm")
eg_coef <- coef(summary(eg$fit))
egger <- list(intercept = num(eg_coef["Xsei", "Estimate"]), se = num(eg_coef["Xsei", "Std. Error"]),
              t = num(eg$zval), df = num(eg$dfs), pval = num(eg$pval))

# Aggregation of several rows per comparison, compound symmetry with rho = 0.5
es <- escalc(measure = "SMD", yi = yi, vi = vi, data = rows)
agg <- aggregate(es, cluster = label, rho = 0.5)
aggregated <- list(label = agg$label, yi = c(agg$yi), vi = c(agg$vi))

out <- list(
  generated_by = "tests/reference/metapsy_perinatal_reference.R",
  r_version = R.version.string,
  metafor_version = as.character(packageVersion("metafor")),
  metapsy_commit = "ceeabb718db4a8ed6d5c5e265262d6ed7a392b72",
  fits = fits,
  egger = egger,
  aggregated = aggregated
)

out_path <- file.path(ref_dir, "metapsy_perinatal_reference.json")
write_json(out, out_path, digits = NA, auto_unbox = TRUE, pretty = TRUE, na = "null")
cat("wrote", out_path, "\n")
