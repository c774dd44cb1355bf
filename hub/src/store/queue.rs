//! SQL for the message queue table.

use std::sync::Arc;

use rusqlite::{params, Connection, OptionalExtension};

use super::writer::Ctx;
use super::{QueuedMessage, StoreError};
use crate::message::HubMessage;

/// A message encoded once for storage (shared by all its targets).
#[derive(Debug)]
pub(crate) struct EncodedMessage {
    source: String,
    properties: String,
    system_properties: String,
    body: Vec<u8>,
    size: u64,
}

impl EncodedMessage {
    pub(crate) fn new(msg: &HubMessage) -> Result<Arc<EncodedMessage>, StoreError> {
        let json = |m| serde_json::to_string(m).map_err(|e| StoreError::Corrupt(e.to_string()));
        Ok(Arc::new(EncodedMessage {
            source: msg.source.clone(),
            properties: json(&msg.properties)?,
            system_properties: json(&msg.system_properties)?,
            body: msg.body.clone(),
            size: msg.size_bytes() as u64,
        }))
    }
}

/// One enqueue request: a message and its (endpoint, priority, expires_at) targets.
pub(crate) type Request = (Arc<EncodedMessage>, Vec<(String, u32, Option<u64>)>);

fn to_i64(v: u64) -> i64 {
    i64::try_from(v).unwrap_or(i64::MAX)
}

/// Inserts every request or none: the size limit is checked for the whole set first.
pub(crate) fn insert(
    conn: &Connection,
    ctx: &mut Ctx,
    requests: &[Request],
) -> Result<Vec<Vec<i64>>, StoreError> {
    let incoming: u64 = requests
        .iter()
        .map(|(m, targets)| m.size.saturating_mul(targets.len() as u64))
        .sum();
    if ctx.limit != u64::MAX && ctx.size.saturating_add(incoming) > ctx.limit {
        return Err(StoreError::Full {
            used: ctx.size,
            incoming,
            limit: ctx.limit,
        });
    }
    let mut stmt = conn.prepare_cached(
        "INSERT INTO queue (endpoint, priority, expires_at, size, source, properties, system_properties, body)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
    )?;
    let mut all = Vec::with_capacity(requests.len());
    for (m, targets) in requests {
        let mut seqs = Vec::with_capacity(targets.len());
        for (endpoint, priority, expires_at) in targets {
            stmt.execute(params![
                endpoint,
                priority,
                expires_at.map(to_i64),
                to_i64(m.size),
                m.source,
                m.properties,
                m.system_properties,
                m.body,
            ])?;
            seqs.push(conn.last_insert_rowid());
        }
        all.push(seqs);
    }
    ctx.size = ctx.size.saturating_add(incoming);
    Ok(all)
}

/// Deletes the given entries of `endpoint`; unknown seqs are ignored (acks are idempotent).
pub(crate) fn delete(
    conn: &Connection,
    ctx: &mut Ctx,
    endpoint: &str,
    seqs: &[i64],
) -> Result<usize, StoreError> {
    let mut stmt =
        conn.prepare_cached("DELETE FROM queue WHERE endpoint = ?1 AND seq = ?2 RETURNING size")?;
    let mut deleted = 0;
    for seq in seqs {
        let size: Option<i64> = stmt
            .query_row(params![endpoint, seq], |r| r.get(0))
            .optional()?;
        if let Some(size) = size {
            ctx.size = ctx.size.saturating_sub(size.max(0) as u64);
            deleted += 1;
        }
    }
    Ok(deleted)
}

/// Deletes expired entries of every endpoint; returns how many per source path.
pub(crate) fn delete_expired(
    conn: &Connection,
    ctx: &mut Ctx,
    now: u64,
) -> Result<Vec<(String, u64)>, StoreError> {
    let mut stmt = conn.prepare_cached(
        "DELETE FROM queue WHERE expires_at IS NOT NULL AND expires_at <= ?1 RETURNING size, source",
    )?;
    let rows = stmt
        .query_map(params![to_i64(now)], |r| {
            Ok((r.get::<_, i64>(0)?, r.get::<_, String>(1)?))
        })?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    let freed: u64 = rows.iter().map(|(s, _)| (*s).max(0) as u64).sum();
    ctx.size = ctx.size.saturating_sub(freed);
    let mut sources: Vec<(String, u64)> = Vec::new();
    for (_, source) in rows {
        match sources.iter_mut().find(|(s, _)| *s == source) {
            Some((_, n)) => *n += 1,
            None => sources.push((source, 1)),
        }
    }
    Ok(sources)
}

/// Entries per (endpoint, priority).
pub(crate) fn lengths(conn: &Connection) -> Result<Vec<(String, u32, u64)>, StoreError> {
    let mut stmt = conn.prepare_cached(
        "SELECT endpoint, priority, COUNT(*) FROM queue GROUP BY endpoint, priority",
    )?;
    let rows = stmt.query_map([], |r| {
        Ok((
            r.get::<_, String>(0)?,
            u32::try_from(r.get::<_, i64>(1)?).unwrap_or(u32::MAX),
            r.get::<_, i64>(2)?.max(0) as u64,
        ))
    })?;
    rows.collect::<rusqlite::Result<Vec<_>>>()
        .map_err(StoreError::from)
}

/// Keeps only the newest `keep` entries of `endpoint`.
/// Deletes at most `max_rows` of the oldest entries of `endpoint` beyond the newest `keep`;
/// returns how many it deleted. Bounded so one call never holds the writer for long.
pub(crate) fn trim(
    conn: &Connection,
    ctx: &mut Ctx,
    endpoint: &str,
    keep: usize,
    max_rows: usize,
) -> Result<usize, StoreError> {
    let cutoff: Option<i64> = conn
        .prepare_cached(
            "SELECT seq FROM queue WHERE endpoint = ?1 ORDER BY seq DESC LIMIT 1 OFFSET ?2",
        )?
        .query_row(params![endpoint, to_i64(keep as u64)], |r| r.get(0))
        .optional()?;
    let Some(cutoff) = cutoff else {
        return Ok(0);
    };
    let mut stmt = conn.prepare_cached(
        "DELETE FROM queue WHERE seq IN (SELECT seq FROM queue WHERE endpoint = ?1 AND seq <= ?2 \
         ORDER BY seq LIMIT ?3) RETURNING size",
    )?;
    let sizes = stmt
        .query_map(params![endpoint, cutoff, to_i64(max_rows as u64)], |r| {
            r.get::<_, i64>(0)
        })?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    let freed: u64 = sizes.iter().map(|s| (*s).max(0) as u64).sum();
    ctx.size = ctx.size.saturating_sub(freed);
    Ok(sizes.len())
}

const COLUMNS: &str =
    "seq, endpoint, priority, expires_at, source, properties, system_properties, body";

/// Oldest-first by (priority, seq), only seq > after_seq, excluding expired.
pub(crate) fn pending(
    conn: &Connection,
    endpoint: &str,
    after_seq: i64,
    limit: usize,
    now: u64,
) -> Result<Vec<QueuedMessage>, StoreError> {
    let sql = format!(
        "SELECT {COLUMNS} FROM queue
         WHERE endpoint = ?1 AND seq > ?2 AND (expires_at IS NULL OR expires_at > ?3)
         ORDER BY priority, seq LIMIT ?4"
    );
    let mut stmt = conn.prepare_cached(&sql)?;
    let rows = stmt.query_map(
        params![endpoint, after_seq, to_i64(now), to_i64(limit as u64)],
        read_row,
    )?;
    rows.map(|r| r.map_err(StoreError::from).and_then(decode))
        .collect()
}

/// The newest `limit` entries of `endpoint`, returned oldest first (expired included).
pub(crate) fn recent(
    conn: &Connection,
    endpoint: &str,
    limit: usize,
) -> Result<Vec<QueuedMessage>, StoreError> {
    let sql = format!("SELECT {COLUMNS} FROM queue WHERE endpoint = ?1 ORDER BY seq DESC LIMIT ?2");
    let mut stmt = conn.prepare_cached(&sql)?;
    let rows = stmt.query_map(params![endpoint, to_i64(limit as u64)], read_row)?;
    let mut out = rows
        .map(|r| r.map_err(StoreError::from).and_then(decode))
        .collect::<Result<Vec<_>, _>>()?;
    out.reverse();
    Ok(out)
}

/// Number of entries queued for `endpoint` (expired ones included until purged).
pub(crate) fn count(conn: &Connection, endpoint: &str) -> Result<usize, StoreError> {
    let n: i64 = conn
        .prepare_cached("SELECT COUNT(*) FROM queue WHERE endpoint = ?1")?
        .query_row(params![endpoint], |r| r.get(0))?;
    Ok(n.max(0) as usize)
}

/// Sum of the sizes of every queued entry.
pub(crate) fn total_size(conn: &Connection) -> Result<u64, StoreError> {
    let n: i64 = conn.query_row("SELECT COALESCE(SUM(size), 0) FROM queue", [], |r| r.get(0))?;
    Ok(n.max(0) as u64)
}

struct RawRow {
    seq: i64,
    endpoint: String,
    priority: i64,
    expires_at: Option<i64>,
    source: String,
    properties: String,
    system_properties: String,
    body: Vec<u8>,
}

fn read_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<RawRow> {
    Ok(RawRow {
        seq: r.get(0)?,
        endpoint: r.get(1)?,
        priority: r.get(2)?,
        expires_at: r.get(3)?,
        source: r.get(4)?,
        properties: r.get(5)?,
        system_properties: r.get(6)?,
        body: r.get(7)?,
    })
}

fn decode(row: RawRow) -> Result<QueuedMessage, StoreError> {
    let corrupt = |what: &str, e: serde_json::Error| {
        StoreError::Corrupt(format!("seq {}: {what}: {e}", row.seq))
    };
    let properties = serde_json::from_str(&row.properties).map_err(|e| corrupt("properties", e))?;
    let system_properties = serde_json::from_str(&row.system_properties)
        .map_err(|e| corrupt("system properties", e))?;
    Ok(QueuedMessage {
        seq: row.seq,
        endpoint: row.endpoint,
        priority: u32::try_from(row.priority).unwrap_or(u32::MAX),
        expires_at: row.expires_at.map(|e| e.max(0) as u64),
        message: HubMessage {
            body: row.body,
            properties,
            system_properties,
            source: row.source,
        },
    })
}
