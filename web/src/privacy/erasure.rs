//! Leaving a circle and erasing one's account. Erasure waits a grace period (the person may
//! change their mind), then deletes their words and who they were, table by table, while the
//! ledger keeps every signed entry (pseudonymous, by circle key) and still verifies. A balance
//! is never settled silently: the account is erased only at zero, and a steward's last key in a
//! circle is handed on first.

#![allow(clippy::result_large_err)]

use crate::capability::FullAccount;
use std::net::IpAddr;

use commons_ledger::keys::PublicKey;
use commons_ledger::store::{CircleInfo, LIST_ENTRIES_MAX};

use crate::db::{MemberStatus, Membership, User};
use crate::services::{ActionError, Actor, Services, DAY_MS};

/// How long after asking an account is erased.
pub const ERASURE_GRACE_DAYS: i64 = 14;
/// Most memos erased per circle in one erasure (the member's own entries).
const MEMOS_ERASED_MAX: usize = 100_000;

/// What keeps an account from being erased (or a member from leaving) now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ErasureBlock {
    /// The balance in this circle is not zero: pay or be paid first, or ask a steward.
    Balance {
        circle: String,
        balance_minor: i64,
        unit: crate::views::Unit,
    },
    /// The person is the last steward of this circle.
    LastSteward { circle: String },
    /// A report about something the person wrote is still open (it waits, it is not refused).
    OpenReport,
    /// The person is the node's only administrator.
    OnlyAdmin,
}

/// The data page's view of erasure.
#[derive(Debug, Clone, Default)]
pub struct ErasureView {
    pub requested_at_ms: Option<i64>,
    pub erase_on_ms: Option<i64>,
    /// What the person must settle first (an open report about them is never among these:
    /// it is not theirs to know of before a moderator acts).
    pub blocks: Vec<ErasureBlock>,
    /// The grace period is over and the erasure waits (for an open case): said neutrally.
    pub waiting: bool,
}

impl Services {
    /// What stands in the way of erasing the person's account now.
    pub async fn erasure_blocks(&self, user: &User) -> Result<Vec<ErasureBlock>, ActionError> {
        let mut blocks = Vec::new();
        let circles = self.circles_by_row().await?;
        for membership in self.db.memberships_of(user.id).await? {
            if let Some(info) = circles.get(&membership.circle) {
                blocks.extend(self.leaving_blocks(info, &membership).await?);
            }
        }
        let asked = self
            .db
            .erasure_requested(user.id)
            .await?
            .unwrap_or(i64::MAX);
        if self.db.open_cases_about(user.id, asked).await? > 0 {
            blocks.push(ErasureBlock::OpenReport);
        }
        if user.is_node_admin && self.db.node_admin_count().await? <= 1 {
            blocks.push(ErasureBlock::OnlyAdmin);
        }
        Ok(blocks)
    }

    /// What keeps a member from leaving one circle: a balance, or being its last steward.
    async fn leaving_blocks(
        &self,
        info: &CircleInfo,
        membership: &Membership,
    ) -> Result<Vec<ErasureBlock>, ActionError> {
        let mut blocks = Vec::new();
        // A balance counts whatever the membership's status (a member who left may still have
        // been paid through a request answered later).
        let account = self.store.account(info, &membership.account_key).await?;
        if let Some(account) = account.filter(|a| a.balance_minor != 0) {
            blocks.push(ErasureBlock::Balance {
                circle: info.name.clone(),
                balance_minor: account.balance_minor,
                unit: crate::http::page::unit_of(info),
            });
        }
        let stewards = self.store.stewards(info).await?;
        let active = membership.status == MemberStatus::Active;
        if active && stewards.contains(&membership.account_key) && stewards.len() == 1 {
            blocks.push(ErasureBlock::LastSteward {
                circle: info.name.clone(),
            });
        }
        Ok(blocks)
    }

    /// The data page's erasure section.
    pub async fn erasure_view(&self, user: &FullAccount) -> Result<ErasureView, ActionError> {
        let requested_at_ms = self.db.erasure_requested(user.id).await?;
        let erase_on_ms = requested_at_ms.map(|at| at + ERASURE_GRACE_DAYS * DAY_MS);
        let (reports, blocks): (Vec<_>, Vec<_>) = self
            .erasure_blocks(user)
            .await?
            .into_iter()
            .partition(|block| *block == ErasureBlock::OpenReport);
        Ok(ErasureView {
            waiting: !reports.is_empty() && erase_on_ms.is_some_and(|on| on <= self.now_ms()),
            erase_on_ms,
            requested_at_ms,
            blocks,
        })
    }

    /// The person asks for their account to be erased, typing their password. Refused while
    /// a balance is not zero, while they are a circle's last steward or the node's only
    /// administrator, and to a login a circle's stewards recovered.
    pub async fn request_erasure(
        &self,
        user: &FullAccount,
        password: &str,
        from: Option<IpAddr>,
    ) -> Result<(), ActionError> {
        self.verify_password(user, password, from).await?;
        let refused = self
            .erasure_blocks(user)
            .await?
            .into_iter()
            .any(|block| block != ErasureBlock::OpenReport);
        if refused {
            return Err(crate::services::invalid(
                "password",
                "erasure-error-blocked",
            ));
        }
        self.db.request_erasure(user.id, self.now_ms()).await?;
        Ok(())
    }

    /// The person changed their mind during the grace period.
    pub async fn cancel_erasure(&self, user: &FullAccount) -> Result<(), ActionError> {
        Ok(self.db.cancel_erasure(user.id).await?)
    }

    /// The job: erases every account whose grace period ended and that nothing holds back.
    pub async fn erase_due(&self) -> Result<usize, ActionError> {
        let due = self
            .db
            .erasures_due(self.now_ms() - ERASURE_GRACE_DAYS * DAY_MS)
            .await?;
        let mut erased = 0;
        for user_id in due {
            erased += usize::from(self.erase_now(user_id).await?);
        }
        Ok(erased)
    }

    /// Erases one person now, if nothing holds it back (a balance made during the grace
    /// period, an open report): answers whether it was done. Safe to run again after a crash.
    pub async fn erase_now(&self, user_id: i64) -> Result<bool, ActionError> {
        let Some(user) = self.db.user(user_id).await? else {
            return Ok(false);
        };
        if !self.erasure_blocks(&user).await?.is_empty() {
            return Ok(false);
        }
        let circles = self.circles_by_row().await?;
        for membership in self.db.memberships_of(user.id).await? {
            if let Some(info) = circles.get(&membership.circle) {
                let mut keys = self.db.member_keys(info.row_id, user.id).await?;
                keys.push(membership.account_key);
                self.erase_memos(info, &keys).await?;
            }
        }
        let now = self.now_ms();
        self.market.erase_author(user.id, now).await?;
        self.governance.erase_author(user.id).await?;
        self.db.erase_news_author(user.id, now).await?;
        self.db.erase_discussion_author(user.id, now).await?;
        self.db.erase_person(user.id, now).await?;
        Ok(true)
    }

    /// Erases the memo text of every entry the person signed (the entries stay: a memo is
    /// kept apart from the hash it commits to).
    async fn erase_memos(&self, info: &CircleInfo, keys: &[PublicKey]) -> Result<(), ActionError> {
        let mut before = None;
        let mut seen = 0;
        loop {
            let page = self
                .store
                .account_entries(info, keys, true, before, LIST_ENTRIES_MAX)
                .await?;
            for stored in &page {
                if stored.memo.is_some() && keys.contains(&stored.entry.signed.record.author) {
                    self.store.erase_memo(info, stored.entry.seq).await?;
                }
            }
            seen += page.len();
            before = page.last().map(|e| e.entry.seq);
            if (page.len() as i64) < LIST_ENTRIES_MAX || seen >= MEMOS_ERASED_MAX {
                return Ok(());
            }
        }
    }

    /// A member leaves a circle: at a zero balance, and not as its last steward. Their
    /// listings close; their signed entries stay. Only the whole account leaves (`_account`:
    /// a recovered login cannot take the person out of a circle).
    pub async fn leave_circle(
        &self,
        actor: &Actor,
        _account: &FullAccount,
    ) -> Result<(), ActionError> {
        if !self
            .leaving_blocks(&actor.circle, &actor.membership)
            .await?
            .is_empty()
        {
            return Err(crate::services::invalid("leave", "leave-error-blocked"));
        }
        let circle = actor.circle.row_id;
        for listing in self.market.listings_of(circle, actor.user.id).await? {
            if listing.status != commons_market::listing::Status::Closed {
                self.market
                    .set_status(
                        circle,
                        listing.id,
                        actor.user.id,
                        commons_market::listing::Status::Closed,
                        None,
                        self.now_ms(),
                    )
                    .await?;
            }
        }
        self.db
            .set_membership_status(circle, actor.user.id, MemberStatus::Left)
            .await?;
        Ok(())
    }
}
