# Regenerates tests/reference/metafor_reference.json, the parity reference for
# evidence_lib.effects.effect_sizes and evidence_lib.frequentist.rma.
#
# Run from the repository root:
#     Rscript tests/reference/metafor_reference.R
# Produced with R 4.2.2 and metafor 3.8-1 (Debian r-cran-metafor), jsonlite 1.8.4.
# R is not a runtime dependency; only this script needs it.
#
# Every fit is run to the estimator's value, so that parity can be tested at 1e-8:
# Fisher scoring for REML/ML with control threshold = FS_THRESHOLD (metafor's default
# absolute 1e-5 can stop well short of the maximum for small-scale data), and
# Paule-Mandel and the Q-profile CI, roots of the generalised Q, with a tight uniroot
# tolerance, control = list(tol = ROOT_TOL). (With metafor's default tol = eps^0.25 the printed
# root can be ~3e-3 relative off: dat.hackshaw1998 PM tau2 0.0128986 against the
# root 0.0128767.) One deliberate departure: when the
# Q-profile upper bound lies above metafor's default search limit
# max(100, 10 * tau2), the limit is raised tenfold until the bound is bracketed
# (metafor would print the limit itself, e.g. "> 100", for the eight schools).

suppressMessages({
  library(metafor)
  library(jsonlite)
})

out_path <- file.path("tests", "reference", "metafor_reference.json")
ROOT_TOL <- 1e-14  # uniroot tolerance for PM and the Q-profile bounds (see above)
FS_THRESHOLD <- 1e-11  # Fisher scoring (REML, ML) run to the maximum (see above)

# ---- escalc: effect sizes -------------------------------------------------------

smd_in <- dat.normand1999[, c("m1i", "sd1i", "n1i", "m2i", "sd2i", "n2i")]
smd_es <- escalc(measure = "SMD", m1i = m1i, sd1i = sd1i, n1i = n1i,
                 m2i = m2i, sd2i = sd2i, n2i = n2i, data = smd_in)

# Counts with every zero-cell pattern: zero in arm 1 (1), zero in arm 2 (2),
# zero events in both arms (3), all events in both arms (4), all events in one
# arm (8), and ordinary studies (5-7).
bin_in <- data.frame(
  e1 = c(0, 3, 0, 12, 5, 20, 8, 20),
  n1 = c(25, 40, 30, 12, 50, 60, 45, 20),
  e2 = c(4, 0, 0, 10, 9, 22, 15, 15),
  n2 = c(25, 38, 32, 10, 48, 61, 44, 18)
)
ratio_es <- function(measure) {
  es <- escalc(measure = measure, ai = e1, n1i = n1, ci = e2, n2i = n2,
               data = bin_in, drop00 = TRUE)
  list(yi = c(es$yi), vi = c(es$vi), dropped = I(which(is.na(es$yi)) - 1L))
}

bcg_es <- escalc(measure = "RR", ai = tpos, bi = tneg, ci = cpos, di = cneg,
                 data = dat.bcg)

escalc_out <- list(
  smd = c(as.list(smd_in), list(yi = c(smd_es$yi), vi = c(smd_es$vi))),
  binary = as.list(bin_in),
  log_rr = ratio_es("RR"),
  log_or = ratio_es("OR"),
  bcg = list(tpos = dat.bcg$tpos, tneg = dat.bcg$tneg, cpos = dat.bcg$cpos,
             cneg = dat.bcg$cneg, yi = c(bcg_es$yi), vi = c(bcg_es$vi))
)

# se_from_ci: SE = (upper - lower) / (2 qnorm((1 + level) / 2)), log scale for ratios
ci_in <- list(low = c(-0.46, 0.2, 1.1), high = c(0.02, 0.9, 2.5))
se_ci_out <- list(
  low = ci_in$low, high = ci_in$high,
  smd_95 = (ci_in$high - ci_in$low) / (2 * qnorm(0.975)),
  smd_90 = (ci_in$high - ci_in$low) / (2 * qnorm(0.95)),
  ratio_95 = (log(ci_in$high[2:3]) - log(ci_in$low[2:3])) / (2 * qnorm(0.975))
)

# ---- data sets for the random-effects grid ----------------------------------------

or_es <- escalc(measure = "OR", ai = e1, n1i = n1, ci = e2, n2i = n2,
                data = bin_in, drop00 = TRUE)
or_es <- or_es[!is.na(or_es$yi), ]

molloy_es <- escalc(measure = "ZCOR", ri = ri, ni = ni, data = dat.molloy2014)

datasets <- list(
  # dat.bcg log risk ratios from the counts (golden_values.md, metafor dat.bcg)
  bcg = list(yi = c(bcg_es$yi), vi = c(bcg_es$vi)),
  # k = 2: dat.bcg trials 1 (Aronson) and 8 (TB Prevention Trial), heterogeneous
  bcg_k2 = list(yi = c(bcg_es$yi)[c(1, 8)], vi = c(bcg_es$vi)[c(1, 8)]),
  # homogeneous effects: Q below its lower chi-square quantile, tau2 = 0 everywhere
  homogeneous = list(yi = c(0.10, 0.12, 0.08, 0.11, 0.09),
                     vi = c(0.02, 0.03, 0.025, 0.04, 0.05)),
  # dat.normand1999 SMDs from means/SDs
  normand = list(yi = c(smd_es$yi), vi = c(smd_es$vi)),
  # Crins et al. 2014 log ORs (golden_values.md)
  crins = list(yi = c(-2.3097, -0.4595, -2.3026, -1.7579, -1.2585, -2.4179),
               vi = c(0.3594, 0.3096, 0.7750, 0.2078, 0.4122, 2.3373)),
  # eight schools, bayesmeta (Rubin1981) version (golden_values.md)
  eight_schools = list(yi = c(28.39, 7.94, -2.75, 6.82, -0.64, 0.63, 18.01, 12.16),
                       vi = c(14.9, 10.2, 16.3, 11.0, 9.4, 11.4, 10.4, 17.6)^2),
  # log ORs of the zero-cell counts above, double-zero/all-event studies dropped
  zero_cells_or = list(yi = c(or_es$yi), vi = c(or_es$vi)),
  # made-up k = 3 set where ML Fisher scoring ends at a local maximum; metafor warns
  # and sets tau2 = 0 (REML is unaffected)
  local_max = list(yi = c(-6.323, 0.1497, -2.7615), vi = c(8.8777, 0.431, 7.9279)),
  # dat.hackshaw1998: log ORs of lung cancer and passive smoking, as shipped (k = 37)
  hackshaw = list(yi = c(dat.hackshaw1998$yi), vi = c(dat.hackshaw1998$vi)),
  # dat.molloy2014: Fisher's z of correlations (escalc ZCOR from ri, ni; k = 16)
  molloy = list(yi = c(molloy_es$yi), vi = c(molloy_es$vi))
)

# ---- fits -------------------------------------------------------------------------

num <- function(x) if (is.null(x)) NA_real_ else unname(c(x))[1]

qprofile <- function(res) {
  if (res$method == "EE") return(list(tau2 = c(NA, NA), i2 = c(NA, NA)))
  qfun <- function(tau2) {
    w <- 1 / (res$vi + tau2)
    sum(w * (res$yi - sum(w * res$yi) / sum(w))^2)
  }
  upper <- max(100, 10 * res$tau2)
  while (qfun(upper) > qchisq(0.025, res$k - 1)) upper <- 10 * upper
  ci <- confint(res, control = list(tau2.max = upper, tol = ROOT_TOL))$random
  list(tau2 = unname(ci["tau^2", 2:3]), i2 = unname(ci["I^2(%)", 2:3]))
}

fit_row <- function(name, method, test) {
  d <- datasets[[name]]
  res <- suppressWarnings(rma(d$yi, d$vi, method = method, test = test,
                              control = list(tol = ROOT_TOL, threshold = FS_THRESHOLD, maxiter = 1000)))
  pred <- predict(res)
  riley <- predict(res, pi.type = "riley")
  qp <- qprofile(res)
  list(
    dataset = name, method = method, test = test, k = res$k,
    mu = num(res$beta), se = num(res$se), ci_low = num(res$ci.lb),
    ci_high = num(res$ci.ub), stat = num(res$zval), pval = num(res$pval),
    df_test = num(res$ddf), tau2 = num(res$tau2), tau2_se = num(res$se.tau2),
    i2 = num(res$I2), h2 = num(res$H2), q = num(res$QE), q_pval = num(res$QEp),
    pi_low = num(pred$pi.lb), pi_high = num(pred$pi.ub),
    pi_riley_low = num(riley$pi.lb), pi_riley_high = num(riley$pi.ub),
    tau2_ci = qp$tau2, i2_ci = qp$i2, weights = unname(weights(res))
  )
}

fits <- list()
for (name in names(datasets)) {
  for (method in c("REML", "ML", "DL", "PM", "EE")) {
    for (test in c("z", "knha")) {
      fits[[length(fits) + 1]] <- fit_row(name, method, test)
    }
  }
}

l1o <- function(name, method, test) {
  d <- datasets[[name]]
  res <- rma(d$yi, d$vi, method = method, test = test, control = list(tol = ROOT_TOL, threshold = FS_THRESHOLD, maxiter = 1000))
  l <- leave1out(res)
  list(dataset = name, method = method, test = test,
       mu = l$estimate, se = l$se, stat = if (test == "z") l$zval else l$tval,
       pval = l$pval, ci_low = l$ci.lb, ci_high = l$ci.ub, q = l$Q,
       q_pval = l$Qp, tau2 = l$tau2, i2 = l$I2, h2 = l$H2)
}

out <- list(
  generated_by = "tests/reference/metafor_reference.R",
  r_version = R.version.string,
  metafor_version = as.character(packageVersion("metafor")),
  root_tol = ROOT_TOL,
  fs_threshold = FS_THRESHOLD,
  escalc = escalc_out,
  se_from_ci = se_ci_out,
  datasets = datasets,
  fits = fits,
  leave1out = list(l1o("bcg", "REML", "z"), l1o("crins", "DL", "knha"))
)

write_json(out, out_path, digits = NA, auto_unbox = TRUE, pretty = TRUE, na = "null")
cat("wrote", out_path, "\n")
