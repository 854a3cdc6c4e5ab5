//! Finding a database to use, so that `sipas demo` works on a fresh machine with no set-up.
//!
//! Order: `DATABASE_URL`; else the local server at 127.0.0.1:5432 (user postgres); else a private
//! cluster under `./var/pg`, started with the PostgreSQL programs Debian installs under
//! `/usr/lib/postgresql/<version>/bin` (as the `postgres` user when we run as root, because
//! PostgreSQL refuses to run as root). The database is created when missing.

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{bail, Context, Result};
use diesel::pg::PgConnection;
use diesel::prelude::*;
use diesel::sql_types::{Bool, Text};

pub const LOCAL_SERVER: &str = "postgres://postgres@127.0.0.1:5432";
const PRIVATE_PORT: u16 = 54329;
const DEFAULT_DB: &str = "sipas";

/// The URL of the application database, creating the database (and a private cluster) if needed.
pub fn database_url(configured: Option<&str>) -> Result<String> {
    let url = match configured {
        Some(url) => url.to_owned(),
        None => format!("{}/{DEFAULT_DB}", local_server()?),
    };
    ensure_database(&url)?;
    Ok(url)
}

/// A server URL without a database name: the machine's server, or a private cluster.
pub fn local_server() -> Result<String> {
    if PgConnection::establish(&super::libpq_url(&format!("{LOCAL_SERVER}/postgres"))).is_ok() {
        return Ok(LOCAL_SERVER.to_owned());
    }
    let private = format!("postgres://postgres@127.0.0.1:{PRIVATE_PORT}");
    if PgConnection::establish(&super::libpq_url(&format!("{private}/postgres"))).is_ok() {
        return Ok(private);
    }
    let bin = postgres_bin_dir().context(
        "no PostgreSQL server answers at 127.0.0.1:5432 and PostgreSQL's programs are not \
         installed: install the Debian package 'postgresql' (apt-get install postgresql), \
         or set DATABASE_URL",
    )?;
    start_private_cluster(&bin, Path::new("var/pg"), PRIVATE_PORT)?;
    Ok(private)
}

/// The newest installed PostgreSQL's programs (Debian: /usr/lib/postgresql/<version>/bin).
pub fn postgres_bin_dir() -> Option<PathBuf> {
    let mut versions: Vec<(u32, PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
        .ok()?
        .filter_map(|e| e.ok())
        .filter_map(|e| {
            let v: u32 = e.file_name().to_str()?.parse().ok()?;
            let bin = e.path().join("bin");
            bin.join("initdb").exists().then_some((v, bin))
        })
        .collect();
    versions.sort();
    versions.pop().map(|(_, bin)| bin)
}

/// Creates (once) and starts a cluster in `dir`/data listening on 127.0.0.1:`port`, with trust
/// authentication for local connections only.
pub fn start_private_cluster(bin: &Path, dir: &Path, port: u16) -> Result<()> {
    std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    let dir = dir.canonicalize()?;
    let data = dir.join("data");
    let as_root = is_root();
    if as_root {
        run(Command::new("chown")
            .args(["-R", "postgres:postgres"])
            .arg(&dir))?;
    }
    let pg = |program: &str| {
        let mut c = if as_root {
            let mut c = Command::new("runuser");
            c.args(["-u", "postgres", "--"]).arg(bin.join(program));
            c
        } else {
            Command::new(bin.join(program))
        };
        c.env_remove("PGDATA");
        c
    };
    if !data.join("PG_VERSION").exists() {
        eprintln!(
            "starting a private PostgreSQL cluster in {}",
            data.display()
        );
        run(pg("initdb")
            .args([
                "-U",
                "postgres",
                "--auth=trust",
                "--encoding=UTF8",
                "--locale=C.UTF-8",
                "-D",
            ])
            .arg(&data))?;
    }
    let options = format!(
        "-p {port} -c listen_addresses=127.0.0.1 -k {}",
        dir.display()
    );
    run(pg("pg_ctl")
        .args(["-w", "-D"])
        .arg(&data)
        .args(["-l"])
        .arg(dir.join("server.log"))
        .args(["-o", &options, "start"]))
}

/// Stops a cluster started by [`start_private_cluster`].
pub fn stop_private_cluster(bin: &Path, dir: &Path) -> Result<()> {
    let data = dir.canonicalize()?.join("data");
    let mut c = if is_root() {
        let mut c = Command::new("runuser");
        c.args(["-u", "postgres", "--"]).arg(bin.join("pg_ctl"));
        c
    } else {
        Command::new(bin.join("pg_ctl"))
    };
    run(c.args(["-w", "-m", "fast", "-D"]).arg(&data).arg("stop"))
}

fn run(cmd: &mut Command) -> Result<()> {
    let out = cmd
        .output()
        .with_context(|| format!("cannot run {:?}", cmd.get_program()))?;
    if !out.status.success() {
        bail!(
            "{:?} failed: {}",
            cmd.get_program(),
            String::from_utf8_lossy(&out.stderr).trim()
        );
    }
    Ok(())
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
        .unwrap_or(false)
}

/// Splits `postgres://user@host:port/db?opts` into the maintenance URL and the database name.
pub fn split_url(url: &str) -> Result<(String, String)> {
    let (base, query) = match url.split_once('?') {
        Some((b, q)) => (b, format!("?{q}")),
        None => (url, String::new()),
    };
    let scheme_end = base.find("://").map(|i| i + 3).unwrap_or(0);
    let Some(slash) = base[scheme_end..].rfind('/').map(|i| i + scheme_end) else {
        bail!("DATABASE_URL must name a database, like postgres://user@host/sipas");
    };
    let name = &base[slash + 1..];
    if name.is_empty() {
        bail!("DATABASE_URL must name a database, like postgres://user@host/sipas");
    }
    Ok((
        format!("{}/postgres{query}", &base[..slash]),
        name.to_owned(),
    ))
}

#[derive(QueryableByName)]
struct Exists {
    #[diesel(sql_type = Bool)]
    exists: bool,
}

/// Creates the database when it does not exist.
pub fn ensure_database(url: &str) -> Result<()> {
    if PgConnection::establish(&super::libpq_url(url)).is_ok() {
        return Ok(());
    }
    let (maintenance, name) = split_url(url)?;
    let mut conn = super::connect(&maintenance)?;
    let found =
        diesel::sql_query("SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1) AS exists")
            .bind::<Text, _>(&name)
            .get_result::<Exists>(&mut conn)?;
    if !found.exists {
        diesel::sql_query(format!("CREATE DATABASE {}", quote_ident(&name)))
            .execute(&mut conn)
            .with_context(|| format!("cannot create database {name}"))?;
    }
    Ok(())
}

pub fn quote_ident(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

/// A URL fit for logs: no password.
pub fn redact(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(s), Some(at)) if at > s => {
            let creds = &url[s + 3..at];
            let user = creds.split(':').next().unwrap_or("");
            format!("{}{user}@{}", &url[..s + 3], &url[at + 1..])
        }
        _ => url.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_split_into_server_and_database() {
        let (m, n) = split_url("postgres://u:p@h:5432/sipas?sslmode=require").unwrap();
        assert_eq!(m, "postgres://u:p@h:5432/postgres?sslmode=require");
        assert_eq!(n, "sipas");
        assert!(split_url("postgres://h:5432/").is_err());
    }

    #[test]
    fn passwords_never_reach_logs() {
        assert_eq!(redact("postgres://u:secret@h/db"), "postgres://u@h/db");
        assert_eq!(redact("postgres://h/db"), "postgres://h/db");
    }
}
