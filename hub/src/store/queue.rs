//! SQL for the message queue table.

use std::sync::Arc;

use rusqlite::{params, Connection, OptionalExtension};

use super::payloads::{self, PayloadRef, Segments};
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
    /// CRC-32 of `body` when it goes to a segment file (None: it goes into the row).
    crc: Option<u32>,
    size: u64,
}

impl EncodedMessage {
    /// `payload_file`: a body of [`payloads::INLINE_BELOW`] bytes or more will be written
    /// to a segment file, so it needs a checksum (computed here, on the caller's thread).
    pub(crate) fn new(
        msg: &HubMessage,
        payload_file: bool,
    ) -> Result<Arc<EncodedMessage>, StoreError> {
        let json = |m| serde_json::to_string(m).map_err(|e| StoreError::Corrupt(e.to_string()));
        Ok(Arc::new(EncodedMessage {
            source: msg.source.clone(),
            properties: json(&msg.properties)?,
            system_properties: json(&msg.system_properties)?,
            body: msg.body.clone(),
            crc: (payload_file && msg.body.len() >= payloads::INLINE_BELOW)
                .then(|| payloads::checksum(&msg.body)),
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
    // Bodies first: a failed write fails the request before any of its rows exists.
    let mark = ctx.payloads.mark();
    let mut placed = Vec::with_capacity(requests.len());
    for (m, targets) in requests {
        let at = match m.crc {
            Some(crc) if !targets.is_empty() => {
                match ctx.payloads.append(&m.body, crc, targets.len()) {
                    Ok(at) => Some(at),
                    Err(e) => {
                        ctx.payloads.rollback_to(mark);
                        return Err(e);
                    }
                }
            }
            _ => None,
        };
        placed.push(at);
    }
    let mut stmt = conn.prepare_cached(
        "INSERT INTO queue (endpoint, priority, expires_at, size, source, properties, system_properties, body,
                            payload_segment, payload_offset, payload_len, payload_crc)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)",
    )?;
    let mut all = Vec::with_capacity(requests.len());
    for ((m, targets), at) in requests.iter().zip(placed) {
        let body: &[u8] = if at.is_some() { &[] } else { &m.body };
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
                body,
                at.map(|a| a.segment),
                at.map(|a| to_i64(a.offset)),
                at.map(|a| a.len),
                at.map(|a| a.crc),
            ])?;
            seqs.push(conn.last_insert_rowid());
        }
        all.push(seqs);
    }
    ctx.size = ctx.size.saturating_add(incoming);
    Ok(all)
}

/// Frees the size and the body reference of a deleted row.
fn released(ctx: &mut Ctx, size: i64, segment: Option<u32>) {
    ctx.size = ctx.size.saturating_sub(size.max(0) as u64);
    if let Some(segment) = segment {
        ctx.payloads.release(segment);
    }
}

/// Deletes the given entries of `endpoint`; unknown seqs are ignored (acks are idempotent).
pub(crate) fn delete(
    conn: &Connection,
    ctx: &mut Ctx,
    endpoint: &str,
    seqs: &[i64],
) -> Result<usize, StoreError> {
    let mut stmt = conn.prepare_cached(
        "DELETE FROM queue WHERE endpoint = ?1 AND seq = ?2 RETURNING size, payload_segment",
    )?;
    let mut deleted = 0;
    for seq in seqs {
        let row: Option<(i64, Option<u32>)> = stmt
            .query_row(params![endpoint, seq], |r| Ok((r.get(0)?, r.get(1)?)))
            .optional()?;
        if let Some((size, segment)) = row {
            released(ctx, size, segment);
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
        "DELETE FROM queue WHERE expires_at IS NOT NULL AND expires_at <= ?1 \
         RETURNING size, source, payload_segment",
    )?;
    let rows = stmt
        .query_map(params![to_i64(now)], |r| {
            Ok((
                r.get::<_, i64>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, Option<u32>>(2)?,
            ))
        })?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    let mut sources: Vec<(String, u64)> = Vec::new();
    for (size, source, segment) in rows {
        released(ctx, size, segment);
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
         ORDER BY seq LIMIT ?3) RETURNING size, payload_segment",
    )?;
    let rows = stmt
        .query_map(params![endpoint, cutoff, to_i64(max_rows as u64)], |r| {
            Ok((r.get::<_, i64>(0)?, r.get::<_, Option<u32>>(1)?))
        })?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    let deleted = rows.len();
    for (size, segment) in rows {
        released(ctx, size, segment);
    }
    Ok(deleted)
}

const COLUMNS: &str =
    "seq, endpoint, priority, expires_at, source, properties, system_properties, body, \
     payload_segment, payload_offset, payload_len, payload_crc";

/// Messages read from the queue, and the rows whose stored body turned out damaged (an OS
/// crash before it reached the disk): those are left out, for the caller to delete.
#[derive(Debug, Default)]
pub(crate) struct Read {
    pub messages: Vec<QueuedMessage>,
    pub damaged: Vec<(String, i64)>,
}

/// Oldest-first by (priority, seq), only seq > after_seq, excluding expired.
pub(crate) fn pending(
    conn: &Connection,
    segments: &Segments,
    endpoint: &str,
    after_seq: i64,
    limit: usize,
    now: u64,
) -> Result<Read, StoreError> {
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
    let rows = rows.collect::<rusqlite::Result<Vec<_>>>()?;
    decode_all(rows, segments)
}

/// The newest `limit` entries of `endpoint`, returned oldest first (expired included).
pub(crate) fn recent(
    conn: &Connection,
    segments: &Segments,
    endpoint: &str,
    limit: usize,
) -> Result<Read, StoreError> {
    let sql = format!("SELECT {COLUMNS} FROM queue WHERE endpoint = ?1 ORDER BY seq DESC LIMIT ?2");
    let mut stmt = conn.prepare_cached(&sql)?;
    let rows = stmt.query_map(params![endpoint, to_i64(limit as u64)], read_row)?;
    let mut rows = rows.collect::<rusqlite::Result<Vec<_>>>()?;
    rows.reverse();
    decode_all(rows, segments)
}

/// Number of entries queued for `endpoint` (expired ones included until purged).
pub(crate) fn count(conn: &Connection, endpoint: &str) -> Result<usize, StoreError> {
    let n: i64 = conn
        .prepare_cached("SELECT COUNT(*) FROM queue WHERE endpoint = ?1")?
        .query_row(params![endpoint], |r| r.get(0))?;
    Ok(n.max(0) as usize)
}

/// Rows per body segment.
pub(crate) fn rows_per_segment(
    conn: &Connection,
) -> Result<std::collections::HashMap<u32, u64>, StoreError> {
    let mut stmt = conn.prepare(
        "SELECT payload_segment, COUNT(*) FROM queue WHERE payload_segment IS NOT NULL \
         GROUP BY payload_segment",
    )?;
    let rows = stmt.query_map([], |r| {
        Ok((r.get::<_, u32>(0)?, r.get::<_, i64>(1)?.max(0) as u64))
    })?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
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
    payload: Option<PayloadRef>,
}

fn read_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<RawRow> {
    let segment: Option<u32> = r.get(8)?;
    let payload = match segment {
        Some(segment) => Some(PayloadRef {
            segment,
            offset: r.get::<_, i64>(9)?.max(0) as u64,
            len: r.get(10)?,
            crc: r.get(11)?,
        }),
        None => None,
    };
    Ok(RawRow {
        seq: r.get(0)?,
        endpoint: r.get(1)?,
        priority: r.get(2)?,
        expires_at: r.get(3)?,
        source: r.get(4)?,
        properties: r.get(5)?,
        system_properties: r.get(6)?,
        body: r.get(7)?,
        payload,
    })
}

fn decode_all(rows: Vec<RawRow>, segments: &Segments) -> Result<Read, StoreError> {
    let mut read = Read::default();
    for mut row in rows {
        if let Some(at) = row.payload {
            // `Ok(None)`: its segment is gone. The row was deleted since this read began
            // (deleting it again does nothing), or the file was lost (warned about at open).
            let body = segments.read(&at).unwrap_or_else(|e| {
                tracing::warn!(seq = row.seq, endpoint = %row.endpoint, error = %e, "dropping a queued message whose body is damaged");
                None
            });
            match body {
                Some(body) => row.body = body,
                None => {
                    read.damaged.push((row.endpoint, row.seq));
                    continue;
                }
            }
        }
        read.messages.push(decode(row)?);
    }
    Ok(read)
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
