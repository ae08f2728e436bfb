//! The text behind `aiwatch signatures check [PATH]...` and `aiwatch signatures match QUERY...`.
//!
//! Contract: returns what the CLI prints and its exit code; the CLI only writes it out. Reads only
//! the paths it is given (nothing for the embedded set).

use std::net::IpAddr;
use std::path::{Path, PathBuf};

use serde::Serialize;

use super::{
    Diagnostic, EMBEDDED, Match, MatchRecord, POLICY_FILE_NAME, ProviderRecord, Signatures,
    read_error, read_signature_paths,
};
use crate::classify::policy::{EMBEDDED_POLICY, Policy};

/// `aiwatch signatures check [PATH]...`: with no path, checks the embedded signature and policy
/// files. A folder is read as signature files plus its `policy.toml` if any; a file named
/// `policy.toml`, or without any `[[provider]]` table, is read as a policy. Policies are checked
/// against the signature files given (the embedded set if none). Prints one summary line and
/// exits 0, or prints every diagnostic (`file:line:col: message`) and exits 1.
pub fn check_command(paths: &[PathBuf]) -> (String, i32) {
    let mut signature_files: Vec<(String, String)> = Vec::new();
    let mut policy_files: Vec<(String, String)> = Vec::new();
    let mut diagnostics: Vec<Diagnostic> = Vec::new();
    if paths.is_empty() {
        signature_files = EMBEDDED
            .iter()
            .map(|(n, t)| (n.to_string(), t.to_string()))
            .collect();
        policy_files.push((EMBEDDED_POLICY.0.to_string(), EMBEDDED_POLICY.1.to_string()));
    }
    for path in paths {
        classify_path(
            path,
            &mut signature_files,
            &mut policy_files,
            &mut diagnostics,
        );
    }
    if !diagnostics.is_empty() {
        return (render(&diagnostics), 1);
    }
    let signatures = if signature_files.is_empty() {
        Ok(Signatures::embedded())
    } else {
        let borrowed: Vec<(&str, &str)> = signature_files
            .iter()
            .map(|(n, t)| (n.as_str(), t.as_str()))
            .collect();
        Signatures::from_texts(&borrowed)
    };
    let signatures = match signatures {
        Ok(s) => s,
        Err(diagnostics) => {
            // Policy rules name providers, so a policy is checked against a clean signature set
            // only; say so rather than stay silent about it.
            let mut text = render(&diagnostics);
            for (name, _) in &policy_files {
                text.push_str(&format!(
                    "{name}: not checked: its rules name providers, and the signature files above have errors\n"
                ));
            }
            return (text, 1);
        }
    };
    let mut policy_summaries = Vec::new();
    for (name, text) in &policy_files {
        match Policy::from_text(name, text, &signatures) {
            Ok(policy) => {
                let providers = signatures.providers();
                let restricted = providers
                    .iter()
                    .filter(|p| policy.verdict(Some(p)).restricted)
                    .count();
                policy_summaries.push(format!(
                    "; policy {name} restricts {restricted} of {} providers",
                    providers.len()
                ));
            }
            Err(found) => diagnostics.extend(found),
        }
    }
    if !diagnostics.is_empty() {
        return (render(&diagnostics), 1);
    }
    let (providers, domains, addresses, ja4) = signatures.counts();
    let files = if signature_files.is_empty() {
        "embedded signature files".to_string()
    } else {
        format!("{} signature file(s)", signature_files.len())
    };
    let mut line = format!(
        "OK: {files}: {providers} providers, {domains} domains, {addresses} address prefixes, {ja4} JA4"
    );
    if policy_summaries.is_empty() {
        line.push_str("; no policy file");
    }
    for summary in policy_summaries {
        line.push_str(&summary);
    }
    line.push('\n');
    (line, 0)
}

fn classify_path(
    path: &Path,
    signature_files: &mut Vec<(String, String)>,
    policy_files: &mut Vec<(String, String)>,
    diagnostics: &mut Vec<Diagnostic>,
) {
    if path.is_dir() {
        match read_signature_paths(path) {
            Ok(files) => signature_files.extend(files),
            Err(found) => diagnostics.extend(found),
        }
        let policy = path.join(POLICY_FILE_NAME);
        if policy.is_file() {
            match std::fs::read_to_string(&policy) {
                Ok(text) => policy_files.push((policy.display().to_string(), text)),
                Err(e) => diagnostics.push(read_error(&policy, &e)),
            }
        }
        return;
    }
    match std::fs::read_to_string(path) {
        Ok(text) => {
            let named_policy = path.file_name().is_some_and(|n| n == POLICY_FILE_NAME);
            let has_provider = text
                .lines()
                .any(|l| l.trim_start().starts_with("[[provider]]"));
            let entry = (path.display().to_string(), text);
            if named_policy || !has_provider {
                policy_files.push(entry);
            } else {
                signature_files.push(entry);
            }
        }
        Err(e) => diagnostics.push(read_error(path, &e)),
    }
}

fn render(diagnostics: &[Diagnostic]) -> String {
    let mut text = String::new();
    for d in diagnostics {
        text.push_str(&d.to_string());
        text.push('\n');
    }
    text
}

/// One `signatures match --json` line: the query and the flow-record fields.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct MatchLine {
    pub query: String,
    pub provider: Option<ProviderRecord>,
    #[serde(rename = "match")]
    pub matched: Option<MatchRecord>,
    pub restricted: bool,
    pub policy_rule: String,
}

/// Looks `query` up as an address if it parses as one, as a JA4 if it has JA4's shape, otherwise
/// as a domain name.
pub fn match_record(signatures: &Signatures, policy: &Policy, query: &str) -> MatchLine {
    let hit: Option<Match<'_>> = if let Ok(ip) = query.parse::<IpAddr>() {
        signatures.match_addr(ip)
    } else if query.len() == 36 && query.matches('_').count() == 2 {
        signatures.match_ja4(query)
    } else {
        signatures.match_name(query)
    };
    let verdict = policy.verdict(hit.map(|h| h.provider));
    MatchLine {
        query: query.to_string(),
        provider: hit.map(|h| ProviderRecord::from(h.provider)),
        matched: hit.map(|h| h.record(query)),
        restricted: verdict.restricted,
        policy_rule: verdict.rule,
    }
}

/// The human-readable line for one query.
pub fn match_line(line: &MatchLine) -> String {
    match (&line.provider, &line.matched) {
        (Some(p), Some(m)) => format!(
            "{}: {} ({}), jurisdiction {}, category {}, {} by rule \"{}\", matched {} {}",
            line.query,
            p.name,
            p.id,
            p.jurisdiction,
            p.category,
            if line.restricted {
                "RESTRICTED"
            } else {
                "allowed"
            },
            line.policy_rule,
            m.kind.as_str(),
            m.key
        ),
        _ => format!("{}: no match", line.query),
    }
}

/// `aiwatch signatures match NAME|ADDRESS|JA4...`: one line per argument, in argument order; with
/// `json`, one JSON object per line with `query`, `provider`, `match`, `restricted`, `policy_rule`.
pub fn match_command(
    signatures: &Signatures,
    policy: &Policy,
    args: &[String],
    json: bool,
) -> String {
    let mut text = String::new();
    for arg in args {
        let line = match_record(signatures, policy, arg);
        if json {
            // A struct of strings, bools and enums always serialises; fall back to `{}` rather than panic.
            text.push_str(&serde_json::to_string(&line).unwrap_or_else(|_| "{}".to_string()));
        } else {
            text.push_str(&match_line(&line));
        }
        text.push('\n');
    }
    text
}
