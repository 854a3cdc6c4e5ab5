//! The sample design step (with its preview) and the draw.

use super::*;

// ---- design ----

/// A decimal as a Vietnamese reader types it ("2,5" or "2.5").
fn decimal(raw: &str) -> Option<f64> {
    raw.trim()
        .replace(',', ".")
        .parse::<f64>()
        .ok()
        .filter(|x| x.is_finite())
}

/// The design parameters of the form, or a message per bad field.
fn design_params(f: &DesignForm) -> Result<DesignParams, Vec<String>> {
    let mut errors = Vec::new();
    let mut check = |ok: Option<f64>, why: &str| {
        if ok.is_none() {
            errors.push(why.to_owned());
        }
        ok.unwrap_or(0.0)
    };
    let margin = check(
        decimal(&f.margin).filter(|m| *m > 0.0 && *m < 50.0),
        "Sai số cho phép: một số phần trăm lớn hơn 0 và nhỏ hơn 50, ví dụ 5.",
    );
    let level = check(
        decimal(&f.level).filter(|l| *l >= 50.0 && *l < 100.0),
        "Độ tin cậy: một số phần trăm từ 50 đến dưới 100, ví dụ 95.",
    );
    let deff = check(
        decimal(&f.deff).filter(|d| (1.0..=10.0).contains(d)),
        "Hệ số thiết kế: từ 1 đến 10 (1 nếu chọn ngẫu nhiên đơn giản trong từng tầng).",
    );
    let response_rate = check(
        decimal(&f.response_rate).filter(|r| *r > 0.0 && *r <= 100.0),
        "Tỷ lệ phản hồi dự kiến: một số phần trăm lớn hơn 0 và không quá 100, ví dụ 60.",
    );
    let min = f.min.trim().parse::<u64>().ok();
    if min.is_none() {
        errors.push("Tối thiểu mỗi tầng: một số nguyên không âm, ví dụ 30.".into());
    }
    let size = match f.size.as_str() {
        "yamane" => Some(SizeRule::Yamane),
        "cochran" => Some(SizeRule::Cochran),
        _ => None,
    };
    if size.is_none() {
        errors.push("Cách tính cỡ mẫu: chọn Yamane hoặc Cochran.".into());
    }
    let quota = f.quota.trim();
    let allocation = match f.allocation.as_str() {
        "proportional" => Some(AllocationRule::Proportional),
        "neyman" => Some(AllocationRule::Neyman),
        "equal" => Some(AllocationRule::Equal),
        "quota" => match quota.parse::<u64>() {
            Ok(q) if q > 0 => Some(AllocationRule::Quota(q)),
            _ => {
                errors.push(
                    "Số phản hồi mỗi tầng (định mức): một số nguyên lớn hơn 0 khi phân bổ theo định mức."
                        .into(),
                );
                None
            }
        },
        _ => {
            errors.push("Cách phân bổ: chọn một cách có trong danh sách.".into());
            None
        }
    };
    match (size, allocation, min) {
        (Some(size), Some(allocation), Some(min)) if errors.is_empty() => Ok(DesignParams {
            size,
            margin: margin / 100.0,
            level: level / 100.0,
            deff,
            response_rate: response_rate / 100.0,
            allocation,
            min,
        }),
        _ => Err(errors),
    }
}

pub async fn design(
    state: web::Data<AppState>,
    admin: AdminUser,
    id: web::Path<i32>,
    form: Fields,
) -> StaffResult {
    let id = id.into_inner();
    let mut typed = DesignForm {
        size: field(&form, "size").to_owned(),
        margin: field(&form, "margin").to_owned(),
        level: field(&form, "level").to_owned(),
        deff: field(&form, "deff").to_owned(),
        response_rate: field(&form, "response_rate").to_owned(),
        allocation: field(&form, "allocation").to_owned(),
        quota: field(&form, "quota").to_owned(),
        min: field(&form, "min").to_owned(),
        ..DesignForm::default()
    };
    let preview = field(&form, "action") != "save";
    let params = match design_params(&typed) {
        Ok(p) => p,
        Err(errors) => {
            typed.errors = errors;
            let shown = Shown {
                design_form: Some(typed),
                ..Shown::default()
            };
            return wave_page(&state, &admin, id, StatusCode::UNPROCESSABLE_ENTITY, shown).await;
        }
    };
    let actor = admin.0.actor();
    let outcome = db::run_job::<_, crate::survey::StepError, _>(&state.pool, move |c| {
        Ok(survey::design_wave(c, &actor, id, &params, preview))
    })
    .await
    .map_err(|e| PageError::staff(Fault::from(e)))?;
    let status = match outcome {
        Ok(_) if !preview => return Ok(see_other(&format!("/admin/waves/{id}?done=designed"))),
        Ok(plan) => {
            typed.preview = plan
                .strata
                .iter()
                .map(|s| {
                    design_line(
                        s.agency_code.clone(),
                        i64::try_from(s.population).unwrap_or(i64::MAX),
                        i64::try_from(s.respondents).unwrap_or(i64::MAX),
                        i64::try_from(s.invited).unwrap_or(i64::MAX),
                        s.margin,
                    )
                })
                .collect();
            typed.preview_total = Some((
                grouped(i64::try_from(plan.total_respondents).unwrap_or(i64::MAX)),
                grouped(i64::try_from(plan.total_invited).unwrap_or(i64::MAX)),
            ));
            StatusCode::OK
        }
        Err(e) => {
            typed.errors.push(step_error(e)?);
            StatusCode::UNPROCESSABLE_ENTITY
        }
    };
    let shown = Shown {
        design_form: Some(typed),
        ..Shown::default()
    };
    wave_page(&state, &admin, id, status, shown).await
}

// ---- draw ----

pub async fn draw(
    state: web::Data<AppState>,
    admin: AdminUser,
    id: web::Path<i32>,
    form: Fields,
) -> StaffResult {
    let id = id.into_inner();
    let mut typed = DrawForm {
        seed: field(&form, "seed").trim().to_owned(),
        method: field(&form, "method").to_owned(),
        reserve: field(&form, "reserve").trim().to_owned(),
        errors: Vec::new(),
    };
    let seed = typed
        .seed
        .parse::<u64>()
        .ok()
        .filter(|_| typed.seed.bytes().all(|b| b.is_ascii_digit()));
    if seed.is_none() {
        typed.errors.push(
            "Hạt giống: một số nguyên không âm (tối đa 20 chữ số), ví dụ 20261129. Ghi lại để chọn lại đúng mẫu này."
                .into(),
        );
    }
    let method = match typed.method.as_str() {
        "srs" => Some(Method::Srs),
        "systematic" => Some(Method::Systematic),
        _ => {
            typed
                .errors
                .push("Phương pháp chọn: chọn một phương pháp có trong danh sách.".into());
            None
        }
    };
    let reserve = decimal(&typed.reserve).filter(|r| (0.0..=100.0).contains(r));
    if reserve.is_none() {
        typed
            .errors
            .push("Mẫu dự phòng: một số phần trăm từ 0 đến 100, ví dụ 20.".into());
    }
    let (Some(seed), Some(method), Some(reserve)) = (seed, method, reserve) else {
        let shown = Shown {
            draw_form: Some(typed),
            ..Shown::default()
        };
        return wave_page(&state, &admin, id, StatusCode::UNPROCESSABLE_ENTITY, shown).await;
    };
    let actor = admin.0.actor();
    let outcome = db::run_job::<_, crate::survey::StepError, _>(&state.pool, move |c| {
        Ok(survey::draw_wave(
            c,
            &actor,
            id,
            seed,
            method,
            reserve / 100.0,
        ))
    })
    .await
    .map_err(|e| PageError::staff(Fault::from(e)))?;
    match outcome {
        Ok(_) => Ok(see_other(&format!("/admin/waves/{id}?done=drawn"))),
        Err(e) => {
            typed.errors.push(step_error(e)?);
            let shown = Shown {
                draw_form: Some(typed),
                ..Shown::default()
            };
            wave_page(&state, &admin, id, StatusCode::UNPROCESSABLE_ENTITY, shown).await
        }
    }
}
