"""Fitting the forecast-error model from a rolling-origin backtest frame.

The model (see docs/risk.md for the derivation and the measured fit) for the volume of
pair p (queue x market) in interval t of lead week k after an origin:

    Y_t ~ Poisson(lambda_t),   lambda_t = f_t * exp(L_pk) * exp(eta_t - s_p^2 / 2)

f_t : the forecast [items per interval]
L_pk : the **weekly level error**, normal with mean ``bias`` and sd ``level_sd`` (per pair
    and lead week).  Across pairs the standardised level errors share a one-factor
    structure: correlation ``within_market`` between two pairs of one market and
    ``across_markets`` between pairs of different markets (0 unless material).
eta_t : **interval noise beyond Poisson**, a stationary Gaussian AR(1) per pair with
    variance s_p^2 = log(1 + alpha_p) and lag-one autocorrelation ``phi_p``: given the
    weekly level, Var(Y_t) = m_t + alpha_p m_t^2 (negative binomial-like overdispersion).

Estimation, per pair (all moments, no optimiser):

1. weekly log error e = log(actual total / forecast total) per origin x lead week;
2. m_t = f_t * actual total / forecast total (the forecast moved to the week's real level);
   alpha = sum((y - m)^2 - m) / sum(m^2) over the intervals, refitted once without bursts
   (|standardised residual| > ``burst_z``: incident spikes stay in the weekly level error,
   they are not interval noise); phi from the lag-one products of the residuals;
3. the part of var(e) that the interval noise itself puts into a weekly total (Poisson and
   eta, computed from the week's m_t) is subtracted: what is left is the level's variance;
4. each pair's level variance and bias are shrunk towards the pooled value with
   ``prior_weeks`` pseudo-weeks (a pair has only as many weeks as backtest origins);
5. correlations from the de-meaned weekly errors of lead week 1: the average cross product
   over pairs of one market (of different markets) over the product of level sds, with a
   jackknife-over-origins standard error.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

PAIR = ["queue", "market"]
WEEK_KEY = ["origin", "queue", "market", "lead_week"]
LEVEL_COLUMNS = ["queue", "market", "lead_week", "weeks", "mean_log_error", "raw_sd", "noise_sd",
                 "level_sd", "bias"]
NOISE_COLUMNS = ["queue", "market", "intervals", "bursts", "alpha", "phi"]
CORRELATION_COLUMNS = ["scope", "market", "pairs", "estimate", "se", "used"]


@dataclass(frozen=True)
class ErrorConfig:
    """How the error model is fitted.

    prior_weeks : pseudo-weeks of the pooled value in each pair's level sd and bias
        (shrinkage; a pair with 12 backtest weeks and prior_weeks=8 is 60% its own).
    min_level_sd : floor on a weekly level sd [log scale]; no forecast is that exact.
    burst_z : interval residuals beyond this many standard deviations are bursts
        (incidents) and are left out of the interval noise.
    max_phi : cap on the interval noise's lag-one autocorrelation.
    material_correlation : the across-market correlation is used only when it is at least
        this large and twice its standard error (else 0: pairs of different markets are
        treated as independent).  The within-market one is always used (clipped to >= 0).
    center_bias : whether paths carry the backtest's mean level error (the forecast's
        bias); False centres the level error on the forecast.
    """

    prior_weeks: float = 8.0
    min_level_sd: float = 0.005
    burst_z: float = 6.0
    max_phi: float = 0.95
    material_correlation: float = 0.10
    center_bias: bool = True


@dataclass
class ErrorModel:
    """A fitted forecast-error model.  Frames:

    levels : ``queue, market, lead_week, weeks, mean_log_error, raw_sd, noise_sd, level_sd, bias``
        (raw_sd: sd of the weekly log errors; noise_sd: the part the interval noise explains;
        level_sd, bias: what paths use, after shrinkage)
    noise : ``queue, market, intervals, bursts, alpha, phi``
    correlation : ``scope, market, pairs, estimate, se, used`` (scope ``within_market`` per
        market and pooled (``*``), ``across_markets``)
    """

    config: ErrorConfig
    levels: pd.DataFrame
    noise: pd.DataFrame
    correlation: pd.DataFrame
    within_market: float
    across_markets: float
    pooled: dict = field(default_factory=dict)
    origins: list = field(default_factory=list)

    def level(self, queue: str, market: str, lead_week: int) -> tuple[float, float]:
        """(bias, level_sd) of a pair's weekly log level error; pooled for an unseen pair;
        lead weeks beyond those fitted use the last one fitted."""
        rows = self.levels[(self.levels["queue"] == queue) & (self.levels["market"] == market)]
        if len(rows):
            row = rows.iloc[(rows["lead_week"] - min(lead_week, rows["lead_week"].max())).abs().argmin()]
            bias, sd = float(row["bias"]), float(row["level_sd"])
        else:
            leads = self.pooled["levels"]
            bias, sd = leads[min(lead_week, max(leads))]
        return (bias if self.config.center_bias else 0.0), sd

    def interval_noise(self, queue: str, market: str) -> tuple[float, float]:
        """(alpha, phi) of a pair's interval noise; pooled for an unseen pair."""
        rows = self.noise[(self.noise["queue"] == queue) & (self.noise["market"] == market)]
        if len(rows):
            return float(rows["alpha"].iloc[0]), float(rows["phi"].iloc[0])
        return self.pooled["alpha"], self.pooled["phi"]

    def sample_paths(self, forecast: pd.DataFrame, n: int = 200, seed: int = 0) -> pd.DataFrame:
        """``path, timestamp, queue, market, volume``: n volume paths (see :mod:`forecasts.errors.paths`)."""
        from forecasts.errors.paths import sample_paths

        return sample_paths(self, forecast, n, seed)


def weekly_errors(backtest: pd.DataFrame) -> pd.DataFrame:
    """``origin, queue, market, lead_week, intervals, forecast, actual, log_error`` per pair-week.

    Weeks with a missing actual interval, or a non-positive forecast or actual total (the
    log ratio is undefined), are left out.
    """
    frame = backtest.assign(missing=backtest["actual"].isna())
    weeks = frame.groupby(WEEK_KEY, as_index=False).agg(
        intervals=("forecast", "size"), missing=("missing", "sum"),
        forecast=("forecast", "sum"), actual=("actual", "sum"))
    ok = (weeks["missing"] == 0) & (weeks["forecast"] > 0) & (weeks["actual"] > 0)
    weeks = weeks[ok].drop(columns="missing").reset_index(drop=True)
    weeks["log_error"] = np.log(weeks["actual"] / weeks["forecast"])
    return weeks


def _noise_moments(y: np.ndarray, m: np.ndarray, same_week_next: np.ndarray, cfg: ErrorConfig):
    """alpha, phi and the burst count of one pair from its intervals (moment estimators)."""
    r = y - m
    denominator = float(np.sum(m ** 2))
    if denominator <= 0:
        return 0.0, 0.0, 0
    alpha = max(float(np.sum(r ** 2 - m)) / denominator, 0.0)
    z = r / np.sqrt(np.maximum(m + alpha * m ** 2, 1e-12))
    keep = np.abs(z) <= cfg.burst_z
    bursts = int((~keep).sum())
    if keep.any():
        alpha = max(float(np.sum(r[keep] ** 2 - m[keep])) / max(float(np.sum(m[keep] ** 2)), 1e-12), 0.0)
    phi = 0.0
    pair_ok = same_week_next & keep[:-1] & keep[1:]
    if alpha > 0 and pair_ok.any():
        # Cov(lambda_t, lambda_t+1) = m_t m_t+1 (exp(phi s^2) - 1), s^2 = log(1 + alpha)
        c = float(np.sum(r[:-1][pair_ok] * r[1:][pair_ok])) / float(np.sum(m[:-1][pair_ok] * m[1:][pair_ok]))
        phi = float(np.clip(np.log1p(max(c, 0.0)) / np.log1p(alpha), 0.0, cfg.max_phi))
    return alpha, phi, bursts


def week_noise_variance(m: np.ndarray, alpha: float, phi: float) -> float:
    """Var of a week's total given its level: Poisson plus the AR(1) lognormal noise [items^2].

    sum(m) + sum_t sum_s m_t m_s (exp(s^2 phi^|t-s|) - 1), with s^2 = log(1 + alpha).
    """
    s2 = np.log1p(alpha)
    total = float(np.sum(m)) + float(np.expm1(s2) * np.sum(m ** 2))
    if s2 > 0 and phi > 0:
        for k in range(1, len(m)):
            weight = np.expm1(s2 * phi ** k)
            if weight < 1e-9:
                break
            total += 2 * weight * float(np.dot(m[:-k], m[k:]))
    return total


def _shrink(values: np.ndarray, counts: np.ndarray, pooled: float, prior: float) -> np.ndarray:
    return (counts * values + prior * pooled) / (counts + prior)


def _pooled_correlation(dev: pd.DataFrame, sd: pd.Series, pairs: list[tuple], markets: dict,
                        same_market: bool, only_market: str | None = None) -> tuple[float, int]:
    """Average cross product of de-meaned errors over pairs, over the product of level sds."""
    num = den = 0.0
    count = 0
    for i, a in enumerate(pairs):
        for b in pairs[i + 1:]:
            if (markets[a] == markets[b]) != same_market:
                continue
            if only_market is not None and markets[a] != only_market:
                continue
            both = dev[a].notna() & dev[b].notna()
            k = int(both.sum())
            if k < 3:
                continue
            num += float(np.sum(dev[a][both] * dev[b][both])) / (k - 1)
            den += float(sd[a] * sd[b])
            count += 1
    return (num / den if den > 0 else 0.0), count


def _correlation(weeks: pd.DataFrame, sd: pd.Series, markets: dict, same_market: bool,
                 only_market: str | None = None) -> tuple[float, float, int]:
    """Estimate and jackknife-over-origins standard error of a pooled correlation."""
    dev = weeks.pivot_table(index="origin", columns=PAIR, values="log_error")
    dev = dev - dev.mean()
    pairs = list(dev.columns)
    estimate, count = _pooled_correlation(dev, sd, pairs, markets, same_market, only_market)
    if count == 0:
        return 0.0, float("nan"), 0
    origins = list(dev.index)
    if len(origins) < 4:
        return estimate, float("nan"), count
    drops = []
    for origin in origins:
        rest = weeks[weeks["origin"] != origin].pivot_table(index="origin", columns=PAIR, values="log_error")
        rest = rest - rest.mean()
        drops.append(_pooled_correlation(rest, sd, list(rest.columns), markets, same_market, only_market)[0])
    drops = np.array(drops)
    se = float(np.sqrt((len(drops) - 1) / len(drops) * np.sum((drops - drops.mean()) ** 2)))
    return estimate, se, count


def fit_error_model(backtest: pd.DataFrame, config: ErrorConfig | None = None,
                    before: pd.Timestamp | None = None) -> ErrorModel:
    """Fit the error model on a backtest frame (:func:`forecasts.errors.rolling_backtest`).

    before : use only the origins whose test weeks end at or before this time (the model
        a planner would have had at that moment; nothing later enters).
    """
    cfg = config or ErrorConfig()
    frame = backtest.copy()
    if before is not None:
        before = pd.Timestamp(before).tz_convert("UTC")
        last = frame.groupby("origin")["timestamp"].transform("max")
        step = _step(frame)
        frame = frame[last + step <= before]
    if frame.empty:
        raise ValueError("the backtest has no complete week to learn forecast error from")
    weeks = weekly_errors(frame)
    if weeks.empty:
        raise ValueError("the backtest has no week with positive forecast and actual totals")
    frame = frame.merge(weeks[WEEK_KEY + ["forecast", "actual"]].rename(
        columns={"forecast": "week_forecast", "actual": "week_actual"}), on=WEEK_KEY, how="inner")
    frame = frame.sort_values(WEEK_KEY + ["timestamp"], ignore_index=True)
    frame["m"] = frame["forecast"] * frame["week_actual"] / frame["week_forecast"]
    frame["week_id"] = frame.groupby(WEEK_KEY, sort=False).ngroup()

    noise_rows, noise_var = [], {}
    for (queue, market), rows in frame.groupby(PAIR, sort=True):
        key = rows["week_id"].to_numpy()
        alpha, phi, bursts = _noise_moments(rows["actual"].to_numpy(float), rows["m"].to_numpy(float),
                                            key[:-1] == key[1:], cfg)
        noise_rows.append({"queue": queue, "market": market, "intervals": len(rows), "bursts": bursts,
                           "alpha": alpha, "phi": phi})
        for (origin, lead), week in rows.groupby(["origin", "lead_week"]):
            m = week["m"].to_numpy(float)
            noise_var[(origin, queue, market, lead)] = week_noise_variance(m, alpha, phi) / m.sum() ** 2
    noise = pd.DataFrame(noise_rows, columns=NOISE_COLUMNS)
    weeks["noise_var"] = [noise_var[(o, q, mk, k)] for o, q, mk, k in weeks[WEEK_KEY].itertuples(index=False)]

    level_rows, pooled_levels = [], {}
    for lead, group in weeks.groupby("lead_week"):
        stats = group.groupby(PAIR).agg(weeks=("log_error", "size"), mean_log_error=("log_error", "mean"),
                                        raw_var=("log_error", "var"), noise_var=("noise_var", "mean"))
        stats["raw_var"] = stats["raw_var"].fillna(0.0)
        df = (stats["weeks"] - 1).clip(lower=0).to_numpy(float)
        level_var = (stats["raw_var"] - stats["noise_var"]).to_numpy(float)
        pooled_var = float(np.sum(df * level_var) / df.sum()) if df.sum() > 0 else cfg.min_level_sd ** 2
        pooled_var = max(pooled_var, cfg.min_level_sd ** 2)
        pooled_bias = float(np.average(stats["mean_log_error"], weights=stats["weeks"]))
        var = np.maximum(_shrink(level_var, df, pooled_var, cfg.prior_weeks), cfg.min_level_sd ** 2)
        bias = _shrink(stats["mean_log_error"].to_numpy(float), stats["weeks"].to_numpy(float), pooled_bias,
                       cfg.prior_weeks)
        pooled_levels[int(lead)] = (pooled_bias, float(np.sqrt(pooled_var)))
        for (queue, market), row, v, b in zip(stats.index, stats.itertuples(index=False), var, bias):
            level_rows.append({"queue": queue, "market": market, "lead_week": int(lead), "weeks": int(row.weeks),
                               "mean_log_error": row.mean_log_error, "raw_sd": float(np.sqrt(row.raw_var)),
                               "noise_sd": float(np.sqrt(row.noise_var)), "level_sd": float(np.sqrt(v)),
                               "bias": float(b)})
    levels = pd.DataFrame(level_rows, columns=LEVEL_COLUMNS)

    first = weeks[weeks["lead_week"] == weeks["lead_week"].min()]
    sd = levels[levels["lead_week"] == weeks["lead_week"].min()].set_index(PAIR)["level_sd"]
    markets = {pair: pair[1] for pair in sd.index}
    rows = []
    within, se_w, n_w = _correlation(first, sd, markets, same_market=True)
    rows.append({"scope": "within_market", "market": "*", "pairs": n_w, "estimate": within, "se": se_w})
    for market in sorted(set(markets.values())):
        est, se, count = _correlation(first, sd, markets, True, market)
        if count:
            rows.append({"scope": "within_market", "market": market, "pairs": count, "estimate": est, "se": se})
    across, se_a, n_a = _correlation(first, sd, markets, same_market=False)
    rows.append({"scope": "across_markets", "market": "*", "pairs": n_a, "estimate": across, "se": se_a})
    used_within = float(np.clip(within, 0.0, 0.95))
    material = across >= cfg.material_correlation and np.isfinite(se_a) and across >= 2 * se_a
    used_across = float(np.clip(across, 0.0, 0.95)) if material else 0.0
    used_within = max(used_within, used_across)  # the one-factor structure needs within >= across
    correlation = pd.DataFrame(rows, columns=CORRELATION_COLUMNS[:-1])
    correlation["used"] = np.where(correlation["market"] != "*", np.nan,
                                   np.where(correlation["scope"] == "within_market", used_within, used_across))

    pooled = {"levels": pooled_levels, "alpha": float(noise["alpha"].median()), "phi": float(noise["phi"].median())}
    return ErrorModel(cfg, levels, noise, correlation, used_within, used_across, pooled,
                      sorted(pd.to_datetime(weeks["origin"].unique(), utc=True)))


def _step(frame: pd.DataFrame) -> pd.Timedelta:
    stamps = frame["timestamp"].drop_duplicates().sort_values()
    diffs = stamps.diff().dropna()
    return diffs.mode().iloc[0] if len(diffs) else pd.Timedelta(minutes=30)
