//! A real SMTP server inside the test process: it speaks enough SMTP for
//! lettre, keeps every message, and can be taken down and brought back.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpListener;

/// One message as the server received it.
#[derive(Debug, Clone)]
pub struct ReceivedMail {
    pub envelope_from: String,
    pub envelope_to: Vec<String>,
    pub raw: String,
}

impl ReceivedMail {
    pub fn parsed(&self) -> mailparse::ParsedMail<'_> {
        mailparse::parse_mail(self.raw.as_bytes()).expect("a parsable message")
    }

    /// A header's decoded value.
    pub fn header(&self, name: &str) -> Option<String> {
        use mailparse::MailHeaderMap;
        self.parsed().headers.get_first_value(name)
    }

    pub fn subject(&self) -> String {
        self.header("Subject").unwrap_or_default()
    }

    /// The decoded body of the part with this MIME type (`text/plain`, `text/html`).
    pub fn part(&self, mime: &str) -> String {
        fn find(part: &mailparse::ParsedMail<'_>, mime: &str) -> Option<String> {
            if part.ctype.mimetype == mime {
                return part.get_body().ok();
            }
            part.subparts.iter().find_map(|sub| find(sub, mime))
        }
        find(&self.parsed(), mime).unwrap_or_default()
    }

    pub fn text(&self) -> String {
        self.part("text/plain")
    }

    pub fn html(&self) -> String {
        self.part("text/html")
    }

    /// The first URL in the text part that contains `fragment`.
    pub fn link_containing(&self, fragment: &str) -> String {
        self.text()
            .split_whitespace()
            .find(|word| word.starts_with("http") && word.contains(fragment))
            .unwrap_or_default()
            .to_owned()
    }
}

#[derive(Clone)]
pub struct SmtpSink {
    pub port: u16,
    received: Arc<Mutex<Vec<ReceivedMail>>>,
    down: Arc<AtomicBool>,
    /// Recipients refused for good (`550`), and every `RCPT TO` tried.
    refused: Arc<Mutex<Vec<String>>>,
    recipients_tried: Arc<Mutex<Vec<String>>>,
}

impl SmtpSink {
    pub async fn start() -> SmtpSink {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("smtp port");
        let port = listener.local_addr().expect("address").port();
        let sink = SmtpSink {
            port,
            received: Arc::default(),
            down: Arc::default(),
            refused: Arc::default(),
            recipients_tried: Arc::default(),
        };
        let server = sink.clone();
        tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                let session = server.clone();
                tokio::spawn(async move {
                    let _ = session.serve(stream).await;
                });
            }
        });
        sink
    }

    pub fn url(&self) -> String {
        format!("smtp://127.0.0.1:{}", self.port)
    }

    /// While down, new connections are refused with 421 and mail with 451.
    pub fn set_down(&self, down: bool) {
        self.down.store(down, Ordering::SeqCst);
    }

    /// From now on, mail to `address` is refused with a permanent `550`
    /// that quotes the address, as real servers do.
    pub fn refuse(&self, address: &str) {
        self.refused
            .lock()
            .expect("lock")
            .push(address.to_ascii_lowercase());
    }

    /// How many times a delivery to `address` was tried.
    pub fn tries_to(&self, address: &str) -> usize {
        self.recipients_tried
            .lock()
            .expect("lock")
            .iter()
            .filter(|to| to.eq_ignore_ascii_case(address))
            .count()
    }

    pub fn received(&self) -> Vec<ReceivedMail> {
        self.received.lock().expect("lock").clone()
    }

    /// Waits (at most 20 s) until `count` messages have arrived.
    pub async fn wait_for(&self, count: usize) -> Vec<ReceivedMail> {
        let started = Instant::now();
        loop {
            let received = self.received();
            if received.len() >= count {
                return received;
            }
            assert!(
                started.elapsed() < Duration::from_secs(20),
                "only {} of {count} messages arrived",
                received.len()
            );
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
    }

    /// Messages to one address.
    pub fn to(&self, address: &str) -> Vec<ReceivedMail> {
        self.received()
            .into_iter()
            .filter(|mail| {
                mail.envelope_to
                    .iter()
                    .any(|to| to.eq_ignore_ascii_case(address))
            })
            .collect()
    }

    async fn serve(&self, stream: tokio::net::TcpStream) -> std::io::Result<()> {
        let (read, mut write) = stream.into_split();
        let mut lines = BufReader::new(read);
        if self.down.load(Ordering::SeqCst) {
            write.write_all(b"421 sink is down\r\n").await?;
            return Ok(());
        }
        write.write_all(b"220 sink ESMTP ready\r\n").await?;
        let (mut from, mut to) = (String::new(), Vec::new());
        let mut line = String::new();
        loop {
            line.clear();
            if lines.read_line(&mut line).await? == 0 {
                return Ok(());
            }
            let command = line.trim_end().to_owned();
            let upper = command.to_ascii_uppercase();
            if upper.starts_with("EHLO") {
                write
                    .write_all(b"250-sink\r\n250-8BITMIME\r\n250 SMTPUTF8\r\n")
                    .await?;
            } else if upper.starts_with("HELO") {
                write.write_all(b"250 sink\r\n").await?;
            } else if upper.starts_with("MAIL FROM:") {
                if self.down.load(Ordering::SeqCst) {
                    write.write_all(b"451 try again later\r\n").await?;
                    continue;
                }
                from = command[10..]
                    .trim()
                    .trim_matches(['<', '>'])
                    .split_whitespace()
                    .next()
                    .unwrap_or_default()
                    .to_owned();
                to.clear();
                write.write_all(b"250 OK\r\n").await?;
            } else if upper.starts_with("RCPT TO:") {
                let recipient = command[8..].trim().trim_matches(['<', '>']).to_owned();
                self.recipients_tried
                    .lock()
                    .expect("lock")
                    .push(recipient.clone());
                if self
                    .refused
                    .lock()
                    .expect("lock")
                    .contains(&recipient.to_ascii_lowercase())
                {
                    let reply = format!(
                        "550 5.1.1 <{recipient}>: Recipient address rejected: User unknown\r\n"
                    );
                    write.write_all(reply.as_bytes()).await?;
                    continue;
                }
                to.push(recipient);
                write.write_all(b"250 OK\r\n").await?;
            } else if upper == "DATA" {
                write.write_all(b"354 go ahead\r\n").await?;
                let mut data = String::new();
                loop {
                    line.clear();
                    if lines.read_line(&mut line).await? == 0 {
                        return Ok(());
                    }
                    if line == ".\r\n" || line == ".\n" {
                        break;
                    }
                    let unstuffed = line.strip_prefix('.').unwrap_or(&line);
                    data.push_str(unstuffed);
                }
                self.received.lock().expect("lock").push(ReceivedMail {
                    envelope_from: from.clone(),
                    envelope_to: to.clone(),
                    raw: data,
                });
                write.write_all(b"250 OK queued\r\n").await?;
            } else if upper == "QUIT" {
                write.write_all(b"221 bye\r\n").await?;
                return Ok(());
            } else {
                // RSET, NOOP and anything else.
                write.write_all(b"250 OK\r\n").await?;
            }
        }
    }
}
