//! Translations: every text a person reads comes from a Fluent catalogue (`web/locales/*/main.ftl`),
//! English and Spanish shipped. The language is the member's choice, else a cookie set from
//! the footer, else the browser's `Accept-Language`.

use std::sync::Arc;

use fluent_bundle::concurrent::FluentBundle;
use fluent_bundle::{FluentArgs, FluentResource, FluentValue};
use fluent_langneg::{negotiate_languages, NegotiationStrategy};
use unic_langid::LanguageIdentifier;

/// Languages shipped, with their own names (shown in the language menu).
pub const LANGUAGES: &[(&str, &str)] = &[("en", "English"), ("es", "Español")];
const CATALOGUES: &[(&str, &str)] = &[
    ("en", include_str!("../locales/en/main.ftl")),
    ("es", include_str!("../locales/es/main.ftl")),
];

/// All catalogues, loaded once at start-up.
pub struct Catalogues {
    bundles: Vec<(String, FluentBundle<FluentResource>)>,
}

impl std::fmt::Debug for Catalogues {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Catalogues({} languages)", self.bundles.len())
    }
}

impl Catalogues {
    /// Parses the shipped catalogues. A syntax error in one is a bug caught by the tests.
    pub fn load() -> Arc<Catalogues> {
        let bundles = CATALOGUES
            .iter()
            .map(|(code, text)| {
                let id: LanguageIdentifier = code.parse().expect("shipped language codes parse");
                let resource =
                    FluentResource::try_new((*text).to_owned()).unwrap_or_else(|(_, errors)| {
                        panic!("catalogue {code} has errors: {errors:?}")
                    });
                let mut bundle = FluentBundle::new_concurrent(vec![id]);
                // Isolation marks would show up in attributes and CSV; the pages set `dir`.
                bundle.set_use_isolating(false);
                bundle
                    .add_resource(resource)
                    .unwrap_or_else(|errors| panic!("catalogue {code} repeats ids: {errors:?}"));
                ((*code).to_owned(), bundle)
            })
            .collect();
        Arc::new(Catalogues { bundles })
    }

    /// The best shipped language for a stored choice or an `Accept-Language` header.
    pub fn negotiate(&self, choice: Option<&str>, accept_language: Option<&str>) -> String {
        if let Some(choice) = choice {
            if LANGUAGES.iter().any(|(code, _)| *code == choice) {
                return choice.to_owned();
            }
        }
        let requested: Vec<LanguageIdentifier> = accept_language
            .map(parse_accept_language)
            .unwrap_or_default();
        let available: Vec<LanguageIdentifier> = LANGUAGES
            .iter()
            .filter_map(|(code, _)| code.parse().ok())
            .collect();
        let default: LanguageIdentifier = "en".parse().expect("valid");
        let chosen = negotiate_languages(
            &requested,
            &available,
            Some(&default),
            NegotiationStrategy::Lookup,
        );
        chosen
            .first()
            .map(|id| id.language.as_str().to_owned())
            .unwrap_or_else(|| "en".to_owned())
    }

    /// A translator for one language.
    pub fn translator(self: &Arc<Catalogues>, language: &str) -> Tr {
        let index = self
            .bundles
            .iter()
            .position(|(code, _)| code == language)
            .unwrap_or(0);
        Tr {
            catalogues: self.clone(),
            index,
        }
    }

    /// Message ids of one catalogue (for the tests that keep catalogues in step).
    pub fn ids(language: &str) -> Vec<String> {
        let text = CATALOGUES
            .iter()
            .find(|(code, _)| *code == language)
            .map(|(_, text)| *text)
            .unwrap_or("");
        let resource = FluentResource::try_new(text.to_owned()).unwrap_or_else(|(r, _)| r);
        resource
            .entries()
            .filter_map(|entry| match entry {
                fluent_syntax::ast::Entry::Message(message) => Some(message.id.name.to_owned()),
                _ => None,
            })
            .collect()
    }
}

/// `Accept-Language: es-ES,es;q=0.9,en;q=0.8` → languages by preference (q = 0 dropped).
fn parse_accept_language(header: &str) -> Vec<LanguageIdentifier> {
    let mut weighted: Vec<(u32, usize, LanguageIdentifier)> = header
        .split(',')
        .take(20)
        .enumerate()
        .filter_map(|(position, part)| {
            let mut pieces = part.trim().split(';');
            let tag = pieces.next()?.trim();
            let quality = pieces
                .find_map(|piece| piece.trim().strip_prefix("q="))
                .and_then(|q| q.parse::<f32>().ok())
                .unwrap_or(1.0);
            if quality <= 0.0 {
                return None;
            }
            let id: LanguageIdentifier = tag.parse().ok()?;
            Some(((quality * 1000.0) as u32, position, id))
        })
        .collect();
    weighted.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
    weighted.into_iter().map(|(_, _, id)| id).collect()
}

/// Translates message ids for one request's language.
#[derive(Clone)]
pub struct Tr {
    catalogues: Arc<Catalogues>,
    index: usize,
}

impl std::fmt::Debug for Tr {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Tr({})", self.lang())
    }
}

impl Tr {
    pub fn lang(&self) -> &str {
        &self.catalogues.bundles[self.index].0
    }

    /// The text of message `id`.
    pub fn t(&self, id: &str) -> String {
        self.format(id, None)
    }

    /// The text of message `id` with named arguments.
    pub fn ta(&self, id: &str, args: &[(&str, &str)]) -> String {
        let mut fluent_args = FluentArgs::new();
        for (name, value) in args {
            fluent_args.set(*name, FluentValue::from(*value));
        }
        self.format(id, Some(&fluent_args))
    }

    /// The text of message `id` with a count (for plurals).
    pub fn tn(&self, id: &str, count: i64) -> String {
        let mut fluent_args = FluentArgs::new();
        fluent_args.set("count", FluentValue::from(count));
        self.format(id, Some(&fluent_args))
    }

    fn format(&self, id: &str, args: Option<&FluentArgs>) -> String {
        let bundles = &self.catalogues.bundles;
        // Fall back to English for a message a translation lacks (the tests forbid it, but a
        // page must never show an empty string).
        for bundle in [&bundles[self.index].1, &bundles[0].1] {
            if let Some(pattern) = bundle.get_message(id).and_then(|message| message.value()) {
                let mut errors = Vec::new();
                let text = bundle.format_pattern(pattern, args, &mut errors);
                if !errors.is_empty() {
                    tracing::warn!(id, ?errors, "a message did not format cleanly");
                }
                return text.into_owned();
            }
        }
        tracing::warn!(id, "missing message");
        id.to_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn catalogues_have_the_same_messages() {
        let english: std::collections::BTreeSet<String> =
            Catalogues::ids("en").into_iter().collect();
        assert!(english.len() > 50);
        for (code, _) in LANGUAGES {
            let other: std::collections::BTreeSet<String> =
                Catalogues::ids(code).into_iter().collect();
            let missing: Vec<_> = english.difference(&other).collect();
            let extra: Vec<_> = other.difference(&english).collect();
            assert!(missing.is_empty(), "{code} lacks {missing:?}");
            assert!(extra.is_empty(), "{code} has unknown {extra:?}");
        }
    }

    #[test]
    fn every_message_used_in_the_code_exists() {
        let english: std::collections::BTreeSet<String> =
            Catalogues::ids("en").into_iter().collect();
        let pattern = regex_lite_ids(concat!(env!("CARGO_MANIFEST_DIR"), "/src"));
        let missing: Vec<_> = pattern.iter().filter(|id| !english.contains(*id)).collect();
        assert!(
            missing.is_empty(),
            "used but not in the catalogue: {missing:?}"
        );
    }

    /// Ids in `.t("…")`, `.ta("…"`, `.tn("…"` and `"error-…"` / `"flash-…"` literals.
    fn regex_lite_ids(dir: &str) -> std::collections::BTreeSet<String> {
        let mut ids = std::collections::BTreeSet::new();
        let mut stack = vec![std::path::PathBuf::from(dir)];
        while let Some(path) = stack.pop() {
            if path.is_dir() {
                for entry in std::fs::read_dir(&path).expect("readable").flatten() {
                    stack.push(entry.path());
                }
                continue;
            }
            if path.extension().is_none_or(|ext| ext != "rs") || path.ends_with("i18n.rs") {
                continue;
            }
            let text = std::fs::read_to_string(&path).expect("readable");
            for marker in [".t(\"", ".ta(\"", ".tn(\"", "\"error-", "\"flash-"] {
                let mut rest = text.as_str();
                while let Some(at) = rest.find(marker) {
                    rest = &rest[at + marker.len()..];
                    let prefix = if marker.starts_with('.') {
                        ""
                    } else {
                        marker.strip_prefix('"').unwrap_or("")
                    };
                    let end = rest.find('"').unwrap_or(0);
                    let id = format!("{prefix}{}", &rest[..end]);
                    if !id.is_empty() && !id.contains('{') && !id.ends_with('-') {
                        ids.insert(id);
                    }
                }
            }
        }
        ids
    }

    #[test]
    fn languages_follow_choice_then_browser() {
        let catalogues = Catalogues::load();
        assert_eq!(catalogues.negotiate(Some("es"), Some("en")), "es");
        assert_eq!(
            catalogues.negotiate(None, Some("es-MX,es;q=0.9,en;q=0.5")),
            "es"
        );
        assert_eq!(catalogues.negotiate(None, Some("fr,en;q=0.3")), "en");
        assert_eq!(catalogues.negotiate(None, Some("es;q=0,en")), "en");
        assert_eq!(catalogues.negotiate(Some("xx"), None), "en");
        let tr = catalogues.translator("es");
        assert_eq!(tr.lang(), "es");
        assert_ne!(tr.t("nav-home"), "nav-home");
    }
}
