//! Test fixtures, one of each: a database per test (cloned from a migrated template), a server
//! per test on its own port, the `sipas` binary, temporary folders, hidden form fields, staff
//! sign-in, submission ids, and small helpers to read what landed in PostgreSQL.

use std::collections::hash_map::DefaultHasher;
use std::hash::{Hash, Hasher};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::OnceLock;
use std::thread::JoinHandle;

use diesel::prelude::*;
use diesel::sql_types::{BigInt, Text};
use sipas::config::{RateLimit, Settings};
use sipas::db;
use sipas::domain::Role;
use sipas::startup::Application;

pub const SECRET: &str = "test-secret-test-secret-test-secret-0123";

fn server_url() -> String {
    match std::env::var("SIPAS_TEST_SERVER") {
        Ok(url) if !url.is_empty() => url.trim_end_matches('/').to_owned(),
        _ => db::bootstrap::local_server().expect("a PostgreSQL server for the tests"),
    }
}

/// What builds the template decides its name: the migrations, the bundled seeds, and the code
/// that migrates and seeds (`db/`, `domain/`, `startup.rs`). Change any and a new one is built.
fn template_name() -> String {
    let mut h = DefaultHasher::new();
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut files: Vec<_> = walk(&root.join("migrations"));
    files.extend(walk(&root.join("seeds")));
    files.extend(walk(&root.join("src/db")));
    files.extend(walk(&root.join("src/domain")));
    files.push(root.join("src/startup.rs"));
    files.sort();
    for f in files {
        f.hash(&mut h);
        std::fs::read(&f).unwrap().hash(&mut h);
    }
    format!("sipas_tpl_{:016x}", h.finish())
}

pub fn walk(dir: &Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            out.extend(walk(&p));
        } else {
            out.push(p);
        }
    }
    out
}

#[derive(QueryableByName)]
pub struct CountRow {
    #[diesel(sql_type = BigInt)]
    pub n: i64,
}

#[derive(QueryableByName)]
struct NameRow {
    #[diesel(sql_type = Text)]
    name: String,
}

/// Drops what earlier runs left behind (a test killed before its `Drop`, templates of older
/// migrations), as crates.io's test-database crate does. Another checkout may be testing on
/// the same server at the same time with other migrations (CI runs in a clean clone while a
/// developer tests): its template has no connection between two clones, so "not in use" is
/// not enough. Every database is stamped with its creation time, and only those older than a
/// run can last (and unconnected) are dropped.
fn drop_stale_databases(admin: &mut PgConnection, current_template: &str) {
    let stale: Vec<NameRow> = diesel::sql_query(
        "SELECT datname::text AS name FROM pg_database d \
         WHERE (datname LIKE 'sipas\\_t\\_%' OR datname LIKE 'sipas\\_tpl\\_%') AND datname <> $1 \
           AND NOT EXISTS (SELECT 1 FROM pg_stat_activity a WHERE a.datname = d.datname) \
           AND coalesce(substring(shobj_description(d.oid, 'pg_database') FROM '^sipas-test ([0-9]+)$')::bigint, 0) \
               < extract(epoch FROM now())::bigint - 4 * 3600",
    )
    .bind::<Text, _>(current_template)
    .load(admin)
    .unwrap();
    for db in stale {
        // Someone may connect in between: then it is not stale, and the drop fails harmlessly.
        let _ =
            diesel::sql_query(format!("DROP DATABASE IF EXISTS \"{}\"", db.name)).execute(admin);
    }
}

/// Stamps a test database with its creation time (see `drop_stale_databases`).
fn stamp(admin: &mut PgConnection, name: &str) {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    diesel::sql_query(format!("COMMENT ON DATABASE {name} IS 'sipas-test {now}'"))
        .execute(admin)
        .unwrap();
}

/// Builds the template once per machine and migrations version (safe across test processes).
fn template() -> &'static str {
    static NAME: OnceLock<String> = OnceLock::new();
    NAME.get_or_init(|| {
        let name = template_name();
        let server = server_url();
        let mut admin = db::connect(&format!("{server}/postgres")).unwrap();
        diesel::sql_query("SELECT pg_advisory_lock(727001)")
            .execute(&mut admin)
            .unwrap();
        drop_stale_databases(&mut admin, &name);
        let exists = diesel::sql_query("SELECT count(*) AS n FROM pg_database WHERE datname = $1")
            .bind::<Text, _>(&name)
            .get_result::<CountRow>(&mut admin)
            .unwrap()
            .n
            > 0;
        if !exists {
            let building = format!("{name}_building");
            diesel::sql_query(format!("DROP DATABASE IF EXISTS {building} WITH (FORCE)"))
                .execute(&mut admin)
                .unwrap();
            let mut settings = Settings::local();
            settings.database_url = Some(format!("{server}/{building}"));
            settings.secret = Some(SECRET.as_bytes().to_vec());
            sipas::startup::prepare_database(&settings).unwrap();
            diesel::sql_query(format!("ALTER DATABASE {building} RENAME TO {name}"))
                .execute(&mut admin)
                .unwrap();
            stamp(&mut admin, &name);
        }
        diesel::sql_query("SELECT pg_advisory_unlock(727001)")
            .execute(&mut admin)
            .unwrap();
        name
    })
}

/// A database of its own for one test; dropped when the test ends.
pub struct TestDb {
    pub url: String,
    name: String,
    server: String,
}

impl TestDb {
    pub fn new() -> TestDb {
        let template = template();
        let server = server_url();
        let name = format!("sipas_t_{}", uuid::Uuid::new_v4().simple());
        let mut admin = db::connect(&format!("{server}/postgres")).unwrap();
        let mut tries = 0;
        loop {
            match diesel::sql_query(format!("CREATE DATABASE {name} TEMPLATE {template}"))
                .execute(&mut admin)
            {
                Ok(_) => {
                    stamp(&mut admin, &name);
                    break;
                }
                // Two clones of one template at the same instant can collide; try again.
                Err(e) if tries < 20 => {
                    tries += 1;
                    let _ = e;
                    std::thread::sleep(std::time::Duration::from_millis(50 * tries));
                }
                Err(e) => panic!("cannot create the test database: {e}"),
            }
        }
        TestDb {
            url: format!("{server}/{name}"),
            name,
            server,
        }
    }

    /// An empty database of its own (no tables), e.g. to restore a backup into.
    pub fn empty() -> TestDb {
        let server = server_url();
        let name = format!("sipas_t_{}", uuid::Uuid::new_v4().simple());
        let mut admin = db::connect(&format!("{server}/postgres")).unwrap();
        diesel::sql_query(format!("CREATE DATABASE {name} TEMPLATE template0"))
            .execute(&mut admin)
            .unwrap();
        stamp(&mut admin, &name);
        TestDb {
            url: format!("{server}/{name}"),
            name,
            server,
        }
    }

    pub fn conn(&self) -> PgConnection {
        db::connect(&self.url).unwrap()
    }

    /// A connection to the server's `postgres` database, to act on a test database from outside.
    pub fn admin_conn() -> PgConnection {
        db::connect(&format!("{}/postgres", server_url())).unwrap()
    }

    /// The database becomes unreachable, as if its machine were gone: no new connection is
    /// allowed and every open one is ended.
    pub fn cut_off(&self) {
        let mut admin = Self::admin_conn();
        diesel::sql_query(format!(
            "ALTER DATABASE {} WITH ALLOW_CONNECTIONS false",
            self.name
        ))
        .execute(&mut admin)
        .unwrap();
        diesel::sql_query(format!(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '{}'",
            self.name
        ))
        .execute(&mut admin)
        .unwrap();
    }

    /// Undoes `cut_off`.
    pub fn reachable(&self) {
        diesel::sql_query(format!(
            "ALTER DATABASE {} WITH ALLOW_CONNECTIONS true",
            self.name
        ))
        .execute(&mut Self::admin_conn())
        .unwrap();
    }

    /// Another session holds `table` in ACCESS EXCLUSIVE mode from now until the guard is
    /// dropped (at most 30 s): what a long migration or a stuck transaction does.
    pub fn lock(&self, table: &str) -> TableLock {
        let (url, sql) = (
            self.url.clone(),
            format!("LOCK TABLE {table} IN ACCESS EXCLUSIVE MODE"),
        );
        let (locked, is_locked) = std::sync::mpsc::channel::<()>();
        let (release, released) = std::sync::mpsc::channel::<()>();
        let holder = std::thread::spawn(move || {
            let mut c = db::connect(&url).unwrap();
            c.transaction::<_, diesel::result::Error, _>(|c| {
                diesel::sql_query(sql).execute(c)?;
                locked.send(()).unwrap();
                let _ = released.recv_timeout(std::time::Duration::from_secs(30));
                Ok(())
            })
            .unwrap();
        });
        is_locked.recv().unwrap();
        TableLock {
            release: Some(release),
            holder: Some(holder),
        }
    }

    /// Runs one statement (set-up that no `db::` function does).
    pub fn exec(&self, sql: &str) {
        diesel::sql_query(sql).execute(&mut self.conn()).unwrap();
    }

    /// The one text of a query returning `… AS name`.
    pub fn text(&self, sql: &str) -> String {
        diesel::sql_query(sql)
            .get_result::<NameRow>(&mut self.conn())
            .unwrap()
            .name
    }

    /// Row count of a query returning `count(*) AS n`.
    pub fn count(&self, sql: &str) -> i64 {
        diesel::sql_query(sql)
            .get_result::<CountRow>(&mut self.conn())
            .unwrap()
            .n
    }
}

/// A table held by another session; released (and its session ended) when dropped.
pub struct TableLock {
    release: Option<std::sync::mpsc::Sender<()>>,
    holder: Option<JoinHandle<()>>,
}

impl Drop for TableLock {
    fn drop(&mut self) {
        drop(self.release.take());
        if let Some(h) = self.holder.take() {
            let _ = h.join();
        }
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        self.reachable();
        if let Ok(mut admin) = db::connect(&format!("{}/postgres", self.server)) {
            let _ = diesel::sql_query(format!(
                "DROP DATABASE IF EXISTS {} WITH (FORCE)",
                self.name
            ))
            .execute(&mut admin);
        }
    }
}

/// A desk to rate: one agency with one desk.
pub struct Fixture {
    pub agency_id: i32,
    pub desk_id: i32,
}

pub fn fixture(db: &TestDb) -> Fixture {
    let mut c = db.conn();
    let level = db::agencies::ensure_level(&mut c, "province", "Tỉnh", "Province", 1).unwrap();
    let agency_id = db::agencies::create(&mut c, "T1", "Tỉnh Thử <nghiệm>", level, None).unwrap();
    let desk_id = db::desks::create(&mut c, agency_id, "Q1", "Quầy số 1").unwrap();
    Fixture { agency_id, desk_id }
}

pub struct TestApp {
    /// First, so it is dropped first: the server stops before its database is dropped (else its
    /// pool keeps reconnecting to a dropped database while the process exits, and crashes it).
    _node: Node,
    pub db: TestDb,
    pub base: String,
    /// Where `/metrics` answers, when the settings named an address for it.
    pub metrics_base: Option<String>,
    pub fixture: Fixture,
    pub http: reqwest::blocking::Client,
    /// The settings the server was built with (for another node on the same database).
    pub settings: Settings,
}

/// One running `sipas` server in this process; stopped when dropped.
pub struct Node {
    pub base: String,
    /// Where `/metrics` answers, when `SIPAS_METRICS_BIND` was set.
    pub metrics_base: Option<String>,
    handle: Option<actix_web::dev::ServerHandle>,
    thread: Option<JoinHandle<usize>>,
}

impl Node {
    pub fn start(settings: Settings) -> Node {
        let app = Application::build(settings).unwrap();
        let port = app.port();
        let metrics_base = app.metrics_port().map(|p| format!("http://127.0.0.1:{p}"));
        let (tx, rx) = std::sync::mpsc::channel();
        let thread = std::thread::spawn(move || {
            actix_web::rt::System::new().block_on(async move {
                app.serve(|handle| tx.send(handle).unwrap()).await.unwrap()
            })
        });
        Node {
            base: format!("http://127.0.0.1:{port}"),
            metrics_base,
            handle: Some(rx.recv().unwrap()),
            thread: Some(thread),
        }
    }

    /// Stops the server; returns how many of its own threads were still running afterwards.
    pub fn stop(mut self) -> usize {
        if let Some(h) = self.handle.take() {
            actix_web::rt::System::new().block_on(h.stop(true));
        }
        self.thread.take().map_or(0, |t| t.join().unwrap())
    }
}

impl Drop for Node {
    fn drop(&mut self) {
        if let Some(h) = self.handle.take() {
            drop(h.stop(false));
        }
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

pub fn generous() -> RateLimit {
    RateLimit {
        per_minute: 60_000.0,
        burst: 10_000,
    }
}

impl TestApp {
    pub fn spawn() -> TestApp {
        Self::spawn_with(|_| {})
    }

    pub fn spawn_with(adjust: impl FnOnce(&mut Settings)) -> TestApp {
        let db = TestDb::new();
        let fixture = fixture(&db);
        let mut settings = Settings::local();
        settings.database_url = Some(db.url.clone());
        settings.bind = "127.0.0.1:0".parse().unwrap();
        settings.secret = Some(SECRET.as_bytes().to_vec());
        settings.rate_per_client = generous();
        settings.rate_per_desk = generous();
        settings.db_pool_size = 4;
        settings.workers = Some(1);
        // Tests send forms faster than a citizen can read them, many from one address, at any
        // hour: screening is switched on by the tests about it (`screening::screened`).
        settings.screening.enabled = false;
        adjust(&mut settings);
        let node = Node::start(settings.clone());
        TestApp {
            db,
            base: node.base.clone(),
            metrics_base: node.metrics_base.clone(),
            fixture,
            http: reqwest::blocking::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .unwrap(),
            settings,
            _node: node,
        }
    }

    /// A second server on the same database and settings: another node behind the same
    /// load balancer. Bind it after the `TestApp`, so it stops before the database goes.
    pub fn another_node(&self) -> Node {
        Node::start(self.settings.clone())
    }

    pub fn token(&self) -> String {
        sipas::domain::DeskToken {
            desk_id: self.fixture.desk_id,
            key_version: 1,
        }
        .sign(SECRET.as_bytes())
    }

    pub fn responses(&self) -> i64 {
        self.db.count("SELECT count(*) AS n FROM responses")
    }

    pub fn answers(&self) -> i64 {
        self.db.count("SELECT count(*) AS n FROM answers")
    }

    /// Posts the desk form as a browser would.
    pub fn post_form(&self, token: &str, fields: &[(&str, &str)]) -> reqwest::blocking::Response {
        self.http
            .post(format!("{}/q/{token}", self.base))
            .form(fields)
            .send()
            .unwrap()
    }

    /// Posts `body` as it is, with the given content type.
    pub fn post_raw(
        &self,
        path: &str,
        content_type: &str,
        body: impl Into<reqwest::blocking::Body>,
    ) -> reqwest::blocking::Response {
        self.http
            .post(format!("{}{path}", self.base))
            .header("content-type", content_type)
            .body(body)
            .send()
            .unwrap()
    }

    pub fn post_json(&self, body: &serde_json::Value) -> reqwest::blocking::Response {
        self.http
            .post(format!("{}/api/v1/responses", self.base))
            .json(body)
            .send()
            .unwrap()
    }
}

/// The submission id the form page carries.
pub fn submission_id(html: &str) -> String {
    hidden(html, "submission_id")
}

/// A fresh submission id, as a form page or an API client makes one.
pub fn sid() -> String {
    uuid::Uuid::new_v4().to_string()
}

/// The value of the hidden (or any) input `name` of a page.
pub fn hidden(html: &str, name: &str) -> String {
    let marker = format!("name=\"{name}\" value=\"");
    let start = html
        .find(&marker)
        .unwrap_or_else(|| panic!("no {name} in {html}"))
        + marker.len();
    let end = start + html[start..].find('"').unwrap();
    html[start..end].to_owned()
}

/// A folder of its own under the system's temporary folder, removed when dropped.
pub struct TempDir(pub PathBuf);

impl TempDir {
    pub fn new(what: &str) -> TempDir {
        let dir =
            std::env::temp_dir().join(format!("sipas-{what}-{}", uuid::Uuid::new_v4().simple()));
        std::fs::create_dir_all(&dir).unwrap();
        TempDir(dir)
    }

    pub fn join(&self, name: impl AsRef<Path>) -> PathBuf {
        self.0.join(name)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// The `sipas` binary with quiet logs and none of the caller's database or secret settings.
pub fn sipas() -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_sipas"));
    cmd.env("SIPAS_LOG", "warn")
        .env_remove("DATABASE_URL")
        .env_remove("SIPAS_SECRET")
        .env_remove("SIPAS_PASSWORD")
        .env_remove("SIPAS_PUBLIC_URL")
        .stdin(Stdio::null());
    cmd
}

/// Runs `cmd`, feeding `stdin`, and returns what it printed and its exit code.
pub fn run(cmd: &mut Command, stdin: &str) -> (Option<i32>, String, String) {
    let mut child = cmd
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // A command that refuses its arguments exits without reading its input: a closed pipe
    // is then its answer, not the test's failure.
    if let Err(e) = child.stdin.take().unwrap().write_all(stdin.as_bytes()) {
        assert_eq!(e.kind(), std::io::ErrorKind::BrokenPipe, "{e}");
    }
    let out = child.wait_with_output().unwrap();
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

impl TestDb {
    /// The `sipas` binary pointed at this database with the tests' signing key.
    pub fn sipas(&self) -> Command {
        let mut cmd = sipas();
        cmd.env("DATABASE_URL", &self.url)
            .env("SIPAS_SECRET", SECRET);
        cmd
    }
}

pub const PASSWORD: &str = "a long enough password";

/// Who the audit log names for changes a test makes directly.
pub fn test_actor() -> sipas::db::audit::Actor {
    sipas::db::audit::Actor::command_line("test")
}

/// Creates a staff account with `PASSWORD`.
pub fn add_user(db: &TestDb, name: &str, role: Role, agency: Option<&str>) {
    let mut conn = db.conn();
    sipas::auth::accounts::set_user(&mut conn, &test_actor(), name, PASSWORD, role, agency)
        .unwrap();
}

/// An agency (with its own desk) at the given place in the tree.
pub fn agency_with_desk(db: &TestDb, code: &str, parent: Option<i32>) -> (i32, i32) {
    let mut c = db.conn();
    let level = db::agencies::ensure_level(&mut c, "unit", "Đơn vị", "Unit", 2).unwrap();
    let agency =
        db::agencies::create(&mut c, code, &format!("Cơ quan {code}"), level, parent).unwrap();
    let desk = db::desks::create(&mut c, agency, "Q1", &format!("Quầy của {code}")).unwrap();
    (agency, desk)
}

/// A browser for staff pages: keeps cookies, does not follow redirects.
pub struct Browser {
    pub http: reqwest::blocking::Client,
    base: String,
}

impl Browser {
    pub fn new(app: &TestApp) -> Browser {
        Browser::at(&app.base)
    }

    /// A browser for the server at `base` (another node).
    pub fn at(base: &str) -> Browser {
        Browser {
            http: reqwest::blocking::Client::builder()
                .cookie_store(true)
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .unwrap(),
            base: base.to_owned(),
        }
    }

    pub fn get(&self, path: &str) -> reqwest::blocking::Response {
        self.http
            .get(format!("{}{path}", self.base))
            .send()
            .unwrap()
    }

    /// A page's HTML with the tables' phone labels left out (`data-label`, the `stack` and
    /// `head` classes: layout only, checked in Chromium by `crawl.rs`), so that tests read a
    /// cell as `<td>…</td>`.
    pub fn page(&self, path: &str) -> String {
        without_phone_labels(&self.get(path).text().unwrap())
    }

    pub fn post(&self, path: &str, fields: &[(&str, &str)]) -> reqwest::blocking::Response {
        self.http
            .post(format!("{}{path}", self.base))
            .form(fields)
            .send()
            .unwrap()
    }

    /// Signs in through the sign-in page, as a person would; returns the POST's response.
    pub fn sign_in(&self, user: &str, password: &str) -> reqwest::blocking::Response {
        let csrf = hidden(&self.page("/admin/login"), "csrf");
        self.post(
            "/admin/login",
            &[
                ("username", user),
                ("password", password),
                ("csrf", csrf.as_str()),
                ("next", "/admin"),
            ],
        )
    }

    /// A browser already signed in as `user` (with `PASSWORD`).
    pub fn signed_in(app: &TestApp, user: &str) -> Browser {
        let b = Browser::new(app);
        assert_eq!(b.sign_in(user, PASSWORD).status(), 303, "{user} signs in");
        b
    }

    /// The value of the session cookie a sign-in response set.
    pub fn session_cookie(resp: &reqwest::blocking::Response) -> String {
        resp.headers()
            .get_all("set-cookie")
            .iter()
            .filter_map(|c| c.to_str().ok())
            .find_map(|c| c.strip_prefix("sipas_session="))
            .and_then(|c| c.split(';').next())
            .unwrap_or_else(|| panic!("no session cookie: {} {:?}", resp.status(), resp.headers()))
            .to_owned()
    }

    /// The CSRF token of the desk list page.
    pub fn csrf(&self) -> String {
        hidden(&self.page("/admin"), "csrf")
    }
}

/// A SQL expression for the `answer_values` array of a rating of instrument `i` (an alias in
/// scope) answering the items named in `answers` as (question code, value): each item in its
/// slot (the instrument's items by position), `None` stored as 0 ("no opinion"), items not named
/// as NULL (not asked).
pub fn answer_array_sql(answers: &[(&str, Option<i16>)]) -> String {
    let values = answers
        .iter()
        .map(|(code, v)| {
            format!(
                "('{code}', {}::int2)",
                v.map_or("NULL".to_owned(), |v| v.to_string())
            )
        })
        .collect::<Vec<_>>()
        .join(", ");
    format!(
        "ARRAY(SELECT CASE WHEN v.code IS NULL THEN NULL ELSE coalesce(v.value, 0::int2) END \
           FROM items it LEFT JOIN (VALUES {values}) AS v(code, value) ON v.code = it.code \
           WHERE it.instrument_id = i.id ORDER BY it.position, it.id)"
    )
}

/// Stores a desk rating given on `day` (noon in Vietnam) straight into the tables, answers as
/// (question code, value); the aggregates are not touched (rebuild them afterwards).
pub fn store_rating_on(db: &TestDb, desk: i32, day: &str, answers: &[(&str, Option<i16>)]) {
    let sql = format!(
        "INSERT INTO responses (id, instrument_id, agency_id, desk_id, channel, respondent_kind, submitted_at, answer_values) \
           SELECT gen_random_uuid(), i.id, d.agency_id, d.id, 'desk_qr', 'individual', '{day} 12:00+07', {} \
           FROM instruments i, desks d WHERE i.code = 'sipas-2017' AND d.id = {desk}",
        answer_array_sql(answers)
    );
    diesel::RunQueryDsl::execute(diesel::sql_query(sql), &mut db.conn()).unwrap();
}

/// Recomputes the desk stream's aggregates from the raw rows.
pub fn rebuild_aggregates(db: &TestDb) {
    let mut conn = db.conn();
    let form = sipas::db::instruments::load_form(
        &mut conn,
        "sipas-2017",
        sipas::db::instruments::Form::Desk,
    )
    .unwrap();
    sipas::results::rollup::rebuild(&mut conn, &form).unwrap();
}

/// `html` without the attributes that stack a table's rows on a phone.
pub fn without_phone_labels(html: &str) -> String {
    let mut out = String::with_capacity(html.len());
    let mut rest = html;
    while let Some(at) = rest.find(" data-label=\"") {
        out.push_str(&rest[..at]);
        let after = &rest[at + " data-label=\"".len()..];
        rest = &after[after.find('"').map_or(after.len(), |e| e + 1)..];
    }
    out.push_str(rest);
    out.replace("<table class=\"stack\">", "<table>")
        .replace("<table class=\"stack ", "<table class=\"")
        .replace("<td class=\"head\" colspan", "<td colspan")
}
