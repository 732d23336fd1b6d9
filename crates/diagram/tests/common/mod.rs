//! Generated state machines for property tests and the layout benchmark: Tasks with Catch
//! and Retry, Choices that loop back, Waits, Passes, and Parallel/Map containers nested up
//! to two levels. Deterministic for a given seed.
#![allow(dead_code)]

use serde_json::{Map, Value, json};

/// A small deterministic random number generator (SplitMix64).
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed)
    }

    pub fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in `0..n` (n > 0).
    pub fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }

    pub fn chance(&mut self, percent: usize) -> bool {
        self.below(100) < percent
    }
}

/// Generates a machine with about `size` states in total (nested ones included).
pub fn machine(seed: u64, size: usize) -> Value {
    let mut rng = Rng::new(seed);
    let mut counter = 0;
    scope(&mut rng, size.max(2), 0, &mut counter)
}

fn scope(rng: &mut Rng, size: usize, depth: usize, counter: &mut usize) -> Value {
    // Body states, then one Succeed and one Fail closing the scope. Nested states count
    // towards `size`, so the whole machine has about `size` states.
    let base = *counter;
    let name = |i: usize| {
        format!(
            "S{}.{} {}",
            base,
            i,
            ["check", "load & go", "notify <ops>", "step"][i % 4]
        )
    };
    *counter += 1;
    let mut remaining = size.saturating_sub(2).max(1);
    let mut bodies: Vec<Value> = Vec::new();
    while remaining > 0 {
        let i = bodies.len();
        remaining -= 1;
        let roll = rng.below(100);
        let state = if roll < 10 && depth < 2 && remaining >= 4 {
            // A Parallel with 2-3 branches.
            let branches: Vec<Value> = (0..2 + rng.below(2))
                .map(|_| {
                    let n = (2 + rng.below(4)).min(remaining.max(2));
                    remaining = remaining.saturating_sub(n);
                    scope(rng, n, depth + 1, counter)
                })
                .collect();
            json!({"Type": "Parallel", "Branches": branches})
        } else if roll < 20 && depth < 2 && remaining >= 2 {
            let n = (2 + rng.below(5)).min(remaining);
            remaining -= n;
            json!({"Type": "Map", "ItemProcessor": scope(rng, n, depth + 1, counter)})
        } else if roll < 38 && i > 0 {
            json!({"Type": "Choice"})
        } else if roll < 48 {
            json!({"Type": "Wait", "Seconds": 1})
        } else if roll < 58 {
            json!({"Type": "Pass"})
        } else {
            json!({"Type": "Task", "Resource": "arn:aws:lambda:us-east-1:123456789012:function:work"})
        };
        bodies.push(state);
    }
    let body = bodies.len();
    let succeed = name(body);
    let fail = name(body + 1);
    let mut states = Map::new();
    let mut fail_used = false;
    for (i, mut state) in bodies.into_iter().enumerate() {
        let next = if i + 1 < body {
            name(i + 1)
        } else {
            succeed.clone()
        };
        let kind = state["Type"].as_str().unwrap_or_default().to_string();
        if kind == "Choice" {
            // Rules that go forward or loop back.
            let rules: Vec<Value> = (0..1 + rng.below(3))
                .map(|r| {
                    let target = rng.below(body);
                    json!({"Variable": format!("$.v{r}"), "NumericEquals": r, "Next": name(target)})
                })
                .collect();
            state["Choices"] = Value::Array(rules);
            state["Default"] = json!(next);
        } else {
            state["Next"] = json!(next);
        }
        if matches!(kind.as_str(), "Task" | "Parallel" | "Map") {
            if rng.chance(50) {
                state["Catch"] = json!([{"ErrorEquals": ["States.ALL"], "Next": fail}]);
                fail_used = true;
            }
            if rng.chance(30) {
                state["Retry"] = json!([{"ErrorEquals": ["States.ALL"], "MaxAttempts": 2}]);
            }
        }
        states.insert(name(i), state);
    }
    states.insert(succeed, json!({"Type": "Succeed"}));
    // Only when something can reach it: AWS rejects unreachable states.
    if fail_used {
        states.insert(fail, json!({"Type": "Fail", "Error": "Boom"}));
    }
    json!({"StartAt": name(0), "States": states})
}

/// Number of states, nested ones included.
pub fn count_states(def: &Value) -> usize {
    let mut n = 0;
    if let Some(states) = def.get("States").and_then(Value::as_object) {
        for body in states.values() {
            n += 1;
            for branch in body
                .get("Branches")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
            {
                n += count_states(branch);
            }
            if let Some(p) = body.get("ItemProcessor").or(body.get("Iterator")) {
                n += count_states(p);
            }
        }
    }
    n
}

/// The same definition with every `States` object's keys in another order (reversed, or
/// rotated), recursively.
pub fn reorder(def: &Value, rotate: usize) -> Value {
    match def {
        Value::Object(map) => {
            let mut out = Map::new();
            for (k, v) in map {
                if k == "States" {
                    let mut entries: Vec<(&String, &Value)> = v
                        .as_object()
                        .map(|m| m.iter().collect())
                        .unwrap_or_default();
                    if rotate == 0 {
                        entries.reverse();
                    } else if !entries.is_empty() {
                        let r = rotate % entries.len();
                        entries.rotate_left(r);
                    }
                    let states: Map<String, Value> = entries
                        .into_iter()
                        .map(|(k, v)| (k.clone(), reorder(v, rotate)))
                        .collect();
                    out.insert(k.clone(), Value::Object(states));
                } else {
                    out.insert(k.clone(), reorder(v, rotate));
                }
            }
            Value::Object(out)
        }
        Value::Array(items) => Value::Array(items.iter().map(|v| reorder(v, rotate)).collect()),
        other => other.clone(),
    }
}

/// Every (from, to) transition of the definition, with the scope's states; markers excluded.
pub fn transitions(def: &Value, out: &mut Vec<(String, String)>) {
    let Some(states) = def.get("States").and_then(Value::as_object) else {
        return;
    };
    for (name, body) in states {
        let mut targets: Vec<&str> = Vec::new();
        if let Some(n) = body.get("Next").and_then(Value::as_str) {
            targets.push(n);
        }
        for r in body
            .get("Choices")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            if let Some(n) = r.get("Next").and_then(Value::as_str) {
                targets.push(n);
            }
        }
        if let Some(n) = body.get("Default").and_then(Value::as_str) {
            targets.push(n);
        }
        for c in body
            .get("Catch")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            if let Some(n) = c.get("Next").and_then(Value::as_str) {
                targets.push(n);
            }
        }
        for t in targets {
            let pair = (name.clone(), t.to_string());
            if !out.contains(&pair) {
                out.push(pair);
            }
        }
        for branch in body
            .get("Branches")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            transitions(branch, out);
        }
        if let Some(p) = body.get("ItemProcessor").or(body.get("Iterator")) {
            transitions(p, out);
        }
    }
}

/// All state names of the definition, nested ones included.
pub fn state_names(def: &Value, out: &mut Vec<String>) {
    let Some(states) = def.get("States").and_then(Value::as_object) else {
        return;
    };
    for (name, body) in states {
        out.push(name.clone());
        for branch in body
            .get("Branches")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            state_names(branch, out);
        }
        if let Some(p) = body.get("ItemProcessor").or(body.get("Iterator")) {
            state_names(p, out);
        }
    }
}

/// Reads `attr="…"` values of every element opening with `<g class="<class_prefix>`,
/// unescaping XML entities.
pub fn attrs(svg: &str, class_prefix: &str, attr: &str) -> Vec<String> {
    let open = format!("<g class=\"{class_prefix}");
    let key = format!(" {attr}=\"");
    svg.match_indices(&open)
        .filter_map(|(i, _)| {
            let tag_end = svg[i..].find('>')? + i;
            let tag = &svg[i..tag_end];
            let start = tag.find(&key)? + key.len();
            let end = tag[start..].find('"')? + start;
            Some(unescape(&tag[start..end]))
        })
        .collect()
}

pub fn unescape(s: &str) -> String {
    s.replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&amp;", "&")
}
