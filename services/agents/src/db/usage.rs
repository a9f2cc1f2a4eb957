//! `agents.usage`: one record per turn; `agents.usage_daily`: each person's totals per UTC day,
//! kept in the same statement, which the daily limits are checked on. A chat or service turn
//! records its usage with its messages (`db::turns`); the OpenAI-compatible API's turns record
//! through the [`UsageWriter`], which batches them; memory extraction's tokens go in with
//! [`record_tokens`].

use anyhow::Context;
use sqlx::{PgExecutor, PgPool};
use tokio::sync::{mpsc, oneshot};
use uuid::Uuid;

/// What a person used since the start of the current UTC day.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Today {
    pub requests: i64,
    pub tokens: i64,
}

/// One turn's usage.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UsageRecord {
    pub person: Uuid,
    pub conversation: Option<Uuid>,
    pub agent: String,
    pub model: String,
    pub input_tokens: u64,
    pub output_tokens: u64,
}

/// Records usage for many turns at once: each caller waits until its record is written (so
/// a turn is never answered before its usage counts), but the records that arrive while one
/// batch is being written go into the next, in one statement and one commit. Under load that
/// is one write for many turns, and one update of a person's daily row instead of a queue of
/// them waiting on its lock.
#[derive(Clone)]
pub struct UsageWriter {
    sender: mpsc::UnboundedSender<Pending>,
}

/// A record waiting to be written, with whom to tell.
struct Pending {
    usage: UsageRecord,
    written: oneshot::Sender<Result<(), String>>,
}

/// The most records one statement writes.
const MAX_BATCH: usize = 512;

impl UsageWriter {
    /// Starts the writer task; it ends once every clone of the writer is dropped, after
    /// writing what was queued.
    pub fn start(db: PgPool) -> Self {
        let (sender, mut receiver) = mpsc::unbounded_channel::<Pending>();
        tokio::spawn(async move {
            let mut batch = Vec::new();
            while receiver.recv_many(&mut batch, MAX_BATCH).await > 0 {
                let records = batch.iter().map(|pending| (&pending.usage, 1));
                let written = insert(&db, records).await.map_err(|error| format!("{error:#}"));
                for pending in batch.drain(..) {
                    let _ = pending.written.send(written.clone());
                }
            }
        });
        Self { sender }
    }

    /// Records a turn: its usage row, one request and its tokens toward today's totals.
    pub async fn record(&self, usage: UsageRecord) -> anyhow::Result<()> {
        let (written, done) = oneshot::channel();
        self.sender
            .send(Pending { usage, written })
            .map_err(|_| anyhow::anyhow!("the usage writer has stopped"))?;
        match done.await {
            Ok(Ok(())) => Ok(()),
            Ok(Err(error)) => Err(anyhow::anyhow!(error)),
            Err(_) => anyhow::bail!("the usage writer has stopped"),
        }
    }
}

/// Records model work done for a person that is not a request of theirs (the memory
/// extraction after a turn): its tokens count toward today's token limit, not the request
/// limit.
pub async fn record_tokens(db: impl PgExecutor<'_>, usage: &UsageRecord) -> anyhow::Result<()> {
    insert(db, std::iter::once((usage, 0))).await
}

/// Writes records, each with the requests it counts: a usage row each, and each person's
/// requests and tokens added to today's totals (summed per person first, since one statement
/// can update a row only once; in person order, so two replicas' batches take the rows' locks
/// in the same order).
async fn insert<'a>(
    db: impl PgExecutor<'_>,
    records: impl ExactSizeIterator<Item = (&'a UsageRecord, i64)>,
) -> anyhow::Result<()> {
    let count = records.len();
    let mut people = Vec::with_capacity(count);
    let mut conversations = Vec::with_capacity(count);
    let mut agents = Vec::with_capacity(count);
    let mut models = Vec::with_capacity(count);
    let mut inputs = Vec::with_capacity(count);
    let mut outputs = Vec::with_capacity(count);
    let mut requests = Vec::with_capacity(count);
    for (usage, counted) in records {
        people.push(usage.person);
        conversations.push(usage.conversation);
        agents.push(usage.agent.as_str());
        models.push(usage.model.as_str());
        inputs.push(i64::try_from(usage.input_tokens).unwrap_or(i64::MAX));
        outputs.push(i64::try_from(usage.output_tokens).unwrap_or(i64::MAX));
        requests.push(counted);
    }
    sqlx::query!(
        "WITH batch AS (
             SELECT * FROM unnest($1::uuid[], $2::uuid[], $3::text[], $4::text[], $5::int8[],
                                  $6::int8[], $7::int8[])
                 AS b(user_id, conversation_id, agent, model, input_tokens, output_tokens, requests)
         ),
         recorded AS (
             INSERT INTO agents.usage (user_id, conversation_id, agent, model, input_tokens,
                                       output_tokens)
             SELECT user_id, conversation_id, agent, model, input_tokens, output_tokens FROM batch
         )
         INSERT INTO agents.usage_daily AS d (user_id, day, requests, tokens)
         SELECT user_id, (now() AT TIME ZONE 'UTC')::date, sum(requests),
                sum(input_tokens + output_tokens)
         FROM batch GROUP BY user_id ORDER BY user_id
         ON CONFLICT (user_id, day)
         DO UPDATE SET requests = d.requests + excluded.requests, tokens = d.tokens + excluded.tokens",
        &people,
        // Arrays of nullable ids and borrowed text are cast: the macros' check knows arrays of
        // non-null `Uuid` and `String` only.
        &conversations as &[Option<Uuid>],
        &agents as &[&str],
        &models as &[&str],
        &inputs,
        &outputs,
        &requests,
    )
    .execute(db)
    .await
    .context("recording usage")?;
    Ok(())
}

/// One model call of a person's, as their export lists it.
#[derive(Debug)]
pub struct UsageRow {
    pub created_at: chrono::DateTime<chrono::Utc>,
    pub conversation_id: Option<uuid::Uuid>,
    pub agent: String,
    pub model: String,
    pub input_tokens: i64,
    pub output_tokens: i64,
}

/// A page of the person's usage records, oldest first, after the record `after` (an id).
pub async fn of_person(
    db: impl PgExecutor<'_>,
    person: uuid::Uuid,
    after: i64,
    limit: i64,
) -> anyhow::Result<Vec<(i64, UsageRow)>> {
    let rows = sqlx::query!(
        "SELECT id, created_at, conversation_id, agent, model, input_tokens, output_tokens
         FROM agents.usage WHERE user_id = $1 AND id > $2 ORDER BY id LIMIT $3",
        person,
        after,
        limit,
    )
    .fetch_all(db)
    .await
    .context("reading a person's usage")?;
    Ok(rows
        .into_iter()
        .map(|r| {
            let row = UsageRow {
                created_at: r.created_at,
                conversation_id: r.conversation_id,
                agent: r.agent,
                model: r.model,
                input_tokens: r.input_tokens,
                output_tokens: r.output_tokens,
            };
            (r.id, row)
        })
        .collect())
}
