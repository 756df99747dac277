//! Where messages go: the outbox (one `.eml` file per message, named by its Message-ID, written
//! atomically) or an SMTP server (STARTTLS or implicit TLS, AUTH, a timeout, a rate limit, retries
//! with exponential backoff on temporary failures). The password comes from the environment only.

use std::path::{Path, PathBuf};
use std::time::Duration;

use lettre::transport::smtp::authentication::Credentials;
use lettre::transport::smtp::client::{Certificate, Tls, TlsParameters};
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};

use crate::config::{Config, TlsMode, Transport};

#[derive(Debug, thiserror::Error)]
pub enum SendError {
    #[error("delivery.smtp: {0}")]
    Setup(String),
    #[error("cannot write {}: {source}", path.display())]
    Outbox {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("SMTP {}: {message}", if *.transient { "temporary failure" } else { "failure" })]
    Smtp { message: String, transient: bool },
}

pub enum Sender {
    Outbox { dir: PathBuf },
    Smtp { transport: Box<AsyncSmtpTransport<Tokio1Executor>>, interval: Duration, timeout: Duration },
}

/// The result of one message: how many attempts it took, and the last error if it never went.
pub struct Attempt {
    pub attempts: u32,
    pub error: Option<SendError>,
}

impl Sender {
    pub fn new(config: &Config) -> Result<Sender, SendError> {
        let d = &config.delivery;
        match d.transport {
            Transport::Outbox => Ok(Sender::Outbox { dir: d.outbox.clone() }),
            Transport::Smtp => {
                let s = &d.smtp;
                let tls = || -> Result<TlsParameters, SendError> {
                    let mut builder = TlsParameters::builder(s.host.clone());
                    if let Some(ca) = &s.ca_file {
                        let pem = std::fs::read(ca)
                            .map_err(|e| SendError::Setup(format!("ca_file {}: {e}", ca.display())))?;
                        let cert = Certificate::from_pem(&pem)
                            .map_err(|e| SendError::Setup(format!("ca_file {}: {e}", ca.display())))?;
                        builder = builder.add_root_certificate(cert);
                    }
                    builder.build().map_err(|e| SendError::Setup(format!("TLS: {e}")))
                };
                let mut builder = AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(&s.host)
                    .port(s.port)
                    .timeout(Some(Duration::from_secs(s.timeout_seconds)));
                builder = match s.tls {
                    TlsMode::Starttls => builder.tls(Tls::Required(tls()?)),
                    TlsMode::Implicit => builder.tls(Tls::Wrapper(tls()?)),
                    TlsMode::None => builder.tls(Tls::None),
                };
                if let Some(user) = &s.username {
                    let password = std::env::var(&s.password_env).map_err(|_| {
                        SendError::Setup(format!(
                            "username is set, so the password must be in the environment variable {} (it is not set)",
                            s.password_env
                        ))
                    })?;
                    builder = builder.credentials(Credentials::new(user.clone(), password));
                }
                let interval = Duration::from_secs_f64(60.0 / f64::from(d.rate_per_minute.max(1)));
                // lettre's timeout covers each socket operation; this one bounds the whole
                // exchange, so a server that stops answering mid-conversation cannot hang the close.
                let timeout = Duration::from_secs(s.timeout_seconds.saturating_mul(2).max(1));
                Ok(Sender::Smtp { transport: Box::new(builder.build()), interval, timeout })
            }
        }
    }

    pub fn name(&self) -> &'static str {
        match self {
            Sender::Outbox { .. } => "outbox",
            Sender::Smtp { .. } => "smtp",
        }
    }

    /// Whether a message is known to have gone: the outbox can tell (its file exists); SMTP cannot.
    pub fn delivered(&self, message_id: &str) -> bool {
        match self {
            Sender::Outbox { dir } => outbox_path(dir, message_id).exists(),
            Sender::Smtp { .. } => false,
        }
    }

    /// Whether `delivered` is certain both ways (the outbox), so an interrupted send can be redone.
    pub fn can_tell(&self) -> bool {
        matches!(self, Sender::Outbox { .. })
    }

    /// Waits between two messages so the server sees at most `rate_per_minute`.
    pub async fn pace(&self) {
        if let Sender::Smtp { interval, .. } = self {
            tokio::time::sleep(*interval).await;
        }
    }

    /// Sends one message; retries temporary SMTP failures `retries` times, waiting 1 s, 2 s, 4 s …
    pub async fn send(&self, message: &Message, message_id: &str, retries: u32) -> Attempt {
        match self {
            Sender::Outbox { dir } => {
                let error = write_atomically(&outbox_path(dir, message_id), &message.formatted()).err();
                Attempt { attempts: 1, error }
            }
            Sender::Smtp { transport, timeout, .. } => {
                let mut attempts = 0;
                loop {
                    attempts += 1;
                    let result = tokio::time::timeout(*timeout, transport.send(message.clone())).await;
                    let (reason, transient) = match result {
                        Ok(Ok(_)) => return Attempt { attempts, error: None },
                        Ok(Err(e)) => (e.to_string(), !(e.is_permanent() || e.is_tls() || e.is_client())),
                        Err(_) => (format!("no answer within {} s", timeout.as_secs()), true),
                    };
                    let error = SendError::Smtp { message: reason, transient };
                    if !transient || attempts > retries {
                        return Attempt { attempts, error: Some(error) };
                    }
                    let wait = Duration::from_secs(1 << (attempts - 1).min(6));
                    tracing::warn!(%error, attempt = attempts, wait_seconds = wait.as_secs(), "Retrying");
                    tokio::time::sleep(wait).await;
                }
            }
        }
    }
}

/// `<kpi-close.2026-10.r1.team-T01.ab12@example.com>` → `kpi-close.2026-10.r1.team-T01.ab12@example.com.eml`.
pub fn outbox_path(dir: &Path, message_id: &str) -> PathBuf {
    let name: String = message_id
        .trim_matches(|c| c == '<' || c == '>')
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() || "@.-_".contains(c) { c } else { '_' })
        .collect();
    dir.join(format!("{name}.eml"))
}

fn write_atomically(path: &Path, bytes: &[u8]) -> Result<(), SendError> {
    let fail = |source| SendError::Outbox { path: path.to_path_buf(), source };
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).map_err(fail)?;
    }
    let tmp = path.with_extension("eml.tmp");
    std::fs::write(&tmp, bytes).map_err(fail)?;
    std::fs::rename(&tmp, path).map_err(fail)
}
