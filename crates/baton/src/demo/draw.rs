//! One draw of the lottery: StartExecution, progress state by state (from
//! GetExecutionHistory, as a client sees it), then the winners and the mail.

use std::collections::BTreeMap;
use std::io::Write;
use std::time::{Duration, Instant};

use anyhow::{Result, anyhow};
use serde_json::{Value, json};

use super::aws::Client;
use super::deploy::{self, Deployed, EMPLOYEE_TABLE, WINNERS_TABLE};

/// How many winners a draw picks (the tutorial's `{"input": 2}`).
pub const NUM_OF_WINNERS: usize = 2;

/// AWS's cap on an execution's history (the Choice loop ends there).
const MAX_HISTORY_EVENTS: u64 = 25_000;

/// How a draw ended.
pub struct Outcome {
    pub execution_arn: String,
    pub status: String,
    pub error: Option<String>,
    pub cause: Option<String>,
}

fn say(line: impl AsRef<str>) {
    println!("{}", line.as_ref());
    let _ = std::io::stdout().flush();
}

/// employee_id → employee_name of everyone in `Lottery-Employee`.
pub async fn employees(c: &Client) -> Result<BTreeMap<String, String>> {
    Ok(scan(c, EMPLOYEE_TABLE)
        .await?
        .into_iter()
        .filter_map(|item| {
            Some((
                item["employee_id"]["S"].as_str()?.to_string(),
                item["employee_name"]["S"]
                    .as_str()
                    .unwrap_or("")
                    .to_string(),
            ))
        })
        .collect())
}

/// The employee ids in `Lottery-Winners`.
pub async fn winners(c: &Client) -> Result<Vec<String>> {
    Ok(scan(c, WINNERS_TABLE)
        .await?
        .into_iter()
        .filter_map(|item| item["employee_id"]["S"].as_str().map(String::from))
        .collect())
}

async fn scan(c: &Client, table: &str) -> Result<Vec<Value>> {
    let mut items = Vec::new();
    let mut start: Option<Value> = None;
    loop {
        let mut req = json!({ "TableName": table });
        if let Some(key) = start.take() {
            req["ExclusiveStartKey"] = key;
        }
        let page = c.json("DynamoDB_20120810.Scan", req).await?;
        items.extend(page["Items"].as_array().cloned().unwrap_or_default());
        match page.get("LastEvaluatedKey") {
            Some(key) if !key.is_null() => start = Some(key.clone()),
            _ => return Ok(items),
        }
    }
}

/// Deletes every item of `Lottery-Winners` (`--reset`).
pub async fn reset(c: &Client) -> Result<usize> {
    let ids = winners(c).await?;
    for chunk in ids.chunks(25) {
        let requests: Vec<Value> = chunk
            .iter()
            .map(|id| json!({"DeleteRequest": {"Key": {"employee_id": {"S": id}}}}))
            .collect();
        c.json(
            "DynamoDB_20120810.BatchWriteItem",
            json!({ "RequestItems": { WINNERS_TABLE: requests } }),
        )
        .await?;
    }
    Ok(ids.len())
}

/// The execution input: the tutorial's, plus an `exception` key for the
/// CustomError path.
pub fn input(exception: bool) -> Value {
    if exception {
        json!({ "input": NUM_OF_WINNERS, "exception": true })
    } else {
        json!({ "input": NUM_OF_WINNERS })
    }
}

pub async fn start(c: &Client, deployed: &Deployed, exception: bool) -> Result<String> {
    let started = c
        .json(
            "AWSStepFunctions.StartExecution",
            json!({
                "stateMachineArn": deployed.state_machine_arn,
                "input": input(exception).to_string(),
            }),
        )
        .await?;
    started["executionArn"]
        .as_str()
        .map(String::from)
        .ok_or_else(|| anyhow!("StartExecution answered without an executionArn"))
}

/// Runs one draw, printing each state as it completes.
pub async fn run(c: &Client, deployed: &Deployed, exception: bool) -> Result<Outcome> {
    let past = winners(c).await?;
    let staff = employees(c).await?;
    let left = staff.len().saturating_sub(past.len());
    let mut hopeless = false;
    if !exception && left < NUM_OF_WINNERS {
        hopeless = true;
        say(format!(
            "\n⚠ {} of the {} employees have already won, so no draw of {NUM_OF_WINNERS} can find only new winners.\n  \
             The state machine's Choice loops back to \"Random Select Winners\" for ever; like AWS, Baton ends\n  \
             the execution when its history reaches {MAX_HISTORY_EVENTS} events (a minute or two here, about 2,000 draws).\n  \
             Run `baton demo --reset` to clear past winners.",
            past.len(),
            staff.len()
        ));
    }
    let input = input(exception);
    say(format!("\nDrawing: StartExecution of Lottery with {input}"));
    let arn = start(c, deployed, exception).await?;
    say(format!("  execution {arn}"));
    let outcome = follow(c, &arn, hopeless).await?;
    Ok(outcome)
}

/// Polls the newest history events and prints them in order until the
/// execution closes.
async fn follow(c: &Client, arn: &str, hopeless: bool) -> Result<Outcome> {
    let mut last_id = 0u64;
    let mut started_at: Option<f64> = None;
    let mut draws = 0u64;
    let mut quiet = false;
    let mut last_report = Instant::now();
    loop {
        let page = c
            .json(
                "AWSStepFunctions.GetExecutionHistory",
                json!({
                    "executionArn": arn,
                    "reverseOrder": true,
                    "maxResults": if quiet { 20 } else { 1000 },
                    "includeExecutionData": true,
                }),
            )
            .await?;
        let mut fresh: Vec<Value> = page["events"]
            .as_array()
            .cloned()
            .unwrap_or_default()
            .into_iter()
            .filter(|e| e["id"].as_u64().unwrap_or(0) > last_id)
            .collect();
        fresh.reverse();
        for e in &fresh {
            last_id = e["id"].as_u64().unwrap_or(last_id);
            let ty = e["type"].as_str().unwrap_or("");
            let t = e["timestamp"].as_f64().unwrap_or(0.0);
            let at = t - *started_at.get_or_insert(t);
            if ty == "TaskStateEntered"
                && e["stateEnteredEventDetails"]["name"] == "Random Select Winners"
            {
                draws += 1;
                if draws == 4 && !quiet {
                    quiet = true;
                    say(format!(
                        "  … every draw picks a past winner{}; redrawing (a line every 2 s)",
                        if hopeless {
                            " (there are not enough employees left)"
                        } else {
                            ""
                        }
                    ));
                }
            }
            if closing(e) {
                print_event(e, at);
                let d = c
                    .json(
                        "AWSStepFunctions.DescribeExecution",
                        json!({ "executionArn": arn }),
                    )
                    .await?;
                return Ok(Outcome {
                    execution_arn: arn.to_string(),
                    status: d["status"].as_str().unwrap_or("UNKNOWN").to_string(),
                    error: d["error"].as_str().map(String::from),
                    cause: d["cause"].as_str().map(String::from),
                });
            }
            if !quiet {
                print_event(e, at);
            }
        }
        if quiet && last_report.elapsed() >= Duration::from_secs(2) {
            last_report = Instant::now();
            say(format!(
                "  … still redrawing: {last_id} of {MAX_HISTORY_EVENTS} history events"
            ));
        }
        // While the loop redraws, poll lightly: the history grows by
        // thousands of events and each poll would otherwise copy them.
        let pause = if quiet { 500 } else { 10 };
        tokio::time::sleep(Duration::from_millis(pause)).await;
    }
}

/// Whether `e` closes the execution.
fn closing(e: &Value) -> bool {
    matches!(
        e["type"].as_str(),
        Some("ExecutionSucceeded" | "ExecutionFailed" | "ExecutionTimedOut" | "ExecutionAborted")
    )
}

fn print_event(e: &Value, at: f64) {
    let ty = e["type"].as_str().unwrap_or("");
    let prefix = format!("  +{at:>7.3}s");
    if ty.ends_with("StateExited") {
        let d = &e["stateExitedEventDetails"];
        let name = d["name"].as_str().unwrap_or("");
        let output: Value = d["output"]
            .as_str()
            .and_then(|s| serde_json::from_str(s).ok())
            .unwrap_or(Value::Null);
        say(format!("{prefix}  ✓ {name:<32}{}", summary(name, &output)));
    } else if ty == "FailStateEntered" {
        let name = e["stateEnteredEventDetails"]["name"].as_str().unwrap_or("");
        say(format!("{prefix}  ✗ {name}"));
    } else if ty == "ExecutionSucceeded" {
        say(format!("{prefix}  ● ExecutionSucceeded"));
    } else if let Some(d) = failure_details(e) {
        let error = d["error"].as_str().unwrap_or("");
        let cause = d["cause"].as_str().unwrap_or("");
        if ty.starts_with("Execution") {
            say(format!("{prefix}  ● {ty} {error}"));
        } else {
            say(format!("{prefix}  ! {ty}: {error} {}", short(cause, 160)));
        }
    }
}

fn failure_details(e: &Value) -> Option<&Value> {
    let ty = e["type"].as_str()?;
    if !(ty.ends_with("Failed") || ty.ends_with("TimedOut") || ty == "ExecutionAborted") {
        return None;
    }
    let obj = e.as_object()?;
    obj.iter()
        .find(|(k, _)| k.ends_with("EventDetails"))
        .map(|(_, v)| v)
}

/// What a state's output means for the lottery, in a few words.
fn summary(state: &str, output: &Value) -> String {
    let names = |v: &Value| -> String {
        v["body"]["winner_details"]
            .as_array()
            .map(|ws| {
                ws.iter()
                    .filter_map(|w| w["employee_name"].as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            })
            .unwrap_or_default()
    };
    match state {
        "Input Lottery Winners" => {
            format!("  {} winners to draw", output["body"]["num_of_winners"])
        }
        "Random Select Winners" => format!("  drew {}", names(output)),
        "Validate Winners" => match output["status"].as_i64() {
            Some(1) => "  a past winner among them: draw again".into(),
            Some(0) => "  no past winners".into(),
            _ => String::new(),
        },
        _ => String::new(),
    }
}

fn short(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        s.to_string()
    } else {
        format!("{}…", s.chars().take(max).collect::<String>())
    }
}

/// The winners, the mail and the console link, after a draw.
pub async fn report(
    c: &Client,
    deployed: &Deployed,
    outcome: &Outcome,
    mail_before: usize,
    exception: bool,
) -> Result<()> {
    say(format!("\nExecution {}", outcome.status));
    if let Some(error) = &outcome.error {
        say(format!("  error: {error}"));
    }
    if let Some(cause) = &outcome.cause {
        say(format!("  cause: {}", short(cause, 400)));
    }
    if outcome.status == "FAILED" && exception {
        say(
            "  (as asked: --exception makes Lottery-InputWinners raise CustomError; its Catch sends it to \"Failed\")",
        );
    }
    if outcome
        .cause
        .as_deref()
        .is_some_and(|c| c.contains("maximum number of history events"))
    {
        say(format!(
            "  Every employee has won already, so the Choice state kept sending the execution back to\n  \
             \"Random Select Winners\" until the history reached {MAX_HISTORY_EVENTS} events, where AWS (and Baton)\n  \
             fail it with States.Runtime. Clear past winners with `baton demo --reset`."
        ));
    }
    let staff = employees(c).await?;
    let mut ids = winners(c).await?;
    ids.sort();
    say(format!("\nTable {WINNERS_TABLE} ({} rows):", ids.len()));
    for id in &ids {
        say(format!(
            "  {id}  {}",
            staff.get(id).map(String::as_str).unwrap_or("?")
        ));
    }
    // The publish happens inside the execution; give delivery a moment.
    let mut mail = Vec::new();
    for _ in 0..40 {
        mail = deploy::mailbox(c)
            .await?
            .into_iter()
            .skip(mail_before)
            .filter(|m| m["topicArn"] == deployed.topic_arn.as_str())
            .collect();
        if !mail.is_empty() || outcome.status != "SUCCEEDED" {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    say(format!(
        "\nMailbox ({} new message{}):",
        mail.len(),
        if mail.len() == 1 { "" } else { "s" }
    ));
    for m in &mail {
        say(format!(
            "  To: {}\n  From: {}\n  Subject: {}\n\n    {}\n",
            m["to"].as_str().unwrap_or(""),
            m["from"].as_str().unwrap_or(""),
            m["subject"].as_str().unwrap_or(""),
            m["body"].as_str().unwrap_or("").replace('\n', "\n    ")
        ));
    }
    // The console's deep link to this execution (its route `#/execution/<ARN>`).
    say(format!(
        "Console: {}/#/execution/{}",
        c.endpoint,
        super::aws::encode(&outcome.execution_arn)
    ));
    Ok(())
}

/// `--bench N`: N draws with warm functions, each timed from StartExecution
/// to SUCCEEDED (the past winners are cleared, untimed, before each draw
/// so that no draw loops).
pub async fn bench(c: &Client, deployed: &Deployed, n: usize) -> Result<()> {
    say(format!(
        "\nBenchmark: {n} draws with warm functions (after one warm-up draw)"
    ));
    let mut wall = Vec::with_capacity(n);
    let mut server = Vec::with_capacity(n);
    for i in 0..=n {
        reset(c).await?;
        let began = Instant::now();
        let arn = start(c, deployed, false).await?;
        let d = loop {
            let d = c
                .json(
                    "AWSStepFunctions.DescribeExecution",
                    json!({ "executionArn": arn }),
                )
                .await?;
            if d["status"] != "RUNNING" {
                break d;
            }
            tokio::time::sleep(Duration::from_millis(1)).await;
        };
        let elapsed = began.elapsed().as_secs_f64() * 1000.0;
        if d["status"] != "SUCCEEDED" {
            return Err(anyhow!(
                "draw {i} ended {}: {} {}",
                d["status"],
                d["error"],
                d["cause"]
            ));
        }
        if i == 0 {
            continue; // warm-up
        }
        wall.push(elapsed);
        if let (Some(a), Some(b)) = (d["startDate"].as_f64(), d["stopDate"].as_f64()) {
            server.push((b - a) * 1000.0);
        }
    }
    say(format!(
        "  StartExecution → SUCCEEDED seen by the client:  {}",
        stats(&mut wall)
    ));
    say(format!(
        "  startDate → stopDate (the execution itself):    {}",
        stats(&mut server)
    ));
    Ok(())
}

fn stats(v: &mut [f64]) -> String {
    if v.is_empty() {
        return "no samples".into();
    }
    v.sort_by(f64::total_cmp);
    let q = |p: f64| v[((v.len() - 1) as f64 * p).round() as usize];
    format!(
        "median {:.1} ms  p90 {:.1} ms  min {:.1} ms  max {:.1} ms  (n={})",
        q(0.5),
        q(0.9),
        v[0],
        v[v.len() - 1],
        v.len()
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn summaries_name_the_drawn_employees_and_the_verdict() {
        let drawn = json!({"body": {"num_of_winners": 2, "winner_details": [
            {"employee_name": "Alice"}, {"employee_name": "Bob"}]}});
        assert_eq!(
            summary("Random Select Winners", &drawn),
            "  drew Alice, Bob"
        );
        assert_eq!(
            summary("Validate Winners", &json!({"status": 1})),
            "  a past winner among them: draw again"
        );
        assert_eq!(summary("Other", &drawn), "");
    }

    #[test]
    fn stats_take_the_median_of_sorted_samples() {
        let mut v = vec![30.0, 10.0, 20.0];
        assert!(stats(&mut v).starts_with("median 20.0 ms"));
    }

    #[test]
    fn the_exception_input_carries_an_exception_key() {
        assert!(input(true).get("exception").is_some());
        assert_eq!(input(false), json!({"input": 2}));
    }
}
