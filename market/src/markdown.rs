//! Listing descriptions are Markdown written by members: rendered with pulldown-cmark, then
//! cleaned by ammonia so that no script, style, image or frame survives (an image would make
//! readers' browsers fetch from another server), and every link opens safely.

use std::collections::HashSet;

use pulldown_cmark::{html, Event, Options, Parser};

/// The tags a description may keep. Headings are not among them: a listing's page has its own
/// heading outline, and a member's `# Title` becomes plain text instead of breaking it.
const TAGS_ALLOWED: &[&str] = &[
    "p",
    "br",
    "em",
    "strong",
    "del",
    "a",
    "ul",
    "ol",
    "li",
    "blockquote",
    "code",
    "pre",
    "hr",
];

/// How deeply blockquotes and lists may nest; markers beyond are kept as plain text. Nesting
/// is what makes Markdown's cost grow faster than its length.
pub const NESTING_MAX: usize = 16;

/// Most rendered HTML remembered, in bytes (see [`render`]).
pub const RENDERED_BYTES_MAX: u64 = 8 * 1024 * 1024;

/// Renders Markdown to safe HTML. The same text is rendered once per process and then read
/// from memory (bounded by [`RENDERED_BYTES_MAX`]): a page view never pays for it again.
pub fn render(source: &str) -> String {
    let key = remembered_key(source);
    if let Some(html) = rendered().get(&key) {
        return html.to_string();
    }
    let html: std::sync::Arc<str> = render_uncached(source).into();
    rendered().insert(key, html.clone());
    html.to_string()
}

type Rendered = quick_cache::sync::Cache<(usize, u64, u64), std::sync::Arc<str>, ByLength>;

#[derive(Clone)]
struct ByLength;

impl quick_cache::Weighter<(usize, u64, u64), std::sync::Arc<str>> for ByLength {
    fn weight(&self, _key: &(usize, u64, u64), html: &std::sync::Arc<str>) -> u64 {
        html.len() as u64 + 64
    }
}

fn rendered() -> &'static Rendered {
    static RENDERED: std::sync::OnceLock<Rendered> = std::sync::OnceLock::new();
    RENDERED.get_or_init(|| {
        quick_cache::sync::Cache::with_weighter(4_096, RENDERED_BYTES_MAX, ByLength)
    })
}

/// The text's length and two hashes under keys drawn at random for this process: nobody can
/// make two texts collide on purpose.
fn remembered_key(source: &str) -> (usize, u64, u64) {
    use std::hash::BuildHasher;
    static KEYS: std::sync::OnceLock<(
        std::collections::hash_map::RandomState,
        std::collections::hash_map::RandomState,
    )> = std::sync::OnceLock::new();
    let (first, second) = KEYS.get_or_init(Default::default);
    (
        source.len(),
        first.hash_one(source),
        second.hash_one(source),
    )
}

fn render_uncached(source: &str) -> String {
    let mut options = Options::empty();
    options.insert(Options::ENABLE_STRIKETHROUGH);
    let capped = nesting_capped(source);
    // Raw HTML in the text is dropped before any HTML parser sees it (its nesting could be
    // as costly as Markdown's).
    let parser = Parser::new_ext(&capped, options)
        .filter(|event| !matches!(event, Event::Html(_) | Event::InlineHtml(_)));
    let mut unsafe_html = String::with_capacity(source.len() * 3 / 2);
    html::push_html(&mut unsafe_html, parser);
    ammonia::Builder::default()
        .tags(TAGS_ALLOWED.iter().copied().collect::<HashSet<_>>())
        .url_schemes(["http", "https", "mailto"].into_iter().collect())
        .link_rel(Some("nofollow noopener noreferrer"))
        .clean(&unsafe_html)
        .to_string()
}

/// The text with every line's blockquote and list markers beyond [`NESTING_MAX`] deep removed
/// (its words kept).
fn nesting_capped(source: &str) -> std::borrow::Cow<'_, str> {
    if !source
        .lines()
        .any(|line| container_depth(line).0 > NESTING_MAX)
    {
        return std::borrow::Cow::Borrowed(source);
    }
    let mut out = String::with_capacity(source.len());
    for line in source.split_inclusive('\n') {
        let (depth, cut_at, rest_at) = container_depth(line);
        if depth > NESTING_MAX {
            out.push_str(&line[..cut_at]);
            out.push_str(&line[rest_at..]);
        } else {
            out.push_str(line);
        }
    }
    std::borrow::Cow::Owned(out)
}

/// How many container markers (`>`, `-`, `*`, `+`, `1.`, `1)`) open a line, where the one past
/// [`NESTING_MAX`] starts, and where the markers end.
fn container_depth(line: &str) -> (usize, usize, usize) {
    let bytes = line.as_bytes();
    let (mut at, mut depth, mut cut_at) = (0, 0, 0);
    loop {
        let mut next = at;
        while next < bytes.len() && (bytes[next] == b' ' || bytes[next] == b'\t') {
            next += 1;
        }
        let marker_end = match bytes.get(next) {
            Some(b'>') => next + 1,
            Some(b'-' | b'*' | b'+') if matches!(bytes.get(next + 1), Some(b' ' | b'\t')) => {
                next + 1
            }
            Some(b'0'..=b'9') => {
                let mut digits = next;
                while digits < bytes.len() && digits - next < 9 && bytes[digits].is_ascii_digit() {
                    digits += 1;
                }
                match (bytes.get(digits), bytes.get(digits + 1)) {
                    (Some(b'.' | b')'), Some(b' ' | b'\t')) => digits + 1,
                    _ => break,
                }
            }
            _ => break,
        };
        depth += 1;
        if depth == NESTING_MAX + 1 {
            cut_at = at;
        }
        at = marker_end;
    }
    (depth, cut_at, at)
}

/// The first `chars_max` characters of a description as plain text (for cards and calendars).
pub fn plain_excerpt(source: &str, chars_max: usize) -> String {
    let parser = Parser::new(source);
    let mut text = String::new();
    for event in parser {
        match event {
            Event::Text(t) | Event::Code(t) => text.push_str(&t),
            Event::SoftBreak | Event::HardBreak | Event::End(_)
                if !text.ends_with(' ') && !text.is_empty() =>
            {
                text.push(' ');
            }
            _ => {}
        }
    }
    let text = text.split_whitespace().collect::<Vec<_>>().join(" ");
    if text.chars().count() <= chars_max {
        text
    } else {
        let cut: String = text.chars().take(chars_max.saturating_sub(1)).collect();
        format!("{}…", cut.trim_end())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The worst inputs found, each 20,000 characters (the longest text any form takes): before
    /// the cap, 20,000 `>` took about 1.6 s of CPU per view.
    fn hostile() -> Vec<(&'static str, String)> {
        let n = 20_000;
        vec![
            ("quotes", ">".repeat(n)),
            ("spaced quotes", "> ".repeat(n / 2)),
            ("lists", "- ".repeat(n / 2)),
            ("numbered", "1. ".repeat(n / 3)),
            ("quoted lists", "> - ".repeat(n / 4)),
            ("brackets", "[".repeat(n)),
            ("emphasis", "*a".repeat(n / 2)),
            ("links", "[a](".repeat(n / 4)),
            ("html", "<div>".repeat(n / 5)),
            ("backticks", "`".repeat(n)),
            (
                "nested lines",
                (0..140)
                    .map(|i| format!("{}- x\n", " ".repeat(2 * i)))
                    .collect(),
            ),
        ]
    }

    #[test]
    fn the_worst_inputs_render_in_a_few_milliseconds() {
        for (what, text) in hostile() {
            let started = std::time::Instant::now();
            let html = render_uncached(&text);
            let took = started.elapsed();
            // Generous for a debug build on a busy machine; the uncapped cost was seconds.
            assert!(took.as_millis() < 400, "{what}: {took:?}");
            assert!(
                html.len() < 40 * text.len() + 1_000,
                "{what}: {} bytes",
                html.len()
            );
        }
    }

    #[test]
    fn nesting_beyond_the_cap_becomes_text() {
        let deep = format!("{}deep", "> ".repeat(40));
        let html = render_uncached(&deep);
        assert_eq!(html.matches("<blockquote>").count(), NESTING_MAX, "{html}");
        assert!(html.contains("deep"));
        let shallow = "> > quoted twice";
        assert_eq!(render_uncached(shallow).matches("<blockquote>").count(), 2);
    }

    #[test]
    fn raw_html_is_dropped_and_its_words_kept() {
        let html = render("<b>bold</b> and <script>alert(1)</script>");
        assert!(!html.contains("<b>") && !html.contains("script"), "{html}");
        assert!(html.contains("bold"), "{html}");
    }

    #[test]
    fn the_same_text_is_rendered_once() {
        let text = format!("**remembered** {}", std::process::id());
        assert_eq!(render(&text), render_uncached(&text));
        assert!(rendered().get(&remembered_key(&text)).is_some());
    }

    #[test]
    fn markdown_keeps_emphasis_lists_and_safe_links() {
        let html = render("**Brakes**, *gears* and\n\n- tyres\n- [my page](https://example.org)");
        assert!(html.contains("<strong>Brakes</strong>"), "{html}");
        assert!(html.contains("<li>tyres</li>"), "{html}");
        assert!(
            html.contains(r#"rel="nofollow noopener noreferrer""#),
            "{html}"
        );
    }

    #[test]
    fn scripts_images_styles_and_javascript_links_are_removed() {
        let html = render(
            "<script>alert(1)</script>\n\n![x](https://tracker.example/pixel.png)\n\n\
             <img src=https://tracker.example/a.png>\n\n[click](javascript:alert(1))\n\n\
             <p style=\"color:red\" onclick=\"x()\">hi</p>\n\n<iframe src=\"https://e.example\"></iframe>\n\n# Heading",
        );
        for banned in [
            "<script",
            "<img",
            "tracker.example",
            "javascript:",
            "style=",
            "onclick",
            "<iframe",
            "<h1",
        ] {
            assert!(!html.contains(banned), "{banned} survived: {html}");
        }
        assert!(html.contains("Heading"), "the heading's words stay: {html}");
    }

    #[test]
    fn excerpts_are_plain_and_bounded() {
        assert_eq!(
            plain_excerpt("**Bold** move\n\nnext", 100),
            "Bold move next"
        );
        assert_eq!(plain_excerpt("abcdefghij", 5), "abcd…");
    }
}
