//! DynamoDB scenarios: `ddb-get` (GetItem of random existing keys) and
//! `ddb-put` (PutItem overwriting `--items` keys), each worker on its own
//! keep-alive connection, requests as the AWS SDKs send them (AWS JSON 1.0,
//! `X-Amz-Target: DynamoDB_20120810.<Operation>`; unsigned, which
//! `baton serve` accepts unless started with `--auth`).
//!
//! The table (`baton-loadbench-ddb`, string hash key `pk`, on-demand) is
//! created on first use. `ddb-get` first writes the `--items` items with
//! BatchWriteItem, so every GetItem finds its item; each answer is checked
//! for that item, so a bench that measures "not found" answers fails
//! instead.

use anyhow::{Context, Result, anyhow, bail};
use bytes::Bytes;
use serde_json::{Value, json};

use crate::{Api, Args, Scenario, Stop, measured_stop, phase_ops, report_ops};

const TABLE: &str = "baton-loadbench-ddb";
const TARGET: &str = "DynamoDB_20120810.";

/// The key of item `i`.
fn key(i: u64) -> String {
    format!("item-{i:08}")
}

/// Item `i` in AttributeValue JSON: the key, a number, and a string of
/// `bytes` bytes.
fn item(i: u64, version: u64, bytes: usize) -> Value {
    json!({
        "pk": {"S": key(i)},
        "version": {"N": version.to_string()},
        "payload": {"S": "x".repeat(bytes)},
    })
}

/// A small deterministic generator (xorshift64*), so workers spread their
/// keys without a dependency or a shared lock.
pub(crate) struct Rng(u64);

impl Rng {
    pub(crate) fn new(seed: u64) -> Rng {
        Rng(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1)
    }

    pub(crate) fn below(&mut self, n: u64) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D) % n.max(1)
    }
}

async fn ddb(api: &Api, operation: &str, body: &Value) -> Result<Value> {
    let bytes = api
        .post_json(
            &format!("{TARGET}{operation}"),
            Bytes::from(serde_json::to_vec(body)?),
        )
        .await?;
    serde_json::from_slice(&bytes).with_context(|| format!("{operation}: response not JSON"))
}

/// Creates the bench table unless it exists.
async fn ensure_table(api: &Api) -> Result<()> {
    let created = ddb(
        api,
        "CreateTable",
        &json!({
            "TableName": TABLE,
            "AttributeDefinitions": [{"AttributeName": "pk", "AttributeType": "S"}],
            "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}],
            "BillingMode": "PAY_PER_REQUEST",
        }),
    )
    .await;
    match created {
        Ok(_) => Ok(()),
        Err(e) if format!("{e:#}").contains("ResourceInUseException") => Ok(()),
        Err(e) => Err(e),
    }
}

/// Writes items `0..n` with BatchWriteItem, 25 per request.
async fn fill(api: &Api, n: u64, bytes: usize) -> Result<()> {
    let mut start = 0;
    while start < n {
        let end = (start + 25).min(n);
        let requests: Vec<Value> = (start..end)
            .map(|i| json!({"PutRequest": {"Item": item(i, 0, bytes)}}))
            .collect();
        let out = ddb(
            api,
            "BatchWriteItem",
            &json!({"RequestItems": {TABLE: requests}}),
        )
        .await?;
        if out["UnprocessedItems"]
            .as_object()
            .is_some_and(|m| !m.is_empty())
        {
            bail!("BatchWriteItem left items unprocessed: {out}");
        }
        start = end;
    }
    Ok(())
}

/// One GetItem of item `i`, checking that the answer is that item.
async fn get_one(api: &Api, body: Bytes, i: u64) -> Result<()> {
    let bytes = api.post_json("DynamoDB_20120810.GetItem", body).await?;
    let out: Value = serde_json::from_slice(&bytes).context("GetItem: response not JSON")?;
    if out["Item"]["pk"]["S"].as_str() != Some(key(i).as_str()) {
        bail!("GetItem of {} answered {out}", key(i));
    }
    Ok(())
}

/// One PutItem (an overwrite once every key exists).
async fn put_one(api: &Api, body: Bytes) -> Result<()> {
    let bytes = api.post_json("DynamoDB_20120810.PutItem", body).await?;
    if bytes.as_ref() != b"{}" {
        bail!("PutItem answered {}", String::from_utf8_lossy(&bytes));
    }
    Ok(())
}

fn phase(api: &Api, args: &Args, stop: Stop) -> impl Future<Output = crate::PhaseResult> {
    let api = api.clone();
    let (scenario, items, item_bytes) = (args.scenario, args.items, args.item_bytes);
    let get_bodies: std::sync::Arc<Vec<Bytes>> =
        std::sync::Arc::new(if scenario == Scenario::DdbGet {
            (0..items)
                .map(|i| {
                    Bytes::from(
                        json!({"TableName": TABLE, "Key": {"pk": {"S": key(i)}}}).to_string(),
                    )
                })
                .collect()
        } else {
            Vec::new()
        });
    let payload = "x".repeat(item_bytes);
    phase_ops(args.concurrency, stop, move |w, i| {
        let api = api.clone();
        let mut rng = Rng::new(((w as u64) << 40) ^ i ^ 0x5EED);
        let k = rng.below(items);
        let get_bodies = std::sync::Arc::clone(&get_bodies);
        let put_body = (scenario == Scenario::DdbPut).then(|| {
            Bytes::from(format!(
                r#"{{"TableName":"{TABLE}","Item":{{"pk":{{"S":"{}"}},"version":{{"N":"{i}"}},"payload":{{"S":"{payload}"}}}}}}"#,
                key(k)
            ))
        });
        async move {
            match put_body {
                Some(body) => put_one(&api, body).await,
                None => get_one(&api, get_bodies[k as usize].clone(), k).await,
            }
        }
    })
}

pub(crate) async fn run(api: &Api, args: &Args) -> Result<Value> {
    if args.items == 0 {
        return Err(anyhow!("--items must be at least 1"));
    }
    ensure_table(api).await?;
    if args.scenario == Scenario::DdbGet {
        fill(api, args.items, args.item_bytes).await?;
    }
    if args.warmup > 0.0 {
        let stop =
            Stop::At(std::time::Instant::now() + std::time::Duration::from_secs_f64(args.warmup));
        let w = phase(api, args, stop).await;
        if let Some(e) = w.first_error
            && w.latencies.is_empty()
        {
            bail!("warm-up failed: {e}");
        }
    }
    let r = phase(api, args, measured_stop(args)).await;
    Ok(report_ops(
        "requests",
        args,
        r,
        json!({"items": args.items, "item_bytes": args.item_bytes}),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_spread_over_the_range() {
        let mut rng = Rng::new(7);
        let mut seen = [0u32; 10];
        for _ in 0..10_000 {
            seen[rng.below(10) as usize] += 1;
        }
        assert!(seen.iter().all(|&n| n > 800), "{seen:?}");
    }

    #[test]
    fn first_draws_of_consecutive_seeds_spread() {
        // How `phase` picks keys: one fresh generator per (worker, request).
        let mut seen = [0u32; 10];
        for w in 0..4u64 {
            for i in 0..2_500u64 {
                seen[Rng::new((w << 40) ^ i ^ 0x5EED).below(10) as usize] += 1;
            }
        }
        assert!(seen.iter().all(|&n| n > 800), "{seen:?}");
    }

    #[test]
    fn items_have_the_requested_size() {
        let v = item(3, 1, 100);
        assert_eq!(v["pk"]["S"], "item-00000003");
        assert_eq!(v["payload"]["S"].as_str().unwrap().len(), 100);
    }
}
