use super::*;

fn lookup(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
    let owned: Vec<(String, String)> = pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    move |key| owned.iter().find(|(k, _)| k == key).map(|(_, v)| v.clone())
}

#[test]
fn the_rate_store_is_memory_unless_shared_and_a_redis_url_means_redis() {
    let store = |pairs: &[(&str, &str)]| Settings::from_lookup(lookup(pairs)).map(|s| s.rate_store);
    assert_eq!(store(&[]).unwrap(), RateStore::Memory);
    assert_eq!(
        store(&[("SIPAS_RATE_STORE", "postgres")]).unwrap(),
        RateStore::Postgres
    );
    assert_eq!(
        store(&[("SIPAS_REDIS_URL", "redis://127.0.0.1:6379")]).unwrap(),
        RateStore::Redis("redis://127.0.0.1:6379".into())
    );
    for (pairs, says) in [
        (
            &[("SIPAS_RATE_STORE", "redis")][..],
            "needs SIPAS_REDIS_URL",
        ),
        (&[("SIPAS_RATE_STORE", "mem")][..], "not 'mem'"),
        (&[("SIPAS_REDIS_URL", "http://x")][..], "redis://"),
        (
            &[
                ("SIPAS_REDIS_URL", "redis://x"),
                ("SIPAS_RATE_STORE", "postgres"),
            ][..],
            "is not 'redis'",
        ),
    ] {
        let err = store(pairs).unwrap_err().to_string();
        assert!(err.contains(says), "{pairs:?}: {err}");
    }
    let s = Settings::from_lookup(lookup(&[("SIPAS_REDIS_URL", "redis://:hunter2@r:6379")]));
    assert!(
        !format!("{:?}", s.unwrap()).contains("hunter2"),
        "the URL's password is never printed"
    );
}

#[test]
fn production_requires_a_secret_and_a_database() {
    let err = Settings::from_lookup(lookup(&[("SIPAS_ENV", "production")])).unwrap_err();
    assert!(err.to_string().contains("SIPAS_SECRET"));
    let ok = Settings::from_lookup(lookup(&[
        ("SIPAS_ENV", "production"),
        ("SIPAS_SECRET", "0123456789abcdef0123456789abcdef"),
        ("DATABASE_URL", "postgres://db/sipas"),
    ]))
    .unwrap();
    assert_eq!(ok.mode, Mode::Production);
}

#[test]
fn rates_parse_with_and_without_burst() {
    assert_eq!(
        parse_rate("X", "20/min").unwrap(),
        RateLimit {
            per_minute: 20.0,
            burst: 20
        }
    );
    assert_eq!(
        parse_rate("X", "600/min,burst=50").unwrap(),
        RateLimit {
            per_minute: 600.0,
            burst: 50
        }
    );
    assert!(parse_rate("X", "fast").is_err());
    assert!(parse_rate("X", "0/min").is_err());
}

#[test]
fn the_secret_never_appears_in_debug_output() {
    let s = Settings::from_lookup(lookup(&[(
        "SIPAS_SECRET",
        "supersecretsupersecretsupersecret1",
    )]))
    .unwrap();
    assert!(!format!("{s:?}").contains("supersecret"));
}

#[test]
fn a_receipt_lasts_thirty_days_unless_set_between_one_and_365() {
    let days =
        |pairs: &[(&str, &str)]| Settings::from_lookup(lookup(pairs)).map(|s| s.receipt_days);
    assert_eq!(days(&[]).unwrap(), 30);
    assert_eq!(days(&[("SIPAS_RECEIPT_DAYS", "7")]).unwrap(), 7);
    assert_eq!(days(&[("SIPAS_RECEIPT_DAYS", "365")]).unwrap(), 365);
    for bad in ["0", "366", "-1", "30d", "７"] {
        let err = days(&[("SIPAS_RECEIPT_DAYS", bad)])
            .unwrap_err()
            .to_string();
        assert!(err.contains("SIPAS_RECEIPT_DAYS"), "{bad}: {err}");
    }
}

#[test]
fn screening_is_on_unless_switched_off_and_its_thresholds_are_bounded() {
    let screening =
        |pairs: &[(&str, &str)]| Settings::from_lookup(lookup(pairs)).map(|s| s.screening);
    let default = screening(&[]).unwrap();
    assert!(default.enabled);
    assert_eq!((default.min_fill_seconds, default.burst_alpha), (5, 0.001));
    assert_eq!(default.client_max_per_day, 3);
    assert!(!screening(&[("SIPAS_SCREENING", "off")]).unwrap().enabled);
    let set = screening(&[
        ("SIPAS_SCREENING", "on"),
        ("SIPAS_MIN_FILL_SECONDS", "8"),
        ("SIPAS_BURST_ALPHA", "0.0001"),
    ])
    .unwrap();
    assert!(set.enabled);
    assert_eq!((set.min_fill_seconds, set.burst_alpha), (8, 0.0001));
    for (key, bad) in [
        ("SIPAS_SCREENING", "yes"),
        ("SIPAS_MIN_FILL_SECONDS", "0"),
        ("SIPAS_MIN_FILL_SECONDS", "121"),
        ("SIPAS_BURST_ALPHA", "0"),
        ("SIPAS_BURST_ALPHA", "0.2"),
        ("SIPAS_BURST_ALPHA", "NaN"),
        ("SIPAS_CLIENT_MAX_PER_DAY", "0"),
        ("SIPAS_CLIENT_MAX_PER_DAY", "3.5"),
    ] {
        let err = screening(&[(key, bad)]).unwrap_err().to_string();
        assert!(err.contains(key), "{key}={bad}: {err}");
    }
}

#[test]
fn the_default_opening_hours_are_checked_when_read() {
    let hours = |v: &str| {
        Settings::from_lookup(lookup(&[("SIPAS_OPENING_HOURS", v)]))
            .map(|s| s.screening.default_hours)
    };
    assert_eq!(
        Settings::from_lookup(lookup(&[]))
            .unwrap()
            .screening
            .default_hours,
        "T2-T7 07:00-17:30"
    );
    assert_eq!(hours(" T2-T6 07:30-17:00 ").unwrap(), "T2-T6 07:30-17:00");
    let err = hours("T2-T6 7h30-17h").unwrap_err().to_string();
    assert!(
        err.contains("SIPAS_OPENING_HOURS") && err.contains("7h30-17h"),
        "{err}"
    );
}

#[test]
fn metrics_are_off_until_given_an_address_of_their_own() {
    let metrics =
        |pairs: &[(&str, &str)]| Settings::from_lookup(lookup(pairs)).map(|s| s.metrics_bind);
    assert_eq!(metrics(&[]).unwrap(), None);
    assert_eq!(
        metrics(&[("SIPAS_METRICS_BIND", "127.0.0.1:9090")]).unwrap(),
        Some("127.0.0.1:9090".parse().unwrap())
    );
    let same = metrics(&[
        ("SIPAS_BIND", "127.0.0.1:8080"),
        ("SIPAS_METRICS_BIND", "127.0.0.1:8080"),
    ])
    .unwrap_err()
    .to_string();
    assert!(same.contains("must differ from SIPAS_BIND"), "{same}");
    let bad = metrics(&[("SIPAS_METRICS_BIND", "cổng 9090")])
        .unwrap_err()
        .to_string();
    assert!(bad.contains("SIPAS_METRICS_BIND"), "{bad}");
}
