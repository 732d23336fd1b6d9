//! The delivery workers: take due deliveries from the outbox, carry them
//! to their endpoints (mailbox or SMTP, HTTP/S, Lambda) several at a time,
//! and record the outcome: gone from the outbox when the endpoint took it,
//! rescheduled by the protocol's retry policy when it did not, dropped when
//! the policy is used up. A crash between "taken" and "recorded" means the
//! message is sent again after restart: at-least-once, as on AWS.

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::mpsc;

use crate::db::{Claimed, Outcome};
use crate::envelope::{self, Links};
use crate::error::SnsError;
use crate::model::{Delivery, Kind, MailItem};
use crate::service::Topics;

/// Deliveries in flight at once.
const MAX_IN_FLIGHT: usize = 64;
/// AWS gives an HTTP/S endpoint 15 seconds to answer.
const HTTP_TIMEOUT: Duration = Duration::from_secs(15);

/// Why an attempt failed.
#[derive(Debug, thiserror::Error)]
pub enum DeliveryError {
    /// Worth another attempt (5xx, 429, connection problems, SMTP errors).
    #[error("{0}")]
    Retry(String),
    /// The endpoint refused the message for good (other 4xx).
    #[error("{0}")]
    Permanent(String),
}

impl From<SnsError> for DeliveryError {
    fn from(e: SnsError) -> Self {
        DeliveryError::Retry(e.to_string())
    }
}

/// Shared by all attempts.
struct Carriers {
    http: reqwest::Client,
    smtp: Option<lettre::AsyncSmtpTransport<lettre::Tokio1Executor>>,
}

impl Topics {
    /// Starts the delivery workers on the current tokio runtime. `functions`
    /// serves the `lambda` protocol. Fails on a bad `--smtp-url`.
    pub fn start(&self, functions: Option<functions::Registry>) -> Result<(), SnsError> {
        if let Some(f) = functions {
            let _ = self.inner.functions.set(f);
        }
        let _ = rustls::crypto::ring::default_provider().install_default();
        let http = reqwest::Client::builder()
            .timeout(HTTP_TIMEOUT)
            .user_agent("Amazon Simple Notification Service Agent")
            .build()
            .map_err(|e| SnsError::internal(format!("HTTP client: {e}")))?;
        let smtp = match &self.settings().smtp_url {
            None => None,
            Some(url) => Some(
                lettre::AsyncSmtpTransport::<lettre::Tokio1Executor>::from_url(url)
                    .map_err(|e| SnsError::internal(format!("--smtp-url {url}: {e}")))?
                    .timeout(Some(Duration::from_secs(30)))
                    .build(),
            ),
        };
        let carriers = Arc::new(Carriers { http, smtp });
        tokio::spawn(run(self.clone(), carriers));
        Ok(())
    }
}

fn now_ms() -> i64 {
    chrono::Utc::now().timestamp_millis()
}

async fn run(topics: Topics, carriers: Arc<Carriers>) {
    let (done_tx, mut done_rx) = mpsc::unbounded_channel::<Outcome>();
    let mut in_flight = 0usize;
    let mut outcomes: Vec<Outcome> = Vec::new();
    loop {
        while let Ok(o) = done_rx.try_recv() {
            in_flight -= 1;
            outcomes.push(o);
        }
        let room = MAX_IN_FLIGHT - in_flight;
        let settled = std::mem::take(&mut outcomes);
        let t = topics.clone();
        let claimed = tokio::task::spawn_blocking(move || {
            let mut core = t.core();
            let claimed = core.db.settle_and_claim(&settled, now_ms(), room);
            let next = core.db.next_due().ok().flatten();
            (claimed, next, settled)
        })
        .await;
        let (claimed, next_due) = match claimed {
            Ok((Ok(c), next, _)) => (c, next),
            Ok((Err(e), _, settled)) => {
                tracing::error!(error = %e, "topics outbox unavailable; retrying");
                outcomes = settled;
                tokio::time::sleep(Duration::from_millis(500)).await;
                continue;
            }
            Err(e) => {
                tracing::error!(error = %e, "topics outbox task failed");
                tokio::time::sleep(Duration::from_millis(500)).await;
                continue;
            }
        };
        let full = claimed.len() == room;
        for c in claimed {
            in_flight += 1;
            let tx = done_tx.clone();
            let t = topics.clone();
            let carriers = Arc::clone(&carriers);
            tokio::spawn(async move {
                let outcome = attempt(&t, &carriers, c).await;
                let _ = tx.send(outcome);
            });
        }
        if full {
            // More may be due: go round as soon as a slot frees up.
            if let Some(o) = done_rx.recv().await {
                in_flight -= 1;
                outcomes.push(o);
            }
            continue;
        }
        let wait = match next_due {
            Some(due) => Duration::from_millis((due - now_ms()).clamp(0, 1000) as u64),
            None => Duration::from_secs(1),
        };
        tokio::select! {
            _ = topics.inner.wake.notified() => {}
            o = done_rx.recv() => {
                if let Some(o) = o {
                    in_flight -= 1;
                    outcomes.push(o);
                }
            }
            _ = tokio::time::sleep(wait) => {}
        }
    }
}

async fn attempt(topics: &Topics, carriers: &Carriers, c: Claimed) -> Outcome {
    let d = &c.delivery;
    if d.kind == Kind::Notification && !topics.is_live(&d.subscription_arn) {
        return Outcome::Done(c.id);
    }
    match deliver(topics, carriers, d).await {
        Ok(()) => Outcome::Done(c.id),
        Err(DeliveryError::Permanent(why)) => {
            tracing::warn!(subscription = %d.subscription_arn, endpoint = %d.endpoint, %why, "delivery refused; message dropped");
            Outcome::Done(c.id)
        }
        Err(DeliveryError::Retry(why)) => {
            let attempts = c.attempts + 1;
            match d.retry.delay(attempts) {
                Some(delay) => {
                    tracing::info!(subscription = %d.subscription_arn, endpoint = %d.endpoint, %why, attempts, "delivery failed; will retry");
                    Outcome::Retry {
                        id: c.id,
                        attempts,
                        due_ms: now_ms() + delay.as_millis() as i64,
                    }
                }
                None => {
                    tracing::warn!(subscription = %d.subscription_arn, endpoint = %d.endpoint, %why, attempts, "delivery retries used up; message dropped");
                    Outcome::Done(c.id)
                }
            }
        }
    }
}

async fn signer(topics: &Topics) -> Result<Arc<crate::signing::Signer>, DeliveryError> {
    let t = topics.clone();
    tokio::task::spawn_blocking(move || t.signer())
        .await
        .map_err(|e| DeliveryError::Retry(e.to_string()))?
        .map_err(DeliveryError::from)
}

async fn deliver(topics: &Topics, carriers: &Carriers, d: &Delivery) -> Result<(), DeliveryError> {
    let base_url = topics.settings().base_url.clone();
    let links = Links {
        base_url: &base_url,
    };
    match d.protocol.as_str() {
        "email" | "email-json" => {
            let (subject, body) = if d.protocol == "email" {
                envelope::email_text(d, &links)
            } else {
                let s = signer(topics).await?;
                let subject = match d.kind {
                    Kind::Notification => d
                        .subject
                        .clone()
                        .unwrap_or_else(|| "AWS Notification Message".into()),
                    _ => envelope::email_text(d, &links).0,
                };
                (
                    subject,
                    envelope::envelope(d, &links, |v, text| s.sign(v, text)),
                )
            };
            let from =
                envelope::email_from(d.display_name.as_deref(), &topics.settings().mail_from);
            match &carriers.smtp {
                Some(smtp) => send_smtp(smtp, &from, &d.endpoint, &subject, body).await,
                None => {
                    let item = MailItem {
                        id: uuid::Uuid::new_v4().to_string(),
                        topic_arn: d.topic_arn.clone(),
                        subscription_arn: d.subscription_arn.clone(),
                        to: d.endpoint.clone(),
                        from,
                        subject,
                        body,
                        sent_at: chrono::Utc::now()
                            .to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
                    };
                    let t = topics.clone();
                    tokio::task::spawn_blocking(move || t.mail(&item))
                        .await
                        .map_err(|e| DeliveryError::Retry(e.to_string()))??;
                    Ok(())
                }
            }
        }
        "http" | "https" => {
            let raw = d.raw && d.kind == Kind::Notification;
            let body = if raw {
                d.message.clone()
            } else {
                let s = signer(topics).await?;
                envelope::envelope(d, &links, |v, text| s.sign(v, text))
            };
            let mut request = carriers
                .http
                .post(&d.endpoint)
                .header(
                    "content-type",
                    d.content_type
                        .as_deref()
                        .unwrap_or("text/plain; charset=UTF-8"),
                )
                .header("x-amz-sns-message-type", d.kind.as_str())
                .header("x-amz-sns-message-id", &d.message_id)
                .header("x-amz-sns-topic-arn", &d.topic_arn);
            if d.kind == Kind::Notification {
                request = request.header("x-amz-sns-subscription-arn", &d.subscription_arn);
            }
            if raw {
                request = request.header("x-amz-sns-rawdelivery", "true");
            }
            let response = request
                .body(body)
                .send()
                .await
                .map_err(|e| DeliveryError::Retry(format!("POST {}: {e}", d.endpoint)))?;
            let status = response.status();
            if status.is_success() {
                Ok(())
            } else if status.is_client_error() && status.as_u16() != 429 {
                Err(DeliveryError::Permanent(format!(
                    "POST {} answered {status}",
                    d.endpoint
                )))
            } else {
                Err(DeliveryError::Retry(format!(
                    "POST {} answered {status}",
                    d.endpoint
                )))
            }
        }
        "lambda" => {
            let Some(registry) = topics.inner.functions.get() else {
                return Err(DeliveryError::Retry(
                    "Lambda functions are not enabled on this server".into(),
                ));
            };
            let s = signer(topics).await?;
            let event = envelope::lambda_event(d, &links, |v, text| s.sign(v, text));
            registry
                .invoke_async(&d.endpoint, bytes::Bytes::from(event.to_string()))
                .map_err(|e| DeliveryError::Retry(format!("invoke {}: {e}", d.endpoint)))
        }
        other => Err(DeliveryError::Permanent(format!(
            "Baton does not deliver to {other}"
        ))),
    }
}

async fn send_smtp(
    smtp: &lettre::AsyncSmtpTransport<lettre::Tokio1Executor>,
    from: &str,
    to: &str,
    subject: &str,
    body: String,
) -> Result<(), DeliveryError> {
    use lettre::AsyncTransport;
    let from: lettre::message::Mailbox = from
        .parse()
        .map_err(|e| DeliveryError::Permanent(format!("sender {from}: {e}")))?;
    let to: lettre::message::Mailbox = to
        .parse()
        .map_err(|e| DeliveryError::Permanent(format!("recipient {to}: {e}")))?;
    let message = lettre::Message::builder()
        .from(from)
        .to(to)
        .subject(subject)
        .header(lettre::message::header::ContentType::TEXT_PLAIN)
        .body(body)
        .map_err(|e| DeliveryError::Permanent(format!("message: {e}")))?;
    smtp.send(message).await.map(|_| ()).map_err(|e| {
        if e.is_permanent() {
            DeliveryError::Permanent(format!("SMTP: {e}"))
        } else {
            DeliveryError::Retry(format!("SMTP: {e}"))
        }
    })
}
