//! Reading an uploaded photo form (multipart): the file and its description, within the body
//! limit of the route that takes it; a malformed part is a clear 400.

use axum::body::Bytes;
use axum::extract::Multipart;

use crate::http::error::AppError;

/// The `photo` file (`None` when no file was chosen) and the `alt` text of a photo form.
pub async fn photo_form(mut multipart: Multipart) -> Result<(Option<Bytes>, String), AppError> {
    let (mut bytes, mut alt) = (None, String::new());
    while let Some(field) = multipart
        .next_field()
        .await
        .map_err(|_| AppError::BadRequest("photo-error-unreadable"))?
    {
        match field.name() {
            Some("photo") => {
                bytes = Some(
                    field
                        .bytes()
                        .await
                        .map_err(|_| AppError::BadRequest("photo-error-too-large"))?,
                )
            }
            Some("alt") => {
                alt = field
                    .text()
                    .await
                    .map_err(|_| AppError::BadRequest("photo-error-alt-missing"))?
            }
            _ => {}
        }
    }
    Ok((bytes.filter(|b| !b.is_empty()), alt))
}
