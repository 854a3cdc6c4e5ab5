//! The wave's file uploads: the frame and the post office's returns, streamed, refused by line and column.

use super::*;

// ---- frame upload ----

/// The uploaded file (the form's `file` field): its name and bytes, refused past the cap.
async fn uploaded_file(mut parts: Multipart) -> Result<Option<(String, Vec<u8>)>, Fault> {
    while let Some(part) = parts.next().await {
        let mut part = part.map_err(|_| Fault::BadRequest)?;
        let is_file = part
            .content_disposition()
            .and_then(|d| d.get_name())
            .is_some_and(|n| n == "file");
        let name = part
            .content_disposition()
            .and_then(|d| d.get_filename())
            .unwrap_or("")
            .to_owned();
        let mut bytes = Vec::new();
        while let Some(chunk) = part.next().await {
            let chunk = chunk.map_err(|_| Fault::BadRequest)?;
            if bytes.len() + chunk.len() > MAX_FRAME_FILE {
                return Err(Fault::TooLarge);
            }
            bytes.extend_from_slice(&chunk);
        }
        if is_file {
            return Ok(Some((name, bytes)));
        }
    }
    Ok(None)
}

/// What a step on an uploaded file ends with: done (the notice's code), or the file refused
/// with its problems by line.
enum Uploaded {
    Done(&'static str),
    Refused(Vec<String>, bool),
}

impl Uploaded {
    /// A file refused by line: its problems as the page says them.
    fn refused(errors: &[survey::table::LineError], truncated: bool) -> Uploaded {
        Uploaded::Refused(errors.iter().map(line_error_vi).collect(), truncated)
    }
}

/// One upload step: the file read (capped), the step run on it in one job, then back to the
/// wave with a notice, or the wave's page again with the refusal where `shown` puts it.
async fn upload_step(
    state: &AppState,
    admin: &AdminUser,
    id: i32,
    parts: Multipart,
    missing: &str,
    shown: fn(Vec<String>, bool) -> Shown,
    step: impl FnOnce(&mut db::Conn, &db::audit::Actor, &str, &[u8]) -> survey::Result<Uploaded>
        + Send
        + 'static,
) -> StaffResult {
    let file = uploaded_file(parts).await.map_err(PageError::staff)?;
    let Some((name, bytes)) = file.filter(|(_, b)| !b.is_empty()) else {
        let refused = shown(vec![missing.to_owned()], false);
        return wave_page(state, admin, id, StatusCode::UNPROCESSABLE_ENTITY, refused).await;
    };
    let actor = admin.0.actor();
    let outcome =
        db::run_job::<_, StepError, _>(&state.pool, move |c| Ok(step(c, &actor, &name, &bytes)))
            .await
            .map_err(|e| PageError::staff(Fault::from(e)))?;
    let refused = match outcome {
        Ok(Uploaded::Done(done)) => {
            return Ok(see_other(&format!("/admin/waves/{id}?done={done}")))
        }
        Ok(Uploaded::Refused(errors, truncated)) => shown(errors, truncated),
        Err(e) => shown(vec![step_error(e)?], false),
    };
    wave_page(state, admin, id, StatusCode::UNPROCESSABLE_ENTITY, refused).await
}

pub async fn upload_frame(
    state: web::Data<AppState>,
    admin: AdminUser,
    id: web::Path<i32>,
    parts: Multipart,
) -> StaffResult {
    let id = id.into_inner();
    upload_step(
        &state,
        &admin,
        id,
        parts,
        "Vui lòng chọn một tệp CSV (UTF-8) có dòng tiêu đề của khung mẫu.",
        |errors, truncated| Shown {
            frame_errors: errors,
            frame_truncated: truncated,
            ..Shown::default()
        },
        move |c, actor, name, bytes| {
            let imported = survey::import_frame(
                c,
                actor,
                id,
                name,
                bytes,
                MAX_FRAME_ERRORS,
                &mut |_, _, _| {},
            )?;
            Ok(match imported {
                FrameImport::Imported(_) => Uploaded::Done("frame"),
                FrameImport::Refused { errors, truncated } => Uploaded::refused(&errors, truncated),
            })
        },
    )
    .await
}

// ---- returns and replacements ----

pub async fn upload_returns(
    state: web::Data<AppState>,
    admin: AdminUser,
    id: web::Path<i32>,
    parts: Multipart,
) -> StaffResult {
    let id = id.into_inner();
    let key = state.key.clone();
    upload_step(
        &state,
        &admin,
        id,
        parts,
        "Vui lòng chọn tệp CSV thư báo của bưu điện (invitation_code,outcome,date).",
        |errors, truncated| Shown {
            returns_errors: errors,
            returns_truncated: truncated,
            ..Shown::default()
        },
        move |c, actor, name, bytes| {
            let recorded = survey::import_returns(
                c,
                actor,
                &key,
                id,
                name,
                bytes,
                MAX_FRAME_ERRORS,
                crate::results::periods::today_in_vietnam(),
            )?;
            Ok(match recorded {
                survey::ReturnsImport::Recorded(..) => Uploaded::Done("returns#fieldwork"),
                survey::ReturnsImport::Refused { errors, truncated } => {
                    Uploaded::refused(&errors, truncated)
                }
            })
        },
    )
    .await
}

/// A file's problem as the pages say it: "Dòng 3, cột email: …".
fn line_error_vi(e: &survey::table::LineError) -> String {
    match e.column {
        Some(c) => format!("Dòng {}, cột {c}: {}", e.line, e.message),
        None => format!("Dòng {}: {}", e.line, e.message),
    }
}
