//! Limits on password checks and sign-ups, per person and per client address and bounded in
//! memory, and the bounded pool argon2 runs on, apart from every other blocking work (the
//! ledger's signature checks above all).

use std::net::IpAddr;
use std::num::NonZeroU32;
use std::sync::Arc;

use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};
use tokio::sync::Semaphore;

/// Most keys one limiter remembers. Beyond it, idle keys are forgotten; if all are recent,
/// every new key shares one bucket until room frees up: memory stays bounded, and a flood of
/// addresses is slowed as one.
pub const LIMITER_KEYS_MAX: usize = 100_000;
/// A person's password checks per minute are this many times an address's: one address alone
/// can never use up a person's allowance (and lock them out), while guesses spread over many
/// addresses still run dry.
pub const PERSON_ADDRESSES: u32 = 3;
/// Argon2 runs queued beyond the running ones before the node answers "busy".
pub const ARGON2_QUEUED_MAX: usize = 64;

/// Who a limit is about: one client (an IPv4 address, or an IPv6 /64, which one household or
/// one server usually holds whole), or one person.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum LimitKey {
    Address([u8; 8]),
    Person(String),
    /// Every new key while the limiter is full.
    Overflow,
}

impl LimitKey {
    /// The key of a client address: IPv4 whole (an IPv4-mapped IPv6 address too), IPv6 by /64.
    pub fn address(address: IpAddr) -> LimitKey {
        match address {
            IpAddr::V4(v4) => LimitKey::v4(v4),
            IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
                Some(v4) => LimitKey::v4(v4),
                None => {
                    let mut prefix = [0u8; 8];
                    prefix.copy_from_slice(&v6.octets()[..8]);
                    // Never equal to an IPv4 key: those start with four zero bytes.
                    prefix[0] |= 0x80;
                    LimitKey::Address(prefix)
                }
            },
        }
    }
    fn v4(v4: std::net::Ipv4Addr) -> LimitKey {
        let mut key = [0u8; 8];
        key[4..].copy_from_slice(&v4.octets());
        LimitKey::Address(key)
    }
}

/// One keyed rate limit, bounded in memory.
#[derive(Debug)]
pub struct Limiter {
    limiter: DefaultKeyedRateLimiter<LimitKey>,
    keys_max: usize,
}

impl Limiter {
    /// `per_minute` events per key, with a burst of the same size.
    pub fn new(per_minute: u32, keys_max: usize) -> Limiter {
        let quota =
            Quota::per_minute(NonZeroU32::new(per_minute.max(1)).unwrap_or(NonZeroU32::MIN));
        Limiter {
            limiter: RateLimiter::keyed(quota),
            keys_max: keys_max.max(1),
        }
    }

    /// Charges one event to `key`; whether it is allowed.
    pub fn allow(&self, key: LimitKey) -> bool {
        if self.limiter.len() >= self.keys_max {
            self.limiter.retain_recent();
        }
        let key = if self.limiter.len() >= self.keys_max {
            LimitKey::Overflow
        } else {
            key
        };
        self.limiter.check_key(&key).is_ok()
    }

    /// Forgets idle keys.
    pub fn shrink(&self) {
        self.limiter.retain_recent();
    }

    pub fn len(&self) -> usize {
        self.limiter.len()
    }

    pub fn is_empty(&self) -> bool {
        self.limiter.is_empty()
    }
}

/// An address's writes per minute are this many times a person's: a household or an office
/// shares one address, while one person never needs more than their own allowance.
pub const ADDRESS_PEOPLE: u32 = 5;

/// Limits on every write (each request that is not a GET or HEAD): per person and per client
/// address, both bounded in memory. A script that floods a circle with posts, reports or
/// messages is slowed to a person's pace, whichever account or address it uses.
#[derive(Debug)]
pub struct WriteLimits {
    by_person: Limiter,
    by_address: Limiter,
    per_person_per_minute: u32,
}

impl WriteLimits {
    pub fn new(per_person_per_minute: u32) -> WriteLimits {
        WriteLimits {
            per_person_per_minute,
            by_person: Limiter::new(per_person_per_minute, LIMITER_KEYS_MAX),
            by_address: Limiter::new(
                per_person_per_minute.saturating_mul(ADDRESS_PEOPLE),
                LIMITER_KEYS_MAX,
            ),
        }
    }

    /// Whether one more write is allowed now: a logged-in person pays from their own
    /// allowance (so people behind one proxy or one household do not slow each other), anyone
    /// else from their address's (a request with no known address pays as one shared address).
    pub fn allow(&self, address: Option<IpAddr>, person: Option<i64>) -> bool {
        match person {
            Some(id) => self.by_person.allow(LimitKey::Person(id.to_string())),
            None => self
                .by_address
                .allow(address.map_or(LimitKey::Overflow, LimitKey::address)),
        }
    }

    /// Forgets idle keys so the maps stay small.
    pub fn shrink(&self) {
        self.by_address.shrink();
        self.by_person.shrink();
    }

    /// The seconds one more write takes to be allowed after a refusal (the allowance refills
    /// evenly over the minute), rounded up: what `Retry-After` says.
    pub fn retry_after_s(&self) -> u64 {
        60_u64.div_ceil(u64::from(self.per_person_per_minute.max(1)))
    }
}

/// Limits on password checks (logins, unlocking a key, changing a password, confirming a
/// recovery): per client address and per person. The person's bucket is charged only once the
/// address's bucket allowed the attempt, and holds [`PERSON_ADDRESSES`] addresses' worth, so
/// nobody can lock a person out from one address.
#[derive(Debug)]
pub struct PasswordLimits {
    by_address: Limiter,
    by_person: Limiter,
}

impl PasswordLimits {
    pub fn new(per_minute: u32) -> PasswordLimits {
        PasswordLimits {
            by_address: Limiter::new(per_minute, LIMITER_KEYS_MAX),
            by_person: Limiter::new(
                per_minute.saturating_mul(PERSON_ADDRESSES),
                LIMITER_KEYS_MAX,
            ),
        }
    }

    /// Whether one more check is allowed now. `person` is a parsed username (bounded), or
    /// `None` when the name given is not a username at all (then only the address pays). A
    /// check with no known address (a test calling the services) pays as one shared address.
    pub fn allow(&self, address: Option<IpAddr>, person: Option<&str>) -> bool {
        let address = address.map_or(LimitKey::Overflow, LimitKey::address);
        if !self.by_address.allow(address) {
            return false;
        }
        match person {
            Some(person) => self
                .by_person
                .allow(LimitKey::Person(person.to_lowercase())),
            None => true,
        }
    }

    /// Whether one more attempt from this address alone is allowed now (sign-ups).
    pub fn allow_address(&self, address: IpAddr) -> bool {
        self.by_address.allow(LimitKey::address(address))
    }

    /// Forgets idle keys so the maps stay small.
    pub fn shrink(&self) {
        self.by_address.shrink();
        self.by_person.shrink();
    }
}

/// The pool argon2 runs on: every core but one, its own (never tokio's blocking pool, which the
/// ledger's writer verifies signatures on), with a bounded queue.
#[derive(Debug, Clone)]
pub struct Argon2Pool {
    pool: Arc<rayon::ThreadPool>,
    slots: Arc<Semaphore>,
}

/// The pool is full: answer "busy", nothing was checked.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("too many password checks are waiting")]
pub struct Argon2Busy;

impl Argon2Pool {
    pub fn new(threads: usize) -> Argon2Pool {
        let threads = threads.max(1);
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .thread_name(|n| format!("argon2-{n}"))
            .build()
            .unwrap_or_else(|_| {
                rayon::ThreadPoolBuilder::new()
                    .num_threads(1)
                    .build()
                    .expect("a one-thread pool can always be built")
            });
        Argon2Pool {
            pool: Arc::new(pool),
            slots: Arc::new(Semaphore::new(threads + ARGON2_QUEUED_MAX)),
        }
    }

    /// One argon2 pool per machine: every core but one (at least one thread), so the ledger's
    /// writer always has a core of its own however many password checks arrive.
    pub fn for_this_machine() -> Argon2Pool {
        let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
        Argon2Pool::new(cores.saturating_sub(1).max(1))
    }

    /// Runs `work` on the pool; `Argon2Busy` when the queue is full.
    pub async fn run<T: Send + 'static>(
        &self,
        work: impl FnOnce() -> T + Send + 'static,
    ) -> Result<T, Argon2Busy> {
        let permit = self
            .slots
            .clone()
            .try_acquire_owned()
            .map_err(|_| Argon2Busy)?;
        let (sender, receiver) = tokio::sync::oneshot::channel();
        self.pool.spawn(move || {
            let result = work();
            // The slot frees before the caller hears back.
            drop(permit);
            let _ = sender.send(result);
        });
        receiver.await.map_err(|_| Argon2Busy)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_ipv6_client_is_one_key_per_64_and_never_an_ipv4_key() {
        let a: IpAddr = "2001:db8:1:2::1".parse().expect("v6");
        let b: IpAddr = "2001:db8:1:2:ffff::9".parse().expect("v6");
        let c: IpAddr = "2001:db8:1:3::1".parse().expect("v6");
        assert_eq!(LimitKey::address(a), LimitKey::address(b));
        assert_ne!(LimitKey::address(a), LimitKey::address(c));
        let mapped: IpAddr = "::ffff:10.0.0.1".parse().expect("mapped");
        let v4: IpAddr = "10.0.0.1".parse().expect("v4");
        assert_eq!(LimitKey::address(mapped), LimitKey::address(v4));
        let low: IpAddr = "::a00:1".parse().expect("v6 with zero prefix");
        assert_ne!(LimitKey::address(low), LimitKey::address(v4));
    }

    #[test]
    fn a_burst_of_password_checks_is_stopped_per_address_and_per_person() {
        let limits = PasswordLimits::new(3);
        let home: IpAddr = "192.0.2.1".parse().expect("address");
        assert!((0..3).all(|_| limits.allow(Some(home), Some("ana"))));
        assert!(
            !limits.allow(Some(home), Some("ana")),
            "the address is limited"
        );
        // Guesses spread over addresses run dry on the person's own limit.
        for n in 2..=3 {
            let spread: IpAddr = format!("198.51.100.{n}").parse().expect("address");
            assert!((0..3).all(|_| limits.allow(Some(spread), Some("ana"))));
        }
        let fourth: IpAddr = "198.51.100.4".parse().expect("address");
        assert!(
            !limits.allow(Some(fourth), Some("ANA")),
            "the person is limited too"
        );
        assert!(limits.allow(Some(fourth), Some("bo")), "others are not");
    }

    #[test]
    fn one_address_cannot_lock_a_person_out() {
        // The attacker's address runs dry first; the person's bucket is never charged after.
        let limits = PasswordLimits::new(3);
        let attacker: IpAddr = "203.0.113.5".parse().expect("address");
        for _ in 0..100 {
            limits.allow(Some(attacker), Some("ana"));
        }
        let home: IpAddr = "192.0.2.1".parse().expect("address");
        assert!(
            limits.allow(Some(home), Some("ana")),
            "ana still gets in from home"
        );
    }

    #[test]
    fn a_full_limiter_stays_bounded_and_slows_new_keys_as_one() {
        let limiter = Limiter::new(2, 10);
        for n in 0..10u8 {
            assert!(limiter.allow(LimitKey::Person(format!("p{n}"))));
        }
        // Full of recent keys: new keys share the overflow bucket (a burst of 2).
        assert!(limiter.allow(LimitKey::Person("new-1".into())));
        assert!(limiter.allow(LimitKey::Person("new-2".into())));
        assert!(!limiter.allow(LimitKey::Person("new-3".into())));
        assert!(limiter.len() <= 11, "{}", limiter.len());
    }

    #[tokio::test]
    async fn the_argon2_pool_answers_busy_beyond_its_queue() {
        let pool = Argon2Pool::new(1);
        assert_eq!(pool.run(|| 7).await, Ok(7));
        let (release, wait) = std::sync::mpsc::channel::<()>();
        let wait = Arc::new(std::sync::Mutex::new(wait));
        let mut running = Vec::new();
        for _ in 0..(1 + ARGON2_QUEUED_MAX) {
            let wait = wait.clone();
            let pool = pool.clone();
            running.push(tokio::spawn(async move {
                pool.run(move || {
                    let _ = wait.lock().map(|w| w.recv());
                })
                .await
            }));
        }
        while pool.slots.available_permits() > 0 {
            tokio::time::sleep(std::time::Duration::from_millis(5)).await;
        }
        assert_eq!(pool.run(|| 1).await, Err(Argon2Busy));
        for _ in 0..(1 + ARGON2_QUEUED_MAX) {
            let _ = release.send(());
        }
        for task in running {
            assert!(task.await.expect("join").is_ok());
        }
    }

    #[test]
    fn writes_are_limited_per_person_and_per_address() {
        let limits = WriteLimits::new(2);
        let home: IpAddr = "192.0.2.7".parse().unwrap();
        assert!(limits.allow(Some(home), Some(1)));
        assert!(limits.allow(Some(home), Some(1)));
        assert!(
            !limits.allow(Some(home), Some(1)),
            "a person's third write in the minute"
        );
        assert!(
            limits.allow(Some(home), Some(2)),
            "another person at the same address"
        );
        let flood = WriteLimits::new(1);
        let from: IpAddr = "198.51.100.1".parse().unwrap();
        let allowed = (0..20).filter(|_| flood.allow(Some(from), None)).count();
        assert_eq!(
            allowed, ADDRESS_PEOPLE as usize,
            "writes without a login share the address's allowance"
        );
    }
}
