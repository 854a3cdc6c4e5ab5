//! ARCHITECTURE.md's invariants, checked by reading the sources: a change that breaks one
//! fails here, not in a review months later.

use std::path::{Path, PathBuf};

use crate::helpers::walk;

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// Every Rust file under `src/`, as (path relative to the root, code without comments).
fn sources() -> Vec<(String, String)> {
    let mut files: Vec<PathBuf> = walk(&root().join("src"))
        .into_iter()
        .filter(|p| p.extension().is_some_and(|e| e == "rs"))
        .collect();
    files.sort();
    files
        .into_iter()
        .map(|p| {
            let rel = p
                .strip_prefix(root())
                .unwrap()
                .to_string_lossy()
                .into_owned();
            let code: String = std::fs::read_to_string(&p)
                .unwrap()
                .lines()
                .filter(|l| !l.trim_start().starts_with("//"))
                .collect::<Vec<_>>()
                .join("\n");
            (rel, code)
        })
        .collect()
}

/// Whether `code` names `word` as a whole word (so `tera` is not found in `iterator`).
fn names(code: &str, word: &str) -> bool {
    let is_ident = |c: char| c.is_alphanumeric() || c == '_';
    code.match_indices(word).any(|(i, _)| {
        let before = code[..i].chars().next_back();
        let after = code[i + word.len()..].chars().next();
        !before.is_some_and(is_ident) && !after.is_some_and(is_ident)
    })
}

/// The files that name `word` outside the allowed places.
fn offenders(word: &str, allowed: &[&str]) -> Vec<String> {
    sources()
        .into_iter()
        .filter(|(path, code)| !allowed.iter().any(|a| path.starts_with(a)) && names(code, word))
        .map(|(path, _)| path)
        .collect()
}

#[test]
fn the_word_check_finds_whole_words_only() {
    assert!(names("use diesel::prelude::*;", "diesel"));
    assert!(names("x: tera::Tera", "tera"));
    assert!(!names("fn iterator() {}", "tera"));
    assert!(!names("let diesel_like = 1;", "diesel"));
}

#[test]
fn invariant_2_only_db_knows_sql_and_diesel() {
    assert_eq!(offenders("diesel", &["src/db/"]), Vec::<String>::new());
    for keyword in ["sql_query", "INSERT INTO", "SELECT count"] {
        assert_eq!(
            offenders(keyword, &["src/db/"]),
            Vec::<String>::new(),
            "{keyword}"
        );
    }
}

#[test]
fn invariant_3_only_web_and_startup_know_actix_and_only_views_know_tera() {
    for krate in ["actix_web", "actix_http", "actix_rt"] {
        assert_eq!(
            offenders(krate, &["src/web/", "src/startup.rs"]),
            Vec::<String>::new(),
            "{krate}"
        );
    }
    assert_eq!(offenders("tera", &["src/views/"]), Vec::<String>::new());
}

#[test]
fn invariant_4_settings_come_from_one_value() {
    // Only config/ reads the environment; the one exception is the staff password of
    // `sipas user`, a secret that must not sit in a settings value.
    let readers: Vec<String> = sources()
        .into_iter()
        .filter(|(path, code)| !path.starts_with("src/config/") && code.contains("env::var"))
        .map(|(path, _)| path)
        .collect();
    assert_eq!(readers, ["src/cli/user.rs"]);
    let user = std::fs::read_to_string(root().join("src/cli/user.rs")).unwrap();
    assert_eq!(user.matches("env::var").count(), 1);
    assert!(user.contains("env::var(\"SIPAS_PASSWORD\")"));
    for (path, code) in sources() {
        assert!(!code.contains("static mut"), "{path} has a mutable global");
        assert!(
            !code.contains("OnceLock<Settings"),
            "{path} keeps settings in a global"
        );
    }
}

#[test]
fn invariant_8_nothing_logs_a_client_address_or_user_agent() {
    // The address is read in one place, for the rate limiter; no log line names a header.
    assert_eq!(
        offenders("peer_addr", &["src/web/mod.rs", "src/startup.rs"]),
        Vec::<String>::new()
    );
    assert_eq!(offenders("client_ip", &["src/web/"]), Vec::<String>::new());
    for (path, code) in sources() {
        for line in code.lines().filter(|l| l.contains("tracing::")) {
            for word in ["ip", "client", "user_agent", "headers", "peer"] {
                assert!(!names(line, word), "{path} logs {word}: {line}");
            }
        }
    }
}

/// The layer order ARCHITECTURE.md states, top to bottom.
fn layers() -> Vec<String> {
    let map = std::fs::read_to_string(root().join("ARCHITECTURE.md")).unwrap();
    let line = map
        .lines()
        .find_map(|l| l.strip_prefix("Layer order:"))
        .expect("ARCHITECTURE.md states the layers");
    line.split('`')
        .map(str::trim)
        .filter(|w| !w.is_empty())
        .map(str::to_owned)
        .collect()
}

/// The top-level modules a piece of code names through `crate::`, in `use crate::{a, b::c}`
/// groups as well as in paths.
fn crate_modules(code: &str) -> Vec<String> {
    let mut found = Vec::new();
    for (i, _) in code.match_indices("crate::") {
        let rest = &code[i + "crate::".len()..];
        let names: Vec<&str> = match rest.strip_prefix('{') {
            // The items of the group: split at its own commas, not those of nested groups.
            Some(group) => {
                let (mut items, mut depth, mut start) = (Vec::new(), 0, 0);
                for (j, c) in group.char_indices() {
                    match c {
                        '{' => depth += 1,
                        '}' if depth == 0 => break,
                        '}' => depth -= 1,
                        ',' if depth == 0 => {
                            items.push(&group[start..j]);
                            start = j + 1;
                        }
                        _ => {}
                    }
                }
                items.push(&group[start..]);
                items
            }
            None => vec![rest],
        };
        for n in names {
            let n = n.trim_start();
            let end = n
                .find(|c: char| !(c.is_alphanumeric() || c == '_'))
                .unwrap_or(n.len());
            if end > 0 {
                found.push(n[..end].to_owned());
            }
        }
    }
    found
}

/// A file's code outside its `#[cfg(test)]` module (tests may use the test support).
fn without_tests(code: &str) -> &str {
    code.find("#[cfg(test)]\nmod tests")
        .map_or(code, |i| &code[..i])
}

#[test]
fn the_layer_check_reads_paths_and_groups() {
    let code = "use crate::{db::{self, Conn}, domain::Role};\nlet x = crate::results::MIN_N;";
    assert_eq!(crate_modules(code), ["db", "domain", "results"]);
    assert_eq!(
        without_tests("use crate::db;\n#[cfg(test)]\nmod tests {\n use crate::web;\n}"),
        "use crate::db;\n"
    );
}

#[test]
fn invariant_12_dependencies_point_down() {
    let order = layers();
    let rank = |m: &str| order.iter().position(|o| o == m);
    for (path, code) in sources() {
        let rel = path.strip_prefix("src/").unwrap();
        let module = rel.split('/').next().unwrap().trim_end_matches(".rs");
        // A unit test module in a file of its own may use the test support.
        if ["lib", "main"].contains(&module) || path.ends_with("/tests.rs") {
            continue;
        }
        let here = rank(module).unwrap_or_else(|| {
            panic!("{module} (from {path}) has no place in ARCHITECTURE.md's layers")
        });
        for used in crate_modules(without_tests(&code)) {
            if used == module {
                continue;
            }
            let there = rank(&used)
                .unwrap_or_else(|| panic!("{path} uses {used}, which has no place in the layers"));
            assert!(
                there > here,
                "{path} uses crate::{used}: an arrow that runs back up the layers ({module} is above {used})"
            );
        }
    }
    let manifest = std::fs::read_to_string(root().join("analysis/Cargo.toml")).unwrap();
    assert!(
        !manifest.contains("path ="),
        "the analysis crate uses nothing of the service"
    );
}

#[test]
fn the_code_map_names_every_module_folder() {
    let map = std::fs::read_to_string(root().join("ARCHITECTURE.md")).unwrap();
    for entry in std::fs::read_dir(root().join("src")).unwrap() {
        let p = entry.unwrap().path();
        let name = p.file_name().unwrap().to_string_lossy().into_owned();
        let shown = if p.is_dir() {
            format!("`src/{name}/`")
        } else {
            format!("`src/{name}`")
        };
        assert!(
            map.contains(&shown),
            "ARCHITECTURE.md's code map lacks {shown}"
        );
    }
}

#[test]
fn every_module_file_is_declared_in_the_tree() {
    // A file no `mod` declares is dead code the compiler never sees.
    for (path, _) in sources() {
        let p = Path::new(&path);
        let stem = p.file_stem().unwrap().to_string_lossy();
        if ["main", "lib", "mod"].contains(&stem.as_ref()) {
            continue;
        }
        let parent = p.parent().unwrap();
        let declaring = if parent == Path::new("src") {
            root().join("src/lib.rs")
        } else {
            root().join(parent).join("mod.rs")
        };
        let code = std::fs::read_to_string(&declaring).unwrap();
        assert!(
            code.contains(&format!("mod {stem};")),
            "{path} is not declared in {}",
            declaring.display()
        );
    }
}

#[test]
fn every_template_is_compiled_into_the_binary() {
    let views = std::fs::read_to_string(root().join("src/views/mod.rs")).unwrap();
    for entry in std::fs::read_dir(root().join("templates")).unwrap() {
        let name = entry.unwrap().file_name().to_string_lossy().into_owned();
        assert!(
            views.contains(&format!("\"../../templates/{name}\"")),
            "templates/{name} is not in views::TEMPLATES"
        );
    }
}

#[test]
fn invariant_26_every_spreadsheet_cell_passes_the_one_cell_writer() {
    // CSV is written by `domain::cell` (and `views::sheet` through it), never by a CSV
    // library's writer that would quote only when it must and neutralise nothing.
    for word in ["csv::Writer", "WriterBuilder", "write_record"] {
        let found: Vec<String> = sources()
            .into_iter()
            .filter(|(_, code)| code.contains(word))
            .map(|(path, _)| path)
            .collect();
        assert_eq!(found, Vec::<String>::new(), "{word}");
    }
    let sheet = std::fs::read_to_string(root().join("src/views/sheet.rs")).unwrap();
    assert!(sheet.contains("crate::domain::cell::neutralise"));
    assert!(sheet.contains("sheet.write_string(r, c, cell(s))"));
}

/// Small rooms: no source file over 600 lines (issue #17). A file that grows past it is split
/// by concern, its unit tests into a `tests.rs` of its own if need be.
#[test]
fn no_source_file_is_over_600_lines() {
    let long: Vec<String> = walk(&root().join("src"))
        .into_iter()
        .filter(|p| p.extension().is_some_and(|e| e == "rs"))
        .filter_map(|p| {
            let n = std::fs::read_to_string(&p).unwrap().lines().count();
            (n > 600).then(|| format!("{} ({n})", p.display()))
        })
        .collect();
    assert!(long.is_empty(), "{long:?}");
}
