//! The API's OpenAPI document, generated from the handlers' `#[utoipa::path]` annotations and
//! the answer types themselves, so it cannot drift from the code; served at
//! `/api/v1/openapi.json` and kept as `docs/openapi.json` (a test keeps the two equal).
//!
//! The error answers every operation can give follow from what it reads, in one place
//! ([`Rejections`]): the extractors ([`crate::http::api::ApiJson`], [`crate::http::api::ApiPath`],
//! [`crate::http::api::ApiQuery`]), the session layer (tokens, CSRF) and the services' refusals.

use std::sync::LazyLock;

use axum::response::IntoResponse;
use utoipa::openapi::path::{Operation, PathItem};
use utoipa::openapi::security::{ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::openapi::{Content, Ref, RefOr, Response};
use utoipa::{Modify, OpenApi};

/// The document as served, computed once.
pub static OPENAPI_JSON: LazyLock<String> = LazyLock::new(|| {
    let mut text = ApiDoc::openapi()
        .to_pretty_json()
        .expect("the OpenAPI document serializes");
    text.push('\n');
    text
});

const DESCRIPTION: &str = "The members' JSON API of a Commons node. Authenticate with an API \
token made on the settings page (`Authorization: Bearer TOKEN`) or with the page session cookie \
plus the `x-csrf-token` header. Amounts are integers of minor units in answers and decimal \
strings in requests; never floats. A member only ever sees circles they are an active member \
of: every other circle answers 404. Calls that move money (payments, payment requests) need an \
Idempotency-Key header: a retry with the same key answers the first entry and never pays twice. \
Every error, including a malformed body, a wrong content type and a bad path, answers \
`{\"error\": {\"code\", \"message\"}}`.";

#[derive(OpenApi)]
#[openapi(
    info(title = "Commons Platform API", version = "1", description = DESCRIPTION),
    paths(
        crate::ledger::api::circles,
        crate::ledger::api::circle,
        crate::ledger::api::members,
        crate::ledger::api::entries,
        crate::ledger::signed::submit_signed,
        crate::ledger::signed::submit_signed_batch,
        crate::ledger::signed::proof,
        crate::ledger::api::statement,
        crate::ledger::api::requests,
        crate::ledger::api::answer_request,
        crate::ledger::api::pay,
        crate::ledger::api::request_payment,
        crate::links::member_api::links,
        crate::links::member_api::pay_across,
        crate::market::api::listings,
        crate::market::api::create_listing,
        crate::market::api::listing,
        crate::market::api::matches,
        crate::market::api::open_deal,
        crate::market::api::deals,
        crate::market::api::deal,
        crate::market::api::deal_action,
        crate::governance::api::list,
        crate::governance::api::show,
        crate::governance::api::ballot,
        crate::governance::api::ballots,
    ),
    components(schemas(crate::http::api::ErrorEnvelope)),
    modifiers(&Security, &Rejections),
    security(("token" = []), ("session" = [])),
    tags(
        (name = "ledger", description = "Circles, members, the signed ledger, payments and payment requests."),
        (name = "market", description = "Offers, needs, events, their matches, and deals between members."),
        (name = "decisions", description = "Proposals, their voting rounds, ballots and receipts."),
    )
)]
#[derive(Debug)]
pub struct ApiDoc;

/// The two ways to authenticate.
#[derive(Debug)]
struct Security;

impl Modify for Security {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.security_schemes.insert(
            "token".into(),
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .description(Some(
                        "An API token from the settings page. Read-only tokens answer 403 \
                         (code token_scope) to anything but GET and HEAD; a token bound to one \
                         circle sees only that circle (others answer 404); expired or revoked \
                         tokens answer 401. Tokens work only under /api/v1.",
                    ))
                    .build(),
            ),
        );
        components.security_schemes.insert(
            "session".into(),
            SecurityScheme::ApiKey(ApiKey::Cookie(ApiKeyValue::with_description(
                "commons_session",
                "The page session (`__Host-commons_session` behind HTTPS); every call but GET \
                 and HEAD also needs the `x-csrf-token` header.",
            ))),
        );
    }
}

/// The error answers, each a shared response whose body is the error envelope: the status,
/// its name in `components.responses`, and which codes it carries.
const ERROR_RESPONSES: &[(&str, &str, &str)] = &[
    ("400", "BadRequest", "The request is malformed: a body that is not JSON (code malformed), a query parameter that is not valid (invalid_query), or a missing or malformed Idempotency-Key header (idempotency_key)."),
    ("401", "Unauthenticated", "No valid API token or session (code unauthenticated)."),
    ("403", "Forbidden", "Not allowed: a read-only token (token_scope), a session call without the x-csrf-token header (csrf), an action this member may not take (forbidden, not_your_key)."),
    ("404", "NotFound", "No such circle among mine, or no such item in it, or a path that does not parse (not_found)."),
    ("409", "Conflict", "The node cannot do this now as asked: it cannot sign for this member here (sign_it_yourself, key_lost)."),
    ("413", "PayloadTooLarge", "The body is larger than the node takes (too_large)."),
    ("415", "UnsupportedMediaType", "The body is not sent as application/json (unsupported_media_type)."),
    ("422", "Unprocessable", "The body has the wrong fields (invalid), or the circle's rules refuse the action (insufficient_credit, ceiling_exceeded, not_a_member, bad_signature, nonce_reused, wrong_circle, batch_size, refused, ...); the message says what happened, with the numbers, and what to do."),
    ("429", "TooManyRequests", "Too many writes from this person (or, before logging in, this address) in the last minute (rate_limited), too many password checks (too_many_attempts), or a new member's daily allowance is used (sandbox). Nothing was changed; Retry-After, when sent, says in how many seconds to try again."),
    ("503", "Busy", "The circle is busy; nothing was changed. Try again (busy)."),
];

/// Adds to every operation the error answers it can give, from what it reads: every call can
/// be unauthenticated (401) or name a circle or item that is not mine (404); a query or header
/// can be malformed (400); a body can be malformed, too large, of the wrong type or have the
/// wrong fields (400, 413, 415, 422); a call that acts can be forbidden, conflict, be refused
/// by the circle's rules or find the circle busy (403, 409, 422, 503).
#[derive(Debug)]
struct Rejections;

impl Modify for Rejections {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        for (status, name, description) in ERROR_RESPONSES {
            let mut response = Response::new(*description);
            response.content.insert(
                "application/json".into(),
                Content::new(Some(Ref::from_schema_name("Error"))),
            );
            if *status == "429" {
                let mut retry_after = utoipa::openapi::header::Header::new(
                    utoipa::openapi::ObjectBuilder::new()
                        .schema_type(utoipa::openapi::schema::Type::Integer)
                        .minimum(Some(0)),
                );
                retry_after.description =
                    Some("In how many seconds to try again (sent when the node knows).".into());
                response.headers.insert("Retry-After".into(), retry_after);
            }
            components
                .responses
                .insert((*name).into(), RefOr::T(response));
        }
        for item in openapi.paths.paths.values_mut() {
            add_rejections(item);
        }
    }
}

fn add_rejections(item: &mut PathItem) {
    if let Some(operation) = item.get.as_mut() {
        add_statuses(operation, false);
    }
    if let Some(operation) = item.post.as_mut() {
        add_statuses(operation, true);
    }
}

fn add_statuses(operation: &mut Operation, acts: bool) {
    let reads_parameters = operation.parameters.iter().flatten().any(|parameter| {
        !matches!(
            parameter.parameter_in,
            utoipa::openapi::path::ParameterIn::Path
        )
    });
    let reads_body = operation.request_body.is_some();
    let mut statuses = vec!["401", "404"];
    if reads_parameters || reads_body {
        statuses.push("400");
    }
    if reads_body {
        statuses.extend(["413", "415", "422"]);
    }
    if acts {
        statuses.extend(["403", "409", "422", "429", "503"]);
    }
    for status in statuses {
        let name = ERROR_RESPONSES
            .iter()
            .find(|(code, _, _)| *code == status)
            .map(|(_, name, _)| *name)
            .expect("every status used has a shared response");
        operation
            .responses
            .responses
            .entry(status.into())
            .or_insert_with(|| RefOr::Ref(Ref::new(format!("#/components/responses/{name}"))));
    }
}

/// Which `(method, path)` pairs the document describes, for the test that keeps it and the
/// router in step.
pub fn documented_operations() -> Vec<(String, String)> {
    let doc = ApiDoc::openapi();
    let mut found = Vec::new();
    for (path, item) in &doc.paths.paths {
        if item.get.is_some() {
            found.push(("GET".to_owned(), path.clone()));
        }
        if item.post.is_some() {
            found.push(("POST".to_owned(), path.clone()));
        }
    }
    found
}

/// `GET /api/v1/openapi.json`: the document generated from this code.
pub async fn openapi() -> axum::response::Response {
    (
        [(axum::http::header::CONTENT_TYPE, "application/json")],
        OPENAPI_JSON.as_str(),
    )
        .into_response()
}

/// Decodes `bytes` as each JSON body the API reads; how many kinds it is (the fuzz target
/// `api_bodies` and its corpus replay call this: no body may panic the decoder).
pub fn decode_bodies(bytes: &[u8]) -> usize {
    [
        serde_json::from_slice::<crate::ledger::api::PaymentBody>(bytes).is_ok(),
        serde_json::from_slice::<crate::ledger::signed::SignedBody>(bytes).is_ok(),
        serde_json::from_slice::<crate::ledger::signed::SignedBatchBody>(bytes).is_ok(),
        serde_json::from_slice::<crate::governance::api::BallotBody>(bytes).is_ok(),
        serde_json::from_slice::<crate::market::api::ListingBody>(bytes).is_ok(),
        serde_json::from_slice::<crate::market::api::DealBody>(bytes).is_ok(),
    ]
    .into_iter()
    .filter(|ok| *ok)
    .count()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The operations the features serve under `/api/v1`: their route tables, from which their
    /// routers are built.
    fn served_operations() -> Vec<(String, String)> {
        let mut found: Vec<(String, String)> = crate::api_routes()
            .iter()
            .map(|route| (route.method.to_owned(), route.path.to_owned()))
            .collect();
        found.sort();
        found
    }

    #[test]
    fn every_api_route_is_documented_and_every_documented_operation_is_served() {
        let served = served_operations();
        assert!(served.len() >= 20, "{served:?}");
        let mut documented = documented_operations();
        documented.sort();
        assert_eq!(served, documented);
    }

    /// `docs/openapi.json` is the generated document, byte for byte. After changing the API,
    /// refresh it with `UPDATE_OPENAPI=1 cargo test -p commons-web openapi`.
    #[test]
    fn docs_openapi_json_is_the_generated_document() {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../docs/openapi.json");
        if std::env::var_os("UPDATE_OPENAPI").is_some() {
            std::fs::write(path, OPENAPI_JSON.as_str()).expect("docs/openapi.json is writable");
        }
        let kept = std::fs::read_to_string(path).expect("docs/openapi.json exists");
        assert!(
            kept == *OPENAPI_JSON,
            "docs/openapi.json differs from the generated document: run \
             UPDATE_OPENAPI=1 cargo test -p commons-web openapi"
        );
    }

    #[test]
    fn every_operation_documents_the_error_envelope_for_401_and_404() {
        let doc: serde_json::Value =
            serde_json::from_str(&OPENAPI_JSON).expect("the document is JSON");
        for (path, item) in doc["paths"].as_object().expect("paths") {
            for (method, operation) in item.as_object().expect("an item") {
                for status in ["401", "404"] {
                    assert!(
                        operation["responses"][status]["$ref"].is_string(),
                        "{method} {path} lacks {status}"
                    );
                }
            }
        }
    }
}
