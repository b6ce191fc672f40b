//! The circle's category tree: two levels (`repairs/bikes`), sensible defaults every circle
//! starts with, and the plain-text form stewards edit it in.

/// Most categories one circle may have.
pub const CATEGORIES_MAX: usize = 200;
/// Longest category label, in characters.
pub const LABEL_CHARS_MAX: usize = 60;

/// The categories every circle starts with, as (top, [leaves]). Their labels are in the
/// catalogue under `category-{top}` and `category-{top}-{leaf}`.
pub const DEFAULTS: &[(&str, &[&str])] = &[
    (
        "things",
        &[
            "tools",
            "household",
            "clothes",
            "books-media",
            "kids",
            "garden-plants",
            "sports-bikes",
            "electronics",
            "furniture",
        ],
    ),
    ("food", &["meals", "produce", "baking-preserves"]),
    ("home", &["repairs-diy", "cleaning", "gardening", "moving"]),
    ("care", &["childcare", "eldercare", "pets", "wellbeing"]),
    ("transport", &["lifts", "deliveries"]),
    ("repairs", &["bikes", "electronics", "sewing", "furniture"]),
    (
        "learning",
        &["languages", "music", "tutoring", "computers", "crafts"],
    ),
    ("admin", &["paperwork", "translation", "writing"]),
    ("creative", &["art-design", "photography"]),
    ("events", &["workshops", "gatherings", "repair-cafe"]),
    ("other", &[]),
];

/// One category: its path and, for a circle's own categories, the label its stewards gave it
/// (default categories have none: their label comes from the catalogue).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Category {
    pub path: String,
    pub label: Option<String>,
}

impl Category {
    /// `repairs` for `repairs/bikes`.
    pub fn top(&self) -> &str {
        top_of(&self.path)
    }
    pub fn is_leaf(&self) -> bool {
        self.path.contains('/')
    }
    /// The catalogue id of a default category's label.
    pub fn message_id(&self) -> String {
        format!("category-{}", self.path.replace('/', "-"))
    }
}

/// The top-level part of a category path.
pub fn top_of(path: &str) -> &str {
    path.split('/').next().unwrap_or(path)
}

/// A circle's categories in display order: each top level followed by its leaves.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tree(Vec<Category>);

impl Default for Tree {
    fn default() -> Tree {
        let mut categories = Vec::new();
        for (top, leaves) in DEFAULTS {
            categories.push(Category {
                path: top.to_string(),
                label: None,
            });
            for leaf in *leaves {
                categories.push(Category {
                    path: format!("{top}/{leaf}"),
                    label: None,
                });
            }
        }
        Tree(categories)
    }
}

/// Why an edited tree was not accepted.
#[derive(Debug, thiserror::Error, Clone, PartialEq, Eq)]
pub enum TreeError {
    #[error("line {line}: a category path is lowercase words joined by '-', at most two levels")]
    BadPath { line: usize },
    #[error("line {line}: {path} appears twice")]
    Repeated { line: usize, path: String },
    #[error("line {line}: the parent of {path} must come before it")]
    Orphan { line: usize, path: String },
    #[error("line {line}: the label is longer than 60 characters")]
    LabelTooLong { line: usize },
    #[error("a circle may have at most 200 categories")]
    TooMany,
}

impl TreeError {
    /// The catalogue id explaining the error, and the line it is on (0 for none).
    pub fn message(&self) -> (&'static str, usize) {
        match self {
            TreeError::BadPath { line } => ("categories-error-path", *line),
            TreeError::Repeated { line, .. } => ("categories-error-repeated", *line),
            TreeError::Orphan { line, .. } => ("categories-error-orphan", *line),
            TreeError::LabelTooLong { line } => ("categories-error-label", *line),
            TreeError::TooMany => ("categories-error-too-many", 0),
        }
    }
}

fn valid_segment(segment: &str) -> bool {
    !segment.is_empty()
        && segment.len() <= 40
        && segment
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
}

impl Tree {
    pub fn categories(&self) -> &[Category] {
        &self.0
    }

    pub fn contains(&self, path: &str) -> bool {
        self.0.iter().any(|c| c.path == path)
    }

    pub fn get(&self, path: &str) -> Option<&Category> {
        self.0.iter().find(|c| c.path == path)
    }

    /// Parses the text stewards edit: one category per line, `path = Label` or just `path`
    /// (a default category keeps its translated label). Blank lines and `#` comments are skipped.
    pub fn parse(text: &str) -> Result<Tree, TreeError> {
        let mut categories: Vec<Category> = Vec::new();
        for (index, raw) in text.lines().enumerate() {
            let line = index + 1;
            let raw = raw.trim();
            if raw.is_empty() || raw.starts_with('#') {
                continue;
            }
            let (path, label) = match raw.split_once('=') {
                Some((path, label)) => (path.trim(), Some(label.trim())),
                None => (raw, None),
            };
            let segments: Vec<&str> = path.split('/').collect();
            if segments.len() > 2 || !segments.iter().all(|s| valid_segment(s)) {
                return Err(TreeError::BadPath { line });
            }
            if categories.iter().any(|c| c.path == path) {
                return Err(TreeError::Repeated {
                    line,
                    path: path.to_string(),
                });
            }
            if segments.len() == 2 && !categories.iter().any(|c| c.path == segments[0]) {
                return Err(TreeError::Orphan {
                    line,
                    path: path.to_string(),
                });
            }
            let label = label.filter(|l| !l.is_empty());
            if label.is_some_and(|l| l.chars().count() > LABEL_CHARS_MAX) {
                return Err(TreeError::LabelTooLong { line });
            }
            categories.push(Category {
                path: path.to_string(),
                label: label.map(str::to_string),
            });
            if categories.len() > CATEGORIES_MAX {
                return Err(TreeError::TooMany);
            }
        }
        if !categories.iter().any(|c| c.path == "other") {
            categories.push(Category {
                path: "other".into(),
                label: None,
            });
        }
        // Leaves follow their parent in display order, whatever order they were typed in.
        let mut ordered = Vec::with_capacity(categories.len());
        for top in categories.iter().filter(|c| !c.is_leaf()) {
            ordered.push(top.clone());
            ordered.extend(
                categories
                    .iter()
                    .filter(|c| c.is_leaf() && c.top() == top.path)
                    .cloned(),
            );
        }
        Ok(Tree(ordered))
    }

    /// The text form of the tree, which [`Tree::parse`] reads back unchanged.
    pub fn to_text(&self) -> String {
        let mut text = String::new();
        for category in &self.0 {
            text.push_str(&category.path);
            if let Some(label) = &category.label {
                text.push_str(" = ");
                text.push_str(label);
            }
            text.push('\n');
        }
        text
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_default_tree_reads_back_from_its_text() {
        let tree = Tree::default();
        assert!(tree.contains("repairs/bikes"));
        assert!(tree.contains("other"));
        assert_eq!(Tree::parse(&tree.to_text()), Ok(tree));
    }

    #[test]
    fn stewards_add_labelled_categories_and_mistakes_are_named_by_line() {
        let tree = Tree::parse("seeds = Seed library\nseeds/tomatoes = Tomatoes\nrepairs\n")
            .expect("parses");
        assert_eq!(
            tree.get("seeds/tomatoes").and_then(|c| c.label.clone()),
            Some("Tomatoes".into())
        );
        assert!(tree.contains("other"), "other is always there");
        assert_eq!(
            Tree::parse("a/b\n"),
            Err(TreeError::Orphan {
                line: 1,
                path: "a/b".into()
            })
        );
        assert_eq!(
            Tree::parse("Big Things\n"),
            Err(TreeError::BadPath { line: 1 })
        );
        assert_eq!(
            Tree::parse("a\na/b/c\n"),
            Err(TreeError::BadPath { line: 2 })
        );
        assert_eq!(
            Tree::parse("a\n\na\n"),
            Err(TreeError::Repeated {
                line: 3,
                path: "a".into()
            })
        );
    }
}
