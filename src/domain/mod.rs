//! Parse, don't validate: types that can only hold valid values. Bad input is rejected once,
//! here at the edge, with a message a citizen (Vietnamese) or an integrator (English) can act on.

pub mod api_body;
pub mod cell;
pub mod desk_token;
pub mod email;
pub mod form_body;
pub mod instrument;
pub mod invitation;
pub mod mail_settings_token;
pub mod opening_hours;
pub mod par;
pub mod period_kind;
pub mod privacy;
pub mod published;
pub mod receipt;
pub mod registry;
pub mod role;
pub mod screening;
pub mod search;
pub mod signing;
pub mod submission;
pub mod text;

pub use desk_token::{DeskToken, TokenError};
pub use instrument::{FormSpec, Question};
pub use role::Role;
pub use submission::{Channel, FieldError, RawSubmission, RespondentKind, Submission};
