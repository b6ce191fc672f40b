//! Memory of recent reads: answers repeated reads without a database round trip, and never
//! serves an answer older than the last write this process made to what it was read from.
//!
//! Every cached answer is stamped with the *generation* of its scope (a circle, or the web
//! space's own tables) as it was just before the read, and with the time of the read. Every write
//! this process makes bumps its scope's generation *after* it commits and before it answers, so
//! an answer read before a write is never served after it, even when the read and the write race.
//! Writes made by another process (the command line on the same database file, a second node on
//! one PostgreSQL) cannot bump our counters: a time-to-live bounds how long such a change can go
//! unseen here. Nothing that decides a write reads through this memory: the circle's writer
//! checks every request against its own state of the ledger.

use std::collections::HashMap;
use std::hash::Hash;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use quick_cache::sync::Cache;
use quick_cache::Weighter;

/// How long an answer may be served after it was read (bounds how late a change made by another
/// process shows).
pub const READ_CACHE_TTL_MS: u64 = 1_000;

/// The generation of each scope: bumped by every write this process makes to it.
#[derive(Debug, Default)]
pub struct Generations {
    by_scope: Mutex<HashMap<i64, u64>>,
}

impl Generations {
    /// The scope's generation now (read it *before* reading the data it stamps).
    pub fn current(&self, scope: i64) -> u64 {
        *self.lock().get(&scope).unwrap_or(&0)
    }

    /// Marks everything read from `scope` so far as out of date (call it after the write
    /// commits); returns the new generation.
    pub fn bump(&self, scope: i64) -> u64 {
        let mut by_scope = self.lock();
        let generation = by_scope.entry(scope).or_insert(0);
        *generation += 1;
        *generation
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<i64, u64>> {
        // A panic while holding this lock cannot leave the map half-written.
        self.by_scope
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

#[derive(Debug, Clone)]
struct Stamped<V> {
    generation: u64,
    read_at: Instant,
    value: V,
}

/// How much of the cache's capacity a value takes (a page of 50 entries weighs 50).
#[derive(Clone)]
struct ByWeight<V> {
    weigh: fn(&V) -> u64,
}

impl<V> std::fmt::Debug for ByWeight<V> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ByWeight")
    }
}

impl<K, V> Weighter<K, Stamped<V>> for ByWeight<V> {
    fn weight(&self, _key: &K, stamped: &Stamped<V>) -> u64 {
        (self.weigh)(&stamped.value).max(1)
    }
}

/// Answers to one kind of read, bounded in total weight, each valid for its generation and TTL.
pub struct ReadCache<K, V> {
    answers: Cache<K, Stamped<V>, ByWeight<V>>,
    ttl: Duration,
}

impl<K, V> std::fmt::Debug for ReadCache<K, V> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ReadCache").field("ttl", &self.ttl).finish()
    }
}

impl<K: Eq + Hash + Clone, V: Clone> ReadCache<K, V> {
    /// At most `weight_max` in total (each answer weighs at least 1).
    pub fn new(weight_max: u64, weigh: fn(&V) -> u64) -> Self {
        Self::with_ttl(weight_max, weigh, Duration::from_millis(READ_CACHE_TTL_MS))
    }

    pub fn with_ttl(weight_max: u64, weigh: fn(&V) -> u64, ttl: Duration) -> Self {
        ReadCache {
            answers: Cache::with_weighter(
                weight_max.min(1 << 20) as usize,
                weight_max,
                ByWeight { weigh },
            ),
            ttl,
        }
    }

    /// The answer read under `generation`, if it is still fresh.
    pub fn get(&self, key: &K, generation: u64) -> Option<V> {
        let stamped = self.answers.get(key)?;
        (stamped.generation == generation && stamped.read_at.elapsed() < self.ttl)
            .then_some(stamped.value)
    }

    /// Remembers an answer read under `generation` (taken before the read began).
    pub fn put(&self, key: K, generation: u64, value: V) {
        self.answers.insert(
            key,
            Stamped {
                generation,
                read_at: Instant::now(),
                value,
            },
        );
    }

    /// The answer from memory when it is still fresh for `scope`, else from `read` (and then
    /// remembered, stamped with the generation taken before the read began). When an answer
    /// expires under load, one caller reads it again and the others wait for that read, instead
    /// of all reading at once (a failed read lets the next waiter try).
    pub async fn get_or_read<E, Read, Fut>(
        &self,
        generations: &Generations,
        scope: i64,
        key: K,
        read: Read,
    ) -> Result<V, E>
    where
        Read: FnOnce() -> Fut,
        Fut: std::future::Future<Output = Result<V, E>>,
    {
        self.get_or_read_at(generations.current(scope), key, read)
            .await
    }

    /// [`ReadCache::get_or_read`] for answers whose key already names every version they were
    /// read under (they are stamped with generation 0, and only the time limit ends them).
    pub async fn get_or_read_versioned<E, Read, Fut>(&self, key: K, read: Read) -> Result<V, E>
    where
        Read: FnOnce() -> Fut,
        Fut: std::future::Future<Output = Result<V, E>>,
    {
        self.get_or_read_at(0, key, read).await
    }

    async fn get_or_read_at<E, Read, Fut>(
        &self,
        generation: u64,
        key: K,
        read: Read,
    ) -> Result<V, E>
    where
        Read: FnOnce() -> Fut,
        Fut: std::future::Future<Output = Result<V, E>>,
    {
        let ttl = self.ttl;
        let fresh = |stamped: &Stamped<V>| {
            stamped.generation == generation && stamped.read_at.elapsed() < ttl
        };
        if let Some(stamped) = self.answers.get(&key) {
            if fresh(&stamped) {
                return Ok(stamped.value);
            }
            // Only the stale answer goes: a fresh one another reader just put stays.
            self.answers.remove_if(&key, |stamped| !fresh(stamped));
        }
        match self.answers.get_value_or_guard_async(&key).await {
            Ok(stamped) if fresh(&stamped) => Ok(stamped.value),
            // Read under another generation than ours: read for ourselves, remember nothing.
            Ok(_) => read().await,
            Err(guard) => {
                let value = read().await?;
                let _ = guard.insert(Stamped {
                    generation,
                    read_at: Instant::now(),
                    value: value.clone(),
                });
                Ok(value)
            }
        }
    }

    /// Forgets one answer.
    pub fn forget(&self, key: &K) {
        self.answers.remove(key);
    }
}

/// Every value weighs one.
pub fn weigh_one<V>(_: &V) -> u64 {
    1
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_answer_read_before_a_write_is_not_served_after_it() {
        let generations = Generations::default();
        let cache: ReadCache<&str, i64> = ReadCache::new(100, weigh_one);
        let before = generations.current(7);
        // A write commits (and bumps) while the read is on its way...
        generations.bump(7);
        cache.put("balance", before, 10);
        // ...so the old answer is never served.
        assert_eq!(cache.get(&"balance", generations.current(7)), None);
        let now = generations.current(7);
        cache.put("balance", now, 12);
        assert_eq!(cache.get(&"balance", generations.current(7)), Some(12));
        // Another scope's writes leave it alone.
        generations.bump(8);
        assert_eq!(cache.get(&"balance", generations.current(7)), Some(12));
    }

    #[tokio::test]
    async fn many_readers_of_an_expired_answer_read_it_once() {
        let generations = Generations::default();
        let cache: std::sync::Arc<ReadCache<u8, u64>> =
            std::sync::Arc::new(ReadCache::new(100, weigh_one));
        let reads = std::sync::Arc::new(std::sync::atomic::AtomicU64::new(0));
        let generations = std::sync::Arc::new(generations);
        let mut tasks = Vec::new();
        for _ in 0..32 {
            let (cache, reads, generations) = (cache.clone(), reads.clone(), generations.clone());
            tasks.push(tokio::spawn(async move {
                cache
                    .get_or_read(&generations, 1, 7, || async {
                        reads.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                        tokio::time::sleep(Duration::from_millis(20)).await;
                        Ok::<u64, ()>(42)
                    })
                    .await
            }));
        }
        for task in tasks {
            assert_eq!(task.await.expect("joins"), Ok(42));
        }
        assert_eq!(reads.load(std::sync::atomic::Ordering::SeqCst), 1);
        // A write bumps the generation: the next reader reads afresh.
        generations.bump(1);
        let again = cache
            .get_or_read(&generations, 1, 7, || async { Ok::<u64, ()>(43) })
            .await;
        assert_eq!(again, Ok(43));
    }

    #[test]
    fn answers_expire() {
        let cache: ReadCache<u8, u8> = ReadCache::with_ttl(10, weigh_one, Duration::ZERO);
        cache.put(1, 0, 1);
        assert_eq!(cache.get(&1, 0), None);
    }

    #[test]
    fn the_total_weight_is_bounded() {
        let cache: ReadCache<u32, Vec<u8>> = ReadCache::new(100, |v| v.len() as u64);
        for key in 0..1_000 {
            cache.put(key, 0, vec![0; 10]);
        }
        let kept = (0..1_000).filter(|key| cache.get(key, 0).is_some()).count();
        assert!(
            kept <= 10,
            "{kept} answers of weight 10 kept under a capacity of 100"
        );
    }
}
