//! The delivery workers against real endpoints: the mailbox, and an HTTP
//! server that fails before it succeeds (the retry policy).

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use topics::{PublishInput, Settings, Topics};

async fn wait_until(mut f: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(20);
    while !f() {
        assert!(Instant::now() < deadline, "timed out");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

fn publish(t: &Topics, arn: &str, message: &str) {
    t.publish(PublishInput {
        topic_arn: Some(arn.into()),
        message: Some(message.into()),
        subject: Some("Hi".into()),
        ..Default::default()
    })
    .unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn email_goes_to_the_mailbox_with_confirmation_first() {
    let t = Topics::in_memory("us-east-1", "123456789012", "http://127.0.0.1:9").unwrap();
    t.start(None).unwrap();
    let arn = t.create_topic("t", BTreeMap::new(), vec![]).unwrap();
    t.subscribe(&arn, "email", Some("a@example.com"), BTreeMap::new(), false)
        .unwrap();
    wait_until(|| t.mailbox().unwrap().len() == 1).await;
    let confirm = &t.mailbox().unwrap()[0];
    assert_eq!(
        confirm.subject,
        "AWS Notification - Subscription Confirmation"
    );
    let token = confirm
        .body
        .split("Token=")
        .nth(1)
        .unwrap()
        .split_whitespace()
        .next()
        .unwrap()
        .to_string();
    t.confirm_subscription(&arn, &token, false, false).unwrap();
    publish(&t, &arn, "Congrats!");
    wait_until(|| t.mailbox().unwrap().len() == 2).await;
    let mail = &t.mailbox().unwrap()[1];
    assert_eq!(
        (mail.subject.as_str(), mail.to.as_str()),
        ("Hi", "a@example.com")
    );
    assert!(mail.body.starts_with("Congrats!\n\n--\n"));
    wait_until(|| t.pending_deliveries().unwrap() == 0).await;
}

/// A one-route HTTP server answering 500 `failures` times, then 200.
async fn flaky_server(failures: usize) -> (String, Arc<Mutex<Vec<String>>>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/hook", listener.local_addr().unwrap());
    let seen = Arc::new(Mutex::new(Vec::new()));
    let log = Arc::clone(&seen);
    tokio::spawn(async move {
        let mut n = 0;
        loop {
            let (mut s, _) = listener.accept().await.unwrap();
            let mut buf = vec![0u8; 65536];
            let mut got = 0;
            // Read headers and body (Content-Length).
            loop {
                let k = s.read(&mut buf[got..]).await.unwrap();
                got += k;
                let text = String::from_utf8_lossy(&buf[..got]).to_string();
                if let Some(end) = text.find("\r\n\r\n") {
                    let len: usize = text
                        .lines()
                        .find_map(|l| {
                            l.to_ascii_lowercase()
                                .strip_prefix("content-length: ")
                                .map(|v| v.trim().parse().unwrap())
                        })
                        .unwrap_or(0);
                    if got >= end + 4 + len || k == 0 {
                        log.lock().unwrap().push(text);
                        break;
                    }
                }
                if k == 0 {
                    break;
                }
            }
            n += 1;
            let status = if n <= failures {
                "500 Internal Server Error"
            } else {
                "200 OK"
            };
            let _ = s
                .write_all(
                    format!("HTTP/1.1 {status}\r\ncontent-length: 0\r\nconnection: close\r\n\r\n")
                        .as_bytes(),
                )
                .await;
        }
    });
    (url, seen)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn http_retries_by_the_delivery_policy_until_accepted() {
    let (url, seen) = flaky_server(2).await;
    let mut s = Settings::new("us-east-1", "123456789012", "http://127.0.0.1:9");
    s.auto_confirm = true;
    let t = Topics::open(s).unwrap();
    t.start(None).unwrap();
    let policy = r#"{"healthyRetryPolicy": {"numRetries": 3, "numNoDelayRetries": 3}}"#;
    let arn = t.create_topic("t", BTreeMap::new(), vec![]).unwrap();
    let attrs = BTreeMap::from([("DeliveryPolicy".to_string(), policy.to_string())]);
    t.subscribe(&arn, "http", Some(&url), attrs, false).unwrap();
    publish(&t, &arn, "m1");
    wait_until(|| seen.lock().unwrap().len() == 3).await;
    wait_until(|| t.pending_deliveries().unwrap() == 0).await;
    let requests = seen.lock().unwrap().clone();
    assert!(
        requests
            .iter()
            .all(|r| r.contains("x-amz-sns-message-type: Notification"))
    );
    assert!(requests[2].contains("\"Message\" : \"m1\""));
}
