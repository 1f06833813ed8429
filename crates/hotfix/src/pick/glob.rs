//! Path globs for `[checks] migrations`: `*` within a path segment, `**`
//! across segments, `?` for one character, `[...]` for a set (the `glob` crate's
//! grammar, with `/` matched only literally).

use glob::{MatchOptions, Pattern};

/// `*` and `?` stop at `/`, so `src/*.rs` keeps to one directory; a leading dot
/// is an ordinary character, so `**/*.sql` also flags `.seed.sql`.
const OPTIONS: MatchOptions = MatchOptions {
    case_sensitive: true,
    require_literal_separator: true,
    require_literal_leading_dot: false,
};

/// Returns true when `path` matches `pattern`; a malformed pattern (refused when
/// the config is read) matches nothing.
pub fn matches(pattern: &str, path: &str) -> bool {
    Pattern::new(pattern).is_ok_and(|p| p.matches_with(path, OPTIONS))
}

#[cfg(test)]
mod tests {
    use super::matches;

    #[test]
    fn globs() {
        assert!(matches("**/migrations/**", "db/migrations/0001.py"));
        assert!(matches("**/migrations/**", "migrations/0001.py"));
        assert!(matches("**/*.sql", "schema.sql"));
        assert!(matches("**/*.sql", "a/b/schema.sql"));
        assert!(!matches("**/*.sql", "a/b/schema.sqlx"));
        assert!(matches("src/?.rs", "src/a.rs"));
        assert!(!matches("src/*.rs", "src/a/b.rs"));
    }

    #[test]
    fn segments_and_dots_match_as_before() {
        assert!(matches("**/migrations/**", "a/b/migrations/x/y/0001.py"));
        assert!(!matches("**/migrations/**", "db/migrations_old/0001.py"));
        assert!(!matches("src/?.rs", "src/ab.rs"));
        assert!(!matches("src/?.rs", "src//.rs"));
        assert!(matches("**/*.sql", "db/.seed.sql"));
        assert!(!matches("**/*.SQL", "schema.sql"));
        assert!(matches("**/migrate/**", "app/db/migrate/20260101_add.rb"));
    }

    #[test]
    fn malformed_globs_match_nothing() {
        assert!(!matches("db/[abc", "db/[abc"));
    }
}
