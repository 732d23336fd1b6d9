//! Minting and parsing Step Functions ARNs (reference §1.2) and the name
//! rules (§1.3). Parsing is strict about shape and lenient about region and
//! account: an ARN for another region simply names nothing that exists.

use crate::error::ApiError;

/// Mints ARNs for this server's region and account.
pub struct Arns<'a> {
    pub region: &'a str,
    pub account: &'a str,
}

impl Arns<'_> {
    fn prefix(&self) -> String {
        format!("arn:aws:states:{}:{}", self.region, self.account)
    }
    pub fn state_machine(&self, name: &str) -> String {
        format!("{}:stateMachine:{name}", self.prefix())
    }
    pub fn activity(&self, name: &str) -> String {
        format!("{}:activity:{name}", self.prefix())
    }
}

/// A version ARN: the machine's ARN plus `:<n>`.
pub fn version_arn(machine_arn: &str, version: u64) -> String {
    format!("{machine_arn}:{version}")
}

/// What a `stateMachine` ARN points at.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MachineRef {
    Machine {
        arn: String,
    },
    Version {
        machine_arn: String,
        version: u64,
        arn: String,
    },
    Alias {
        machine_arn: String,
        alias: String,
        arn: String,
    },
    /// `…:stateMachine:<name>/<label>`: a Distributed Map's child machine.
    Labelled {
        arn: String,
    },
}

/// Splits `arn:<partition>:states:<region>:<account>:<type>:<rest…>` into
/// the resource type and the remaining `:`-separated parts.
fn split(arn: &str) -> Result<(&str, Vec<&str>), ApiError> {
    let parts: Vec<&str> = arn.split(':').collect();
    let well_formed = parts.len() >= 7
        && parts[0] == "arn"
        && matches!(parts[1], "aws" | "aws-cn" | "aws-us-gov")
        && parts[2] == "states"
        && parts[3..5].iter().all(|p| !p.is_empty());
    if !well_formed {
        return Err(ApiError::invalid_arn(format!("Invalid ARN prefix: {arn}")));
    }
    Ok((parts[5], parts[6..].to_vec()))
}

fn wrong_type(resource_type: &str) -> ApiError {
    ApiError::invalid_arn(format!(
        "Resource type not valid in this context: {resource_type}"
    ))
}

/// Parses a state machine ARN, possibly qualified with a version or alias.
pub fn parse_machine(arn: &str) -> Result<MachineRef, ApiError> {
    let (kind, rest) = split(arn)?;
    if kind != "stateMachine" {
        return Err(wrong_type(kind));
    }
    match rest.as_slice() {
        [n] if n.contains('/') => Ok(MachineRef::Labelled {
            arn: arn.to_string(),
        }),
        [n] if !n.is_empty() => Ok(MachineRef::Machine {
            arn: arn.to_string(),
        }),
        [n, q] if !n.is_empty() && !q.is_empty() => {
            let machine_arn = arn[..arn.len() - q.len() - 1].to_string();
            if let Ok(version) = q.parse::<u64>() {
                if version == 0 || q.starts_with('0') {
                    return Err(ApiError::invalid_arn(format!("Invalid ARN: {arn}")));
                }
                Ok(MachineRef::Version {
                    machine_arn,
                    version,
                    arn: arn.to_string(),
                })
            } else {
                Ok(MachineRef::Alias {
                    machine_arn,
                    alias: q.to_string(),
                    arn: arn.to_string(),
                })
            }
        }
        _ => Err(ApiError::invalid_arn(format!("Invalid ARN: {arn}"))),
    }
}

/// Parses an unqualified state machine ARN (the machine itself).
pub fn parse_unqualified_machine(arn: &str) -> Result<String, ApiError> {
    match parse_machine(arn)? {
        MachineRef::Machine { arn } => Ok(arn),
        MachineRef::Labelled { .. } => Err(labelled_arn()),
        _ => Err(ApiError::invalid_arn(format!(
            "Qualified state machine ARNs are not valid in this context: {arn}"
        ))),
    }
}

/// AWS refuses Distributed Map child-machine ARNs on most operations.
pub fn labelled_arn() -> ApiError {
    ApiError::service_validation("This API does not support labeled ARNs.")
        .with("reason", "API_DOES_NOT_SUPPORT_LABELED_ARNS")
}

/// Parses an activity ARN.
pub fn parse_activity(arn: &str) -> Result<(), ApiError> {
    let (kind, rest) = split(arn)?;
    if kind != "activity" {
        return Err(wrong_type(kind));
    }
    if rest.len() != 1 || rest[0].is_empty() {
        return Err(ApiError::invalid_arn(format!("Invalid ARN: {arn}")));
    }
    Ok(())
}

/// Parses a Standard execution ARN (`…:execution:<machine>:<name>`).
/// Express execution ARNs are refused as AWS does for the read APIs.
pub fn parse_execution(arn: &str) -> Result<(), ApiError> {
    let (kind, rest) = split(arn)?;
    if kind != "execution" {
        return Err(wrong_type(kind));
    }
    if rest.len() != 2 || rest.iter().any(|p| p.is_empty()) {
        return Err(ApiError::invalid_arn(format!("Invalid ARN: {arn}")));
    }
    Ok(())
}

/// Parses a Map Run ARN (`…:mapRun:<machine>/<label>:<uuid>`).
pub fn parse_map_run(arn: &str) -> Result<(), ApiError> {
    let (kind, rest) = split(arn)?;
    if kind != "mapRun" {
        return Err(wrong_type(kind));
    }
    let well_formed = rest.len() == 2
        && !rest[1].is_empty()
        && rest[0]
            .split_once('/')
            .is_some_and(|(machine, label)| !machine.is_empty() && !label.is_empty());
    if !well_formed {
        return Err(ApiError::invalid_arn(format!("Invalid ARN: {arn}")));
    }
    Ok(())
}

/// What a tag-able ARN points at.
pub enum Taggable {
    Machine(String),
    Activity(String),
}

pub fn parse_taggable(arn: &str) -> Result<Taggable, ApiError> {
    let (kind, _) = split(arn)?;
    match kind {
        "stateMachine" => Ok(Taggable::Machine(parse_unqualified_machine(arn)?)),
        "activity" => parse_activity(arn).map(|()| Taggable::Activity(arn.to_string())),
        other => Err(wrong_type(other)),
    }
}

/// Step Functions' name rule for state machines, executions and activities:
/// 1..80 characters, none of them whitespace, `<>{}[]?*"#%\^|~`$&,;:/` or a
/// control character (U+0000–001F, U+007F–009F), nor U+FFFE/U+FFFF.
/// (Surrogates cannot occur in a Rust string.)
pub fn valid_name(name: &str) -> bool {
    const FORBIDDEN: &str = "<>{}[]?*\"#%\\^|~`$&,;:/";
    let len = name.chars().count();
    (1..=80).contains(&len)
        && name.chars().all(|c| {
            !c.is_whitespace()
                && !FORBIDDEN.contains(c)
                && !matches!(c, '\u{0}'..='\u{1f}' | '\u{7f}'..='\u{9f}' | '\u{fffe}' | '\u{ffff}')
        })
}

/// [`valid_name`] or `InvalidName`.
pub fn check_name(name: &str) -> Result<(), ApiError> {
    if valid_name(name) {
        Ok(())
    } else {
        Err(ApiError::invalid_name(name))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_machine_arns() {
        let m = "arn:aws:states:us-east-1:123456789012:stateMachine:sm";
        assert_eq!(
            parse_machine(m).unwrap(),
            MachineRef::Machine { arn: m.into() }
        );
        assert_eq!(
            parse_machine(&format!("{m}:3")).unwrap(),
            MachineRef::Version {
                machine_arn: m.into(),
                version: 3,
                arn: format!("{m}:3")
            }
        );
        assert!(matches!(
            parse_machine(&format!("{m}:PROD")).unwrap(),
            MachineRef::Alias { .. }
        ));
        assert!(matches!(
            parse_machine(&format!("{m}/label")).unwrap(),
            MachineRef::Labelled { .. }
        ));
        assert_eq!(
            parse_machine("abc").unwrap_err().message.unwrap(),
            "Invalid Arn: 'Invalid ARN prefix: abc'"
        );
        assert_eq!(
            parse_machine("arn:aws:states:us-east-1:123456789012:activity:a")
                .unwrap_err()
                .message
                .unwrap(),
            "Invalid Arn: 'Resource type not valid in this context: activity'"
        );
    }

    #[test]
    fn express_execution_arns_are_refused() {
        let e = parse_execution("arn:aws:states:us-east-1:1:express:sm:n:uuid").unwrap_err();
        assert_eq!(
            e.message.unwrap(),
            "Invalid Arn: 'Resource type not valid in this context: express'"
        );
        assert!(parse_execution("arn:aws:states:us-east-1:1:execution:sm:n").is_ok());
    }

    #[test]
    fn name_rules() {
        assert!(valid_name("my-machine_1.é"));
        for bad in [
            "",
            "a b",
            "a:b",
            "a/b",
            "a\u{7}",
            "a\u{85}",
            "a*",
            &"x".repeat(81),
        ] {
            assert!(!valid_name(bad), "{bad:?}");
        }
    }
}
