//! AWS's delivery retry policies. Each has four phases after the first
//! attempt: immediate retries, pre-backoff retries at the minimum delay,
//! backoff retries growing from the minimum to the maximum delay, and
//! post-backoff retries at the maximum delay. When they are used up the
//! message is dropped (AWS would move it to a dead-letter queue).

use std::time::Duration;

use serde::{Deserialize, Serialize};
use serde_json::Value;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Backoff {
    Linear,
    Arithmetic,
    Geometric,
    Exponential,
}

/// The `healthyRetryPolicy` of an HTTP/S delivery policy, and the fixed
/// policies of the other protocols in the same terms.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct RetryPolicy {
    pub num_retries: u32,
    pub num_no_delay_retries: u32,
    pub num_min_delay_retries: u32,
    pub num_max_delay_retries: u32,
    pub min_delay_secs: u32,
    pub max_delay_secs: u32,
    pub backoff: Backoff,
}

impl RetryPolicy {
    /// HTTP/S default: 3 retries, 20 seconds apart.
    pub const HTTP_DEFAULT: RetryPolicy = RetryPolicy {
        num_retries: 3,
        num_no_delay_retries: 0,
        num_min_delay_retries: 0,
        num_max_delay_retries: 0,
        min_delay_secs: 20,
        max_delay_secs: 20,
        backoff: Backoff::Linear,
    };

    /// AWS-managed endpoints (Lambda): 3 immediate, 2 at 1 s, 10 backing
    /// off from 1 s to 20 s, then 100,000 at 20 s (over 23 days).
    pub const AWS_MANAGED: RetryPolicy = RetryPolicy {
        num_retries: 100_015,
        num_no_delay_retries: 3,
        num_min_delay_retries: 2,
        num_max_delay_retries: 100_000,
        min_delay_secs: 1,
        max_delay_secs: 20,
        backoff: Backoff::Exponential,
    };

    /// SMTP: 2 at 10 s, 10 backing off from 10 s to 600 s, 38 at 600 s.
    pub const SMTP: RetryPolicy = RetryPolicy {
        num_retries: 50,
        num_no_delay_retries: 0,
        num_min_delay_retries: 2,
        num_max_delay_retries: 38,
        min_delay_secs: 10,
        max_delay_secs: 600,
        backoff: Backoff::Exponential,
    };

    /// Reads `{"http": {"defaultHealthyRetryPolicy": {…}}}` (a topic's
    /// DeliveryPolicy) or `{"healthyRetryPolicy": {…}}` (a subscription's).
    pub fn from_delivery_policy(policy: &Value) -> Option<RetryPolicy> {
        let p = policy
            .get("healthyRetryPolicy")
            .or_else(|| policy.pointer("/http/defaultHealthyRetryPolicy"))?;
        let n = |k: &str, d: u32| {
            p.get(k)
                .and_then(Value::as_u64)
                .map(|v| v.min(u32::MAX as u64) as u32)
                .unwrap_or(d)
        };
        let d = RetryPolicy::HTTP_DEFAULT;
        Some(RetryPolicy {
            num_retries: n("numRetries", d.num_retries),
            num_no_delay_retries: n("numNoDelayRetries", 0),
            num_min_delay_retries: n("numMinDelayRetries", 0),
            num_max_delay_retries: n("numMaxDelayRetries", 0),
            min_delay_secs: n("minDelayTarget", d.min_delay_secs),
            max_delay_secs: n("maxDelayTarget", d.max_delay_secs),
            backoff: match p.get("backoffFunction").and_then(Value::as_str) {
                Some("arithmetic") => Backoff::Arithmetic,
                Some("geometric") => Backoff::Geometric,
                Some("exponential") => Backoff::Exponential,
                _ => Backoff::Linear,
            },
        })
    }

    /// The wait before retry number `retry` (1 = the first retry), or
    /// `None` when the policy is used up.
    pub fn delay(&self, retry: u32) -> Option<Duration> {
        if retry == 0 || retry > self.num_retries {
            return None;
        }
        let min = f64::from(self.min_delay_secs);
        let max = f64::from(self.max_delay_secs.max(self.min_delay_secs));
        let backoff_retries = self.num_retries.saturating_sub(
            self.num_no_delay_retries + self.num_min_delay_retries + self.num_max_delay_retries,
        );
        let mut k = retry;
        if k <= self.num_no_delay_retries {
            return Some(Duration::ZERO);
        }
        k -= self.num_no_delay_retries;
        if k <= self.num_min_delay_retries {
            return Some(Duration::from_secs_f64(min));
        }
        k -= self.num_min_delay_retries;
        if k <= backoff_retries {
            let t = f64::from(k) / f64::from(backoff_retries.max(1));
            let secs = match self.backoff {
                Backoff::Linear => min + (max - min) * t,
                Backoff::Arithmetic => min + (max - min) * t * t,
                Backoff::Geometric | Backoff::Exponential => {
                    min.max(1.0) * (max / min.max(1.0)).powf(t)
                }
            };
            return Some(Duration::from_secs_f64(secs.clamp(min, max)));
        }
        Some(Duration::from_secs_f64(max))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn http_default_is_three_retries_twenty_seconds_apart() {
        let p = RetryPolicy::HTTP_DEFAULT;
        for k in 1..=3 {
            assert_eq!(p.delay(k), Some(Duration::from_secs(20)));
        }
        assert_eq!(p.delay(4), None);
    }

    #[test]
    fn aws_managed_phases() {
        let p = RetryPolicy::AWS_MANAGED;
        assert_eq!(p.delay(1), Some(Duration::ZERO));
        assert_eq!(p.delay(3), Some(Duration::ZERO));
        assert_eq!(p.delay(4), Some(Duration::from_secs(1)));
        assert_eq!(p.delay(5), Some(Duration::from_secs(1)));
        let first_backoff = p.delay(6).unwrap();
        assert!(first_backoff > Duration::from_secs(1) && first_backoff < Duration::from_secs(20));
        assert_eq!(p.delay(15), Some(Duration::from_secs(20)));
        assert_eq!(p.delay(16), Some(Duration::from_secs(20)));
    }

    #[test]
    fn custom_http_policy() {
        let p = RetryPolicy::from_delivery_policy(&json!({"http": {"defaultHealthyRetryPolicy": {
            "numRetries": 5, "numNoDelayRetries": 2, "minDelayTarget": 1, "maxDelayTarget": 4,
            "backoffFunction": "linear"}}}))
        .unwrap();
        assert_eq!(p.delay(1), Some(Duration::ZERO));
        assert_eq!(p.delay(2), Some(Duration::ZERO));
        assert_eq!(p.delay(5), Some(Duration::from_secs(4)));
        assert_eq!(p.delay(6), None);
    }
}
