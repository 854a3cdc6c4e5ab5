use super::*;

#[test]
fn every_door_gives_a_fault_the_same_status_and_headers() {
    let faults = || {
        vec![
            Fault::BadToken,
            Fault::Revoked,
            Fault::RateLimited(Duration::from_millis(2500)),
            Fault::Busy,
            Fault::Unavailable(anyhow::anyhow!("connection refused")),
            Fault::MethodNotAllowed("POST"),
            Fault::NotFound,
        ]
    };
    for (a, (b, c)) in faults().into_iter().zip(faults().into_iter().zip(faults())) {
        let page = PageError::citizen(Lang::Vi, a).error_response();
        let staff = PageError::staff(b).error_response();
        let api = ApiProblem(c).error_response();
        assert_eq!(page.status(), api.status());
        assert_eq!(staff.status(), api.status());
        for name in [header::RETRY_AFTER, header::ALLOW] {
            assert_eq!(
                page.headers().get(&name),
                api.headers().get(&name),
                "{name}"
            );
            assert_eq!(
                staff.headers().get(&name),
                api.headers().get(&name),
                "{name}"
            );
        }
        assert_eq!(
            api.headers().get(header::CONTENT_TYPE).unwrap(),
            "application/problem+json"
        );
        assert!(page
            .headers()
            .get(header::CONTENT_TYPE)
            .unwrap()
            .to_str()
            .unwrap()
            .starts_with("text/html"));
    }
}

#[test]
fn a_database_failure_tells_staff_about_their_page_not_a_rating() {
    let staff = Fault::Unavailable(anyhow::anyhow!("x")).staff_message();
    assert!(!staff.contains("đánh giá"), "{staff}");
    // The commit may have happened after the deadline: never say "not saved" then.
    let citizen = Fault::Unavailable(anyhow::anyhow!("x")).citizen_message(Lang::Vi);
    assert!(citizen.contains("có thể chưa được lưu"), "{citizen}");
    assert!(Fault::Unavailable(anyhow::anyhow!("x"))
        .api_detail()
        .contains("may not have been stored; send it again with the same submission_id"));
    let busy = Fault::Busy.citizen_message(Lang::Vi);
    assert!(
        busy.contains("chưa được lưu") && !busy.contains("có thể"),
        "{busy}"
    );
}

#[test]
fn the_retry_after_of_a_rate_limit_rounds_up_to_a_whole_second() {
    assert_eq!(
        Fault::RateLimited(Duration::from_millis(200)).retry_after(),
        Some(1)
    );
    assert_eq!(
        Fault::RateLimited(Duration::from_secs(7)).retry_after(),
        Some(7)
    );
}

#[test]
fn a_step_refusal_is_typed_and_survives_context_and_a_fault_is_classified() {
    use crate::survey::StepError;
    let wrapped = anyhow::Error::new(StepError::Refused(crate::survey::Refusal::same(
        "đợt chưa khảo sát",
    )))
    .context("while importing the returns");
    assert!(
        matches!(StepError::from(wrapped), StepError::Refused(ref why) if why.vi == "đợt chưa khảo sát")
    );
    assert_eq!(
        Fault::from(StepError::Refused(crate::survey::Refusal::same("x")))
            .status()
            .as_u16(),
        422
    );
    let away = StepError::Fault(crate::db::DbError::Cancelled.into());
    assert_eq!(Fault::from(away).status().as_u16(), 503);
    let bug = StepError::Fault(anyhow::anyhow!("a step's own bug"));
    assert_eq!(Fault::from(bug).status().as_u16(), 500);
}
