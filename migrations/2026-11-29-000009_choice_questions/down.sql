ALTER TABLE paper_entries DROP COLUMN choices;
DROP TABLE response_choices;
DROP FUNCTION check_response_choice();
DROP TABLE choice_options;
DROP TABLE choice_questions;
DROP FUNCTION forbid_change_to_answered_choice();
