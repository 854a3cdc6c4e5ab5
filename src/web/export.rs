//! Downloads: a [`Sheet`] (see `views::sheet`) as an HTTP attachment in the asked format.

use actix_web::http::header;
use actix_web::HttpResponse;

use crate::views::Lang;

pub use crate::views::sheet::{header, ExportFormat, Sheet, Value};

/// The one way a staff page answers a download: `sheet` in the asked format, or a 500 page if
/// it cannot be written (a bug: every cell passes the one cell writer).
/// The XLSX's header and "about" sheet are in the reader's language; the CSV is the same in
/// both.
pub fn download(sheet: &Sheet, format: ExportFormat, lang: Lang) -> super::StaffResult {
    response(sheet, format, lang)
        .map_err(|e| super::errors::PageError::staff(super::errors::Fault::Internal(e)))
}

/// The download response of `sheet` in the asked format.
fn response(sheet: &Sheet, format: ExportFormat, lang: Lang) -> anyhow::Result<HttpResponse> {
    let (body, ext, mime) = match format {
        ExportFormat::Csv => (sheet.csv()?, "csv", "text/csv; charset=utf-8"),
        ExportFormat::Xlsx => (
            sheet.xlsx_in(lang)?,
            "xlsx",
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        ),
    };
    // The name is built from codes and dates; keep it to safe characters anyway.
    let stem: String = sheet
        .name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                c
            } else {
                '-'
            }
        })
        .collect();
    Ok(HttpResponse::Ok()
        .content_type(mime)
        .insert_header((
            header::CONTENT_DISPOSITION,
            format!("attachment; filename=\"{stem}.{ext}\""),
        ))
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .body(body))
}

/// The format named by a download's extension (`csv` or `xlsx`); anything else is 404.
pub fn format_of(ext: &str) -> Result<ExportFormat, super::errors::PageError> {
    match ext {
        "csv" => Ok(ExportFormat::Csv),
        "xlsx" => Ok(ExportFormat::Xlsx),
        _ => Err(super::errors::PageError::staff(
            super::errors::Fault::NotFound,
        )),
    }
}
