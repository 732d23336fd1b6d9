//! Arbitrary text as a DynamoDB expression (condition/filter/key condition,
//! update, projection) with fixed placeholders: parse, then evaluate or
//! apply against a fixed item. Must never panic or overflow the stack.
#![no_main]

use std::collections::BTreeMap;
use std::sync::LazyLock;

use libfuzzer_sys::fuzz_target;
use tables::expr::{self, Placeholders};
use tables::value::{AttributeValue, Item, item_from_json};

static ITEM: LazyLock<Item> = LazyLock::new(|| {
    item_from_json(&serde_json::json!({
        "pk": {"S": "key"},
        "n": {"N": "12.5"},
        "s": {"S": "hello"},
        "ss": {"SS": ["a", "b"]},
        "ns": {"NS": ["1", "2"]},
        "l": {"L": [{"N": "1"}, {"M": {"x": {"S": "deep"}}}]},
        "m": {"M": {"a": {"BOOL": true}, "b": {"NULL": true}}}
    }))
    .expect("fixed item")
});

fn placeholders() -> Placeholders {
    let names: BTreeMap<String, String> = [("#a", "n"), ("#b", "m"), ("#c", "l")]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    let values: BTreeMap<String, AttributeValue> = [
        (":n", serde_json::json!({"N": "1"})),
        (":s", serde_json::json!({"S": "he"})),
        (":ss", serde_json::json!({"SS": ["c"]})),
        (":l", serde_json::json!({"L": [{"N": "3"}]})),
        (":t", serde_json::json!({"S": "N"})),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), AttributeValue::from_json(&v).expect("fixed value")))
    .collect();
    Placeholders::new(names, values)
}

fuzz_target!(|text: &str| {
    let mut ph = placeholders();
    if let Ok(c) = expr::parse_condition(text, &mut ph) {
        let _ = expr::eval(&c, &ITEM);
    }
    let mut ph = placeholders();
    if let Ok(u) = expr::parse_update(text, &mut ph) {
        let mut item = ITEM.clone();
        let _ = expr::apply_update(&u, &mut item);
    }
    let mut ph = placeholders();
    if let Ok(p) = expr::parse_projection(text, &mut ph) {
        let _ = expr::project(&ITEM, &p);
    }
    let _ = ph.check_unused();
});
