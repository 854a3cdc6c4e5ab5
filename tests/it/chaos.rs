//! The short version of `scripts/chaos-ingest` (issue #9, point 1): 20 seconds of ratings over
//! two nodes while PostgreSQL is restarted and paused and a node is killed; nothing
//! acknowledged may be missing, nothing stored twice, no answer a 500 or a hang.

use std::path::Path;
use std::process::Command;

#[test]
fn ratings_survive_a_database_restart_a_stall_and_a_killed_node() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let out = Command::new("python3")
        .arg(root.join("scripts/chaos_ingest.py"))
        .args(["--binary", env!("CARGO_BIN_EXE_sipas")])
        .args(["--seconds", "20", "--rate", "20"])
        .output()
        .unwrap();
    let said = String::from_utf8_lossy(&out.stdout);
    let complaints = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{said}\n{complaints}");
    for line in [
        "acknowledged-but-missing                     0",
        "stored-twice                                 0",
        "5xx other than 503                           0",
        "hangs past 10 s                              0",
        "RESULT: PASS",
    ] {
        assert!(said.contains(line), "{line:?} in\n{said}");
    }
}
