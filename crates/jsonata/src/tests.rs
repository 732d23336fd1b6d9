use super::*;
use serde_json::json;

/// A host that counts how often it is asked for time and randomness.
struct CountingHost {
    inner: FixedHost,
    time_calls: std::cell::Cell<u32>,
    random_calls: u32,
}

impl CountingHost {
    fn new() -> Self {
        CountingHost {
            inner: FixedHost::new(1_700_000_000_123, 7),
            time_calls: std::cell::Cell::new(0),
            random_calls: 0,
        }
    }
}

impl Host for CountingHost {
    fn now_millis(&self) -> i64 {
        self.time_calls.set(self.time_calls.get() + 1);
        self.inner.now_millis()
    }
    fn random_u64(&mut self) -> u64 {
        self.random_calls += 1;
        self.inner.random_u64()
    }
}

fn states() -> Value {
    json!({
        "input": {"items": [{"price": 2, "qty": 3}, {"price": 10.5, "qty": 1}], "name": "x", "n": 4},
        "context": {"Execution": {"Id": "arn:exec"}}
    })
}

/// Evaluates in Step Functions mode with `$states` = `states()`.
fn eval(src: &str) -> Result<Option<Value>, JsonataError> {
    let st = states();
    let mut host = FixedHost::new(1_700_000_000_123, 1);
    Expression::parse(src)?.evaluate(&Bindings::new(&st), &mut host)
}

fn ok(src: &str) -> Value {
    eval(src)
        .unwrap_or_else(|e| panic!("{src}: {e}"))
        .unwrap_or_else(|| panic!("{src}: undefined"))
}

fn err(src: &str) -> JsonataError {
    match eval(src) {
        Err(e) => e,
        Ok(v) => panic!("{src}: expected an error, got {v:?}"),
    }
}

#[test]
fn expression_is_send_and_sync() {
    fn assert<T: Send + Sync>() {}
    assert::<Expression>();
    assert::<JsonataError>();
}

#[test]
fn basic_evaluation_and_bindings() {
    assert_eq!(ok("$sum($states.input.items.(price * qty))"), json!(16.5));
    assert_eq!(ok("$states.context.Execution.Id"), json!("arn:exec"));
    let st = states();
    let vars = serde_json::Map::from_iter([("x".to_string(), json!(2))]);
    let b = Bindings {
        states: &st,
        variables: &vars,
    };
    let mut host = FixedHost::new(0, 0);
    let e = Expression::parse("$x + $states.input.n").unwrap();
    assert_eq!(e.evaluate(&b, &mut host).unwrap(), Some(json!(6)));
    // A workflow variable cannot shadow $states.
    let vars = serde_json::Map::from_iter([("states".to_string(), json!(1))]);
    let b = Bindings {
        states: &st,
        variables: &vars,
    };
    let e = Expression::parse("$states.input.n").unwrap();
    assert_eq!(e.evaluate(&b, &mut host).unwrap(), Some(json!(4)));
}

#[test]
fn whole_numbers_serialise_as_integers() {
    assert_eq!(serde_json::to_string(&ok("2.0 * 3")).unwrap(), "6");
    assert_eq!(serde_json::to_string(&ok("7 / 2")).unwrap(), "3.5");
    assert_eq!(
        serde_json::to_string(&ok("[1, 2.5, -0]")).unwrap(),
        "[1,2.5,0]"
    );
    assert_eq!(
        serde_json::to_string(&ok("9007199254740993 * 1")).unwrap(),
        "9007199254740992"
    );
    assert_eq!(
        serde_json::to_string(&ok("{'a': 1e3}")).unwrap(),
        r#"{"a":1000}"#
    );
}

#[test]
fn undefined_results() {
    assert_eq!(eval("$states.input.missing").unwrap(), None);
    let st = states();
    let e = Expression::parse("$doesNotExist").unwrap();
    let err = e
        .evaluate_defined(&Bindings::new(&st), &mut FixedHost::new(0, 0))
        .unwrap_err();
    assert!(err.is_undefined_result());
    assert_eq!(err.code, UNDEFINED_RESULT_CODE);
    assert!(
        err.message.contains("returned nothing (undefined)"),
        "{err}"
    );
    // Functions are not JSON: nested, they vanish like in JSON.stringify; a
    // whole result that is a function is an error (recorded AWS case
    // test_map_state_items_eval_jsonata_fail[function]).
    assert_eq!(
        eval("function($x){$x}").unwrap_err().kind,
        ErrorKind::UnsupportedResult
    );
    assert_eq!(ok("{'f': $sum, 'a': 1}"), json!({"a": 1}));
}

#[test]
fn error_mapping() {
    let e = err("$states.input.name + 1");
    assert_eq!((e.code.as_str(), e.kind), ("T2001", ErrorKind::Evaluation));
    assert!(!e.message.starts_with("T2001"), "code is split off: {e:?}");
    let e = err("1 +");
    assert_eq!(e.kind, ErrorKind::Parse);
    assert_eq!(e.code, "S0207");
    let e = err("2()");
    assert_eq!(e.code, "T1006");
    let e = err("/* open comment");
    assert_eq!(e.code, "S0106");
    let e = err("$sum('a')");
    assert_eq!(e.code, "T0412");
    assert_eq!(err("$string(1/0)").code, "D3001");
    assert_eq!(err("1/0").code, "D1001");
    // Display carries both.
    assert!(
        err("$states.input.name + 1")
            .to_string()
            .starts_with("T2001: ")
    );
}

#[test]
fn step_functions_restrictions() {
    let rejected = [
        "$",
        "$.total",
        "total",
        "total + 1",
        "$$",
        "$$.Execution.Id",
        "$states.input.items[$$.x = 1]",
        "{'a': total}",
        "[1, name]",
        "*",
        "**.x",
        "$eval('1')",
        "($f := $eval; $f('1'))",
        "$states.input.x ?? 1",
        "$states.input.x ?: 1",
        "$count(items)",
    ];
    for src in rejected {
        let r = check_step_functions_restrictions(src);
        assert!(r.is_err(), "{src} should be rejected");
    }
    let accepted = [
        "$states.input.total",
        "$states.input.items[price > 5].price",
        "$states.input.items.(price * qty)",
        "$order[total > 10]",
        "$sum($states.input.items.price)",
        "$map($states.input.items, function($v) { $v.price })",
        "$states.input.items^(price)",
        "$states.input.items{ `name`: price }",
        "$states.input ~> $keys()",
        "function($x) { $x.a }",
        "($x := $states.input; $x.a)",
        "'literal'",
        "$states.input.items[0]",
        "$partition([1,2,3], 2)",
    ];
    for src in accepted {
        assert_eq!(check_step_functions_restrictions(src), Ok(()), "{src}");
    }
    // Parse errors are reported through the checker too.
    assert!(check_step_functions_restrictions("1 +").is_err());
    let e = Expression::parse("$.a")
        .unwrap()
        .check_step_functions_restrictions()
        .unwrap_err();
    assert_eq!(e.kind, ErrorKind::Restriction);
    assert_eq!(e.code, RESTRICTION_CODE);
}

#[test]
fn eval_is_unavailable_at_run_time() {
    // Even if a caller skips the definition check.
    let e = err("$eval('1 + 1')");
    assert_eq!(e.code, "T1006");
    // Plain JSONata mode keeps it.
    let expr = Expression::parse("$eval('1 + 1')").unwrap();
    let opts = EvalOptions {
        allow_eval: true,
        ..EvalOptions::default()
    };
    let v = expr
        .evaluate_with(&(), &mut FixedHost::new(0, 0), &opts)
        .unwrap();
    assert_eq!(v, Some(json!(2)));
}

#[test]
fn partition() {
    assert_eq!(
        ok("$partition([1,2,3,4,5], 2)"),
        json!([[1, 2], [3, 4], [5]])
    );
    assert_eq!(ok("$partition([1,2,3], 2.9)"), json!([[1, 2], [3]]));
    assert_eq!(ok("$partition([1,2,3], 10)"), json!([[1, 2, 3]]));
    assert_eq!(ok("$partition([], 3)"), json!([]));
    assert_eq!(err("$partition([1], 0)").code, "D3901");
    assert_eq!(err("$partition([1], 'a')").code, "T0410");
    assert_eq!(eval("$partition($states.input.nope, 2)").unwrap(), None);
}

#[test]
fn range() {
    assert_eq!(ok("$range(1, 5, 2)"), json!([1, 3, 5]));
    assert_eq!(ok("$range(0, 10, 5)"), json!([0, 5, 10]));
    assert_eq!(ok("$range(5, 1, -2)"), json!([5, 3, 1]));
    assert_eq!(ok("$range(1.7, 3.2, 1)"), json!([1, 2, 3]));
    assert_eq!(ok("$range(1, 3)"), json!([1, 2, 3]));
    assert_eq!(ok("$range(5, 1, 1)"), json!([]));
    assert_eq!(err("$range(1, 5, 0)").code, "D3902");
    assert_eq!(err("$range(0, 1e9, 1)").code, "D2014");
    assert_eq!(err("$range('a', 5, 1)").code, "T0410");
}

#[test]
fn hash() {
    assert_eq!(
        ok("$hash('', 'MD5')"),
        json!("d41d8cd98f00b204e9800998ecf8427e")
    );
    assert_eq!(
        ok("$hash('abc', 'SHA-1')"),
        json!("a9993e364706816aba3e25717850c26c9cd0d89d")
    );
    assert_eq!(
        ok("$hash('abc', 'SHA-256')"),
        json!("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
    );
    assert_eq!(ok("$length($hash('abc', 'SHA-384'))"), json!(96));
    assert_eq!(ok("$length($hash('abc', 'SHA-512'))"), json!(128));
    assert_eq!(err("$hash('abc', 'sha256')").code, "D3903");
    assert_eq!(err("$hash(1, 'MD5')").code, "T0410");
}

#[test]
fn parse_function() {
    assert_eq!(
        ok(r#"$parse('{"a": [1, 2.5, "x"]}')"#),
        json!({"a": [1, 2.5, "x"]})
    );
    assert_eq!(ok("$parse('3').$string()"), json!("3"));
    assert_eq!(err("$parse('{oops')").code, "D3904");
}

#[test]
fn uuid_random_and_time_come_from_the_host() {
    let st = states();
    let expr = Expression::parse(
        "{'u': $uuid(), 'u2': $uuid(), 'r': $random(), 'now': $now(), 'ms': $millis(), \
         's': $shuffle([1,2,3,4,5,6,7,8])}",
    )
    .unwrap();
    let run = |seed| {
        expr.evaluate(
            &Bindings::new(&st),
            &mut FixedHost::new(1_700_000_000_123, seed),
        )
        .unwrap()
        .unwrap()
    };
    let a = run(99);
    assert_eq!(a, run(99), "same host, same values");
    assert_ne!(a["u"], run(100)["u"], "different seed, different uuid");
    assert_ne!(a["u"], a["u2"]);
    let u = a["u"].as_str().unwrap();
    assert_eq!(u.len(), 36);
    assert_eq!(&u[14..15], "4", "version 4: {u}");
    assert!("89ab".contains(&u[19..20]), "variant: {u}");
    let r = a["r"].as_f64().unwrap();
    assert!((0.0..1.0).contains(&r));
    assert_eq!(a["now"], json!("2023-11-14T22:13:20.123Z"));
    assert_eq!(a["ms"], json!(1_700_000_000_123i64));
    let mut s: Vec<i64> = a["s"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_i64().unwrap())
        .collect();
    s.sort();
    assert_eq!(s, (1..=8).collect::<Vec<_>>());
}

#[test]
fn host_is_asked_only_when_needed() {
    let st = states();
    let b = Bindings::new(&st);
    let mut host = CountingHost::new();
    Expression::parse("$states.input.n + 1")
        .unwrap()
        .evaluate(&b, &mut host)
        .unwrap();
    assert_eq!((host.time_calls.get(), host.random_calls), (0, 0));
    Expression::parse("[$uuid(), $uuid(), $random(), $now(), $now(), $millis()]")
        .unwrap()
        .evaluate(&b, &mut host)
        .unwrap();
    assert_eq!((host.time_calls.get(), host.random_calls), (1, 1));
}

#[test]
fn now_is_frozen_and_formattable() {
    assert_eq!(ok("$now() = $now()"), json!(true));
    assert_eq!(ok("$now('[Y0001]-[M01]-[D01]')"), json!("2023-11-14"));
    assert_eq!(ok("$now('[H01]:[m01]', '+0100')"), json!("23:13"));
    assert_eq!(functions::iso8601_millis(0), "1970-01-01T00:00:00.000Z");
    assert_eq!(functions::iso8601_millis(-1), "1969-12-31T23:59:59.999Z");
    assert_eq!(
        functions::iso8601_millis(951_782_400_000),
        "2000-02-29T00:00:00.000Z"
    );
}

#[test]
fn random_with_seed_is_deterministic() {
    assert_eq!(ok("$random(42) = $random(42)"), json!(true));
    assert_eq!(ok("$random(42.9) = $random(42)"), json!(true));
    assert_eq!(ok("$random(1) = $random(2)"), json!(false));
    let r = ok("$random(7)").as_f64().unwrap();
    assert!((0.0..1.0).contains(&r));
}

#[test]
fn deep_nesting_does_not_overflow() {
    for (open, close) in [("(", ")"), ("[", "]"), ("{'a':", "}"), ("-", "")] {
        let src = format!("{}1{}", open.repeat(10_000), close.repeat(10_000));
        let e = err(&src);
        assert_eq!(e.kind, ErrorKind::Parse, "{open}: {e}");
    }
    let src = format!("{}1{}", "$abs(".repeat(10_000), ")".repeat(10_000));
    assert_eq!(err(&src).kind, ErrorKind::Parse);
    // Within the parser's limit it evaluates.
    let src = format!("{}1{}", "[".repeat(200), "]".repeat(200));
    assert!(eval(&src).is_ok());
}

#[test]
fn runaway_recursion_is_stopped() {
    // Non-tail recursion without a base case: stopped by the depth guard.
    let e = err("($f := function($n) { 1 + $f($n + 1) }; $f(0))");
    assert_eq!(
        (e.kind, e.code.as_str()),
        (ErrorKind::Limit, LIMIT_CODE),
        "{e}"
    );
    // Tail recursion runs in constant stack forever: the time budget ends it.
    let expr = Expression::parse("($f := function($n) { $f($n + 1) }; $f(0))").unwrap();
    let opts = EvalOptions {
        limits: Limits {
            time_budget_ms: Some(200),
            ..Limits::default()
        },
        ..EvalOptions::default()
    };
    let t0 = std::time::Instant::now();
    let e = expr
        .evaluate_with(&(), &mut FixedHost::new(0, 0), &opts)
        .unwrap_err();
    assert_eq!(
        (e.kind, e.code.as_str()),
        (ErrorKind::Limit, LIMIT_CODE),
        "{e}"
    );
    assert!(t0.elapsed().as_secs() < 5);
    // Deep but finite recursion is fine.
    assert_eq!(
        ok("($f := function($n) { $n = 0 ? 0 : 1 + $f($n - 1) }; $f(500))"),
        json!(500)
    );
}

#[test]
fn referenced_names() {
    let e = Expression::parse("$x + $sum($states.input.a) + $y.z").unwrap();
    let names: Vec<&str> = e.referenced_names().collect();
    assert_eq!(names, ["states", "sum", "x", "y"]);
}

#[test]
fn aws_returns_a_one_element_range_as_a_number_and_rejects_function_results() {
    // Recorded AWS case test_array_range#2: `$range(1, 9, 9)` → `1`.
    assert_eq!(ok("$range(1, 9, 9)"), serde_json::json!(1));
    assert_eq!(ok("$range(1, 9, 4)"), serde_json::json!([1, 5, 9]));
    assert_eq!(err("function($x){$x}").kind, ErrorKind::UnsupportedResult);
}
