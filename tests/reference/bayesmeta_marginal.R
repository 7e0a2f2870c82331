# Regenerates tests/reference/bayesmeta_marginal.json: R bayesmeta's marginal likelihood and
# Bayes factors, the parity reference for evidence_lib.model_average (tests/test_model_average.py).
#
# How it was run (2026-11-29): R 4.2.2 from Debian (r-base-core) with the Debian packages
# r-cran-metafor, r-cran-numderiv, r-cran-mvtnorm, r-cran-checkmate, r-cran-abind,
# r-cran-jsonlite; bayesmeta 3.4 and forestplot (its dependency, not in Debian) built from the
# CRAN mirrors on GitHub into a private library:
#     git --git-dir=<mirror of github.com/cran/forestplot> archive HEAD | tar -x -C /tmp/fp
#     git --git-dir=<mirror of github.com/cran/bayesmeta> archive HEAD | tar -x -C /tmp/bm
#     R CMD INSTALL -l /tmp/Rlib /tmp/fp && R_LIBS=/tmp/Rlib R CMD INSTALL -l /tmp/Rlib /tmp/bm
# then, from the repository root:
#     R_LIBS=/tmp/Rlib Rscript tests/reference/bayesmeta_marginal.R
#
# bayesmeta() with a proper tau prior and a normal mu prior returns
#   marginal.likelihood          p(y | RE, mu free)   (integrate() over tau, rel.tol 2^16 eps)
#   bayesfactor["actual","tau=0"] = p(y | tau = 0) / p(y) = p(y | EE, mu free) / p(y)
#   bayesfactor["actual","mu=0"]  = p(y | mu = 0) / p(y) = p(y | RE, mu = 0) / p(y)
# and the equal-effects model with mu = 0 is prod dnorm(y, 0, sigma). Those are the four
# models of evidence_lib.model_average.
#
# Data: the pseudo-studies of two reconstructed published results (evidence_lib.published.reconstruct.
# from_published as evidence_lib.published.readings.summary_for_row builds them; printed with 17
# significant digits; the test checks that Python still gives these values) and the Metapsy
# dyadic subgroup (tests/reference/metapsy_perinatal_studies.csv, dyadic == TRUE).

suppressMessages({
  library(bayesmeta)
  library(jsonlite)
})

ref_dir <- file.path("tests", "reference")
metapsy <- read.csv(file.path(ref_dir, "metapsy_perinatal_studies.csv"), stringsAsFactors = FALSE)
dyadic <- metapsy[metapsy$dyadic %in% c(TRUE, "True"), ]

datasets <- list(
  barlow_depression = list(
    y = c(-0.50455094392193445, -0.31485031464064483, -0.12514968535935517, 0.064550943921934473),
    sigma = rep(0.21263990767745986, 4)),
  barlow_secure_logrr = list(
    y = c(1.1865813830536349, 3.1922514067231806),
    sigma = rep(0.73630462938715358, 2)),
  metapsy_dyadic = list(y = dyadic$yi, sigma = sqrt(dyadic$vi), labels = dyadic$label)
)

# log tau^2 ~ t_5(location, scale): density on tau is dt((2 log tau - loc)/scale, 5)/scale * 2/tau
logt_tau2 <- function(location, scale, df = 5) {
  function(t) ifelse(t > 0, dt((2 * log(t) - location) / scale, df) / scale * 2 / t, 0)
}
priors <- list(
  list(name = "half-normal(0.5), N(0, 1)", tau = function(t) dhalfnormal(t, scale = 0.5),
       tau_spec = list(family = "half_normal", scale = 0.5), mu_mean = 0, mu_sd = 1),
  list(name = "Rhodes 2015 MH non-pharm (bayesmeta), N(0, 0.5)", tau = logt_tau2(-3.85, 1.93),
       tau_spec = list(family = "logt_tau2", location = -3.85, scale = 1.93, df = 5), mu_mean = 0, mu_sd = 0.5),
  list(name = "log tau^2 ~ N(-2.56, 1.74^2) (Turner 2015 any), N(0, 1)",
       tau = function(t) ifelse(t > 0, dnorm(2 * log(t), -2.56, 1.74) * 2 / t, 0),
       tau_spec = list(family = "lognormal_tau2", mean = -2.56, sd = 1.74), mu_mean = 0, mu_sd = 1),
  list(name = "half-Cauchy(1), N(0, 2)", tau = function(t) dhalfcauchy(t, scale = 1),
       tau_spec = list(family = "half_cauchy", scale = 1), mu_mean = 0, mu_sd = 2)
)

out <- list()
for (dname in names(datasets)) {
  d <- datasets[[dname]]
  for (p in priors) {
    fit <- tryCatch(bayesmeta(y = d$y, sigma = d$sigma, tau.prior = p$tau,
                              mu.prior.mean = p$mu_mean, mu.prior.sd = p$mu_sd),
                    error = function(e) conditionMessage(e))
    if (is.character(fit)) {  # bayesmeta's integrate() can fail on the log-t prior's spike at tau = 0
      cat(dname, "/", p$name, ": bayesmeta failed:", fit, "\n")
      out[[length(out) + 1]] <- list(data = dname, prior = p$name, tau_prior = p$tau_spec,
                                     mu_prior = c(p$mu_mean, p$mu_sd), error = fit)
      next
    }
    log_ml <- log(fit$marginal.likelihood)
    out[[length(out) + 1]] <- list(
      data = dname, y = d$y, sigma = d$sigma, prior = p$name, tau_prior = p$tau_spec,
      mu_prior = c(p$mu_mean, p$mu_sd),
      log_ml = as.list(c("EE, mu = 0" = sum(dnorm(d$y, 0, d$sigma, log = TRUE)),
                 "EE, mu free" = log_ml + log(fit$bayesfactor["actual", "tau=0"]),
                 "RE, mu = 0" = log_ml + log(fit$bayesfactor["actual", "mu=0"]),
                 "RE, mu free" = log_ml)),
      bf01_tau = fit$bayesfactor["actual", "tau=0"],
      bf01_mu = fit$bayesfactor["actual", "mu=0"])
  }
}
meta <- list(R = R.version.string, bayesmeta = as.character(packageVersion("bayesmeta")),
             generated_by = "tests/reference/bayesmeta_marginal.R")
write_json(list(meta = meta, cases = out), file.path(ref_dir, "bayesmeta_marginal.json"),
           digits = NA, auto_unbox = TRUE, pretty = TRUE)
cat("wrote", file.path(ref_dir, "bayesmeta_marginal.json"), "with", length(out), "cases\n")
