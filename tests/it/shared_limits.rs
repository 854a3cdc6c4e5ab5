//! Several app nodes on one database behave as one service: the rate limits per client, per
//! desk and per signing-in address are shared through PostgreSQL or Redis, so a second node
//! does not hand out a second allowance (issue #9, point 2).

use sipas::config::{RateLimit, RateStore};
use sipas::domain::DeskToken;

use crate::helpers::{sid, Browser, TestApp};

/// Posts a rating to `base` from `ip` (through the trusted proxy header); the status.
fn rate(app: &TestApp, base: &str, token: &str, ip: &str) -> u16 {
    let sid = sid();
    app.http
        .post(format!("{base}/q/{token}"))
        .header("x-forwarded-for", ip)
        .form(&[("submission_id", sid.as_str()), ("a.F1", "5")])
        .send()
        .unwrap()
        .status()
        .as_u16()
}

/// The first node of two (the caller adds the second with `another_node`) with the given store
/// and a random secret (so shared buckets of other test runs,
/// named by keyed hashes, are never these).
fn first_of_two_nodes(store: RateStore) -> (TestApp, String) {
    let secret: String = (0..40).map(|_| format!("{:x}", rand_digit())).collect();
    let app = TestApp::spawn_with(|s| {
        s.rate_store = store;
        s.trust_proxy = true;
        s.secret = Some(secret.clone().into_bytes());
        s.rate_per_client = RateLimit {
            per_minute: 1.0,
            burst: 3,
        };
        s.rate_per_desk = RateLimit {
            per_minute: 1.0,
            burst: 5,
        };
        s.rate_login = RateLimit {
            per_minute: 1.0,
            burst: 2,
        };
    });
    let token = DeskToken {
        desk_id: app.fixture.desk_id,
        key_version: 1,
    }
    .sign(secret.as_bytes());
    (app, token)
}

fn rand_digit() -> u8 {
    (uuid::Uuid::new_v4().as_bytes()[0]) % 16
}

fn limits_are_shared(store: RateStore) {
    let (app, token) = first_of_two_nodes(store);
    let node_b = app.another_node();
    let nodes = [app.base.clone(), node_b.base.clone()];
    // One client, alternating nodes: the burst of 3 is spent once, not once per node.
    let one_client: Vec<u16> = (0..5)
        .map(|i| rate(&app, &nodes[i % 2], &token, "203.0.113.7"))
        .collect();
    assert_eq!(one_client, [200, 200, 200, 429, 429]);
    // Other clients on the same desk: the desk's burst of 5 (3 spent) leaves 2, whatever node.
    let others: Vec<u16> = (0..4)
        .map(|i| rate(&app, &nodes[i % 2], &token, &format!("198.51.100.{i}")))
        .collect();
    assert_eq!(others, [200, 200, 429, 429]);
    assert_eq!(app.responses(), 5);

    // Sign-in attempts per address: 2 in all, across both nodes.
    let attempts: Vec<u16> = (0..3)
        .map(|i| {
            let b = Browser::at(&nodes[i % 2]);
            b.sign_in("nobody.here", "a wrong password!")
                .status()
                .as_u16()
        })
        .collect();
    assert_eq!(attempts, [401, 401, 429]);
}

#[test]
fn two_nodes_share_their_limits_through_postgresql() {
    limits_are_shared(RateStore::Postgres);
}

#[test]
fn two_nodes_share_their_limits_through_redis() {
    let url = std::env::var("SIPAS_TEST_REDIS").unwrap_or_else(|_| "redis://127.0.0.1:6379".into());
    limits_are_shared(RateStore::Redis(url));
}

#[test]
fn the_postgresql_buckets_hold_no_client_address() {
    let (app, token) = first_of_two_nodes(RateStore::Postgres);
    let _node_b = app.another_node();
    assert_eq!(rate(&app, &app.base, &token, "203.0.113.99"), 200);
    assert!(app.db.count("SELECT count(*) AS n FROM rate_buckets") >= 2);
    assert_eq!(
        app.db.count(
            "SELECT count(*) AS n FROM rate_buckets \
             WHERE position('203.0.113.99'::bytea IN key) > 0"
        ),
        0
    );
}

/// A bucket's name, computed here independently of the service: HMAC-SHA-256 under the
/// service's secret of the domain, a zero byte and the subject, cut to 16 bytes.
fn keyed_name(secret: &str, subject: &str) -> Vec<u8> {
    use hmac::Mac;
    let mut mac = hmac::Hmac::<sha2::Sha256>::new_from_slice(secret.as_bytes()).unwrap();
    mac.update(b"sipas/rate-bucket/v1");
    mac.update(&[0]);
    mac.update(subject.as_bytes());
    mac.finalize().into_bytes()[..16].to_vec()
}

fn unkeyed_name(subject: &str) -> Vec<u8> {
    use sha2::Digest;
    sha2::Sha256::digest(subject.as_bytes())[..16].to_vec()
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// The buckets are named by a *keyed* hash: without the secret, nobody holding the table or
/// the Redis keys can test a guessed address against them.
#[test]
fn the_postgresql_buckets_are_named_by_the_keyed_hash_of_their_subject() {
    let (app, token) = first_of_two_nodes(RateStore::Postgres);
    let secret = String::from_utf8(app.settings.secret.clone().unwrap()).unwrap();
    assert_eq!(rate(&app, &app.base, &token, "203.0.113.42"), 200);
    let stored = |name: &[u8]| {
        app.db.count(&format!(
            "SELECT count(*) AS n FROM rate_buckets WHERE key = '\\x{}'::bytea",
            hex(name)
        ))
    };
    for subject in [
        "client:203.0.113.42".to_owned(),
        format!("desk:{}", app.fixture.desk_id),
    ] {
        assert_eq!(stored(&keyed_name(&secret, &subject)), 1, "{subject}");
        assert_eq!(stored(&unkeyed_name(&subject)), 0, "{subject}");
    }
}

#[test]
fn the_redis_buckets_are_named_by_the_keyed_hash_of_their_subject() {
    let url = std::env::var("SIPAS_TEST_REDIS").unwrap_or_else(|_| "redis://127.0.0.1:6379".into());
    let (app, token) = first_of_two_nodes(RateStore::Redis(url.clone()));
    let secret = String::from_utf8(app.settings.secret.clone().unwrap()).unwrap();
    assert_eq!(rate(&app, &app.base, &token, "203.0.113.43"), 200);
    let mut redis = redis::Client::open(url).unwrap().get_connection().unwrap();
    let exists = |r: &mut redis::Connection, name: &[u8]| -> bool {
        redis::cmd("EXISTS")
            .arg(format!("sipas:rate:{}", hex(name)))
            .query::<i64>(r)
            .unwrap()
            == 1
    };
    for subject in [
        "client:203.0.113.43".to_owned(),
        format!("desk:{}", app.fixture.desk_id),
    ] {
        assert!(
            exists(&mut redis, &keyed_name(&secret, &subject)),
            "{subject}"
        );
        assert!(!exists(&mut redis, &unkeyed_name(&subject)), "{subject}");
    }
}
