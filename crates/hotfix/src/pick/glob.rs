//! Path globs for `[checks] migrations`: `*` within a path segment, `**`
//! across segments, `?` for one character.

/// Returns true when `path` matches `pattern`.
pub fn matches(pattern: &str, path: &str) -> bool {
    let pat: Vec<&str> = pattern.split('/').collect();
    let segs: Vec<&str> = path.split('/').collect();
    match_segments(&pat, &segs)
}

fn match_segments(pat: &[&str], segs: &[&str]) -> bool {
    match pat.split_first() {
        None => segs.is_empty(),
        Some((&"**", rest)) => (0..=segs.len()).any(|skip| match_segments(rest, &segs[skip..])),
        Some((p, rest)) => match segs.split_first() {
            Some((s, seg_rest)) => match_segment(p.as_bytes(), s.as_bytes()) && match_segments(rest, seg_rest),
            None => false,
        },
    }
}

fn match_segment(p: &[u8], s: &[u8]) -> bool {
    match p.split_first() {
        None => s.is_empty(),
        Some((b'*', rest)) => (0..=s.len()).any(|skip| match_segment(rest, &s[skip..])),
        Some((b'?', rest)) => !s.is_empty() && match_segment(rest, &s[1..]),
        Some((c, rest)) => s.first() == Some(c) && match_segment(rest, &s[1..]),
    }
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
}
