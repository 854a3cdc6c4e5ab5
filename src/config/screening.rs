//! How ratings without a receipt are screened: the settings of `ingest::screening`.

use anyhow::{bail, Context, Result};

/// How ratings without a receipt are screened (issue #19, point 4).
#[derive(Clone, Debug, PartialEq)]
pub struct Screening {
    /// `SIPAS_SCREENING` (`on` by default; `off` counts every rating as it comes).
    pub enabled: bool,
    /// A form sent sooner than this after it was shown is held (`SIPAS_MIN_FILL_SECONDS`).
    pub min_fill_seconds: u32,
    /// A desk's count in ten minutes whose upper tail under its own history is below this is
    /// a burst (`SIPAS_BURST_ALPHA`).
    pub burst_alpha: f64,
    /// More ratings than this from one device at one desk in one day are held
    /// (`SIPAS_CLIENT_MAX_PER_DAY`).
    pub client_max_per_day: u32,
    /// The opening hours of a desk that has none of its own (`SIPAS_OPENING_HOURS`, checked by
    /// `domain::opening_hours`).
    pub default_hours: String,
}

impl Default for Screening {
    fn default() -> Screening {
        Screening {
            enabled: true,
            min_fill_seconds: 5,
            burst_alpha: 0.001,
            client_max_per_day: 3,
            default_hours: crate::domain::opening_hours::DEFAULT.to_owned(),
        }
    }
}

impl Screening {
    /// From the environment (`nonempty` gives a variable's value when it has one).
    pub(super) fn read(nonempty: &dyn Fn(&str) -> Option<String>) -> Result<Screening> {
        let mut s = Screening::default();
        if let Some(v) = nonempty("SIPAS_SCREENING") {
            s.enabled = match v.as_str() {
                "on" => true,
                "off" => false,
                other => bail!("SIPAS_SCREENING must be 'on' or 'off', not '{other}'"),
            };
        }
        if let Some(v) = nonempty("SIPAS_MIN_FILL_SECONDS") {
            s.min_fill_seconds = v.parse().ok().filter(|n| (1..=120).contains(n)).context(
                "SIPAS_MIN_FILL_SECONDS must be a whole number of seconds from 1 to 120",
            )?;
        }
        if let Some(v) = nonempty("SIPAS_BURST_ALPHA") {
            s.burst_alpha = v
                .parse()
                .ok()
                .filter(|a: &f64| *a > 0.0 && *a <= 0.05)
                .context("SIPAS_BURST_ALPHA must be a probability above 0 and at most 0.05")?;
        }
        if let Some(v) = nonempty("SIPAS_CLIENT_MAX_PER_DAY") {
            s.client_max_per_day = v.parse().ok().filter(|n| (1..=100).contains(n)).context(
                "SIPAS_CLIENT_MAX_PER_DAY must be a whole number of ratings from 1 to 100",
            )?;
        }
        if let Some(v) = nonempty("SIPAS_OPENING_HOURS") {
            if let Err(e) = crate::domain::opening_hours::OpeningHours::parse(&v) {
                bail!("SIPAS_OPENING_HOURS is not opening hours: {}", e.en);
            }
            s.default_hours = v.trim().to_owned();
        }
        Ok(s)
    }
}
