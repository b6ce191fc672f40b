//! Carrying relays to linked circles: in process for a circle of this node, over HTTP for a
//! circle on another node (`POST {address}/api/federation/transaction/relay`, JSON). The only
//! requests this node ever makes to another are these, to the addresses its circles'
//! proposals named, and the descriptor a member's link proposal asks for.
//!
//! An address is a node's base URL, `http` or `https`, with no path, query or user. Addresses
//! on this machine or a private network are refused unless the node is told otherwise
//! (`WebConfig::federation_private_addresses`, for tests and a region's own network): a member
//! must not make the node call what only the node can reach. Answers are bounded in size, and
//! redirects are not followed.

use std::future::Future;
use std::net::IpAddr;
use std::pin::Pin;
use std::time::Duration;

use commons_ledger::relay::{Answer, Relay};
use commons_ledger::store::{
    CircleInfo, LinkRow, PeerError, Peers, ReceiveError, Store, WordAnswer,
};
use serde::{Deserialize, Serialize};

/// Where a node answers relays, under its base address.
pub const RELAY_PATH: &str = "/api/federation/transaction/relay";
/// Where a node describes one of its circles, under its base address (then the slug).
pub const CIRCLE_PATH: &str = "/api/federation/circles/";
/// Largest answer read from another node.
pub const PEER_ANSWER_BYTES_MAX: usize = 512 * 1024;
/// Longest wait for another node.
pub const PEER_TIMEOUT_MS: u64 = 10_000;
pub const DESCRIPTOR_FORMAT: &str = "commons.link.circle";

/// What a node says of one of its circles, for a link with it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CircleDescriptor {
    pub format: String,
    pub circle_id: String,
    pub slug: String,
    pub name: String,
    pub unit_name: String,
    pub unit_symbol: String,
    pub decimals: u8,
    /// The key that signs the circle's tree heads (and so its answers).
    pub node_key: String,
}

/// Why another node's address or answer is not usable.
#[derive(Debug, thiserror::Error, Clone, PartialEq, Eq)]
pub enum AddressError {
    #[error("the address is not an http or https address of a node")]
    NotAnAddress,
    #[error("the address is on this machine or a private network")]
    Private,
}

/// How long a payee another node named is remembered (the confirmation page and the payment
/// after it ask once; a payee who left meanwhile is refused by their node, and nothing moves).
pub const PAYEE_REMEMBERED_MS: u64 = 10 * 60 * 1000;
/// Most payees remembered.
pub const PAYEES_REMEMBERED_MAX: u64 = 10_000;

/// (the partner circle's id, a username) → (their name, their account key there).
type RemotePayees = commons_ledger::store::cache::ReadCache<
    ([u8; 32], String),
    (String, commons_ledger::keys::PublicKey),
>;

/// How long the circles a linked circle passes payments on to are remembered.
pub const ROUTES_REMEMBERED_MS: u64 = 5 * 60 * 1000;
/// Most linked circles whose routes are remembered.
pub const ROUTES_REMEMBERED_MAX: u64 = 1_000;

/// (the middle circle's id, the asking circle's id) → the circles it passes payments on to.
type RemoteRoutes = commons_ledger::store::cache::ReadCache<
    ([u8; 32], [u8; 32]),
    Vec<crate::links::onward::RouteEnd>,
>;

/// The HTTP side of federation: one client for every call to another node.
#[derive(Debug, Clone)]
pub struct Federation {
    http: reqwest::Client,
    private_addresses: bool,
    pub(crate) payees: std::sync::Arc<RemotePayees>,
    pub(crate) routes: std::sync::Arc<RemoteRoutes>,
}

impl Federation {
    pub fn new(private_addresses: bool) -> Federation {
        let http = reqwest::Client::builder()
            .timeout(Duration::from_millis(PEER_TIMEOUT_MS))
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap_or_default();
        Federation {
            http,
            private_addresses,
            payees: std::sync::Arc::new(RemotePayees::with_ttl(
                PAYEES_REMEMBERED_MAX,
                commons_ledger::store::cache::weigh_one,
                Duration::from_millis(PAYEE_REMEMBERED_MS),
            )),
            routes: std::sync::Arc::new(RemoteRoutes::with_ttl(
                ROUTES_REMEMBERED_MAX,
                commons_ledger::store::cache::weigh_one,
                Duration::from_millis(ROUTES_REMEMBERED_MS),
            )),
        }
    }

    /// A node's base address and a circle's slug from what a member typed: the circle's
    /// address on its node, `https://node.example/c/repair`.
    pub fn circle_address(&self, typed: &str) -> Result<(String, String), AddressError> {
        let url = reqwest::Url::parse(typed.trim()).map_err(|_| AddressError::NotAnAddress)?;
        let slug = url
            .path()
            .strip_prefix("/c/")
            .map(|rest| rest.trim_end_matches('/'))
            .filter(|slug| !slug.is_empty() && !slug.contains('/'))
            .ok_or(AddressError::NotAnAddress)?
            .to_owned();
        let base = self.node_base(&url)?;
        Ok((base, slug))
    }

    /// The base address of the node `url` is on, checked.
    fn node_base(&self, url: &reqwest::Url) -> Result<String, AddressError> {
        if !matches!(url.scheme(), "http" | "https")
            || !url.username().is_empty()
            || url.password().is_some()
            || url.query().is_some()
            || url.fragment().is_some()
        {
            return Err(AddressError::NotAnAddress);
        }
        let host = url.host_str().ok_or(AddressError::NotAnAddress)?;
        if !self.private_addresses && is_private_host(host) {
            return Err(AddressError::Private);
        }
        Ok(match url.port() {
            Some(port) => format!("{}://{host}:{port}", url.scheme()),
            None => format!("{}://{host}", url.scheme()),
        })
    }

    /// Checks a stored base address again before calling it.
    fn checked_base(&self, address: &str) -> Result<String, AddressError> {
        let url = reqwest::Url::parse(address).map_err(|_| AddressError::NotAnAddress)?;
        if url.path() != "/" && !url.path().is_empty() {
            return Err(AddressError::NotAnAddress);
        }
        self.node_base(&url)
    }

    /// Asks a node to describe one of its circles.
    pub async fn describe(&self, base: &str, slug: &str) -> Result<CircleDescriptor, String> {
        let base = self.checked_base(base).map_err(|error| error.to_string())?;
        let response = self
            .http
            .get(format!("{base}{CIRCLE_PATH}{slug}"))
            .send()
            .await
            .map_err(|error| error.to_string())?;
        if !response.status().is_success() {
            return Err(format!("the node answered {}", response.status()));
        }
        let bytes = bounded_body(response).await?;
        serde_json::from_slice(&bytes).map_err(|error| error.to_string())
    }

    /// Asks a node who a username is in one of its circles (a signed question).
    pub async fn ask_payee(
        &self,
        base: &str,
        slug: &str,
        question: &crate::links::federation::PayeeQuestion,
    ) -> Result<crate::links::federation::PayeeAnswer, String> {
        self.post_to_circle(base, slug, "payee", question).await
    }

    /// Tells a linked circle's node about a payment request between members.
    pub async fn tell_request(
        &self,
        base: &str,
        slug: &str,
        message: &crate::links::requests::RequestMessage,
    ) -> Result<crate::links::requests::RequestAnswer, String> {
        self.post_to_circle(base, slug, "requests", message).await
    }

    /// Asks a linked circle's node which circles it passes payments on to.
    pub async fn ask_routes(
        &self,
        base: &str,
        slug: &str,
        question: &crate::links::onward::RoutesQuestion,
    ) -> Result<crate::links::onward::RoutesAnswer, String> {
        self.post_to_circle(base, slug, "routes", question).await
    }

    /// Asks a linked circle's node who a username is in a circle it passes payments on to.
    pub async fn ask_onward_payee(
        &self,
        base: &str,
        slug: &str,
        question: &crate::links::onward::OnwardPayeeQuestion,
    ) -> Result<crate::links::federation::PayeeAnswer, String> {
        self.post_to_circle(base, slug, "payee-onward", question)
            .await
    }

    /// Tells a linked circle's node about a deal between members.
    pub async fn tell_deal(
        &self,
        base: &str,
        slug: &str,
        message: &crate::links::deal_wire::DealMessage,
    ) -> Result<crate::links::deal_wire::DealAnswer, String> {
        self.post_to_circle(base, slug, "deals", message).await
    }

    /// Asks a linked circle's node for its listings.
    pub async fn ask_market(
        &self,
        base: &str,
        slug: &str,
        question: &crate::links::market::MarketQuestion,
    ) -> Result<crate::links::market::MarketAnswer, String> {
        self.post_to_circle(base, slug, "market", question).await
    }

    /// Posts a signed message to a circle of another node and reads its (bounded) answer.
    async fn post_to_circle<Q: serde::Serialize, A: serde::de::DeserializeOwned>(
        &self,
        base: &str,
        slug: &str,
        what: &str,
        message: &Q,
    ) -> Result<A, String> {
        let base = self.checked_base(base).map_err(|error| error.to_string())?;
        let response = self
            .http
            .post(format!("{base}{CIRCLE_PATH}{slug}/{what}"))
            .json(message)
            .send()
            .await
            .map_err(|error| error.to_string())?;
        if !response.status().is_success() {
            return Err(format!("the node answered {}", response.status()));
        }
        let bytes = bounded_body(response).await?;
        serde_json::from_slice(&bytes).map_err(|error| error.to_string())
    }

    async fn relay(&self, address: &str, relay: &Relay) -> Result<Answer, PeerError> {
        let base = self
            .checked_base(address)
            .map_err(|error| PeerError::Unreachable(error.to_string()))?;
        let response = self
            .http
            .post(format!("{base}{RELAY_PATH}"))
            .json(relay)
            .send()
            .await
            .map_err(|error| PeerError::Unreachable(error.to_string()))?;
        let status = response.status();
        let bytes = bounded_body(response)
            .await
            .map_err(PeerError::Unreachable)?;
        if !status.is_success() {
            let text = String::from_utf8_lossy(&bytes)
                .chars()
                .take(300)
                .collect::<String>();
            return Err(PeerError::Unreachable(format!(
                "the node answered {status}: {text}"
            )));
        }
        serde_json::from_slice(&bytes)
            .map_err(|error| PeerError::Unreachable(format!("an answer that is not one: {error}")))
    }
}

/// A call to a Credit Commons node: its answer's status and (bounded) body.
#[derive(Debug, Clone)]
pub struct CcReply {
    pub status: u16,
    pub body: Vec<u8>,
}

impl Federation {
    /// The address of a Credit Commons node's API (`https://cc.example.org/cc/garden`): an
    /// http or https address, with a path, no query or user, checked like any node's.
    pub fn cc_address(&self, typed: &str) -> Result<String, AddressError> {
        let url = reqwest::Url::parse(typed.trim()).map_err(|_| AddressError::NotAnAddress)?;
        let base = self.node_base(&url)?;
        Ok(format!("{base}{}", url.path().trim_end_matches('/')))
    }

    /// Calls a Credit Commons node at `address` (`path` under it), as the node `cc_node` with
    /// the chain's `last_hash`.
    pub async fn cc_call(
        &self,
        address: &str,
        method: reqwest::Method,
        path: &str,
        (cc_node, last_hash): (&str, &str),
        body: Option<&serde_json::Value>,
    ) -> Result<CcReply, String> {
        let address = self
            .cc_address(address)
            .map_err(|error| error.to_string())?;
        let mut request = self
            .http
            .request(method, format!("{address}{path}"))
            .header("cc-node", cc_node)
            .header("last-hash", last_hash);
        if let Some(body) = body {
            request = request.json(body);
        }
        let response = request.send().await.map_err(|error| error.to_string())?;
        let status = response.status().as_u16();
        let body = bounded_body(response).await?;
        Ok(CcReply { status, body })
    }
}

/// Reads at most [`PEER_ANSWER_BYTES_MAX`] bytes of a response.
async fn bounded_body(mut response: reqwest::Response) -> Result<Vec<u8>, String> {
    let mut bytes = Vec::new();
    while let Some(chunk) = response.chunk().await.map_err(|error| error.to_string())? {
        if bytes.len() + chunk.len() > PEER_ANSWER_BYTES_MAX {
            return Err("the answer is larger than a node's answer can be".into());
        }
        bytes.extend_from_slice(&chunk);
    }
    Ok(bytes)
}

/// Whether a host names this machine or a private network (by its name or address; a name
/// that resolves to one is not caught here: `docs/federation.md`).
pub fn is_private_host(host: &str) -> bool {
    let host = host.trim_start_matches('[').trim_end_matches(']');
    if host.eq_ignore_ascii_case("localhost") || host.ends_with(".localhost") {
        return true;
    }
    match host.parse::<IpAddr>() {
        Ok(IpAddr::V4(ip)) => {
            ip.is_loopback()
                || ip.is_private()
                || ip.is_link_local()
                || ip.is_unspecified()
                || ip.is_broadcast()
                || ip.octets()[0] == 100 && (64..128).contains(&ip.octets()[1])
        }
        Ok(IpAddr::V6(ip)) => {
            ip.is_loopback()
                || ip.is_unspecified()
                || (ip.segments()[0] & 0xfe00) == 0xfc00
                || (ip.segments()[0] & 0xffc0) == 0xfe80
                || ip
                    .to_ipv4_mapped()
                    .is_some_and(|v4| is_private_host(&v4.to_string()))
        }
        Err(_) => false,
    }
}

/// The peers of this node's circles: in process for a circle here, HTTP for one elsewhere.
#[derive(Debug, Clone)]
pub struct NodePeers {
    pub store: Store,
    pub federation: Federation,
    /// Where the partners taken on their word keep their side (`db::cc`).
    pub db: crate::db::NodeDb,
}

impl Peers for NodePeers {
    fn relay<'a>(
        &'a self,
        _from: &'a CircleInfo,
        link: &'a LinkRow,
        relay: Relay,
    ) -> Pin<Box<dyn Future<Output = Result<Answer, PeerError>> + Send + 'a>> {
        Box::pin(async move {
            if link.terms.address.is_empty() {
                return self
                    .store
                    .receive_relay(&relay, self)
                    .await
                    .map_err(|error| match error {
                        ReceiveError::Store(error) => PeerError::Store(error),
                        other => PeerError::Unreachable(other.to_string()),
                    });
            }
            self.federation.relay(&link.terms.address, &relay).await
        })
    }

    fn relay_on_word<'a>(
        &'a self,
        from: &'a CircleInfo,
        link: &'a LinkRow,
        hold: &'a commons_ledger::store::StoredEntry,
    ) -> Pin<Box<dyn Future<Output = Result<WordAnswer, PeerError>> + Send + 'a>> {
        Box::pin(crate::links::cc::send::relay_hold(self, from, link, hold))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_circle_address_gives_the_node_and_the_slug_and_nothing_else_passes() {
        let public = Federation::new(false);
        assert_eq!(
            public.circle_address("https://node.example/c/repair"),
            Ok(("https://node.example".into(), "repair".into()))
        );
        assert_eq!(
            public.circle_address("http://node.example:8089/c/repair/"),
            Ok(("http://node.example:8089".into(), "repair".into()))
        );
        for bad in [
            "node.example/c/repair",
            "ftp://node.example/c/repair",
            "https://node.example/repair",
            "https://node.example/c/",
            "https://node.example/c/repair/more",
            "https://user:pw@node.example/c/repair",
            "https://node.example/c/repair?x=1",
        ] {
            assert_eq!(
                public.circle_address(bad),
                Err(AddressError::NotAnAddress),
                "{bad}"
            );
        }
    }

    #[test]
    fn this_machine_and_private_networks_are_refused_unless_allowed() {
        let public = Federation::new(false);
        for private in [
            "http://127.0.0.1:8080/c/repair",
            "http://localhost/c/repair",
            "http://10.1.2.3/c/repair",
            "http://192.168.0.9/c/repair",
            "http://169.254.169.254/c/repair",
            "http://[::1]/c/repair",
            "http://[fd00::1]/c/repair",
            "http://[::ffff:127.0.0.1]/c/repair",
            "http://0.0.0.0/c/repair",
            "http://100.64.0.1/c/repair",
        ] {
            assert_eq!(
                public.circle_address(private),
                Err(AddressError::Private),
                "{private}"
            );
        }
        let region = Federation::new(true);
        assert!(region
            .circle_address("http://127.0.0.1:8080/c/repair")
            .is_ok());
    }
}
