//! The engine's clock: wall time, optionally sped up (`--time-scale`), or a
//! virtual clock (`--clock virtual`) that only moves when the engine jumps it
//! to the next due timer because nothing else is happening.
//!
//! With a scale of 60 a one-minute Wait takes a second of real time, and the
//! history still shows a minute between its events: the interpreter only ever
//! sees this clock's readings.

use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use asl::Millis;

#[derive(Debug, Clone)]
pub struct EngineClock {
    origin: Instant,
    origin_ms: Millis,
    scale: f64,
    /// Set for a virtual clock: its current reading.
    virtual_now: Option<Arc<AtomicI64>>,
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
            virtual_now: None,
        }
    }

    /// A clock that starts at the current wall time and then only moves by
    /// [`EngineClock::advance_to`].
    pub fn virtual_clock() -> EngineClock {
        let mut c = EngineClock::new(1.0);
        c.virtual_now = Some(Arc::new(AtomicI64::new(c.origin_ms)));
        c
    }

    pub fn is_virtual(&self) -> bool {
        self.virtual_now.is_some()
    }

    /// Moves a virtual clock forward to `to` (never backwards).
    pub fn advance_to(&self, to: Millis) {
        if let Some(v) = &self.virtual_now {
            v.fetch_max(to, Ordering::SeqCst);
        }
    }

    pub fn now(&self) -> Millis {
        if let Some(v) = &self.virtual_now {
            return v.load(Ordering::SeqCst);
        }
        self.origin_ms + (self.origin.elapsed().as_secs_f64() * 1000.0 * self.scale) as Millis
    }

    /// Real time to wait until the clock reads `due`.
    pub fn real_delay_until(&self, due: Millis) -> Duration {
        let ms = (due - self.now()).max(0) as f64 / self.scale;
        Duration::from_secs_f64(ms / 1000.0)
    }
}
