//! The annual sample survey (issue #8): waves, their frame, design, draw and fieldwork.
//! A wave moves draft → designed → drawn → fieldwork → closed; each step checks the state it
//! needs and says what is missing.

use std::collections::HashMap;

use anyhow::Context;

use crate::db::{self, audit::Actor, Conn};

pub use fieldwork::{fieldwork, StratumFieldwork, RR1_FORMULA};
pub use outputs::{full_form, responses_sheet, sample_sheet, wave_of_year, wave_results};
pub use steps::{
    close_wave, design_wave, draw_wave, import_frame, import_returns, publish_wave, purge_contacts,
    replace_lost, start_fieldwork, why_not_close, why_not_purge, DrawSummary, FrameImport,
    ReturnsImport,
};

/// What a step ends with when it does not succeed: refused for a reason the person can act on
/// (a wrong state, a bad parameter), which pages show and the command line prints; or a fault
/// of the system, which the door classifies (`web::errors::Fault::database`).
#[derive(Debug, thiserror::Error)]
pub enum StepError {
    #[error("{0}")]
    Refused(Refusal),
    #[error(transparent)]
    Fault(anyhow::Error),
}

/// Why a step was refused, in English (the command line's) and in Vietnamese (the pages').
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal {
    pub en: String,
    pub vi: String,
}

impl Refusal {
    /// A reason written once, in both languages alike (a message of the pure design and draw
    /// code, which names parameters).
    pub fn same(message: impl Into<String>) -> Refusal {
        let message = message.into();
        Refusal {
            vi: message.clone(),
            en: message,
        }
    }
}

impl std::fmt::Display for Refusal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.en)
    }
}

/// A step's result.
pub type Result<T, E = StepError> = std::result::Result<T, E>;

impl From<anyhow::Error> for StepError {
    fn from(e: anyhow::Error) -> StepError {
        // A refusal that was given context on its way up is still a refusal.
        match e.downcast::<StepError>() {
            Ok(step) => step,
            Err(e) => StepError::Fault(e),
        }
    }
}

impl From<db::QueryError> for StepError {
    fn from(e: db::QueryError) -> StepError {
        StepError::Fault(e.into())
    }
}

impl From<analysis::AnalysisError> for StepError {
    fn from(e: analysis::AnalysisError) -> StepError {
        StepError::Fault(e.into())
    }
}

impl From<db::DbError> for StepError {
    fn from(e: db::DbError) -> StepError {
        StepError::Fault(e.into())
    }
}

/// Returns a [`StepError::Refused`]: the reason in English with its arguments, `;`, then in
/// Vietnamese with its own (a wave's state is named in each language).
macro_rules! refuse {
    ($en:literal $(, $ea:expr)* ; $vi:literal $(, $va:expr)* $(,)?) => {
        return Err($crate::survey::StepError::Refused($crate::survey::Refusal {
            en: format!($en $(, $ea)*),
            vi: format!($vi $(, $va)*),
        }))
    };
}

// Declared after `refuse!` so that the steps in them can use it.
pub mod design;
pub mod draw;
mod fieldwork;
pub mod frame;
pub mod letters;
mod outputs;
pub mod paper;
pub mod ranking;
pub mod results;
pub mod results_page;
pub mod returns;
mod steps;
pub mod table;

/// Turns a plain refusal message (from the pure design and draw code) into a refusal.
fn refused(message: String) -> StepError {
    StepError::Refused(Refusal::same(message))
}

/// Where a wave stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum WaveState {
    Draft,
    Designed,
    Drawn,
    Fieldwork,
    Closed,
}

impl WaveState {
    pub fn parse(s: &str) -> Option<WaveState> {
        Some(match s {
            "draft" => WaveState::Draft,
            "designed" => WaveState::Designed,
            "drawn" => WaveState::Drawn,
            "fieldwork" => WaveState::Fieldwork,
            "closed" => WaveState::Closed,
            _ => return None,
        })
    }

    pub fn as_str(self) -> &'static str {
        match self {
            WaveState::Draft => "draft",
            WaveState::Designed => "designed",
            WaveState::Drawn => "drawn",
            WaveState::Fieldwork => "fieldwork",
            WaveState::Closed => "closed",
        }
    }

    /// The state, for the Vietnamese pages.
    pub fn label_vi(self) -> &'static str {
        match self {
            WaveState::Draft => "Bản nháp",
            WaveState::Designed => "Đã thiết kế mẫu",
            WaveState::Drawn => "Đã chọn mẫu",
            WaveState::Fieldwork => "Đang khảo sát",
            WaveState::Closed => "Đã kết thúc",
        }
    }

    /// What the wave needs next, for the Vietnamese pages.
    pub fn next_step_vi(self) -> &'static str {
        match self {
            WaveState::Draft => {
                "Nhập khung mẫu (tệp CSV, hoặc sipas frame import), rồi thiết kế mẫu."
            }
            WaveState::Designed => "Chọn mẫu với một hạt giống (hoặc sipas wave draw --seed S).",
            WaveState::Drawn => {
                "Bắt đầu khảo sát (mời mẫu chính, gửi thư điện tử), rồi in thư mời giấy."
            }
            WaveState::Fieldwork => {
                "Theo dõi phản hồi và nhắc nhở; kết thúc đợt khi hết thời gian khảo sát."
            }
            WaveState::Closed => {
                "Công bố kết quả có trọng số; xóa thông tin liên hệ (sipas wave purge-contacts)."
            }
        }
    }

    /// What the wave needs next, for people.
    pub fn next_step(self) -> &'static str {
        match self {
            WaveState::Draft => {
                "import the frame (sipas frame import), then design the sample (sipas wave design)"
            }
            WaveState::Designed => "draw the sample (sipas wave draw --seed S)",
            WaveState::Drawn => {
                "start the fieldwork (sipas wave start), then print the letters (sipas wave letters)"
            }
            WaveState::Fieldwork => {
                "track responses and reminders; close the wave when fieldwork ends"
            }
            WaveState::Closed => {
                "publish the weighted results; purge the contacts (sipas wave purge-contacts)"
            }
        }
    }
}

/// A wave as steps see it.
pub struct Wave {
    pub row: db::waves::WaveRow,
    pub state: WaveState,
}

fn wave(row: db::waves::WaveRow) -> Result<Wave> {
    let state = WaveState::parse(&row.state)
        .with_context(|| format!("wave {} has an unknown state '{}'", row.id, row.state))?;
    Ok(Wave { row, state })
}

/// Creates a wave; its id.
pub fn create(
    conn: &mut Conn,
    actor: &Actor,
    name: &str,
    year: i32,
    instrument: &str,
) -> Result<i32> {
    let name = name.trim();
    if name.is_empty() || name.chars().count() > 200 {
        refuse!("--name: 1 to 200 characters"; "Tên đợt: từ 1 đến 200 ký tự");
    }
    let Ok(year16) = i16::try_from(year) else {
        refuse!("--year: between 2000 and 2100"; "Năm: từ 2000 đến 2100");
    };
    if !(2000..=2100).contains(&year16) {
        refuse!("--year: between 2000 and 2100"; "Năm: từ 2000 đến 2100");
    }
    match db::waves::create(conn, actor, name, year16, instrument)? {
        db::waves::Created::Wave(id) => Ok(id),
        db::waves::Created::NoSuchInstrument => {
            refuse!("--instrument: no instrument has the code '{instrument}'"; "Không có bộ câu hỏi nào có mã '{instrument}'")
        }
        db::waves::Created::NameTaken => {
            refuse!("a wave named '{name}' already exists for {year}"; "Đã có đợt khảo sát tên '{name}' của năm {year}")
        }
    }
}

/// A wave locked for a step (in the caller's transaction), or a message saying there is none.
fn lock(conn: &mut Conn, id: i32) -> Result<Wave> {
    match db::waves::lock(conn, id)? {
        Some(row) => wave(row),
        None => {
            refuse!("no wave has the id {id} (sipas wave list shows them)"; "Không có đợt khảo sát số {id}")
        }
    }
}

/// A wave by id, or a message saying there is none.
pub fn find(conn: &mut Conn, id: i32) -> Result<Wave> {
    match db::waves::find(conn, id)? {
        Some(row) => wave(row),
        None => {
            refuse!("no wave has the id {id} (sipas wave list shows them)"; "Không có đợt khảo sát số {id}")
        }
    }
}

/// What `sipas wave status` prints.
pub struct Status {
    pub wave: Wave,
    pub frame_units: i64,
    pub frame_by_agency: Vec<(String, i64)>,
    /// The stored design per stratum (empty before one is stored).
    pub design: Vec<(String, db::waves::StratumRow)>,
}

pub fn status(conn: &mut Conn, id: i32) -> Result<Status> {
    let wave = find(conn, id)?;
    Ok(Status {
        frame_units: db::frame::count(conn, id)?,
        frame_by_agency: db::waves::frame_by_agency(conn, id)?,
        design: db::waves::design_strata(conn, id)?,
        wave,
    })
}
