//! Merkle proofs over a circle's chain: leaf hashes, O(log n) inclusion proofs from stored subtree hashes, and consistency proofs between two tree heads.

use super::*;

impl Store {
    /// The entry hashes of a circle in order: the leaves of its Merkle tree.
    pub async fn leaf_hashes(&self, info: &CircleInfo) -> Result<Vec<Hash>, StoreError> {
        let rows = sqlx::query("SELECT entry_hash FROM entries WHERE circle = $1 ORDER BY seq")
            .bind(info.row_id)
            .fetch_all(&self.pool)
            .await?;
        rows.iter()
            .map(|row| hash(&row.try_get::<Vec<u8>, _>(0)?))
            .collect()
    }

    /// Proof that entry `seq` is in the tree of the first `tree_size` entries: O(log n) reads of
    /// stored perfect subtrees (and entry hashes), never the whole log.
    pub async fn inclusion_proof(
        &self,
        info: &CircleInfo,
        seq: u64,
        tree_size: u64,
    ) -> Result<Vec<Hash>, StoreError> {
        let size = self.latest_tree_head(info).await?.tree_size;
        if seq >= tree_size || tree_size > size {
            return Err(StoreError::NoSuchProof(format!(
                "entry {seq} is not in a tree of {tree_size} entries (the log has {size})"
            )));
        }
        let plan = merkle::inclusion_plan(seq, tree_size);
        self.combine_plan(info, &plan).await
    }

    /// Each proof hash of a plan: the `combine` of its stored subtrees.
    pub(super) async fn combine_plan(
        &self,
        info: &CircleInfo,
        plan: &[Vec<merkle::Subtree>],
    ) -> Result<Vec<Hash>, StoreError> {
        let wanted: Vec<merkle::Subtree> = plan.iter().flatten().copied().collect();
        let known = self.subtree_hashes(info.row_id, &wanted).await?;
        plan.iter()
            .map(|parts| {
                let hashes = parts
                    .iter()
                    .map(|part| {
                        known.get(part).copied().ok_or_else(|| {
                            StoreError::Corrupt(format!(
                                "the stored Merkle subtree {}/{} is missing",
                                part.level, part.index
                            ))
                        })
                    })
                    .collect::<Result<Vec<Hash>, StoreError>>()?;
                Ok(merkle::combine(&hashes))
            })
            .collect()
    }

    /// The hashes of these perfect subtrees (level 0: the entry hashes), in one query each.
    pub(super) async fn subtree_hashes(
        &self,
        row_id: i64,
        wanted: &[merkle::Subtree],
    ) -> Result<HashMap<merkle::Subtree, Hash>, StoreError> {
        let mut known = HashMap::new();
        let (leaves, nodes): (Vec<&merkle::Subtree>, Vec<&merkle::Subtree>) =
            wanted.iter().partition(|s| s.level == 0);
        if !leaves.is_empty() {
            let list = placeholders_from(2, leaves.len());
            let sql = format!(
                "SELECT seq, entry_hash FROM entries WHERE circle = $1 AND seq IN ({list})"
            );
            let mut query = sqlx::query(&sql).bind(row_id);
            for leaf in &leaves {
                query = query.bind(leaf.index as i64);
            }
            for row in query.fetch_all(&self.pool).await? {
                let seq: i64 = row.try_get(0)?;
                known.insert(
                    merkle::Subtree {
                        level: 0,
                        index: seq as u64,
                    },
                    hash(&row.try_get::<Vec<u8>, _>(1)?)?,
                );
            }
        }
        if !nodes.is_empty() {
            let pairs: Vec<String> = (0..nodes.len())
                .map(|n| format!("(level = ${} AND idx = ${})", 2 + 2 * n, 3 + 2 * n))
                .collect();
            let sql = format!(
                "SELECT level, idx, hash FROM merkle_subtrees WHERE circle = $1 AND ({})",
                pairs.join(" OR ")
            );
            let mut query = sqlx::query(&sql).bind(row_id);
            for node in &nodes {
                query = query.bind(i64::from(node.level)).bind(node.index as i64);
            }
            for row in query.fetch_all(&self.pool).await? {
                let (level, index): (i64, i64) = (row.try_get(0)?, row.try_get(1)?);
                known.insert(
                    merkle::Subtree {
                        level: level as u32,
                        index: index as u64,
                    },
                    hash(&row.try_get::<Vec<u8>, _>(2)?)?,
                );
            }
        }
        Ok(known)
    }

    /// Stores any perfect subtree hash a circle lacks (a log written before they were kept),
    /// from its entry hashes, page by page. Returns how many were added.
    pub async fn ensure_subtrees(&self, info: &CircleInfo) -> Result<u64, StoreError> {
        let size = self.latest_tree_head(info).await?.tree_size;
        let expected = size - u64::from(size.count_ones());
        let stored: i64 = sqlx::query("SELECT COUNT(*) FROM merkle_subtrees WHERE circle = $1")
            .bind(info.row_id)
            .fetch_one(&self.pool)
            .await?
            .try_get(0)?;
        if stored as u64 >= expected {
            return Ok(0);
        }
        let mut frontier = merkle::Frontier::default();
        let mut pending = Vec::new();
        while frontier.size() < size {
            let page = self
                .entry_page(info.row_id, frontier.size() as i64, READ_PAGE_ENTRIES)
                .await?;
            if page.is_empty() {
                break;
            }
            for stored in &page {
                frontier.push_collecting(stored.hash, &mut pending);
            }
            let mut tx = self.pool.begin().await?;
            writer::insert_subtrees(&mut tx, self.backend, info.row_id, &pending).await?;
            tx.commit().await?;
            pending.clear();
        }
        Ok(expected - stored as u64)
    }

    /// Proof that the tree of the first `size1` entries is a prefix of the tree of `size2`:
    /// O(log n) reads of stored subtrees, never the whole log.
    pub async fn consistency_proof(
        &self,
        info: &CircleInfo,
        size1: u64,
        size2: u64,
    ) -> Result<Vec<Hash>, StoreError> {
        let size = self.latest_tree_head(info).await?.tree_size;
        if size1 == 0 || size1 > size2 || size2 > size {
            return Err(StoreError::NoSuchProof(format!(
                "a consistency proof needs 1 <= {size1} <= {size2} <= {size} entries"
            )));
        }
        let plan = merkle::consistency_plan(size1, size2);
        self.combine_plan(info, &plan).await
    }
}
