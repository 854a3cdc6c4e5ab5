//! The deployment files (issue #21, point 6): the systemd units are valid and hardened, and
//! the example settings are settings the service reads.

use std::path::Path;
use std::process::Command;

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// `systemd-analyze verify` and `security --offline` on a copy of `unit` that runs this build's
/// binary (verify refuses a unit whose program is missing); the exposure level it reports.
fn analyzed(unit: &str) -> f64 {
    let dir = crate::helpers::TempDir::new("units");
    let text = std::fs::read_to_string(root().join("deploy").join(unit))
        .unwrap()
        .replace("/usr/local/bin/sipas", env!("CARGO_BIN_EXE_sipas"));
    let copy = dir.0.join(unit);
    std::fs::write(&copy, text).unwrap();
    let verify = Command::new("systemd-analyze")
        .arg("verify")
        .arg(&copy)
        .output()
        .expect("systemd-analyze (Debian package systemd) is installed");
    let said = String::from_utf8_lossy(&verify.stderr);
    assert!(verify.status.success(), "{unit}: {said}");
    assert!(
        said.trim().is_empty(),
        "{unit}: no warning (an unknown key is only a warning): {said}"
    );
    let security = Command::new("systemd-analyze")
        .args(["security", "--offline=true"])
        .arg(&copy)
        .output()
        .unwrap();
    let out = String::from_utf8_lossy(&security.stdout);
    out.lines()
        .find_map(|l| l.split("exposure level for ").nth(1))
        .and_then(|rest| rest.split(':').nth(1))
        .and_then(|v| v.split_whitespace().next())
        .and_then(|v| v.parse().ok())
        .unwrap_or_else(|| panic!("{unit}: no exposure level in\n{out}"))
}

#[test]
fn the_systemd_units_are_valid_and_expose_little() {
    for unit in ["sipas.service", "sipas-worker.service"] {
        let exposure = analyzed(unit);
        // systemd's scale: 0 (locked down) to 10 (unprotected); "OK" is below 4.
        assert!(exposure <= 2.0, "{unit}: exposure {exposure}");
    }
}

#[test]
fn the_example_settings_are_read_by_sipas_check() {
    let text = std::fs::read_to_string(root().join("deploy/sipas.env.example")).unwrap();
    let mut cmd = crate::helpers::sipas();
    cmd.arg("check");
    for line in text
        .lines()
        .filter(|l| !l.starts_with('#') && l.contains('='))
    {
        let (key, value) = line.split_once('=').unwrap();
        cmd.env(key, value);
    }
    // Placeholders aside: a secret of the right length, and nothing listening at the services.
    let dead = crate::mail::free_port();
    cmd.env("SIPAS_SECRET", crate::helpers::SECRET)
        .env(
            "DATABASE_URL",
            format!("postgres://sipas@127.0.0.1:{dead}/sipas"),
        )
        .env("SIPAS_SMTP_HOST", "127.0.0.1")
        .env("SIPAS_SMTP_PORT", dead.to_string());
    let (code, out, err) = crate::helpers::run(&mut cmd, "");
    assert_eq!(code, Some(1), "{out}{err}");
    assert!(out.starts_with("configuration: ok"), "{out}{err}");
    assert!(
        out.contains("rate limits: ok: shared in PostgreSQL"),
        "{out}"
    );
}
