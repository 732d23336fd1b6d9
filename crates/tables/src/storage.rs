//! Where tables and items live: the [`Storage`] trait, [`MemoryStorage`]
//! and [`SqliteStorage`]. Keys are stored as order-preserving bytes
//! ([`AttributeValue::key_bytes`](crate::value::AttributeValue::key_bytes)),
//! so both keep items in DynamoDB's sort order. An item write and its index
//! entries are one atomic step.

use std::collections::{BTreeMap, HashMap};
use std::path::Path;
use std::sync::Mutex;

use rusqlite::{Connection, OptionalExtension, params};

use crate::schema::{Pos, TableDef};
use crate::value::{Item, item_from_json, item_to_json};

#[derive(Debug, thiserror::Error)]
pub enum StorageError {
    #[error("storage failure: {0}")]
    Sqlite(#[from] rusqlite::Error),
    #[error("corrupt stored data: {0}")]
    Corrupt(String),
}

pub type Result<T> = std::result::Result<T, StorageError>;

/// An item found in a partition: its (index) sort position and primary
/// position, and the item.
pub struct Found {
    pub sort: Vec<u8>,
    pub primary: Pos,
    pub item: Item,
}

/// Table and item persistence. Conditional logic lives above this; callers
/// serialise writes to one table themselves.
pub trait Storage: Send + Sync {
    /// Adds a table; `false` if one with that name exists.
    fn create_table(&self, def: &TableDef) -> Result<bool>;
    /// Drops a table and its items; `false` if it did not exist.
    fn delete_table(&self, name: &str) -> Result<bool>;
    /// Every table, by name.
    fn tables(&self) -> Result<Vec<TableDef>>;
    /// Replaces a table's definition and drops the entries of indexes it no
    /// longer has (new indexes are filled by re-putting the items).
    fn update_table(&self, def: &TableDef) -> Result<()>;
    fn get(&self, table: &str, pos: &Pos) -> Result<Option<Item>>;
    /// Writes an item and replaces its index entries, atomically.
    fn put(&self, def: &TableDef, pos: &Pos, item: &Item) -> Result<()>;
    /// Removes an item and its index entries, atomically.
    fn delete(&self, def: &TableDef, pos: &Pos) -> Result<()>;
    /// Several puts (`Some`) and deletes (`None`) as one atomic step: after
    /// a crash either all of them are stored or none (TransactWriteItems).
    fn apply(&self, writes: &[Write<'_>]) -> Result<()>;
    /// The items of one partition of the table (`index` = None) or of an
    /// index, in ascending sort order (ties by primary position).
    fn partition(&self, table: &str, index: Option<&str>, hash: &[u8]) -> Result<Vec<Found>>;
    /// Every item of a table, in primary position order.
    fn scan(&self, table: &str) -> Result<Vec<(Pos, Item)>>;
    fn count(&self, table: &str) -> Result<u64>;
}

/// One write of [`Storage::apply`]: the item to store at `pos`, or `None`
/// to delete it.
pub type Write<'a> = (&'a TableDef, &'a Pos, Option<&'a Item>);

type IndexKey = (Vec<u8>, Vec<u8>, Vec<u8>, Vec<u8>);

#[derive(Default)]
struct MemTable {
    def: Option<TableDef>,
    items: BTreeMap<Pos, Item>,
    indexes: HashMap<String, BTreeMap<IndexKey, ()>>,
}

impl MemTable {
    fn put(&mut self, def: &TableDef, pos: &Pos, item: &Item) {
        if let Some(old) = self.items.get(pos) {
            for (ix, p) in def.index_positions(old) {
                self.indexes.entry(ix).or_default().remove(&(
                    p.0,
                    p.1,
                    pos.0.clone(),
                    pos.1.clone(),
                ));
            }
        }
        for (ix, p) in def.index_positions(item) {
            self.indexes
                .entry(ix)
                .or_default()
                .insert((p.0, p.1, pos.0.clone(), pos.1.clone()), ());
        }
        self.items.insert(pos.clone(), item.clone());
    }

    fn delete(&mut self, def: &TableDef, pos: &Pos) {
        if let Some(old) = self.items.remove(pos) {
            for (ix, p) in def.index_positions(&old) {
                self.indexes.entry(ix).or_default().remove(&(
                    p.0,
                    p.1,
                    pos.0.clone(),
                    pos.1.clone(),
                ));
            }
        }
    }
}

/// Everything in memory (`baton serve --in-memory`, tests).
#[derive(Default)]
pub struct MemoryStorage {
    tables: Mutex<BTreeMap<String, MemTable>>,
}

impl MemoryStorage {
    pub fn new() -> MemoryStorage {
        MemoryStorage::default()
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

impl Storage for MemoryStorage {
    fn create_table(&self, def: &TableDef) -> Result<bool> {
        let mut t = lock(&self.tables);
        if t.contains_key(&def.name) {
            return Ok(false);
        }
        t.insert(
            def.name.clone(),
            MemTable {
                def: Some(def.clone()),
                ..Default::default()
            },
        );
        Ok(true)
    }

    fn delete_table(&self, name: &str) -> Result<bool> {
        Ok(lock(&self.tables).remove(name).is_some())
    }

    fn tables(&self) -> Result<Vec<TableDef>> {
        Ok(lock(&self.tables)
            .values()
            .filter_map(|t| t.def.clone())
            .collect())
    }

    fn update_table(&self, def: &TableDef) -> Result<()> {
        let mut tables = lock(&self.tables);
        if let Some(t) = tables.get_mut(&def.name) {
            t.indexes.retain(|name, _| def.index(name).is_some());
            t.def = Some(def.clone());
        }
        Ok(())
    }

    fn get(&self, table: &str, pos: &Pos) -> Result<Option<Item>> {
        Ok(lock(&self.tables)
            .get(table)
            .and_then(|t| t.items.get(pos).cloned()))
    }

    fn put(&self, def: &TableDef, pos: &Pos, item: &Item) -> Result<()> {
        let mut tables = lock(&self.tables);
        if let Some(t) = tables.get_mut(&def.name) {
            t.put(def, pos, item);
        }
        Ok(())
    }

    fn delete(&self, def: &TableDef, pos: &Pos) -> Result<()> {
        let mut tables = lock(&self.tables);
        if let Some(t) = tables.get_mut(&def.name) {
            t.delete(def, pos);
        }
        Ok(())
    }

    fn apply(&self, writes: &[Write<'_>]) -> Result<()> {
        // One lock for all: no reader sees half of the writes.
        let mut tables = lock(&self.tables);
        for (def, pos, item) in writes {
            if let Some(t) = tables.get_mut(&def.name) {
                match item {
                    Some(item) => t.put(def, pos, item),
                    None => t.delete(def, pos),
                }
            }
        }
        Ok(())
    }

    fn partition(&self, table: &str, index: Option<&str>, hash: &[u8]) -> Result<Vec<Found>> {
        let tables = lock(&self.tables);
        let Some(t) = tables.get(table) else {
            return Ok(Vec::new());
        };
        let h = hash.to_vec();
        Ok(match index {
            None => t
                .items
                .range((h.clone(), Vec::new())..)
                .take_while(|(p, _)| p.0 == h)
                .map(|(p, item)| Found {
                    sort: p.1.clone(),
                    primary: p.clone(),
                    item: item.clone(),
                })
                .collect(),
            Some(ix) => match t.indexes.get(ix) {
                None => Vec::new(),
                Some(entries) => entries
                    .range((h.clone(), Vec::new(), Vec::new(), Vec::new())..)
                    .take_while(|(k, _)| k.0 == h)
                    .filter_map(|(k, _)| {
                        let primary = (k.2.clone(), k.3.clone());
                        t.items.get(&primary).map(|item| Found {
                            sort: k.1.clone(),
                            primary,
                            item: item.clone(),
                        })
                    })
                    .collect(),
            },
        })
    }

    fn scan(&self, table: &str) -> Result<Vec<(Pos, Item)>> {
        Ok(lock(&self.tables)
            .get(table)
            .map(|t| {
                t.items
                    .iter()
                    .map(|(p, i)| (p.clone(), i.clone()))
                    .collect()
            })
            .unwrap_or_default())
    }

    fn count(&self, table: &str) -> Result<u64> {
        Ok(lock(&self.tables)
            .get(table)
            .map(|t| t.items.len() as u64)
            .unwrap_or(0))
    }
}

/// Tables in their own SQLite file (`<data-dir>/tables.sqlite3`, WAL).
pub struct SqliteStorage {
    conn: Mutex<Connection>,
}

const SCHEMA: &str = "
PRAGMA journal_mode = WAL;
PRAGMA synchronous = NORMAL;
CREATE TABLE IF NOT EXISTS tables (name TEXT PRIMARY KEY, def TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS items (
    tbl TEXT NOT NULL, h BLOB NOT NULL, r BLOB NOT NULL, item TEXT NOT NULL,
    PRIMARY KEY (tbl, h, r)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS index_entries (
    tbl TEXT NOT NULL, ix TEXT NOT NULL, h BLOB NOT NULL, r BLOB NOT NULL,
    ph BLOB NOT NULL, pr BLOB NOT NULL,
    PRIMARY KEY (tbl, ix, h, r, ph, pr)) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS index_entries_by_item ON index_entries (tbl, ph, pr);
";

impl SqliteStorage {
    pub fn open(path: &Path) -> Result<SqliteStorage> {
        let conn = Connection::open(path)?;
        conn.execute_batch(SCHEMA)?;
        Ok(SqliteStorage {
            conn: Mutex::new(conn),
        })
    }

    fn parse_item(text: &str) -> Result<Item> {
        let v: serde_json::Value =
            serde_json::from_str(text).map_err(|e| StorageError::Corrupt(e.to_string()))?;
        item_from_json(&v).map_err(StorageError::Corrupt)
    }
}

/// An item write and its index entries, inside the caller's transaction.
fn put_in(conn: &Connection, def: &TableDef, pos: &Pos, item: &Item) -> Result<()> {
    conn.prepare_cached("DELETE FROM index_entries WHERE tbl = ?1 AND ph = ?2 AND pr = ?3")?
        .execute(params![def.name, pos.0, pos.1])?;
    conn.prepare_cached("INSERT OR REPLACE INTO items (tbl, h, r, item) VALUES (?1, ?2, ?3, ?4)")?
        .execute(params![
            def.name,
            pos.0,
            pos.1,
            item_to_json(item).to_string()
        ])?;
    for (ix, p) in def.index_positions(item) {
        conn.prepare_cached(
            "INSERT OR REPLACE INTO index_entries (tbl, ix, h, r, ph, pr) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        )?
        .execute(params![def.name, ix, p.0, p.1, pos.0, pos.1])?;
    }
    Ok(())
}

/// An item removal and its index entries, inside the caller's transaction.
fn delete_in(conn: &Connection, def: &TableDef, pos: &Pos) -> Result<()> {
    conn.prepare_cached("DELETE FROM index_entries WHERE tbl = ?1 AND ph = ?2 AND pr = ?3")?
        .execute(params![def.name, pos.0, pos.1])?;
    conn.prepare_cached("DELETE FROM items WHERE tbl = ?1 AND h = ?2 AND r = ?3")?
        .execute(params![def.name, pos.0, pos.1])?;
    Ok(())
}

impl Storage for SqliteStorage {
    fn create_table(&self, def: &TableDef) -> Result<bool> {
        let conn = lock(&self.conn);
        let n = conn.execute(
            "INSERT OR IGNORE INTO tables (name, def) VALUES (?1, ?2)",
            params![def.name, def.to_json().to_string()],
        )?;
        Ok(n == 1)
    }

    fn delete_table(&self, name: &str) -> Result<bool> {
        let mut conn = lock(&self.conn);
        let tx = conn.transaction()?;
        let n = tx.execute("DELETE FROM tables WHERE name = ?1", params![name])?;
        tx.execute("DELETE FROM items WHERE tbl = ?1", params![name])?;
        tx.execute("DELETE FROM index_entries WHERE tbl = ?1", params![name])?;
        tx.commit()?;
        Ok(n == 1)
    }

    fn tables(&self) -> Result<Vec<TableDef>> {
        let conn = lock(&self.conn);
        let mut stmt = conn.prepare("SELECT def FROM tables ORDER BY name")?;
        let rows = stmt.query_map([], |r| r.get::<_, String>(0))?;
        let mut out = Vec::new();
        for row in rows {
            let text = row?;
            let v: serde_json::Value =
                serde_json::from_str(&text).map_err(|e| StorageError::Corrupt(e.to_string()))?;
            out.push(
                TableDef::from_json(&v)
                    .ok_or_else(|| StorageError::Corrupt("table definition".into()))?,
            );
        }
        Ok(out)
    }

    fn update_table(&self, def: &TableDef) -> Result<()> {
        let mut conn = lock(&self.conn);
        let tx = conn.transaction()?;
        tx.execute(
            "UPDATE tables SET def = ?2 WHERE name = ?1",
            params![def.name, def.to_json().to_string()],
        )?;
        let mut stmt = tx.prepare("SELECT DISTINCT ix FROM index_entries WHERE tbl = ?1")?;
        let names: Vec<String> = stmt
            .query_map(params![def.name], |r| r.get(0))?
            .collect::<std::result::Result<_, _>>()?;
        drop(stmt);
        for ix in names.iter().filter(|n| def.index(n).is_none()) {
            tx.execute(
                "DELETE FROM index_entries WHERE tbl = ?1 AND ix = ?2",
                params![def.name, ix],
            )?;
        }
        tx.commit()?;
        Ok(())
    }

    fn get(&self, table: &str, pos: &Pos) -> Result<Option<Item>> {
        let conn = lock(&self.conn);
        let text: Option<String> = conn
            .prepare_cached("SELECT item FROM items WHERE tbl = ?1 AND h = ?2 AND r = ?3")?
            .query_row(params![table, pos.0, pos.1], |r| r.get(0))
            .optional()?;
        text.map(|t| Self::parse_item(&t)).transpose()
    }

    fn put(&self, def: &TableDef, pos: &Pos, item: &Item) -> Result<()> {
        self.apply(&[(def, pos, Some(item))])
    }

    fn delete(&self, def: &TableDef, pos: &Pos) -> Result<()> {
        self.apply(&[(def, pos, None)])
    }

    fn apply(&self, writes: &[Write<'_>]) -> Result<()> {
        let mut conn = lock(&self.conn);
        let tx = conn.transaction()?;
        for (def, pos, item) in writes {
            match item {
                Some(item) => put_in(&tx, def, pos, item)?,
                None => delete_in(&tx, def, pos)?,
            }
        }
        tx.commit()?;
        Ok(())
    }

    fn partition(&self, table: &str, index: Option<&str>, hash: &[u8]) -> Result<Vec<Found>> {
        let conn = lock(&self.conn);
        let mut out = Vec::new();
        match index {
            None => {
                let mut stmt = conn.prepare_cached(
                    "SELECT r, item FROM items WHERE tbl = ?1 AND h = ?2 ORDER BY r",
                )?;
                let rows = stmt.query_map(params![table, hash], |r| {
                    Ok((r.get::<_, Vec<u8>>(0)?, r.get::<_, String>(1)?))
                })?;
                for row in rows {
                    let (r, text) = row?;
                    out.push(Found {
                        sort: r.clone(),
                        primary: (hash.to_vec(), r),
                        item: Self::parse_item(&text)?,
                    });
                }
            }
            Some(ix) => {
                let mut stmt = conn.prepare_cached(
                    "SELECT e.r, e.ph, e.pr, i.item FROM index_entries e \
                     JOIN items i ON i.tbl = e.tbl AND i.h = e.ph AND i.r = e.pr \
                     WHERE e.tbl = ?1 AND e.ix = ?2 AND e.h = ?3 ORDER BY e.r, e.ph, e.pr",
                )?;
                let rows = stmt.query_map(params![table, ix, hash], |r| {
                    Ok((
                        r.get::<_, Vec<u8>>(0)?,
                        r.get::<_, Vec<u8>>(1)?,
                        r.get::<_, Vec<u8>>(2)?,
                        r.get::<_, String>(3)?,
                    ))
                })?;
                for row in rows {
                    let (r, ph, pr, text) = row?;
                    out.push(Found {
                        sort: r,
                        primary: (ph, pr),
                        item: Self::parse_item(&text)?,
                    });
                }
            }
        }
        Ok(out)
    }

    fn scan(&self, table: &str) -> Result<Vec<(Pos, Item)>> {
        let conn = lock(&self.conn);
        let mut stmt =
            conn.prepare_cached("SELECT h, r, item FROM items WHERE tbl = ?1 ORDER BY h, r")?;
        let rows = stmt.query_map(params![table], |r| {
            Ok((
                r.get::<_, Vec<u8>>(0)?,
                r.get::<_, Vec<u8>>(1)?,
                r.get::<_, String>(2)?,
            ))
        })?;
        let mut out = Vec::new();
        for row in rows {
            let (h, r, text) = row?;
            out.push(((h, r), Self::parse_item(&text)?));
        }
        Ok(out)
    }

    fn count(&self, table: &str) -> Result<u64> {
        let conn = lock(&self.conn);
        let n: i64 = conn.query_row(
            "SELECT COUNT(*) FROM items WHERE tbl = ?1",
            params![table],
            |r| r.get(0),
        )?;
        Ok(n as u64)
    }
}
