//! Percentiles and medians over measured samples.

/// Summary of a latency sample, microseconds.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Latency {
    pub p50_us: f64,
    pub p99_us: f64,
    pub p999_us: f64,
}

/// Nearest-rank percentile of an ascending-sorted slice (`q` in 0..=1).
pub fn percentile(sorted: &[u64], q: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let rank = ((q * sorted.len() as f64).ceil() as usize).clamp(1, sorted.len());
    sorted[rank - 1] as f64
}

/// p50/p99/p99.9 of latencies given in nanoseconds, reported in microseconds.
pub fn latency(mut nanos: Vec<u64>) -> Latency {
    nanos.sort_unstable();
    Latency {
        p50_us: percentile(&nanos, 0.50) / 1000.0,
        p99_us: percentile(&nanos, 0.99) / 1000.0,
        p999_us: percentile(&nanos, 0.999) / 1000.0,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nearest_rank() {
        let v: Vec<u64> = (1..=100).collect();
        assert_eq!(percentile(&v, 0.5), 50.0);
        assert_eq!(percentile(&v, 0.99), 99.0);
        assert_eq!(percentile(&v, 1.0), 100.0);
        assert!(percentile(&[], 0.5).is_nan());
        let l = latency(vec![3000, 1000, 2000]);
        assert_eq!(l.p50_us, 2.0);
        assert_eq!(l.p99_us, 3.0);
    }
}
