//! Listing descriptions are Markdown written by members: rendered with pulldown-cmark, then
//! cleaned by ammonia so that no script, style, image or frame survives (an image would make
//! readers' browsers fetch from another server), and every link opens safely.

use std::collections::HashSet;

use pulldown_cmark::{html, Options, Parser};

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

/// Renders Markdown to safe HTML.
pub fn render(source: &str) -> String {
    let mut options = Options::empty();
    options.insert(Options::ENABLE_STRIKETHROUGH);
    let parser = Parser::new_ext(source, options);
    let mut unsafe_html = String::with_capacity(source.len() * 3 / 2);
    html::push_html(&mut unsafe_html, parser);
    ammonia::Builder::default()
        .tags(TAGS_ALLOWED.iter().copied().collect::<HashSet<_>>())
        .url_schemes(["http", "https", "mailto"].into_iter().collect())
        .link_rel(Some("nofollow noopener noreferrer"))
        .clean(&unsafe_html)
        .to_string()
}

/// The first `chars_max` characters of a description as plain text (for cards and calendars).
pub fn plain_excerpt(source: &str, chars_max: usize) -> String {
    let parser = Parser::new(source);
    let mut text = String::new();
    for event in parser {
        use pulldown_cmark::Event;
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
