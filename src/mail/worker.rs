//! The delivery worker `serve` runs: claims due outbox rows, sends them
//! over SMTP with lettre, marks them sent, or schedules a retry.

use std::time::{Duration, UNIX_EPOCH};

use actix_web::web;
use lettre::message::header::{HeaderName, HeaderValue};
use lettre::message::{Mailbox, MultiPart};
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use tokio::sync::watch;

use crate::mail::one_line;
use crate::mail::outbox::{claim_due, mark_failed, mark_sent, ClaimedMessage, Failure};
use crate::state::AppState;

/// An SMTP transport for `FERROPRESS_SMTP_URL`: `smtp://` plain,
/// `smtp+starttls://` upgraded with STARTTLS, `smtps://` TLS from the start.
pub fn transport(
    url: &str,
) -> Result<AsyncSmtpTransport<Tokio1Executor>, lettre::transport::smtp::Error> {
    let lettre_url = match url.strip_prefix("smtp+starttls://") {
        Some(rest) if rest.contains('?') => format!("smtp://{rest}&tls=required"),
        Some(rest) => format!("smtp://{rest}?tls=required"),
        None => url.to_owned(),
    };
    Ok(AsyncSmtpTransport::<Tokio1Executor>::from_url(&lettre_url)?
        .timeout(Some(Duration::from_secs(15)))
        .build())
}

/// The message as sent: From, To, Subject, Date, Message-ID, the extra
/// headers, and a multipart/alternative body (plain text, then HTML).
/// lettre encodes every header value, so no text can start a new header.
pub fn build_message(from: &Mailbox, claimed: &ClaimedMessage) -> Result<Message, String> {
    let to: Mailbox = claimed
        .recipient
        .parse()
        .map_err(|error| format!("bad recipient: {error}"))?;
    let date = UNIX_EPOCH + Duration::from_secs(u64::try_from(claimed.created_at).unwrap_or(0));
    let mut builder = Message::builder()
        .from(from.clone())
        .to(to)
        .subject(one_line(&claimed.subject))
        .date(date.max(UNIX_EPOCH))
        .message_id(Some(claimed.message_id.clone()));
    for (name, value) in claimed.headers() {
        let name = HeaderName::new_from_ascii(name)
            .map_err(|error| format!("bad header name: {error}"))?;
        builder = builder.raw_header(HeaderValue::new(name, one_line(&value)));
    }
    builder
        .multipart(MultiPart::alternative_plain_html(
            claimed.body_text.clone(),
            claimed.body_html.clone(),
        ))
        .map_err(|error| error.to_string())
}

fn sender(state: &AppState) -> Result<Mailbox, String> {
    let address = state
        .config
        .mail_from
        .parse()
        .map_err(|error| format!("bad FERROPRESS_MAIL_FROM: {error}"))?;
    Ok(Mailbox::new(Some(one_line(&state.site().title)), address))
}

/// Delivers until `stop` turns true. A crash between sending and marking
/// may send one message again (after its lease); none is ever lost.
pub async fn run(state: web::Data<AppState>, smtp_url: String, mut stop: watch::Receiver<bool>) {
    let tuning = state.config.mail_tuning.clone();
    let mailer = match transport(&smtp_url) {
        Ok(mailer) => mailer,
        Err(error) => {
            tracing::error!(error = %error, "mail delivery is off: FERROPRESS_SMTP_URL is unusable");
            return;
        }
    };
    tracing::info!("mail worker started");
    while !*stop.borrow() {
        let (limit, lease) = (tuning.batch_size, tuning.lease_seconds);
        let batch = state.db(move |conn| claim_due(conn, limit, lease)).await;
        let batch = match batch {
            Ok(batch) => batch,
            // Logged once, by `db`, when the outage began.
            Err(crate::error::PageError::Unavailable) => Vec::new(),
            Err(error) => {
                tracing::warn!(error = %error, "cannot read the outbox");
                Vec::new()
            }
        };
        if batch.is_empty() {
            tokio::select! {
                _ = tokio::time::sleep(tuning.poll_interval) => {}
                _ = stop.changed() => {}
            }
            continue;
        }
        for claimed in batch {
            deliver(&state, &mailer, &claimed, tuning.retry_base_seconds).await;
        }
    }
    tracing::info!("mail worker stopped");
}

/// `text` with every email address in it replaced: SMTP replies quote the
/// recipient (`550 <ann@example.com>: no such user`), and no log line or
/// stored error may hold one.
pub fn redact_addresses(text: &str) -> String {
    let mut redacted = String::with_capacity(text.len());
    let mut word = String::new();
    let boundary = |c: char| c.is_whitespace() || "<>()[],;:\"'".contains(c);
    let flush = |word: &mut String, redacted: &mut String| {
        if word.contains('@') {
            redacted.push_str("[address]");
        } else {
            redacted.push_str(word);
        }
        word.clear();
    };
    for character in text.chars() {
        if boundary(character) {
            flush(&mut word, &mut redacted);
            redacted.push(character);
        } else {
            word.push(character);
        }
    }
    flush(&mut word, &mut redacted);
    redacted
}

async fn deliver(
    state: &AppState,
    mailer: &AsyncSmtpTransport<Tokio1Executor>,
    claimed: &ClaimedMessage,
    retry_base: i64,
) {
    let outcome = match sender(state).and_then(|from| build_message(&from, claimed)) {
        Ok(message) => mailer.send(message).await.map(|_| ()).map_err(|error| {
            let failure = if error.is_permanent() {
                Failure::Permanent
            } else {
                Failure::Transient
            };
            (redact_addresses(&error.to_string()), failure)
        }),
        // A message that cannot even be built will not build tomorrow.
        Err(error) => Err((redact_addresses(&error), Failure::Permanent)),
    };
    let (id, attempts) = (claimed.id, claimed.attempts);
    let marked = match outcome {
        Ok(()) => {
            tracing::info!(outbox_id = id, "mail sent");
            state.db(move |conn| mark_sent(conn, id)).await
        }
        Err((error, failure)) => {
            match failure {
                Failure::Permanent => {
                    tracing::warn!(outbox_id = id, attempts = attempts + 1, error = %error, "mail refused for good; not retried")
                }
                Failure::Transient => {
                    tracing::warn!(outbox_id = id, attempts = attempts + 1, error = %error, "mail not delivered; will retry")
                }
            }
            state
                .db(move |conn| mark_failed(conn, id, attempts, &error, retry_base, failure))
                .await
        }
    };
    if let Err(error) = marked {
        tracing::error!(outbox_id = id, error = %error, "cannot record a delivery outcome");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn smtp_replies_lose_their_addresses() {
        assert_eq!(
            redact_addresses(
                "permanent error (550): 5.1.1 <ann.reader@example.com>: Recipient address rejected"
            ),
            "permanent error (550): 5.1.1 <[address]>: Recipient address rejected"
        );
        assert_eq!(
            redact_addresses("to bob@x.example, then"),
            "to [address], then"
        );
        assert_eq!(redact_addresses("connection refused"), "connection refused");
    }
}
