# Bootstrap of an SEM with lavaan, timed inside R, for benchmarks/bench_bootstrap.py.
# Usage: Rscript benchmarks/r/boot_lavaan.R DATA.csv MODEL.lav OUT.json [B=5000] [parallel=no] [ncpus=1] [iseed=1]
#        [missing=listwise]
# lavaan defaults otherwise (estimator ML, ordinary bootstrap); missing = "ml" for FIML.
args <- commandArgs(trailingOnly = TRUE)
if (length(args) < 3) stop("usage: boot_lavaan.R DATA.csv MODEL.lav OUT.json [B] [parallel] [ncpus] [iseed]")
B <- if (length(args) >= 4) as.integer(args[4]) else 5000L
par <- if (length(args) >= 5) args[5] else "no"
ncpus <- if (length(args) >= 6) as.integer(args[6]) else 1L
iseed <- if (length(args) >= 7) as.integer(args[7]) else 1L
missing <- if (length(args) >= 8) args[8] else "listwise"
t_start <- Sys.time()
suppressPackageStartupMessages({ library(lavaan); library(jsonlite) })
d <- read.csv(args[1])
model <- paste(readLines(args[2]), collapse = "\n")
t0 <- Sys.time()
fit <- sem(model, data = d, se = "bootstrap", bootstrap = B, parallel = par, ncpus = ncpus, iseed = iseed,
           missing = missing)
t_fit <- as.numeric(difftime(Sys.time(), t0, units = "secs"))
tab <- function(type) {
  p <- parameterEstimates(fit, boot.ci.type = type)
  p <- p[p$op %in% c("~", ":="), ]
  list(lhs = p$lhs, op = p$op, rhs = p$rhs, label = p$label, est = p$est, se = p$se,
       ci_lower = p$ci.lower, ci_upper = p$ci.upper)
}
boot <- lavInspect(fit, "boot")
res <- list(made_by = paste("benchmarks/r/boot_lavaan.R, lavaan", packageVersion("lavaan")),
            B = B, parallel = par, ncpus = ncpus, missing = missing, seconds_fit = t_fit,
            n_failed = sum(!stats::complete.cases(boot)),
            bca_simple = tab("bca.simple"), perc = tab("perc"),
            seconds_total_in_R = as.numeric(difftime(Sys.time(), t_start, units = "secs")))
writeLines(toJSON(res, digits = NA, auto_unbox = TRUE), args[3])
