//! What the rest of the web needs to know about linked circles: who a partner circle is (its
//! name, unit and where it lives), the circle's links with their terms, and the peers that
//! carry a payment across.

use std::collections::HashMap;

use commons_ledger::crossing::LinkStatus;
use commons_ledger::keys::{Hash, PublicKey};
use commons_ledger::store::{CircleInfo, LinkRow};

use crate::services::{invalid, ActionError, Actor, Services};

/// Another circle as this node knows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PartnerCircle {
    pub circle_id: Hash,
    /// How a steward names it on a form: its slug on this node, or its address on another
    /// (`https://node.example/c/repair`).
    pub reference: String,
    /// Its slug on its own node.
    pub slug: String,
    pub name: String,
    pub unit_name: String,
    pub unit_symbol: String,
    pub decimals: u8,
    pub node_key: PublicKey,
    /// Empty on this node.
    pub address: String,
}

/// One of a circle's links with its partner, as a page shows it.
#[derive(Debug, Clone)]
pub struct LinkedCircle {
    pub link: LinkRow,
    pub partner: PartnerCircle,
}

impl LinkedCircle {
    pub fn is_open(&self) -> bool {
        self.link.status == LinkStatus::Open
    }
    /// Whether the other circle proves what it records (a circle of this protocol), rather
    /// than being taken on its word (a Credit Commons node, which only carries payments).
    pub fn is_proved(&self) -> bool {
        self.link.terms.trust.is_proved()
    }
}

/// A circle on another node as pages and forms show it.
fn partner_of(remote: &crate::db::link_partners::RemoteCircle) -> PartnerCircle {
    PartnerCircle {
        circle_id: Hash(remote.circle_id),
        // A Credit Commons node (no node key) is named by its API address.
        reference: if remote.node_key == commons_ledger::crossing::NO_NODE_KEY {
            remote.address.clone()
        } else {
            format!("{}/c/{}", remote.address, remote.slug)
        },
        slug: remote.slug.clone(),
        name: remote.name.clone(),
        unit_name: remote.unit_name.clone(),
        unit_symbol: remote.unit_symbol.clone(),
        decimals: remote.decimals,
        node_key: PublicKey::from_raw(remote.node_key),
        address: remote.address.clone(),
    }
}

/// The link form's error for an address a proposal cannot name.
fn address_refused(error: crate::links::peers::AddressError) -> ActionError {
    match error {
        crate::links::peers::AddressError::Private => invalid("link_circle", "link-error-private"),
        crate::links::peers::AddressError::NotAnAddress => {
            invalid("link_circle", "link-error-address")
        }
    }
}

/// The circles a list of actions names (links made or changed).
pub fn partners_named(actions: &[commons_ledger::entry::Action]) -> Vec<Hash> {
    use commons_ledger::entry::Action;
    actions
        .iter()
        .filter_map(|action| match action {
            Action::Link(terms) => Some(terms.partner),
            Action::SetLinkStatus { partner, .. } => Some(*partner),
            _ => None,
        })
        .collect()
}

impl Services {
    /// The partner a steward names on a form: a circle of this node by its slug, never the
    /// circle itself.
    pub(crate) async fn partner_named(
        &self,
        actor: &Actor,
        reference: &str,
    ) -> Result<PartnerCircle, ActionError> {
        let reference = reference
            .trim()
            .trim_start_matches("/c/")
            .trim_end_matches('/');
        if reference.is_empty() || reference.len() > 200 {
            return Err(invalid("link_circle", "link-error-circle"));
        }
        if reference.contains("://") {
            return self.remote_partner(actor, reference).await;
        }
        let info = match self.store.circle(reference).await {
            Ok(info) => info,
            Err(commons_ledger::store::StoreError::NoSuchCircle(_)) => {
                return Err(invalid("link_circle", "link-error-circle"))
            }
            Err(error) => return Err(error.into()),
        };
        if info.circle_id == actor.circle.circle_id {
            return Err(invalid("link_circle", "link-error-itself"));
        }
        self.local_partner(&info).await
    }

    /// A circle on another node, from its descriptor there (kept, so pages can name it).
    async fn remote_partner(
        &self,
        actor: &Actor,
        typed: &str,
    ) -> Result<PartnerCircle, ActionError> {
        let (base, slug) = self
            .federation
            .circle_address(typed)
            .map_err(address_refused)?;
        let unreachable = || invalid("link_circle", "link-error-unreachable");
        let descriptor = self
            .federation
            .describe(&base, &slug)
            .await
            .map_err(|error| {
                tracing::info!(%base, %slug, %error, "a linked circle's descriptor could not be read");
                unreachable()
            })?;
        let circle_id = Hash::from_hex(&descriptor.circle_id).map_err(|_| unreachable())?;
        let node_key = descriptor
            .node_key
            .parse::<PublicKey>()
            .map_err(|_| unreachable())?;
        let bounded = |text: &str| !text.trim().is_empty() && text.len() <= 200;
        if descriptor.format != crate::links::peers::DESCRIPTOR_FORMAT
            || descriptor.slug != slug
            || circle_id == actor.circle.circle_id
            || descriptor.decimals > 4
            || ![
                &descriptor.name,
                &descriptor.unit_name,
                &descriptor.unit_symbol,
            ]
            .iter()
            .all(|text| bounded(text))
        {
            return Err(unreachable());
        }
        let remote = crate::db::link_partners::RemoteCircle {
            circle_id: circle_id.0,
            address: base,
            slug,
            name: descriptor.name,
            unit_name: descriptor.unit_name,
            unit_symbol: descriptor.unit_symbol,
            decimals: descriptor.decimals,
            node_key: *node_key.as_bytes(),
        };
        self.db.keep_remote_circle(&remote, self.now_ms()).await?;
        Ok(partner_of(&remote))
    }

    /// A Credit Commons node a link proposal names: its API address and its name in its tree,
    /// and this circle's name there (kept, so pages can name it).
    pub(crate) async fn cc_partner_named(
        &self,
        actor: &Actor,
        input: &crate::governance::ProposalInput,
    ) -> Result<(PartnerCircle, commons_ledger::crossing::LinkTrust), ActionError> {
        use commons_ledger::crossing::{cc_partner_id, is_cc_path, LinkTrust, NO_NODE_KEY};
        let address = self
            .federation
            .cc_address(&input.link_circle)
            .map_err(address_refused)?;
        let (their_path, our_path) = (
            input.link_cc_path.trim().to_owned(),
            input.link_cc_our_path.trim().to_owned(),
        );
        if !is_cc_path(&their_path) || !is_cc_path(&our_path) || their_path == our_path {
            return Err(invalid("link_cc_path", "link-error-cc-path"));
        }
        let circle_id = cc_partner_id(&address, &their_path);
        if circle_id == actor.circle.circle_id {
            return Err(invalid("link_circle", "link-error-itself"));
        }
        let remote = crate::db::link_partners::RemoteCircle {
            circle_id: circle_id.0,
            address,
            slug: their_path.clone(),
            name: format!("Credit Commons: {their_path}"),
            unit_name: format!("{their_path} credits"),
            unit_symbol: "cc".into(),
            decimals: crate::links::cc::wire::CC_DECIMALS as u8,
            node_key: NO_NODE_KEY,
        };
        self.db.keep_remote_circle(&remote, self.now_ms()).await?;
        Ok((
            partner_of(&remote),
            LinkTrust::OnItsWord {
                their_path,
                our_path,
            },
        ))
    }

    async fn local_partner(&self, info: &CircleInfo) -> Result<PartnerCircle, ActionError> {
        Ok(PartnerCircle {
            circle_id: info.circle_id,
            reference: info.slug.clone(),
            slug: info.slug.clone(),
            name: info.name.clone(),
            unit_name: info.unit_name.clone(),
            unit_symbol: info.unit_symbol.clone(),
            decimals: info.decimals,
            node_key: self.store.node_secret(info).await?.public_key(),
            address: String::new(),
        })
    }

    /// The circles these ids name, as far as this node knows them.
    pub(crate) async fn partners(
        &self,
        ids: Vec<Hash>,
    ) -> Result<HashMap<Hash, PartnerCircle>, ActionError> {
        let mut found = HashMap::new();
        for id in ids {
            if found.contains_key(&id) {
                continue;
            }
            if let Some(info) = self.store.circle_by_id(&id).await? {
                found.insert(id, self.local_partner(&info).await?);
            } else if let Some(remote) = self.db.remote_circle(&id.0).await? {
                found.insert(id, partner_of(&remote));
            }
        }
        Ok(found)
    }

    /// The circle's links (open, suspended or closed) with who they are with.
    pub async fn linked_circles(
        &self,
        circle: &CircleInfo,
    ) -> Result<Vec<LinkedCircle>, ActionError> {
        let links = self.store.links(circle).await?;
        let ids: Vec<Hash> = links.iter().map(|row| row.terms.partner).collect();
        let partners = self.partners(ids).await?;
        Ok(links
            .into_iter()
            .filter_map(|link| {
                let partner = partners.get(&link.terms.partner)?.clone();
                Some(LinkedCircle { link, partner })
            })
            .collect())
    }

    /// Names for the connector accounts of a circle's links ("Repair Café"), to merge into the
    /// names a ledger page shows.
    pub async fn connector_names(
        &self,
        circle: &CircleInfo,
    ) -> Result<HashMap<PublicKey, String>, ActionError> {
        Ok(self
            .linked_circles(circle)
            .await?
            .into_iter()
            .map(|linked| {
                (
                    commons_ledger::crossing::connector_key(&linked.partner.circle_id),
                    linked.partner.name,
                )
            })
            .collect())
    }

    /// An active member called `username` in a circle linked with the actor's (on this node),
    /// for the reach rule's choices (a block reaches across a link).
    pub(crate) async fn member_across(
        &self,
        actor: &Actor,
        username: &crate::names::Username,
    ) -> Result<Option<crate::db::MemberCard>, ActionError> {
        for linked in self.linked_circles(&actor.circle).await? {
            let Some(info) = self.store.circle_by_id(&linked.partner.circle_id).await? else {
                continue;
            };
            let card = self
                .db
                .member_by_username(info.row_id, username.as_str())
                .await?
                .filter(|card| card.status == crate::db::MemberStatus::Active);
            if card.is_some() {
                return Ok(card);
            }
        }
        Ok(None)
    }

    /// The username the pay-across form's "who" field names among the active members of the
    /// linked circle (see [`Services::member_named`]). A circle on another node keeps its own
    /// members' names: the username goes as typed, and that node says who it is (or nobody).
    pub(crate) async fn member_named_across(
        &self,
        actor: &Actor,
        linked: &LinkedCircle,
        typed: &str,
    ) -> Result<String, ActionError> {
        if !linked.partner.address.is_empty() {
            return Ok(typed.trim().trim_start_matches('@').to_owned());
        }
        let info = match self.store.circle(&linked.partner.reference).await {
            Ok(info) => info,
            Err(commons_ledger::store::StoreError::NoSuchCircle(_)) => {
                return Err(invalid("circle", "cross-error-circle"))
            }
            Err(error) => return Err(error.into()),
        };
        self.member_named_in(info.row_id, actor.user.id, typed)
            .await
    }

    /// How the holds among `entries` settled (a hold not settled yet is absent).
    pub(crate) async fn settlements_among(
        &self,
        circle: &CircleInfo,
        entries: &[commons_ledger::store::StoredEntry],
    ) -> Result<HashMap<Hash, commons_ledger::crossing::Settlement>, ActionError> {
        let holds: Vec<Hash> = entries
            .iter()
            .filter(|stored| {
                matches!(
                    stored.entry.signed.record.body,
                    commons_ledger::entry::Body::Hold(_)
                )
            })
            .map(|stored| stored.hash)
            .collect();
        Ok(self.store.settlements_of(circle, &holds).await?)
    }

    /// Names for the connector keys of the circles these actions link with (a proposal's page
    /// says "linked with Hillside Repair Café", not a key).
    pub(crate) async fn name_partners(
        &self,
        actions: &[commons_ledger::entry::Action],
        names: &mut HashMap<PublicKey, String>,
    ) -> Result<(), ActionError> {
        for partner in self.partners(partners_named(actions)).await?.into_values() {
            names.insert(
                commons_ledger::crossing::connector_key(&partner.circle_id),
                partner.name,
            );
        }
        Ok(())
    }
}
