//! Step Functions' extra JSONata functions and deterministic replacements
//! for the impure built-ins.
//!
//! Baton replays executions, so every value that depends on the clock or on
//! randomness must come from the caller's [`crate::Host`]. jsonata-core's own
//! `$now`, `$millis`, `$random` and `$shuffle` read the system clock / thread
//! RNG, so they are replaced here (`register_fn_override`). Per evaluation
//! the host is asked for the time once (jsonata-js also freezes `$now()` for
//! the duration of one evaluation) and for one 64-bit random seed, which
//! feeds a SplitMix64 stream; both only when the expression mentions a
//! function that needs them, so the number of host calls is a pure function
//! of the expression text.
//!
//! Error codes of the Step Functions functions: `T0410` when an argument
//! has the wrong type (as jsonata-js reports signature mismatches), and, for
//! failures specific to these functions (AWS does not document its codes):
//! `D3901` invalid partition size, `D3902` zero range step, `D2014` range too
//! long (the code JSONata uses for `[a..b]` over 10^7 items), `D3903`
//! unsupported hash algorithm, `D3904` `$parse` input is not valid JSON.

use std::cell::Cell;
use std::rc::Rc;

use jsonata_core::evaluator::{Context, Evaluator, EvaluatorError, HostFnResult};
use jsonata_core::value::JValue;
use sha1::Digest;

use crate::convert::to_jvalue;

/// Longest array `$range` may build, matching JSONata's limit for `[a..b]`.
const MAX_RANGE_LEN: f64 = 10_000_000.0;

/// SplitMix64: tiny, fast, and fully determined by its seed. Not
/// cryptographic; neither is AWS's `$random`/`$uuid` contractually.
#[derive(Clone, Copy, Debug)]
pub(crate) struct SplitMix64(pub u64);

impl SplitMix64 {
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A double uniformly distributed in `[0, 1)`.
    pub fn next_f64(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
    }
}

/// The per-evaluation random stream shared by `$random`, `$uuid`, `$shuffle`.
pub(crate) type Rng = Rc<Cell<SplitMix64>>;

fn next_u64(rng: &Rng) -> u64 {
    let mut r = rng.get();
    let v = r.next_u64();
    rng.set(r);
    v
}

fn coded(code: &str, msg: impl std::fmt::Display) -> EvaluatorError {
    EvaluatorError::EvaluationError(format!("{code}: {msg}"))
}

fn bad_arg(index: usize, name: &str) -> EvaluatorError {
    coded(
        "T0410",
        format!("Argument {index} of function \"{name}\" does not match function signature"),
    )
}

fn arity(args: &[JValue], min: usize, max: usize, name: &str) -> Result<(), EvaluatorError> {
    if args.len() < min || args.len() > max {
        return Err(coded(
            "T0410",
            format!(
                "Function \"{name}\" expects {min}..={max} arguments but got {}",
                args.len()
            ),
        ));
    }
    Ok(())
}

/// An integer parameter: AWS rounds non-integer arguments down.
fn int_arg(args: &[JValue], index: usize, name: &str) -> Result<f64, EvaluatorError> {
    match args.get(index) {
        Some(JValue::Number(n)) if n.is_finite() => Ok(n.floor()),
        _ => Err(bad_arg(index + 1, name)),
    }
}

/// Registers everything on `ev`. `allow_eval` keeps jsonata's `$eval`
/// (plain JSONata mode, used by the conformance suite); Step Functions mode
/// replaces it with a function that fails like calling an unknown function.
pub(crate) fn register(
    ev: &mut Evaluator,
    now_millis: Option<i64>,
    rng: Option<Rng>,
    allow_eval: bool,
) -> Result<(), EvaluatorError> {
    ev.register_fn("partition", partition)?;
    ev.register_fn("range", range)?;
    ev.register_fn("hash", hash)?;
    ev.register_fn("parse", parse)?;

    // Time. Without a captured time (the expression never mentions the
    // functions) they can only be reached through `$eval`, which is off in
    // Step Functions mode; fail loudly rather than read the system clock.
    let now = now_millis;
    ev.register_fn_override("millis", move |args: &[JValue]| {
        arity(args, 0, 0, "millis")?;
        Ok(JValue::Number(need_time(now)? as f64))
    })?;
    ev.register_fn_override("now", move |args: &[JValue]| now_fn(args, now))?;

    // Randomness.
    let r = rng.clone();
    ev.register_fn_override("random", move |args: &[JValue]| random(args, r.as_ref()))?;
    let r = rng.clone();
    ev.register_fn("uuid", move |args: &[JValue]| {
        arity(args, 0, 0, "uuid")?;
        Ok(JValue::string(uuid_v4(need_rng(r.as_ref())?)))
    })?;
    let r = rng;
    ev.register_fn_override("shuffle", move |args: &[JValue]| shuffle(args, r.as_ref()))?;

    if !allow_eval {
        ev.register_fn_override("eval", |_: &[JValue]| -> HostFnResult {
            Err(coded(
                "T1006",
                "Attempted to invoke a non-function: $eval is not available in Step Functions",
            ))
        })?;
    }
    Ok(())
}

fn need_time(now: Option<i64>) -> Result<i64, EvaluatorError> {
    now.ok_or_else(|| {
        coded(
            "D3905",
            "the current time is not available to this evaluation",
        )
    })
}

fn need_rng(rng: Option<&Rng>) -> Result<&Rng, EvaluatorError> {
    rng.ok_or_else(|| coded("D3905", "randomness is not available to this evaluation"))
}

fn now_fn(args: &[JValue], now: Option<i64>) -> HostFnResult {
    arity(args, 0, 2, "now")?;
    let millis = need_time(now)?;
    if args.iter().all(JValue::is_undefined) {
        return Ok(JValue::string(iso8601_millis(millis)));
    }
    // `$now(picture, timezone)` formats like `$fromMillis`; delegate to the
    // engine's own implementation so both stay identical.
    let ast = jsonata_core::parser::parse("$fromMillis($m, $p, $t)")
        .map_err(|e| EvaluatorError::EvaluationError(e.to_string()))?;
    let mut ctx = Context::new();
    ctx.bind("m".to_string(), JValue::Number(millis as f64));
    for (name, value) in ["p", "t"].into_iter().zip(args) {
        ctx.bind(name.to_string(), value.clone());
    }
    Evaluator::with_context(ctx).evaluate(&ast, &JValue::Undefined)
}

fn random(args: &[JValue], rng: Option<&Rng>) -> HostFnResult {
    arity(args, 0, 1, "random")?;
    match args.first() {
        None | Some(JValue::Undefined) => {
            let rng = need_rng(rng)?;
            let mut r = rng.get();
            let v = r.next_f64();
            rng.set(r);
            Ok(JValue::Number(v))
        }
        // AWS: "$random(seed)" is deterministic for a given seed.
        Some(_) => {
            let seed = int_arg(args, 0, "random")?;
            Ok(JValue::Number(SplitMix64(seed as i64 as u64).next_f64()))
        }
    }
}

fn shuffle(args: &[JValue], rng: Option<&Rng>) -> HostFnResult {
    arity(args, 1, 1, "shuffle")?;
    let mut items = match &args[0] {
        JValue::Undefined => return Ok(JValue::Undefined),
        JValue::Array(a) => a.to_vec(),
        other => vec![other.clone()],
    };
    if items.len() > 1 {
        let rng = need_rng(rng)?;
        // Fisher-Yates.
        for i in (1..items.len()).rev() {
            let j = (next_u64(rng) % (i as u64 + 1)) as usize;
            items.swap(i, j);
        }
    }
    Ok(JValue::array(items))
}

/// A version-4 UUID from the evaluation's random stream.
pub(crate) fn uuid_v4(rng: &Rng) -> String {
    let hi = next_u64(rng);
    let lo = next_u64(rng);
    let mut b = [0u8; 16];
    b[..8].copy_from_slice(&hi.to_be_bytes());
    b[8..].copy_from_slice(&lo.to_be_bytes());
    b[6] = (b[6] & 0x0f) | 0x40; // version 4
    b[8] = (b[8] & 0x3f) | 0x80; // RFC 4122 variant
    let h = hex(&b);
    format!(
        "{}-{}-{}-{}-{}",
        &h[0..8],
        &h[8..12],
        &h[12..16],
        &h[16..20],
        &h[20..32]
    )
}

fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        s.push(DIGITS[(b >> 4) as usize] as char);
        s.push(DIGITS[(b & 0xf) as usize] as char);
    }
    s
}

/// `$partition(array, size)`: consecutive chunks of `size` items, the last
/// one possibly shorter.
fn partition(args: &[JValue]) -> HostFnResult {
    arity(args, 2, 2, "partition")?;
    let items = match &args[0] {
        JValue::Undefined => return Ok(JValue::Undefined),
        JValue::Array(a) => a.to_vec(),
        other => vec![other.clone()],
    };
    let size = int_arg(args, 1, "partition")?;
    if size < 1.0 {
        return Err(coded(
            "D3901",
            format!("The size argument of $partition must be a positive integer, got {size}"),
        ));
    }
    let size = if size > items.len() as f64 {
        items.len().max(1)
    } else {
        size as usize
    };
    Ok(JValue::array(
        items
            .chunks(size)
            .map(|c| JValue::array(c.to_vec()))
            .collect(),
    ))
}

/// `$range(start, end[, step])`: integers from `start` to `end` inclusive.
fn range(args: &[JValue]) -> HostFnResult {
    arity(args, 2, 3, "range")?;
    let start = int_arg(args, 0, "range")?;
    let end = int_arg(args, 1, "range")?;
    let step = match args.get(2) {
        None | Some(JValue::Undefined) => 1.0,
        Some(_) => int_arg(args, 2, "range")?,
    };
    if step == 0.0 {
        return Err(coded(
            "D3902",
            "The step argument of $range must not be zero",
        ));
    }
    let count = ((end - start) / step).floor() + 1.0;
    if count <= 0.0 {
        return Ok(JValue::array(Vec::new()));
    }
    if count > MAX_RANGE_LEN {
        return Err(coded(
            "D2014",
            "The size of the sequence allocated by $range must not exceed 1e7",
        ));
    }
    // AWS returns a one-element range as the bare number, like a JSONata
    // singleton sequence (recorded: `$range(1, 9, 9)` → `1`).
    if count == 1.0 {
        return Ok(JValue::Number(start));
    }
    let items = (0..count as u64)
        .map(|i| JValue::Number(start + step * i as f64))
        .collect();
    Ok(JValue::array(items))
}

/// `$hash(string, algorithm)`: lowercase hex digest.
fn hash(args: &[JValue]) -> HostFnResult {
    arity(args, 2, 2, "hash")?;
    let data = match &args[0] {
        JValue::Undefined => return Ok(JValue::Undefined),
        JValue::String(s) => s.as_bytes(),
        _ => return Err(bad_arg(1, "hash")),
    };
    let alg = match &args[1] {
        JValue::String(s) => s,
        _ => return Err(bad_arg(2, "hash")),
    };
    let digest = match &**alg {
        "MD5" => md5::Md5::digest(data).to_vec(),
        "SHA-1" => sha1::Sha1::digest(data).to_vec(),
        "SHA-256" => sha2::Sha256::digest(data).to_vec(),
        "SHA-384" => sha2::Sha384::digest(data).to_vec(),
        "SHA-512" => sha2::Sha512::digest(data).to_vec(),
        other => {
            return Err(coded(
                "D3903",
                format!(
                    "Unsupported hash algorithm \"{other}\"; expected one of MD5, SHA-1, \
                     SHA-256, SHA-384, SHA-512"
                ),
            ));
        }
    };
    Ok(JValue::string(hex(&digest)))
}

/// `$parse(jsonString)`: the JSON value the text denotes.
fn parse(args: &[JValue]) -> HostFnResult {
    arity(args, 1, 1, "parse")?;
    match &args[0] {
        JValue::Undefined => Ok(JValue::Undefined),
        JValue::String(s) => serde_json::from_str::<serde_json::Value>(s)
            .map(|v| to_jvalue(&v))
            .map_err(|e| {
                coded(
                    "D3904",
                    format!("$parse: the argument is not valid JSON: {e}"),
                )
            }),
        _ => Err(bad_arg(1, "parse")),
    }
}

/// `YYYY-MM-DDTHH:MM:SS.mmmZ`, the format of jsonata's `$now()`.
pub(crate) fn iso8601_millis(millis: i64) -> String {
    let days = millis.div_euclid(86_400_000);
    let ms_of_day = millis.rem_euclid(86_400_000);
    let (y, m, d) = civil_from_days(days);
    let (h, rest) = (ms_of_day / 3_600_000, ms_of_day % 3_600_000);
    let (min, rest) = (rest / 60_000, rest % 60_000);
    let (s, ms) = (rest / 1000, rest % 1000);
    if (0..=9999).contains(&y) {
        format!("{y:04}-{m:02}-{d:02}T{h:02}:{min:02}:{s:02}.{ms:03}Z")
    } else {
        // ISO 8601 expanded years, as JavaScript's toISOString writes them.
        let sign = if y < 0 { '-' } else { '+' };
        format!(
            "{sign}{:06}-{m:02}-{d:02}T{h:02}:{min:02}:{s:02}.{ms:03}Z",
            y.abs()
        )
    }
}

/// Days since 1970-01-01 to a proleptic Gregorian (year, month, day)
/// (Howard Hinnant's `civil_from_days` algorithm).
fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (if m <= 2 { y + 1 } else { y }, m, d)
}
