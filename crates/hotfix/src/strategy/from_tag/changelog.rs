//! The CHANGELOG entry of a hotfix (seed 003, step 5), written at the top in
//! the file's own format: a table row (`| 2026-03-05 | 0.1.1 | HOTFIX: ... |`,
//! in the order of the table's header), or a Keep a Changelog section
//! (`## [0.1.1] - 2026-03-05`, below `## [Unreleased]`).

/// What the entry says.
#[derive(Clone, Debug)]
pub struct Entry<'a> {
    pub version: &'a str,
    /// `YYYY-MM-DD`.
    pub date: &'a str,
    /// One line: what the hotfix fixes.
    pub summary: &'a str,
}

/// Returns `text` with `entry` added as the newest entry, in the format the
/// file already uses (a Keep a Changelog section when it has none).
///
/// The summary becomes one line (`HOTFIX: <summary>`, the prefix not
/// doubled), with `|` escaped in a table row; the entry uses the file's own
/// line ending (`\r\n` when its first line ends so).
pub fn add_entry(text: &str, entry: &Entry<'_>) -> String {
    let lines: Vec<&str> = text.split_inclusive('\n').collect();
    let one_line = entry.summary.split_whitespace().collect::<Vec<_>>().join(" ");
    let summary = match one_line.strip_prefix("HOTFIX:") {
        Some(rest) => format!("HOTFIX: {}", rest.trim_start()),
        None => format!("HOTFIX: {one_line}"),
    };
    let crlf = lines.first().is_some_and(|l| l.ends_with("\r\n"));
    let eol = |s: String| if crlf { s.replace('\n', "\r\n") } else { s };
    if let Some((at, row)) = table_insert(&lines, entry, &summary.replace('|', "\\|")) {
        return splice(&lines, at, &eol(row));
    }
    let section = format!(
        "## [{}] - {}\n\n### Fixed\n\n- {summary}\n\n",
        entry.version, entry.date
    );
    let headings: Vec<usize> = (0..lines.len()).filter(|&i| lines[i].starts_with("## ")).collect();
    let at = match headings.as_slice() {
        [first, rest @ ..] if lines[*first].to_ascii_lowercase().starts_with("## [unreleased]") => {
            rest.first().copied().unwrap_or(lines.len())
        }
        [first, ..] => *first,
        // No entries yet: after the title and its intro, or at the top.
        [] => {
            let title = lines.iter().position(|l| l.starts_with("# "));
            title.map_or(0, |t| {
                let mut i = t + 1;
                while i < lines.len() && !lines[i].trim().is_empty() {
                    i += 1;
                }
                (i + 1).min(lines.len())
            })
        }
    };
    let mut section = section;
    if at > 0 && !lines[at - 1].ends_with('\n') {
        section.insert(0, '\n');
    }
    splice(&lines, at, &eol(section))
}

/// Where a table row goes and the row itself, when the file keeps its
/// entries in a Markdown table.
fn table_insert(lines: &[&str], entry: &Entry<'_>, summary: &str) -> Option<(usize, String)> {
    let first = lines.iter().position(|l| l.trim_start().starts_with('|'))?;
    // Prose before the first table row that holds entries is a title, not the table.
    if lines[..first].iter().any(|l| l.starts_with("## ")) {
        return None;
    }
    let is_separator = |l: &str| {
        let cells = cells(l);
        !cells.is_empty()
            && cells
                .iter()
                .all(|c| !c.is_empty() && c.chars().all(|ch| matches!(ch, '-' | ':' | ' ')))
    };
    let (header, at) = match lines.get(first + 1) {
        Some(next) if is_separator(next) => (Some(cells(lines[first])), first + 2),
        _ => (None, first),
    };
    let row_cells: Vec<String> = match header {
        Some(names) => names
            .iter()
            .enumerate()
            .map(|(i, name)| {
                let name = name.to_ascii_lowercase();
                if name.contains("date") {
                    entry.date.to_string()
                } else if name.contains("version") || name == "release" {
                    entry.version.to_string()
                } else if i == names.len() - 1 || name.contains("change") || name.contains("desc") {
                    summary.to_string()
                } else {
                    String::new()
                }
            })
            .collect(),
        None => vec![entry.date.to_string(), entry.version.to_string(), summary.to_string()],
    };
    Some((at, format!("| {} |\n", row_cells.join(" | "))))
}

fn cells(line: &str) -> Vec<String> {
    let t = line.trim();
    let Some(inner) = t.strip_prefix('|') else {
        return Vec::new();
    };
    let inner = inner.strip_suffix('|').unwrap_or(inner);
    inner.split('|').map(|c| c.trim().to_string()).collect()
}

fn splice(lines: &[&str], at: usize, insert: &str) -> String {
    let mut out = String::new();
    for l in &lines[..at] {
        out.push_str(l);
    }
    out.push_str(insert);
    for l in &lines[at..] {
        out.push_str(l);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const ENTRY: Entry<'static> = Entry {
        version: "0.1.1",
        date: "2026-03-05",
        summary: "payments accept negative amounts",
    };

    #[test]
    fn a_table_gets_a_row_on_top_in_the_header_order() {
        let text = "# Changelog\n\n| Date | Version | Change |\n|------|---------|--------|\n| 2026-02-01 | 0.1.0 | First release |\n";
        assert_eq!(
            add_entry(text, &ENTRY),
            "# Changelog\n\n| Date | Version | Change |\n|------|---------|--------|\n\
             | 2026-03-05 | 0.1.1 | HOTFIX: payments accept negative amounts |\n\
             | 2026-02-01 | 0.1.0 | First release |\n"
        );
        let swapped = "| Version | Date | Notes |\n| :-- | :-- | :-- |\n| 0.1.0 | 2026-02-01 | x |\n";
        assert!(add_entry(swapped, &ENTRY).contains("| 0.1.1 | 2026-03-05 | HOTFIX: payments"));
        // The seed's bare rows, no header: the new row goes first.
        let bare = "| 2026-02-01 | 0.1.0 | First release |\n";
        assert!(add_entry(bare, &ENTRY)
            .starts_with("| 2026-03-05 | 0.1.1 | HOTFIX: payments accept negative amounts |\n| 2026-02-01"));
    }

    #[test]
    fn keep_a_changelog_gets_a_section_below_unreleased() {
        let text =
            "# Changelog\n\nAll notable changes.\n\n## [Unreleased]\n\n- wip\n\n## [0.1.0] - 2026-02-01\n\n- first\n";
        let out = add_entry(text, &ENTRY);
        assert_eq!(
            out,
            "# Changelog\n\nAll notable changes.\n\n## [Unreleased]\n\n- wip\n\n\
             ## [0.1.1] - 2026-03-05\n\n### Fixed\n\n- HOTFIX: payments accept negative amounts\n\n\
             ## [0.1.0] - 2026-02-01\n\n- first\n"
        );
        let no_unreleased = "# Changelog\n\n## [0.1.0] - 2026-02-01\n- first\n";
        assert!(add_entry(no_unreleased, &ENTRY).starts_with("# Changelog\n\n## [0.1.1] - 2026-03-05\n"));
    }

    #[test]
    fn the_entry_is_one_line_in_the_files_own_line_endings() {
        let text = "| Date | Version | Change |\r\n|---|---|---|\r\n| 2026-02-01 | 0.1.0 | First |\r\n";
        let entry = Entry {
            summary: "HOTFIX: totals  wrong\nwhen a | is typed",
            ..ENTRY
        };
        assert_eq!(
            add_entry(text, &entry),
            "| Date | Version | Change |\r\n|---|---|---|\r\n\
             | 2026-03-05 | 0.1.1 | HOTFIX: totals wrong when a \\| is typed |\r\n\
             | 2026-02-01 | 0.1.0 | First |\r\n"
        );
        let keep = "# Changelog\r\n\r\n## [0.1.0] - 2026-02-01\r\n";
        assert_eq!(
            add_entry(keep, &ENTRY),
            "# Changelog\r\n\r\n## [0.1.1] - 2026-03-05\r\n\r\n### Fixed\r\n\r\n\
             - HOTFIX: payments accept negative amounts\r\n\r\n## [0.1.0] - 2026-02-01\r\n"
        );
    }

    #[test]
    fn an_empty_changelog_gets_its_first_section() {
        assert_eq!(
            add_entry("", &ENTRY),
            "## [0.1.1] - 2026-03-05\n\n### Fixed\n\n- HOTFIX: payments accept negative amounts\n\n"
        );
        assert!(add_entry("# Changelog\nintro", &ENTRY).starts_with("# Changelog\nintro\n## [0.1.1]"));
    }
}
