//! Policy: which providers are restricted, and when traffic to them raises an alert.
//!
//! Accepts a policy file (`signatures/policy.toml` is embedded as the default; `--policy PATH`
//! overrides it), validated against a signature set so that every provider id it names exists.
//! Promises: a verdict for every flow, naming the rule that decided it; a policy is loaded whole
//! or refused with `file:line:col` diagnostics. Never reads packets, files (except in `load`) or clocks.
//!
//! Precedence, most specific first (the first level that mentions the provider decides):
//! 1. `providers` (in `[allow]` or `[restrict]`),
//! 2. `categories`,
//! 3. `jurisdictions`,
//! 4. `default` (`"allow"` or `"restrict"`).
//!
//! A value may not be both allowed and restricted at the same level (a diagnostic). Flows with no
//! provider are never restricted (rule `"no provider"`).

use std::path::Path;

use serde::Serialize;
use toml::de::DeValue;

use crate::classify::signatures::validate::check_jurisdiction;
use crate::classify::signatures::{
    Category, Diagnostic, Provider, Signatures, Source, TableReader, read_error,
};

/// The shipped policy: restrict services controlled from CN, allow the rest.
pub const EMBEDDED_POLICY: (&str, &str) = (
    "signatures/policy.toml",
    include_str!("../../signatures/policy.toml"),
);

/// The outcome for one flow.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Verdict {
    pub restricted: bool,
    /// The rule that decided, e.g. `"restrict jurisdiction CN"`, `"allow provider openai"`,
    /// `"default allow"`, `"no provider"`.
    pub rule: String,
}

/// When traffic raises an alert, per internal host and provider, over packet time.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Threshold {
    /// Never alert.
    Never,
    /// Alert on the first byte sent.
    AnyByte,
    /// Alert when one internal host sends more than this many bytes to one provider within an hour.
    BytesPerHostPerHour(u64),
}

/// Alert thresholds, as data for the alert logic.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct Thresholds {
    /// For providers the policy restricts.
    pub restricted: Threshold,
    /// For providers the policy allows.
    pub allowed: Threshold,
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
struct RuleSet {
    jurisdictions: Vec<String>,
    categories: Vec<Category>,
    providers: Vec<String>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Policy {
    default_restrict: bool,
    restrict: RuleSet,
    allow: RuleSet,
    pub thresholds: Thresholds,
}

impl Policy {
    /// The shipped policy, for the shipped signatures. Its provider ids are checked against the
    /// shipped signatures by the test suite (`embedded_policy_names_only_embedded_providers`), not
    /// here: that would parse and compile the whole signature set a second time at every start.
    #[allow(clippy::expect_used)]
    pub fn embedded() -> Self {
        let (name, text) = EMBEDDED_POLICY;
        let src = Source { name, text };
        let mut out = Vec::new();
        read_policy(src, &|_| true, &mut out)
            .filter(|_| out.is_empty())
            .expect("the embedded policy is validated by the tests")
    }

    /// Loads a policy file; provider ids are checked against `signatures`.
    pub fn load(path: &Path, signatures: &Signatures) -> Result<Self, Vec<Diagnostic>> {
        let text = std::fs::read_to_string(path).map_err(|e| vec![read_error(path, &e)])?;
        Self::from_text(&path.display().to_string(), &text, signatures)
    }

    pub fn from_text(
        name: &str,
        text: &str,
        signatures: &Signatures,
    ) -> Result<Self, Vec<Diagnostic>> {
        let src = Source { name, text };
        let mut out = Vec::new();
        let known = |id: &str| signatures.provider(id).is_some();
        let policy = read_policy(src, &known, &mut out);
        out.sort_by_key(|d| (d.line, d.col));
        match policy {
            Some(p) if out.is_empty() => Ok(p),
            _ => Err(out),
        }
    }

    /// The verdict for a flow attributed to `provider` (or to none).
    pub fn verdict(&self, provider: Option<&Provider>) -> Verdict {
        let rule = self.rule(provider);
        let text = match rule {
            Rule::NoProvider => "no provider".to_string(),
            Rule::Level {
                restrict,
                level,
                value,
            } => {
                let action = if restrict { "restrict" } else { "allow" };
                format!("{action} {level} {value}")
            }
            Rule::Default { restrict: true } => "default restrict".to_string(),
            Rule::Default { restrict: false } => "default allow".to_string(),
        };
        verdict(rule.restricts(), text)
    }

    /// Whether the verdict for `provider` restricts it, without naming the rule (no allocation).
    pub fn restricts(&self, provider: Option<&Provider>) -> bool {
        self.rule(provider).restricts()
    }

    /// The rule that decides for `provider` (see the module documentation for the precedence).
    fn rule<'p>(&self, provider: Option<&'p Provider>) -> Rule<'p> {
        let Some(p) = provider else {
            return Rule::NoProvider;
        };
        let (allow, restrict) = (&self.allow, &self.restrict);
        let category = p.category.as_str();
        let levels = [
            (
                "provider",
                p.id.as_str(),
                allow.providers.contains(&p.id),
                restrict.providers.contains(&p.id),
            ),
            (
                "category",
                category,
                allow.categories.contains(&p.category),
                restrict.categories.contains(&p.category),
            ),
            (
                "jurisdiction",
                p.jurisdiction.as_str(),
                allow.jurisdictions.contains(&p.jurisdiction),
                restrict.jurisdictions.contains(&p.jurisdiction),
            ),
        ];
        for (level, value, allowed, restricted) in levels {
            if allowed || restricted {
                return Rule::Level {
                    restrict: !allowed,
                    level,
                    value,
                };
            }
        }
        Rule::Default {
            restrict: self.default_restrict,
        }
    }

    /// The alert threshold that applies to a flow with this verdict.
    pub fn threshold(&self, verdict: &Verdict) -> Threshold {
        if verdict.restricted {
            self.thresholds.restricted
        } else {
            self.thresholds.allowed
        }
    }
}

/// Which rule decided a verdict (formatted into [`Verdict::rule`] only when asked for).
#[derive(Clone, Copy)]
enum Rule<'p> {
    NoProvider,
    /// An `[allow]` or `[restrict]` entry at `level` ("provider", "category", "jurisdiction")
    /// matched `value`; `[allow]` wins at the same level.
    Level {
        restrict: bool,
        level: &'static str,
        value: &'p str,
    },
    Default {
        restrict: bool,
    },
}

impl Rule<'_> {
    fn restricts(self) -> bool {
        match self {
            Rule::NoProvider => false,
            Rule::Level { restrict, .. } | Rule::Default { restrict } => restrict,
        }
    }
}

fn verdict(restricted: bool, rule: String) -> Verdict {
    Verdict { restricted, rule }
}

const TOP_KEYS: &[&str] = &["default", "restrict", "allow", "alert"];
const RULE_KEYS: &[&str] = &["jurisdictions", "categories", "providers"];
const ALERT_KEYS: &[&str] = &["restricted", "allowed"];

/// Reads a policy; `known_provider` tells whether a provider id exists in the signature set.
fn read_policy(
    src: Source<'_>,
    known_provider: &dyn Fn(&str) -> bool,
    out: &mut Vec<Diagnostic>,
) -> Option<Policy> {
    let doc = src.parse(out)?;
    let top = TableReader {
        src,
        table: &doc,
        header: 0..0,
    };
    top.deny_unknown(TOP_KEYS, "a policy file", out);
    let default_restrict = match top.req_str("default", "a policy file", out) {
        Some((value, _)) if value == "allow" => false,
        Some((value, _)) if value == "restrict" => true,
        Some((value, span)) => {
            out.push(src.diag(
                span,
                format!("`default` must be \"allow\" or \"restrict\", found \"{value}\""),
            ));
            false
        }
        None => false,
    };
    let restrict = read_rules(&top, "restrict", known_provider, out);
    let allow = read_rules(&top, "allow", known_provider, out);
    check_conflicts(&top, out);
    let alert = top.sub_table("alert", out);
    let threshold = |key: &str, fallback: Threshold, out: &mut Vec<Diagnostic>| match &alert {
        Some(table) => read_threshold(table, key, out).unwrap_or(fallback),
        None => fallback,
    };
    if let Some(table) = &alert {
        table.deny_unknown(ALERT_KEYS, "[alert]", out);
    }
    let thresholds = Thresholds {
        restricted: threshold("restricted", Threshold::AnyByte, out),
        allowed: threshold("allowed", Threshold::Never, out),
    };
    Some(Policy {
        default_restrict,
        restrict,
        allow,
        thresholds,
    })
}

fn read_rules(
    top: &TableReader<'_, '_, '_>,
    key: &str,
    known_provider: &dyn Fn(&str) -> bool,
    out: &mut Vec<Diagnostic>,
) -> RuleSet {
    let Some(table) = top.sub_table(key, out) else {
        return RuleSet::default();
    };
    let src = top.src;
    table.deny_unknown(RULE_KEYS, &format!("[{key}]"), out);
    let mut rules = RuleSet::default();
    for (code, span) in table.str_list("jurisdictions", out) {
        match check_jurisdiction(&code) {
            Ok(()) => rules.jurisdictions.push(code),
            Err(reason) => {
                out.push(src.diag(span, format!("unknown jurisdiction `{code}`: {reason}")))
            }
        }
    }
    for (name, span) in table.str_list("categories", out) {
        match Category::parse(&name) {
            Some(category) => rules.categories.push(category),
            None => out.push(src.diag(
                span,
                format!(
                    "unknown category `{name}` (expected one of: {})",
                    Category::names()
                ),
            )),
        }
    }
    for (id, span) in table.str_list("providers", out) {
        if known_provider(&id) {
            rules.providers.push(id);
        } else {
            out.push(src.diag(
                span,
                format!("unknown provider id `{id}` (not in the signature set)"),
            ));
        }
    }
    rules
}

/// A value both allowed and restricted at the same level has no meaning: report it at the `[allow]` entry.
fn check_conflicts(top: &TableReader<'_, '_, '_>, out: &mut Vec<Diagnostic>) {
    let (Some(restrict_table), Some(allow_table)) = (top.get("restrict"), top.get("allow")) else {
        return;
    };
    let (Some(restrict_table), Some(allow_table)) = (
        restrict_table.get_ref().as_table(),
        allow_table.get_ref().as_table(),
    ) else {
        return;
    };
    for key in RULE_KEYS {
        let strings = |t: &toml::de::DeTable<'_>| -> Vec<(String, std::ops::Range<usize>)> {
            t.get(*key)
                .and_then(|v| v.get_ref().as_array())
                .map(|a| {
                    a.iter()
                        .filter_map(|e| e.get_ref().as_str().map(|s| (s.to_string(), e.span())))
                        .collect()
                })
                .unwrap_or_default()
        };
        let restricted = strings(restrict_table);
        for (value, span) in strings(allow_table) {
            if restricted.iter().any(|(r, _)| *r == value) {
                let message =
                    format!("`{value}` is both allowed and restricted in `{key}`: remove one");
                out.push(top.src.diag(span, message));
            }
        }
    }
}

/// `"never"`, `"any"`, or an integer N ≥ 1 (more than N bytes per internal host per hour).
fn read_threshold(
    table: &TableReader<'_, '_, '_>,
    key: &str,
    out: &mut Vec<Diagnostic>,
) -> Option<Threshold> {
    let value = table.get(key)?;
    let parsed = match value.get_ref() {
        DeValue::String(s) if s == "never" => Some(Threshold::Never),
        DeValue::String(s) if s == "any" => Some(Threshold::AnyByte),
        DeValue::Integer(i) => u64::from_str_radix(i.as_str(), i.radix())
            .ok()
            .filter(|n| *n > 0)
            .map(Threshold::BytesPerHostPerHour),
        _ => None,
    };
    if parsed.is_none() {
        let message = format!(
            "`{key}` must be \"never\", \"any\", or a byte count per host per hour (an integer > 0)"
        );
        out.push(table.src.diag(value.span(), message));
    }
    parsed
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `Policy::embedded` skips the provider-id check; this is that check: every provider the
    /// shipped policy names is in the shipped signatures, and the result is the same policy.
    #[test]
    fn embedded_policy_names_only_embedded_providers() {
        let (name, text) = EMBEDDED_POLICY;
        let checked = Policy::from_text(name, text, &Signatures::embedded());
        assert_eq!(checked, Ok(Policy::embedded()));
    }

    /// `restricts` gives the verdict's flag for every provider, without formatting the rule.
    #[test]
    fn restricts_agrees_with_verdict() {
        let signatures = Signatures::embedded();
        let policy = Policy::embedded();
        assert!(!policy.restricts(None));
        let mut restricted = 0;
        for p in signatures.providers() {
            let verdict = policy.verdict(Some(p));
            assert_eq!(policy.restricts(Some(p)), verdict.restricted, "{}", p.id);
            restricted += usize::from(verdict.restricted);
        }
        // The shipped policy restricts CN-controlled providers and allows others: both occur.
        assert!(restricted > 0 && restricted < signatures.providers().len());
    }

    /// The unchecked read still reports a provider id that is not in the set given.
    #[test]
    fn unknown_provider_is_still_reported_for_other_policies() {
        let text = "default = \"allow\"\n[restrict]\nproviders = [\"no-such-provider\"]\n";
        let err = Policy::from_text("p.toml", text, &Signatures::embedded())
            .expect_err("unknown provider");
        assert_eq!(err.len(), 1);
        assert_eq!((err[0].line, err[0].col), (3, 14));
        assert!(
            err[0]
                .message
                .contains("unknown provider id `no-such-provider`")
        );
    }
}
