//! The deployment files (issue #21, point 6): the systemd units are valid and hardened, and
//! the example settings are settings the service reads.

use std::path::Path;
use std::process::Command;

use crate::helpers::TestApp;

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

/// The reverse-proxy example in front of a node: nginx with the file as written (ports,
/// certificate and log moved to a temporary directory) answers over TLS, passes its request id
/// to the node (which echoes it), keeps `/metrics` away from the public, redirects plain HTTP,
/// and logs the desk form's path by its pattern, never its token.
#[test]
fn nginx_in_front_of_a_node_passes_the_request_id_and_logs_no_token() {
    let app = TestApp::spawn_with(|s| s.trust_proxy = true);
    let dir = crate::helpers::TempDir::new("nginx");
    let d = dir.0.to_str().unwrap().to_owned();
    let made = Command::new("openssl")
        .args([
            "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
        ])
        .args(["-subj", "/CN=sipas.test", "-keyout"])
        .arg(format!("{d}/key.pem"))
        .arg("-out")
        .arg(format!("{d}/cert.pem"))
        .output()
        .expect("openssl");
    assert!(made.status.success());
    let (plain, tls) = (crate::mail::free_port(), crate::mail::free_port());
    let node_port = app.base.rsplit(':').next().unwrap().to_owned();
    let site = std::fs::read_to_string(root().join("deploy/nginx.conf"))
        .unwrap()
        .replace("listen 80;", &format!("listen 127.0.0.1:{plain};"))
        .replace("listen [::]:80;", "")
        .replace(
            "listen 443 ssl http2;",
            &format!("listen 127.0.0.1:{tls} ssl http2;"),
        )
        .replace("listen [::]:443 ssl http2;", "")
        .replace(
            "server 127.0.0.1:8080",
            &format!("server 127.0.0.1:{node_port}"),
        )
        .replace("/etc/ssl/sipas/fullchain.pem", &format!("{d}/cert.pem"))
        .replace("/etc/ssl/sipas/privkey.pem", &format!("{d}/key.pem"))
        .replace(
            "/var/log/nginx/sipas.access.log",
            &format!("{d}/access.log"),
        );
    std::fs::write(format!("{d}/sipas.conf"), site).unwrap();
    std::fs::write(
        format!("{d}/nginx.conf"),
        format!(
            "daemon off;\npid {d}/nginx.pid;\nerror_log {d}/error.log;\nevents {{}}\n\
             http {{\n client_body_temp_path {d}/body;\n proxy_temp_path {d}/proxy;\n include {d}/sipas.conf;\n}}\n"
        ),
    )
    .unwrap();
    let test = Command::new("nginx")
        .args(["-t", "-c", &format!("{d}/nginx.conf"), "-p", &d])
        .output()
        .expect("nginx (Debian package nginx-light; scripts/test installs it)");
    assert!(
        test.status.success(),
        "{}",
        String::from_utf8_lossy(&test.stderr)
    );
    let mut nginx = Command::new("nginx")
        .args(["-c", &format!("{d}/nginx.conf"), "-p", &d])
        .spawn()
        .unwrap();
    let started = std::time::Instant::now();
    while std::net::TcpStream::connect(("127.0.0.1", tls)).is_err() {
        assert!(started.elapsed().as_secs() < 10, "nginx did not start");
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    let curl = |url: &str| {
        let out = Command::new("curl")
            .args(["-sk", "-o", "/dev/null", "-D", "-", url])
            .output()
            .unwrap();
        String::from_utf8_lossy(&out.stdout).to_lowercase()
    };
    let token = app.token();
    let answer = curl(&format!("https://127.0.0.1:{tls}/q/{token}"));
    let metrics = curl(&format!("https://127.0.0.1:{tls}/metrics"));
    let redirect = curl(&format!("http://127.0.0.1:{plain}/q/{token}"));
    // SIGTERM to the master stops its workers too (SIGKILL would leave them running).
    let _ = Command::new("nginx")
        .args(["-s", "stop", "-c", &format!("{d}/nginx.conf"), "-p", &d])
        .output();
    let _ = nginx.wait();
    assert!(answer.starts_with("http/2 200"), "{answer}");
    let id = answer
        .lines()
        .find_map(|l| l.strip_prefix("x-request-id: "))
        .expect("the node echoes the proxy's request id")
        .trim()
        .to_owned();
    assert_eq!(id.len(), 32, "nginx's $request_id: {id}");
    assert!(metrics.starts_with("http/2 404"), "{metrics}");
    assert!(redirect.starts_with("http/1.1 301"), "{redirect}");
    let log = std::fs::read_to_string(format!("{d}/access.log")).unwrap();
    assert!(log.contains("GET /q/{token} 200"), "{log}");
    assert!(log.contains(&format!("id={id}")), "{log}");
    assert!(!log.contains(&token), "no token in the proxy's log: {log}");
}
