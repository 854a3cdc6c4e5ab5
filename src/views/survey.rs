//! The annual survey's pages: the waves, and one wave's steps (frame upload, design with its
//! preview, draw, sample download), each shown only in the state that allows it.

use crate::views::StaffFrame;
use serde::Serialize;

/// A whole number with Vietnamese thousands separators: 500000 → "500.000".
pub fn grouped(n: i64) -> String {
    let digits = n.unsigned_abs().to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3 + 1);
    if n < 0 {
        out.push('-');
    }
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push('.');
        }
        out.push(c);
    }
    out
}

/// One wave in the list.
#[derive(Serialize)]
pub struct WaveLine {
    pub id: i32,
    pub name: String,
    pub year: i16,
    pub state: &'static str,
    pub frame_units: String,
}

/// The "new wave" form, as typed.
#[derive(Serialize, Default)]
pub struct NewWaveForm {
    pub name: String,
    pub year: String,
    pub instrument: String,
    pub errors: Vec<String>,
}

#[derive(Serialize)]
pub struct WavesPage {
    #[serde(flatten)]
    pub shell: StaffFrame,
    pub waves: Vec<WaveLine>,
    /// (code, name) of every instrument.
    pub instruments: Vec<(String, String)>,
    pub form: NewWaveForm,
}

/// One stratum of a design, stored or previewed.
#[derive(Serialize)]
pub struct DesignLine {
    pub agency: String,
    pub population: String,
    pub respondents: String,
    pub invited: String,
    /// "±6,33%" or "–".
    pub margin: String,
}

/// The design form, as typed, with its refusals or its preview.
#[derive(Serialize)]
pub struct DesignForm {
    pub size: String,
    /// Percentages as typed ("5", "95", "60").
    pub margin: String,
    pub level: String,
    pub deff: String,
    pub response_rate: String,
    pub allocation: String,
    pub quota: String,
    pub min: String,
    pub errors: Vec<String>,
    pub preview: Vec<DesignLine>,
    /// (respondents, invitations) of the preview.
    pub preview_total: Option<(String, String)>,
}

impl Default for DesignForm {
    fn default() -> DesignForm {
        DesignForm {
            size: "yamane".into(),
            margin: "5".into(),
            level: "95".into(),
            deff: "1".into(),
            response_rate: "60".into(),
            allocation: "proportional".into(),
            quota: String::new(),
            min: "30".into(),
            errors: Vec::new(),
            preview: Vec::new(),
            preview_total: None,
        }
    }
}

/// The draw form, as typed.
#[derive(Serialize)]
pub struct DrawForm {
    pub seed: String,
    pub method: String,
    /// Percent of the invitations, as typed ("20").
    pub reserve: String,
    pub errors: Vec<String>,
}

/// One stratum's fieldwork (or the total, `agency` "Tổng").
#[derive(Serialize)]
pub struct FieldworkLine {
    pub agency: String,
    pub invited: String,
    pub responded: String,
    pub refused: String,
    pub undeliverable: String,
    pub returned: String,
    pub waiting: String,
    pub replaced: String,
    pub reserve_left: String,
    /// "62,50%" or "–".
    pub rr1: String,
    pub total: bool,
}

/// One stratum of a drawn sample.
#[derive(Serialize)]
pub struct SampleLine {
    pub agency: String,
    pub main: String,
    pub reserve: String,
}

#[derive(Serialize)]
pub struct WavePage {
    #[serde(flatten)]
    pub shell: StaffFrame,
    pub id: i32,
    pub name: String,
    pub year: i16,
    /// The state's code ("draft" …), for which steps the page offers.
    pub state_code: &'static str,
    pub state: &'static str,
    pub next_step: &'static str,
    pub notice: Option<String>,
    pub frame_units: String,
    /// (agency code, units).
    pub frame: Vec<(String, String)>,
    /// Problems of the last uploaded frame file ("Dòng 3, cột email: …").
    pub frame_errors: Vec<String>,
    pub frame_truncated: bool,
    pub design: Vec<DesignLine>,
    pub design_form: DesignForm,
    pub draw_form: DrawForm,
    /// "hạt giống 20261129, phương pháp srs, dự phòng 20%" once drawn.
    pub draw: Option<String>,
    pub sample: Vec<SampleLine>,
    pub fieldwork_errors: Vec<String>,
    /// The contact data were deleted.
    pub purged: bool,
    /// Problems of the last returns file.
    pub returns_errors: Vec<String>,
    pub returns_truncated: bool,
    /// Dispositions and response rate per stratum, the total last.
    pub fieldwork: Vec<FieldworkLine>,
    pub rr1_formula: &'static str,
    /// E-mails per status (label, count).
    pub mail: Vec<(&'static str, String)>,
    /// Whether mail is being sent: this node sends it (`SIPAS_SMTP_HOST`), or some worker has
    /// taken a message of the wave from the queue. If not, the page says the e-mails only wait.
    pub mail_configured: bool,
}

#[cfg(test)]
mod tests {
    use super::grouped;

    #[test]
    fn thousands_are_grouped_with_dots() {
        assert_eq!(grouped(0), "0");
        assert_eq!(grouped(999), "999");
        assert_eq!(grouped(1_000), "1.000");
        assert_eq!(grouped(500_000), "500.000");
        assert_eq!(grouped(-1_234_567), "-1.234.567");
    }
}

/// An index with its interval as shown, or "not reported".
#[derive(Serialize)]
pub struct IndexCell {
    pub shown: super::Shown,
}

impl IndexCell {
    pub fn of(e: Option<analysis::IndexEstimate>, n: u64) -> IndexCell {
        IndexCell {
            shown: super::Shown::new(
                e.filter(|e| !e.suppressed)
                    .map(|e| (e.estimate, e.ci_low, e.ci_high)),
                e.map_or(n, |e| e.n),
                super::Lang::Vi,
            ),
        }
    }
}

/// One agency (or the province) of a wave's results.
#[derive(Serialize)]
pub struct ResultLine {
    pub code: String,
    pub name: String,
    pub population: String,
    pub respondents: String,
    pub sipas: IndexCell,
    pub factors: Vec<IndexCell>,
    /// The desk QR stream's SIPAS for the same agency and year.
    pub desk: Option<IndexCell>,
    /// The annual sample's SIPAS on the desk form's five questions: the figure compared with
    /// `desk`.
    pub comparable: Option<IndexCell>,
    /// Annual (on the desk form's questions) minus desk, with its interval ("+3,20 (−1,10 to +7,50) điểm %"), and whether the
    /// interval excludes zero.
    pub difference: Option<String>,
    pub significant: bool,
    /// "2 (1–3)": the rank by SIPAS among the wave's agencies and its 95% interval.
    pub rank: Option<String>,
    /// Against the province: "above", "not_different", "below" (for the CSS class) …
    pub tier_code: Option<&'static str>,
    /// … and in words.
    pub tier: Option<&'static str>,
}

/// One question of the province's results.
#[derive(Serialize)]
pub struct ItemLine {
    pub code: String,
    pub text: String,
    pub index: IndexCell,
    pub mean: String,
    pub missing: String,
}

#[derive(Serialize)]
pub struct WaveResultsPage {
    #[serde(flatten)]
    pub shell: StaffFrame,
    pub id: i32,
    pub name: String,
    pub year: i16,
    pub provisional: bool,
    pub factor_names: Vec<String>,
    /// The questions the annual and desk figures are compared on ("F1, F2, …").
    pub compared_questions: String,
    pub province: Option<ResultLine>,
    pub agencies: Vec<ResultLine>,
    pub items: Vec<ItemLine>,
    pub respondents: String,
    pub refused: Option<&'static str>,
    /// What to improve first: per agency and the province, the share choosing each area.
    pub shares: Vec<ShareTable>,
}

#[derive(Serialize)]
pub struct ShareTable {
    pub options: Vec<String>,
    /// (agency, one cell per option).
    pub rows: Vec<(String, Vec<IndexCell>)>,
}

/// One question on the keying screen.
#[derive(Serialize)]
pub struct KeyField {
    pub code: String,
    pub text: String,
    /// The key typed (kept after a refusal; agreed value when resolving).
    pub value: String,
    /// On the first question of a part: the part's name.
    pub part: Option<String>,
    /// When resolving: what the two keyings said ("lần 1: 4, lần 2: 5").
    pub disagreement: Option<String>,
}

/// A choice question on the keying screen: the numbers of the options ticked.
#[derive(Serialize)]
pub struct ChoiceKeyField {
    pub code: String,
    pub text: String,
    /// "1 Nam · 2 Nữ · 3 Khác".
    pub hint: String,
    pub value: String,
    pub maxlength: usize,
    pub disagreement: Option<String>,
}

/// The keying screen: a code to type, or a questionnaire to key (or resolve).
#[derive(Serialize)]
pub struct PaperPage {
    #[serde(flatten)]
    pub shell: StaffFrame,
    pub id: i32,
    pub wave: String,
    pub double_entry: bool,
    pub notice: Option<String>,
    pub errors: Vec<String>,
    pub pending: usize,
    /// The unit being keyed: its code (grouped) and agency; `None` on the code screen.
    pub unit: Option<PaperUnit>,
    pub fields: Vec<KeyField>,
    pub choice_fields: Vec<ChoiceKeyField>,
    pub kind: String,
    pub comment: String,
    pub code: String,
}

#[derive(Serialize)]
pub struct PaperUnit {
    pub code: String,
    pub grouped: String,
    pub agency: String,
    /// "Lần nhập 1 (lần 2 do người khác nhập)", …
    pub entry: String,
    pub action: String,
}

/// Questionnaires waiting for a resolution.
#[derive(Serialize)]
pub struct ConflictsPage {
    #[serde(flatten)]
    pub shell: StaffFrame,
    pub id: i32,
    pub wave: String,
    pub notice: Option<String>,
    pub errors: Vec<String>,
    pub conflicts: Vec<Conflict>,
}

#[derive(Serialize)]
pub struct Conflict {
    pub unit: PaperUnit,
    pub keyers: String,
    pub differences: Vec<String>,
    pub fields: Vec<KeyField>,
    pub choice_fields: Vec<ChoiceKeyField>,
    pub kind: String,
    pub comment: String,
}

/// One agency's annual-survey results, for its own staff (the dashboard's annual source).
#[derive(Serialize)]
pub struct AnnualAgencyPage {
    #[serde(flatten)]
    pub shell: StaffFrame,
    pub agency: String,
    pub year: i32,
    /// The questions the annual and desk figures are compared on ("F1, F2, …").
    pub compared_questions: String,
    /// The wave of the year, if there is one in fieldwork or closed.
    pub wave: Option<String>,
    pub provisional: bool,
    pub factor_names: Vec<String>,
    /// The agency's line (or the province's); `None` when the agency is not a stratum.
    pub line: Option<ResultLine>,
    pub items: Vec<ItemLine>,
}
