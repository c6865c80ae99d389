//! Keeping less for less long: sent mail (which holds addresses and IPs) is
//! deleted, and commenters' IP addresses are anonymised (IPv4 to its /24,
//! IPv6 to its /48), once they are older than the site's settings say. Done
//! in bounded batches by `serve`'s maintenance task, so a big backlog never
//! holds the writer for long.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use diesel::prelude::*;
use diesel::sql_types::BigInt;

use crate::db::schema::comments;
use crate::db::{serialized_transaction, serialized_write, AnyConnection};

/// Rows per batch: one short write transaction each.
pub const BATCH: i64 = 500;
/// Batches per pass at most; the rest waits for the next pass.
const MAX_BATCHES: usize = 40;

/// How long things are kept, in days; 0 keeps them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetentionSettings {
    pub sent_mail_days: i64,
    pub ip_days: i64,
}

impl Default for RetentionSettings {
    fn default() -> RetentionSettings {
        RetentionSettings {
            sent_mail_days: 30,
            ip_days: 60,
        }
    }
}

/// What one pass did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Pruned {
    pub mails_deleted: usize,
    pub ips_anonymised: usize,
    /// Staff links (reset, invitation, new address) a day past their end.
    pub account_links_deleted: usize,
}

/// The address as kept after anonymising: an IPv4 address's /24
/// (`203.0.113.0`), an IPv6 address's /48 (`2001:db8:1::`). Text that is
/// no address becomes `0.0.0.0`.
pub fn anonymise_ip(address: &str) -> String {
    match address.trim().parse::<IpAddr>() {
        Ok(IpAddr::V4(v4)) => {
            let [a, b, c, _] = v4.octets();
            Ipv4Addr::new(a, b, c, 0).to_string()
        }
        Ok(IpAddr::V6(v6)) => {
            let segments = v6.segments();
            Ipv6Addr::new(segments[0], segments[1], segments[2], 0, 0, 0, 0, 0).to_string()
        }
        Err(_) => Ipv4Addr::UNSPECIFIED.to_string(),
    }
}

/// Deletes one batch of mail sent before `cutoff`; returns how many.
fn prune_sent_mail_batch(conn: &mut AnyConnection, cutoff: i64) -> QueryResult<usize> {
    // The predicate is written as the partial index's, literally. SQLite
    // is told to use it: left to choose, it took the status index and
    // sorted all the mail ever sent for each batch.
    let statement = "DELETE FROM outbox WHERE id IN (SELECT id FROM outbox {index} \
         WHERE status = 'sent' AND sent_at < $1 ORDER BY sent_at, id LIMIT $2)";
    serialized_write(conn, |conn| match conn {
        AnyConnection::Postgresql(pg) => diesel::sql_query(statement.replace("{index} ", ""))
            .bind::<BigInt, _>(cutoff)
            .bind::<BigInt, _>(BATCH)
            .execute(pg),
        AnyConnection::Sqlite(sqlite) => diesel::sql_query(
            statement
                .replace("{index}", "INDEXED BY outbox_sent")
                .replace('$', "?"),
        )
        .bind::<BigInt, _>(cutoff)
        .bind::<BigInt, _>(BATCH)
        .execute(sqlite),
    })
}

#[derive(QueryableByName)]
struct Due {
    #[diesel(sql_type = BigInt)]
    id: i64,
    #[diesel(sql_type = BigInt)]
    created_at: i64,
    #[diesel(sql_type = diesel::sql_types::Text)]
    author_ip: String,
}

/// Anonymises the IPs of one batch of comments made before `cutoff`, the
/// next after `after` (created at, id) in the pass, which it moves on.
/// Each batch starts where the last ended: on PostgreSQL the entries of
/// rows just anonymised stay in the index until it is vacuumed, and a pass
/// over a newly imported blog's million comments started every batch at
/// the first of them (12 s for one batch's query, measured).
fn anonymise_ip_batch(
    conn: &mut AnyConnection,
    cutoff: i64,
    after: &mut (i64, i64),
) -> QueryResult<usize> {
    let (after_at, after_id) = *after;
    let rows: Vec<Due> = match conn {
        AnyConnection::Postgresql(pg) => diesel::sql_query(
            "SELECT id, created_at, author_ip FROM comments WHERE NOT ip_anonymised \
             AND created_at < $1 AND (created_at, id) > ($2, $3) \
             ORDER BY created_at, id LIMIT $4",
        )
        .bind::<BigInt, _>(cutoff)
        .bind::<BigInt, _>(after_at)
        .bind::<BigInt, _>(after_id)
        .bind::<BigInt, _>(BATCH)
        .load(pg)?,
        AnyConnection::Sqlite(sqlite) => diesel::sql_query(
            "SELECT id, created_at, author_ip FROM comments WHERE ip_anonymised = 0 \
             AND created_at < ? AND (created_at, id) > (?, ?) \
             ORDER BY created_at, id LIMIT ?",
        )
        .bind::<BigInt, _>(cutoff)
        .bind::<BigInt, _>(after_at)
        .bind::<BigInt, _>(after_id)
        .bind::<BigInt, _>(BATCH)
        .load(sqlite)?,
    };
    if let Some(last) = rows.last() {
        *after = (last.created_at, last.id);
    }
    if rows.is_empty() {
        return Ok(0);
    }
    // One UPDATE per distinct anonymised address (a batch has few).
    let mut by_address: std::collections::BTreeMap<String, Vec<i64>> = Default::default();
    for row in &rows {
        by_address
            .entry(anonymise_ip(&row.author_ip))
            .or_default()
            .push(row.id);
    }
    serialized_transaction(conn, |conn| {
        for (address, ids) in &by_address {
            diesel::update(comments::table.filter(comments::id.eq_any(ids)))
                .set((
                    comments::author_ip.eq(address),
                    comments::ip_anonymised.eq(true),
                ))
                .execute(conn)?;
        }
        Ok(rows.len())
    })
}

/// Runs `batch` until it does less than a whole batch (or `MAX_BATCHES`
/// times); returns how many rows it did in all.
fn drain(mut batch: impl FnMut() -> QueryResult<usize>) -> QueryResult<usize> {
    let mut total = 0;
    for _ in 0..MAX_BATCHES {
        let done = batch()?;
        total += done;
        if done < BATCH as usize {
            break;
        }
    }
    Ok(total)
}

/// One pass: as many batches as are due (at most `MAX_BATCHES` of each kind).
pub fn prune(
    conn: &mut AnyConnection,
    settings: RetentionSettings,
    now: i64,
) -> QueryResult<Pruned> {
    let cutoff = |days: i64| now - days * 86_400;
    let mut pruned = Pruned::default();
    if settings.sent_mail_days > 0 {
        pruned.mails_deleted =
            drain(|| prune_sent_mail_batch(conn, cutoff(settings.sent_mail_days)))?;
    }
    if settings.ip_days > 0 {
        let mut after = (i64::MIN, i64::MIN);
        pruned.ips_anonymised =
            drain(|| anonymise_ip_batch(conn, cutoff(settings.ip_days), &mut after))?;
    }
    pruned.account_links_deleted = crate::models::account_token::prune_account_tokens(conn, now)?;
    Ok(pruned)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_keep_their_network_only() {
        assert_eq!(anonymise_ip("203.0.113.77"), "203.0.113.0");
        assert_eq!(anonymise_ip("203.0.113.0"), "203.0.113.0", "idempotent");
        assert_eq!(anonymise_ip("2001:db8:abcd:12:34::1"), "2001:db8:abcd::");
        assert_eq!(anonymise_ip("::1"), "::");
        assert_eq!(anonymise_ip("not an address"), "0.0.0.0");
    }
}
