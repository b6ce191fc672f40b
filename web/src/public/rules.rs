//! What a circle's public page may say, decided without IO: its sections (about, values, ways
//! of working, collaborations, how to get involved), each written in Markdown per language by
//! the stewards and shown in the reader's language (else in another one the stewards wrote),
//! the editor's form parsed once into a command, and which items may be shared publicly.

use crate::services::FieldProblem;

/// Longest text of one section, in characters.
pub const SECTION_CHARS_MAX: usize = 20_000;
/// Most news posts, listings and events one public page lists.
pub const PUBLIC_ITEMS_MAX: usize = 20;

/// One section of a circle's public page.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Section {
    About,
    Values,
    Ways,
    Collaborations,
    Involved,
}

impl Section {
    pub const ALL: [Section; 5] = [
        Section::About,
        Section::Values,
        Section::Ways,
        Section::Collaborations,
        Section::Involved,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Section::About => "about",
            Section::Values => "values",
            Section::Ways => "ways",
            Section::Collaborations => "collaborations",
            Section::Involved => "involved",
        }
    }

    pub fn parse(text: &str) -> Option<Section> {
        Section::ALL.into_iter().find(|s| s.as_str() == text)
    }
}

/// A section's text in one language.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SectionText {
    pub language: String,
    pub section: Section,
    pub body: String,
}

/// The text to show for `section` to a reader of `language`: theirs if the stewards wrote it,
/// else the first other language that has it (in the node's order of languages).
pub fn text_for<'a>(
    texts: &'a [SectionText],
    section: Section,
    language: &str,
    languages: &[&str],
) -> Option<&'a SectionText> {
    let written = |lang: &str| {
        texts
            .iter()
            .find(|t| t.section == section && t.language == lang && !t.body.trim().is_empty())
    };
    written(language).or_else(|| languages.iter().find_map(|lang| written(lang)))
}

/// What the stewards' editor asks for: whether the page is on, and every section's text in
/// every language.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PublicPageCommand {
    pub enabled: bool,
    pub texts: Vec<SectionText>,
}

impl PublicPageCommand {
    /// Parses the editor's fields (`{section}_{language}`), refusing texts that are too long
    /// and any field the editor does not have.
    pub fn parse(
        enabled: bool,
        fields: &[(String, String)],
        languages: &[&str],
    ) -> Result<PublicPageCommand, Vec<FieldProblem>> {
        let mut texts = Vec::new();
        let mut problems = Vec::new();
        for (name, value) in fields {
            let Some((section, language)) = name.split_once('_') else {
                continue;
            };
            let (Some(section), Some(language)) = (
                Section::parse(section),
                languages.iter().find(|l| **l == language),
            ) else {
                continue;
            };
            match crate::names::bounded_text(value, SECTION_CHARS_MAX) {
                Ok(body) => texts.push(SectionText {
                    language: (*language).to_owned(),
                    section,
                    body,
                }),
                Err(_) => problems.push(FieldProblem::new(
                    field_name(section, language),
                    "public-error-long",
                )),
            }
        }
        if problems.is_empty() {
            Ok(PublicPageCommand { enabled, texts })
        } else {
            Err(problems)
        }
    }
}

/// The editor's field for a section in a language (a static name, for error messages).
pub fn field_name(section: Section, language: &str) -> &'static str {
    const NAMES: [[&str; 2]; 5] = [
        ["about_en", "about_es"],
        ["values_en", "values_es"],
        ["ways_en", "ways_es"],
        ["collaborations_en", "collaborations_es"],
        ["involved_en", "involved_es"],
    ];
    let row = Section::ALL.iter().position(|s| *s == section).unwrap_or(0);
    let column = usize::from(language == "es");
    NAMES[row][column]
}

/// What can be shared on the public page.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Shared {
    News,
    Listing,
}

impl Shared {
    pub fn as_str(self) -> &'static str {
        match self {
            Shared::News => "news",
            Shared::Listing => "listing",
        }
    }

    pub fn parse(text: &str) -> Option<Shared> {
        [Shared::News, Shared::Listing]
            .into_iter()
            .find(|s| s.as_str() == text)
    }

    /// Who may share an item publicly or take it back: a listing, its author alone (it is
    /// their offer); a news post, its author or a steward (news speaks for the circle).
    pub fn may_share(self, is_author: bool, is_steward: bool) -> bool {
        match self {
            Shared::Listing => is_author,
            Shared::News => is_author || is_steward,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(language: &str, section: Section, body: &str) -> SectionText {
        SectionText {
            language: language.into(),
            section,
            body: body.into(),
        }
    }

    #[test]
    fn a_reader_gets_their_language_else_another_the_stewards_wrote() {
        let texts = vec![
            text("en", Section::About, "We share."),
            text("es", Section::About, "Compartimos."),
            text("en", Section::Values, "Care."),
            text("es", Section::Ways, "  "),
        ];
        let langs = ["en", "es"];
        assert_eq!(
            text_for(&texts, Section::About, "es", &langs).map(|t| t.body.as_str()),
            Some("Compartimos.")
        );
        assert_eq!(
            text_for(&texts, Section::Values, "es", &langs).map(|t| t.body.as_str()),
            Some("Care.")
        );
        assert_eq!(
            text_for(&texts, Section::Ways, "es", &langs),
            None,
            "blank is not written"
        );
    }

    #[test]
    fn the_editor_form_parses_known_fields_and_refuses_long_texts() {
        let langs = ["en", "es"];
        let fields = vec![
            ("about_en".to_owned(), "We share tools.".to_owned()),
            ("about_fr".to_owned(), "Nous partageons.".to_owned()),
            ("secret_en".to_owned(), "x".to_owned()),
            ("csrf".to_owned(), "token".to_owned()),
        ];
        let command = PublicPageCommand::parse(true, &fields, &langs).expect("parses");
        assert_eq!(
            command.texts,
            vec![text("en", Section::About, "We share tools.")]
        );
        let long = vec![("values_es".to_owned(), "x".repeat(SECTION_CHARS_MAX + 1))];
        let problems = PublicPageCommand::parse(true, &long, &langs).expect_err("too long");
        assert_eq!(problems[0].field, "values_es");
    }

    #[test]
    fn a_listing_is_shared_by_its_author_and_news_by_its_author_or_a_steward() {
        assert!(Shared::Listing.may_share(true, false));
        assert!(
            !Shared::Listing.may_share(false, true),
            "a steward cannot publish a member's offer"
        );
        assert!(Shared::News.may_share(false, true));
        assert!(!Shared::News.may_share(false, false));
    }

    #[test]
    fn every_section_and_language_has_a_field_name() {
        let languages: Vec<&str> = crate::i18n::LANGUAGES
            .iter()
            .map(|(code, _)| *code)
            .collect();
        assert_eq!(
            languages,
            ["en", "es"],
            "a new language needs its field names here"
        );
        for section in Section::ALL {
            for language in ["en", "es"] {
                assert_eq!(
                    field_name(section, language),
                    format!("{}_{language}", section.as_str())
                );
            }
        }
    }
}
