//! The fieldwork steps without fields: start, replace lost invitations, close, purge contacts.

use super::*;

// ---- fieldwork ----

pub async fn start(
    state: web::Data<AppState>,
    admin: AdminUser,
    id: web::Path<i32>,
) -> StaffResult {
    fn start(c: &mut db::Conn, a: &db::audit::Actor, id: i32) -> survey::Result<()> {
        survey::start_fieldwork(c, a, id, &[14, 28]).map(drop)
    }
    simple_step(&state, &admin, id.into_inner(), start, "started#fieldwork").await
}

pub async fn replace(
    state: web::Data<AppState>,
    admin: AdminUser,
    id: web::Path<i32>,
) -> StaffResult {
    fn replace(c: &mut db::Conn, a: &db::audit::Actor, id: i32) -> survey::Result<()> {
        survey::replace_lost(c, a, id).map(drop)
    }
    simple_step(
        &state,
        &admin,
        id.into_inner(),
        replace,
        "replaced#fieldwork",
    )
    .await
}

/// A step without fields (start, replace, close, purge): done, back to the wave with a notice
/// (`done` is the notice's code and the part of the page to show); refused, the page again
/// with the reason.
async fn simple_step(
    state: &AppState,
    admin: &AdminUser,
    id: i32,
    step: fn(&mut db::Conn, &db::audit::Actor, i32) -> survey::Result<()>,
    done: &str,
) -> StaffResult {
    let actor = admin.0.actor();
    let outcome = db::run_job::<_, crate::survey::StepError, _>(&state.pool, move |c| {
        Ok(step(c, &actor, id))
    })
    .await
    .map_err(|e| PageError::staff(Fault::from(e)))?;
    match outcome {
        Ok(()) => Ok(see_other(&format!("/admin/waves/{id}?done={done}"))),
        Err(e) => {
            let shown = Shown {
                fieldwork_errors: vec![step_error(e)?],
                ..Shown::default()
            };
            wave_page(state, admin, id, StatusCode::UNPROCESSABLE_ENTITY, shown).await
        }
    }
}

pub async fn close(
    state: web::Data<AppState>,
    admin: AdminUser,
    id: web::Path<i32>,
    form: Fields,
) -> StaffResult {
    let id = id.into_inner();
    if field(&form, "confirm") != "yes" {
        return confirm(&state, &admin, id, Final::Close).await;
    }
    simple_step(&state, &admin, id, survey::close_wave, "closed#results").await
}

pub async fn purge(
    state: web::Data<AppState>,
    admin: AdminUser,
    id: web::Path<i32>,
    form: Fields,
) -> StaffResult {
    fn purge(c: &mut db::Conn, a: &db::audit::Actor, id: i32) -> survey::Result<()> {
        survey::purge_contacts(c, a, id).map(drop)
    }
    let id = id.into_inner();
    if field(&form, "confirm") != "yes" {
        return confirm(&state, &admin, id, Final::Purge).await;
    }
    simple_step(&state, &admin, id, purge, "purged#results").await
}

/// The wave's steps that cannot be undone.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Final {
    Close,
    Purge,
}

/// The page that says what closing the wave, or purging its contacts, will freeze or erase, and
/// asks to confirm. (The step itself checks the wave's state again when confirmed.)
async fn confirm(state: &AppState, admin: &AdminUser, id: i32, step: Final) -> StaffResult {
    let found = staff_query(state, move |c| {
        let Some(w) = db::waves::find(c, id)? else {
            return Ok(None);
        };
        let total = survey::fieldwork(c, id)?.pop().map(|s| s.counts);
        let unsent: i64 = db::fieldwork::outbox_counts(c, id)?
            .into_iter()
            .filter(|(status, _)| status != "sent" && status != "failed")
            .map(|(_, n)| n)
            .sum();
        Ok(Some((w, total, unsent)))
    })
    .await?;
    let Some((w, total, unsent)) = found else {
        return Err(PageError::staff(Fault::NotFound));
    };
    let state_now = WaveState::parse(&w.state).unwrap_or(WaveState::Draft);
    let refused = match step {
        Final::Close => survey::why_not_close(id, state_now),
        Final::Purge => survey::why_not_purge(id, state_now),
    };
    if let Some(why) = refused {
        let shown = Shown {
            fieldwork_errors: vec![why.vi],
            ..Shown::default()
        };
        return wave_page(state, admin, id, StatusCode::UNPROCESSABLE_ENTITY, shown).await;
    }
    let total = total.unwrap_or_default();
    let rate = if total.invited > 0 {
        format!(
            " (tỉ lệ trả lời {}%)",
            percent(total.responded as f64 / total.invited as f64, Lang::Vi)
        )
    } else {
        String::new()
    };
    let mut facts = vec![format!(
        "{} người và tổ chức đã được mời, {} đã trả lời{rate}, {} đang chờ, {} phiếu giấy đã nhận chưa nhập;",
        total.invited, total.responded, total.waiting, total.returned
    )];
    let (title, lead, warning, path, button) = match step {
        Final::Close => {
            if unsent > 0 {
                facts.push(format!(
                    "{unsent} thư mời hoặc thư nhắc chưa gửi sẽ không được gửi nữa;"
                ));
            }
            facts.push("kết quả có trọng số trở thành kết quả chính thức của đợt.".to_owned());
            (
                format!("Kết thúc đợt khảo sát «{}»?", w.name),
                "Khi kết thúc đợt, mã thư mời không còn nhận phiếu (kể cả phiếu giấy nhập sau), \
                 không gửi nhắc nữa:"
                    .to_owned(),
                "Một đợt đã kết thúc không mở lại được; các phiếu giấy chưa nhập phải nhập trước."
                    .to_owned(),
                "close",
                "Kết thúc đợt khảo sát",
            )
        }
        Final::Purge => (
            format!("Xoá thông tin liên hệ của đợt «{}»?", w.name),
            "Khung mẫu của đợt (họ tên, điện thoại, thư điện tử, địa chỉ, mã hồ sơ) sẽ bị xoá \
             vĩnh viễn; phiếu trả lời giữ tầng và trọng số nên kết quả không đổi:"
                .to_owned(),
            "Không thể khôi phục thông tin liên hệ, cũng không thể nối lại phiếu trả lời với \
             người trả lời."
                .to_owned(),
            "purge-contacts",
            "Xoá thông tin liên hệ",
        ),
    };
    let page = crate::views::registry::ConfirmPage {
        shell: admin.0.frame(&state.key, Lang::Vi),
        title,
        lead,
        facts,
        warning,
        action: format!("/admin/waves/{id}/{path}"),
        fields: Vec::new(),
        button: button.to_owned(),
        back: format!("/admin/waves/{id}#results"),
    };
    render(state, StatusCode::OK, "admin_confirm.html", &page).map_err(PageError::staff)
}
