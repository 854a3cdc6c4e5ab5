//! Printable desk posters and the files `sipas qr` writes: `<desk-id>.svg`, `.png`, `.html`
//! and `index.csv`.

use std::path::Path;

use crate::domain::cell::{csv_record, Csv};
use anyhow::{Context, Result};

use super::qr;
use crate::db::desks::DeskInfo;
use crate::views::poster::PosterPage;
use crate::views::{Chrome, DeskView, Lang, Views};

/// The A5 poster for one desk, as a complete HTML page.
pub fn poster_html(views: &Views, desk: &DeskInfo, url: &str) -> Result<String> {
    let svg = qr::svg(url)?;
    views.render(
        "poster.html",
        &PosterPage {
            chrome: Chrome::new(Lang::Vi),
            desk: DeskView::from(desk),
            url,
            qr_svg: &svg,
        },
    )
}

/// Writes every desk's files into `out` and returns how many desks were written.
pub fn write_all(
    views: &Views,
    desks: &[DeskInfo],
    base_url: &str,
    key: &[u8],
    out: &Path,
) -> Result<usize> {
    std::fs::create_dir_all(out).with_context(|| format!("cannot create {}", out.display()))?;
    // Desk names are typed by staff: written through the one cell rule (quoted, no formula).
    let mut index = String::from("\u{FEFF}");
    index.push_str(&csv_record(&[
        Csv::Text("desk_id"),
        Csv::Text("agency_code"),
        Csv::Text("desk_name"),
        Csv::Text("url"),
    ]));
    index.push('\n');
    for desk in desks {
        let url = qr::desk_url(base_url, desk, key);
        let stem = out.join(desk.id.to_string());
        std::fs::write(
            stem.with_extension("svg"),
            format!(
                "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n{}",
                qr::svg(&url)?
            ),
        )?;
        std::fs::write(stem.with_extension("png"), qr::png(&url)?)?;
        std::fs::write(stem.with_extension("html"), poster_html(views, desk, &url)?)?;
        index.push_str(&csv_record(&[
            Csv::Number(&desk.id.to_string()),
            Csv::Text(&desk.agency_code),
            Csv::Text(&desk.name),
            Csv::Text(&url),
        ]));
        index.push('\n');
    }
    std::fs::write(out.join("index.csv"), index)
        .with_context(|| format!("cannot write {}", out.join("index.csv").display()))?;
    Ok(desks.len())
}
