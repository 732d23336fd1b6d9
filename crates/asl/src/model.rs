//! The typed state machine: a definition compiled once into the form the
//! interpreter walks.
//!
//! Compilation assumes the definition passed `asl-validate`; it still never
//! panics on a bad document, and reports the first problem it trips over with
//! its location. Paths and intrinsics are parsed here, once, so evaluation at
//! run time does no parsing.

use std::cell::RefCell;
use std::collections::HashMap;
use std::sync::Arc;

use asl_path::{PathExpr, ReferencePath};
use serde_json::{Map, Value};

use crate::template::Template;

/// Index of a state inside its [`Block`].
pub type StateId = usize;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum QueryLanguage {
    JsonPath,
    Jsonata,
}

/// Index of a [`Block`] in [`Machine::blocks`].
pub type BlockId = usize;

/// A compiled state machine.
#[derive(Debug)]
pub struct Machine {
    /// Every `{StartAt, States}` block, nested ones included; frames of the
    /// interpreter refer to them by index.
    pub blocks: Vec<Block>,
    pub root: BlockId,
    pub timeout_seconds: Option<u64>,
    pub query_language: QueryLanguage,
    /// The definition as written, for `DescribeStateMachine` and diagrams.
    pub source: Value,
}

/// A `{StartAt, States}` block: the machine itself, a Parallel branch or a
/// Map's item processor. `Next` never leaves a block.
#[derive(Debug)]
pub struct Block {
    pub start_at: StateId,
    pub states: Vec<State>,
    pub by_name: HashMap<String, StateId>,
}

#[derive(Debug)]
pub struct State {
    /// Shared with every history event that names the state.
    pub name: Arc<str>,
    pub query_language: QueryLanguage,
    /// `None` = absent (default `$`), `Some(None)` = JSON `null`.
    pub input_path: Option<Option<PathExpr>>,
    pub output_path: Option<Option<PathExpr>>,
    pub assign: Option<Template>,
    /// JSONata `Output` (absent in JSONPath states).
    pub output: Option<Template>,
    pub transition: Transition,
    pub kind: StateKind,
    /// The state's JSON as written (JSONata fields are read from here).
    pub raw: Value,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Transition {
    Next(StateId),
    End,
    /// Choice, Succeed and Fail decide for themselves.
    None,
}

#[derive(Debug)]
pub enum StateKind {
    Pass(Pass),
    Task(Box<Task>),
    Choice(Choice),
    Wait(Wait),
    Succeed,
    Fail(Fail),
    Parallel(Box<Parallel>),
    Map(Box<MapState>),
}

impl StateKind {
    /// The prefix of this type's history events (`Pass` → `PassStateEntered`).
    pub fn type_name(&self) -> &'static str {
        match self {
            StateKind::Pass(_) => "Pass",
            StateKind::Task(_) => "Task",
            StateKind::Choice(_) => "Choice",
            StateKind::Wait(_) => "Wait",
            StateKind::Succeed => "Succeed",
            StateKind::Fail(_) => "Fail",
            StateKind::Parallel(_) => "Parallel",
            StateKind::Map(_) => "Map",
        }
    }
}

/// Where a result goes: `ResultPath` absent/`"$"` replaces the input, `null`
/// discards the result, a path writes into the raw input.
#[derive(Debug, Clone)]
pub enum ResultPath {
    Replace,
    Discard,
    At(ReferencePath),
}

#[derive(Debug)]
pub struct Pass {
    pub result: Option<Value>,
    pub parameters: Option<Template>,
    pub result_path: ResultPath,
}

#[derive(Debug)]
pub struct Task {
    pub resource: String,
    pub parameters: Option<Template>,
    pub result_selector: Option<Template>,
    pub result_path: ResultPath,
    pub timeout: Option<Seconds>,
    pub heartbeat: Option<Seconds>,
    pub credentials: Option<Template>,
    pub retry: Vec<Retrier>,
    pub catch: Vec<Catcher>,
}

/// A number of seconds given literally or through a Reference Path.
#[derive(Debug)]
pub enum Seconds {
    Literal(u64),
    Path(PathExpr),
    /// JSONata mode: `{% … %}` or a literal number.
    Jsonata(Template),
}

#[derive(Debug)]
pub struct Choice {
    pub choices: Vec<ChoiceRule>,
    pub default: Option<StateId>,
}

#[derive(Debug)]
pub struct ChoiceRule {
    pub condition: Condition,
    /// Whether evaluating the condition may read `$$`: only then is the
    /// Context object built (it costs more than most rules).
    pub needs_context: bool,
    pub next: StateId,
    pub assign: Option<Template>,
    /// JSONata `Output` of the rule.
    pub output: Option<Template>,
}

#[derive(Debug)]
pub enum Condition {
    And(Vec<Condition>),
    Or(Vec<Condition>),
    Not(Box<Condition>),
    Test {
        variable: PathExpr,
        variable_text: String,
        op: Comparison,
        operand: Operand,
    },
    /// JSONata `Condition`: `true`/`false` or a `{% … %}` string.
    Jsonata(Template),
}

impl Condition {
    /// Whether evaluation may read the Context object.
    pub fn uses_context(&self) -> bool {
        let path = |p: &PathExpr| matches!(p, PathExpr::Context(_) | PathExpr::Intrinsic(_));
        match self {
            Condition::And(rules) | Condition::Or(rules) => {
                rules.iter().any(Condition::uses_context)
            }
            Condition::Not(rule) => rule.uses_context(),
            Condition::Test {
                variable, operand, ..
            } => path(variable) || matches!(operand, Operand::Path(p) if path(p)),
            Condition::Jsonata(t) => t.uses_context(),
        }
    }
}

#[derive(Debug)]
pub enum Operand {
    Literal(Value),
    Path(PathExpr),
}

/// Every data-test operator of a JSONPath Choice rule (without the `Path`
/// suffix, which only changes where the operand comes from).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Comparison {
    StringEquals,
    StringLessThan,
    StringGreaterThan,
    StringLessThanEquals,
    StringGreaterThanEquals,
    StringMatches,
    NumericEquals,
    NumericLessThan,
    NumericGreaterThan,
    NumericLessThanEquals,
    NumericGreaterThanEquals,
    BooleanEquals,
    TimestampEquals,
    TimestampLessThan,
    TimestampGreaterThan,
    TimestampLessThanEquals,
    TimestampGreaterThanEquals,
    IsNull,
    IsPresent,
    IsNumeric,
    IsString,
    IsBoolean,
    IsTimestamp,
}

impl Comparison {
    const ALL: &'static [(&'static str, Comparison, bool)] = &[
        ("StringEquals", Comparison::StringEquals, true),
        ("StringLessThan", Comparison::StringLessThan, true),
        ("StringGreaterThan", Comparison::StringGreaterThan, true),
        (
            "StringLessThanEquals",
            Comparison::StringLessThanEquals,
            true,
        ),
        (
            "StringGreaterThanEquals",
            Comparison::StringGreaterThanEquals,
            true,
        ),
        ("StringMatches", Comparison::StringMatches, false),
        ("NumericEquals", Comparison::NumericEquals, true),
        ("NumericLessThan", Comparison::NumericLessThan, true),
        ("NumericGreaterThan", Comparison::NumericGreaterThan, true),
        (
            "NumericLessThanEquals",
            Comparison::NumericLessThanEquals,
            true,
        ),
        (
            "NumericGreaterThanEquals",
            Comparison::NumericGreaterThanEquals,
            true,
        ),
        ("BooleanEquals", Comparison::BooleanEquals, true),
        ("TimestampEquals", Comparison::TimestampEquals, true),
        ("TimestampLessThan", Comparison::TimestampLessThan, true),
        (
            "TimestampGreaterThan",
            Comparison::TimestampGreaterThan,
            true,
        ),
        (
            "TimestampLessThanEquals",
            Comparison::TimestampLessThanEquals,
            true,
        ),
        (
            "TimestampGreaterThanEquals",
            Comparison::TimestampGreaterThanEquals,
            true,
        ),
        ("IsNull", Comparison::IsNull, false),
        ("IsPresent", Comparison::IsPresent, false),
        ("IsNumeric", Comparison::IsNumeric, false),
        ("IsString", Comparison::IsString, false),
        ("IsBoolean", Comparison::IsBoolean, false),
        ("IsTimestamp", Comparison::IsTimestamp, false),
    ];

    /// Finds the operator in a rule object: `(operator, is_path_variant, value)`.
    fn find(rule: &Map<String, Value>) -> Option<(Comparison, bool, &Value)> {
        for (name, op, has_path) in Self::ALL {
            if let Some(v) = rule.get(*name) {
                return Some((*op, false, v));
            }
            if *has_path && let Some(v) = rule.get(&format!("{name}Path")) {
                return Some((*op, true, v));
            }
        }
        None
    }
}

#[derive(Debug)]
pub enum Wait {
    Seconds(u64),
    Timestamp(String),
    SecondsPath(PathExpr, String),
    TimestampPath(PathExpr, String),
    /// JSONata `Seconds`/`Timestamp` (a `{% … %}` string or literal).
    JsonataSeconds(Template),
    JsonataTimestamp(Template),
}

#[derive(Debug)]
pub enum ErrorText {
    Literal(String),
    Path(PathExpr, String),
    Jsonata(Template),
}

#[derive(Debug)]
pub struct Fail {
    pub error: Option<ErrorText>,
    pub cause: Option<ErrorText>,
}

#[derive(Debug)]
pub struct Parallel {
    pub branches: Vec<BlockId>,
    pub parameters: Option<Template>,
    pub result_selector: Option<Template>,
    pub result_path: ResultPath,
    pub retry: Vec<Retrier>,
    pub catch: Vec<Catcher>,
}

/// A number given literally, through a Reference Path, or by JSONata.
#[derive(Debug)]
pub enum Number {
    Literal(f64),
    Path(PathExpr, String),
    Jsonata(Template),
}

#[derive(Debug)]
pub struct MapState {
    pub processor: BlockId,
    pub distributed: bool,
    pub items_path: Option<(PathExpr, String)>,
    /// JSONata `Items`.
    pub items: Option<Template>,
    pub item_selector: Option<Template>,
    pub max_concurrency: Option<Number>,
    pub tolerated_failure_percentage: Option<Number>,
    pub tolerated_failure_count: Option<Number>,
    pub result_selector: Option<Template>,
    pub result_path: ResultPath,
    pub label: Option<String>,
    pub retry: Vec<Retrier>,
    pub catch: Vec<Catcher>,
    /// `ItemBatcher`: children get `{"BatchInput": …, "Items": [...]}`.
    pub item_batcher: Option<ItemBatcher>,
    /// `ItemReader.Resource` / `ResultWriter.Resource`: S3, which Baton does
    /// not have, so a Map that names one fails with a clear error.
    pub item_reader: Option<String>,
    pub result_writer: Option<String>,
}

#[derive(Debug)]
pub struct ItemBatcher {
    pub max_items: Option<Number>,
    pub max_bytes: Option<Number>,
    pub batch_input: Option<Template>,
}

#[derive(Debug, Clone)]
pub struct Retrier {
    pub error_equals: Vec<String>,
    pub interval_seconds: f64,
    pub max_attempts: u64,
    pub backoff_rate: f64,
    pub max_delay_seconds: Option<f64>,
    pub full_jitter: bool,
}

#[derive(Debug)]
pub struct Catcher {
    pub error_equals: Vec<String>,
    pub next: StateId,
    pub result_path: ResultPath,
    pub assign: Option<Template>,
    pub output: Option<Template>,
}

/// A definition that cannot be compiled. Carries the JSON-Pointer-like location.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message} at {location}")]
pub struct CompileError {
    pub message: String,
    pub location: String,
}

impl Machine {
    pub fn block(&self, id: BlockId) -> &Block {
        &self.blocks[id]
    }

    /// Compiles a definition (already validated by `asl-validate`).
    pub fn compile(source: Value) -> Result<Machine, CompileError> {
        let root_obj = source.as_object().ok_or_else(|| CompileError {
            message: "the definition must be a JSON object".into(),
            location: "/".into(),
        })?;
        let query_language = match root_obj.get("QueryLanguage").and_then(Value::as_str) {
            Some("JSONata") => QueryLanguage::Jsonata,
            _ => QueryLanguage::JsonPath,
        };
        let cx = Cx {
            query_language,
            blocks: RefCell::new(Vec::new()),
        };
        let root = cx.block(root_obj, "")?;
        let timeout_seconds = root_obj.get("TimeoutSeconds").and_then(Value::as_u64);
        Ok(Machine {
            blocks: cx.blocks.into_inner(),
            root,
            timeout_seconds,
            query_language,
            source,
        })
    }
}

/// Compilation context: what nested blocks inherit.
struct Cx {
    /// The machine's language, which states in nested blocks default to too.
    query_language: QueryLanguage,
    /// Blocks compiled so far (children before parents).
    blocks: RefCell<Vec<Block>>,
}

fn err(message: impl Into<String>, location: &str) -> CompileError {
    CompileError {
        message: message.into(),
        location: if location.is_empty() {
            "/".into()
        } else {
            location.into()
        },
    }
}

fn path_expr(s: &str, location: &str) -> Result<PathExpr, CompileError> {
    PathExpr::parse(s).map_err(|e| err(e.to_string(), location))
}

fn reference_path(s: &str, location: &str) -> Result<ReferencePath, CompileError> {
    ReferencePath::parse(s).map_err(|e| err(e.to_string(), location))
}

impl Cx {
    fn block(&self, obj: &Map<String, Value>, at: &str) -> Result<BlockId, CompileError> {
        let states_obj = obj
            .get("States")
            .and_then(Value::as_object)
            .ok_or_else(|| err("'States' must be an object", at))?;
        let by_name: HashMap<String, StateId> = states_obj
            .keys()
            .enumerate()
            .map(|(i, k)| (k.clone(), i))
            .collect();
        let start_name = obj
            .get("StartAt")
            .and_then(Value::as_str)
            .ok_or_else(|| err("'StartAt' must be a string", at))?;
        let start_at = *by_name.get(start_name).ok_or_else(|| {
            err(
                format!("'StartAt' names no state: {start_name}"),
                &format!("{at}/StartAt"),
            )
        })?;
        let mut states = Vec::with_capacity(states_obj.len());
        for (name, raw) in states_obj {
            let loc = format!("{at}/States/{name}");
            states.push(self.state(name, raw, &by_name, &loc)?);
        }
        let mut blocks = self.blocks.borrow_mut();
        blocks.push(Block {
            start_at,
            states,
            by_name,
        });
        Ok(blocks.len() - 1)
    }

    fn state(
        &self,
        name: &str,
        raw: &Value,
        names: &HashMap<String, StateId>,
        at: &str,
    ) -> Result<State, CompileError> {
        let obj = raw
            .as_object()
            .ok_or_else(|| err("a state must be an object", at))?;
        let query_language = match obj.get("QueryLanguage").and_then(Value::as_str) {
            Some("JSONata") => QueryLanguage::Jsonata,
            Some("JSONPath") => QueryLanguage::JsonPath,
            _ => self.query_language,
        };
        let target = |field: &str, v: Option<&Value>| -> Result<StateId, CompileError> {
            let n = v
                .and_then(Value::as_str)
                .ok_or_else(|| err(format!("'{field}' must be a string"), at))?;
            names.get(n).copied().ok_or_else(|| {
                err(
                    format!("Missing '{field}' target: {n}"),
                    &format!("{at}/{field}"),
                )
            })
        };
        let transition = if obj.get("End").and_then(Value::as_bool) == Some(true) {
            Transition::End
        } else if obj.contains_key("Next") {
            Transition::Next(target("Next", obj.get("Next"))?)
        } else {
            Transition::None
        };
        let opt_path = |field: &str| -> Result<Option<Option<PathExpr>>, CompileError> {
            match obj.get(field) {
                None => Ok(None),
                Some(Value::Null) => Ok(Some(None)),
                Some(Value::String(s)) => Ok(Some(Some(path_expr(s, &format!("{at}/{field}"))?))),
                Some(_) => Err(err(format!("'{field}' must be a string or null"), at)),
            }
        };
        let jsonpath = query_language == QueryLanguage::JsonPath;
        let (input_path, output_path) = if jsonpath {
            (opt_path("InputPath")?, opt_path("OutputPath")?)
        } else {
            (None, None)
        };
        let template = |field: &str| -> Result<Option<Template>, CompileError> {
            match obj.get(field) {
                Some(v) => Ok(Some(Template::compile(
                    v,
                    query_language,
                    &format!("{at}/{field}"),
                    field,
                )?)),
                None => Ok(None),
            }
        };
        let assign = template("Assign")?;
        let output = if jsonpath { None } else { template("Output")? };
        let result_path = || -> Result<ResultPath, CompileError> {
            result_path_of(obj.get("ResultPath"), &format!("{at}/ResultPath"))
        };
        let retry = || -> Result<Vec<Retrier>, CompileError> { retriers(obj.get("Retry")) };
        let catch = || -> Result<Vec<Catcher>, CompileError> {
            self.catchers(obj.get("Catch"), names, query_language, at)
        };

        let type_name = obj.get("Type").and_then(Value::as_str).unwrap_or("");
        let kind = match type_name {
            "Pass" => StateKind::Pass(Pass {
                result: obj.get("Result").cloned(),
                parameters: template("Parameters")?,
                result_path: result_path()?,
            }),
            "Task" => {
                let resource = obj
                    .get("Resource")
                    .and_then(Value::as_str)
                    .ok_or_else(|| err("'Resource' must be a string", at))?
                    .to_string();
                let seconds = |lit: &str, path: &str| -> Result<Option<Seconds>, CompileError> {
                    if let Some(v) = obj.get(lit) {
                        return Ok(Some(match (jsonpath, v.as_u64()) {
                            (true, Some(n)) => Seconds::Literal(n),
                            (true, None) => {
                                return Err(err(
                                    format!("'{lit}' must be a positive integer"),
                                    &format!("{at}/{lit}"),
                                ));
                            }
                            (false, _) => Seconds::Jsonata(Template::compile(
                                v,
                                query_language,
                                &format!("{at}/{lit}"),
                                lit,
                            )?),
                        }));
                    }
                    if let Some(p) = obj.get(path).and_then(Value::as_str) {
                        return Ok(Some(Seconds::Path(path_expr(p, &format!("{at}/{path}"))?)));
                    }
                    Ok(None)
                };
                StateKind::Task(Box::new(Task {
                    resource,
                    parameters: template(if jsonpath { "Parameters" } else { "Arguments" })?,
                    result_selector: template("ResultSelector")?,
                    result_path: result_path()?,
                    timeout: seconds("TimeoutSeconds", "TimeoutSecondsPath")?,
                    heartbeat: seconds("HeartbeatSeconds", "HeartbeatSecondsPath")?,
                    credentials: template("Credentials")?,
                    retry: retry()?,
                    catch: catch()?,
                }))
            }
            "Choice" => {
                let rules = obj
                    .get("Choices")
                    .and_then(Value::as_array)
                    .ok_or_else(|| err("'Choices' must be an array", at))?;
                let mut choices = Vec::with_capacity(rules.len());
                for (i, rule) in rules.iter().enumerate() {
                    let loc = format!("{at}/Choices/{i}");
                    let robj = rule
                        .as_object()
                        .ok_or_else(|| err("a choice rule must be an object", &loc))?;
                    let next = names
                        .get(robj.get("Next").and_then(Value::as_str).unwrap_or_default())
                        .copied()
                        .ok_or_else(|| err("Missing 'Next' target", &format!("{loc}/Next")))?;
                    let label = format!("Choices[{i}]");
                    let condition = if jsonpath {
                        condition(robj, &loc)?
                    } else {
                        Condition::Jsonata(Template::compile(
                            robj.get("Condition").unwrap_or(&Value::Null),
                            query_language,
                            &format!("{loc}/Condition"),
                            &format!("{label}/Condition"),
                        )?)
                    };
                    let rule_template = |key: &str| -> Result<Option<Template>, CompileError> {
                        match robj.get(key) {
                            Some(v) => Ok(Some(Template::compile(
                                v,
                                query_language,
                                &format!("{loc}/{key}"),
                                &format!("{label}/{key}"),
                            )?)),
                            None => Ok(None),
                        }
                    };
                    choices.push(ChoiceRule {
                        needs_context: condition.uses_context(),
                        condition,
                        next,
                        assign: rule_template("Assign")?,
                        output: if jsonpath {
                            None
                        } else {
                            rule_template("Output")?
                        },
                    });
                }
                let default = match obj.get("Default") {
                    Some(d) => Some(target("Default", Some(d))?),
                    None => None,
                };
                StateKind::Choice(Choice { choices, default })
            }
            "Wait" => StateKind::Wait(self.wait(obj, query_language, at)?),
            "Succeed" => StateKind::Succeed,
            "Fail" => {
                let text = |lit: &str, path: &str| -> Result<Option<ErrorText>, CompileError> {
                    if let Some(v) = obj.get(lit) {
                        return Ok(Some(match v {
                            Value::String(s) if jsonpath => ErrorText::Literal(s.clone()),
                            other => ErrorText::Jsonata(Template::compile(
                                other,
                                query_language,
                                &format!("{at}/{lit}"),
                                lit,
                            )?),
                        }));
                    }
                    if let Some(p) = obj.get(path).and_then(Value::as_str) {
                        return Ok(Some(ErrorText::Path(
                            path_expr(p, &format!("{at}/{path}"))?,
                            p.to_string(),
                        )));
                    }
                    Ok(None)
                };
                StateKind::Fail(Fail {
                    error: text("Error", "ErrorPath")?,
                    cause: text("Cause", "CausePath")?,
                })
            }
            "Parallel" => {
                let branches_raw = obj
                    .get("Branches")
                    .and_then(Value::as_array)
                    .ok_or_else(|| err("'Branches' must be an array", at))?;
                let mut branches = Vec::with_capacity(branches_raw.len());
                for (i, b) in branches_raw.iter().enumerate() {
                    let loc = format!("{at}/Branches/{i}");
                    let bobj = b
                        .as_object()
                        .ok_or_else(|| err("a branch must be an object", &loc))?;
                    branches.push(self.block(bobj, &loc)?);
                }
                StateKind::Parallel(Box::new(Parallel {
                    branches,
                    parameters: template(if jsonpath { "Parameters" } else { "Arguments" })?,
                    result_selector: template("ResultSelector")?,
                    result_path: result_path()?,
                    retry: retry()?,
                    catch: catch()?,
                }))
            }
            "Map" => StateKind::Map(Box::new(self.map(
                obj,
                query_language,
                at,
                &template,
                names,
            )?)),
            other => return Err(err(format!("unknown state type '{other}'"), at)),
        };
        let kind = match (kind, &transition) {
            (k @ (StateKind::Choice(_) | StateKind::Succeed | StateKind::Fail(_)), _) => k,
            (k, Transition::None) => {
                return Err(err(
                    format!("a {} state needs 'Next' or 'End'", k.type_name()),
                    at,
                ));
            }
            (k, _) => k,
        };
        Ok(State {
            name: Arc::from(name),
            query_language,
            input_path,
            output_path,
            assign,
            output,
            transition,
            kind,
            raw: raw.clone(),
        })
    }

    fn wait(
        &self,
        obj: &Map<String, Value>,
        query_language: QueryLanguage,
        at: &str,
    ) -> Result<Wait, CompileError> {
        let jsonpath = query_language == QueryLanguage::JsonPath;
        let jsonata = |field: &str, v: &Value| {
            Template::compile(v, query_language, &format!("{at}/{field}"), field)
        };
        if let Some(v) = obj.get("Seconds") {
            return match (jsonpath, v.as_u64()) {
                (true, Some(n)) => Ok(Wait::Seconds(n)),
                (true, None) => Err(err(
                    "'Seconds' must be a non-negative integer",
                    &format!("{at}/Seconds"),
                )),
                (false, _) => Ok(Wait::JsonataSeconds(jsonata("Seconds", v)?)),
            };
        }
        if let Some(v) = obj.get("Timestamp") {
            return match (jsonpath, v.as_str()) {
                (true, Some(s)) => Ok(Wait::Timestamp(s.to_string())),
                (true, None) => Err(err(
                    "'Timestamp' must be a string",
                    &format!("{at}/Timestamp"),
                )),
                (false, _) => Ok(Wait::JsonataTimestamp(jsonata("Timestamp", v)?)),
            };
        }
        if let Some(p) = obj.get("SecondsPath").and_then(Value::as_str) {
            return Ok(Wait::SecondsPath(
                path_expr(p, &format!("{at}/SecondsPath"))?,
                p.to_string(),
            ));
        }
        if let Some(p) = obj.get("TimestampPath").and_then(Value::as_str) {
            return Ok(Wait::TimestampPath(
                path_expr(p, &format!("{at}/TimestampPath"))?,
                p.to_string(),
            ));
        }
        Err(err(
            "a Wait state needs one of Seconds, Timestamp, SecondsPath, TimestampPath",
            at,
        ))
    }

    fn map(
        &self,
        obj: &Map<String, Value>,
        query_language: QueryLanguage,
        at: &str,
        template: &dyn Fn(&str) -> Result<Option<Template>, CompileError>,
        names: &HashMap<String, StateId>,
    ) -> Result<MapState, CompileError> {
        let jsonpath = query_language == QueryLanguage::JsonPath;
        let (proc_key, proc_obj) = match (obj.get("ItemProcessor"), obj.get("Iterator")) {
            (Some(Value::Object(p)), _) => ("ItemProcessor", p),
            (_, Some(Value::Object(p))) => ("Iterator", p),
            _ => return Err(err("a Map state needs 'ItemProcessor'", at)),
        };
        let processor = self.block(proc_obj, &format!("{at}/{proc_key}"))?;
        let distributed = proc_obj
            .get("ProcessorConfig")
            .and_then(|c| c.get("Mode"))
            .and_then(Value::as_str)
            == Some("DISTRIBUTED");
        let number_in = |obj: &Map<String, Value>,
                         at: &str,
                         lit: &str,
                         path: &str|
         -> Result<Option<Number>, CompileError> {
            if let Some(v) = obj.get(lit) {
                return Ok(Some(match (jsonpath, v.as_f64()) {
                    (true, Some(n)) => Number::Literal(n),
                    (true, None) => {
                        return Err(err(
                            format!("'{lit}' must be a number"),
                            &format!("{at}/{lit}"),
                        ));
                    }
                    (false, _) => Number::Jsonata(Template::compile(
                        v,
                        query_language,
                        &format!("{at}/{lit}"),
                        lit,
                    )?),
                }));
            }
            if let Some(p) = obj.get(path).and_then(Value::as_str) {
                return Ok(Some(Number::Path(
                    path_expr(p, &format!("{at}/{path}"))?,
                    p.to_string(),
                )));
            }
            Ok(None)
        };
        let number = |lit: &str, path: &str| number_in(obj, at, lit, path);
        let item_batcher = match obj.get("ItemBatcher") {
            Some(Value::Object(b)) => {
                let here = format!("{at}/ItemBatcher");
                Some(ItemBatcher {
                    max_items: number_in(b, &here, "MaxItemsPerBatch", "MaxItemsPerBatchPath")?,
                    max_bytes: number_in(
                        b,
                        &here,
                        "MaxInputBytesPerBatch",
                        "MaxInputBytesPerBatchPath",
                    )?,
                    batch_input: match b.get("BatchInput") {
                        Some(v) => Some(Template::compile(
                            v,
                            query_language,
                            &format!("{here}/BatchInput"),
                            "BatchInput",
                        )?),
                        None => None,
                    },
                })
            }
            _ => None,
        };
        let resource_of = |key: &str| {
            obj.get(key).map(|r| {
                r.get("Resource")
                    .and_then(Value::as_str)
                    .unwrap_or_default()
                    .to_string()
            })
        };
        let items = match (jsonpath, obj.get("Items")) {
            (false, Some(v)) => Some(Template::compile(
                v,
                query_language,
                &format!("{at}/Items"),
                "Items",
            )?),
            _ => None,
        };
        let items_path = match obj.get("ItemsPath").and_then(Value::as_str) {
            Some(p) => Some((path_expr(p, &format!("{at}/ItemsPath"))?, p.to_string())),
            None => None,
        };
        let item_selector = match template("ItemSelector")? {
            Some(t) => Some(t),
            None if jsonpath => template("Parameters")?,
            None => None,
        };
        Ok(MapState {
            processor,
            distributed,
            items_path,
            items,
            item_selector,
            max_concurrency: number("MaxConcurrency", "MaxConcurrencyPath")?,
            tolerated_failure_percentage: number(
                "ToleratedFailurePercentage",
                "ToleratedFailurePercentagePath",
            )?,
            tolerated_failure_count: number("ToleratedFailureCount", "ToleratedFailureCountPath")?,
            result_selector: template("ResultSelector")?,
            result_path: result_path_of(obj.get("ResultPath"), &format!("{at}/ResultPath"))?,
            label: obj.get("Label").and_then(Value::as_str).map(str::to_string),
            retry: retriers(obj.get("Retry"))?,
            catch: self.catchers(obj.get("Catch"), names, query_language, at)?,
            item_batcher,
            item_reader: resource_of("ItemReader"),
            result_writer: resource_of("ResultWriter"),
        })
    }

    fn catchers(
        &self,
        v: Option<&Value>,
        names: &HashMap<String, StateId>,
        query_language: QueryLanguage,
        at: &str,
    ) -> Result<Vec<Catcher>, CompileError> {
        let Some(arr) = v.and_then(Value::as_array) else {
            return Ok(Vec::new());
        };
        let mut out = Vec::with_capacity(arr.len());
        for (i, c) in arr.iter().enumerate() {
            let loc = format!("{at}/Catch/{i}");
            let next_name = c.get("Next").and_then(Value::as_str).unwrap_or_default();
            let next = names.get(next_name).copied().ok_or_else(|| {
                err(
                    format!("Missing 'Next' target: {next_name}"),
                    &format!("{loc}/Next"),
                )
            })?;
            out.push(Catcher {
                error_equals: strings(c.get("ErrorEquals")),
                next,
                result_path: result_path_of(c.get("ResultPath"), &format!("{loc}/ResultPath"))?,
                assign: match c.get("Assign") {
                    Some(a) => Some(Template::compile(
                        a,
                        query_language,
                        &format!("{loc}/Assign"),
                        &format!("Catch[{i}]/Assign"),
                    )?),
                    None => None,
                },
                output: match (query_language, c.get("Output")) {
                    (QueryLanguage::Jsonata, Some(o)) => Some(Template::compile(
                        o,
                        query_language,
                        &format!("{loc}/Output"),
                        &format!("Catch[{i}]/Output"),
                    )?),
                    _ => None,
                },
            });
        }
        Ok(out)
    }
}

fn strings(v: Option<&Value>) -> Vec<String> {
    v.and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(Value::as_str)
                .map(str::to_string)
                .collect()
        })
        .unwrap_or_default()
}

fn retriers(v: Option<&Value>) -> Result<Vec<Retrier>, CompileError> {
    let Some(arr) = v.and_then(Value::as_array) else {
        return Ok(Vec::new());
    };
    Ok(arr
        .iter()
        .map(|r| Retrier {
            error_equals: strings(r.get("ErrorEquals")),
            interval_seconds: r
                .get("IntervalSeconds")
                .and_then(Value::as_f64)
                .unwrap_or(1.0),
            max_attempts: r.get("MaxAttempts").and_then(Value::as_u64).unwrap_or(3),
            backoff_rate: r.get("BackoffRate").and_then(Value::as_f64).unwrap_or(2.0),
            max_delay_seconds: r.get("MaxDelaySeconds").and_then(Value::as_f64),
            full_jitter: r.get("JitterStrategy").and_then(Value::as_str) == Some("FULL"),
        })
        .collect())
}

fn result_path_of(v: Option<&Value>, at: &str) -> Result<ResultPath, CompileError> {
    match v {
        None => Ok(ResultPath::Replace),
        Some(Value::Null) => Ok(ResultPath::Discard),
        Some(Value::String(s)) if s == "$" => Ok(ResultPath::Replace),
        Some(Value::String(s)) => Ok(ResultPath::At(reference_path(s, at)?)),
        Some(_) => Err(err("'ResultPath' must be a string or null", at)),
    }
}

fn condition(rule: &Map<String, Value>, at: &str) -> Result<Condition, CompileError> {
    let nested = |v: &Value, loc: &str| -> Result<Condition, CompileError> {
        let o = v
            .as_object()
            .ok_or_else(|| err("a choice rule must be an object", loc))?;
        condition(o, loc)
    };
    for (key, is_and) in [("And", true), ("Or", false)] {
        if let Some(v) = rule.get(key) {
            let arr = v
                .as_array()
                .ok_or_else(|| err(format!("'{key}' must be an array"), at))?;
            let mut rules = Vec::with_capacity(arr.len());
            for (i, r) in arr.iter().enumerate() {
                rules.push(nested(r, &format!("{at}/{key}/{i}"))?);
            }
            return Ok(if is_and {
                Condition::And(rules)
            } else {
                Condition::Or(rules)
            });
        }
    }
    if let Some(v) = rule.get("Not") {
        return Ok(Condition::Not(Box::new(nested(v, &format!("{at}/Not"))?)));
    }
    let variable_text = rule
        .get("Variable")
        .and_then(Value::as_str)
        .ok_or_else(|| err("a choice rule needs 'Variable'", at))?;
    let variable = path_expr(variable_text, &format!("{at}/Variable"))?;
    let (op, is_path, v) = Comparison::find(rule)
        .ok_or_else(|| err("a choice rule needs a comparison operator", at))?;
    let operand = if is_path {
        let p = v
            .as_str()
            .ok_or_else(|| err("a '…Path' operand must be a string", at))?;
        Operand::Path(path_expr(p, at)?)
    } else {
        Operand::Literal(v.clone())
    };
    Ok(Condition::Test {
        variable,
        variable_text: variable_text.to_string(),
        op,
        operand,
    })
}
