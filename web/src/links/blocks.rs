//! Blocking a member of a linked circle, from a deal with them. On this node that is any
//! block (`blocks/`). On another node, whose accounts this node does not know, it is kept here
//! by their circle and username (`db/link_blocks.rs`), and this node holds it both ways: no
//! deal, message or request of theirs reaches the member, none of the member's reaches them,
//! and their listings are not shown to the member. Their node is not told (nobody learns of a
//! block); a payment already agreed is still settled, as within a circle.
//!
//! Who may: only the member, with their whole account (a recovered login cannot block or
//! unblock); the block is theirs alone to see and undo.

use commons_ledger::keys::Hash;

use crate::capability::FullAccount;
use crate::db::link_blocks::LinkBlockRow;
use crate::db::{BlockKind, User};
use crate::links::deals::DealStep;
use crate::names::Username;
use crate::services::*;

impl Services {
    /// Blocks the other member of a deal across, and calls the deal off if it is open. Their
    /// name, for the page that says so.
    pub async fn block_across(&self, actor: &Actor, deal_id: i64) -> Result<String, ActionError> {
        FullAccount::of(&actor.user)?;
        let across = self.link_deal_of(actor, deal_id).await?;
        let row = &across.row;
        if across.linked.partner.address.is_empty() {
            let username: Username = row
                .other_username
                .parse()
                .map_err(|_| ActionError::NotFound)?;
            self.block(actor, &username, BlockKind::Block).await?;
        } else if !self
            .db
            .set_link_block(
                actor.user.id,
                &row.partner,
                &row.other_username,
                &row.other_name,
                self.now_ms(),
            )
            .await?
        {
            return Err(invalid("member", "block-error-too-many"));
        }
        if row.deal().may_change(actor.user.id).is_ok() {
            if let Err(error) = self
                .step_deal_across(actor, deal_id, DealStep::Cancel, None)
                .await
            {
                tracing::warn!(
                    ?error,
                    "a blocked member's deal could not be called off now"
                );
            }
        }
        Ok(row.other_name.clone())
    }

    /// Undoes a block of a member of another node.
    pub async fn unblock_across(
        &self,
        user: &FullAccount,
        partner: &Hash,
        username: &str,
    ) -> Result<(), ActionError> {
        if self
            .db
            .remove_link_block(user.id, &partner.0, username)
            .await?
        {
            Ok(())
        } else {
            Err(ActionError::NotFound)
        }
    }

    /// The person's blocks of members of other nodes, newest first.
    pub async fn my_link_blocks(&self, user: &User) -> Result<Vec<LinkBlockRow>, ActionError> {
        Ok(self.db.link_blocks_of(user.id).await?)
    }

    /// Whether a block stands between `user_id` and `username` of the circle `partner` on
    /// another node (kept by this node: the member's own).
    pub(crate) async fn blocked_across(
        &self,
        user_id: i64,
        partner: &[u8; 32],
        username: &str,
    ) -> Result<bool, ActionError> {
        Ok(self.db.link_blocked(user_id, partner, username).await?)
    }
}
