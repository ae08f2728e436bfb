//! Every validation error, with the exact line and column it must point at (counted by hand in the
//! fixtures below: lines and columns are 1-based), and the embedded set's own health.

use std::path::PathBuf;

use aiwatch::classify::policy::Policy;
use aiwatch::classify::signatures::validate::GENERIC_APEXES;
use aiwatch::classify::signatures::{EMBEDDED, Signatures, check_command};

/// The diagnostics for one signature file, rendered as `file:line:col: message`.
fn errors(text: &str) -> Vec<String> {
    match Signatures::from_texts(&[("s.toml", text)]) {
        Ok(_) => Vec::new(),
        Err(d) => d.iter().map(ToString::to_string).collect(),
    }
}

/// A valid provider block to build fixtures from; `{}` lines are replaced per test.
const GOOD: &str = r#"[[provider]]
id = "good"
name = "Good"
operator = "Good Inc"
jurisdiction = "US"
category = "model-api"
domains = ["api.good.example"]
sources = ["fixture"]
"#;

fn assert_one(text: &str, expected_prefix: &str, expected_words: &str) {
    let found = errors(text);
    assert_eq!(
        found.len(),
        1,
        "expected exactly one diagnostic, got {found:#?}"
    );
    assert!(
        found[0].starts_with(expected_prefix),
        "{} should start with {expected_prefix}",
        found[0]
    );
    assert!(
        found[0].contains(expected_words),
        "{} should mention {expected_words}",
        found[0]
    );
}

#[test]
fn good_fixture_is_valid() {
    assert!(errors(GOOD).is_empty());
}

#[test]
fn toml_syntax_error_position() {
    // Line 7 is `domains = ["api.good.example"` with no closing bracket: the array goes on, and the
    // parser stops where the next element should be preceded by a comma, `sources` at line 8 column 1.
    // Only that first syntax error is reported.
    let text = GOOD.replace(
        r#"domains = ["api.good.example"]"#,
        r#"domains = ["api.good.example""#,
    );
    assert_eq!(
        errors(&text),
        vec!["s.toml:8:1: TOML syntax: missing comma between array elements, expected `,`"]
    );
    // An unterminated string on line 3 (`name = "Good`), reported at its end of line (column 13).
    let text = GOOD.replace("name = \"Good\"", "name = \"Good");
    let found = errors(&text);
    assert_eq!(found.len(), 1, "{found:#?}");
    assert!(
        found[0].starts_with("s.toml:3:") && found[0].contains("TOML syntax"),
        "{found:#?}"
    );
}

#[test]
fn duplicate_key_is_a_syntax_error_at_the_second_key() {
    // Second `name` on line 4, column 1.
    let text = GOOD.replace(
        "operator = \"Good Inc\"",
        "name = \"Again\"\noperator = \"Good Inc\"",
    );
    assert_one(&text, "s.toml:4:1: TOML syntax", "duplicate key");
}

#[test]
fn unknown_key_points_at_the_key() {
    // `homepage` inserted as line 3, column 1.
    let text = GOOD.replace("name = \"Good\"", "homepage = \"x\"\nname = \"Good\"");
    assert_one(&text, "s.toml:3:1: ", "unknown key `homepage`");
}

#[test]
fn unknown_top_level_key() {
    let text = format!("version = 1\n{GOOD}");
    assert_one(&text, "s.toml:1:1: ", "unknown key `version`");
}

#[test]
fn missing_key_points_at_the_table_header() {
    // Without `operator`, the diagnostic points at `[[provider]]` on line 1, column 1.
    let text = GOOD.replace("operator = \"Good Inc\"\n", "");
    assert_one(&text, "s.toml:1:1: ", "missing key `operator`");
    let text = format!(
        "{GOOD}\n{}",
        GOOD.replace("id = \"good\"", "id = \"two\"")
            .replace("sources = [\"fixture\"]\n", "")
            .replace("api.good", "api.two")
    );
    // Second block starts on line 10 (GOOD is 8 lines, then a blank line 9).
    assert_one(&text, "s.toml:10:1: ", "missing key `sources`");
}

#[test]
fn wrong_type_points_at_the_value() {
    // `domains = "api.good.example"`: the value starts at column 11 of line 7.
    let text = GOOD.replace(r#"["api.good.example"]"#, r#""api.good.example""#);
    assert_one(
        &text,
        "s.toml:7:11: ",
        "`domains` must be an array of strings",
    );
}

#[test]
fn duplicate_ids_across_files_name_both_places() {
    let first = GOOD;
    let second = GOOD.replace("api.good", "api.other");
    let found = match Signatures::from_texts(&[("a.toml", first), ("b.toml", &second)]) {
        Ok(_) => panic!("duplicate ids must be refused"),
        Err(d) => d.iter().map(ToString::to_string).collect::<Vec<_>>(),
    };
    // `id = "good"`: the value starts at line 2, column 6.
    assert_eq!(
        found,
        vec!["b.toml:2:6: duplicate provider id `good` (first defined at a.toml:2:6)"]
    );
}

#[test]
fn bad_cidr_points_at_the_element() {
    // Line 8: `addresses = ["10.0.0.1/8", "10.0.0.0/33", "2001:db8::"]`; elements start at
    // columns 14, 28 and 43.
    let text = GOOD.replace(
        "sources",
        "addresses = [\"10.0.0.1/8\", \"10.0.0.0/33\", \"2001:db8::\"]\nsources",
    );
    let found = errors(&text);
    assert_eq!(found.len(), 3, "{found:#?}");
    assert!(
        found[0].starts_with("s.toml:8:14: address `10.0.0.1/8`: bad CIDR: host bits"),
        "{}",
        found[0]
    );
    assert!(
        found[1].starts_with("s.toml:8:28: address `10.0.0.0/33`: bad CIDR"),
        "{}",
        found[1]
    );
    assert!(
        found[2].starts_with("s.toml:8:43: address `2001:db8::`: bad CIDR: missing"),
        "{}",
        found[2]
    );
}

#[test]
fn bad_country_codes() {
    // `jurisdiction = "XX"` — value at line 5, column 16. XX is not assigned; "cn" is lower case;
    // "EU" is reserved, not assigned.
    for (code, words) in [
        ("XX", "not an assigned"),
        ("cn", "upper-case"),
        ("EU", "not an assigned"),
        ("USA", "not an assigned"),
    ] {
        let text = GOOD.replace("\"US\"", &format!("\"{code}\""));
        assert_one(&text, "s.toml:5:16: ", words);
    }
    // ZZ is accepted as "unknown".
    assert!(errors(&GOOD.replace("\"US\"", "\"ZZ\"")).is_empty());
}

#[test]
fn domain_claimed_by_two_providers() {
    let second = GOOD.replace("\"good\"", "\"other\"");
    let text = format!("{GOOD}\n{second}");
    // The second claim is line 16 (`domains = [...]` of the second block), element at column 12.
    assert_one(
        &text,
        "s.toml:16:12: ",
        "domain `api.good.example` claimed by two providers: `good` (at s.toml:7:12) and `other`",
    );
    // Case and trailing dot do not hide a duplicate.
    let second = GOOD
        .replace("\"good\"", "\"other\"")
        .replace("api.good.example", "API.Good.Example.");
    let text = format!("{GOOD}\n{second}");
    assert_one(&text, "s.toml:16:12: ", "claimed by two providers");
}

#[test]
fn domain_listed_twice_in_one_provider() {
    let text = GOOD.replace(
        r#"["api.good.example"]"#,
        r#"["api.good.example", "api.good.example"]"#,
    );
    // Second element at column 32 of line 7.
    assert_one(&text, "s.toml:7:32: ", "listed twice in provider `good`");
}

#[test]
fn bad_domain_syntax() {
    for (domain, words) in [
        ("*.good.example", "wildcards are implicit"),
        ("good..example", "1-63 characters"),
        ("-good.example", "may not start or end with '-'"),
        ("good example.com", "letters, digits"),
        ("bücher.example", "punycode"),
        ("example", "single label"),
        ("aliyuncs.com", "generic cloud/CDN"),
        ("googleapis.com", "generic cloud/CDN"),
        ("amazonaws.com", "generic cloud/CDN"),
    ] {
        let text = GOOD.replace("api.good.example", domain);
        assert_one(&text, "s.toml:7:12: ", words);
    }
}

#[test]
fn bad_category_and_id() {
    let text = GOOD.replace("\"model-api\"", "\"chatbot\"");
    assert_one(&text, "s.toml:6:12: ", "unknown category `chatbot`");
    let text = GOOD.replace("\"good\"", "\"Good_One\"");
    assert_one(&text, "s.toml:2:6: ", "provider id must be");
}

#[test]
fn bad_ja4() {
    let text = GOOD.replace("sources", "ja4 = [\"t13d1516h2_xyz\"]\nsources");
    assert_one(&text, "s.toml:8:8: ", "ja4 `t13d1516h2_xyz`");
}

#[test]
fn every_error_is_reported_not_just_the_first() {
    let text = GOOD
        .replace("\"US\"", "\"XX\"")
        .replace("\"model-api\"", "\"chatbot\"")
        .replace("api.good.example", "*.good.example");
    let found = errors(&text);
    assert_eq!(found.len(), 3, "{found:#?}");
    // Sorted by line: jurisdiction (5), category (6), domain (7).
    assert!(
        found[0].starts_with("s.toml:5:")
            && found[1].starts_with("s.toml:6:")
            && found[2].starts_with("s.toml:7:")
    );
}

const POLICY_OK: &str = r#"default = "allow"

[restrict]
jurisdictions = ["CN"]

[allow]
providers = ["modelscope"]

[alert]
restricted = "any"
allowed = 1_000_000
"#;

fn policy_errors(text: &str) -> Vec<String> {
    match Policy::from_text("p.toml", text, &Signatures::embedded()) {
        Ok(_) => Vec::new(),
        Err(d) => d.iter().map(ToString::to_string).collect(),
    }
}

#[test]
fn policy_fixture_is_valid() {
    assert!(
        policy_errors(POLICY_OK).is_empty(),
        "{:#?}",
        policy_errors(POLICY_OK)
    );
}

#[test]
fn policy_unknown_provider_and_jurisdiction() {
    let text = POLICY_OK.replace("[\"modelscope\"]", "[\"modelscope\", \"nosuch\"]");
    // Line 7 `providers = ["modelscope", "nosuch"]`: second element at column 28.
    assert_eq!(
        policy_errors(&text),
        vec!["p.toml:7:28: unknown provider id `nosuch` (not in the signature set)"]
    );
    let text = POLICY_OK.replace("[\"CN\"]", "[\"CN\", \"PRC\"]");
    let found = policy_errors(&text);
    assert_eq!(found.len(), 1);
    assert!(
        found[0].starts_with("p.toml:4:24: unknown jurisdiction `PRC`"),
        "{found:#?}"
    );
}

#[test]
fn policy_structure_errors() {
    let text = POLICY_OK.replace("default = \"allow\"", "default = \"deny\"");
    assert_one_policy(&text, "p.toml:1:11: ", "`default` must be");
    let text = POLICY_OK.replace("[restrict]", "[restrict]\ncountries = [\"CN\"]");
    assert_one_policy(
        &text,
        "p.toml:4:1: ",
        "unknown key `countries` in [restrict]",
    );
    let text = POLICY_OK.replace("allowed = 1_000_000", "allowed = 0");
    assert_one_policy(&text, "p.toml:11:11: ", "byte count per host per hour");
    let text = POLICY_OK.replace("default = \"allow\"\n", "");
    assert_one_policy(&text, "p.toml:1:1: ", "missing key `default`");
    let text = POLICY_OK.replace(
        "[\"modelscope\"]",
        "[\"modelscope\"]\njurisdictions = [\"CN\"]",
    );
    assert_one_policy(
        &text,
        "p.toml:8:18: ",
        "`CN` is both allowed and restricted",
    );
}

fn assert_one_policy(text: &str, prefix: &str, words: &str) {
    let found = policy_errors(text);
    assert_eq!(found.len(), 1, "{found:#?}");
    assert!(
        found[0].starts_with(prefix) && found[0].contains(words),
        "{} vs {prefix} .. {words}",
        found[0]
    );
}

#[test]
fn embedded_set_validates_clean_and_is_large_enough() {
    let s = Signatures::embedded();
    let (providers, domains, _, _) = s.counts();
    assert!(providers >= 40, "only {providers} providers");
    assert!(domains >= 200, "only {domains} domains");
    // The PRC-controlled providers the issue names must be present with jurisdiction CN.
    for id in [
        "deepseek",
        "moonshot",
        "zhipu",
        "baidu-ernie",
        "alibaba-qwen",
        "bytedance-doubao",
        "bytedance-ark",
        "tencent-hunyuan",
        "iflytek-spark",
        "minimax",
        "01-ai",
        "baichuan",
        "stepfun",
        "sensetime",
        "siliconflow",
        "modelscope",
    ] {
        let p = s.provider(id).unwrap_or_else(|| panic!("{id} missing"));
        assert_eq!(p.jurisdiction, "CN", "{id}");
    }
    for id in [
        "openai",
        "anthropic",
        "google-gemini",
        "microsoft-copilot",
        "meta-ai",
        "xai",
        "mistral",
        "cohere",
        "perplexity",
        "huggingface",
        "openrouter",
    ] {
        assert!(s.provider(id).is_some(), "{id} missing");
    }
    let _ = Policy::embedded();
}

#[test]
fn embedded_set_has_no_generic_cloud_apex_and_every_provider_has_sources() {
    let s = Signatures::embedded();
    for p in s.providers() {
        assert!(!p.sources.is_empty(), "{} has no sources", p.id);
        for d in &p.domains {
            assert!(
                !GENERIC_APEXES.contains(&d.as_str()),
                "{} claims generic {d}",
                p.id
            );
        }
    }
}

#[test]
fn every_signature_file_in_the_repo_is_embedded() {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("signatures");
    let mut on_disk: Vec<String> = std::fs::read_dir(&dir)
        .expect("signatures/ exists")
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".toml") && n != "policy.toml")
        .map(|n| format!("signatures/{n}"))
        .collect();
    on_disk.sort();
    let embedded: Vec<String> = EMBEDDED.iter().map(|(n, _)| n.to_string()).collect();
    assert_eq!(on_disk, embedded);
    // And loading the folder from disk gives the same set as the embedded one.
    let from_disk = Signatures::load(&dir).expect("folder validates");
    assert_eq!(from_disk.providers(), Signatures::embedded().providers());
}

#[test]
fn check_command_outputs() {
    let (text, code) = check_command(&[]);
    assert_eq!(code, 0, "{text}");
    assert!(
        text.starts_with("OK: ") && text.ends_with('\n') && text.lines().count() == 1,
        "{text}"
    );
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("signatures");
    let (text, code) = check_command(&[dir]);
    assert_eq!(code, 0, "{text}");
    let sigs = Signatures::embedded();
    let cn = sigs
        .providers()
        .iter()
        .filter(|p| p.jurisdiction == "CN")
        .count();
    let expected = format!("restricts {cn} of {} providers", sigs.providers().len());
    assert!(text.contains(&expected), "{text} should say {expected}");

    let tmp = std::env::temp_dir().join(format!("aiwatch-sig-check-{}", std::process::id()));
    std::fs::create_dir_all(&tmp).expect("temp dir");
    let bad = tmp.join("bad.toml");
    std::fs::write(&bad, GOOD.replace("\"US\"", "\"XX\"")).expect("write");
    let (text, code) = check_command(std::slice::from_ref(&bad));
    assert_eq!(code, 1);
    assert_eq!(text.lines().count(), 1);
    assert!(
        text.starts_with(&format!("{}:5:16: ", bad.display())),
        "{text}"
    );
    // A policy beside broken signature files: said to be unchecked, not silently passed over.
    let policy = tmp.join("policy.toml");
    std::fs::write(&policy, "").expect("write");
    let (text, code) = check_command(&[bad.clone(), policy.clone()]);
    assert_eq!(code, 1);
    assert_eq!(text.lines().count(), 2, "{text}");
    assert!(
        text.lines()
            .nth(1)
            .is_some_and(|l| l.starts_with(&format!("{}: not checked", policy.display()))),
        "{text}"
    );
    let missing = tmp.join("missing.toml");
    let (text, code) = check_command(&[missing]);
    assert_eq!(code, 1);
    assert!(text.contains("cannot read"), "{text}");
    std::fs::remove_dir_all(&tmp).ok();
}

#[test]
fn truncated_and_corrupted_files_are_refused_with_diagnostics_never_a_panic() {
    // Every 53rd prefix of a real file, and the same with one byte flipped to a quote: each must
    // either load (a prefix ending between providers can be valid) or be refused with diagnostics.
    let (_, text) = EMBEDDED[0];
    let mut refused = 0;
    for end in (0..text.len())
        .step_by(53)
        .filter(|&e| text.is_char_boundary(e))
    {
        let prefix = &text[..end];
        for candidate in [prefix.to_string(), format!("{prefix}\"")] {
            if let Err(d) = Signatures::from_texts(&[("t.toml", &candidate)]) {
                assert!(!d.is_empty());
                assert!(d.iter().all(|d| d.line >= 1 && d.col >= 1));
                refused += 1;
            }
        }
    }
    assert!(refused > 100, "only {refused} refused");
}

#[test]
fn check_command_reads_a_lone_policy_against_the_embedded_signatures() {
    let tmp = std::env::temp_dir().join(format!("aiwatch-policy-check-{}", std::process::id()));
    std::fs::create_dir_all(&tmp).expect("temp dir");
    let good = tmp.join("mine.toml");
    std::fs::write(&good, POLICY_OK).expect("write");
    let (text, code) = check_command(std::slice::from_ref(&good));
    assert_eq!(code, 0, "{text}");
    assert!(text.starts_with("OK: embedded signature files: "), "{text}");
    // POLICY_OK restricts CN but allows modelscope: one fewer than the CN providers.
    let sigs = Signatures::embedded();
    let cn = sigs
        .providers()
        .iter()
        .filter(|p| p.jurisdiction == "CN")
        .count();
    assert!(
        text.contains(&format!("mine.toml restricts {} of", cn - 1)),
        "{text}"
    );
    let bad = tmp.join("policy.toml");
    std::fs::write(&bad, POLICY_OK.replace("modelscope", "nosuch")).expect("write");
    let (text, code) = check_command(std::slice::from_ref(&bad));
    assert_eq!(code, 1);
    assert_eq!(
        text,
        format!(
            "{}:7:14: unknown provider id `nosuch` (not in the signature set)\n",
            bad.display()
        )
    );
    std::fs::remove_dir_all(&tmp).ok();
}
