//! A short schemathesis run against `/api/openapi.json` of a running server
//! (`scripts/api-conformance`, issue #9 point 4): generated valid requests must be accepted,
//! invalid ones refused, and every answer must match the documented status codes, content
//! types and schemas, with no 5xx. The full run is the script with more examples.

use std::path::Path;
use std::process::Command;

#[test]
fn schemathesis_finds_no_difference_between_the_schema_and_the_server() {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("scripts/api-conformance");
    let out = Command::new(script)
        .args(["25", env!("CARGO_BIN_EXE_sipas")])
        .output()
        .unwrap();
    let said = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{said}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(said.contains("No issues found"), "{said}");
    let stored: u64 = said
        .lines()
        .find_map(|l| l.strip_prefix("api-conformance: the generated valid ratings stored: "))
        .and_then(|n| n.trim().parse().ok())
        .unwrap_or(0);
    assert!(
        stored > 0,
        "valid generated ratings reach the database: {said}"
    );
}
