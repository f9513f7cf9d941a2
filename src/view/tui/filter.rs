//! What the dashboard's route table keeps and in what order: the status
//! class shown (`e`), the route filter typed after `/`, and the sort
//! column. `app.rs` holds the user's choice of each; the choices
//! themselves, and what they keep, are here.

use regex::{Regex, RegexBuilder};

use super::columns::Column;

/// Routes shown by status class in the window.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StatusFilter {
    All,
    /// Some 4xx or 5xx.
    Errors,
    Only(u8),
}

impl StatusFilter {
    /// Class 0 is `other`: `000`–`099` and `600`–`999` (nginx's `000`,
    /// non-standard codes).
    const CYCLE: [StatusFilter; 7] = [
        StatusFilter::All,
        StatusFilter::Errors,
        StatusFilter::Only(5),
        StatusFilter::Only(4),
        StatusFilter::Only(3),
        StatusFilter::Only(2),
        StatusFilter::Only(0),
    ];

    pub fn label(self) -> &'static str {
        match self {
            StatusFilter::All => "all",
            StatusFilter::Errors => "4xx+5xx",
            StatusFilter::Only(5) => "5xx",
            StatusFilter::Only(4) => "4xx",
            StatusFilter::Only(3) => "3xx",
            StatusFilter::Only(2) => "2xx",
            StatusFilter::Only(1) => "1xx",
            StatusFilter::Only(_) => "other",
        }
    }

    pub(super) fn next(self) -> StatusFilter {
        let i = Self::CYCLE.iter().position(|s| *s == self).unwrap_or(0);
        Self::CYCLE[(i + 1) % Self::CYCLE.len()]
    }

    pub(super) fn keeps(self, classes: &[u64; 6]) -> bool {
        match self {
            StatusFilter::All => true,
            StatusFilter::Errors => classes[4] > 0 || classes[5] > 0,
            StatusFilter::Only(c) => classes.get(c as usize).is_some_and(|&n| n > 0),
        }
    }
}

/// The route filter typed after `/`: a case-insensitive regex, or the
/// literal text when it is not a valid regex (so `/api/(` still finds
/// something instead of nothing).
#[derive(Clone, Debug, Default)]
pub struct Filter {
    pub text: String,
    regex: Option<Regex>,
    /// The text is not a valid regex; matching is literal.
    pub invalid: bool,
}

impl Filter {
    pub fn new(text: String) -> Filter {
        if text.is_empty() {
            return Filter::default();
        }
        // A size limit keeps a pasted monster from stalling the UI.
        match RegexBuilder::new(&text)
            .case_insensitive(true)
            .size_limit(1 << 20)
            .build()
        {
            Ok(re) => Filter {
                text,
                regex: Some(re),
                invalid: false,
            },
            Err(_) => Filter {
                text,
                regex: None,
                invalid: true,
            },
        }
    }

    pub fn is_empty(&self) -> bool {
        self.text.is_empty()
    }

    pub fn matches(&self, route: &str) -> bool {
        match &self.regex {
            _ if self.text.is_empty() => true,
            Some(re) => re.is_match(route),
            None => route.to_lowercase().contains(&self.text.to_lowercase()),
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Sort {
    pub column: Column,
    pub descending: bool,
}

impl Sort {
    /// Sort by `column` in its natural first direction (text ascending,
    /// numbers descending).
    pub fn by(column: Column) -> Sort {
        Sort {
            column,
            descending: column.default_descending(),
        }
    }
}
