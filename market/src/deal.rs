//! A deal: the private agreement two members reach about one listing. "I can help" or "I'm
//! interested" opens it; either proposes terms; the other agrees; the payer confirms when the
//! work is done, with a signed transfer that names the deal. A pure state machine: each step
//! is checked here, and the store only records what this module allows.

use thiserror::Error;

use crate::listing::Side;

/// The party of a deal across a link who is a member of the other circle (no member of a
/// node has this id). Each node keeps its own member's side of such a deal and acts for the
/// other party only on the other node's signed word; the rules below are the same.
pub const ACROSS: i64 = -1;

/// Longest terms description, and longest message, in characters.
pub const TERMS_CHARS_MAX: usize = 1_000;
pub const MESSAGE_CHARS_MAX: usize = 2_000;
/// Longest public thank-you, in characters.
pub const THANKS_CHARS_MAX: usize = 280;
/// Most messages one conversation keeps (older ones stay; new ones are refused past this).
pub const MESSAGES_PER_DEAL_MAX: usize = 500;
/// Each of the two members' share of a conversation: neither can fill it for the other.
pub const MESSAGES_PER_AUTHOR_MAX: usize = MESSAGES_PER_DEAL_MAX / 2;
/// Most messages one member writes in one deal in an hour.
pub const MESSAGES_PER_AUTHOR_PER_HOUR_MAX: usize = 60;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    /// Talking; no terms on the table.
    Open,
    /// One side proposed terms; the other may agree.
    Proposed,
    /// Both agreed; waiting for the payer to confirm the work was done.
    Agreed,
    /// Confirmed (and paid, unless a gift).
    Completed,
    /// Either side called it off before completion.
    Cancelled,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Open => "open",
            Status::Proposed => "proposed",
            Status::Agreed => "agreed",
            Status::Completed => "completed",
            Status::Cancelled => "cancelled",
        }
    }
    pub fn parse(text: &str) -> Option<Status> {
        [
            Status::Open,
            Status::Proposed,
            Status::Agreed,
            Status::Completed,
            Status::Cancelled,
        ]
        .into_iter()
        .find(|s| s.as_str() == text)
    }
    pub fn is_closed(self) -> bool {
        matches!(self, Status::Completed | Status::Cancelled)
    }

    /// The steps a deal goes through, in order (a cancelled deal leaves them).
    pub const STEPS: [Status; 4] = [
        Status::Open,
        Status::Proposed,
        Status::Agreed,
        Status::Completed,
    ];

    /// How many of the steps are done (`None` once called off): a completed deal has done
    /// them all; any other is at the step after the last one done.
    pub fn steps_done(self) -> Option<usize> {
        match self {
            Status::Completed => Some(Status::STEPS.len()),
            other => Status::STEPS.iter().position(|step| *step == other),
        }
    }
}

/// What is proposed: what will be done, and for how much (or as a gift).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Terms {
    pub description: String,
    /// `None` for a gift: nothing will be paid.
    pub amount_minor: Option<i64>,
    pub proposed_by: i64,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Deal {
    pub id: i64,
    pub listing_id: i64,
    /// The listing's author, and the member who answered it.
    pub owner: i64,
    pub responder: i64,
    /// Who receives the help and pays for it: the responder to an offer, the author of a need.
    pub payer: i64,
    pub status: Status,
    pub terms: Option<Terms>,
    /// The ledger entry (sequence number) of the payment, once completed with one.
    pub payment_seq: Option<u64>,
}

/// Why a step was refused; each maps to a message in the catalogue.
#[derive(Debug, Error, Clone, Copy, PartialEq, Eq)]
pub enum DealError {
    #[error("only the two members of a deal can see or act on it")]
    NotAParty,
    #[error("you cannot answer your own listing")]
    OwnListing,
    #[error("this deal is already completed or cancelled")]
    Closed,
    #[error("there are no terms to agree to yet")]
    NoTerms,
    #[error("the other member must agree to the terms you proposed")]
    OwnTerms,
    #[error("the terms must be agreed before the deal is completed")]
    NotAgreed,
    #[error("only the member who pays confirms the deal is done")]
    NotThePayer,
    #[error("the terms need a description, and an amount above zero unless they are a gift")]
    TermsInvalid,
    #[error("you wrote {MESSAGES_PER_AUTHOR_PER_HOUR_MAX} messages in this deal in the last hour, or {MESSAGES_PER_AUTHOR_MAX} in all")]
    MessagingTooMuch,
    #[error("this conversation is full ({MESSAGES_PER_DEAL_MAX} messages)")]
    ConversationFull,
}

impl DealError {
    pub fn message_id(self) -> &'static str {
        match self {
            DealError::NotAParty => "deal-error-not-a-party",
            DealError::OwnListing => "deal-error-own-listing",
            DealError::Closed => "deal-error-closed",
            DealError::NoTerms => "deal-error-no-terms",
            DealError::OwnTerms => "deal-error-own-terms",
            DealError::NotAgreed => "deal-error-not-agreed",
            DealError::NotThePayer => "deal-error-not-the-payer",
            DealError::TermsInvalid => "deal-error-terms",
            DealError::MessagingTooMuch => "deal-error-messaging-too-much",
            DealError::ConversationFull => "deal-error-conversation-full",
        }
    }
}

/// The payer of a deal on a listing of `side` written by `owner` and answered by `responder`.
pub fn payer_for(side: Side, owner: i64, responder: i64) -> i64 {
    match side {
        Side::Offer => responder,
        Side::Need => owner,
    }
}

/// Opens a deal (not yet stored: its id is 0).
pub fn open(listing_id: i64, side: Side, owner: i64, responder: i64) -> Result<Deal, DealError> {
    if owner == responder {
        return Err(DealError::OwnListing);
    }
    Ok(Deal {
        id: 0,
        listing_id,
        owner,
        responder,
        payer: payer_for(side, owner, responder),
        status: Status::Open,
        terms: None,
        payment_seq: None,
    })
}

impl Deal {
    pub fn is_party(&self, member: i64) -> bool {
        member == self.owner || member == self.responder
    }
    /// The member who is paid (the other party).
    pub fn payee(&self) -> i64 {
        if self.payer == self.owner {
            self.responder
        } else {
            self.owner
        }
    }
    pub fn other_party(&self, member: i64) -> i64 {
        if member == self.owner {
            self.responder
        } else {
            self.owner
        }
    }

    fn check_open(&self, actor: i64) -> Result<(), DealError> {
        if !self.is_party(actor) {
            return Err(DealError::NotAParty);
        }
        if self.status.is_closed() {
            return Err(DealError::Closed);
        }
        Ok(())
    }

    /// Checks a message may be posted (parties only, any time before or after completion).
    pub fn may_message(&self, actor: i64) -> Result<(), DealError> {
        if !self.is_party(actor) {
            return Err(DealError::NotAParty);
        }
        Ok(())
    }

    /// Puts terms on the table (replacing any earlier proposal, even agreed ones: both must
    /// agree again).
    pub fn propose(
        &self,
        actor: i64,
        description: &str,
        amount_minor: Option<i64>,
    ) -> Result<Deal, DealError> {
        self.may_change(actor)?;
        let description = description.trim();
        if description.is_empty()
            || description.chars().count() > TERMS_CHARS_MAX
            || amount_minor.is_some_and(|a| a <= 0)
        {
            return Err(DealError::TermsInvalid);
        }
        Ok(Deal {
            status: Status::Proposed,
            terms: Some(Terms {
                description: description.to_string(),
                amount_minor,
                proposed_by: actor,
            }),
            ..self.clone()
        })
    }

    /// Checks `actor` may put terms on the table or call the deal off: a party, before the deal
    /// closed.
    pub fn may_change(&self, actor: i64) -> Result<(), DealError> {
        self.check_open(actor)
    }

    /// Checks `actor` may agree to the terms on the table: the party who did not propose them.
    pub fn may_agree(&self, actor: i64) -> Result<(), DealError> {
        self.check_open(actor)?;
        let terms = self.terms.as_ref().ok_or(DealError::NoTerms)?;
        if self.status != Status::Proposed {
            return Err(DealError::NoTerms);
        }
        if terms.proposed_by == actor {
            return Err(DealError::OwnTerms);
        }
        Ok(())
    }

    /// The other member agrees to the proposed terms.
    pub fn agree(&self, actor: i64) -> Result<Deal, DealError> {
        self.may_agree(actor)?;
        Ok(Deal {
            status: Status::Agreed,
            ..self.clone()
        })
    }

    /// Checks the payer may now confirm the deal done; the caller then pays (unless a gift)
    /// and records the payment with [`Deal::completed`]. Returns the amount to pay.
    pub fn may_complete(&self, actor: i64) -> Result<Option<i64>, DealError> {
        self.check_open(actor)?;
        if self.status != Status::Agreed {
            return Err(DealError::NotAgreed);
        }
        if actor != self.payer {
            return Err(DealError::NotThePayer);
        }
        Ok(self.terms.as_ref().and_then(|t| t.amount_minor))
    }

    /// The deal after the payer confirmed it, with the payment's entry if there was one.
    pub fn completed(&self, actor: i64, payment_seq: Option<u64>) -> Result<Deal, DealError> {
        self.may_complete(actor)?;
        Ok(Deal {
            status: Status::Completed,
            payment_seq,
            ..self.clone()
        })
    }

    /// Either member calls the deal off before it is completed.
    pub fn cancel(&self, actor: i64) -> Result<Deal, DealError> {
        self.may_change(actor)?;
        Ok(Deal {
            status: Status::Cancelled,
            ..self.clone()
        })
    }

    /// Checks a thank-you may be left: by a party, on a completed deal, short.
    pub fn may_thank(&self, actor: i64, text: &str) -> Result<(), DealError> {
        if !self.is_party(actor) {
            return Err(DealError::NotAParty);
        }
        if self.status != Status::Completed {
            return Err(DealError::NotAgreed);
        }
        let length = text.trim().chars().count();
        if length == 0 || length > THANKS_CHARS_MAX {
            return Err(DealError::TermsInvalid);
        }
        Ok(())
    }

    /// The reference the payment carries on the ledger (`Cause::Reference`).
    pub fn reference(&self) -> String {
        format!("deal:{}", self.id)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const OWNER: i64 = 1;
    const HELPER: i64 = 2;
    const STRANGER: i64 = 3;

    #[test]
    fn a_deal_s_steps_are_done_in_order_and_a_called_off_deal_leaves_them() {
        assert_eq!(Status::Open.steps_done(), Some(0));
        assert_eq!(Status::Agreed.steps_done(), Some(2));
        assert_eq!(Status::Completed.steps_done(), Some(Status::STEPS.len()));
        assert_eq!(Status::Cancelled.steps_done(), None);
    }

    #[test]
    fn what_a_page_offers_is_exactly_what_the_deal_allows() {
        let open_deal = open(10, Side::Offer, OWNER, HELPER).expect("opens");
        let proposed = open_deal
            .propose(OWNER, "A loaf", Some(100))
            .expect("proposes");
        let agreed = proposed.agree(HELPER).expect("agrees");
        let done = agreed.completed(HELPER, Some(3)).expect("completes");
        let cancelled = proposed.cancel(HELPER).expect("cancels");
        for deal in [&open_deal, &proposed, &agreed, &done, &cancelled] {
            for actor in [OWNER, HELPER, STRANGER] {
                assert_eq!(deal.may_agree(actor).is_ok(), deal.agree(actor).is_ok());
                assert_eq!(deal.may_change(actor).is_ok(), deal.cancel(actor).is_ok());
                assert_eq!(
                    deal.may_change(actor).is_ok(),
                    deal.propose(actor, "Two loaves", Some(200)).is_ok()
                );
                assert_eq!(
                    deal.may_complete(actor).is_ok(),
                    deal.completed(actor, None).is_ok()
                );
            }
        }
    }

    #[test]
    fn the_whole_path_of_a_deal_on_a_need() {
        // Owner needs help; helper answers "I can help": the owner pays.
        let deal = open(10, Side::Need, OWNER, HELPER).expect("opens");
        assert_eq!((deal.payer, deal.payee()), (OWNER, HELPER));
        let proposed = deal
            .propose(HELPER, "Fix the brakes, 2 hours", Some(200))
            .expect("proposes");
        assert_eq!(proposed.agree(HELPER), Err(DealError::OwnTerms));
        assert_eq!(proposed.may_complete(OWNER), Err(DealError::NotAgreed));
        let agreed = proposed.agree(OWNER).expect("agrees");
        assert_eq!(agreed.may_complete(HELPER), Err(DealError::NotThePayer));
        assert_eq!(agreed.may_complete(OWNER), Ok(Some(200)));
        let done = agreed.completed(OWNER, Some(7)).expect("completes");
        assert_eq!(done.status, Status::Completed);
        assert_eq!(done.cancel(OWNER), Err(DealError::Closed));
        assert_eq!(done.may_thank(HELPER, "Thank you, Ana!"), Ok(()));
        assert_eq!(done.may_thank(STRANGER, "hi"), Err(DealError::NotAParty));
    }

    #[test]
    fn on_an_offer_the_responder_pays_and_gifts_pay_nothing() {
        let deal = open(11, Side::Offer, OWNER, HELPER).expect("opens");
        assert_eq!(deal.payer, HELPER);
        let gift = deal
            .propose(OWNER, "Take the high chair", None)
            .expect("gift terms");
        let agreed = gift.agree(HELPER).expect("agrees");
        assert_eq!(agreed.may_complete(HELPER), Ok(None));
    }

    #[test]
    fn strangers_own_listings_and_bad_terms_are_refused() {
        assert_eq!(
            open(1, Side::Offer, OWNER, OWNER),
            Err(DealError::OwnListing)
        );
        let deal = open(1, Side::Offer, OWNER, HELPER).expect("opens");
        assert_eq!(deal.propose(STRANGER, "x", None), Err(DealError::NotAParty));
        assert_eq!(
            deal.propose(OWNER, "  ", None),
            Err(DealError::TermsInvalid)
        );
        assert_eq!(
            deal.propose(OWNER, "x", Some(0)),
            Err(DealError::TermsInvalid)
        );
        assert_eq!(deal.agree(HELPER), Err(DealError::NoTerms));
        let cancelled = deal.cancel(HELPER).expect("cancels");
        assert_eq!(cancelled.propose(OWNER, "x", None), Err(DealError::Closed));
    }

    #[test]
    fn new_terms_after_agreement_need_agreeing_again() {
        let deal = open(1, Side::Need, OWNER, HELPER).expect("opens");
        let agreed = deal
            .propose(HELPER, "1 hour", Some(100))
            .and_then(|d| d.agree(OWNER))
            .expect("agreed");
        let changed = agreed
            .propose(HELPER, "2 hours", Some(200))
            .expect("re-proposes");
        assert_eq!(changed.status, Status::Proposed);
        assert_eq!(changed.may_complete(OWNER), Err(DealError::NotAgreed));
    }
}
