//! People: a member's profile as others in the circle see it (skills, interests, what to ask
//! them about, their photo or a generated avatar, their offers, needs and thank-yous), the
//! directory searchable by name or skill, the members whose skills answer a need, and a
//! person's own profile words and photo.

#![allow(clippy::result_large_err)]

use std::collections::{BTreeSet, HashMap};

use commons_governance::moderation::TargetKind;
use commons_market::photo;
use commons_market::store::{Listing, MarketError};

use crate::db::people::{DirectoryExtras, NewPhoto, ProfileRow};
use crate::db::{Person, User, MEMBERS_PAGE_MAX};
use crate::ledger::read::DirectoryCard;
use crate::people::rules::{self, ProfileExtras};
use crate::services::{ActionError, Actor, Services};

/// Most members a need names as able to help.
pub const HELPERS_MAX: usize = 6;

/// A member in the directory, with their skills and whether they have a photo.
#[derive(Debug, Clone)]
pub struct DirectoryEntry {
    pub found: DirectoryCard,
    pub extras: DirectoryExtras,
}

impl Services {
    /// The circle's members whose name, or one of whose skills or interests, contains `search`
    /// (everyone when it is empty), by name; `skill` narrows to those who list that skill.
    pub async fn people_directory(
        &self,
        actor: &Actor,
        search: &str,
        skill: Option<&str>,
    ) -> Result<Vec<DirectoryEntry>, ActionError> {
        let search = search.trim();
        let mut found = self.directory(actor, search).await?;
        if !search.is_empty() {
            let by_tag = self
                .db
                .members_with_tag(actor.circle.row_id, search, MEMBERS_PAGE_MAX)
                .await?;
            let known: BTreeSet<i64> = found.iter().map(|f| f.card.user_id).collect();
            let everyone = self.directory(actor, "").await?;
            found.extend(
                everyone.into_iter().filter(|f| {
                    by_tag.contains(&f.card.user_id) && !known.contains(&f.card.user_id)
                }),
            );
            found.sort_by_key(|f| (f.card.display_name.to_lowercase(), f.card.user_id));
        }
        let ids: Vec<i64> = found.iter().map(|f| f.card.user_id).collect();
        let mut extras = self.db.directory_extras(&ids).await?;
        let moderated = self.moderated_filter(actor).await?;
        let skill = skill.map(rules::fold_tag).filter(|s| !s.is_empty());
        Ok(found
            .into_iter()
            .map(|found| {
                let mut extras = extras.remove(&found.card.user_id).unwrap_or_default();
                // A profile a moderator hid keeps its name, not its words.
                if moderated.hides(TargetKind::Profile, found.card.user_id) {
                    extras.skills.clear();
                }
                DirectoryEntry { found, extras }
            })
            .filter(|entry| {
                skill
                    .as_ref()
                    .is_none_or(|s| entry.extras.skills.contains(s))
            })
            .collect())
    }

    /// A member's profile words as the actor may see them (none when a moderator hid the
    /// profile, except to its owner).
    pub async fn profile_extras(
        &self,
        actor: &Actor,
        user_id: i64,
    ) -> Result<ProfileRow, ActionError> {
        let mut profile = self.db.profile_of(user_id).await?;
        if user_id != actor.user.id
            && self
                .moderated_filter(actor)
                .await?
                .hides(TargetKind::Profile, user_id)
        {
            profile = ProfileRow {
                photo_alt: profile.photo_alt,
                ..ProfileRow::default()
            };
        }
        Ok(profile)
    }

    /// A person's own profile words, for their settings.
    pub async fn my_profile_extras(&self, user: &User) -> Result<ProfileRow, ActionError> {
        Ok(self.db.profile_of(user.id).await?)
    }

    /// Saves a person's skills, interests, "ask me about" and public choice.
    pub async fn save_profile_extras(
        &self,
        user: &User,
        extras: &ProfileExtras,
    ) -> Result<(), ActionError> {
        Ok(self.db.save_profile_extras(user.id, extras).await?)
    }

    /// Keeps a person's photo: processed (resized, metadata dropped) first, one at a time.
    pub async fn set_profile_photo(
        &self,
        user: &User,
        alt: &str,
        bytes: &[u8],
    ) -> Result<(), ActionError> {
        let alt = photo::parse_alt(alt).map_err(MarketError::from)?;
        let processed = crate::market::service::processed_photo(bytes).await?;
        let new = NewPhoto {
            alt: &alt,
            full_jpeg: &processed.full_jpeg,
            thumb_jpeg: &processed.thumb_jpeg,
            width: i64::from(processed.width),
            height: i64::from(processed.height),
        };
        Ok(self
            .db
            .save_user_photo(user.id, &new, self.now_ms())
            .await?)
    }

    /// A person's own photo, for their settings.
    pub async fn own_photo(&self, user: &User, thumb: bool) -> Result<Vec<u8>, ActionError> {
        self.db
            .user_photo(user.id, thumb)
            .await?
            .map(|(bytes, _)| bytes)
            .ok_or(ActionError::NotFound)
    }

    /// Removes a person's photo (their generated avatar shows again).
    pub async fn remove_profile_photo(&self, user: &User) -> Result<(), ActionError> {
        Ok(self.db.delete_user_photo(user.id).await?)
    }

    /// A member's photo, to another member of the circle who may see them (not across a
    /// block, not a profile a moderator hid): its JPEG bytes.
    pub async fn member_photo(
        &self,
        actor: &Actor,
        username: &str,
        thumb: bool,
    ) -> Result<Vec<u8>, ActionError> {
        let found = self.active_member(actor, username).await?;
        let user_id = found.card.user_id;
        if user_id != actor.user.id {
            if self.hidden_from(actor).await?.contains(&user_id) {
                return Err(ActionError::NotFound);
            }
            if self
                .moderated_filter(actor)
                .await?
                .hides(TargetKind::Profile, user_id)
            {
                return Err(ActionError::NotFound);
            }
        }
        self.db
            .user_photo(user_id, thumb)
            .await?
            .map(|(bytes, _)| bytes)
            .ok_or(ActionError::NotFound)
    }

    /// Members whose skills answer a need (never its author, nor anyone across a block), best
    /// first: those with more matching skills.
    pub async fn helpers_for(
        &self,
        actor: &Actor,
        need: &Listing,
    ) -> Result<Vec<(Person, Vec<String>)>, ActionError> {
        let words = rules::need_words(&need.title, &need.description, &need.tags);
        let hidden = self.hidden_from(actor).await?;
        let mut scored: Vec<(usize, i64, Vec<String>)> = self
            .db
            .skilled_members(actor.circle.row_id)
            .await?
            .into_iter()
            .filter(|(user, _)| {
                *user != need.owner && *user != actor.user.id && !hidden.contains(user)
            })
            .filter_map(|(user, skills)| {
                let answering: Vec<String> = skills
                    .into_iter()
                    .filter(|s| rules::skill_answers(s, &need.tags, &words))
                    .collect();
                (!answering.is_empty()).then_some((answering.len(), user, answering))
            })
            .collect();
        scored.sort_by_key(|(count, user, _)| (std::cmp::Reverse(*count), *user));
        scored.truncate(HELPERS_MAX);
        let ids: Vec<i64> = scored.iter().map(|(_, user, _)| *user).collect();
        let mut people: HashMap<i64, Person> = self.people_by_id(actor, &ids).await?;
        Ok(scored
            .into_iter()
            .filter_map(|(_, user, skills)| people.remove(&user).map(|p| (p, skills)))
            .collect())
    }
}
