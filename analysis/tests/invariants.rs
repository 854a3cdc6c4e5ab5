//! Architecture invariant 1 (ARCHITECTURE.md): the statistics crate stays pure.

#[test]
fn analysis_depends_on_no_database_web_async_or_mail_crate() {
    let manifest =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/Cargo.toml")).unwrap();
    let deps = manifest.split("[dev-dependencies]").next().unwrap();
    for forbidden in [
        "diesel", "actix", "tera", "lettre", "tokio", "reqwest", "sipas",
    ] {
        assert!(
            !deps.contains(forbidden),
            "analysis must not depend on {forbidden}"
        );
    }
}
