# Regenerates tests/reference/glmm_reference.json, the metafor parity reference for
# evidence_lib.frequentist.glmm.random_effects_binomial (binomial GLMM, rma.glmm model "UM.FS").
#
# Inputs: tests/reference/glmm_reference_counts.csv (dataset, study, e1, n1, e2, n2), written
# by `.venv/bin/python tests/test_glmm.py` from evidence_lib.loaders.metapsy_binary.select_binary on the
# pinned Metapsy database (datasets "metapsy_perinatal" = the rows of
# reports/metapsy_perinatal_binary.csv, and "metapsy_all"), plus a small two-study set with a
# zero cell ("two_study_zero_cell", made-up counts). dat.nielweise2007 comes from metadat (loaded with metafor)
# (18 trials, zero cells and one trial with no events in either arm).
# Run from the repository root:
#     Rscript tests/reference/glmm_reference.R
# Produced with R 4.2.2, metafor 3.8-1, lme4 1.1-31, jsonlite 1.8.4 (Debian r-cran-metafor,
# r-cran-lme4, r-cran-jsonlite). rma.glmm(model = "UM.FS", method = "ML") calls
# lme4::glmer(nAGQ = 7) with its default controls; the same data are also fitted with
# tightened glmer tolerances (optimizer bobyqa, xtol_rel 1e-12, ftol_abs 1e-14) to show the
# size of the default optimizer's stopping error.

suppressMessages({
  library(metafor)
  library(lme4)
  library(jsonlite)
})

ref_dir <- file.path("tests", "reference")
counts <- read.csv(file.path(ref_dir, "glmm_reference_counts.csv"), stringsAsFactors = FALSE)
data(dat.nielweise2007, package = "metadat")
niel <- with(dat.nielweise2007, data.frame(dataset = "nielweise2007", study = author,
                                           e1 = ai, n1 = n1i, e2 = ci, n2 = n2i))
counts <- rbind(counts, niel)

num <- function(x) unname(c(x))[1]
tight <- list(glmerCtrl = list(optimizer = "bobyqa",
                               optCtrl = list(maxfun = 1e5, rhoend = 1e-12)))

# The marginal log-likelihood sum_i log int Bin(e1_i | alpha_i + mu + b/2) Bin(e2_i | alpha_i - b/2)
# N(b; 0, tau2) db at the estimates of the same model fitted directly with glmer (as rma.glmm
# calls it), the integral by R's integrate(). rma.glmm's fit.stats ll (ll of the saturated
# model - deviance/2) is not this quantity: lme4's deviance() of a GLMM is conditional on the
# predicted random effects.
marginal_ll <- function(d, control) {
  d <- d[!((d$e1 == 0 & d$e2 == 0) | (d$e1 == d$n1 & d$e2 == d$n2)), ]
  k <- nrow(d)
  long <- data.frame(xi = c(rbind(d$e1, d$e2)), mi = c(rbind(d$n1 - d$e1, d$n2 - d$e2)),
                     study = factor(rep(seq_len(k), each = 2)), group1 = rep(c(1, 0), k),
                     group12 = rep(c(1/2, -1/2), k))
  fit <- suppressWarnings(glmer(cbind(xi, mi) ~ -1 + group1 + study + (group12 - 1 | study),
                                data = long, family = binomial, nAGQ = 7,
                                control = do.call(glmerControl, control)))
  b <- fixef(fit)
  mu <- b[["group1"]]
  alpha <- b[-1]
  tau <- sqrt(VarCorr(fit)[[1]][1])
  ll <- 0
  for (i in seq_len(k)) {
    f <- function(z) dbinom(d$e1[i], d$n1[i], plogis(alpha[i] + mu + tau * z / 2)) *
      dbinom(d$e2[i], d$n2[i], plogis(alpha[i] - tau * z / 2)) * dnorm(z)
    ll <- ll + log(integrate(f, -Inf, Inf, rel.tol = 1e-12)$value)
  }
  list(ll = ll, mu = mu, tau2 = tau^2)
}

fit_one <- function(d, control = list()) {
  fit <- rma.glmm(ai = e1, n1i = n1, ci = e2, n2i = n2, data = d, measure = "OR", model = "UM.FS",
                  control = control)
  ee <- rma.glmm(ai = e1, n1i = n1, ci = e2, n2i = n2, data = d, measure = "OR", model = "UM.FS",
                 method = "EE")
  list(k = fit$k, mu = num(fit$beta), se = num(fit$se), zval = num(fit$zval), pval = num(fit$pval),
       ci_lb = num(fit$ci.lb), ci_ub = num(fit$ci.ub), tau2 = num(fit$tau2),
       ll = num(fit$fit.stats["ll", "ML"]), ll_ee = num(ee$fit.stats["ll", "ML"]),
       marginal = marginal_ll(d, if (is.null(control$glmerCtrl)) list() else control$glmerCtrl),
       mu_ee = num(ee$beta), se_ee = num(ee$se))
}

out <- list()
for (name in unique(counts$dataset)) {
  d <- counts[counts$dataset == name, ]
  out[[name]] <- list(data = d[, c("study", "e1", "n1", "e2", "n2")],
                      default = fit_one(d), tight = fit_one(d, tight))
}

meta <- list(R = R.version.string, metafor = as.character(packageVersion("metafor")),
             lme4 = as.character(packageVersion("lme4")),
             call = "rma.glmm(ai=e1, n1i=n1, ci=e2, n2i=n2, measure='OR', model='UM.FS') [nAGQ = 7]",
             tight_control = "control = list(glmerCtrl = list(optimizer = 'bobyqa', optCtrl = list(maxfun = 1e5, rhoend = 1e-12)))")
writeLines(toJSON(list(meta = meta, datasets = out), digits = NA, auto_unbox = TRUE, pretty = TRUE),
           file.path(ref_dir, "glmm_reference.json"))
