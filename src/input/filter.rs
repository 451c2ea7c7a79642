//! Which blocks of a paper to take: by kind, by the headings above them (a glob), by a pattern
//! in their text, by length. Paragraphs that did not come from a paper have no kind and no
//! section: only the pattern and the length apply to them.

use super::Paragraph;
use crate::place::BlockKind;
use globset::{Glob, GlobMatcher};
use regex::Regex;

#[derive(Debug, Clone, Default)]
pub struct BlockFilter {
    /// Kinds to keep (all when `None`).
    pub kinds: Option<Vec<BlockKind>>,
    /// Keep blocks under a heading matching this (or whose whole section path does, joined by
    /// ` › `).
    pub section: Option<GlobMatcher>,
    pub pattern: Option<Regex>,
    pub min_chars: usize,
}

/// An option of the filter that does not parse, named as on the command line.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FilterError {
    #[error(
        "--kinds: unknown kind {0:?}; the kinds are title, abstract, heading, paragraph, caption, table, footnote, claim, reference"
    )]
    UnknownKind(String),
    #[error("--section: {0}")]
    Section(String),
    #[error("--match: {0}")]
    Pattern(String),
}

impl BlockFilter {
    /// A filter from the command line's words; errors name the option.
    pub fn parse(
        kinds: Option<&str>,
        section: Option<&str>,
        pattern: Option<&str>,
        min_chars: usize,
    ) -> Result<BlockFilter, FilterError> {
        let kinds = kinds
            .map(|list| {
                list.split(',')
                    .map(str::trim)
                    .filter(|k| !k.is_empty())
                    .map(|k| {
                        k.parse::<BlockKind>()
                            .map_err(|_| FilterError::UnknownKind(k.to_string()))
                    })
                    .collect::<Result<Vec<_>, _>>()
            })
            .transpose()?;
        let section = section
            .map(|glob| {
                Glob::new(glob)
                    .map(|g| g.compile_matcher())
                    .map_err(|e| FilterError::Section(e.to_string()))
            })
            .transpose()?;
        let pattern = pattern
            .map(|p| Regex::new(p).map_err(|e| FilterError::Pattern(e.to_string())))
            .transpose()?;
        Ok(BlockFilter {
            kinds,
            section,
            pattern,
            min_chars,
        })
    }

    /// Whether it keeps every paragraph.
    pub fn keeps_all(&self) -> bool {
        self.kinds.is_none() && self.section.is_none() && self.pattern.is_none() && self.min_chars == 0
    }

    /// The paragraphs it keeps, and how many blocks of each kind it passed over.
    pub fn split(&self, paragraphs: Vec<Paragraph>) -> (Vec<Paragraph>, PassedOver) {
        let mut passed = PassedOver::default();
        let kept = paragraphs.into_iter().filter(|p| passed.count(self, p)).collect();
        (kept, passed)
    }

    pub fn keeps(&self, paragraph: &Paragraph) -> bool {
        if paragraph.text.chars().count() < self.min_chars {
            return false;
        }
        if self.pattern.as_ref().is_some_and(|p| !p.is_match(&paragraph.text)) {
            return false;
        }
        let Some(place) = &paragraph.place else {
            return true;
        };
        if self.kinds.as_ref().is_some_and(|kinds| !kinds.contains(&place.kind)) {
            return false;
        }
        match &self.section {
            Some(glob) => place.section.iter().any(|h| glob.is_match(h)) || glob.is_match(place.section_path()),
            None => true,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::place::Place;

    fn block(kind: BlockKind, section: &[&str], text: &str) -> Paragraph {
        Paragraph {
            id: "d#1".into(),
            text: text.into(),
            place: Some(Place {
                doc: "d".into(),
                kind,
                section: section.iter().map(|s| s.to_string()).collect(),
                offset: 0,
                page: None,
            }),
        }
    }

    #[test]
    fn kinds_sections_patterns_and_lengths_filter() {
        let filter = BlockFilter::parse(Some("paragraph,caption"), Some("*Example*"), Some("(?i)mmol"), 10).unwrap();
        assert!(filter.keeps(&block(
            BlockKind::Paragraph,
            &["Description", "Example 3"],
            "THF (2 mmol) was added."
        )));
        assert!(!filter.keeps(&block(BlockKind::Claim, &["Example 3"], "THF (2 mmol) was added.")));
        assert!(!filter.keeps(&block(BlockKind::Paragraph, &["Background"], "THF (2 mmol) was added.")));
        assert!(!filter.keeps(&block(BlockKind::Paragraph, &["Example 3"], "THF was added.")));
        assert!(!filter.keeps(&block(BlockKind::Paragraph, &["Example 3"], "2 mmol")));
        let plain = Paragraph {
            id: "1".into(),
            text: "THF (2 mmol) was added.".into(),
            place: None,
        };
        assert!(
            filter.keeps(&plain),
            "kind and section do not apply to a pasted paragraph"
        );
        assert!(
            BlockFilter::parse(Some("paragraf"), None, None, 0)
                .unwrap_err()
                .to_string()
                .contains("paragraf")
        );
        assert!(
            BlockFilter::parse(None, None, Some("("), 0)
                .unwrap_err()
                .to_string()
                .starts_with("--match")
        );
    }
}

/// The block filters as every command that reads papers takes them.
#[derive(Debug, Clone, Default, clap::Args)]
pub struct FilterArgs {
    /// Block kinds to read from papers, comma-separated: title, abstract, heading, paragraph,
    /// caption, table, footnote, claim, reference (default: abstract,paragraph for extract and
    /// review; every kind for ingest).
    #[arg(long)]
    pub kinds: Option<String>,
    /// Only blocks under a heading matching this glob (e.g. '*Example*', 'Experimental*').
    #[arg(long)]
    pub section: Option<String>,
    /// Only blocks whose text matches this regular expression.
    #[arg(long = "match", value_name = "REGEX")]
    pub pattern: Option<String>,
    /// Only blocks of at least this many characters.
    #[arg(long, default_value_t = 0)]
    pub min_chars: usize,
}

/// The blocks of papers a filter passed over, by kind: said, so that no kind is skipped silently.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PassedOver {
    pub by_kind: std::collections::BTreeMap<BlockKind, usize>,
}

impl PassedOver {
    /// Whether `filter` keeps `paragraph`; a block of a paper it does not keep is counted.
    pub fn count(&mut self, filter: &BlockFilter, paragraph: &Paragraph) -> bool {
        let keeps = filter.keeps(paragraph);
        if !keeps && let Some(place) = &paragraph.place {
            *self.by_kind.entry(place.kind).or_default() += 1;
        }
        keeps
    }

    /// `passed over 9 heading, 6 caption and 3 table blocks (--kinds chooses the kinds read)`,
    /// or nothing when nothing was.
    pub fn summary(&self) -> Option<String> {
        if self.by_kind.is_empty() {
            return None;
        }
        let counts: Vec<String> = self.by_kind.iter().map(|(kind, n)| format!("{n} {kind}")).collect();
        Some(format!(
            "passed over {} block(s) of papers by the filters: {} (--kinds chooses the kinds read; the default is {PROSE})",
            self.by_kind.values().sum::<usize>(),
            counts.join(", ")
        ))
    }
}

/// The kinds extract and review read from a paper unless told otherwise: the prose.
pub const PROSE: &str = "abstract,paragraph";

impl FilterArgs {
    /// The filter, with `default_kinds` when `--kinds` is not given (`None`: every kind).
    pub fn filter(&self, default_kinds: Option<&str>) -> Result<BlockFilter, FilterError> {
        BlockFilter::parse(
            self.kinds.as_deref().or(default_kinds),
            self.section.as_deref(),
            self.pattern.as_deref(),
            self.min_chars,
        )
    }
}
