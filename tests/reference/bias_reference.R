# Regenerates tests/reference/bias_reference.json, the parity reference for
# evidence_lib.questions.bias (publication-bias and small-study methods).
#
# Run from the repository root:
#     Rscript tests/reference/bias_reference.R
# Produced with R 4.2.2, metafor 3.8-1, metadat 1.2-0 and jsonlite 1.8.4 (Debian r-cran-*);
# the versions are recorded in the JSON. R is not a runtime dependency; only this script needs it.
#
# Every fit is run to the estimator's value, so that parity can be tested at 1e-6:
# rma() Fisher scoring with threshold = FS_THRESHOLD (regtest model "rma" and trimfill
# refit with the input model's control), and selmodel() maximised twice, by optim BFGS
# with a tight reltol and finite-difference steps ndeps = 1e-5 (optim's default 1e-3 biases
# the gradient, so the weights stop ~1e-5 from the maximum), and by nlminb (rel.tol 1e-12);
# the JSON keeps the optimiser
# with the larger log-likelihood and records how far the two are apart (opt_gap).
# Data sets (none used elsewhere in the tests): dat.raudenbush1985, dat.bangertdrowns2004,
# dat.lehmann2018, dat.kalaian1996, dat.linde2005 (log RR from the counts; 2 studies
# without events dropped), dat.baskerville2012 (no sample sizes).

suppressMessages({
  library(metafor)
  library(jsonlite)
})

out_path <- file.path("tests", "reference", "bias_reference.json")
FS_THRESHOLD <- 1e-11
CTRL <- list(threshold = FS_THRESHOLD, maxiter = 1000)

lin <- escalc(measure = "RR", ai = ai, n1i = n1i, ci = ci, n2i = n2i, data = dat.linde2005)
lin <- lin[!is.na(lin$yi), ]
datasets <- list(
  raudenbush1985 = list(yi = dat.raudenbush1985$yi, vi = dat.raudenbush1985$vi,
                        ni = dat.raudenbush1985$n1i + dat.raudenbush1985$n2i),
  bangertdrowns2004 = list(yi = dat.bangertdrowns2004$yi, vi = dat.bangertdrowns2004$vi,
                           ni = dat.bangertdrowns2004$ni),
  lehmann2018 = list(yi = dat.lehmann2018$yi, vi = dat.lehmann2018$vi,
                     ni = dat.lehmann2018$Total.SampleSize),
  kalaian1996 = list(yi = dat.kalaian1996$yi, vi = dat.kalaian1996$vi,
                     ni = dat.kalaian1996$n1i + dat.kalaian1996$n2i),
  linde2005 = list(yi = c(lin$yi), vi = c(lin$vi), ni = lin$n1i + lin$n2i),
  baskerville2012 = list(yi = dat.baskerville2012$smd, vi = dat.baskerville2012$se^2)
)
datasets <- lapply(datasets, function(d) lapply(d, function(x) as.numeric(unname(c(x)))))

num <- function(x) if (is.null(x) || length(x) == 0) NA_real_ else unname(c(x))[1]
fit <- function(d, method) {
  if (is.null(d$ni)) rma(d$yi, d$vi, method = method, control = CTRL)
  else rma(d$yi, d$vi, ni = d$ni, method = method, control = CTRL)
}

rows <- list()
add <- function(...) rows[[length(rows) + 1]] <<- list(...)

for (name in names(datasets)) {
  d <- datasets[[name]]
  # ---- regtest -----------------------------------------------------------------------
  for (method in c("REML", "ML", "DL", "EE")) {
    res <- fit(d, method)
    for (model in c("rma", "lm")) {
      if (model == "lm" && method != "REML") next  # lm ignores the method
      for (predictor in c("sei", "vi", "ni", "ninv")) {
        if (is.null(d$ni) && predictor %in% c("ni", "ninv")) next
        for (test in if (model == "rma") c("z", "knha") else "t") {
          r <- if (model == "rma") regtest(res, model = model, predictor = predictor, test = test)
               else regtest(res, model = model, predictor = predictor)
          f <- r$fit
          slope_se <- if (model == "rma") f$se[2] else coef(summary(f))[2, 2]
          add(dataset = name, method = "regtest", model = model, estimator = method,
              predictor = predictor, test = test, stat = num(r$zval), pval = num(r$pval),
              df = num(r$ddf), estimate = num(r$est), low = num(r$ci.lb), high = num(r$ci.ub),
              slope = num(coef(f)[2]), slope_se = num(slope_se),
              tau2 = if (model == "rma") num(f$tau2) else NA_real_)
        }
      }
    }
  }
  # ---- PET and PEESE (lm with weights 1/vi; cross-check rma(mods, method = "FE")) -------
  sei <- sqrt(d$vi)
  for (pred in c("sei", "vi")) {
    x <- if (pred == "sei") sei else d$vi
    l <- summary(lm(d$yi ~ x, weights = 1 / d$vi))
    fe <- rma(d$yi, d$vi, mods = ~ x, method = "FE")
    add(dataset = name, method = if (pred == "sei") "PET" else "PEESE", estimate = l$coefficients[1, 1],
        se = l$coefficients[1, 2], stat = l$coefficients[1, 3], pval = l$coefficients[1, 4],
        df = l$df[2], slope = l$coefficients[2, 1], fe_estimate = num(fe$beta), fe_se = num(fe$se))
  }
  # ---- ranktest ----------------------------------------------------------------------
  rk <- ranktest(d$yi, d$vi)
  ties <- length(unique(d$vi)) < length(d$vi) || length(unique(d$yi)) < length(d$yi)
  add(dataset = name, method = "ranktest", tau = num(rk$tau), pval = num(rk$pval))
  # ---- trimfill ----------------------------------------------------------------------
  for (method in c("EE", "REML")) {
    res <- fit(d, method)
    for (estimator in c("L0", "R0")) {
      for (side in c("auto", "left", "right")) {
        tf <- if (side == "auto") trimfill(res, estimator = estimator, control = CTRL)
              else trimfill(res, estimator = estimator, side = side, control = CTRL)
        filled <- tf$fill
        add(dataset = name, method = "trimfill", estimator = estimator, fit_method = method,
            side_arg = side, side = tf$side, k0 = tf$k0, se_k0 = tf$se.k0, p_k0 = num(tf$p.k0),
            k = tf$k, estimate = num(tf$beta), se = num(tf$se), low = num(tf$ci.lb),
            high = num(tf$ci.ub), stat = num(tf$zval), pval = num(tf$pval), tau2 = num(tf$tau2),
            filled_yi = c(tf$yi)[filled], filled_vi = c(tf$vi)[filled])
      }
    }
  }
  # ---- fsn ---------------------------------------------------------------------------
  for (type in c("Rosenthal", "Orwin", "Rosenberg")) {
    targets <- if (type == "Orwin") list(NULL, 0.05) else list(NULL)
    for (target in targets) {
      fs <- if (is.null(target)) fsn(d$yi, d$vi, type = type) else fsn(d$yi, d$vi, type = type, target = target)
      add(dataset = name, method = "fsn", type = type, target_arg = if (is.null(target)) NA_real_ else target,
          fsnum = num(fs$fsnum), alpha = fs$alpha, pval = num(fs$pval), meanes = num(fs$meanes),
          target = num(fs$target))
    }
  }
  # ---- selmodel (step functions) -----------------------------------------------------
  ml <- fit(d, "ML")
  for (alternative in c("greater", "less")) {
    for (steps in list(0.025, c(0.025, 0.5))) {
      sel <- function(ctrl, tau2 = NA) tryCatch(
        suppressWarnings(selmodel(ml, type = "stepfun", steps = steps, alternative = alternative, control = ctrl,
                                  tau2 = tau2)),
        error = function(e) conditionMessage(e))
      npar <- 2 + length(unique(c(steps, 1)))  # mu, tau2, delta_1..N
      bfgs <- list(optimizer = "optim", optmethod = "BFGS", reltol = 1e-15, maxit = 10000, ndeps = rep(1e-5, npar))
      a <- sel(bfgs)
      if (is.character(a)) {  # BFGS can run on without end when tau2 goes to 0 (log scale): hold it there
        d0 <- sel(list())
        if (!is.character(d0) && d0$tau2 < 1e-6) a <- sel(bfgs, tau2 = 0)
      }
      b <- sel(list(optimizer = "nlminb", rel.tol = 1e-12, eval.max = 10000, iter.max = 10000))
      if (is.character(a)) {
        add(dataset = name, method = "selmodel", alternative = alternative, steps = steps, error = a)
        next
      }
      best <- if (!is.character(b) && b$ll > a$ll) b else a
      gap <- if (is.character(b)) NA_real_ else max(abs(c(a$beta - b$beta, a$tau2 - b$tau2, a$delta - b$delta)))
      # tau2 at its bound 0: optim moves log(tau2) towards -Inf and stops while the log-likelihood
      # is still short of its value at tau2 = 0 (dat.raudenbush1985: tau2 2e-8, ll 3e-6 short);
      # refit with tau2 held at 0, which also gives the SEs of the other parameters with tau2 held
      # there (metafor's Hessian across the clipped bound depends on numDeriv's step)
      tau2_bound <- best$tau2 < 1e-6
      if (tau2_bound) best <- sel(bfgs, tau2 = 0)
      add(dataset = name, method = "selmodel", alternative = alternative, steps = steps,
          optimizer = if (identical(best, b)) "nlminb" else "BFGS", opt_gap = gap, tau2_bound = tau2_bound,
          estimate = num(best$beta), se = num(best$se), low = num(best$ci.lb), high = num(best$ci.ub),
          stat = num(best$zval), pval = num(best$pval), tau2 = num(best$tau2), tau2_se = num(best$se.tau2),
          delta = c(best$delta), delta_se = c(best$se.delta), lrt = best$LRT, lrt_df = best$LRTdf,
          lrt_pval = best$LRTp, ll = best$ll, ll0 = best$ll0, ptable = best$ptable$k)
    }
  }
}

out <- list(
  generated_by = "tests/reference/bias_reference.R",
  r_version = R.version.string,
  metafor_version = as.character(packageVersion("metafor")),
  metadat_version = as.character(packageVersion("metadat")),
  fs_threshold = FS_THRESHOLD,
  datasets = datasets,
  results = rows
)
write_json(out, out_path, digits = NA, auto_unbox = TRUE, pretty = TRUE, na = "null")
cat("wrote", out_path, "\n")
