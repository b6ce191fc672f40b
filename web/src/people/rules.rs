//! The rules of people's profiles, without IO: skills and interests parsed into tags (folded,
//! bounded, no repeats), what to ask someone about, and which members a need's words find by
//! their skills.

use std::collections::BTreeSet;

use crate::services::FieldProblem;

/// Most skills, and most interests, one person lists.
pub const TAGS_PER_KIND_MAX: usize = 20;
/// Longest tag, in characters.
pub const TAG_CHARS_MAX: usize = 40;
/// Longest "ask me about", in characters.
pub const ASK_ME_ABOUT_CHARS_MAX: usize = 280;

/// Which list a tag is on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum TagKind {
    /// What the person can do or teach.
    Skill,
    /// What the person cares about or would like to learn.
    Interest,
}

impl TagKind {
    pub fn as_str(self) -> &'static str {
        match self {
            TagKind::Skill => "skill",
            TagKind::Interest => "interest",
        }
    }
    pub fn parse(text: &str) -> Option<TagKind> {
        match text {
            "skill" => Some(TagKind::Skill),
            "interest" => Some(TagKind::Interest),
            _ => None,
        }
    }
}

/// A tag as kept and compared: trimmed, inner spaces collapsed, lowercase.
pub fn fold_tag(text: &str) -> String {
    text.split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .to_lowercase()
}

/// A list typed as "bike repair, sourdough; Spanish" (commas, semicolons or lines): each tag
/// folded, repeats dropped, in the order typed.
pub fn parse_tags(text: &str, field: &'static str) -> Result<Vec<String>, FieldProblem> {
    let mut seen = BTreeSet::new();
    let mut tags = Vec::new();
    for raw in text.split([',', ';', '\n']) {
        let tag = fold_tag(raw);
        if tag.is_empty() {
            continue;
        }
        if tag.chars().count() > TAG_CHARS_MAX || tag.chars().any(char::is_control) {
            return Err(FieldProblem::new(field, "profile-error-tag-long"));
        }
        if seen.insert(tag.clone()) {
            tags.push(tag);
        }
    }
    if tags.len() > TAGS_PER_KIND_MAX {
        return Err(FieldProblem::new(field, "profile-error-too-many-tags"));
    }
    Ok(tags)
}

/// The words of a profile beyond the name and bio, parsed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ProfileExtras {
    pub skills: Vec<String>,
    pub interests: Vec<String>,
    pub ask_me_about: String,
    /// Whether the circles' public pages may show this profile.
    pub public: bool,
}

impl ProfileExtras {
    pub fn parse(
        skills: &str,
        interests: &str,
        ask_me_about: &str,
        public: bool,
    ) -> Result<ProfileExtras, Vec<FieldProblem>> {
        let skills = parse_tags(skills, "skills");
        let interests = parse_tags(interests, "interests");
        let ask = crate::names::bounded_text(ask_me_about.trim(), ASK_ME_ABOUT_CHARS_MAX)
            .map_err(|_| FieldProblem::new("ask_me_about", "profile-error-ask-long"));
        match (skills, interests, ask) {
            (Ok(skills), Ok(interests), Ok(ask_me_about)) => Ok(ProfileExtras {
                skills,
                interests,
                ask_me_about,
                public,
            }),
            (skills, interests, ask) => Err([skills.err(), interests.err(), ask.err()]
                .into_iter()
                .flatten()
                .collect()),
        }
    }
}

/// The words of a text that could name a skill: lowercase, letters and digits, at least three
/// characters (so "a", "to", "of" find nobody).
fn words(text: &str) -> BTreeSet<String> {
    text.split(|c: char| !c.is_alphanumeric())
        .filter(|w| w.chars().count() >= 3)
        .map(str::to_lowercase)
        .collect()
}

/// Whether someone's skill answers a need: a tag of the need equals the skill, or every word of
/// the skill is among the need's words ("bike repair" answers "Repair my bike's brakes"; a
/// skill's word must stand whole, so "art" never answers "party").
pub fn skill_answers(skill: &str, need_tags: &[String], need_words: &BTreeSet<String>) -> bool {
    let skill = fold_tag(skill);
    if need_tags.iter().any(|tag| fold_tag(tag) == skill) {
        return true;
    }
    let skill_words = words(&skill);
    !skill_words.is_empty()
        && skill_words.iter().all(|w| {
            need_words.contains(w)
                || need_words
                    .iter()
                    .any(|n| n.trim_end_matches('s') == w.trim_end_matches('s'))
        })
}

/// The words of a need (title, description and tags) that skills are compared with.
pub fn need_words(title: &str, description: &str, tags: &[String]) -> BTreeSet<String> {
    let mut all = words(title);
    all.extend(words(description));
    for tag in tags {
        all.extend(words(tag));
    }
    all
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tags_are_folded_split_on_commas_semicolons_and_lines_and_never_repeated() {
        let tags = parse_tags(
            " Bike  Repair, sourdough;\nSpanish , bike repair,, ",
            "skills",
        )
        .unwrap();
        assert_eq!(tags, ["bike repair", "sourdough", "spanish"]);
        assert!(parse_tags("", "skills").unwrap().is_empty());
    }

    #[test]
    fn too_many_or_too_long_tags_are_refused_with_the_field_named() {
        let many: Vec<String> = (0..=TAGS_PER_KIND_MAX)
            .map(|i| format!("skill {i}"))
            .collect();
        let error = parse_tags(&many.join(","), "skills").unwrap_err();
        assert_eq!(
            (error.field, error.message_id),
            ("skills", "profile-error-too-many-tags")
        );
        let error = parse_tags(&"x".repeat(TAG_CHARS_MAX + 1), "interests").unwrap_err();
        assert_eq!(
            (error.field, error.message_id),
            ("interests", "profile-error-tag-long")
        );
    }

    #[test]
    fn a_profile_names_every_wrong_field_at_once() {
        let fields: Vec<&str> = ProfileExtras::parse(
            &"x".repeat(TAG_CHARS_MAX + 1),
            "ok",
            &"y".repeat(ASK_ME_ABOUT_CHARS_MAX + 1),
            false,
        )
        .unwrap_err()
        .iter()
        .map(|p| p.field)
        .collect();
        assert_eq!(fields, ["skills", "ask_me_about"]);
    }

    #[test]
    fn a_skill_answers_a_need_by_tag_or_by_all_its_words() {
        let tags = vec!["bikes".to_owned()];
        let need = need_words("Repair my bike's brakes", "They squeal.", &tags);
        assert!(skill_answers("Bike repair", &tags, &need));
        assert!(skill_answers("bikes", &tags, &need));
        assert!(!skill_answers("sourdough", &tags, &need));
        assert!(
            !skill_answers("car repair", &tags, &need),
            "every word must be there"
        );
        let party = need_words("Help at the party", "", &[]);
        assert!(!skill_answers("art", &[], &party), "words stand whole");
    }
}
