//! One mail as the node sends it: plain text and HTML parts, a Message-ID that stays the same
//! across retries (so a receiver can drop a copy), and for mails about a circle the list
//! headers that let a mail program unsubscribe in one click (RFC 2369, RFC 8058).

use lettre::message::header::{HeaderName, HeaderValue};
use lettre::message::{Mailbox, MultiPart};
use lettre::Message;

/// A mail to compose.
#[derive(Debug, Clone)]
pub struct Letter {
    pub to: String,
    pub subject: String,
    pub text: String,
    pub html: String,
    /// The one-click unsubscribe address, for mails members can stop.
    pub unsubscribe_url: Option<String>,
    /// The circle's list id (`riverside.commons.example`), for mails about a circle.
    pub list_id: Option<String>,
}

/// Why a mail could not be composed.
#[derive(Debug, thiserror::Error)]
pub enum ComposeError {
    #[error("the address {0} cannot receive mail")]
    Address(String),
    #[error("the mail cannot be built: {0}")]
    Build(#[from] lettre::error::Error),
    #[error("the mail is not ASCII once encoded")]
    NotAscii,
}

fn header(name: &'static str, value: String) -> HeaderValue {
    HeaderValue::new(HeaderName::new_from_ascii_str(name), value)
}

/// The host part of the node's public address (for Message-IDs and list ids).
pub fn host_of(public_url: &str) -> String {
    let rest = public_url
        .split_once("://")
        .map_or(public_url, |(_, rest)| rest);
    let host = rest.split(['/', '?', '#']).next().unwrap_or_default();
    let host = host.rsplit_once('@').map_or(host, |(_, host)| host);
    let host = match host.strip_prefix('[') {
        Some(v6) => v6.split(']').next().unwrap_or_default(),
        None => host.split(':').next().unwrap_or_default(),
    };
    if host.is_empty() {
        "localhost".to_owned()
    } else {
        host.to_owned()
    }
}

/// The whole message, as it goes over the wire.
pub fn compose(letter: &Letter, from: &Mailbox, host: &str) -> Result<String, ComposeError> {
    let to: Mailbox = letter
        .to
        .parse()
        .map_err(|_| ComposeError::Address(letter.to.clone()))?;
    let random: [u8; 16] = rand::random();
    let mut builder = Message::builder()
        .from(from.clone())
        .to(to)
        .subject(letter.subject.clone())
        .message_id(Some(format!("<{}@{host}>", hex::encode(random))))
        .raw_header(header("Auto-Submitted", "auto-generated".to_owned()));
    if let Some(url) = &letter.unsubscribe_url {
        builder = builder
            .raw_header(header("List-Unsubscribe", format!("<{url}>")))
            .raw_header(header(
                "List-Unsubscribe-Post",
                "List-Unsubscribe=One-Click".to_owned(),
            ));
    }
    if let Some(list_id) = &letter.list_id {
        builder = builder.raw_header(header("List-Id", format!("<{list_id}>")));
    }
    let message = builder.multipart(MultiPart::alternative_plain_html(
        letter.text.clone(),
        letter.html.clone(),
    ))?;
    String::from_utf8(message.formatted()).map_err(|_| ComposeError::NotAscii)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn letter() -> Letter {
        Letter {
            to: "ben@example.org".into(),
            subject: "Noticias: “Huerto” ☀".into(),
            text: "Hola, señora.\nhttps://x.example/c/huerto".into(),
            html: "<p>Hola, señora.</p>".into(),
            unsubscribe_url: Some("https://x.example/email/unsubscribe/1/digest-daily/abc".into()),
            list_id: Some("huerto.x.example".into()),
        }
    }

    #[test]
    fn a_mail_has_both_parts_and_one_click_unsubscribe_headers() {
        let from: Mailbox = "Commons <commons@x.example>".parse().expect("from");
        let text = compose(&letter(), &from, "x.example").expect("composes");
        assert!(text.is_ascii());
        assert!(text.contains("multipart/alternative"));
        assert!(text.contains("text/plain"));
        assert!(text.contains("text/html"));
        assert!(text.contains(
            "List-Unsubscribe: <https://x.example/email/unsubscribe/1/digest-daily/abc>"
        ));
        assert!(text.contains("List-Unsubscribe-Post: List-Unsubscribe=One-Click"));
        assert!(text.contains("List-Id: <huerto.x.example>"));
        assert!(text.contains("@x.example>"));
    }

    #[test]
    fn a_subject_cannot_smuggle_headers() {
        let from: Mailbox = "commons@x.example".parse().expect("from");
        let mut hostile = letter();
        hostile.subject = "Hi\r\nBcc: everyone@example.org".into();
        let text = compose(&hostile, &from, "x.example").expect("composes");
        assert!(!text.contains("\r\nBcc:"));
    }

    #[test]
    fn the_host_comes_from_the_public_address() {
        assert_eq!(host_of("https://commons.example:8443/x"), "commons.example");
        assert_eq!(host_of("http://127.0.0.1:8080"), "127.0.0.1");
        assert_eq!(host_of("http://[::1]:80"), "::1");
        assert_eq!(host_of(""), "localhost");
    }
}
