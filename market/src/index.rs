//! The search index of one circle's listings, in memory: an inverted index of analysed terms
//! with BM25 ranking, filters and paging. It is pure (the store fills it and keeps it fresh),
//! so SQLite and PostgreSQL give the same results for the same data by construction.

use std::collections::HashMap;

use crate::listing::{Kind, Side, Status, ValueKind};
use crate::text::{self, Language};

/// Most results one search page returns.
pub const PAGE_LIMIT_MAX: usize = 50;
/// Deepest result a search can page to (offset + limit).
pub const RESULTS_DEPTH_MAX: usize = 1_000;

/// How much a word counts in each part of a listing: a title says what it is, tags were
/// chosen on purpose, a description wanders.
const TITLE_WEIGHT: u16 = 3;
const TAG_WEIGHT: u16 = 2;
const DESCRIPTION_WEIGHT: u16 = 1;
/// BM25's term-frequency saturation and length normalisation (the usual values).
const BM25_K1: f32 = 1.2;
const BM25_B: f32 = 0.75;

/// What the index knows of a listing besides its words.
#[derive(Debug, Clone, PartialEq)]
pub struct DocMeta {
    pub id: i64,
    /// The member (user id) who wrote it.
    pub owner: i64,
    pub side: Side,
    pub kind: Kind,
    pub status: Status,
    pub category: String,
    /// The area folded to lowercase, for comparison.
    pub area: String,
    pub location: Option<crate::listing::Location>,
    pub value: ValueKind,
    pub language: Language,
    pub created_ms: i64,
    pub expires_ms: i64,
    /// An event that has started, or whose places are all taken, is less available.
    pub event_starts_ms: Option<i64>,
    pub event_full: bool,
}

impl DocMeta {
    /// Active and not expired at `now_ms`: the only listings that are found and matched.
    pub fn is_live(&self, now_ms: i64) -> bool {
        self.status == Status::Active
            && self.expires_ms > now_ms
            && self.event_starts_ms.is_none_or(|start| start > now_ms)
    }
}

/// A listing as the index takes it in.
#[derive(Debug, Clone)]
pub struct DocInput {
    pub meta: DocMeta,
    pub title: String,
    pub description: String,
    pub tags: Vec<String>,
}

pub type TermId = u32;

#[derive(Debug, Clone)]
struct Slot {
    meta: DocMeta,
    /// (term, weighted frequency), each term once.
    terms: Vec<(TermId, u16)>,
    tag_terms: Vec<TermId>,
    length: u32,
}

/// Filters a search or browse applies; `None` means any.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Filters {
    pub side: Option<Side>,
    pub kind: Option<Kind>,
    /// A top-level path (`repairs`) takes its leaves too.
    pub category: Option<String>,
    /// Compared folded to lowercase.
    pub area: Option<String>,
    pub owner: Option<i64>,
    /// Paused, closed and expired listings too (a member's own listings page).
    pub include_inactive: bool,
    /// Owners whose listings this searcher does not see (blocks and mutes).
    pub hidden_owners: std::collections::BTreeSet<i64>,
    /// Listings this searcher does not see (hidden by a moderator, or held for review).
    pub hidden_listings: std::collections::BTreeSet<i64>,
}

/// One search's request.
#[derive(Debug, Clone, Default)]
pub struct Search {
    /// Empty: browse, newest first.
    pub text: String,
    pub language: Option<Language>,
    pub filters: Filters,
    pub offset: usize,
    pub limit: usize,
    pub now_ms: i64,
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Hit {
    pub id: i64,
    /// BM25 relevance; 0 when browsing.
    pub score: f32,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Page {
    pub hits: Vec<Hit>,
    /// Listings that pass the filters and the words (bounded by nothing: counted exactly).
    pub total: usize,
}

/// One circle's index.
#[derive(Debug, Default, Clone)]
pub struct Index {
    slots: Vec<Option<Slot>>,
    free: Vec<u32>,
    by_id: HashMap<i64, u32>,
    /// Each member's listings (ids).
    by_owner: HashMap<i64, Vec<i64>>,
    /// Each category's listings (ids).
    by_category: HashMap<String, Vec<i64>>,
    term_ids: HashMap<String, TermId>,
    /// Per term: (slot, weighted frequency).
    postings: Vec<Vec<(u32, u16)>>,
    length_total: u64,
    live_docs: usize,
}

impl Index {
    pub fn len(&self) -> usize {
        self.live_docs
    }
    pub fn is_empty(&self) -> bool {
        self.live_docs == 0
    }

    fn term_id(&mut self, term: &str) -> TermId {
        if let Some(id) = self.term_ids.get(term) {
            return *id;
        }
        let id = self.postings.len() as TermId;
        self.postings.push(Vec::new());
        self.term_ids.insert(term.to_string(), id);
        id
    }

    /// Adds a listing, or replaces it if its id is known.
    pub fn upsert(&mut self, input: DocInput) {
        self.remove(input.meta.id);
        let language = input.meta.language;
        let mut weights: HashMap<TermId, u32> = HashMap::new();
        let mut length = 0u32;
        let mut add = |index: &mut Index, terms: Vec<String>, weight: u16| {
            for term in terms {
                let id = index.term_id(&term);
                *weights.entry(id).or_default() += u32::from(weight);
                length += u32::from(weight);
            }
        };
        add(self, text::analyze(&input.title, language), TITLE_WEIGHT);
        add(
            self,
            text::analyze(&input.description, language),
            DESCRIPTION_WEIGHT,
        );
        let tag_terms: Vec<String> = input
            .tags
            .iter()
            .filter_map(|t| text::tag_term(t, language))
            .collect();
        add(self, tag_terms.clone(), TAG_WEIGHT);
        let mut tag_ids: Vec<TermId> = tag_terms.iter().map(|t| self.term_id(t)).collect();
        tag_ids.sort_unstable();
        tag_ids.dedup();
        let mut terms: Vec<(TermId, u16)> = weights
            .into_iter()
            .map(|(id, w)| (id, w.min(u32::from(u16::MAX)) as u16))
            .collect();
        terms.sort_unstable();
        let slot = match self.free.pop() {
            Some(slot) => slot,
            None => {
                self.slots.push(None);
                (self.slots.len() - 1) as u32
            }
        };
        for (term, weight) in &terms {
            self.postings[*term as usize].push((slot, *weight));
        }
        self.length_total += u64::from(length);
        self.live_docs += 1;
        self.by_id.insert(input.meta.id, slot);
        self.by_owner
            .entry(input.meta.owner)
            .or_default()
            .push(input.meta.id);
        self.by_category
            .entry(input.meta.category.clone())
            .or_default()
            .push(input.meta.id);
        self.slots[slot as usize] = Some(Slot {
            meta: input.meta,
            terms,
            tag_terms: tag_ids,
            length,
        });
    }

    /// Forgets a listing (it is not an error to forget one never added).
    pub fn remove(&mut self, id: i64) {
        let Some(slot) = self.by_id.remove(&id) else {
            return;
        };
        if let Some(old) = self.slots[slot as usize].take() {
            for (term, _) in &old.terms {
                self.postings[*term as usize].retain(|(s, _)| *s != slot);
            }
            self.length_total -= u64::from(old.length);
            self.live_docs -= 1;
            if let Some(owned) = self.by_owner.get_mut(&old.meta.owner) {
                owned.retain(|listing| *listing != id);
                if owned.is_empty() {
                    self.by_owner.remove(&old.meta.owner);
                }
            }
            if let Some(listed) = self.by_category.get_mut(&old.meta.category) {
                listed.retain(|listing| *listing != id);
                if listed.is_empty() {
                    self.by_category.remove(&old.meta.category);
                }
            }
        }
        self.free.push(slot);
    }

    pub fn meta(&self, id: i64) -> Option<&DocMeta> {
        let slot = self.by_id.get(&id)?;
        self.slots[*slot as usize].as_ref().map(|s| &s.meta)
    }

    fn average_length(&self) -> f32 {
        if self.live_docs == 0 {
            1.0
        } else {
            (self.length_total as f32 / self.live_docs as f32).max(1.0)
        }
    }

    /// Inverse document frequency (BM25's, never negative).
    pub fn idf(&self, term: TermId) -> f32 {
        let n = self.live_docs as f32;
        let df = self.postings[term as usize].len() as f32;
        ((n - df + 0.5) / (df + 0.5) + 1.0).ln()
    }

    fn passes(&self, meta: &DocMeta, filters: &Filters, now_ms: i64) -> bool {
        (filters.include_inactive || meta.is_live(now_ms))
            && filters.side.is_none_or(|s| s == meta.side)
            && filters.kind.is_none_or(|k| k == meta.kind)
            && filters.owner.is_none_or(|o| o == meta.owner)
            && !filters.hidden_owners.contains(&meta.owner)
            && !filters.hidden_listings.contains(&meta.id)
            && filters.category.as_deref().is_none_or(|c| {
                meta.category == c
                    || (meta.category.len() > c.len()
                        && meta.category.starts_with(c)
                        && meta.category.as_bytes()[c.len()] == b'/')
            })
            && filters
                .area
                .as_deref()
                .is_none_or(|a| meta.area == a.trim().to_lowercase())
    }

    /// Searches (words given) or browses (no words: newest first).
    pub fn search(&self, search: &Search) -> Page {
        let limit = search.limit.clamp(1, PAGE_LIMIT_MAX);
        let offset = search.offset.min(RESULTS_DEPTH_MAX.saturating_sub(limit));
        let groups = text::query(&search.text, search.language.unwrap_or(Language::English));
        if groups.is_empty() {
            return self.browse(&search.filters, search.now_ms, offset, limit);
        }
        let scored = self.score_groups(&groups);
        let mut hits: Vec<(u8, f32, i64)> = scored
            .into_iter()
            .filter_map(|(slot, matched, score)| {
                let meta = &self.slots[slot as usize].as_ref()?.meta;
                self.passes(meta, &search.filters, search.now_ms)
                    .then_some((matched, score, meta.id))
            })
            .collect();
        let total = hits.len();
        // More of the query's words first, then relevance, then the newer listing.
        let order = |a: &(u8, f32, i64), b: &(u8, f32, i64)| {
            b.0.cmp(&a.0).then(b.1.total_cmp(&a.1)).then(b.2.cmp(&a.2))
        };
        let wanted = (offset + limit).min(hits.len());
        if wanted > 0 && wanted < hits.len() {
            hits.select_nth_unstable_by(wanted - 1, order);
            hits.truncate(wanted);
        }
        hits.sort_unstable_by(order);
        Page {
            hits: hits
                .into_iter()
                .skip(offset)
                .take(limit)
                .map(|(_, score, id)| Hit { id, score })
                .collect(),
            total,
        }
    }

    /// BM25 per slot touched by any group: (slot, groups matched, score). Within a group the
    /// best alternative counts, so a word is not counted twice for matching in two languages.
    fn score_groups(&self, groups: &[Vec<String>]) -> Vec<(u32, u8, f32)> {
        let average = self.average_length();
        let mut score = vec![0f32; self.slots.len()];
        let mut matched = vec![0u8; self.slots.len()];
        let mut touched: Vec<u32> = Vec::new();
        let mut best_in_group: HashMap<u32, f32> = HashMap::new();
        for group in groups {
            best_in_group.clear();
            for term in group {
                let Some(&term_id) = self.term_ids.get(term) else {
                    continue;
                };
                let idf = self.idf(term_id);
                for &(slot, weight) in &self.postings[term_id as usize] {
                    let Some(entry) = self.slots[slot as usize].as_ref() else {
                        continue;
                    };
                    let tf = f32::from(weight);
                    let norm = 1.0 - BM25_B + BM25_B * entry.length as f32 / average;
                    let part = idf * tf * (BM25_K1 + 1.0) / (tf + BM25_K1 * norm);
                    let best = best_in_group.entry(slot).or_insert(0.0);
                    *best = best.max(part);
                }
            }
            for (&slot, &part) in &best_in_group {
                if matched[slot as usize] == 0 {
                    touched.push(slot);
                }
                matched[slot as usize] = matched[slot as usize].saturating_add(1);
                score[slot as usize] += part;
            }
        }
        touched
            .into_iter()
            .map(|slot| (slot, matched[slot as usize], score[slot as usize]))
            .collect()
    }

    fn browse(&self, filters: &Filters, now_ms: i64, offset: usize, limit: usize) -> Page {
        let mut ids: Vec<i64> = self
            .slots
            .iter()
            .flatten()
            .filter(|s| self.passes(&s.meta, filters, now_ms))
            .map(|s| s.meta.id)
            .collect();
        let total = ids.len();
        ids.sort_unstable_by(|a, b| b.cmp(a));
        Page {
            hits: ids
                .into_iter()
                .skip(offset)
                .take(limit)
                .map(|id| Hit { id, score: 0.0 })
                .collect(),
            total,
        }
    }

    /// A listing's words as a TF-IDF vector (log-scaled frequency × idf) and its length, for
    /// comparing two listings; `None` for an unknown id.
    pub fn vector(&self, id: i64) -> Option<(Vec<(TermId, f32)>, f32)> {
        let slot = self.by_id.get(&id)?;
        let entry = self.slots[*slot as usize].as_ref()?;
        let vector: Vec<(TermId, f32)> = entry
            .terms
            .iter()
            .map(|&(term, weight)| (term, (1.0 + f32::from(weight).ln()) * self.idf(term)))
            .collect();
        let norm = vector.iter().map(|(_, w)| w * w).sum::<f32>().sqrt();
        Some((vector, norm))
    }

    /// A listing's tag terms (sorted, unique).
    pub fn tag_terms(&self, id: i64) -> &[TermId] {
        self.by_id
            .get(&id)
            .and_then(|slot| self.slots[*slot as usize].as_ref())
            .map(|s| s.tag_terms.as_slice())
            .unwrap_or(&[])
    }

    /// Listings sharing words with `id`, best first by the summed weight of the shared words,
    /// at most `limit`; those passing `keep` only.
    pub fn sharing_words(
        &self,
        id: i64,
        limit: usize,
        keep: impl Fn(&DocMeta) -> bool,
    ) -> Vec<i64> {
        let Some((vector, _)) = self.vector(id) else {
            return Vec::new();
        };
        // Words in more than a fifth of a big circle's listings say little about a match and
        // cost the most to follow: they still count in the score, but find no candidates.
        let common_df = if self.live_docs >= 1_000 {
            self.live_docs / 5
        } else {
            usize::MAX
        };
        let mut score = vec![0f32; self.slots.len()];
        let mut touched: Vec<u32> = Vec::new();
        for (term, weight) in vector {
            let postings = &self.postings[term as usize];
            if postings.len() > common_df {
                continue;
            }
            for &(slot, _) in postings {
                let sum = &mut score[slot as usize];
                if *sum == 0.0 {
                    touched.push(slot);
                }
                *sum += weight.max(f32::MIN_POSITIVE);
            }
        }
        let mut found: Vec<(f32, i64)> = touched
            .into_iter()
            .filter_map(|slot| {
                let meta = &self.slots[slot as usize].as_ref()?.meta;
                (meta.id != id && keep(meta)).then_some((score[slot as usize], meta.id))
            })
            .collect();
        let order = |a: &(f32, i64), b: &(f32, i64)| b.0.total_cmp(&a.0).then(b.1.cmp(&a.1));
        if found.len() > limit && limit > 0 {
            found.select_nth_unstable_by(limit - 1, order);
            found.truncate(limit);
        }
        found.sort_unstable_by(order);
        found.into_iter().map(|(_, id)| id).collect()
    }

    /// The newest listings of one category passing `keep`, at most `limit`.
    pub fn newest_in_category(
        &self,
        category: &str,
        limit: usize,
        keep: impl Fn(&DocMeta) -> bool,
    ) -> Vec<i64> {
        let Some(listed) = self.by_category.get(category) else {
            return Vec::new();
        };
        let mut ids: Vec<i64> = listed
            .iter()
            .filter(|id| self.meta(**id).is_some_and(&keep))
            .copied()
            .collect();
        ids.sort_unstable_by(|a, b| b.cmp(a));
        ids.truncate(limit);
        ids
    }

    /// A member's listings, whatever their status.
    pub fn owned_by(&self, owner: i64) -> impl Iterator<Item = &DocMeta> {
        self.by_owner
            .get(&owner)
            .into_iter()
            .flatten()
            .filter_map(|id| self.meta(*id))
    }

    /// Every listing's metadata (for cycle search and tests).
    pub fn metas(&self) -> impl Iterator<Item = &DocMeta> {
        self.slots.iter().flatten().map(|s| &s.meta)
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    pub fn doc(id: i64, side: Side, kind: Kind, title: &str, category: &str) -> DocInput {
        DocInput {
            meta: DocMeta {
                id,
                owner: id,
                side,
                kind,
                status: Status::Active,
                category: category.into(),
                area: String::new(),
                location: None,
                value: ValueKind::ByAgreement,
                language: Language::English,
                created_ms: id,
                expires_ms: i64::MAX,
                event_starts_ms: None,
                event_full: false,
            },
            title: title.into(),
            description: String::new(),
            tags: Vec::new(),
        }
    }

    fn search(index: &Index, text: &str, filters: Filters) -> Vec<i64> {
        index
            .search(&Search {
                text: text.into(),
                filters,
                limit: 10,
                now_ms: 0,
                ..Search::default()
            })
            .hits
            .iter()
            .map(|h| h.id)
            .collect()
    }

    #[test]
    fn a_stemmed_word_finds_its_listing_and_more_words_rank_higher() {
        let mut index = Index::default();
        index.upsert(doc(
            1,
            Side::Offer,
            Kind::Skill,
            "Gardening on weekends",
            "home/gardening",
        ));
        index.upsert(doc(
            2,
            Side::Offer,
            Kind::Thing,
            "Garden tools to lend",
            "things/tools",
        ));
        index.upsert(doc(
            3,
            Side::Need,
            Kind::Thing,
            "A sofa",
            "things/furniture",
        ));
        assert_eq!(search(&index, "gardens", Filters::default()).len(), 2);
        assert_eq!(search(&index, "garden tool", Filters::default())[0], 2);
        let offers_of_things = Filters {
            kind: Some(Kind::Thing),
            ..Filters::default()
        };
        assert_eq!(search(&index, "garden", offers_of_things), vec![2]);
    }

    #[test]
    fn inactive_and_removed_listings_are_not_found_and_browse_is_newest_first() {
        let mut index = Index::default();
        index.upsert(doc(
            1,
            Side::Offer,
            Kind::Skill,
            "Bread baking",
            "food/baking-preserves",
        ));
        let mut paused = doc(
            2,
            Side::Offer,
            Kind::Skill,
            "Bread for all",
            "food/baking-preserves",
        );
        paused.meta.status = Status::Paused;
        index.upsert(paused);
        index.upsert(doc(3, Side::Offer, Kind::Skill, "Sourdough bread", "food"));
        index.remove(3);
        assert_eq!(search(&index, "bread", Filters::default()), vec![1]);
        let everything = Filters {
            include_inactive: true,
            ..Filters::default()
        };
        assert_eq!(search(&index, "", everything), vec![2, 1]);
        assert_eq!(
            search(
                &index,
                "",
                Filters {
                    category: Some("food".into()),
                    ..Filters::default()
                }
            ),
            vec![1]
        );
        assert_eq!(index.len(), 2);
    }

    #[test]
    fn paging_never_repeats_or_skips() {
        let mut index = Index::default();
        for id in 0..37 {
            index.upsert(doc(id, Side::Offer, Kind::Thing, "a chair", "things"));
        }
        let mut seen = Vec::new();
        for page in 0..4 {
            let found = index.search(&Search {
                text: "chairs".into(),
                offset: page * 10,
                limit: 10,
                ..Search::default()
            });
            assert_eq!(found.total, 37);
            seen.extend(found.hits.iter().map(|h| h.id));
        }
        let mut sorted = seen.clone();
        sorted.sort_unstable();
        sorted.dedup();
        assert_eq!(sorted.len(), 37, "{seen:?}");
    }
}
