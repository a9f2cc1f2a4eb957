//! Live queries for subscriptions, multiplexed as Hasura does: subscribers whose compiled
//! statement has the same text (same query shape) share one poller, which runs ONE statement per
//! interval over all their distinct parameter sets (arguments and session variables) with
//! `json_to_recordset`, and wakes each group of subscribers only when its own result changed.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, Weak};
use std::time::Duration;

use futures::Stream;
use sqlx::{PgPool, Row};
use tokio::sync::watch;

use crate::compile::Compiled;
use crate::errors::{GResult, GatewayError};

type Answer = Arc<GResult<Option<serde_json::Value>>>;
type Params = Vec<Option<String>>;

#[derive(Clone)]
pub struct LiveQueries {
    cohorts: Arc<Mutex<HashMap<String, Arc<Cohort>>>>,
    interval: Duration,
}

/// The subscribers of one query shape.
struct Cohort {
    /// The statement over `_c(i, v)`: one row per parameter set.
    batched_sql: String,
    groups: Mutex<HashMap<Params, Weak<Group>>>,
}

/// The subscribers of one shape with the same parameters.
struct Group {
    tx: watch::Sender<Option<Answer>>,
}

/// What is being polled: query shapes, and parameter sets across them.
#[derive(Debug, Clone, Copy, serde::Serialize)]
pub struct LiveStats {
    pub pollers: usize,
    pub groups: usize,
}

impl LiveQueries {
    pub fn new(interval: Duration) -> Self {
        Self { cohorts: Arc::default(), interval }
    }

    pub fn stats(&self) -> LiveStats {
        let cohorts = self.cohorts.lock().unwrap_or_else(|e| e.into_inner());
        let groups = cohorts
            .values()
            .map(|c| {
                let groups = c.groups.lock().unwrap_or_else(|e| e.into_inner());
                groups.values().filter(|g| g.strong_count() > 0).count()
            })
            .sum();
        LiveStats { pollers: cohorts.len(), groups }
    }

    /// The results of `compiled`: the current one first, then each change.
    pub fn subscribe(
        &self,
        pool: PgPool,
        compiled: Compiled,
    ) -> impl Stream<Item = Answer> + Send + 'static + use<> {
        let group = {
            let mut cohorts = self.cohorts.lock().unwrap_or_else(|e| e.into_inner());
            let cohort = cohorts
                .entry(compiled.sql.clone())
                .or_insert_with(|| {
                    let cohort = Arc::new(Cohort {
                        batched_sql: batched(&compiled.sql),
                        groups: Mutex::default(),
                    });
                    tokio::spawn(poll(
                        pool,
                        compiled.sql.clone(),
                        cohort.clone(),
                        self.cohorts.clone(),
                        self.interval,
                    ));
                    cohort
                })
                .clone();
            let mut groups = cohort.groups.lock().unwrap_or_else(|e| e.into_inner());
            match groups.get(&compiled.params).and_then(Weak::upgrade) {
                Some(group) => group,
                None => {
                    let group = Arc::new(Group { tx: watch::channel(None).0 });
                    groups.insert(compiled.params, Arc::downgrade(&group));
                    group
                }
            }
        };
        let mut rx = group.tx.subscribe();
        rx.mark_changed();
        // An error is the last item: its poller has stopped.
        futures::stream::unfold((rx, group, false), |(mut rx, group, ended)| async move {
            if ended {
                return None;
            }
            loop {
                rx.changed().await.ok()?;
                let value = rx.borrow_and_update().clone();
                if let Some(value) = value {
                    let ended = value.is_err();
                    return Some((value, (rx, group, ended)));
                }
            }
        })
    }
}

/// `sql` run once per row of `_c`, its parameters read from that row's `v`.
fn batched(sql: &str) -> String {
    // Every parameter is written `$n::type` by the compiler, and `$` appears nowhere else (names
    // are GraphQL names, keys are literals of GraphQL names).
    let mut out = String::with_capacity(sql.len() + 128);
    let mut chars = sql.char_indices().peekable();
    while let Some((_, c)) = chars.next() {
        if c != '$' {
            out.push(c);
            continue;
        }
        let mut digits = String::new();
        while let Some(&(_, d)) = chars.peek() {
            if !d.is_ascii_digit() {
                break;
            }
            digits.push(d);
            chars.next();
        }
        let n: usize = digits.parse().unwrap_or(1);
        out.push_str(&format!("(_c.v->>{})", n.saturating_sub(1)));
    }
    format!("SELECT _c.i, ({out}) AS j FROM json_to_recordset($1::json) AS _c(i int, v json)")
}

async fn poll(
    pool: PgPool,
    key: String,
    cohort: Arc<Cohort>,
    cohorts: Arc<Mutex<HashMap<String, Arc<Cohort>>>>,
    interval: Duration,
) {
    let mut ticker = tokio::time::interval(interval);
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut last: HashMap<Params, Option<serde_json::Value>> = HashMap::new();
    loop {
        ticker.tick().await;
        let live: Vec<(Params, Arc<Group>)> = {
            // Under the cohorts' lock, so no subscriber joins a cohort that is going away.
            let mut map = cohorts.lock().unwrap_or_else(|e| e.into_inner());
            let mut groups = cohort.groups.lock().unwrap_or_else(|e| e.into_inner());
            groups.retain(|_, g| g.strong_count() > 0);
            if groups.is_empty() {
                map.remove(&key);
                return;
            }
            groups.iter().filter_map(|(p, g)| Some((p.clone(), g.upgrade()?))).collect()
        };
        last.retain(|params, _| live.iter().any(|(p, _)| p == params));
        let sets: Vec<serde_json::Value> = live
            .iter()
            .enumerate()
            .map(|(i, (params, _))| serde_json::json!({ "i": i, "v": params }))
            .collect();
        // Compiled from the subscription at run time, so not one of the checked macros.
        let rows = sqlx::query(&cohort.batched_sql)
            .bind(serde_json::Value::Array(sets).to_string())
            .fetch_all(&pool)
            .await;
        let rows = match rows {
            Ok(rows) => rows,
            Err(error) => {
                // A statement that failed (timeout, dropped column) ends these subscriptions.
                let error = GatewayError::from_db(&error);
                for (_, group) in &live {
                    group.tx.send_replace(Some(Arc::new(Err(error.clone()))));
                }
                cohorts.lock().unwrap_or_else(|e| e.into_inner()).remove(&key);
                return;
            }
        };
        for row in rows {
            let (Ok(i), Ok(value)) =
                (row.try_get::<i32, _>(0), row.try_get::<Option<serde_json::Value>, _>(1))
            else {
                continue;
            };
            let Some((params, group)) = usize::try_from(i).ok().and_then(|i| live.get(i)) else {
                continue;
            };
            if last.get(params) != Some(&value) {
                last.insert(params.clone(), value.clone());
                group.tx.send_replace(Some(Arc::new(Ok(value))));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::batched;

    #[test]
    fn parameters_are_read_from_each_row() {
        let sql = batched("SELECT x FROM t WHERE a = $1::integer AND b = $12::text");
        assert!(sql.contains("a = (_c.v->>0)::integer AND b = (_c.v->>11)::text"), "{sql}");
        assert!(sql.starts_with("SELECT _c.i, (SELECT x FROM t"));
    }
}
