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

pub async fn upload_frame(
    state: web::Data<AppState>,
    admin: AdminUser,
    id: web::Path<i32>,
    parts: Multipart,
) -> StaffResult {
    let id = id.into_inner();
    let file = uploaded_file(parts).await.map_err(PageError::staff)?;
    let refuse = |errors: Vec<String>, truncated: bool| Shown {
        frame_errors: errors,
        frame_truncated: truncated,
        ..Shown::default()
    };
    let Some((name, bytes)) = file.filter(|(_, b)| !b.is_empty()) else {
        let why = "Vui lòng chọn một tệp CSV (UTF-8) có dòng tiêu đề của khung mẫu.".to_owned();
        return wave_page(
            &state,
            &admin,
            id,
            StatusCode::UNPROCESSABLE_ENTITY,
            refuse(vec![why], false),
        )
        .await;
    };
    let actor = admin.0.actor();
    let outcome = db::run_job::<_, crate::survey::StepError, _>(&state.pool, move |c| {
        Ok(survey::import_frame(
            c,
            &actor,
            id,
            &name,
            &bytes,
            MAX_FRAME_ERRORS,
            &mut |_, _, _| {},
        ))
    })
    .await
    .map_err(|e| PageError::staff(Fault::from(e)))?;
    let shown = match outcome {
        Ok(FrameImport::Imported(_)) => {
            return Ok(see_other(&format!("/admin/waves/{id}?done=frame")))
        }
        Ok(FrameImport::Refused { errors, truncated }) => {
            refuse(errors.iter().map(line_error_vi).collect(), truncated)
        }
        Err(e) => refuse(vec![step_error(e)?], false),
    };
    wave_page(&state, &admin, id, StatusCode::UNPROCESSABLE_ENTITY, shown).await
}

// ---- returns and replacements ----

pub async fn upload_returns(
    state: web::Data<AppState>,
    admin: AdminUser,
    id: web::Path<i32>,
    parts: Multipart,
) -> StaffResult {
    let id = id.into_inner();
    let file = uploaded_file(parts).await.map_err(PageError::staff)?;
    let refuse = |errors: Vec<String>, truncated: bool| Shown {
        returns_errors: errors,
        returns_truncated: truncated,
        ..Shown::default()
    };
    let Some((name, bytes)) = file.filter(|(_, b)| !b.is_empty()) else {
        let why =
            "Vui lòng chọn tệp CSV thư báo của bưu điện (invitation_code,outcome,date).".to_owned();
        return wave_page(
            &state,
            &admin,
            id,
            StatusCode::UNPROCESSABLE_ENTITY,
            refuse(vec![why], false),
        )
        .await;
    };
    let actor = admin.0.actor();
    let key = state.key.clone();
    let outcome = db::run_job::<_, crate::survey::StepError, _>(&state.pool, move |c| {
        Ok(survey::import_returns(
            c,
            &actor,
            &key,
            id,
            &name,
            &bytes,
            MAX_FRAME_ERRORS,
            crate::results::periods::vietnam_today(),
        ))
    })
    .await
    .map_err(|e| PageError::staff(Fault::from(e)))?;
    let shown = match outcome {
        Ok(survey::ReturnsImport::Recorded(..)) => {
            return Ok(see_other(&format!(
                "/admin/waves/{id}?done=returns#fieldwork"
            )))
        }
        Ok(survey::ReturnsImport::Refused { errors, truncated }) => {
            refuse(errors.iter().map(line_error_vi).collect(), truncated)
        }
        Err(e) => refuse(vec![step_error(e)?], false),
    };
    wave_page(&state, &admin, id, StatusCode::UNPROCESSABLE_ENTITY, shown).await
}

/// A file's problem as the pages say it: "Dòng 3, cột email: …".
fn line_error_vi(e: &survey::table::LineError) -> String {
    match e.column {
        Some(c) => format!("Dòng {}, cột {c}: {}", e.line, e.message),
        None => format!("Dòng {}: {}", e.line, e.message),
    }
}
