//! E-mail for the annual survey: composing the invitation and the reminder (`compose`),
//! speaking SMTP with lettre in a way that knows when the message body left (`smtp`), and the
//! outbox worker that sends what the outbox holds, retries, and never sends twice (`worker`).
//! The outbox's rules are in migration `…_outbox` and `db/outbox.rs`.

pub mod compose;
pub mod smtp;
pub mod worker;
