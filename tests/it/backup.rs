//! `scripts/backup` and `scripts/restore`: a dump restored into a fresh database serves the same
//! published numbers with the same snapshot hashes, and a restore never merges into a database
//! that holds data (issue #9, point 7).

use std::path::Path;
use std::process::Command;

use crate::helpers::{add_user, store_rating_on, Browser, Node, TempDir, TestApp, TestDb};
use sipas::domain::Role;

fn script(name: &str) -> Command {
    Command::new(
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("scripts")
            .join(name),
    )
}

fn get(base: &str, path: &str) -> (u16, Vec<u8>) {
    let r = reqwest::blocking::get(format!("{base}{path}")).unwrap();
    (r.status().as_u16(), r.bytes().unwrap().to_vec())
}

#[test]
fn a_restored_backup_serves_the_same_publications_and_hashes() {
    let app = TestApp::spawn();
    add_user(&app.db, "snv.admin", Role::Admin, None);
    let admin = Browser::signed_in(&app, "snv.admin");
    for (day, f1) in [("2026-09-10", 5), ("2026-10-12", 4), ("2026-10-13", 2)] {
        for _ in 0..35 {
            store_rating_on(&app.db, app.fixture.desk_id, day, &[("F1", Some(f1))]);
        }
    }
    for (from, to) in [("2026-09-01", "2026-09-30"), ("2026-10-01", "2026-10-31")] {
        let csrf = admin.csrf();
        let r = admin.post(
            "/admin/publications",
            &[
                ("csrf", csrf.as_str()),
                ("from", from),
                ("to", to),
                ("confirm", "yes"),
            ],
        );
        assert_eq!(r.status(), 303);
    }
    let pages = [
        "/public",
        "/public/1",
        "/public/2",
        "/public/1/snapshot.json",
        "/public/2/snapshot.json",
    ];
    let before: Vec<(u16, Vec<u8>)> = pages.iter().map(|p| get(&app.base, p)).collect();
    assert!(before.iter().all(|(status, _)| *status == 200));
    assert!(String::from_utf8_lossy(&before[0].1).contains("nguyên vẹn"));

    let dir = TempDir::new("backup");
    let dump = dir.join("sipas.dump");
    let out = script("backup")
        .arg(&dump)
        .env("DATABASE_URL", &app.db.url)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let said = String::from_utf8_lossy(&out.stdout);
    assert!(
        said.contains("backup:") && said.contains("sha256"),
        "{said}"
    );

    let fresh = TestDb::empty();
    let out = script("restore")
        .arg(&dump)
        .arg(&fresh.url)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        String::from_utf8_lossy(&out.stdout).contains("105 responses, 2 publications"),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );

    // A second node on the restored database (the original stopped mattering).
    let mut settings = app.settings.clone();
    settings.database_url = Some(fresh.url.clone());
    let restored = Node::start(settings);
    let after: Vec<(u16, Vec<u8>)> = pages.iter().map(|p| get(&restored.base, p)).collect();
    for ((page, b), a) in pages.iter().zip(&before).zip(&after) {
        assert_eq!(b, a, "{page} is the same byte for byte");
    }
    let stored = |db: &TestDb| {
        db.count("SELECT count(*) AS n FROM publications p1 JOIN publications p2 ON p2.previous_sha256 = p1.sha256")
    };
    assert_eq!(stored(&fresh), 1, "the chain is restored");

    // Restoring again into a database that now holds data is refused, and changes nothing.
    let again = script("restore")
        .arg(&dump)
        .arg(&fresh.url)
        .output()
        .unwrap();
    assert!(!again.status.success());
    assert!(String::from_utf8_lossy(&again.stderr).contains("restore into a new, empty one"));
    assert_eq!(fresh.count("SELECT count(*) AS n FROM publications"), 2);
}
