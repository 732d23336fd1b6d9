//! `--endpoint`: runs each case through a running `baton serve` over the
//! Step Functions API instead of in process, and hands what the API reports
//! to the same comparison ([`crate::judge`]).
//!
//! Per case: CreateStateMachine (name derived from the case id), then for a
//! STANDARD machine StartExecution, DescribeExecution until it leaves
//! RUNNING and GetExecutionHistory (every page); for an EXPRESS machine
//! StartSyncExecution (AWS keeps no history for Express, so none is
//! compared). Cases that call Lambda functions first deploy the fixtures
//! through the Lambda API (DeleteFunction + CreateFunction with a zip).

use std::collections::HashMap;
use std::time::{Duration, Instant};

use anyhow::{Result, anyhow};
use serde_json::{Value, json};

use crate::http::Client;
use crate::lambdas::{self, Function};
use crate::{Event, Observed, Verdict, judge, uses_lambda};

/// The account the corpus's expected ARNs carry.
const CORPUS_ACCOUNT: &str = "111111111111";
const ROLE_ARN: &str = "arn:aws:iam::111111111111:role/baton-conformance";
/// How long a STANDARD execution may stay RUNNING (wall clock).
const RUN_LIMIT: Duration = Duration::from_secs(300);

pub struct Server {
    client: Client,
    /// Execution names are unique per run of the runner.
    tag: String,
    /// Machine name → case id, to keep derived names distinct.
    names: HashMap<String, String>,
    warned_account: bool,
    /// Function name → (fixture file, ARN) as deployed on the server.
    deployed: HashMap<String, (&'static str, String)>,
}

impl Server {
    pub fn new(endpoint: &str) -> Result<Server> {
        let millis = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_millis())
            .unwrap_or_default();
        Ok(Server {
            client: Client::new(endpoint)?,
            tag: format!("conformance-{millis}"),
            names: HashMap::new(),
            warned_account: false,
            deployed: HashMap::new(),
        })
    }

    pub fn run_case(&mut self, id: &str, case: &Value) -> Verdict {
        let filled;
        let case = if uses_lambda(case) {
            let functions = match lambdas::functions_of(case) {
                Ok(f) => f,
                Err(e) => return Verdict::Fail(format!("{e:#}")),
            };
            if let Err(e) = self.deploy(&functions) {
                return Verdict::Fail(format!("{e:#}"));
            }
            let arns: HashMap<String, String> = self
                .deployed
                .iter()
                .map(|(name, (_, arn))| (name.clone(), arn.clone()))
                .collect();
            filled = lambdas::filled_case(case, &functions, &|name| {
                arns.get(name).cloned().unwrap_or_default()
            });
            &filled
        } else {
            case
        };
        match self.execute(id, case) {
            Ok(observed) => judge(case, &observed),
            Err(e) => Verdict::Fail(format!("{e:#}")),
        }
    }

    /// Makes each function run its fixture on the server.
    fn deploy(&mut self, functions: &[Function]) -> Result<()> {
        use base64::Engine as _;
        for f in functions {
            if self
                .deployed
                .get(&f.name)
                .is_some_and(|(file, _)| *file == f.fixture.file)
            {
                continue;
            }
            self.deployed.remove(&f.name);
            // Left over from an earlier run, or running another fixture.
            let _ = self
                .client
                .rest("DELETE", &format!("/2015-03-31/functions/{}", f.name), None);
            let zip = base64::engine::general_purpose::STANDARD.encode(lambdas::zip_of(f.fixture));
            let created = self
                .client
                .rest(
                    "POST",
                    "/2015-03-31/functions",
                    Some(&json!({
                        "FunctionName": f.name,
                        "Runtime": lambdas::RUNTIME,
                        "Role": lambdas::ROLE,
                        "Handler": lambdas::HANDLER,
                        "Timeout": f.fixture.timeout,
                        "Code": {"ZipFile": zip},
                    })),
                )
                .map_err(|e| anyhow!("CreateFunction {}: {e:#}", f.name))?;
            let arn = created["FunctionArn"]
                .as_str()
                .ok_or_else(|| anyhow!("CreateFunction {}: no FunctionArn", f.name))?
                .to_string();
            self.deployed.insert(f.name.clone(), (f.fixture.file, arn));
        }
        Ok(())
    }

    /// A state machine name for `id`, unique among this run's cases.
    fn machine_name(&mut self, id: &str) -> String {
        let mut name = machine_name(id, 0);
        let mut n = 0;
        while let Some(owner) = self.names.get(&name) {
            if owner == id {
                return name;
            }
            n += 1;
            name = machine_name(id, n);
        }
        self.names.insert(name.clone(), id.to_string());
        name
    }

    fn execute(&mut self, id: &str, case: &Value) -> Result<Observed> {
        let express = case["state_machine_type"] == "EXPRESS";
        let name = self.machine_name(id);
        let created = self
            .client
            .call(
                "CreateStateMachine",
                &json!({
                    "name": name,
                    "definition": case["template"].to_string(),
                    "roleArn": ROLE_ARN,
                    "type": if express { "EXPRESS" } else { "STANDARD" },
                }),
            )
            .map_err(|e| anyhow!("CreateStateMachine: {e:#}"))?;
        let machine = created["stateMachineArn"]
            .as_str()
            .ok_or_else(|| anyhow!("CreateStateMachine: no stateMachineArn"))?
            .to_string();
        if !self.warned_account && !machine.contains(&format!(":{CORPUS_ACCOUNT}:")) {
            self.warned_account = true;
            eprintln!(
                "warning: the server's account is not {CORPUS_ACCOUNT} (the corpus's); \
                 start it with `--account {CORPUS_ACCOUNT}` or ARN comparisons fail"
            );
        }
        let input = match case["input_string"].as_str() {
            Some(s) => s.to_string(),
            None if case["input"].is_null() => "{}".to_string(),
            None => case["input"].to_string(),
        };
        let start = json!({"stateMachineArn": machine, "name": self.tag, "input": input});
        if express {
            let out = self
                .client
                .call("StartSyncExecution", &start)
                .map_err(|e| anyhow!("StartSyncExecution: {e:#}"))?;
            return observed(&out, None);
        }
        let started = self
            .client
            .call("StartExecution", &start)
            .map_err(|e| anyhow!("StartExecution: {e:#}"))?;
        let arn = started["executionArn"]
            .as_str()
            .ok_or_else(|| anyhow!("StartExecution: no executionArn"))?
            .to_string();
        let began = Instant::now();
        let mut pause = Duration::from_millis(1);
        let described = loop {
            let out = self
                .client
                .call("DescribeExecution", &json!({"executionArn": arn}))
                .map_err(|e| anyhow!("DescribeExecution: {e:#}"))?;
            if out["status"] != "RUNNING" {
                break out;
            }
            if began.elapsed() > RUN_LIMIT {
                // Leave nothing running behind on the server.
                let _ = self
                    .client
                    .call("StopExecution", &json!({"executionArn": arn}));
                return Err(anyhow!(
                    "still RUNNING after {} s (is --time-scale large enough?)",
                    RUN_LIMIT.as_secs()
                ));
            }
            std::thread::sleep(pause);
            pause = (pause * 2).min(Duration::from_millis(50));
        };
        let history = self.history(&arn)?;
        observed(&described, Some(history))
    }

    /// GetExecutionHistory, every page, oldest first.
    fn history(&mut self, arn: &str) -> Result<Vec<Event>> {
        let mut events = Vec::new();
        let mut token: Option<String> = None;
        loop {
            let mut req = json!({"executionArn": arn, "maxResults": 1000});
            if let Some(t) = &token {
                req["nextToken"] = json!(t);
            }
            let page = self
                .client
                .call("GetExecutionHistory", &req)
                .map_err(|e| anyhow!("GetExecutionHistory: {e:#}"))?;
            for e in page["events"].as_array().into_iter().flatten() {
                events.push(Event {
                    kind: e["type"].as_str().unwrap_or_default().to_string(),
                    id: e["id"].as_u64().unwrap_or_default(),
                    previous: e["previousEventId"].as_u64().unwrap_or_default(),
                });
            }
            match page["nextToken"].as_str() {
                Some(t) => token = Some(t.to_string()),
                None => return Ok(events),
            }
        }
    }
}

/// DescribeExecution's or StartSyncExecution's answer as an [`Observed`].
fn observed(out: &Value, history: Option<Vec<Event>>) -> Result<Observed> {
    let status = out["status"]
        .as_str()
        .ok_or_else(|| anyhow!("no status in {out}"))?
        .to_string();
    let output = match out["output"].as_str() {
        Some(text) => Some(
            serde_json::from_str(text).map_err(|e| anyhow!("output is not JSON ({e}): {text}"))?,
        ),
        None => None,
    };
    Ok(Observed {
        status,
        output,
        error: out["error"].as_str().map(str::to_string),
        cause: out["cause"].as_str().map(str::to_string),
        history,
    })
}

/// `id` as a Step Functions name: at most 80 characters, none of
/// whitespace, `< > { } [ ] ? * " # % \ ^ | ~ ` $ & , ; : /` or control
/// characters. Long ids keep their start and get a hash of the whole id;
/// `n > 0` tells apart ids that would otherwise collide.
fn machine_name(id: &str, n: usize) -> String {
    let clean: String = id
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' || c == '.' {
                c
            } else {
                '_'
            }
        })
        .collect();
    let suffix = match n {
        0 => String::new(),
        n => format!("-{n}"),
    };
    if clean.len() + suffix.len() <= 80 {
        return format!("{clean}{suffix}");
    }
    let hash = format!("-{:016x}", fnv1a(id.as_bytes()));
    let keep = 80 - hash.len() - suffix.len();
    format!("{}{hash}{suffix}", &clean[..keep])
}

fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |h, &b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_follow_aws_rules() {
        let id = "arguments.test_arguments.TestArgumentsBase.test_base_cases[BASE_LAMBDA_EMPTY]";
        let name = machine_name(id, 0);
        assert!(name.len() <= 80, "{name}");
        assert!(
            name.chars()
                .all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c))
        );
        let long = "x".repeat(150);
        assert_eq!(machine_name(&long, 0).len(), 80);
        assert_ne!(machine_name(&long, 0), machine_name(&long, 1));
        assert_eq!(machine_name("a:b", 0), "a_b");
    }
}
