//! Named points of the protocol between linked circles where a test may stop the process, to
//! kill it there with SIGKILL (`cli/tests/link_faults.rs`). Off unless the process was started
//! with `COMMONS_FAULT_PAUSE_AT` set to one of [`POINTS`]: then, on reaching that point, the
//! process writes `commons-fault-pause POINT` to stderr and stops that thread for good (the
//! test kills it). Whoever can set a server's environment can already stop it; nothing here
//! reads the network.

use std::sync::OnceLock;

/// The variable that names the point.
pub const PAUSE_AT_VARIABLE: &str = "COMMONS_FAULT_PAUSE_AT";

/// Every point, in protocol order.
pub const POINTS: [&str; 5] = [
    // The payer's hold is durable here; nothing was sent.
    "send.held",
    // The other side checked the relay; nothing was decided.
    "receive.checked",
    // The other side recorded the arrival (or kept its refusal); nothing was answered.
    "receive.decided",
    // The answer came back; the hold is not settled.
    "send.answered",
    // The hold is settled; the payer was not told.
    "send.settled",
];

/// Stops here for good when the process was asked to (see the module's text).
pub fn pause_point(point: &'static str) {
    static PAUSE_AT: OnceLock<Option<String>> = OnceLock::new();
    let pause_at = PAUSE_AT.get_or_init(|| std::env::var(PAUSE_AT_VARIABLE).ok());
    if pause_at.as_deref() != Some(point) {
        return;
    }
    eprintln!("commons-fault-pause {point}");
    loop {
        std::thread::park();
    }
}
