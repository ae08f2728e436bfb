//! AI-service signatures: which provider a domain name, an address or a JA4 fingerprint belongs to.
//!
//! Accepts signature files (`signatures/*.toml`, one `[[provider]]` table per provider; the shipped
//! set is embedded with `include_str!`, a file or a folder of `*.toml` overrides it). Promises:
//! a set is either loaded whole and valid, or refused with every problem as a `file:line:col`
//! diagnostic — never half-loaded; lookups are compiled once and never allocate (see `matcher`).
//! Never: attributes a generic cloud/CDN apex (`aliyuncs.com`, `googleapis.com`, ...) as a whole,
//! touches the network, or reads files outside `load`.
//!
//! Matching rules: a domain entry covers the name itself and every name below it, on whole labels
//! (`deepseek.com` matches `api.deepseek.com`, never `notdeepseek.com`); the most specific entry wins.
//! Addresses: longest prefix wins; IPv4-mapped IPv6 addresses are matched as IPv4. JA4: exact.

mod command;
mod load;
mod matcher;
pub mod validate;

use std::fmt;
use std::net::IpAddr;
use std::path::{Path, PathBuf};

use ipnet::IpNet;
use serde::{Deserialize, Serialize};

pub use command::{check_command, match_command, match_line, match_record};
pub use load::Diagnostic;
pub(crate) use load::{Source, TableReader};
pub use matcher::normalise_name;

use load::RawProvider;
use matcher::Matcher;

/// The shipped signature files, in file-name order (a test checks this list against `signatures/`).
pub const EMBEDDED: &[(&str, &str)] = &[
    (
        "signatures/cn.toml",
        include_str!("../../../signatures/cn.toml"),
    ),
    (
        "signatures/other.toml",
        include_str!("../../../signatures/other.toml"),
    ),
    (
        "signatures/us.toml",
        include_str!("../../../signatures/us.toml"),
    ),
];

/// The file in a signatures folder that holds the policy, not providers.
pub const POLICY_FILE_NAME: &str = "policy.toml";

/// What kind of AI service a provider is (its main one, when it runs several).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Category {
    /// A model inference API sold to developers (OpenAI API, DeepSeek API, ...).
    ModelApi,
    /// A consumer chat or search assistant (Copilot, Perplexity, Doubao, ...).
    Assistant,
    /// Model and data-set downloads (Hugging Face, ModelScope, mirrors).
    ModelHub,
    /// Serves other vendors' models under its own name (OpenRouter, Poe, SiliconFlow, ...).
    Relay,
    /// Code assistants and AI IDEs (GitHub Copilot, Trae).
    CodingAssistant,
    /// Autonomous agents acting for the user (Manus).
    Agent,
    /// Image or video generation (Kling).
    MediaGeneration,
    /// Character and companion chat (Character.AI).
    Companion,
}

impl Category {
    pub const ALL: [Category; 8] = [
        Category::ModelApi,
        Category::Assistant,
        Category::ModelHub,
        Category::Relay,
        Category::CodingAssistant,
        Category::Agent,
        Category::MediaGeneration,
        Category::Companion,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Category::ModelApi => "model-api",
            Category::Assistant => "assistant",
            Category::ModelHub => "model-hub",
            Category::Relay => "relay",
            Category::CodingAssistant => "coding-assistant",
            Category::Agent => "agent",
            Category::MediaGeneration => "media-generation",
            Category::Companion => "companion",
        }
    }

    pub fn parse(text: &str) -> Option<Category> {
        Category::ALL.into_iter().find(|c| c.as_str() == text)
    }

    /// The accepted spellings, comma-separated, for diagnostics.
    pub fn names() -> String {
        Category::ALL.map(Category::as_str).join(", ")
    }
}

impl fmt::Display for Category {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One AI provider, as validated from a signature file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Provider {
    pub id: String,
    pub name: String,
    pub operator: String,
    /// ISO 3166-1 alpha-2 code of the jurisdiction that legally controls the service (`ZZ`: unknown).
    pub jurisdiction: String,
    pub parent: Option<String>,
    pub category: Category,
    /// Lower-case, validated; each covers itself and its subdomains.
    pub domains: Vec<String>,
    pub addresses: Vec<IpNet>,
    pub ja4: Vec<String>,
    pub sources: Vec<String>,
    pub notes: Option<String>,
}

/// Which matcher found the provider.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum MatchKind {
    Domain,
    Address,
    Ja4,
}

impl MatchKind {
    pub fn as_str(self) -> &'static str {
        match self {
            MatchKind::Domain => "domain",
            MatchKind::Address => "address",
            MatchKind::Ja4 => "ja4",
        }
    }
}

/// A lookup hit. Borrowed from the signature set so a lookup allocates nothing; the matched value
/// is the caller's query (turn both into an owned [`MatchRecord`] with [`Match::record`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Match<'a> {
    pub provider: &'a Provider,
    /// Index of `provider` in [`Signatures::providers`], a compact handle for aggregation.
    pub provider_index: usize,
    /// The signature key that matched: the domain suffix, the CIDR, or the JA4.
    pub key: &'a str,
    pub kind: MatchKind,
}

impl Match<'_> {
    /// The flow-record view of this match, for the queried `value` (the name, address or JA4 seen).
    pub fn record(&self, value: &str) -> MatchRecord {
        MatchRecord {
            value: value.to_string(),
            key: self.key.to_string(),
            kind: self.kind,
        }
    }
}

/// Flow-record field `provider`: `{id, name, jurisdiction, category}` (or `null` when unmatched).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProviderRecord {
    pub id: String,
    pub name: String,
    pub jurisdiction: String,
    pub category: Category,
}

impl From<&Provider> for ProviderRecord {
    fn from(p: &Provider) -> Self {
        ProviderRecord {
            id: p.id.clone(),
            name: p.name.clone(),
            jurisdiction: p.jurisdiction.clone(),
            category: p.category,
        }
    }
}

/// Flow-record field `match`: `{value, key, kind}` with kind `"domain" | "address" | "ja4"`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct MatchRecord {
    pub value: String,
    pub key: String,
    pub kind: MatchKind,
}

/// A validated, compiled signature set.
#[derive(Debug)]
pub struct Signatures {
    providers: Vec<Provider>,
    matcher: Matcher,
    /// Whether any provider lists JA4 fingerprints (asked once per flow: computed once here).
    has_ja4: bool,
}

impl Signatures {
    /// The shipped set. It is validated by the test suite (`signatures_validate`), so failing here
    /// would mean a broken build, not bad input.
    #[allow(clippy::expect_used)]
    pub fn embedded() -> Self {
        Self::from_texts(EMBEDDED).expect("the embedded signature files are validated by the tests")
    }

    /// Loads a signature file, or every `*.toml` of a folder (except `policy.toml`) in file-name order.
    pub fn load(path: &Path) -> Result<Self, Vec<Diagnostic>> {
        let files = read_signature_paths(path)?;
        let borrowed: Vec<(&str, &str)> = files
            .iter()
            .map(|(n, t)| (n.as_str(), t.as_str()))
            .collect();
        Self::from_texts(&borrowed)
    }

    /// Parses, validates and compiles a set of `(file name, text)` signature files.
    pub fn from_texts(files: &[(&str, &str)]) -> Result<Self, Vec<Diagnostic>> {
        let mut diagnostics = Vec::new();
        let mut raw = Vec::new();
        for (index, (name, text)) in files.iter().enumerate() {
            let source = Source { name, text };
            raw.extend(load::read_signature_file(source, index, &mut diagnostics));
        }
        check_unique(files, &raw, &mut diagnostics);
        if !diagnostics.is_empty() {
            sort_diagnostics(files, &mut diagnostics);
            return Err(diagnostics);
        }
        Ok(Self::compile(raw))
    }

    fn compile(raw: Vec<RawProvider>) -> Self {
        let mut matcher = Matcher::new();
        let mut providers = Vec::with_capacity(raw.len());
        for (index, p) in raw.into_iter().enumerate() {
            for (domain, _) in &p.domains {
                matcher.add_domain(index, domain);
            }
            for (net, _) in &p.addresses {
                matcher.add_net(index, *net);
            }
            for (ja4, _) in &p.ja4 {
                matcher.add_ja4(index, ja4);
            }
            providers.push(Provider {
                id: p.id.0,
                name: p.name,
                operator: p.operator,
                jurisdiction: p.jurisdiction,
                parent: p.parent,
                category: p.category,
                domains: p.domains.into_iter().map(|(d, _)| d).collect(),
                addresses: p.addresses.into_iter().map(|(a, _)| a).collect(),
                ja4: p.ja4.into_iter().map(|(j, _)| j).collect(),
                sources: p.sources,
                notes: p.notes,
            });
        }
        let has_ja4 = providers.iter().any(|p| !p.ja4.is_empty());
        Signatures {
            providers,
            matcher,
            has_ja4,
        }
    }

    /// Whether any provider lists JA4 fingerprints (so callers can skip computing them).
    pub fn has_ja4(&self) -> bool {
        self.has_ja4
    }

    pub fn providers(&self) -> &[Provider] {
        &self.providers
    }

    pub fn provider(&self, id: &str) -> Option<&Provider> {
        self.providers.iter().find(|p| p.id == id)
    }

    /// The most specific provider domain covering `name` (case-insensitive, trailing dot ignored).
    pub fn match_name(&self, name: &str) -> Option<Match<'_>> {
        self.hit(self.matcher.lookup_name(name)?, MatchKind::Domain)
    }

    /// The longest provider prefix containing `ip`.
    pub fn match_addr(&self, ip: IpAddr) -> Option<Match<'_>> {
        self.hit(self.matcher.lookup_addr(ip)?, MatchKind::Address)
    }

    /// A provider whose client fingerprint is exactly `ja4`.
    pub fn match_ja4(&self, ja4: &str) -> Option<Match<'_>> {
        self.hit(self.matcher.lookup_ja4(ja4)?, MatchKind::Ja4)
    }

    fn hit<'a>(&'a self, entry: &'a matcher::Entry, kind: MatchKind) -> Option<Match<'a>> {
        Some(Match {
            provider: self.providers.get(entry.provider)?,
            provider_index: entry.provider,
            key: &entry.key,
            kind,
        })
    }

    /// Counts for summaries: (providers, domains, address prefixes, JA4 fingerprints).
    pub fn counts(&self) -> (usize, usize, usize, usize) {
        let sum = |f: fn(&Provider) -> usize| self.providers.iter().map(f).sum::<usize>();
        (
            self.providers.len(),
            sum(|p| p.domains.len()),
            sum(|p| p.addresses.len()),
            sum(|p| p.ja4.len()),
        )
    }
}

/// A key a provider claims, compared as the value it is (so nothing is formatted unless reported).
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
enum Claim<'a> {
    Domain(&'a str),
    Address(IpNet),
    Ja4(&'a str),
}

impl Claim<'_> {
    fn what(&self) -> &'static str {
        match self {
            Claim::Domain(_) => "domain",
            Claim::Address(_) => "address",
            Claim::Ja4(_) => "ja4",
        }
    }

    fn key(&self) -> String {
        match self {
            Claim::Domain(d) | Claim::Ja4(d) => d.to_string(),
            Claim::Address(a) => a.to_string(),
        }
    }
}

/// Duplicate ids, and any domain, prefix or JA4 claimed twice (by two providers, or twice by one).
fn check_unique(files: &[(&str, &str)], raw: &[RawProvider], out: &mut Vec<Diagnostic>) {
    type Map<K, V> = std::collections::HashMap<K, V, foldhash::fast::RandomState>;
    let src = |p: &RawProvider| {
        let (name, text) = files.get(p.file).copied().unwrap_or(("", ""));
        Source { name, text }
    };
    let mut ids: Map<&str, &RawProvider> = Map::default();
    let mut keys: Map<Claim<'_>, (&RawProvider, &load::Span)> = Map::default();
    for p in raw {
        if let Some(first) = ids.get(p.id.0.as_str()) {
            let at = src(first).diag(first.id.1.clone(), "");
            let message = format!(
                "duplicate provider id `{}` (first defined at {}:{}:{})",
                p.id.0, at.file, at.line, at.col
            );
            out.push(src(p).diag(p.id.1.clone(), message));
        } else {
            ids.insert(&p.id.0, p);
        }
        let claims = p
            .domains
            .iter()
            .map(|(d, s)| (Claim::Domain(d), s))
            .chain(p.addresses.iter().map(|(a, s)| (Claim::Address(*a), s)))
            .chain(p.ja4.iter().map(|(j, s)| (Claim::Ja4(j), s)));
        for (claim, span) in claims {
            if let Some((owner, owner_span)) = keys.get(&claim) {
                let (what, key) = (claim.what(), claim.key());
                let at = src(owner).diag((*owner_span).clone(), "");
                let message = if std::ptr::eq(*owner, p) {
                    format!("{what} `{key}` listed twice in provider `{}`", p.id.0)
                } else {
                    format!(
                        "{what} `{key}` claimed by two providers: `{}` (at {}:{}:{}) and `{}`",
                        owner.id.0, at.file, at.line, at.col, p.id.0
                    )
                };
                out.push(src(p).diag(span.clone(), message));
            } else {
                keys.insert(claim, (p, span));
            }
        }
    }
}

/// Orders diagnostics by file (in the order given), then line and column.
fn sort_diagnostics(files: &[(&str, &str)], diagnostics: &mut [Diagnostic]) {
    let rank = |d: &Diagnostic| {
        files
            .iter()
            .position(|(n, _)| *n == d.file)
            .unwrap_or(usize::MAX)
    };
    diagnostics.sort_by_key(|d| (rank(d), d.line, d.col));
}

/// A diagnostic for a file that could not be read at all.
pub(crate) fn read_error(path: &Path, error: &std::io::Error) -> Diagnostic {
    Diagnostic {
        file: path.display().to_string(),
        line: 1,
        col: 1,
        message: format!("cannot read: {error}"),
    }
}

/// The signature files named by `path`: the file itself, or the folder's `*.toml` in name order
/// (skipping `policy.toml`).
pub(crate) fn read_signature_paths(path: &Path) -> Result<Vec<(String, String)>, Vec<Diagnostic>> {
    let paths = signature_paths(path).map_err(|e| vec![read_error(path, &e)])?;
    let mut files = Vec::new();
    let mut errors = Vec::new();
    for p in paths {
        match std::fs::read_to_string(&p) {
            Ok(text) => files.push((p.display().to_string(), text)),
            Err(e) => errors.push(read_error(&p, &e)),
        }
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    if files.is_empty() {
        return Err(vec![Diagnostic {
            file: path.display().to_string(),
            line: 1,
            col: 1,
            message: "no *.toml signature file in this folder".to_string(),
        }]);
    }
    Ok(files)
}

fn signature_paths(path: &Path) -> std::io::Result<Vec<PathBuf>> {
    if !path.is_dir() {
        return Ok(vec![path.to_path_buf()]);
    }
    let mut paths = Vec::new();
    for entry in std::fs::read_dir(path)? {
        let p = entry?.path();
        let is_toml = p.extension().is_some_and(|e| e == "toml");
        let is_policy = p.file_name().is_some_and(|n| n == POLICY_FILE_NAME);
        if is_toml && !is_policy && p.is_file() {
            paths.push(p);
        }
    }
    paths.sort_by(|a, b| a.file_name().cmp(&b.file_name()));
    Ok(paths)
}
