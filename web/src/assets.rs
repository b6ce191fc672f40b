//! The node's own static files, built into the binary: one stylesheet, the logo and icon.
//! Nothing is fetched from anywhere else (no CDN, no web fonts).

use axum::extract::Path;
use axum::http::header::{self, HeaderValue};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};

pub const STYLESHEET: &str = include_str!("../assets/app.css");
pub const LOGO_SVG: &str = include_str!("../assets/logo.svg");
pub const ICON_SVG: &str = include_str!("../assets/icon.svg");

/// Serves a static file. The stylesheet's name carries its hash, so it is cached for a year.
pub async fn serve(Path(file): Path<String>) -> Response {
    let (body, kind, cache) = if format!("/static/{file}") == crate::views::stylesheet_path() {
        (
            STYLESHEET,
            "text/css; charset=utf-8",
            "public, max-age=31536000, immutable",
        )
    } else if file == "icon.svg" {
        (ICON_SVG, "image/svg+xml", "public, max-age=86400")
    } else {
        return (StatusCode::NOT_FOUND, "not found").into_response();
    };
    let mut response = body.into_response();
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(kind));
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static(cache));
    response
}
