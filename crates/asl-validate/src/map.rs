//! Map state specifics: processor, item source, reader/batcher/writer, concurrency
//! and failure tolerance, label.

use serde_json::{Map, Value};

use crate::context::{Ctx, Ql};
use crate::diagnostic::DiagnosticCode as C;
use crate::fields::{self, PathKind, exclusive, jsonata_string, required, unsupported, wrong_type};
use crate::pointer::Ptr;
use crate::schema;
use crate::states;
use crate::template;
use crate::variables::Scope;

/// Longest Map `Label`.
const MAX_LABEL: usize = 40;
/// `ReaderConfig.MaxItems` upper bound.
const MAX_READER_ITEMS: i64 = 100_000_000;
/// `MaxInputBytesPerBatch` upper bound (256 KiB).
const MAX_BATCH_BYTES: i64 = 262_144;

/// Validates the Map-only fields of a state. `inner` is the variable scope a
/// nested inline iteration sees.
pub(crate) fn map(
    ctx: &mut Ctx,
    state: &Map<String, Value>,
    ql: Ql,
    inner: &Scope,
    at: &Ptr,
    depth: usize,
) {
    if !state.contains_key("ItemProcessor") && !state.contains_key("Iterator") {
        required(ctx, state, &["ItemProcessor"], at);
    }
    exclusive(ctx, state, "ItemProcessor", "Iterator", at);
    for key in ["ItemProcessor", "Iterator"] {
        if let Some(p) = fields::object(ctx, state, key, at) {
            processor(ctx, p, inner, &at.key(key), depth);
        }
    }

    match ql {
        Ql::JsonPath => {
            fields::path_field(ctx, state, "ItemsPath", PathKind::Reference, false, at);
            exclusive(ctx, state, "ItemSelector", "Parameters", at);
        }
        Ql::Jsonata => {
            if let Some(items) = state.get("Items") {
                let here = at.key("Items");
                match items {
                    Value::Array(_) | Value::Object(_) => {
                        template::walk(ctx, "Items", items, ql, &here)
                    }
                    Value::String(s) => {
                        if !jsonata_string(ctx, "Items", s, &here) {
                            wrong_type(ctx, "Items", "ARRAY", items, &here);
                        }
                    }
                    _ => wrong_type(ctx, "Items", "ARRAY", items, &here),
                }
            }
        }
    }
    for key in ["ItemSelector", "Parameters"] {
        if let Some(v) = state.get(key) {
            template::walk(ctx, key, v, ql, &at.key(key));
        }
    }
    if let Some(r) = fields::object(ctx, state, "ItemReader", at) {
        item_reader(ctx, r, ql, &at.key("ItemReader"));
    }
    if let Some(b) = fields::object(ctx, state, "ItemBatcher", at) {
        item_batcher(ctx, b, ql, &at.key("ItemBatcher"));
    }
    if let Some(w) = fields::object(ctx, state, "ResultWriter", at) {
        result_writer(ctx, w, ql, &at.key("ResultWriter"));
    }

    fields::int_in_range(ctx, state, "MaxConcurrency", ql, 0, None, at);
    fields::int_in_range(ctx, state, "ToleratedFailureCount", ql, 0, None, at);
    if let Some(v) = state.get("ToleratedFailurePercentage") {
        let here = at.key("ToleratedFailurePercentage");
        match v {
            Value::String(s)
                if ql == Ql::Jsonata
                    && jsonata_string(ctx, "ToleratedFailurePercentage", s, &here) => {}
            Value::Number(n) => {
                let f = n.as_f64().unwrap_or(-1.0);
                if !(0.0..=100.0).contains(&f) {
                    ctx.err(
                        C::SchemaValidationFailed,
                        "The value for the field 'ToleratedFailurePercentage' must be between 0 and 100",
                        &here,
                    );
                }
            }
            _ => wrong_type(ctx, "ToleratedFailurePercentage", "NUMBER", v, &here),
        }
    }
    for (f, p) in [
        ("MaxConcurrency", "MaxConcurrencyPath"),
        ("ToleratedFailureCount", "ToleratedFailureCountPath"),
        (
            "ToleratedFailurePercentage",
            "ToleratedFailurePercentagePath",
        ),
    ] {
        exclusive(ctx, state, f, p, at);
        fields::path_field(ctx, state, p, PathKind::Reference, false, at);
    }
    label(ctx, state, at);
}

/// `ItemProcessor` / `Iterator`: its own `StartAt`/`States` scope. Distributed
/// children are separate executions, so they start with a fresh variable scope.
fn processor(ctx: &mut Ctx, p: &Map<String, Value>, inner: &Scope, at: &Ptr, depth: usize) {
    unsupported(ctx, p, at, |k| schema::PROCESSOR.contains(&k));
    let mut distributed = false;
    if let Some(cfg) = fields::object(ctx, p, "ProcessorConfig", at) {
        let here = at.key("ProcessorConfig");
        unsupported(ctx, cfg, &here, |k| matches!(k, "Mode" | "ExecutionType"));
        let mode = fields::one_of(ctx, cfg, "Mode", &["INLINE", "DISTRIBUTED"], &here);
        fields::one_of(ctx, cfg, "ExecutionType", &["STANDARD", "EXPRESS"], &here);
        if mode.as_deref() == Some("DISTRIBUTED") {
            distributed = true;
            required(ctx, cfg, &["ExecutionType"], &here);
        }
    }
    let fresh = Scope::new();
    states::scope(
        ctx,
        p,
        if distributed { &fresh } else { inner },
        at,
        depth + 1,
    );
}

fn item_reader(ctx: &mut Ctx, r: &Map<String, Value>, ql: Ql, at: &Ptr) {
    let allowed = schema::item_reader(ql);
    unsupported(ctx, r, at, |k| allowed.contains(&k));
    required(ctx, r, &["Resource"], at);
    fields::string(ctx, r, "Resource", at);
    for key in ["Parameters", "Arguments"] {
        if let Some(v) = r.get(key) {
            template::walk(ctx, key, v, ql, &at.key(key));
        }
    }
    if let Some(c) = fields::object(ctx, r, "ReaderConfig", at) {
        let here = at.key("ReaderConfig");
        let allowed = schema::reader_config(ql);
        unsupported(ctx, c, &here, |k| allowed.contains(&k));
        fields::one_of(
            ctx,
            c,
            "InputType",
            &["CSV", "JSON", "JSONL", "PARQUET", "MANIFEST"],
            &here,
        );
        fields::one_of(ctx, c, "CSVHeaderLocation", &["FIRST_ROW", "GIVEN"], &here);
        fields::one_of(
            ctx,
            c,
            "CSVDelimiter",
            &["COMMA", "PIPE", "SEMICOLON", "SPACE", "TAB"],
            &here,
        );
        fields::one_of(
            ctx,
            c,
            "ManifestType",
            &["ATHENA_DATA", "S3_INVENTORY"],
            &here,
        );
        fields::one_of(
            ctx,
            c,
            "Transformation",
            &["NONE", "LOAD_AND_FLATTEN"],
            &here,
        );
        if let Some(h) = c.get("CSVHeaders") {
            let ok = matches!(h, Value::Array(a) if a.iter().all(Value::is_string));
            if !ok {
                wrong_type(ctx, "CSVHeaders", "ARRAY", h, &here.key("CSVHeaders"));
            }
        }
        fields::string(ctx, c, "ItemsPointer", &here);
        fields::int_in_range(ctx, c, "MaxItems", ql, 0, Some(MAX_READER_ITEMS), &here);
        exclusive(ctx, c, "MaxItems", "MaxItemsPath", &here);
        fields::path_field(ctx, c, "MaxItemsPath", PathKind::Reference, false, &here);
    }
}

fn item_batcher(ctx: &mut Ctx, b: &Map<String, Value>, ql: Ql, at: &Ptr) {
    let allowed = schema::item_batcher(ql);
    unsupported(ctx, b, at, |k| allowed.contains(&k));
    fields::int_in_range(ctx, b, "MaxItemsPerBatch", ql, 0, None, at);
    fields::int_in_range(
        ctx,
        b,
        "MaxInputBytesPerBatch",
        ql,
        0,
        Some(MAX_BATCH_BYTES),
        at,
    );
    for (f, p) in [
        ("MaxItemsPerBatch", "MaxItemsPerBatchPath"),
        ("MaxInputBytesPerBatch", "MaxInputBytesPerBatchPath"),
    ] {
        exclusive(ctx, b, f, p, at);
        fields::path_field(ctx, b, p, PathKind::Reference, false, at);
    }
    if let Some(v) = b.get("BatchInput") {
        template::walk(ctx, "BatchInput", v, ql, &at.key("BatchInput"));
    }
}

fn result_writer(ctx: &mut Ctx, w: &Map<String, Value>, ql: Ql, at: &Ptr) {
    let allowed = schema::result_writer(ql);
    unsupported(ctx, w, at, |k| allowed.contains(&k));
    fields::string(ctx, w, "Resource", at);
    for key in ["Parameters", "Arguments"] {
        if let Some(v) = w.get(key) {
            template::walk(ctx, key, v, ql, &at.key(key));
        }
    }
    if let Some(c) = fields::object(ctx, w, "WriterConfig", at) {
        let here = at.key("WriterConfig");
        unsupported(ctx, c, &here, |k| {
            matches!(k, "OutputType" | "Transformation")
        });
        fields::one_of(ctx, c, "OutputType", &["JSON", "JSONL"], &here);
        fields::one_of(
            ctx,
            c,
            "Transformation",
            &["NONE", "COMPACT", "FLATTEN"],
            &here,
        );
    }
}

/// `Label` names the Map Run and child state machines, so it follows resource-name
/// rules: at most 40 characters, none of the reserved characters, unique per machine.
fn label(ctx: &mut Ctx, state: &Map<String, Value>, at: &Ptr) {
    let Some(l) = fields::string(ctx, state, "Label", at) else {
        return;
    };
    let here = at.key("Label");
    let bad_char = l
        .chars()
        .any(|c| c.is_whitespace() || c.is_control() || "<>{}[]?*\"#%\\^|~`$&,;:/".contains(c));
    if l.is_empty() || l.chars().count() > MAX_LABEL || bad_char {
        ctx.err(
            C::InvalidLabelName,
            format!("The label name '{l}' is invalid"),
            &here,
        );
    }
    if ctx.labels.contains_key(l) {
        ctx.err(
            C::DuplicateLabelName,
            format!("Duplicate label name: {l}"),
            &here,
        );
    } else {
        ctx.labels.insert(l.to_string(), here);
    }
}
