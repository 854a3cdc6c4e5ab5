//! The questions a form asks, loaded once from the database (instruments are frozen once used).

use std::collections::HashMap;

use serde::Serialize;

#[derive(Clone, Debug, Serialize)]
pub struct ScaleLevel {
    pub value: i16,
    pub label_vi: String,
    pub label_en: String,
}

#[derive(Clone, Debug, Serialize)]
pub struct Question {
    pub item_id: i32,
    pub code: String,
    /// `factor` (factor-level question), `criterion` or `overall`.
    pub kind: String,
    pub factor_code: Option<String>,
    pub factor_name_vi: Option<String>,
    pub factor_name_en: Option<String>,
    pub text_vi: String,
    pub text_en: String,
    /// Where this item's answer is stored: its index among all the instrument's items, in
    /// item order (`responses.answer_values`).
    pub slot: usize,
}

/// One option of a choice question.
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct ChoiceOption {
    pub value: i16,
    pub label_vi: String,
    pub label_en: String,
}

/// A question answered by choosing (the expectation question: several options; a profile
/// question: one). Not rated: no slot in the answer array, outside the indices.
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct ChoiceQuestion {
    pub id: i32,
    pub code: String,
    /// `expectation` or `profile`.
    pub kind: String,
    pub multiple: bool,
    pub text_vi: String,
    pub text_en: String,
    pub options: Vec<ChoiceOption>,
}

/// One instrument's form: its questions in display order and its scale.
#[derive(Clone, Debug, Serialize)]
pub struct FormSpec {
    pub instrument_id: i32,
    pub instrument_code: String,
    pub scale: Vec<ScaleLevel>,
    pub questions: Vec<Question>,
    /// How many items the instrument has in all (the length of a stored answer array).
    pub item_count: usize,
    /// The questions answered by choosing (the full form's; none on the desk form).
    pub choices: Vec<ChoiceQuestion>,
    #[serde(skip)]
    by_code: HashMap<String, usize>,
}

impl FormSpec {
    pub fn new(
        instrument_id: i32,
        instrument_code: String,
        scale: Vec<ScaleLevel>,
        questions: Vec<Question>,
        item_count: usize,
    ) -> FormSpec {
        let by_code = questions
            .iter()
            .enumerate()
            .map(|(i, q)| (q.code.clone(), i))
            .collect();
        FormSpec {
            instrument_id,
            instrument_code,
            scale,
            questions,
            item_count,
            choices: Vec::new(),
            by_code,
        }
    }

    /// The form with its choice questions.
    pub fn with_choices(mut self, choices: Vec<ChoiceQuestion>) -> FormSpec {
        self.choices = choices;
        self
    }

    pub fn choice(&self, code: &str) -> Option<&ChoiceQuestion> {
        self.choices.iter().find(|c| c.code == code)
    }

    /// A rating's answers as `responses.answer_values` stores them: one element per item of
    /// the instrument, in item order; a score 1–5, `Some(0)` for "Không có ý kiến" (no
    /// opinion), `None` for an item this form did not ask. An answer to an item outside the
    /// form, or a score outside 1–5, is refused rather than stored as something else
    /// (`Submission::parse` never lets one through; this guards every other caller).
    pub fn stored_answers(
        &self,
        answers: &[(i32, Option<i16>)],
    ) -> Result<Vec<Option<i16>>, String> {
        let mut out = vec![None; self.item_count];
        for &(item, value) in answers {
            let q = self
                .questions
                .iter()
                .find(|q| q.item_id == item)
                .ok_or_else(|| format!("item {item} is not on the form"))?;
            out[q.slot] = match value {
                None => Some(0),
                Some(v @ 1..=5) => Some(v),
                Some(v) => return Err(format!("score {v} for item {item} is outside 1–5")),
            };
        }
        Ok(out)
    }

    /// The form's answers, in question order, from a stored answer array (`stored_answers`'
    /// inverse for the questions of this form): `None` for "no opinion", for a question not
    /// asked, and for an array too short to hold the question.
    pub fn answers_from_stored(&self, stored: &[Option<i16>]) -> Vec<Option<u8>> {
        self.questions
            .iter()
            .map(|q| {
                stored
                    .get(q.slot)
                    .copied()
                    .flatten()
                    .filter(|v| (1..=5).contains(v))
                    .and_then(|v| u8::try_from(v).ok())
            })
            .collect()
    }

    pub fn question(&self, code: &str) -> Option<&Question> {
        self.by_code.get(code).map(|&i| &self.questions[i])
    }

    /// How many factor questions the form has (the factors of the overall SIPAS).
    pub fn factor_count(&self) -> usize {
        self.questions.iter().filter(|q| q.kind == "factor").count()
    }
}

/// An instrument as written in `seeds/instruments/*.toml`.
#[derive(Clone, Debug, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct InstrumentFile {
    pub code: String,
    pub name_vi: String,
    pub name_en: String,
    #[serde(default)]
    pub source: String,
    pub satisfied_threshold: i16,
    pub scale: Vec<ScaleEntry>,
    pub factors: Vec<FactorEntry>,
    pub overall: OverallEntry,
    pub forms: FormsEntry,
    /// The expectation question; its options are the factors, in order (1 = the first).
    #[serde(default)]
    pub expectation: Option<ExpectationEntry>,
    #[serde(default)]
    pub profile: Vec<ProfileEntry>,
}

#[derive(Clone, Debug, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExpectationEntry {
    pub code: String,
    pub question_vi: String,
    pub question_en: String,
}

#[derive(Clone, Debug, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProfileEntry {
    pub code: String,
    pub question_vi: String,
    pub question_en: String,
    pub options: Vec<OptionEntry>,
}

#[derive(Clone, Debug, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OptionEntry {
    pub value: i16,
    pub vi: String,
    pub en: String,
}

#[derive(Clone, Debug, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScaleEntry {
    pub value: i16,
    pub vi: String,
    pub en: String,
}

#[derive(Clone, Debug, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FactorEntry {
    pub code: String,
    pub name_vi: String,
    pub name_en: String,
    pub question_vi: String,
    pub question_en: String,
    pub criteria: Vec<CriterionEntry>,
}

#[derive(Clone, Debug, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CriterionEntry {
    pub code: String,
    pub vi: String,
    pub en: String,
}

#[derive(Clone, Debug, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OverallEntry {
    pub code: String,
    pub question_vi: String,
    pub question_en: String,
}

#[derive(Clone, Debug, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FormsEntry {
    /// Item codes asked on the desk form; the full form asks every item.
    pub desk: Vec<String>,
}

impl InstrumentFile {
    /// Parses and checks an instrument file; errors name the offending entry.
    pub fn parse(text: &str) -> anyhow::Result<InstrumentFile> {
        let file: InstrumentFile = toml::from_str(text)?;
        let values: Vec<i16> = file.scale.iter().map(|s| s.value).collect();
        anyhow::ensure!(
            values == [1, 2, 3, 4, 5],
            "scale must list the values 1 to 5 in order"
        );
        anyhow::ensure!(
            (1..=5).contains(&file.satisfied_threshold),
            "satisfied_threshold must be from 1 to 5"
        );
        let mut codes = std::collections::HashSet::new();
        for code in file.item_codes() {
            anyhow::ensure!(
                codes.insert(code.to_owned()),
                "item code {code} is used twice"
            );
        }
        for code in &file.forms.desk {
            anyhow::ensure!(codes.contains(code), "forms.desk names unknown item {code}");
        }
        let choice_codes = file
            .expectation
            .iter()
            .map(|e| e.code.as_str())
            .chain(file.profile.iter().map(|p| p.code.as_str()));
        for code in choice_codes {
            anyhow::ensure!(
                codes.insert(code.to_owned()),
                "question code {code} is used twice"
            );
        }
        for p in &file.profile {
            anyhow::ensure!(!p.options.is_empty(), "profile {} has no options", p.code);
            let mut seen = std::collections::HashSet::new();
            for o in &p.options {
                anyhow::ensure!(
                    (1..=99).contains(&o.value) && seen.insert(o.value),
                    "profile {}: option values must be distinct, from 1 to 99",
                    p.code
                );
            }
        }
        Ok(file)
    }

    /// Every item code: per factor its question then its criteria, then the overall question.
    pub fn item_codes(&self) -> impl Iterator<Item = &str> {
        self.factors
            .iter()
            .flat_map(|f| {
                std::iter::once(f.code.as_str()).chain(f.criteria.iter().map(|c| c.code.as_str()))
            })
            .chain(std::iter::once(self.overall.code.as_str()))
    }
}

/// The instruments shipped with the platform.
pub const BUNDLED_INSTRUMENTS: &[&str] = &[include_str!("../../seeds/instruments/sipas-2017.toml")];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_bundled_sipas_2017_instrument_has_5_factors_and_22_criteria() {
        let f = InstrumentFile::parse(BUNDLED_INSTRUMENTS[0]).unwrap();
        assert_eq!(f.code, "sipas-2017");
        assert_eq!(f.factors.len(), 5);
        let criteria: usize = f.factors.iter().map(|f| f.criteria.len()).sum();
        assert_eq!(criteria, 22);
        assert_eq!(f.forms.desk.len(), 6);
        assert_eq!(f.expectation.as_ref().unwrap().code, "EXPECT");
        let profile: Vec<&str> = f.profile.iter().map(|p| p.code.as_str()).collect();
        assert_eq!(profile, ["GENDER", "AGE", "EDUCATION", "OCCUPATION"]);
    }

    #[test]
    fn a_profile_option_given_twice_is_refused() {
        let text =
            BUNDLED_INSTRUMENTS[0].replace("{ value = 2, vi = \"Nữ\"", "{ value = 1, vi = \"Nữ\"");
        assert!(InstrumentFile::parse(&text)
            .unwrap_err()
            .to_string()
            .contains("GENDER"));
    }

    #[test]
    fn a_desk_form_naming_an_unknown_item_is_refused() {
        let text = BUNDLED_INSTRUMENTS[0].replace("\"F5\", \"OVERALL\"]", "\"F9\"]");
        assert!(InstrumentFile::parse(&text)
            .unwrap_err()
            .to_string()
            .contains("F9"));
    }

    /// A form of two questions whose items sit in slots 3 and 1 of a five-item instrument.
    fn two_questions() -> FormSpec {
        let q = |item_id: i32, code: &str, slot: usize| Question {
            item_id,
            code: code.into(),
            kind: "factor".into(),
            factor_code: Some(code.into()),
            factor_name_vi: None,
            factor_name_en: None,
            text_vi: String::new(),
            text_en: String::new(),
            slot,
        };
        FormSpec::new(
            1,
            "t".into(),
            Vec::new(),
            vec![q(40, "A", 3), q(20, "B", 1)],
            5,
        )
    }

    #[test]
    fn stored_answers_put_each_item_in_its_slot_and_come_back_in_form_order() {
        let form = two_questions();
        let stored = form.stored_answers(&[(40, Some(5)), (20, None)]).unwrap();
        // Slot 1 (item 20) "no opinion" = 0, slot 3 (item 40) a 5, the rest not asked.
        assert_eq!(stored, vec![None, Some(0), None, Some(5), None]);
        assert_eq!(form.answers_from_stored(&stored), vec![Some(5), None]);
        assert_eq!(
            form.answers_from_stored(&[Some(4)]),
            vec![None, None],
            "too short"
        );
    }

    #[test]
    fn stored_answers_refuse_scores_outside_the_scale_and_items_outside_the_form() {
        let form = two_questions();
        assert!(form.stored_answers(&[(40, Some(0))]).is_err());
        assert!(form.stored_answers(&[(40, Some(6))]).is_err());
        assert!(form.stored_answers(&[(41, Some(3))]).is_err());
    }
}
