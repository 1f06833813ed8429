//! Does a fix's new code call something only unreleased work defines?
//!
//! A clean merge proves only that the fix's lines fit; a fix that calls a
//! function, method, type, constant or module that the fix's parent defines
//! and the pick's target lacks does not build (or run) on production. The
//! names come from the fix's added lines (string literals and comments
//! stripped, keywords skipped); the definitions from per-language line
//! shapes. The cost is bounded by the fix: one `git grep` over the parent for
//! definitions of the names used, hits kept only in paths that differ
//! between target and parent, one `git grep` on the target for the names
//! left, and a `blame` of each definition line that remains.

use serde::{Deserialize, Serialize};

use crate::git::{AddedLines, CommitSummary, Git, GitError, Oid};

/// At most this many names of one language are looked up per fix.
const MAX_NAMES: usize = 300;

/// Above this many changed paths, the parent is searched by file globs
/// rather than path by path.
const MAX_GREP_PATHS: usize = 2000;

/// A name the fix's added lines use that only unreleased work defines.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct NameDependency {
    /// The name (or the module path, for an import).
    pub name: String,
    /// Where the fix uses it.
    pub used_in: String,
    /// Where the fix's parent defines it.
    pub defined_in: String,
    /// The line of the definition in the parent (0 for a module file).
    pub line: u32,
    /// The unreleased commit that introduced the definition.
    pub commit: CommitSummary,
}

/// The languages whose definitions are recognised.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Language {
    Python,
    Go,
    Rust,
    Script,
    Java,
    C,
}

impl Language {
    /// Returns the language of a path by its extension.
    pub fn of(path: &str) -> Option<Language> {
        let ext = path.rsplit_once('.').map(|(_, e)| e)?;
        Some(match ext {
            "py" | "pyi" => Language::Python,
            "go" => Language::Go,
            "rs" => Language::Rust,
            "ts" | "tsx" | "js" | "jsx" | "mjs" | "cjs" | "mts" | "cts" => Language::Script,
            "java" => Language::Java,
            "c" | "h" | "cc" | "cpp" | "hpp" | "cxx" | "hh" => Language::C,
            _ => return None,
        })
    }

    fn globs(self) -> &'static [&'static str] {
        match self {
            Language::Python => &["*.py", "*.pyi"],
            Language::Go => &["*.go"],
            Language::Rust => &["*.rs"],
            Language::Script => &["*.ts", "*.tsx", "*.js", "*.jsx", "*.mjs", "*.cjs", "*.mts", "*.cts"],
            Language::Java => &["*.java"],
            Language::C => &["*.c", "*.h", "*.cc", "*.cpp", "*.hpp", "*.cxx", "*.hh"],
        }
    }

    fn pathspecs(self) -> Vec<String> {
        self.globs().iter().map(|g| format!(":(glob)**/{g}")).collect()
    }

    #[rustfmt::skip]
    fn keywords(self) -> &'static [&'static str] {
        match self {
            Language::Python => &[
                "False", "None", "True", "and", "as", "assert", "async", "await", "break", "class", "continue",
                "def", "del", "elif", "else", "except", "finally", "for", "from", "global", "if", "import",
                "in", "is", "lambda", "nonlocal", "not", "or", "pass", "raise", "return", "try", "while",
                "with", "yield", "self", "cls", "match", "case",
            ],
            Language::Go => &[
                "break", "case", "chan", "const", "continue", "default", "defer", "else", "fallthrough", "for",
                "func", "go", "goto", "if", "import", "interface", "map", "package", "range", "return",
                "select", "struct", "switch", "type", "var", "nil", "true", "false", "iota",
            ],
            Language::Rust => &[
                "as", "async", "await", "break", "const", "continue", "crate", "dyn", "else", "enum", "extern",
                "false", "fn", "for", "if", "impl", "in", "let", "loop", "match", "mod", "move", "mut", "pub",
                "ref", "return", "self", "Self", "static", "struct", "super", "trait", "true", "type",
                "unsafe", "use", "where", "while", "macro_rules",
            ],
            Language::Script => &[
                "abstract", "any", "as", "async", "await", "boolean", "break", "case", "catch", "class",
                "const", "continue", "debugger", "declare", "default", "delete", "do", "else", "enum",
                "export", "extends", "false", "finally", "for", "from", "function", "get", "if", "implements",
                "import", "in", "instanceof", "interface", "let", "namespace", "new", "null", "number", "of",
                "private", "protected", "public", "readonly", "return", "set", "static", "string", "super",
                "switch", "this", "throw", "true", "try", "type", "typeof", "undefined", "var", "void",
                "while", "with", "yield",
            ],
            Language::Java => &[
                "abstract", "assert", "boolean", "break", "byte", "case", "catch", "char", "class", "const",
                "continue", "default", "do", "double", "else", "enum", "extends", "final", "finally", "float",
                "for", "goto", "if", "implements", "import", "instanceof", "int", "interface", "long",
                "native", "new", "package", "private", "protected", "public", "return", "short", "static",
                "strictfp", "super", "switch", "synchronized", "this", "throw", "throws", "transient", "try",
                "void", "volatile", "while", "var", "record", "true", "false", "null", "yield", "sealed",
                "permits",
            ],
            Language::C => &[
                "auto", "break", "case", "char", "const", "continue", "default", "do", "double", "else",
                "enum", "extern", "float", "for", "goto", "if", "inline", "int", "long", "register",
                "restrict", "return", "short", "signed", "sizeof", "static", "struct", "switch", "typedef",
                "union", "unsigned", "void", "volatile", "while", "define", "include", "ifdef", "ifndef",
                "endif", "elif", "undef", "defined", "NULL", "bool", "true", "false",
            ],
        }
    }

    /// Extended regular expressions (POSIX classes only) for lines that may
    /// define one of `names` (an alternation, already escaped); a loose
    /// filter: [`defined_name`] decides.
    fn definition_patterns(self, names: &str) -> Vec<String> {
        let s = "[[:space:]]";
        let end = "([^[:alnum:]_$]|$)";
        match self {
            Language::Python => vec![
                format!("^{s}*(async{s}+)?(def|class){s}+({names}){end}"),
                format!("^({names}){s}*(:[^=]*)?={end}"),
            ],
            Language::Go => vec![
                format!("^func{s}+(\\([^)]*\\){s}*)?({names}){s}*(\\(|\\[)"),
                format!("^{s}*(type|const|var){s}+({names}){end}"),
                format!("^\t({names})({s}+[^=]+)?{s}*=[^=]"),
            ],
            Language::Rust => vec![
                format!("(^|{s})(fn|struct|enum|trait|type|const|static|mod|union){s}+(mut{s}+)?({names}){end}"),
                format!("macro_rules!{s}*({names}){end}"),
            ],
            Language::Script => vec![
                format!("(^|{s})(function\\*?|class|interface|type|enum|const|let|var|namespace){s}+({names}){end}"),
                format!("^{s}+([[:alpha:]]+{s}+)*({names}){s}*(<[^>]*>)?\\("),
            ],
            Language::Java => vec![
                format!("(^|{s})(class|interface|enum|record){s}+({names}){end}"),
                format!("^{s}*[][[:alnum:]_@<>?,.[:space:]]*[][:alnum:]_>]{s}+({names}){s}*[(=]"),
            ],
            Language::C => vec![
                format!("^#{s}*define{s}+({names}){end}"),
                format!("^[[:alpha:]_][[:alnum:]_[:space:]*]*[[:space:]*]({names}){s}*\\("),
                format!("^({names}){s}*\\("),
                format!("(^|{s})(struct|union|enum){s}+({names}){s}*(\\{{|$)"),
                format!("^}}{s}*({names}){s}*;"),
                format!("^typedef{s}.*[^[:alnum:]_]({names}){s}*;"),
            ],
        }
    }
}

/// Returns the name a line of `lang` defines (function, method, type,
/// constant, macro), if it is a definition.
pub fn defined_name(lang: Language, line: &str) -> Option<String> {
    let code = strip(lang, line, &mut false);
    let indented = code.starts_with([' ', '\t']);
    let tokens = tokenize(&code);
    let idents: Vec<&str> = tokens.iter().filter_map(Token::ident).collect();
    let ident_at = |i: usize| tokens.get(i).and_then(Token::ident);
    let is_kw = |w: &str| lang.keywords().contains(&w);
    let after = |word: &str| -> Option<String> {
        let i = tokens.iter().position(|t| t.ident() == Some(word))?;
        let mut j = i + 1;
        if tokens.get(j) == Some(&Token::Punct('*')) {
            j += 1; // `function*`
        }
        if ident_at(j) == Some("mut") {
            j += 1;
        }
        ident_at(j).filter(|n| !is_kw(n)).map(str::to_string)
    };
    match lang {
        Language::Python => {
            let first = *idents.first()?;
            let def = if first == "async" {
                idents.get(1).copied()?
            } else {
                first
            };
            if def == "def" || def == "class" {
                return after(def);
            }
            // A module-level constant: `NAME = ...` at column 0.
            if !indented && is_assignment(&tokens, 1) {
                return ident_at(0).filter(|n| !is_kw(n)).map(str::to_string);
            }
            None
        }
        Language::Go => {
            match ident_at(0)? {
                "func" => {
                    let mut j = 1;
                    if tokens.get(1) == Some(&Token::Punct('(')) {
                        j = close_paren(&tokens, 1)? + 1;
                    }
                    ident_at(j).map(str::to_string)
                }
                "type" | "const" | "var" => ident_at(1).filter(|n| !is_kw(n)).map(str::to_string),
                // A member of a top-level `const (` / `var (` block, one tab in.
                name if code.starts_with('\t') && !code.starts_with("\t\t") && !is_kw(name) => {
                    let j = if ident_at(1).is_some() { 2 } else { 1 };
                    is_assignment(&tokens, j).then(|| name.to_string())
                }
                _ => None,
            }
        }
        Language::Rust => {
            if let Some(n) = after("macro_rules") {
                return Some(n);
            }
            let mut j = 0;
            while let Some(w) = ident_at(j) {
                match w {
                    "pub" => {
                        j += 1;
                        if tokens.get(j) == Some(&Token::Punct('(')) {
                            j = close_paren(&tokens, j)? + 1;
                        }
                    }
                    "async" | "unsafe" | "extern" | "default" => j += 1,
                    "const" if ident_at(j + 1) == Some("fn") || ident_at(j + 1) == Some("unsafe") => j += 1,
                    "fn" | "struct" | "enum" | "trait" | "type" | "const" | "static" | "mod" | "union" => {
                        let mut k = j + 1;
                        if ident_at(k) == Some("mut") {
                            k += 1;
                        }
                        return ident_at(k).filter(|n| !is_kw(n)).map(str::to_string);
                    }
                    _ => return None,
                }
            }
            None
        }
        Language::Script => {
            let mut j = 0;
            while let Some(w) = ident_at(j) {
                match w {
                    "export" | "default" | "declare" | "abstract" | "async" => j += 1,
                    "function" | "class" | "interface" | "type" | "enum" | "const" | "let" | "var" | "namespace" => {
                        let mut k = j + 1;
                        if tokens.get(k) == Some(&Token::Punct('*')) {
                            k += 1;
                        }
                        return ident_at(k).filter(|n| !is_kw(n)).map(str::to_string);
                    }
                    _ => break,
                }
            }
            // A method: `  [modifiers] name(params) {`.
            if !indented || !code.trim_end().ends_with('{') {
                return None;
            }
            let mut k = 0;
            while let Some(w) = ident_at(k) {
                if matches!(
                    w,
                    "public" | "private" | "protected" | "static" | "async" | "get" | "set" | "override" | "readonly"
                ) && ident_at(k + 1).is_some()
                {
                    k += 1;
                } else {
                    break;
                }
            }
            let name = ident_at(k)?;
            let next = tokens.get(k + 1)?;
            (matches!(next, Token::Punct('(') | Token::Punct('<')) && !is_kw(name)).then(|| name.to_string())
        }
        Language::Java => {
            if let Some(w) = ["class", "interface", "enum", "record"]
                .iter()
                .find(|w| tokens.iter().any(|t| t.ident() == Some(w)))
            {
                if ident_at(0).is_some_and(|f| f != "new" && f != "return") {
                    return after(w);
                }
            }
            java_member(lang, &tokens, &code)
        }
        Language::C => {
            let trimmed = code.trim_start();
            if trimmed.starts_with('#') {
                return match idents.as_slice() {
                    ["define", name, ..] => Some(name.to_string()),
                    _ => None,
                };
            }
            if code.starts_with('}') {
                // `} name;` closing a typedef.
                return match tokens.as_slice() {
                    [Token::Punct('}'), Token::Ident(n), Token::Punct(';')] => Some(n.clone()),
                    _ => None,
                };
            }
            if indented {
                return None;
            }
            let first = ident_at(0)?;
            if first == "typedef" {
                if code.trim_end().ends_with(';') {
                    let last = tokens.iter().rev().find_map(Token::ident)?;
                    return Some(last.to_string());
                }
                return after_aggregate(&tokens, 1, is_kw);
            }
            if let Some(n) = after_aggregate(&tokens, 0, is_kw) {
                return Some(n);
            }
            // A function: `type name(` at column 0, no `=` before the parenthesis.
            let paren = tokens.iter().position(|t| *t == Token::Punct('('))?;
            if paren == 0 || tokens[..paren].contains(&Token::Punct('=')) {
                return None;
            }
            let name = tokens[paren - 1].ident()?;
            if is_kw(name) || matches!(first, "return" | "if" | "while" | "for" | "switch" | "else") {
                return None;
            }
            Some(name.to_string())
        }
    }
}

/// `struct name {` (or at line end): the aggregate's name.
fn after_aggregate(tokens: &[Token], j: usize, is_kw: impl Fn(&str) -> bool) -> Option<String> {
    let kind = tokens.get(j)?.ident()?;
    if !matches!(kind, "struct" | "union" | "enum") {
        return None;
    }
    let name = tokens.get(j + 1)?.ident()?;
    match tokens.get(j + 2) {
        None | Some(Token::Punct('{')) if !is_kw(name) => Some(name.to_string()),
        _ => None,
    }
}

/// A Java method or constant: `[modifiers] Type name(` (a body follows) or
/// `... final Type NAME =`.
fn java_member(lang: Language, tokens: &[Token], code: &str) -> Option<String> {
    let stop = tokens
        .iter()
        .position(|t| matches!(t, Token::Punct('(') | Token::Punct('=')))?;
    if stop < 2 {
        return None;
    }
    let name = tokens[stop - 1].ident()?;
    let first = tokens.iter().find_map(Token::ident)?;
    if lang.keywords().contains(&name) || matches!(first, "return" | "new" | "throw" | "else" | "case" | "yield") {
        return None;
    }
    // The token before the name is its type: an identifier, `>` or `]`.
    if !matches!(
        &tokens[stop - 2],
        Token::Ident(_) | Token::Punct('>') | Token::Punct(']')
    ) {
        return None;
    }
    if let Token::Ident(t) = &tokens[stop - 2] {
        if lang.keywords().contains(&t.as_str()) && !is_java_type_keyword(t) {
            return None;
        }
    }
    match tokens[stop] {
        Token::Punct('=') => tokens
            .iter()
            .any(|t| t.ident() == Some("final"))
            .then(|| name.to_string()),
        _ => (!code.trim_end().ends_with(';')).then(|| name.to_string()),
    }
}

fn is_java_type_keyword(t: &str) -> bool {
    matches!(
        t,
        "void" | "int" | "long" | "boolean" | "byte" | "char" | "double" | "float" | "short" | "final" | "static"
    )
}

/// True when `tokens[j]` starts a plain assignment (`=` not followed by
/// `=`); `:=` (Go's short declaration of a local, Python's walrus) is none.
fn is_assignment(tokens: &[Token], j: usize) -> bool {
    let mut j = j;
    if tokens.get(j) == Some(&Token::Punct(':')) && tokens.get(j + 1) == Some(&Token::Punct('=')) {
        return false;
    }
    // A Python annotation: `NAME: type = value`.
    if tokens.get(j) == Some(&Token::Punct(':')) {
        match tokens[j..].iter().position(|t| *t == Token::Punct('=')) {
            Some(k) => j += k,
            None => return false,
        }
    }
    tokens.get(j) == Some(&Token::Punct('=')) && tokens.get(j + 1) != Some(&Token::Punct('='))
}

fn close_paren(tokens: &[Token], open: usize) -> Option<usize> {
    let mut depth = 0usize;
    for (i, t) in tokens.iter().enumerate().skip(open) {
        match t {
            Token::Punct('(') => depth += 1,
            Token::Punct(')') => {
                depth = depth.checked_sub(1)?;
                if depth == 0 {
                    return Some(i);
                }
            }
            _ => {}
        }
    }
    None
}

#[derive(Clone, Debug, PartialEq, Eq)]
enum Token {
    Ident(String),
    Punct(char),
}

impl Token {
    fn ident(&self) -> Option<&str> {
        match self {
            Token::Ident(s) => Some(s),
            Token::Punct(_) => None,
        }
    }
}

fn is_ident_start(c: char) -> bool {
    c.is_ascii_alphabetic() || c == '_' || c == '$'
}

fn is_ident_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_' || c == '$'
}

/// Identifiers and punctuation of code already stripped of strings and comments.
fn tokenize(code: &str) -> Vec<Token> {
    let mut tokens = Vec::new();
    let mut chars = code.chars().peekable();
    while let Some(c) = chars.next() {
        if is_ident_start(c) {
            let mut word = c.to_string();
            while let Some(&n) = chars.peek().filter(|n| is_ident_char(**n)) {
                word.push(n);
                chars.next();
            }
            tokens.push(Token::Ident(word));
        } else if c.is_ascii_digit() {
            while chars.peek().is_some_and(|n| is_ident_char(*n) || *n == '.') {
                chars.next();
            }
        } else if !c.is_whitespace() {
            tokens.push(Token::Punct(c));
        }
    }
    tokens
}

/// Returns `line` with string literals and comments blanked; `in_block`
/// carries a block comment (or Python triple-quoted string) across lines.
fn strip(lang: Language, line: &str, in_block: &mut bool) -> String {
    let (block_open, block_close) = match lang {
        Language::Python => ("\"\"\"", "\"\"\""),
        _ => ("/*", "*/"),
    };
    let line_comment: &[&str] = match lang {
        Language::Python => &["#"],
        _ => &["//"],
    };
    let mut out = String::with_capacity(line.len());
    let mut rest = line;
    while !rest.is_empty() {
        if *in_block {
            let close = if lang == Language::Python && !rest.contains(block_close) {
                "'''"
            } else {
                block_close
            };
            match rest.find(close) {
                Some(i) => {
                    *in_block = false;
                    rest = &rest[i + close.len()..];
                    out.push(' ');
                }
                None => break,
            }
            continue;
        }
        let opener = if lang == Language::Python {
            ["\"\"\"", "'''"].into_iter().find(|q| rest.starts_with(q))
        } else {
            rest.starts_with(block_open).then_some(block_open)
        };
        if let Some(open) = opener {
            let close = if lang == Language::Python { open } else { block_close };
            let body = &rest[open.len()..];
            match body.find(close) {
                Some(i) => rest = &body[i + close.len()..],
                None => {
                    *in_block = true;
                    break;
                }
            }
            out.push(' ');
            continue;
        }
        if line_comment.iter().any(|c| rest.starts_with(c)) {
            break;
        }
        let c = rest.chars().next().expect("rest is not empty");
        let quote = match c {
            '"' => true,
            '`' => matches!(lang, Language::Script | Language::Go),
            '\'' => match lang {
                Language::Python | Language::Script => true,
                // A char literal, never a Rust lifetime (`'a` has no closing quote nearby).
                _ => is_char_literal(rest),
            },
            _ => false,
        };
        if quote {
            let mut escaped = false;
            let mut end = None;
            for (i, ch) in rest.char_indices().skip(1) {
                if escaped {
                    escaped = false;
                } else if ch == '\\' {
                    escaped = true;
                } else if ch == c {
                    end = Some(i);
                    break;
                }
            }
            out.push_str(" \"\" ");
            match end {
                Some(i) => rest = &rest[i + 1..],
                None => break,
            }
            continue;
        }
        out.push(c);
        rest = &rest[c.len_utf8()..];
    }
    out
}

fn is_char_literal(rest: &str) -> bool {
    let b = rest.as_bytes();
    (b.len() >= 3 && b[1] != b'\\' && b[2] == b'\'') || (b.len() >= 4 && b[1] == b'\\' && b[3] == b'\'')
}

/// The names a file's added lines use, and the ones they define.
#[derive(Default)]
struct Usage {
    used: Vec<String>,
    defined: Vec<String>,
}

/// The locals and parameters a line declares: never unreleased work's names.
fn locals(lang: Language, tokens: &[Token], defines: bool) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let ident = |i: usize| tokens.get(i).and_then(Token::ident);
    let punct = |i: usize, c: char| tokens.get(i) == Some(&Token::Punct(c));
    let is_kw = |w: &str| lang.keywords().contains(&w);
    // Parameters of a definition, or of a closure (`(a, b) =>`, `|a, b|`, `func(a int)`).
    let mut groups: Vec<(usize, usize)> = Vec::new();
    if let Some(open) = tokens.iter().position(|t| *t == Token::Punct('(')) {
        if let Some(close) = close_paren(tokens, open) {
            let arrow = punct(close + 1, '=') && punct(close + 2, '>');
            if defines || arrow || (open > 0 && ident(open - 1) == Some("func")) {
                groups.push((open, close));
            }
        }
    }
    if lang == Language::Rust {
        if let Some(open) = tokens.iter().position(|t| *t == Token::Punct('|')) {
            if let Some(close) = tokens.iter().skip(open + 1).position(|t| *t == Token::Punct('|')) {
                groups.push((open, open + 1 + close));
            }
        }
    }
    for (a, b) in groups {
        out.extend(tokens[a..b].iter().filter_map(Token::ident).map(str::to_string));
    }
    for i in 0..tokens.len() {
        let Some(w) = ident(i) else { continue };
        if is_kw(w) && !matches!(w, "let" | "const" | "var" | "for" | "as") {
            continue;
        }
        // `a, b := ...` (Go) and `x := ...`.
        if punct(i + 1, ':') && punct(i + 2, '=') {
            out.push(w.to_string());
            let mut k = i;
            while k >= 2 && punct(k - 1, ',') {
                if let Some(prev) = ident(k - 2) {
                    out.push(prev.to_string());
                }
                k -= 2;
            }
            continue;
        }
        match (lang, w) {
            (_, "let" | "const" | "var") | (Language::Python, "for" | "as") | (Language::Script, "for") => {
                // The names after it up to `=`, `in`, `of` or `:` (a pattern's names too).
                for t in &tokens[i + 1..] {
                    match t {
                        Token::Ident(n) if matches!(n.as_str(), "in" | "of") => break,
                        Token::Ident(n) if n != "mut" && n != "ref" => out.push(n.clone()),
                        Token::Punct('=') | Token::Punct(':') | Token::Punct(';') => break,
                        _ => {}
                    }
                }
            }
            _ => {}
        }
        let next_is_eq = punct(i + 1, '=') && !punct(i + 2, '=');
        match lang {
            // `x = ...` anywhere in Python binds a local.
            Language::Python if next_is_eq => out.push(w.to_string()),
            // `Type x = ...`, `Type *x;`: a declaration in C and Java.
            Language::Java | Language::C if i > 0 => {
                let typed = matches!(&tokens[i - 1], Token::Ident(t) if !is_kw(t) || is_java_type_keyword(t))
                    || punct(i - 1, '*')
                    || punct(i - 1, '>')
                    || punct(i - 1, ']');
                if typed && (next_is_eq || punct(i + 1, ';') || punct(i + 1, ',')) {
                    out.push(w.to_string());
                }
            }
            _ => {}
        }
    }
    out
}

fn usage(lang: Language, lines: &[(u32, String)], into: &mut Usage) {
    let mut in_block = false;
    for (_, line) in lines {
        let code = strip(lang, line, &mut in_block);
        let definition = defined_name(lang, line);
        for d in definition
            .iter()
            .cloned()
            .chain(locals(lang, &tokenize(&code), definition.is_some()))
        {
            if !into.defined.contains(&d) {
                into.defined.push(d);
            }
        }
        for t in tokenize(&code) {
            if let Token::Ident(w) = t {
                if w.len() >= 3 && !lang.keywords().contains(&w.as_str()) && !into.used.contains(&w) {
                    into.used.push(w);
                }
            }
        }
    }
}

/// Returns the names the fix `base..fix` (changing `touched`) adds uses of
/// that `base` defines in paths it changed since `target`, that `target`
/// does not mention, and that the fix does not define itself; each with the
/// unreleased commit (reachable from `base`, not from `production`) that
/// introduced its definition. Imports of modules that unreleased work added
/// count too.
pub fn unreleased_uses(
    git: &Git,
    production: &Oid,
    target: &Oid,
    base: &Oid,
    fix: &Oid,
    touched: &[String],
) -> Result<Vec<NameDependency>, GitError> {
    let code_paths: Vec<String> = touched.iter().filter(|p| Language::of(p).is_some()).cloned().collect();
    if code_paths.is_empty() {
        return Ok(Vec::new());
    }
    let added = git.added_lines(base, fix, &code_paths)?;
    let mut by_lang: Vec<(Language, Usage, Vec<&AddedLines>)> = Vec::new();
    for file in &added {
        let Some(lang) = Language::of(&file.path) else { continue };
        let i = match by_lang.iter().position(|(l, _, _)| *l == lang) {
            Some(i) => i,
            None => {
                by_lang.push((lang, Usage::default(), Vec::new()));
                by_lang.len() - 1
            }
        };
        usage(lang, &file.lines, &mut by_lang[i].1);
        by_lang[i].2.push(file);
    }
    let mut found: Vec<NameDependency> = Vec::new();
    for (lang, usage, files) in &by_lang {
        let mut names: Vec<String> = usage
            .used
            .iter()
            .filter(|n| !usage.defined.contains(n))
            .cloned()
            .collect();
        names.truncate(MAX_NAMES);
        found.extend(names_defined_unreleased(
            git, production, target, base, *lang, &names, files,
        )?);
        found.extend(modules_added_unreleased(git, production, target, base, *lang, files)?);
    }
    Ok(found)
}

fn names_defined_unreleased(
    git: &Git,
    production: &Oid,
    target: &Oid,
    base: &Oid,
    lang: Language,
    names: &[String],
    files: &[&AddedLines],
) -> Result<Vec<NameDependency>, GitError> {
    if names.is_empty() {
        return Ok(Vec::new());
    }
    let alternation = names
        .iter()
        .map(|n| n.replace('$', "\\$"))
        .collect::<Vec<_>>()
        .join("|");
    // Definitions of used names, in the parent, in paths the target has otherwise.
    let changed = git.changed_among(target, base, &lang.pathspecs())?;
    if changed.is_empty() {
        return Ok(Vec::new());
    }
    let scope = if changed.len() <= MAX_GREP_PATHS {
        literal(&changed)
    } else {
        lang.pathspecs()
    };
    let hits = git.grep_lines(base, &lang.definition_patterns(&alternation), &scope)?;
    let mut candidates: Vec<(String, &crate::git::GrepHit)> = Vec::new();
    for hit in hits.iter().filter(|h| changed.contains(&h.path)) {
        let Some(name) = defined_name(lang, &hit.text) else {
            continue;
        };
        if names.contains(&name) && !candidates.iter().any(|(n, _)| *n == name) {
            candidates.push((name, hit));
        }
    }
    if candidates.is_empty() {
        return Ok(Vec::new());
    }
    // The target knows a name its own version of the defining file mentions
    // (most often), else anywhere in its files of the language.
    let words: Vec<String> = candidates.iter().map(|(n, _)| n.clone()).collect();
    let mut hit_paths: Vec<String> = candidates.iter().map(|(_, h)| h.path.clone()).collect();
    hit_paths.sort();
    hit_paths.dedup();
    let mut known = git.grep_words(target, &words, &literal(&hit_paths))?;
    let unknown: Vec<String> = words.iter().filter(|w| !known.contains(w)).cloned().collect();
    known.extend(git.grep_words(target, &unknown, &lang.pathspecs())?);
    let unknown: Vec<&(String, &crate::git::GrepHit)> = candidates.iter().filter(|(n, _)| !known.contains(n)).collect();
    // One blame a defining file, of every definition line in it.
    let mut blamed: std::collections::BTreeMap<&str, Vec<(u32, CommitSummary)>> = Default::default();
    for (_, hit) in &unknown {
        if blamed.contains_key(hit.path.as_str()) {
            continue;
        }
        let lines: Vec<u32> = unknown
            .iter()
            .filter(|(_, h)| h.path == hit.path)
            .map(|(_, h)| h.line)
            .collect();
        let found = match git.blame_lines(base, production, &hit.path, &lines) {
            Ok(found) => found,
            Err(GitError::Failed { .. }) => Vec::new(),
            Err(e) => return Err(e),
        };
        blamed.insert(hit.path.as_str(), found);
    }
    let mut found = Vec::new();
    for (name, hit) in unknown {
        // A definition production already has (blamed to a boundary) is no unreleased work.
        let Some(commit) = blamed
            .get(hit.path.as_str())
            .and_then(|lines| lines.iter().find(|(line, _)| *line == hit.line))
            .map(|(_, commit)| commit.clone())
        else {
            continue;
        };
        let used_in = files
            .iter()
            .find(|f| f.lines.iter().any(|(_, l)| l.contains(name.as_str())))
            .map_or_else(String::new, |f| f.path.clone());
        found.push(NameDependency {
            name: name.clone(),
            used_in,
            defined_in: hit.path.clone(),
            line: hit.line,
            commit,
        });
    }
    Ok(found)
}

/// Paths as pathspecs that match only themselves (a `[` in a name is no glob).
fn literal(paths: &[String]) -> Vec<String> {
    paths.iter().map(|p| format!(":(literal){p}")).collect()
}

/// The module paths an added import line may name, as path suffixes.
fn imported_paths(lang: Language, importer: &str, line: &str) -> Vec<String> {
    let t = line.trim();
    let dir = importer.rsplit_once('/').map_or("", |(d, _)| d);
    let join = |rel: &str| -> String {
        let mut parts: Vec<&str> = if dir.is_empty() {
            Vec::new()
        } else {
            dir.split('/').collect()
        };
        for seg in rel.split('/') {
            match seg {
                "." | "" => {}
                ".." => {
                    parts.pop();
                }
                s => parts.push(s),
            }
        }
        parts.join("/")
    };
    let quoted = |s: &str| -> Option<String> {
        let start = s.find(['"', '\''])?;
        let q = s[start..].chars().next()?;
        let rest = &s[start + 1..];
        rest.find(q).map(|end| rest[..end].to_string())
    };
    match lang {
        Language::Python => {
            let module = if let Some(rest) = t.strip_prefix("from ") {
                rest.split_whitespace().next().unwrap_or("").to_string()
            } else if let Some(rest) = t.strip_prefix("import ") {
                rest.split([',', ' ']).next().unwrap_or("").to_string()
            } else {
                return Vec::new();
            };
            if module.is_empty() {
                return Vec::new();
            }
            let dots = module.chars().take_while(|c| *c == '.').count();
            let tail = module[dots..].replace('.', "/");
            let mut base = if dots > 0 {
                let up = "../".repeat(dots - 1);
                join(&format!("{up}{tail}"))
            } else {
                tail
            };
            let mut out = Vec::new();
            // `from a.b import c` may import module a/b/c too.
            if let Some((_, names)) = t.split_once(" import ") {
                for n in names.split(',').map(|n| n.split_whitespace().next().unwrap_or("")) {
                    if !n.is_empty() && n.chars().all(|c| c.is_alphanumeric() || c == '_') {
                        let p = if base.is_empty() {
                            n.to_string()
                        } else {
                            format!("{base}/{n}")
                        };
                        out.push(format!("{p}.py"));
                        out.push(format!("{p}/__init__.py"));
                    }
                }
            }
            if base.is_empty() {
                return out;
            }
            out.push(format!("{base}.py"));
            base.push_str("/__init__.py");
            out.push(base);
            out
        }
        Language::Go => {
            if !(t.starts_with("import")
                || t.starts_with('"')
                || t.split_whitespace().nth(1).is_some_and(|w| w.starts_with('"')))
            {
                return Vec::new();
            }
            // Only module paths (`host.tld/...`): the standard library is never unreleased work.
            quoted(t)
                .filter(|p| p.split('/').next().is_some_and(|host| host.contains('.')) && p.contains('/'))
                .map(|p| vec![format!("{p}/")])
                .unwrap_or_default()
        }
        Language::Rust => {
            let Some(rest) = t.strip_prefix("use ").or_else(|| t.strip_prefix("pub use ")) else {
                return Vec::new();
            };
            let path: Vec<&str> = rest
                .trim_end_matches(';')
                .split("::")
                .map(str::trim)
                .take_while(|s| s.chars().all(|c| c.is_alphanumeric() || c == '_') && !s.is_empty())
                .filter(|s| !matches!(*s, "crate" | "self" | "super"))
                .collect();
            let mut out = Vec::new();
            for k in 1..=path.len() {
                let p = path[..k].join("/");
                out.push(format!("{p}.rs"));
                out.push(format!("{p}/mod.rs"));
            }
            out
        }
        Language::Script => {
            if !(t.starts_with("import ")
                || t.starts_with("export ")
                || t.contains("require(")
                || t.contains("import("))
            {
                return Vec::new();
            }
            let Some(spec) = quoted(t.rsplit_once(" from ").map_or(t, |(_, f)| f)) else {
                return Vec::new();
            };
            if !spec.starts_with('.') {
                return Vec::new();
            }
            let p = join(&spec);
            let mut out = vec![p.clone()];
            for ext in ["ts", "tsx", "js", "jsx", "mjs", "cjs"] {
                out.push(format!("{p}.{ext}"));
                out.push(format!("{p}/index.{ext}"));
            }
            out
        }
        Language::Java => match t.strip_prefix("import ") {
            Some(rest) => {
                let rest = rest.trim_start_matches("static ").trim_end_matches(';').trim();
                vec![format!("{}.java", rest.replace('.', "/"))]
            }
            None => Vec::new(),
        },
        Language::C => {
            let Some(rest) = t.strip_prefix('#') else {
                return Vec::new();
            };
            if !rest.trim_start().starts_with("include") {
                return Vec::new();
            }
            match rest.find('"') {
                Some(_) => quoted(rest).map(|h| vec![join(&h), h]).unwrap_or_default(),
                None => Vec::new(),
            }
        }
    }
}

fn modules_added_unreleased(
    git: &Git,
    production: &Oid,
    target: &Oid,
    base: &Oid,
    lang: Language,
    files: &[&AddedLines],
) -> Result<Vec<NameDependency>, GitError> {
    let mut wanted: Vec<(String, String, String)> = Vec::new(); // (suffix, importer, line)
    for f in files {
        for (_, line) in &f.lines {
            for suffix in imported_paths(lang, &f.path, line) {
                if !wanted.iter().any(|(s, _, _)| *s == suffix) {
                    wanted.push((suffix, f.path.clone(), line.trim().to_string()));
                }
            }
        }
    }
    if wanted.is_empty() {
        return Ok(Vec::new());
    }
    let added = git.added_paths(target, base, &lang.pathspecs())?;
    let mut found: Vec<NameDependency> = Vec::new();
    for (suffix, importer, line) in &wanted {
        let matches_suffix = |p: &str| {
            if let Some(dir) = suffix.strip_suffix('/') {
                // A Go package: a directory whose files are all new.
                p.rsplit_once('/').is_some_and(|(d, _)| {
                    d == dir || (d.contains('/') && dir.ends_with(&format!("/{d}"))) || d.ends_with(&format!("/{dir}"))
                })
            } else {
                p == suffix || p.ends_with(&format!("/{suffix}"))
            }
        };
        let Some(path) = added.iter().find(|p| matches_suffix(p)) else {
            continue;
        };
        if suffix.ends_with('/') {
            // The package exists on the target when its directory does.
            let pkg_dir = path.rsplit_once('/').map_or("", |(d, _)| d);
            if target_has(git, target, pkg_dir) {
                continue;
            }
        }
        if found.iter().any(|d| d.defined_in == *path) {
            continue;
        }
        let Some(commit) = git.commit_adding(base, production, path)? else {
            continue;
        };
        found.push(NameDependency {
            name: line.clone(),
            used_in: importer.clone(),
            defined_in: path.clone(),
            line: 0,
            commit,
        });
    }
    Ok(found)
}

/// True when `target` has `path` (the object spec starts with the id: never an option).
fn target_has(git: &Git, target: &Oid, path: &str) -> bool {
    git.names_object(&format!("{target}:{path}")).unwrap_or(false)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn definitions_per_language() {
        let d = |l, s: &str| defined_name(l, s);
        assert_eq!(d(Language::Python, "def helper(x):").as_deref(), Some("helper"));
        assert_eq!(d(Language::Python, "    async def run(self):").as_deref(), Some("run"));
        assert_eq!(d(Language::Python, "class Foo(Base):").as_deref(), Some("Foo"));
        assert_eq!(d(Language::Python, "LIMIT = 10").as_deref(), Some("LIMIT"));
        assert_eq!(d(Language::Python, "    x = 10"), None);
        assert_eq!(d(Language::Python, "if a == b:"), None);
        assert_eq!(
            d(Language::Go, "func (s *Server) Handle(w http.ResponseWriter) {").as_deref(),
            Some("Handle")
        );
        assert_eq!(d(Language::Go, "func newThing() *Thing {").as_deref(), Some("newThing"));
        assert_eq!(d(Language::Go, "type Thing struct {").as_deref(), Some("Thing"));
        assert_eq!(d(Language::Go, "\tmaxRetries = 5").as_deref(), Some("maxRetries"));
        assert_eq!(d(Language::Go, "\t\terr = f()"), None);
        assert_eq!(d(Language::Go, "\tfsys := &Writer{"), None);
        assert_eq!(
            d(Language::Rust, "pub(crate) async fn load(x: u32) -> u32 {").as_deref(),
            Some("load")
        );
        assert_eq!(d(Language::Rust, "pub struct Config {").as_deref(), Some("Config"));
        assert_eq!(d(Language::Rust, "const MAX: usize = 3;").as_deref(), Some("MAX"));
        assert_eq!(d(Language::Rust, "    let x = 3;"), None);
        assert_eq!(
            d(Language::Script, "export async function fetchAll(a) {").as_deref(),
            Some("fetchAll")
        );
        assert_eq!(d(Language::Script, "export const LIMIT = 3;").as_deref(), Some("LIMIT"));
        assert_eq!(
            d(Language::Script, "  private compute(x: number): number {").as_deref(),
            Some("compute")
        );
        assert_eq!(d(Language::Script, "  if (x) {"), None);
        assert_eq!(d(Language::Java, "public class Util {").as_deref(), Some("Util"));
        assert_eq!(
            d(Language::Java, "    public static int parse(String s) {").as_deref(),
            Some("parse")
        );
        assert_eq!(
            d(Language::Java, "    static final int LIMIT = 3;").as_deref(),
            Some("LIMIT")
        );
        assert_eq!(d(Language::Java, "        return parse(s);"), None);
        assert_eq!(d(Language::Java, "        foo.bar(s);"), None);
        assert_eq!(
            d(Language::C, "int helperCount(client *c) {").as_deref(),
            Some("helperCount")
        );
        assert_eq!(d(Language::C, "#define MAX_LEN 10").as_deref(), Some("MAX_LEN"));
        assert_eq!(d(Language::C, "typedef struct foo {").as_deref(), Some("foo"));
        assert_eq!(d(Language::C, "} fooType;").as_deref(), Some("fooType"));
        assert_eq!(d(Language::C, "    helperCount(c);"), None);
        assert_eq!(d(Language::C, "static int x = f(3);"), None);
    }

    #[test]
    fn locals_and_parameters_are_the_fix_s_own() {
        let l = |lang, s: &str| {
            let mut v = locals(
                lang,
                &tokenize(&strip(lang, s, &mut false)),
                defined_name(lang, s).is_some(),
            );
            v.sort();
            v.dedup();
            v
        };
        assert_eq!(l(Language::Go, "\tgids, err := load(fsys)"), ["err", "gids"]);
        assert_eq!(l(Language::Go, "func load(fsys fs.FS) error {"), ["FS", "fs", "fsys"]);
        assert_eq!(l(Language::Python, "    for key, value in items:"), ["key", "value"]);
        assert_eq!(l(Language::Python, "    total = 0"), ["total"]);
        assert_eq!(l(Language::Rust, "    let (a, mut b) = pair;"), ["a", "b"]);
        assert_eq!(l(Language::Script, "  const { a, b } = x;"), ["a", "b"]);
        assert_eq!(l(Language::Java, "        int count = 0;"), ["count"]);
        assert_eq!(l(Language::C, "    client *c = lookup(key);"), ["c"]);
        assert!(l(Language::C, "    return helper(c);").is_empty());
    }

    #[test]
    fn strings_and_comments_are_no_names() {
        let mut block = false;
        let code = strip(
            Language::Go,
            r#"x := newThing("a \" quoted") // call helper"#,
            &mut block,
        );
        let words: Vec<String> = tokenize(&code)
            .iter()
            .filter_map(|t| t.ident().map(str::to_string))
            .collect();
        assert_eq!(words, ["x", "newThing"]);
        let code = strip(
            Language::Rust,
            "fn f<'a>(c: char) -> bool { c == 'x' } /* open",
            &mut block,
        );
        assert!(block);
        assert!(code.contains("'a"), "{code}");
        assert!(!code.contains("'x'"), "{code}");
        let code = strip(Language::Rust, "still comment */ real", &mut block);
        assert!(!block);
        assert_eq!(code.trim(), "real");
        let code = strip(Language::Python, "x = helper() # use other", &mut false);
        assert!(!code.contains("other"));
    }

    #[test]
    fn imports_name_module_paths() {
        assert!(
            imported_paths(Language::Python, "lib/a/b.py", "from ansible.module_utils.x import y")
                .contains(&"ansible/module_utils/x.py".to_string())
        );
        assert!(imported_paths(Language::Python, "lib/a/b.py", "from .sibling import z")
            .contains(&"lib/a/sibling.py".to_string()));
        assert_eq!(
            imported_paths(Language::Go, "cmd/x.go", "\t\"github.com/o/r/pkg/newpkg\""),
            ["github.com/o/r/pkg/newpkg/"]
        );
        assert!(imported_paths(Language::Go, "cmd/x.go", "\t\"testing\"").is_empty());
        assert!(imported_paths(Language::Go, "cmd/x.go", "\t\"net/http\"").is_empty());
        assert!(
            imported_paths(Language::Script, "src/a/b.ts", "import { x } from '../util/newmod';")
                .contains(&"src/util/newmod.ts".to_string())
        );
        assert_eq!(
            imported_paths(Language::Java, "A.java", "import com.x.Util;"),
            ["com/x/Util.java"]
        );
        assert!(
            imported_paths(Language::C, "src/server.c", "#include \"newmod.h\"").contains(&"src/newmod.h".to_string())
        );
    }
}
