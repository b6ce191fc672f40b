//! The proposal form's link actions: link with another circle on stated terms (the exchange
//! rate as two amounts, one in each unit, and the limits of the balance of trade), or change
//! a link's status. Parsed once into ledger actions; filled back from a stored proposal.

#![allow(clippy::result_large_err)]

use std::collections::HashMap;

use commons_ledger::amount::Decimals;
use commons_ledger::crossing::{LinkStatus, LinkTerms};
use commons_ledger::entry::Action;
use commons_ledger::keys::Hash;

use crate::governance::ProposalInput;
use crate::links::PartnerCircle;
use crate::services::{invalid, ActionError, Actor, Services};

fn decimals_of(places: u8) -> Decimals {
    Decimals::new(u32::from(places)).unwrap_or(Decimals::new(0).expect("zero places"))
}

impl ProposalInput {
    /// Fills the link fields from a link's terms.
    pub fn fill_link(
        &mut self,
        terms: &LinkTerms,
        decimals: Decimals,
        partners: &HashMap<Hash, PartnerCircle>,
    ) {
        self.action = "link".into();
        let partner = partners.get(&terms.partner);
        self.link_circle = partner.map(|p| p.reference.clone()).unwrap_or_default();
        self.link_rate_here = decimals.format(terms.rate_here_minor);
        self.link_rate_there = match partner {
            Some(partner) => decimals_of(partner.decimals).format(terms.rate_there_minor),
            None => terms.rate_there_minor.to_string(),
        };
        self.link_out_max = decimals.format(terms.out_max_minor);
        self.link_in_max = decimals.format(terms.in_max_minor);
        self.link_shares_market = terms.shares_market.then(|| "on".into());
        if let commons_ledger::crossing::LinkTrust::OnItsWord {
            their_path,
            our_path,
        } = &terms.trust
        {
            self.link_circle = terms.address.clone();
            self.link_cc_path = their_path.clone();
            self.link_cc_our_path = our_path.clone();
        }
    }

    /// Fills the link fields from a change of a link's status.
    pub fn fill_link_status(
        &mut self,
        partner: &Hash,
        status: LinkStatus,
        partners: &HashMap<Hash, PartnerCircle>,
    ) {
        self.action = "link-status".into();
        self.link_circle = partners
            .get(partner)
            .map(|p| p.reference.clone())
            .unwrap_or_default();
        self.link_status = status.as_str().into();
    }
}

impl Services {
    /// Action::Link from the form: the partner circle, the rate and the limits.
    pub(crate) async fn parse_link(
        &self,
        actor: &Actor,
        input: &ProposalInput,
    ) -> Result<Action, ActionError> {
        let on_its_word =
            !input.link_cc_path.trim().is_empty() || !input.link_cc_our_path.trim().is_empty();
        let (partner, trust) = if on_its_word {
            let (partner, trust) = self.cc_partner_named(actor, input).await?;
            (partner, trust)
        } else {
            let partner = self.partner_named(actor, &input.link_circle).await?;
            (partner, commons_ledger::crossing::LinkTrust::Proved)
        };
        let here = decimals_of(actor.circle.decimals);
        let there = decimals_of(partner.decimals);
        let positive = |decimals: Decimals, text: &str, field: &'static str| {
            decimals
                .parse_minor(text.trim())
                .ok()
                .filter(|minor| *minor > 0)
                .ok_or_else(|| invalid(field, "link-error-rate"))
        };
        let limit = |text: &str, field: &'static str| {
            here.parse_minor(text.trim())
                .ok()
                .filter(|minor| *minor >= 0)
                .ok_or_else(|| invalid(field, "link-error-limit"))
        };
        let terms = LinkTerms {
            partner: partner.circle_id,
            partner_node_key: partner.node_key,
            address: partner.address.clone(),
            rate_here_minor: positive(here, &input.link_rate_here, "link_rate_here")?,
            rate_there_minor: positive(there, &input.link_rate_there, "link_rate_there")?,
            out_max_minor: limit(&input.link_out_max, "link_out_max")?,
            in_max_minor: limit(&input.link_in_max, "link_in_max")?,
            shares_market: input.link_shares_market.is_some() && trust.is_proved(),
            trust,
        };
        terms
            .rate()
            .map_err(|_| invalid("link_rate_here", "link-error-rate"))?;
        Ok(Action::Link(terms))
    }

    /// Action::SetLinkStatus from the form: a circle this one is linked with, and the status.
    pub(crate) async fn parse_link_status(
        &self,
        actor: &Actor,
        input: &ProposalInput,
    ) -> Result<Action, ActionError> {
        let partner = self.partner_named(actor, &input.link_circle).await?;
        if self
            .store
            .link(&actor.circle, &partner.circle_id)
            .await?
            .is_none()
        {
            return Err(invalid("link_circle", "link-error-not-linked"));
        }
        let status = match input.link_status.as_str() {
            "open" => LinkStatus::Open,
            "suspended" => LinkStatus::Suspended,
            "closed" => LinkStatus::Closed,
            _ => return Err(invalid("link_status", "link-error-status")),
        };
        Ok(Action::SetLinkStatus {
            partner: partner.circle_id,
            status,
        })
    }
}
