//! Who is asking: session cookies, the CSRF check on every state-changing request, the
//! visitor's language, and login rate limits.
//!
//! A session cookie holds 32 random bytes; the database keeps only their hash. Anonymous
//! visitors get a random `commons_anon` cookie so their forms (login, joining) carry CSRF
//! tokens too. A CSRF token is an HMAC of the cookie under a node secret: forms carry it in a
//! hidden `csrf` field, scripts in an `x-csrf-token` header. Requests with an API token in
//! `Authorization` carry no ambient credentials and need none.

use std::net::IpAddr;
use std::sync::Arc;

use axum::body::{to_bytes, Body};
use axum::extract::{Request, State};
use axum::http::header::{self, HeaderMap, HeaderValue};
use axum::http::request::Parts;
use axum::http::{Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use hmac::{Hmac, Mac};
use sha2::Sha256;
use subtle::ConstantTimeEq;

use crate::db::{TokenGrant, TokenScope, User};
use crate::i18n::Tr;
use crate::services::token_hash;
use crate::AppState;

pub const SESSION_COOKIE: &str = "commons_session";
pub const ANON_COOKIE: &str = "commons_anon";
pub const LANG_COOKIE: &str = "commons_lang";
pub const FLASH_COOKIE: &str = "commons_flash";
/// Largest form body read for the CSRF check (the same as any request body: long agreements
/// in a non-Latin script take up to 9 bytes a character once URL-encoded).
pub const FORM_BYTES_MAX: usize = 256 * 1024;

pub fn encode_token(bytes: &[u8; 32]) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}

pub fn decode_token(text: &str) -> Option<[u8; 32]> {
    URL_SAFE_NO_PAD.decode(text.trim()).ok()?.try_into().ok()
}

/// The person (or anonymous visitor) behind a request, as the pages need them.
#[derive(Debug, Clone)]
pub struct Visitor {
    pub user: Option<User>,
    /// Hash of the session token, when logged in.
    pub session: Option<[u8; 32]>,
    /// What the API token grants, when the request authenticated with one instead of a
    /// cookie (only ever under `/api/v1`).
    pub token: Option<TokenGrant>,
    pub csrf: String,
    pub tr: Tr,
    /// The flash message left by the previous request (after a redirect).
    pub flash: Option<Flash>,
    /// Notifications the person has not read (0 when logged out).
    pub unread: i64,
    /// The client's address (what password checks are limited by), when the server knows it.
    pub address: Option<IpAddr>,
}

/// A short message shown once after a redirect: a catalogue id and its arguments.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Flash {
    pub id: String,
    pub args: Vec<(String, String)>,
}

impl Flash {
    pub fn new(id: &str, args: &[(&str, &str)]) -> Flash {
        Flash {
            id: id.to_owned(),
            args: args
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                .collect(),
        }
    }

    fn encode(&self) -> String {
        let mut pairs = vec![("id".to_owned(), self.id.clone())];
        pairs.extend(self.args.iter().cloned());
        pairs
            .iter()
            .map(|(k, v)| format!("{}={}", percent(k), percent(v)))
            .collect::<Vec<_>>()
            .join("&")
    }

    fn decode(text: &str) -> Option<Flash> {
        let mut id = None;
        let mut args = Vec::new();
        for pair in text.split('&').take(8) {
            let (k, v) = pair.split_once('=')?;
            let (k, v) = (unpercent(k)?, unpercent(v)?);
            if k == "id" {
                id = Some(v);
            } else {
                args.push((k, v));
            }
        }
        let id = id?;
        // Only catalogue ids of flash messages, never arbitrary text.
        id.starts_with("flash-").then_some(Flash { id, args })
    }

    pub fn text(&self, tr: &Tr) -> String {
        let args: Vec<(&str, &str)> = self
            .args
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        tr.ta(&self.id, &args)
    }
}

fn percent(text: &str) -> String {
    text.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b == b'-' || b == b'_' || b == b'.' {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

fn unpercent(text: &str) -> Option<String> {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = text.get(i + 1..i + 3)?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

/// Reads one cookie from the request headers.
pub fn cookie<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(key, _)| *key == name)
        .map(|(_, value)| value)
}

/// A `Set-Cookie` value: HttpOnly, SameSite=Lax, path /, and Secure when the node is served
/// over HTTPS.
pub fn set_cookie(name: &str, value: &str, max_age_s: Option<i64>, secure: bool) -> HeaderValue {
    let name = cookie_name(name, secure);
    let mut text = format!("{name}={value}; Path=/; HttpOnly; SameSite=Lax");
    if let Some(age) = max_age_s {
        text.push_str(&format!("; Max-Age={age}"));
    }
    if secure {
        text.push_str("; Secure");
    }
    HeaderValue::from_str(&text).unwrap_or_else(|_| HeaderValue::from_static("invalid=1"))
}

/// How long an upload token may wait for its upload.
pub const UPLOAD_TOKEN_TTL_MS: i64 = 60 * 60 * 1000;
/// Most upload tokens the node remembers at once (oldest forgotten first).
pub const UPLOAD_TOKENS_MAX: usize = 10_000;

/// Single-use tokens for uploads (photos): the upload's body is too large to read twice, so
/// its token travels in the form's URL; a URL can leak (history, a shared link), so each token
/// is bound to the session that got it, works once, and expires, instead of the session-wide
/// CSRF token.
#[derive(Debug, Default)]
pub struct UploadTokens(std::sync::Mutex<std::collections::VecDeque<UploadToken>>);

/// (the token's hash, the session's hash, when it expires).
type UploadToken = ([u8; 32], [u8; 32], i64);

impl UploadTokens {
    /// A new token for this session (hex), remembered until used or expired.
    pub fn issue(&self, session: &[u8; 32], now_ms: i64) -> String {
        let token = crate::custody::random_secret();
        if let Ok(mut tokens) = self.0.lock() {
            tokens.retain(|(_, _, expires)| *expires > now_ms);
            while tokens.len() >= UPLOAD_TOKENS_MAX {
                tokens.pop_front();
            }
            tokens.push_back((token_hash(&token), *session, now_ms + UPLOAD_TOKEN_TTL_MS));
        }
        hex::encode(token)
    }

    /// Uses a token once: whether it was issued to this session and has not expired.
    pub fn take(&self, token: &str, session: &[u8; 32], now_ms: i64) -> bool {
        let Ok(bytes) = hex::decode(token) else {
            return false;
        };
        let hash = token_hash(&bytes);
        let Ok(mut tokens) = self.0.lock() else {
            return false;
        };
        let Some(at) = tokens.iter().position(|(known, owner, expires)| {
            bool::from(known.ct_eq(&hash)) && owner == session && *expires > now_ms
        }) else {
            return false;
        };
        tokens.remove(at);
        true
    }
}

/// A cookie's name on the wire: behind HTTPS (`--secure-cookies`) with the `__Host-` prefix,
/// which browsers accept only from this very host, over HTTPS, for the whole site: no sibling
/// domain or plain-HTTP page can set or shadow it.
pub fn cookie_name(name: &str, secure: bool) -> String {
    if secure {
        format!("__Host-{name}")
    } else {
        name.to_owned()
    }
}

/// The CSRF token for a cookie value: HMAC-SHA256 under the node's secret.
pub fn csrf_token(secret: &[u8], cookie_value: &str) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret).expect("HMAC takes any key length");
    mac.update(b"commons.web.csrf");
    mac.update(cookie_value.as_bytes());
    hex::encode(mac.finalize().into_bytes())
}

fn tokens_match(a: &str, b: &str) -> bool {
    a.len() == b.len() && bool::from(a.as_bytes().ct_eq(b.as_bytes()))
}

/// Who a request comes from: a person by session cookie, or by API token (with its grant).
#[derive(Debug, Default)]
struct Who {
    user: Option<User>,
    session: Option<[u8; 32]>,
    token_grant: Option<TokenGrant>,
}

/// Middleware: identifies the visitor, checks CSRF on state-changing requests, and sets the
/// anonymous cookie or clears the flash cookie on the way out.
pub async fn visitor_layer(
    State(state): State<Arc<AppState>>,
    request: Request,
    next: Next,
) -> Response {
    let (mut parts, body) = request.into_parts();
    let now = state.services.now_ms();
    let secure = state.config.cookies_secure;
    let who = match who_is_it(&state, &parts, now).await {
        Ok(who) => who,
        Err(refusal) => return refusal,
    };
    let (binding, new_anon) = csrf_binding(&parts.headers, who.session.is_some(), secure);
    let csrf = csrf_token(&state.csrf_secret, &binding);
    let body = match check_csrf(&state, &parts, body, &who, &csrf, now).await {
        Ok(body) => body,
        Err(refusal) => return refusal,
    };
    let address = parts
        .extensions
        .get::<axum::extract::ConnectInfo<std::net::SocketAddr>>()
        .map(|info| info.0.ip());
    let is_write = !matches!(
        parts.method,
        axum::http::Method::GET | axum::http::Method::HEAD
    );
    let too_many_writes = is_write
        && !state
            .write_limits
            .allow(address, who.user.as_ref().map(|user| user.id));
    let language = state.catalogues.negotiate(
        who.user
            .as_ref()
            .and_then(|user| user.language.as_deref())
            .or(cookie(&parts.headers, &cookie_name(LANG_COOKIE, secure))),
        parts
            .headers
            .get(header::ACCEPT_LANGUAGE)
            .and_then(|value| value.to_str().ok()),
    );
    let flash = cookie(&parts.headers, &cookie_name(FLASH_COOKIE, secure)).and_then(Flash::decode);
    let had_flash = flash.is_some();
    let unread = unread_count(&state, &who).await;
    parts.extensions.insert(Visitor {
        user: who.user,
        session: who.session,
        token: who.token_grant,
        address,
        csrf,
        tr: state.catalogues.translator(&language),
        flash,
        unread,
    });
    let path = parts.uri.path();
    let zone = match path
        .strip_prefix("/c/")
        .or_else(|| path.strip_prefix("/p/"))
    {
        Some(rest) => {
            let slug = rest.split('/').next().unwrap_or_default();
            state.services.zone_of_slug(slug).await
        }
        None => jiff::tz::TimeZone::UTC,
    };
    let local = crate::views::local::Local {
        language,
        zone,
        now_ms: Some(state.services.now_ms()),
    };
    let mut response = if too_many_writes {
        too_many_writes_page(&parts, state.write_limits.retry_after_s())
    } else {
        crate::views::local::scope(local, next.run(Request::from_parts(parts, body))).await
    };
    if let Some(anon) = new_anon {
        response.headers_mut().append(
            header::SET_COOKIE,
            set_cookie(ANON_COOKIE, &anon, None, secure),
        );
    }
    if had_flash && !response.headers().contains_key("x-keep-flash") {
        response.headers_mut().append(
            header::SET_COOKIE,
            set_cookie(FLASH_COOKIE, "", Some(0), secure),
        );
    }
    response
}

/// The answer to one write too many: the API's envelope (code `rate_limited`) under `/api/`,
/// else a page in the visitor's language; 429 either way, with `Retry-After` (the seconds one
/// more write takes to be allowed), and nothing was done.
fn too_many_writes_page(parts: &Parts, retry_after_s: u64) -> Response {
    let mut response = if parts.uri.path().starts_with("/api/") {
        crate::http::api::api_error(
            axum::http::StatusCode::TOO_MANY_REQUESTS,
            "rate_limited",
            "Too many writes in the last minute from you (or, before logging in, from your \
             address). Nothing was changed: wait a moment and try again.",
        )
        .into_response()
    } else if let Some(v) = parts.extensions.get::<Visitor>() {
        let markup =
            crate::views::message_page(v, &v.tr.t("error-title"), &v.tr.t("error-too-many"), None);
        (
            axum::http::StatusCode::TOO_MANY_REQUESTS,
            axum::response::Html(markup.into_string()),
        )
            .into_response()
    } else {
        crate::http::error::AppError::TooManyRequests.into_response()
    };
    response
        .headers_mut()
        .insert(header::RETRY_AFTER, HeaderValue::from(retry_after_s));
    response
}

/// The person behind the request's bearer token or session cookie (nobody without either), or
/// the refusal of a token that is unknown, outside the API, or beyond its scope.
async fn who_is_it(state: &AppState, parts: &Parts, now: i64) -> Result<Who, Response> {
    let bearer = parts
        .headers
        .get(header::AUTHORIZATION)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.strip_prefix("Bearer "));
    if let Some(token) = bearer {
        return token_holder(state, parts, token, now).await;
    }
    let secure = state.config.cookies_secure;
    let Some(token) =
        cookie(&parts.headers, &cookie_name(SESSION_COOKIE, secure)).and_then(decode_token)
    else {
        return Ok(Who::default());
    };
    let hash = token_hash(&token);
    match state
        .services
        .session_user(&hash, now, state.config.session_idle_ms)
        .await
    {
        Ok(Some(found)) => Ok(Who {
            user: Some(found),
            session: Some(hash),
            token_grant: None,
        }),
        Ok(None) => {
            state.services.forget_sealing_key(&hash);
            Ok(Who::default())
        }
        Err(error) => {
            tracing::error!(%error, "reading a session failed");
            Err(StatusCode::INTERNAL_SERVER_ERROR.into_response())
        }
    }
}

/// An API token's holder and grant. A token is a key to the API, nothing more: never to a
/// page, never to the settings that make tokens; read-only tokens only read.
async fn token_holder(
    state: &AppState,
    parts: &Parts,
    token: &str,
    now: i64,
) -> Result<Who, Response> {
    if !parts.uri.path().starts_with("/api/v1/") {
        return Err(token_refusal(
            StatusCode::UNAUTHORIZED,
            "token_not_for_pages",
            "API tokens work only under /api/v1. Log in to use the pages.",
        ));
    }
    let found = match decode_token(token) {
        Some(token) => match state
            .services
            .api_token_user(&token_hash(&token), now)
            .await
        {
            Ok(found) => found,
            Err(error) => {
                tracing::error!(%error, "reading an API token failed");
                return Err(StatusCode::INTERNAL_SERVER_ERROR.into_response());
            }
        },
        None => None,
    };
    let Some((found, grant)) = found else {
        return Err(token_refusal(
            StatusCode::UNAUTHORIZED,
            "unauthenticated",
            "This API token is unknown, revoked or expired. Make a new one on your settings page.",
        ));
    };
    let reading = matches!(parts.method, Method::GET | Method::HEAD);
    if grant.scope == TokenScope::Read && !reading {
        return Err(token_refusal(
            StatusCode::FORBIDDEN,
            "token_scope",
            "This API token may only read. Make a token that may act to do this.",
        ));
    }
    Ok(Who {
        user: Some(found),
        session: None,
        token_grant: Some(grant),
    })
}

/// What the CSRF token is bound to: the session cookie, else the anonymous cookie (a fresh one,
/// to set on the way out, when the visitor has none).
fn csrf_binding(headers: &HeaderMap, has_session: bool, secure: bool) -> (String, Option<String>) {
    if has_session {
        if let Some(value) = cookie(headers, &cookie_name(SESSION_COOKIE, secure)) {
            return (value.to_owned(), None);
        }
    }
    match cookie(headers, &cookie_name(ANON_COOKIE, secure)).and_then(decode_token) {
        Some(token) => (encode_token(&token), None),
        None => {
            let fresh = encode_token(&crate::custody::random_secret());
            (fresh.clone(), Some(fresh))
        }
    }
}

/// State-changing requests must prove they come from our own pages (API tokens are exempt:
/// no browser sends them by itself). Gives back the body (a form's was read to find its token).
async fn check_csrf(
    state: &AppState,
    parts: &Parts,
    body: Body,
    who: &Who,
    csrf: &str,
    now: i64,
) -> Result<Body, Response> {
    let unsafe_method = !matches!(parts.method, Method::GET | Method::HEAD | Method::OPTIONS);
    if !unsafe_method || who.token_grant.is_some() {
        return Ok(body);
    }
    // One-click unsubscribing (RFC 8058): the mail program posts with no cookie and no token;
    // the link's own signature authenticates it, and it can only ever stop mail.
    if parts
        .uri
        .path()
        .starts_with(crate::email::UNSUBSCRIBE_PREFIX)
    {
        return Ok(body);
    }
    // Another node's call carries no cookie and no token: its message proves itself (a tree
    // head signed by the linked circle's node key, or a signed question), and it can act only
    // as that link's protocol allows.
    if parts
        .uri
        .path()
        .starts_with(crate::links::FEDERATION_PREFIX)
    {
        return Ok(body);
    }
    // A Credit Commons partner's call names its node and carries the chain's value in its
    // headers, which no page of another site can set; no session acts through it.
    if parts.uri.path().starts_with(crate::links::cc::CC_PREFIX) {
        return Ok(body);
    }
    let refuse = || csrf_refusal(state, &parts.headers, who.user.as_ref());
    let site = parts
        .headers
        .get("sec-fetch-site")
        .and_then(|v| v.to_str().ok());
    if site == Some("cross-site") {
        return Err(refuse());
    }
    let from_header = parts
        .headers
        .get("x-csrf-token")
        .and_then(|value| value.to_str().ok())
        .map(str::to_owned);
    let (presented, body) = match from_header {
        Some(token) => (Some(token), body),
        None => presented_in_body(state, parts, body, who, csrf, now).await?,
    };
    if presented.is_some_and(|token| tokens_match(&token, csrf)) {
        Ok(body)
    } else {
        Err(refuse())
    }
}

/// The CSRF token a form carries in its `csrf` field; for an upload (too large to read twice),
/// the single-use upload token in the form's action URL stands for it.
async fn presented_in_body(
    state: &AppState,
    parts: &Parts,
    body: Body,
    who: &Who,
    csrf: &str,
    now: i64,
) -> Result<(Option<String>, Body), Response> {
    let content_type = parts
        .headers
        .get(header::CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .unwrap_or("");
    if content_type.starts_with("multipart/form-data") {
        let upload = parts
            .uri
            .query()
            .and_then(|query| form_field(query.as_bytes(), "upload"));
        let taken = match (upload, who.session) {
            (Some(token), Some(session)) => state.upload_tokens.take(&token, &session, now),
            _ => false,
        };
        return Ok((taken.then(|| csrf.to_owned()), body));
    }
    if !content_type.starts_with("application/x-www-form-urlencoded") {
        return Ok((None, body));
    }
    let bytes = match to_bytes(body, FORM_BYTES_MAX).await {
        Ok(bytes) => bytes,
        Err(_) => return Err((StatusCode::PAYLOAD_TOO_LARGE, "form too large").into_response()),
    };
    let token = form_field(&bytes, "csrf");
    Ok((token, Body::from(bytes)))
}

/// How many notifications wait for the person. A login a circle's stewards recovered learns
/// nothing of the other circles, not even how many notifications wait there.
async fn unread_count(state: &AppState, who: &Who) -> i64 {
    match &who.user {
        Some(user) if who.token_grant.is_none() && !user.recovery_restricted => {
            match state.services.unread_count(user).await {
                Ok(count) => count,
                Err(error) => {
                    tracing::warn!(%error, "reading the unread count failed");
                    0
                }
            }
        }
        _ => 0,
    }
}

/// A refused API token, in the API's error envelope.
fn token_refusal(status: StatusCode, code: &str, message: &str) -> Response {
    (
        status,
        axum::Json(serde_json::json!({ "error": { "code": code, "message": message } })),
    )
        .into_response()
}

fn csrf_refusal(state: &AppState, headers: &HeaderMap, user: Option<&User>) -> Response {
    let language = state.catalogues.negotiate(
        user.and_then(|user| user.language.as_deref()),
        headers
            .get(header::ACCEPT_LANGUAGE)
            .and_then(|value| value.to_str().ok()),
    );
    let tr = state.catalogues.translator(&language);
    (StatusCode::FORBIDDEN, tr.t("error-csrf")).into_response()
}

/// One field of a URL-encoded form body.
fn form_field(bytes: &[u8], name: &str) -> Option<String> {
    let text = std::str::from_utf8(bytes).ok()?;
    text.split('&').find_map(|pair| {
        let (key, value) = pair.split_once('=')?;
        (key == name).then(|| unpercent(&value.replace('+', " ")).unwrap_or_default())
    })
}

/// A redirect that passes the flash message the visitor brought on to the next page (the front
/// page sending a member of one circle to it, right after logging in).
pub fn redirect_keeping_flash(to: &str) -> Response {
    let mut response = axum::response::Redirect::to(to).into_response();
    response
        .headers_mut()
        .insert("x-keep-flash", HeaderValue::from_static("1"));
    response
}

/// A redirect that also leaves a flash message for the next page.
pub fn redirect_with_flash(to: &str, flash: Flash, secure: bool) -> Response {
    let mut response = axum::response::Redirect::to(to).into_response();
    response.headers_mut().append(
        header::SET_COOKIE,
        set_cookie(FLASH_COOKIE, &flash.encode(), Some(60), secure),
    );
    response
        .headers_mut()
        .insert("x-keep-flash", HeaderValue::from_static("1"));
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_round_trip_and_reject_garbage() {
        let token = crate::custody::random_secret();
        assert_eq!(decode_token(&encode_token(&token)), Some(token));
        assert_eq!(decode_token("not a token"), None);
        assert_eq!(decode_token(&encode_token(&token)[..20]), None);
    }

    #[test]
    fn csrf_tokens_depend_on_secret_and_cookie() {
        let a = csrf_token(b"secret one", "cookie");
        assert_eq!(a, csrf_token(b"secret one", "cookie"));
        assert_ne!(a, csrf_token(b"secret two", "cookie"));
        assert_ne!(a, csrf_token(b"secret one", "cookie2"));
        assert!(tokens_match(&a, &a.clone()));
        assert!(!tokens_match(&a, &a[1..]));
    }

    #[test]
    fn flashes_round_trip_and_only_carry_flash_ids() {
        let flash = Flash::new("flash-paid", &[("amount", "2.50 h"), ("name", "Ana & Bo")]);
        assert_eq!(Flash::decode(&flash.encode()), Some(flash));
        assert_eq!(Flash::decode("id=error-x"), None);
        assert_eq!(Flash::decode("id=%ZZ"), None);
    }

    #[test]
    fn form_fields_are_found_and_decoded() {
        assert_eq!(
            form_field(b"a=1&csrf=ab%2Bc&b=2", "csrf"),
            Some("ab+c".into())
        );
        assert_eq!(form_field(b"a=1", "csrf"), None);
    }

    #[test]
    fn cookies_are_read_by_name() {
        let mut headers = HeaderMap::new();
        headers.insert(
            header::COOKIE,
            HeaderValue::from_static("a=1; commons_session=xyz"),
        );
        assert_eq!(cookie(&headers, SESSION_COOKIE), Some("xyz"));
        assert_eq!(cookie(&headers, "b"), None);
    }
}
