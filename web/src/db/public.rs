//! Public pages' tables: which circles opted in, their sections' texts, and the items shared
//! on them.

use sqlx::Row;

use super::{DbResult, NodeDb};
use crate::public::rules::{Section, SectionText, Shared};

impl NodeDb {
    /// Whether the circle's public page is on.
    pub async fn public_enabled(&self, circle: i64) -> DbResult<bool> {
        Ok(
            sqlx::query("SELECT enabled FROM public_circles WHERE circle = $1")
                .bind(circle)
                .fetch_optional(&self.pool)
                .await?
                .map(|row| row.try_get::<i64, _>(0))
                .transpose()?
                == Some(1),
        )
    }

    /// The circles whose public page is on.
    pub async fn public_circle_ids(&self) -> DbResult<Vec<i64>> {
        sqlx::query("SELECT circle FROM public_circles WHERE enabled = 1 ORDER BY circle")
            .fetch_all(&self.pool)
            .await?
            .iter()
            .map(|row| row.try_get::<i64, _>(0))
            .collect()
    }

    /// Every section text of a circle, in every language.
    pub async fn public_texts(&self, circle: i64) -> DbResult<Vec<SectionText>> {
        let rows = sqlx::query(
            "SELECT language, section, body FROM public_texts WHERE circle = $1 ORDER BY language, section",
        )
        .bind(circle)
        .fetch_all(&self.pool)
        .await?;
        let mut texts = Vec::new();
        for row in rows {
            let Some(section) = Section::parse(&row.try_get::<String, _>("section")?) else {
                continue;
            };
            texts.push(SectionText {
                language: row.try_get("language")?,
                section,
                body: row.try_get("body")?,
            });
        }
        Ok(texts)
    }

    /// Turns the page on or off and replaces its texts, in one transaction.
    pub async fn save_public_page(
        &self,
        circle: i64,
        enabled: bool,
        texts: &[SectionText],
        now_ms: i64,
    ) -> DbResult<()> {
        let mut tx = self.pool.begin().await?;
        sqlx::query(
            "INSERT INTO public_circles (circle, enabled, updated_at_ms) VALUES ($1, $2, $3)
             ON CONFLICT (circle) DO UPDATE SET enabled = excluded.enabled, updated_at_ms = excluded.updated_at_ms",
        )
        .bind(circle)
        .bind(i64::from(enabled))
        .bind(now_ms)
        .execute(&mut *tx)
        .await?;
        for text in texts {
            sqlx::query(
                "INSERT INTO public_texts (circle, language, section, body, updated_at_ms) VALUES ($1, $2, $3, $4, $5)
                 ON CONFLICT (circle, language, section) DO UPDATE SET body = excluded.body, updated_at_ms = excluded.updated_at_ms",
            )
            .bind(circle)
            .bind(&text.language)
            .bind(text.section.as_str())
            .bind(&text.body)
            .bind(now_ms)
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        self.changed();
        Ok(())
    }

    /// Shares an item on the public page, or takes it back.
    pub async fn set_shared(
        &self,
        (circle, kind, item): (i64, Shared, i64),
        shared_by: i64,
        shared: bool,
        now_ms: i64,
    ) -> DbResult<()> {
        if shared {
            sqlx::query(
                "INSERT INTO public_items (circle, kind, item, shared_by, shared_at_ms) VALUES ($1, $2, $3, $4, $5)
                 ON CONFLICT (circle, kind, item) DO NOTHING",
            )
            .bind(circle)
            .bind(kind.as_str())
            .bind(item)
            .bind(shared_by)
            .bind(now_ms)
            .execute(&self.pool)
            .await?;
        } else {
            sqlx::query("DELETE FROM public_items WHERE circle = $1 AND kind = $2 AND item = $3")
                .bind(circle)
                .bind(kind.as_str())
                .bind(item)
                .execute(&self.pool)
                .await?;
        }
        self.changed();
        Ok(())
    }

    /// The ids of a circle's items of a kind shared publicly, newest share first.
    pub async fn shared_items(&self, circle: i64, kind: Shared) -> DbResult<Vec<i64>> {
        sqlx::query(
            "SELECT item FROM public_items WHERE circle = $1 AND kind = $2 ORDER BY shared_at_ms DESC, item DESC LIMIT 500",
        )
        .bind(circle)
        .bind(kind.as_str())
        .fetch_all(&self.pool)
        .await?
        .iter()
        .map(|row| row.try_get::<i64, _>(0))
        .collect()
    }

    /// Whether one item is shared publicly.
    pub async fn is_shared(&self, circle: i64, kind: Shared, item: i64) -> DbResult<bool> {
        Ok(
            sqlx::query("SELECT 1 FROM public_items WHERE circle = $1 AND kind = $2 AND item = $3")
                .bind(circle)
                .bind(kind.as_str())
                .bind(item)
                .fetch_optional(&self.pool)
                .await?
                .is_some(),
        )
    }
}
