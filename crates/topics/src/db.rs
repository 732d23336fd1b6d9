//! The topics store: one SQLite database (`<data-dir>/topics.sqlite3`, or
//! an in-memory one) holding topics, subscriptions, the delivery outbox and
//! the mailbox. Records are JSON documents keyed by ARN or id.
//!
//! Durability: WAL with `synchronous = FULL`, so a publish is on disk
//! (fsynced) before it is acknowledged; a queued delivery leaves the outbox
//! only once its endpoint took it.

use std::path::Path;

use rusqlite::{Connection, OptionalExtension, params};

use crate::error::SnsError;
use crate::model::{Delivery, MailItem, Subscription, Topic};

type Result<T> = std::result::Result<T, SnsError>;

const SCHEMA: &str = "
PRAGMA journal_mode = WAL;
PRAGMA synchronous = FULL;
CREATE TABLE IF NOT EXISTS topics (arn TEXT PRIMARY KEY, doc TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS subscriptions (arn TEXT PRIMARY KEY, topic_arn TEXT NOT NULL, doc TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS outbox (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    due_ms INTEGER NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    leased INTEGER NOT NULL DEFAULT 0,
    doc TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS outbox_due ON outbox (leased, due_ms);
CREATE TABLE IF NOT EXISTS mailbox (seq INTEGER PRIMARY KEY AUTOINCREMENT, doc TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
";

/// A delivery taken from the outbox.
#[derive(Debug, Clone)]
pub struct Claimed {
    pub id: i64,
    /// Failed attempts so far.
    pub attempts: u32,
    pub delivery: Delivery,
}

/// What happened to a claimed delivery.
#[derive(Debug, Clone, PartialEq)]
pub enum Outcome {
    /// Delivered, or given up on: leaves the outbox.
    Done(i64),
    /// Failed; try again at `due_ms` (after `attempts` failures).
    Retry { id: i64, attempts: u32, due_ms: i64 },
}

pub struct Db {
    conn: Connection,
}

impl Db {
    /// Opens (creating if needed) the database at `path`, or an in-memory
    /// one. Deliveries leased by a process that died become due again.
    pub fn open(path: Option<&Path>) -> Result<Db> {
        let conn = match path {
            Some(p) => Connection::open(p)?,
            None => Connection::open_in_memory()?,
        };
        conn.busy_timeout(std::time::Duration::from_secs(5))?;
        conn.execute_batch(SCHEMA)?;
        conn.execute("UPDATE outbox SET leased = 0 WHERE leased = 1", [])?;
        Ok(Db { conn })
    }

    /// Opens an existing database read-only (`baton mail`).
    pub fn open_read_only(path: &Path) -> Result<Db> {
        let conn = Connection::open_with_flags(path, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY)?;
        conn.busy_timeout(std::time::Duration::from_secs(5))?;
        Ok(Db { conn })
    }

    pub fn topics(&self) -> Result<Vec<Topic>> {
        self.docs("SELECT doc FROM topics ORDER BY rowid")
    }

    pub fn subscriptions(&self) -> Result<Vec<Subscription>> {
        self.docs("SELECT doc FROM subscriptions ORDER BY rowid")
    }

    fn docs<T: serde::de::DeserializeOwned>(&self, sql: &str) -> Result<Vec<T>> {
        let mut stmt = self.conn.prepare(sql)?;
        let rows = stmt.query_map([], |r| r.get::<_, String>(0))?;
        let mut out = Vec::new();
        for row in rows {
            out.push(serde_json::from_str(&row?)?);
        }
        Ok(out)
    }

    pub fn put_topic(&self, topic: &Topic) -> Result<()> {
        self.conn.execute(
            "INSERT INTO topics (arn, doc) VALUES (?1, ?2)
             ON CONFLICT(arn) DO UPDATE SET doc = excluded.doc",
            params![topic.arn, serde_json::to_string(topic)?],
        )?;
        Ok(())
    }

    /// Deletes a topic and its subscriptions in one transaction.
    pub fn delete_topic(&mut self, arn: &str) -> Result<()> {
        let tx = self.conn.transaction()?;
        tx.execute("DELETE FROM subscriptions WHERE topic_arn = ?1", [arn])?;
        tx.execute("DELETE FROM topics WHERE arn = ?1", [arn])?;
        tx.commit()?;
        Ok(())
    }

    pub fn put_subscription(&self, sub: &Subscription) -> Result<()> {
        self.conn.execute(
            "INSERT INTO subscriptions (arn, topic_arn, doc) VALUES (?1, ?2, ?3)
             ON CONFLICT(arn) DO UPDATE SET doc = excluded.doc",
            params![sub.arn, sub.topic_arn, serde_json::to_string(sub)?],
        )?;
        Ok(())
    }

    /// Deletes a subscription and stores its topic (whose deleted count
    /// changed) in one transaction, optionally queueing a delivery too.
    pub fn delete_subscription(
        &mut self,
        arn: &str,
        topic: Option<&Topic>,
        goodbye: Option<(&Delivery, i64)>,
    ) -> Result<()> {
        let tx = self.conn.transaction()?;
        tx.execute("DELETE FROM subscriptions WHERE arn = ?1", [arn])?;
        if let Some(t) = topic {
            tx.execute(
                "UPDATE topics SET doc = ?2 WHERE arn = ?1",
                params![t.arn, serde_json::to_string(t)?],
            )?;
        }
        if let Some((d, now)) = goodbye {
            insert_delivery(&tx, d, now)?;
        }
        tx.commit()?;
        Ok(())
    }

    /// Stores a subscription and queues deliveries in one transaction.
    pub fn put_subscription_with(
        &mut self,
        sub: &Subscription,
        deliveries: &[Delivery],
        now_ms: i64,
    ) -> Result<()> {
        let tx = self.conn.transaction()?;
        tx.execute(
            "INSERT INTO subscriptions (arn, topic_arn, doc) VALUES (?1, ?2, ?3)
             ON CONFLICT(arn) DO UPDATE SET doc = excluded.doc",
            params![sub.arn, sub.topic_arn, serde_json::to_string(sub)?],
        )?;
        for d in deliveries {
            insert_delivery(&tx, d, now_ms)?;
        }
        tx.commit()?;
        Ok(())
    }

    /// Queues deliveries durably (one fsynced transaction).
    pub fn enqueue(&mut self, deliveries: &[Delivery], now_ms: i64) -> Result<()> {
        let tx = self.conn.transaction()?;
        for d in deliveries {
            insert_delivery(&tx, d, now_ms)?;
        }
        tx.commit()?;
        Ok(())
    }

    /// Records finished attempts, then leases up to `limit` due deliveries,
    /// in one transaction.
    pub fn settle_and_claim(
        &mut self,
        outcomes: &[Outcome],
        now_ms: i64,
        limit: usize,
    ) -> Result<Vec<Claimed>> {
        let tx = self.conn.transaction()?;
        for o in outcomes {
            match o {
                Outcome::Done(id) => {
                    tx.execute("DELETE FROM outbox WHERE id = ?1", [id])?;
                }
                Outcome::Retry {
                    id,
                    attempts,
                    due_ms,
                } => {
                    tx.execute(
                        "UPDATE outbox SET leased = 0, attempts = ?2, due_ms = ?3 WHERE id = ?1",
                        params![id, attempts, due_ms],
                    )?;
                }
            }
        }
        let mut claimed = Vec::new();
        if limit > 0 {
            let mut stmt = tx.prepare_cached(
                "SELECT id, attempts, doc FROM outbox WHERE leased = 0 AND due_ms <= ?1 ORDER BY due_ms, id LIMIT ?2",
            )?;
            let rows = stmt.query_map(params![now_ms, limit as i64], |r| {
                Ok((
                    r.get::<_, i64>(0)?,
                    r.get::<_, u32>(1)?,
                    r.get::<_, String>(2)?,
                ))
            })?;
            for row in rows {
                let (id, attempts, doc) = row?;
                match serde_json::from_str::<Delivery>(&doc) {
                    Ok(delivery) => claimed.push(Claimed {
                        id,
                        attempts,
                        delivery,
                    }),
                    Err(e) => tracing::error!(id, error = %e, "unreadable outbox entry skipped"),
                }
            }
            drop(stmt);
            for c in &claimed {
                tx.execute("UPDATE outbox SET leased = 1 WHERE id = ?1", [c.id])?;
            }
        }
        tx.commit()?;
        Ok(claimed)
    }

    /// When the next unleased delivery is due.
    pub fn next_due(&self) -> Result<Option<i64>> {
        Ok(self
            .conn
            .query_row("SELECT MIN(due_ms) FROM outbox WHERE leased = 0", [], |r| {
                r.get::<_, Option<i64>>(0)
            })?)
    }

    /// Deliveries still in the outbox.
    pub fn pending(&self) -> Result<u64> {
        Ok(self
            .conn
            .query_row("SELECT COUNT(*) FROM outbox", [], |r| r.get::<_, i64>(0))?
            as u64)
    }

    pub fn mail(&self, item: &MailItem) -> Result<()> {
        self.conn.execute(
            "INSERT INTO mailbox (doc) VALUES (?1)",
            [serde_json::to_string(item)?],
        )?;
        Ok(())
    }

    /// The mailbox, oldest first.
    pub fn mailbox(&self) -> Result<Vec<MailItem>> {
        self.docs("SELECT doc FROM mailbox ORDER BY seq")
    }

    pub fn clear_mailbox(&self) -> Result<()> {
        self.conn.execute("DELETE FROM mailbox", [])?;
        Ok(())
    }

    pub fn meta(&self, key: &str) -> Result<Option<String>> {
        Ok(self
            .conn
            .query_row("SELECT value FROM meta WHERE key = ?1", [key], |r| r.get(0))
            .optional()?)
    }

    pub fn set_meta(&self, key: &str, value: &str) -> Result<()> {
        self.conn.execute(
            "INSERT INTO meta (key, value) VALUES (?1, ?2) ON CONFLICT(key) DO UPDATE SET value = excluded.value",
            params![key, value],
        )?;
        Ok(())
    }
}

fn insert_delivery(tx: &rusqlite::Transaction<'_>, d: &Delivery, now_ms: i64) -> Result<()> {
    let mut stmt = tx.prepare_cached("INSERT INTO outbox (due_ms, doc) VALUES (?1, ?2)")?;
    stmt.execute(params![now_ms, serde_json::to_string(d)?])?;
    Ok(())
}
