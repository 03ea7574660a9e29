# Reference numbers from R's mclust for tests/mixture/test_mclust.py.
#
#   apt-get install r-base-core r-cran-mclust   (Debian; mclust 6.0.0 made the stored file)
#   Rscript tests/mixture/mclust/make_reference.R > tests/mixture/mclust/reference.json
#
# For faithful, iris, diabetes, banknote, wreath and quakes (R's copies, written into the file
# so Python reads the same rows)
# and the four mclust models that equal scikit-learn's covariance types (VII = spherical,
# VVI = diag, EEE = tied, VVV = full), G = 1..6: mclust's BIC (its sign: 2 log L - df log n,
# higher is better), log-likelihood, df, and the fitted parameters.
suppressMessages(library(mclust))
suppressMessages(library(jsonlite))
models <- c(VII = "spherical", VVI = "diag", EEE = "tied", VVV = "full")
out <- list(mclust_version = as.character(packageVersion("mclust")), datasets = list())
data(diabetes, banknote, wreath, package = "mclust")
tables <- list(faithful = faithful, iris = iris[, 1:4], diabetes = diabetes[, 2:4],
               banknote = banknote[, 2:7], wreath = wreath, quakes = quakes[, 1:4])
for (name in names(tables)) {
  X <- as.matrix(tables[[name]])
  fits <- list()
  for (m in names(models)) {
    for (G in 1:6) {
      fit <- Mclust(X, G = G, modelNames = m, verbose = FALSE)
      if (is.null(fit)) next
      d <- ncol(X)
      sigma <- fit$parameters$variance$sigma           # d x d x G
      fits[[length(fits) + 1]] <- list(
        model = m, covariance_type = models[[m]], G = G, bic = fit$bic,
        loglik = fit$loglik, df = fit$df,
        weights = as.numeric(fit$parameters$pro),
        means = unname(t(fit$parameters$mean)),         # G x d
        covariances = lapply(seq_len(G), function(k) unname(matrix(sigma[, , k], d, d))))
    }
  }
  out$datasets[[name]] <- list(X = unname(X), fits = fits)
}
cat(toJSON(out, digits = NA, auto_unbox = TRUE))
