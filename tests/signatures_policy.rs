//! Policy precedence: provider rules beat category rules beat jurisdiction rules beat the default;
//! the shipped policy restricts CN-controlled services only.

use aiwatch::classify::policy::{Policy, Threshold, Verdict};
use aiwatch::classify::signatures::{Signatures, match_command};

fn policy(text: &str, sigs: &Signatures) -> Policy {
    Policy::from_text("p.toml", text, sigs).unwrap_or_else(|d| panic!("fixture policy: {d:?}"))
}

fn verdict_for(p: &Policy, sigs: &Signatures, id: &str) -> Verdict {
    p.verdict(Some(sigs.provider(id).unwrap_or_else(|| panic!("{id}"))))
}

fn v(restricted: bool, rule: &str) -> Verdict {
    Verdict {
        restricted,
        rule: rule.to_string(),
    }
}

#[test]
fn shipped_policy_restricts_cn_and_allows_the_rest() {
    let sigs = Signatures::embedded();
    let p = Policy::embedded();
    assert_eq!(
        verdict_for(&p, &sigs, "deepseek"),
        v(true, "restrict jurisdiction CN")
    );
    assert_eq!(verdict_for(&p, &sigs, "openai"), v(false, "default allow"));
    assert_eq!(p.verdict(None), v(false, "no provider"));
    for provider in sigs.providers() {
        assert_eq!(
            p.verdict(Some(provider)).restricted,
            provider.jurisdiction == "CN",
            "{}",
            provider.id
        );
    }
    assert_eq!(p.thresholds.restricted, Threshold::AnyByte);
    assert_eq!(p.thresholds.allowed, Threshold::Never);
}

#[test]
fn provider_beats_category_beats_jurisdiction_beats_default() {
    let sigs = Signatures::embedded();
    let p = policy(
        r#"default = "restrict"
[restrict]
jurisdictions = ["CN"]
categories = ["relay"]
providers = ["openai"]
[allow]
jurisdictions = ["US"]
categories = ["model-hub"]
providers = ["deepseek"]
"#,
        &sigs,
    );
    // Allow provider beats restrict jurisdiction CN.
    assert_eq!(
        verdict_for(&p, &sigs, "deepseek"),
        v(false, "allow provider deepseek")
    );
    // Restrict provider beats allow jurisdiction US.
    assert_eq!(
        verdict_for(&p, &sigs, "openai"),
        v(true, "restrict provider openai")
    );
    // Allow category model-hub beats restrict jurisdiction CN (ModelScope is a CN model hub).
    assert_eq!(
        verdict_for(&p, &sigs, "modelscope"),
        v(false, "allow category model-hub")
    );
    // Restrict category relay beats allow jurisdiction US (OpenRouter is a US relay).
    assert_eq!(
        verdict_for(&p, &sigs, "openrouter"),
        v(true, "restrict category relay")
    );
    // Jurisdiction rules when nothing more specific applies.
    assert_eq!(
        verdict_for(&p, &sigs, "moonshot"),
        v(true, "restrict jurisdiction CN")
    );
    assert_eq!(
        verdict_for(&p, &sigs, "anthropic"),
        v(false, "allow jurisdiction US")
    );
    // Mistral (FR) is mentioned nowhere: the default decides.
    assert_eq!(
        verdict_for(&p, &sigs, "mistral"),
        v(true, "default restrict")
    );
    // No provider is never restricted, whatever the default.
    assert_eq!(p.verdict(None), v(false, "no provider"));
}

#[test]
fn thresholds_are_read_as_data() {
    let sigs = Signatures::embedded();
    let p = policy(
        "default = \"allow\"\n[alert]\nrestricted = 5_000\nallowed = \"any\"\n",
        &sigs,
    );
    assert_eq!(
        p.thresholds.restricted,
        Threshold::BytesPerHostPerHour(5000)
    );
    assert_eq!(p.thresholds.allowed, Threshold::AnyByte);
    let restricted = v(true, "x");
    assert_eq!(
        p.threshold(&restricted),
        Threshold::BytesPerHostPerHour(5000)
    );
    // Absent [alert]: any byte to a restricted service, never for allowed ones.
    let p = policy("default = \"allow\"\n", &sigs);
    assert_eq!(p.thresholds.restricted, Threshold::AnyByte);
    assert_eq!(p.thresholds.allowed, Threshold::Never);
}

#[test]
fn match_command_text_and_json() {
    let sigs = Signatures::embedded();
    let p = Policy::embedded();
    let args: Vec<String> = ["API.DeepSeek.com.", "160.79.105.1", "example.org"]
        .map(String::from)
        .to_vec();
    let text = match_command(&sigs, &p, &args, false);
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 3);
    assert!(lines[0].starts_with("API.DeepSeek.com.: DeepSeek (deepseek), jurisdiction CN, category model-api, RESTRICTED"), "{}", lines[0]);
    assert!(
        lines[0].ends_with("matched domain api.deepseek.com"),
        "{}",
        lines[0]
    );
    assert!(
        lines[1].contains("(anthropic)") && lines[1].ends_with("matched address 160.79.104.0/21"),
        "{}",
        lines[1]
    );
    assert_eq!(lines[2], "example.org: no match");

    let json = match_command(&sigs, &p, &args, true);
    let objects: Vec<serde_json::Value> = json
        .lines()
        .map(|l| serde_json::from_str(l).expect("one JSON object per line"))
        .collect();
    assert_eq!(objects.len(), 3);
    let first = &objects[0];
    let keys: Vec<&str> = first
        .as_object()
        .expect("object")
        .keys()
        .map(String::as_str)
        .collect();
    let mut sorted = keys.clone();
    sorted.sort();
    assert_eq!(
        sorted,
        ["match", "policy_rule", "provider", "query", "restricted"]
    );
    assert_eq!(first["query"], "API.DeepSeek.com.");
    assert_eq!(
        first["provider"],
        serde_json::json!({"id": "deepseek", "name": "DeepSeek", "jurisdiction": "CN", "category": "model-api"})
    );
    assert_eq!(
        first["match"],
        serde_json::json!({"value": "API.DeepSeek.com.", "key": "api.deepseek.com", "kind": "domain"})
    );
    assert_eq!(first["restricted"], true);
    assert_eq!(first["policy_rule"], "restrict jurisdiction CN");
    assert_eq!(objects[1]["match"]["kind"], "address");
    assert_eq!(objects[2]["provider"], serde_json::Value::Null);
    assert_eq!(objects[2]["match"], serde_json::Value::Null);
    assert_eq!(objects[2]["restricted"], false);
}
