//! Publish throughput (durable: every Publish is an fsynced SQLite
//! transaction) and publish → mailbox latency, on a file-backed store.
//! Run: `cargo bench -p topics --bench publish`.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use topics::{PublishInput, Settings, Topics};

fn open(dir: &std::path::Path, name: &str) -> Topics {
    let mut s = Settings::new("us-east-1", "123456789012", "http://127.0.0.1:4566");
    s.db_path = Some(dir.join(format!("{name}.sqlite3")));
    s.auto_confirm = true;
    Topics::open(s).expect("open")
}

fn input(arn: &str, i: usize) -> PublishInput {
    PublishInput {
        topic_arn: Some(arn.to_string()),
        message: Some(format!(
            "Congrats! [winner {i}] You have selected as the Lucky Champ!"
        )),
        ..Default::default()
    }
}

fn throughput(t: &Topics, arn: &str, threads: usize, per_thread: usize) -> f64 {
    let began = Instant::now();
    std::thread::scope(|s| {
        for k in 0..threads {
            let t = t.clone();
            s.spawn(move || {
                for i in 0..per_thread {
                    t.publish(input(arn, k * per_thread + i)).expect("publish");
                }
            });
        }
    });
    (threads * per_thread) as f64 / began.elapsed().as_secs_f64()
}

fn main() {
    let dir = tempfile::tempdir().expect("tempdir");
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    let _guard = runtime.enter();

    // Throughput with no subscriber (the topic lookup only) and with one
    // e-mail subscriber (one outbox row per publish).
    let t = open(dir.path(), "plain");
    let bare = t.create_topic("bare", BTreeMap::new(), vec![]).unwrap();
    println!(
        "publish, no subscriber, 1 thread:   {:>8.0} msg/s",
        throughput(&t, &bare, 1, 2000)
    );
    let mail = t.create_topic("mail", BTreeMap::new(), vec![]).unwrap();
    t.subscribe(
        &mail,
        "email",
        Some("a@example.com"),
        BTreeMap::new(),
        false,
    )
    .unwrap();
    println!(
        "publish, 1 e-mail subscriber, 1 thread: {:>8.0} msg/s",
        throughput(&t, &mail, 1, 1000)
    );
    println!(
        "publish, 1 e-mail subscriber, 4 threads: {:>8.0} msg/s",
        throughput(&t, &mail, 4, 250)
    );

    // Latency: publish → the mail is in the mailbox (workers running).
    let t = open(dir.path(), "latency");
    t.start(None).unwrap();
    let arn = t.create_topic("lat", BTreeMap::new(), vec![]).unwrap();
    t.subscribe(&arn, "email", Some("a@example.com"), BTreeMap::new(), false)
        .unwrap();
    let mut samples = Vec::new();
    for i in 0..200 {
        let before = t.mailbox().unwrap().len();
        let began = Instant::now();
        t.publish(input(&arn, i)).unwrap();
        while t.mailbox().unwrap().len() == before {
            std::thread::sleep(Duration::from_micros(200));
        }
        samples.push(began.elapsed());
    }
    samples.sort();
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    println!(
        "publish -> mailbox latency (200 samples): median {:.2} ms, p99 {:.2} ms, max {:.2} ms",
        ms(samples[100]),
        ms(samples[197]),
        ms(samples[199])
    );
}
