//! SQL for twins and persisted MQTT sessions.

use rusqlite::{params, Connection, OptionalExtension};

use super::{StoreError, TwinState};

pub(crate) fn twin(conn: &Connection, module: &str) -> Result<Option<TwinState>, StoreError> {
    let row = conn
        .prepare_cached(
            "SELECT desired, desired_version, reported, reported_version FROM twins WHERE module = ?1",
        )?
        .query_row(params![module], |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, i64>(1)?,
                r.get::<_, String>(2)?,
                r.get::<_, i64>(3)?,
            ))
        })
        .optional()?;
    let Some((desired, desired_version, reported, reported_version)) = row else {
        return Ok(None);
    };
    let parse = |text: &str| {
        serde_json::from_str(text)
            .map_err(|e| StoreError::Corrupt(format!("twin of '{module}': {e}")))
    };
    Ok(Some(TwinState {
        desired: parse(&desired)?,
        desired_version,
        reported: parse(&reported)?,
        reported_version,
    }))
}

pub(crate) fn put_twin(
    conn: &Connection,
    module: &str,
    desired: &str,
    desired_version: i64,
    reported: &str,
    reported_version: i64,
) -> Result<(), StoreError> {
    conn.prepare_cached(
        "INSERT INTO twins (module, desired, desired_version, reported, reported_version)
         VALUES (?1, ?2, ?3, ?4, ?5)
         ON CONFLICT (module) DO UPDATE SET desired = excluded.desired,
           desired_version = excluded.desired_version, reported = excluded.reported,
           reported_version = excluded.reported_version",
    )?
    .execute(params![
        module,
        desired,
        desired_version,
        reported,
        reported_version
    ])?;
    Ok(())
}

pub(crate) fn replace_subscriptions(
    conn: &Connection,
    client_id: &str,
    subs: &[(String, u8)],
) -> Result<(), StoreError> {
    clear_session(conn, client_id)?;
    let mut stmt = conn.prepare_cached(
        "INSERT OR REPLACE INTO subscriptions (client_id, topic_filter, qos) VALUES (?1, ?2, ?3)",
    )?;
    for (filter, qos) in subs {
        stmt.execute(params![client_id, filter, qos])?;
    }
    Ok(())
}

pub(crate) fn subscriptions(
    conn: &Connection,
    client_id: &str,
) -> Result<Vec<(String, u8)>, StoreError> {
    let mut stmt = conn.prepare_cached(
        "SELECT topic_filter, qos FROM subscriptions WHERE client_id = ?1 ORDER BY rowid",
    )?;
    let rows = stmt.query_map(params![client_id], |r| Ok((r.get(0)?, r.get(1)?)))?;
    Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
}

pub(crate) fn clear_session(conn: &Connection, client_id: &str) -> Result<(), StoreError> {
    conn.prepare_cached("DELETE FROM subscriptions WHERE client_id = ?1")?
        .execute(params![client_id])?;
    Ok(())
}
