//! The ingest writer: desk submissions from all request handlers go through a bounded queue to
//! a few writer threads, each with its own PostgreSQL connection. A writer takes everything
//! queued (up to `MAX_BATCH`) and stores it with one statement, then answers each request.
//!
//! Under light load a batch is one rating and adds no delay; under heavy load one commit
//! serves dozens of ratings. A request is acknowledged only after its batch committed, so
//! nothing acknowledged is lost; a full queue answers "busy" (503) instead of growing.

use std::collections::HashMap;
use std::sync::mpsc::{sync_channel, Receiver, SyncSender, TrySendError};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use diesel::PgConnection;
use tokio::sync::oneshot;

use crate::db::{self, responses::PendingDesk, responses::Stored};

pub const MAX_BATCH: usize = 128;
const QUEUE: usize = 8_192;

#[derive(Debug, thiserror::Error)]
pub enum WriteError {
    #[error("the ingest queue is full")]
    Busy,
    #[error("the writer stopped")]
    Stopped,
    #[error("database: {0}")]
    Database(String),
}

struct Job {
    pending: PendingDesk,
    reply: oneshot::Sender<Result<Stored, WriteError>>,
}

pub struct Writer {
    tx: SyncSender<Job>,
}

impl Writer {
    /// Starts `threads` writers on `database_url` for the instrument `instrument_id`.
    pub fn start(database_url: &str, instrument_id: i32, threads: usize) -> Writer {
        let (tx, rx) = sync_channel::<Job>(QUEUE);
        let rx = Arc::new(Mutex::new(rx));
        for i in 0..threads.max(1) {
            let rx = Arc::clone(&rx);
            let url = database_url.to_owned();
            std::thread::Builder::new()
                .name(format!("sipas-writer-{i}"))
                .spawn(move || run(&url, instrument_id, &rx))
                .expect("cannot start a writer thread");
        }
        Writer { tx }
    }

    /// Queues one submission and waits for its batch to commit.
    pub async fn submit(&self, pending: PendingDesk) -> Result<Stored, WriteError> {
        let (reply, answer) = oneshot::channel();
        match self.tx.try_send(Job { pending, reply }) {
            Ok(()) => {}
            Err(TrySendError::Full(_)) => return Err(WriteError::Busy),
            Err(TrySendError::Disconnected(_)) => return Err(WriteError::Stopped),
        }
        answer.await.map_err(|_| WriteError::Stopped)?
    }
}

fn run(url: &str, instrument_id: i32, rx: &Mutex<Receiver<Job>>) {
    let mut conn: Option<PgConnection> = None;
    loop {
        let jobs = {
            let rx = rx.lock().unwrap_or_else(|e| e.into_inner());
            let Ok(first) = rx.recv() else { return };
            let mut jobs = vec![first];
            while jobs.len() < MAX_BATCH {
                match rx.try_recv() {
                    Ok(j) => jobs.push(j),
                    Err(_) => break,
                }
            }
            jobs
        };
        if conn.is_none() {
            match db::connect(url) {
                Ok(c) => conn = Some(c),
                Err(e) => {
                    tracing::error!(error = %e, "writer cannot connect");
                    for j in jobs {
                        let _ = j
                            .reply
                            .send(Err(WriteError::Database("no connection".into())));
                    }
                    std::thread::sleep(Duration::from_millis(500));
                    continue;
                }
            }
        }
        let c = conn.as_mut().expect("connected above");
        if let Err(e) = store(c, instrument_id, jobs) {
            tracing::error!(error = %e, "writer lost its connection");
            conn = None;
        }
    }
}

/// Stores one batch and answers every job. Repeated submission ids inside the batch (a double
/// click landing in the same batch) are stored once. If the batch statement fails, each job is
/// retried alone, so one bad rating cannot sink its neighbours.
fn store(
    conn: &mut PgConnection,
    instrument_id: i32,
    jobs: Vec<Job>,
) -> Result<(), diesel::result::Error> {
    let mut first_of: HashMap<uuid::Uuid, usize> = HashMap::new();
    let mut unique: Vec<&PendingDesk> = Vec::with_capacity(jobs.len());
    let mut slot = Vec::with_capacity(jobs.len());
    for job in &jobs {
        let id = job.pending.submission.id;
        match first_of.get(&id) {
            Some(&u) => slot.push((u, true)),
            None => {
                first_of.insert(id, unique.len());
                slot.push((unique.len(), false));
                unique.push(&job.pending);
            }
        }
    }
    let outcome = if unique.len() == 1 {
        db::responses::insert_desk_submission(
            conn,
            unique[0].desk_id,
            unique[0].key_version,
            instrument_id,
            unique[0].channel,
            &unique[0].submission,
        )
        .map(|s| vec![s])
    } else {
        db::responses::insert_desk_batch(conn, instrument_id, &unique)
    };
    match outcome {
        Ok(results) => {
            for (job, (u, repeat)) in jobs.into_iter().zip(slot) {
                let r = match (results[u], repeat) {
                    (Stored::Created, true) => Stored::Duplicate,
                    (other, _) => other,
                };
                let _ = job.reply.send(Ok(r));
            }
            Ok(())
        }
        Err(e) if unique.len() > 1 && !is_connection_error(&e) => {
            tracing::warn!(error = %e, size = unique.len(), "batch failed; storing its ratings one by one");
            for job in jobs {
                let p = &job.pending;
                let r = db::responses::insert_desk_submission(
                    conn,
                    p.desk_id,
                    p.key_version,
                    instrument_id,
                    p.channel,
                    &p.submission,
                )
                .map_err(|e| WriteError::Database(e.to_string()));
                let _ = job.reply.send(r);
            }
            Ok(())
        }
        Err(e) => {
            for job in jobs {
                let _ = job.reply.send(Err(WriteError::Database(e.to_string())));
            }
            if is_connection_error(&e) {
                Err(e)
            } else {
                Ok(())
            }
        }
    }
}

fn is_connection_error(e: &diesel::result::Error) -> bool {
    matches!(
        e,
        diesel::result::Error::DatabaseError(
            diesel::result::DatabaseErrorKind::ClosedConnection,
            _
        ) | diesel::result::Error::BrokenTransactionManager
    )
}
