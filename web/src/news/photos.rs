//! Photos on news posts: added by whoever may change the post (its author or a steward), each
//! with a description for people who cannot see it, re-encoded without metadata, served to the
//! circle's members (and to anyone, once the post is on the public page).

#![allow(clippy::result_large_err)]

use commons_market::photo;
use commons_market::store::MarketError;

use crate::db::news_photos::NewsPhoto;
use crate::db::people::NewPhoto;
use crate::news::rules;
use crate::services::{ActionError, Actor, Services};

impl Services {
    /// Adds a photo to a post (its author or a steward), unless it has the most photos a post
    /// may have.
    pub async fn add_news_photo(
        &self,
        actor: &Actor,
        post: i64,
        alt: &str,
        bytes: &[u8],
    ) -> Result<i64, ActionError> {
        self.check_not_suspended(actor)?;
        let alt = photo::parse_alt(alt).map_err(MarketError::from)?;
        let found = self.visible_news(actor, post).await?;
        if !rules::may_change(actor.is_steward, found.author_id == actor.user.id) || found.withdrawn
        {
            return Err(ActionError::Forbidden);
        }
        let processed = crate::market::service::processed_photo(bytes).await?;
        let new = NewPhoto {
            alt: &alt,
            full_jpeg: &processed.full_jpeg,
            thumb_jpeg: &processed.thumb_jpeg,
            width: i64::from(processed.width),
            height: i64::from(processed.height),
        };
        self.db
            .add_news_photo((actor.circle.row_id, found.id), &new, self.now_ms())
            .await?
            .ok_or(ActionError::Invalid {
                field: "photo",
                message_id: "news-photo-error-too-many",
            })
    }

    /// A post's photos, as the actor may see the post.
    pub async fn news_photos(
        &self,
        actor: &Actor,
        post: i64,
    ) -> Result<Vec<NewsPhoto>, ActionError> {
        let found = self.visible_news(actor, post).await?;
        Ok(self.db.news_photos(found.id).await?)
    }

    /// A photo's bytes, to a member who may see the post.
    pub async fn news_photo(
        &self,
        actor: &Actor,
        post: i64,
        photo: i64,
        thumb: bool,
    ) -> Result<Vec<u8>, ActionError> {
        let found = self.visible_news(actor, post).await?;
        self.db
            .news_photo_bytes((actor.circle.row_id, found.id, photo), thumb)
            .await?
            .ok_or(ActionError::NotFound)
    }

    /// Removes a photo from a post (its author or a steward).
    pub async fn delete_news_photo(
        &self,
        actor: &Actor,
        post: i64,
        photo: i64,
    ) -> Result<(), ActionError> {
        let found = self.visible_news(actor, post).await?;
        if !rules::may_change(actor.is_steward, found.author_id == actor.user.id) {
            return Err(ActionError::Forbidden);
        }
        Ok(self
            .db
            .delete_news_photo((actor.circle.row_id, found.id, photo))
            .await?)
    }

    /// A photo of a post on a circle's public page, to anyone.
    pub(crate) async fn public_news_photo(
        &self,
        slug: &str,
        post: i64,
        photo: i64,
    ) -> Result<Vec<u8>, ActionError> {
        let info = self.public_circle(slug).await?;
        let found = self.public_news_post(&info, post).await?;
        self.db
            .news_photo_bytes((info.row_id, found.id, photo), false)
            .await?
            .ok_or(ActionError::NotFound)
    }

    /// A post's photos on the public page.
    pub(crate) async fn public_news_photos(
        &self,
        post: i64,
    ) -> Result<Vec<NewsPhoto>, ActionError> {
        Ok(self.db.news_photos(post).await?)
    }
}
