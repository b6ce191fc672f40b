//! The public feeds of a circle that opted in: Atom for its shared news and for its shared
//! offers, needs and events (atom_syndication writes and escapes the XML), and iCalendar for
//! its shared events (in the circle's time zone). No member is named in them.

use std::str::FromStr;

use atom_syndication::{Content, Entry, Feed, FixedDateTime, Link, Person};
use commons_ledger::store::CircleInfo;
use commons_market::store::Listing;

use crate::db::news::NewsRow;

fn atom_time(ms: i64) -> FixedDateTime {
    let text = jiff::Timestamp::from_millisecond(ms)
        .unwrap_or(jiff::Timestamp::UNIX_EPOCH)
        .to_string();
    FixedDateTime::from_str(&text).unwrap_or_default()
}

fn link(href: String, rel: &str) -> Link {
    Link {
        href,
        rel: rel.to_owned(),
        ..Link::default()
    }
}

fn html_content(markdown: &str) -> Content {
    Content {
        value: Some(commons_market::markdown::render(markdown)),
        content_type: Some("html".to_owned()),
        ..Content::default()
    }
}

/// One feed: its page and its own address, titled, by the circle.
fn feed(
    circle: &CircleInfo,
    title: String,
    page: String,
    own: String,
    entries: Vec<Entry>,
) -> String {
    let updated = entries
        .iter()
        .map(|entry| entry.updated)
        .max()
        .unwrap_or_else(|| atom_time(0));
    let feed = Feed {
        title: title.into(),
        id: own.clone(),
        updated,
        authors: vec![Person {
            name: circle.name.clone(),
            uri: Some(page.clone()),
            ..Person::default()
        }],
        links: vec![link(page, "alternate"), link(own, "self")],
        entries,
        ..Feed::default()
    };
    feed.to_string()
}

/// One entry: an item's page, title, times and Markdown text.
fn entry(url: String, title: &str, (created_ms, updated_ms): (i64, i64), markdown: &str) -> Entry {
    Entry {
        title: title.to_owned().into(),
        id: url.clone(),
        updated: atom_time(updated_ms),
        published: Some(atom_time(created_ms)),
        links: vec![link(url, "alternate")],
        content: Some(html_content(markdown)),
        ..Entry::default()
    }
}

/// The circle's shared news as Atom.
pub fn news_feed(
    public_url: &str,
    circle: &CircleInfo,
    title: String,
    posts: &[NewsRow],
) -> String {
    let base = format!("{}/p/{}", public_url.trim_end_matches('/'), circle.slug);
    let entries = (posts.iter())
        .map(|p| {
            entry(
                format!("{base}/news/{}", p.id),
                &p.title,
                (p.created_at_ms, p.updated_at_ms),
                &p.body,
            )
        })
        .collect();
    feed(
        circle,
        title,
        base.clone(),
        format!("{base}/news.atom"),
        entries,
    )
}

/// The circle's shared offers, needs and events as Atom.
pub fn listings_feed(
    public_url: &str,
    circle: &CircleInfo,
    title: String,
    listings: &[Listing],
) -> String {
    let base = format!("{}/p/{}", public_url.trim_end_matches('/'), circle.slug);
    let entries = (listings.iter())
        .map(|l| {
            entry(
                format!("{base}/listings/{}", l.id),
                &l.title,
                (l.created_at_ms, l.updated_at_ms),
                &l.description,
            )
        })
        .collect();
    feed(
        circle,
        title,
        base.clone(),
        format!("{base}/listings.atom"),
        entries,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn feeds_escape_what_members_wrote() {
        let circle = CircleInfo {
            row_id: 1,
            slug: "garden".into(),
            circle_id: commons_ledger::keys::Hash::sha256(&[b"garden"]),
            name: "Garden <Share> & Co".into(),
            unit_name: "hours".into(),
            unit_symbol: "h".into(),
            decimals: 2,
            head_seq: 0,
        };
        let post = NewsRow {
            id: 1,
            circle: 1,
            author_id: 7,
            author_name: "Secret Name".into(),
            title: "Seeds </title><script>alert(1)</script>".into(),
            body: "Bring *seeds* <script>x</script>".into(),
            pinned: false,
            announced: false,
            comment_count: 0,
            withdrawn: false,
            created_at_ms: 1_700_000_000_000,
            updated_at_ms: 1_700_000_000_000,
        };
        let xml = news_feed("https://x.example/", &circle, "News".into(), &[post]);
        assert!(xml.contains("Garden &lt;Share&gt; &amp; Co"), "{xml}");
        assert!(!xml.contains("<script>"), "{xml}");
        assert!(!xml.contains("Secret Name"), "no member is named");
        assert!(xml.contains("https://x.example/p/garden/news/1"));
        assert!(xml.contains("2023-11-14T22:13:20"));
    }
}
