//! CPU time of this process (user + system, every thread), for the CPU-per-message figure.

/// Linux reports `/proc` times in USER_HZ, 100 on every architecture we build for.
const USER_HZ: f64 = 100.0;

/// Seconds of CPU this process has used so far.
pub fn process_seconds() -> Result<f64, String> {
    let stat = std::fs::read_to_string("/proc/self/stat").map_err(|e| e.to_string())?;
    // The command name (field 2) may hold spaces; the fields after its ')' are fixed.
    let rest = stat
        .rsplit_once(')')
        .map(|(_, rest)| rest)
        .ok_or("malformed /proc/self/stat")?;
    let fields: Vec<&str> = rest.split_whitespace().collect();
    // utime and stime are fields 14 and 15 of the whole line: 12 and 13 after ')'.
    let ticks = |i: usize| -> Result<f64, String> {
        fields
            .get(i)
            .and_then(|f| f.parse::<f64>().ok())
            .ok_or_else(|| format!("no field {} in /proc/self/stat", i + 3))
    };
    Ok((ticks(11)? + ticks(12)?) / USER_HZ)
}
