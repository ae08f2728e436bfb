//! Reading signature and policy TOML into checked values, with every problem reported as a
//! `file:line:col: message` diagnostic.
//!
//! Contract: the text is parsed once into a spanned document (`toml::de::DeTable`), then walked by
//! hand so that *all* unknown keys, missing keys, wrong types and bad values are reported, not just
//! the first one serde would stop at. Lines and columns are 1-based; a column counts Unicode scalar
//! values from the start of the line. Never panics on any input; nothing here touches the file system.

use std::fmt;
use std::ops::Range;

use ipnet::IpNet;
use serde::Serialize;
use toml::Spanned;
use toml::de::{DeTable, DeValue};

use super::validate;
use crate::classify::signatures::Category;

/// One problem found in a signature or policy file.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Diagnostic {
    pub file: String,
    pub line: usize,
    pub col: usize,
    pub message: String,
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}:{}:{}: {}",
            self.file, self.line, self.col, self.message
        )
    }
}

/// A named text being read; turns byte spans into diagnostics.
#[derive(Clone, Copy)]
pub(crate) struct Source<'a> {
    pub name: &'a str,
    pub text: &'a str,
}

impl Source<'_> {
    pub fn diag(&self, span: Range<usize>, message: impl Into<String>) -> Diagnostic {
        let (line, col) = line_col(self.text, span.start);
        Diagnostic {
            file: self.name.to_string(),
            line,
            col,
            message: message.into(),
        }
    }

    /// Parses the whole document; a syntax error goes to `out` and the document is withheld, so later checks never run on a half-read file.
    pub fn parse(&self, out: &mut Vec<Diagnostic>) -> Option<DeTable<'_>> {
        if self.text.len() > crate::dissect::limits::signatures::MAX_FILE_BYTES {
            out.push(self.diag(0..0, "file too large for a signature or policy file"));
            return None;
        }
        // Only the first syntax error: after one, a recovering parser's further errors are mostly
        // echoes of it (one missing `]` gives five), which would mislead more than help.
        match DeTable::parse(self.text) {
            Ok(doc) => return Some(doc.into_inner()),
            Err(error) => {
                let span = error.span().unwrap_or(0..0);
                out.push(self.diag(span, format!("TOML syntax: {}", error.message().trim_end())));
            }
        }
        None
    }
}

/// 1-based line and column (in characters) of a byte offset; offsets past the end or inside a
/// character are clamped to the nearest earlier character boundary.
fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let mut end = offset.min(text.len());
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    let before = text.get(..end).unwrap_or("");
    let line = before.matches('\n').count() + 1;
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    let col = before.get(line_start..).map_or(0, |s| s.chars().count()) + 1;
    (line, col)
}

/// A table being read: reports unknown keys, missing keys and wrong types against its source.
pub(crate) struct TableReader<'s, 't, 'i> {
    pub src: Source<'s>,
    pub table: &'t DeTable<'i>,
    /// Where to point "missing key" diagnostics: the table's header, or the file start.
    pub header: Range<usize>,
}

pub(crate) type Span = Range<usize>;

impl<'t, 'i> TableReader<'_, 't, 'i> {
    /// Reports every key not in `allowed`, at the key itself.
    pub fn deny_unknown(&self, allowed: &[&str], what: &str, out: &mut Vec<Diagnostic>) {
        for (key, _) in self.table.iter() {
            if !allowed.contains(&key.get_ref().as_ref()) {
                let message = format!(
                    "unknown key `{}` in {what} (expected one of: {})",
                    key.get_ref(),
                    allowed.join(", ")
                );
                out.push(self.src.diag(key.span(), message));
            }
        }
    }

    pub fn get(&self, key: &str) -> Option<&'t Spanned<DeValue<'i>>> {
        self.table.get(key)
    }

    fn missing(&self, key: &str, what: &str, out: &mut Vec<Diagnostic>) {
        let message = format!("missing key `{key}` in {what}");
        out.push(self.src.diag(self.header.clone(), message));
    }

    fn wrong_type(&self, key: &str, expected: &str, value: &Spanned<DeValue<'_>>) -> Diagnostic {
        let found = value.get_ref().type_str();
        self.src.diag(
            value.span(),
            format!("`{key}` must be {expected}, found {found}"),
        )
    }

    pub fn opt_str(&self, key: &str, out: &mut Vec<Diagnostic>) -> Option<(String, Span)> {
        let value = self.get(key)?;
        match value.get_ref().as_str() {
            Some(s) => Some((s.to_string(), value.span())),
            None => {
                out.push(self.wrong_type(key, "a string", value));
                None
            }
        }
    }

    pub fn req_str(
        &self,
        key: &str,
        what: &str,
        out: &mut Vec<Diagnostic>,
    ) -> Option<(String, Span)> {
        if self.get(key).is_none() {
            self.missing(key, what, out);
            return None;
        }
        let (s, span) = self.opt_str(key, out)?;
        if s.trim().is_empty() {
            out.push(self.src.diag(span, format!("`{key}` must not be empty")));
            return None;
        }
        Some((s, span))
    }

    /// An optional array of strings; absent means empty. Each element keeps its own span.
    pub fn str_list(&self, key: &str, out: &mut Vec<Diagnostic>) -> Vec<(String, Span)> {
        let Some(value) = self.get(key) else {
            return Vec::new();
        };
        let Some(array) = value.get_ref().as_array() else {
            out.push(self.wrong_type(key, "an array of strings", value));
            return Vec::new();
        };
        let mut items = Vec::new();
        for element in array.iter() {
            match element.get_ref().as_str() {
                Some(s) => items.push((s.to_string(), element.span())),
                None => out.push(self.wrong_type(key, "an array of strings", element)),
            }
        }
        items
    }

    pub fn req_str_list(
        &self,
        key: &str,
        what: &str,
        out: &mut Vec<Diagnostic>,
    ) -> Vec<(String, Span)> {
        match self.get(key) {
            None => {
                self.missing(key, what, out);
                Vec::new()
            }
            Some(value) => {
                let items = self.str_list(key, out);
                if items.is_empty() && value.get_ref().as_array().is_some_and(|a| a.is_empty()) {
                    out.push(
                        self.src
                            .diag(value.span(), format!("`{key}` must not be empty")),
                    );
                }
                items
            }
        }
    }

    /// A sub-table (`[restrict]`), if present and a table.
    pub fn sub_table(
        &self,
        key: &str,
        out: &mut Vec<Diagnostic>,
    ) -> Option<TableReader<'_, 't, 'i>> {
        let value = self.get(key)?;
        match value.get_ref() {
            DeValue::Table(table) => Some(TableReader {
                src: self.src,
                table,
                header: value.span(),
            }),
            _ => {
                out.push(self.wrong_type(key, "a table", value));
                None
            }
        }
    }
}

/// A provider as read from one file, with the spans later cross-file checks point at.
pub(crate) struct RawProvider {
    pub file: usize,
    pub id: (String, Span),
    pub name: String,
    pub operator: String,
    pub jurisdiction: String,
    pub parent: Option<String>,
    pub category: Category,
    pub domains: Vec<(String, Span)>,
    pub addresses: Vec<(IpNet, Span)>,
    pub ja4: Vec<(String, Span)>,
    pub sources: Vec<String>,
    pub notes: Option<String>,
}

const PROVIDER_KEYS: &[&str] = &[
    "id",
    "name",
    "operator",
    "jurisdiction",
    "parent",
    "category",
    "domains",
    "addresses",
    "ja4",
    "sources",
    "notes",
];

/// Reads every `[[provider]]` of one signature file. Returns the providers whose own fields are all
/// valid; everything else is a diagnostic in `out` (the caller refuses the whole set if `out` grew).
pub(crate) fn read_signature_file(
    src: Source<'_>,
    file: usize,
    out: &mut Vec<Diagnostic>,
) -> Vec<RawProvider> {
    let Some(doc) = src.parse(out) else {
        return Vec::new();
    };
    let top = TableReader {
        src,
        table: &doc,
        header: 0..0,
    };
    top.deny_unknown(&["provider"], "a signature file", out);
    let Some(list) = top.get("provider") else {
        out.push(src.diag(0..0, "no [[provider]] table in a signature file"));
        return Vec::new();
    };
    let Some(array) = list.get_ref().as_array() else {
        out.push(src.diag(
            list.span(),
            "`provider` must be an array of tables: write [[provider]]",
        ));
        return Vec::new();
    };
    let mut providers = Vec::new();
    for element in array.iter() {
        let DeValue::Table(table) = element.get_ref() else {
            out.push(src.diag(element.span(), "`provider` entries must be tables"));
            continue;
        };
        let reader = TableReader {
            src,
            table,
            header: element.span(),
        };
        if let Some(provider) = read_provider(&reader, file, out) {
            providers.push(provider);
        }
    }
    providers
}

fn read_provider(
    r: &TableReader<'_, '_, '_>,
    file: usize,
    out: &mut Vec<Diagnostic>,
) -> Option<RawProvider> {
    let before = out.len();
    let what = "[[provider]]";
    r.deny_unknown(PROVIDER_KEYS, what, out);
    let id = r.req_str("id", what, out);
    if let Some((id, span)) = &id
        && let Err(reason) = validate::check_id(id)
    {
        out.push(r.src.diag(span.clone(), reason));
    }
    let name = r.req_str("name", what, out);
    let operator = r.req_str("operator", what, out);
    let jurisdiction = r.req_str("jurisdiction", what, out);
    if let Some((code, span)) = &jurisdiction
        && let Err(reason) = validate::check_jurisdiction(code)
    {
        out.push(
            r.src
                .diag(span.clone(), format!("jurisdiction `{code}`: {reason}")),
        );
    }
    let parent = r
        .opt_str("parent", out)
        .map(|(s, _)| s)
        .filter(|s| !s.is_empty());
    let category = r.req_str("category", what, out).and_then(|(text, span)| {
        let parsed = Category::parse(&text);
        if parsed.is_none() {
            let message = format!(
                "unknown category `{text}` (expected one of: {})",
                Category::names()
            );
            out.push(r.src.diag(span, message));
        }
        parsed
    });
    let mut domains = Vec::new();
    for (raw, span) in r.req_str_list("domains", what, out) {
        match validate::check_domain(&raw) {
            Ok(domain) => domains.push((domain, span)),
            Err(reason) => out.push(r.src.diag(span, format!("domain `{raw}`: {reason}"))),
        }
    }
    let mut addresses = Vec::new();
    for (raw, span) in r.str_list("addresses", out) {
        match validate::check_cidr(&raw) {
            Ok(net) => addresses.push((net, span)),
            Err(reason) => out.push(r.src.diag(span, format!("address `{raw}`: {reason}"))),
        }
    }
    let mut ja4 = Vec::new();
    for (raw, span) in r.str_list("ja4", out) {
        if is_ja4_syntax(&raw) {
            ja4.push((raw, span));
        } else {
            let message = format!(
                "ja4 `{raw}`: expected a JA4 fingerprint like t13d1516h2_8daaf6152771_02713d6af862"
            );
            out.push(r.src.diag(span, message));
        }
    }
    let sources = r.req_str_list("sources", what, out);
    let notes = r.opt_str("notes", out).map(|(s, _)| s);
    if out.len() != before {
        return None;
    }
    Some(RawProvider {
        file,
        id: id?,
        name: name?.0,
        operator: operator?.0,
        jurisdiction: jurisdiction?.0,
        parent,
        category: category?,
        domains,
        addresses,
        ja4,
        sources: sources.into_iter().map(|(s, _)| s).collect(),
        notes,
    })
}

/// JA4 (TLS client) is `a_b_c`: a 10-character readable prefix, then two 12-digit lower-case hex
/// hashes (FoxIO JA4 specification).
fn is_ja4_syntax(text: &str) -> bool {
    let mut parts = text.split('_');
    let (Some(a), Some(b), Some(c), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return false;
    };
    let hex12 = |s: &str| {
        s.len() == 12
            && s.bytes()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
    };
    a.len() == 10 && a.bytes().all(|b| b.is_ascii_alphanumeric()) && hex12(b) && hex12(c)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_col_counts_from_one_in_characters() {
        let text = "ab\ncé d\n";
        assert_eq!(line_col(text, 0), (1, 1));
        assert_eq!(line_col(text, 3), (2, 1));
        // 'é' is two bytes but one column: the space after it is column 3, the 'd' column 4.
        assert_eq!(line_col(text, 6), (2, 3));
        assert_eq!(line_col(text, 7), (2, 4));
        assert_eq!(line_col(text, 999), (3, 1));
    }

    #[test]
    fn ja4_syntax() {
        assert!(is_ja4_syntax("t13d1516h2_8daaf6152771_02713d6af862"));
        assert!(!is_ja4_syntax("t13d1516h2_8daaf6152771"));
        assert!(!is_ja4_syntax("t13d1516h2_8DAAF6152771_02713d6af862"));
    }
}
