//! The engine's clock: wall time, optionally sped up (`--time-scale`).
//!
//! With a scale of 60 a one-minute Wait takes a second of real time, and the
//! history still shows a minute between its events: the interpreter only ever
//! sees this clock's readings.

use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use asl::Millis;

#[derive(Debug, Clone)]
pub struct EngineClock {
    origin: Instant,
    origin_ms: Millis,
    scale: f64,
}

impl EngineClock {
    pub fn new(scale: f64) -> EngineClock {
        let origin_ms = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_millis() as Millis)
            .unwrap_or(0);
        EngineClock {
            origin: Instant::now(),
            origin_ms,
            scale: if scale.is_finite() && scale > 0.0 {
                scale
            } else {
                1.0
            },
        }
    }

    pub fn now(&self) -> Millis {
        self.origin_ms + (self.origin.elapsed().as_secs_f64() * 1000.0 * self.scale) as Millis
    }

    /// Real time to wait until the clock reads `due`.
    pub fn real_delay_until(&self, due: Millis) -> Duration {
        let ms = (due - self.now()).max(0) as f64 / self.scale;
        Duration::from_secs_f64(ms / 1000.0)
    }
}
