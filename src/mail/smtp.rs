//! SMTP with lettre's connection, command by command, so the worker learns the one moment that
//! matters for "never twice": just before the message body goes out (after the server said 354
//! to DATA). A failure before that moment cannot have delivered anything (a server discards an
//! unfinished DATA); a lost answer after it may have.

use lettre::address::Address;
use lettre::transport::smtp::authentication::{Credentials, Mechanism};
use lettre::transport::smtp::client::{SmtpConnection, TlsParameters};
use lettre::transport::smtp::commands::{Data, Mail, Rcpt};
use lettre::transport::smtp::extension::ClientId;
use lettre::transport::smtp::Error as SmtpError;

use crate::config::{Smtp, SmtpTls};

/// How handing one message to the server ended.
#[derive(Debug, PartialEq)]
pub enum Handed {
    /// The server accepted it: its reply.
    Accepted(String),
    /// Not delivered; `permanent` for a 5xx reply (retrying will not help).
    NotDelivered { error: String, permanent: bool },
    /// The body went out and the answer was lost: the server may have it.
    Unknown(String),
    /// The hook before the body failed (the database): nothing was sent, the connection is
    /// dropped, and the worker leaves the message to recovery.
    Stopped(String),
}

/// One connection to the configured server, opened on first use and kept between messages.
pub struct Sender {
    smtp: Smtp,
    conn: Option<SmtpConnection>,
}

fn describe(e: &SmtpError) -> String {
    // lettre's errors name the server's reply or the network failure; never our data.
    e.to_string()
}

impl Sender {
    pub fn new(smtp: Smtp) -> Sender {
        Sender { smtp, conn: None }
    }

    fn hello(&self) -> ClientId {
        let domain = self
            .smtp
            .from
            .parse::<lettre::message::Mailbox>()
            .map(|m| m.email.domain().to_owned())
            .unwrap_or_else(|_| "localhost".to_owned());
        ClientId::Domain(domain)
    }

    /// A connection ready for MAIL (TLS and sign-in done), or why not.
    fn connect(&self) -> Result<SmtpConnection, Handed> {
        // Failing to connect or sign in is about the server or the settings, not this
        // message: never a reason to give up on it.
        let not = |e: SmtpError| Handed::NotDelivered {
            error: describe(&e),
            permanent: false,
        };
        self.open()
            .map_err(not)?
            .ok_or_else(|| Handed::NotDelivered {
                error: "the server does not offer STARTTLS (SIPAS_SMTP_TLS=starttls)".into(),
                permanent: false,
            })
    }

    /// `None` when STARTTLS is required and not offered.
    fn open(&self) -> Result<Option<SmtpConnection>, SmtpError> {
        let hello = self.hello();
        let tls = || TlsParameters::builder(self.smtp.host.clone()).build_rustls();
        let implicit = match self.smtp.tls {
            SmtpTls::Implicit => Some(tls()?),
            _ => None,
        };
        let mut conn = SmtpConnection::connect(
            (self.smtp.host.as_str(), self.smtp.port),
            Some(self.smtp.timeout),
            &hello,
            implicit.as_ref(),
            None,
        )?;
        if self.smtp.tls == SmtpTls::StartTls {
            if !conn.can_starttls() {
                conn.abort();
                return Ok(None);
            }
            conn.starttls(&tls()?, &hello)?;
        }
        if let (Some(user), Some(password)) = (&self.smtp.username, &self.smtp.password) {
            conn.auth(
                &[Mechanism::Plain, Mechanism::Login],
                &Credentials::new(user.clone(), password.clone()),
            )?;
        }
        Ok(Some(conn))
    }

    /// Connects, protects and signs in as the worker would, then says goodbye: `sipas check`.
    pub fn check(&self) -> Result<(), String> {
        match self.open() {
            Ok(Some(mut conn)) => {
                let _ = conn.quit();
                Ok(())
            }
            Ok(None) => Err("the server does not offer STARTTLS (SIPAS_SMTP_TLS=starttls)".into()),
            Err(e) => Err(describe(&e)),
        }
    }

    /// Drops the connection (after an error, or when idle).
    pub fn close(&mut self) {
        if let Some(mut c) = self.conn.take() {
            let _ = c.quit();
        }
    }

    /// Hands `body` for `to` to the server. `before_body` runs after the server agreed to take
    /// the data and before the first byte of it is sent.
    pub fn hand(
        &mut self,
        from: &Address,
        to: &Address,
        body: &[u8],
        before_body: &mut dyn FnMut() -> anyhow::Result<()>,
    ) -> Handed {
        // A kept connection may have been closed by the server while idle: one fresh try.
        for fresh in [self.conn.is_none(), true] {
            if fresh {
                self.close();
                match self.connect() {
                    Ok(c) => self.conn = Some(c),
                    Err(why) => return why,
                }
            }
            let conn = self.conn.as_mut().expect("connected above");
            let envelope = (|| {
                conn.command(Mail::new(Some(from.clone()), vec![]))?;
                conn.command(Rcpt::new(to.clone(), vec![]))?;
                conn.command(Data)?;
                Ok::<(), SmtpError>(())
            })();
            match envelope {
                Ok(()) => {}
                // The server closed an idle connection: try once more on a new one.
                Err(e) if !fresh && !e.is_response() => continue,
                Err(e) => {
                    self.drop_broken();
                    return Handed::NotDelivered {
                        error: describe(&e),
                        permanent: e.is_permanent(),
                    };
                }
            }
            if let Err(e) = before_body() {
                self.drop_broken();
                return Handed::Stopped(format!("{e:#}"));
            }
            return match conn.message(body) {
                Ok(reply) => Handed::Accepted(reply_text(&reply)),
                // The server answered the data with a refusal: it does not have the message.
                Err(e) if e.is_response() => {
                    self.drop_broken();
                    Handed::NotDelivered {
                        error: describe(&e),
                        permanent: e.is_permanent(),
                    }
                }
                Err(e) => {
                    self.drop_broken();
                    Handed::Unknown(describe(&e))
                }
            };
        }
        unreachable!("the second pass always returns")
    }

    fn drop_broken(&mut self) {
        if let Some(mut c) = self.conn.take() {
            c.abort();
        }
    }
}

fn reply_text(r: &lettre::transport::smtp::response::Response) -> String {
    format!("{} {}", r.code(), r.first_line().unwrap_or(""))
        .trim()
        .to_owned()
}
