//! report.html is valid HTML5 (html5ever's tree builder, through scraper, reports no parse error),
//! self-contained (no script, no external resource), shows summary.json's totals, and escapes
//! attacker-controlled names.

mod export_support;

use aiwatch::export::ExportOptions;
use export_support::*;

fn assert_valid_self_contained(html: &str, what: &str) {
    let doc = scraper::Html::parse_document(html);
    assert!(
        doc.errors.is_empty(),
        "{what}: HTML5 parse errors: {:?}",
        doc.errors
    );
    // Judged on the parsed tree: text that merely mentions `src=` (escaped) is fine.
    let outside =
        scraper::Selector::parse("script, link, img, iframe, object, embed, [src], [href]")
            .expect("selector");
    let found: Vec<String> = doc.select(&outside).map(|e| e.html()).collect();
    assert!(
        found.is_empty(),
        "{what}: elements that run or fetch: {found:?}"
    );
    let styles = scraper::Selector::parse("style").expect("selector");
    for style in doc.select(&styles) {
        let css = style.text().collect::<String>();
        assert!(
            !css.contains("url(") && !css.contains("@import"),
            "{what}: CSS fetches"
        );
    }
}

#[test]
fn report_is_valid_html5_and_shows_the_summary_totals() {
    let dir = scratch("report-mix");
    export(
        &[capture("ai-tls-mix.pcap")],
        &dir,
        ExportOptions::default(),
    );
    let html = read(&dir.join("report.html"));
    assert_valid_self_contained(&html, "ai-tls-mix");
    let summary: serde_json::Value =
        serde_json::from_str(&read(&dir.join("summary.json"))).unwrap();
    let doc = scraper::Html::parse_document(&html);
    let cells: Vec<String> = doc
        .select(&scraper::Selector::parse("td").unwrap())
        .map(|td| td.text().collect::<String>())
        .collect();
    let rows = summary["sent_by_jurisdiction"].as_array().unwrap();
    assert_eq!(rows.len(), 2, "CN and US");
    for j in rows {
        let sent = j["sent_bytes"].as_u64().unwrap().to_string();
        assert!(
            cells.contains(&sent),
            "sent bytes {sent} of {} not in a table cell",
            j["jurisdiction"]
        );
    }
    // FACTS.md: IP bytes c→s to CN-controlled providers: 13677 + 26167 + 7467 = 47311.
    assert!(cells.contains(&"47311".to_string()));
    for p in summary["sent_by_provider"].as_array().unwrap() {
        let name = p["name"].as_str().unwrap();
        assert!(
            cells.iter().any(|c| c.contains(name)),
            "provider {name} not in the table"
        );
    }
    // The data sources section carries the geo database attribution.
    assert!(html.contains("nro.net"), "NRO attribution missing");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn every_own_capture_gives_a_valid_report() {
    for cap in own_captures() {
        let dir = scratch(&format!(
            "report-{}",
            cap.file_stem().unwrap().to_string_lossy()
        ));
        export(std::slice::from_ref(&cap), &dir, ExportOptions::default());
        assert_valid_self_contained(&read(&dir.join("report.html")), &cap.display().to_string());
        let _ = std::fs::remove_dir_all(&dir);
    }
}

#[test]
fn names_from_the_capture_are_escaped() {
    use aiwatch::export::html::{ReportInput, write_report};
    let o = aiwatch::runtime::replay::run(
        &replay_opts(&[capture("ai-tls-mix.pcap")]),
        &mut std::io::sink(),
    )
    .expect("replay");
    let mut records = o.records.clone();
    let evil = "<script>alert('x')</script><img src=x onerror=y>&\"";
    for r in &mut records {
        r.server_name = Some(evil.to_string());
        r.dst_country = evil.to_string();
    }
    let summary = aiwatch::aggregate::summary::Summary::build(
        &[evil.to_string()],
        &records,
        &Default::default(),
        &Default::default(),
    );
    let alerts = aiwatch::export::alerts::alerts(
        &records,
        &aiwatch::classify::policy::Policy::embedded().thresholds,
    );
    let classifier = aiwatch::classify::Classifier::default();
    let mut out = Vec::new();
    write_report(
        &mut out,
        &ReportInput {
            summary: &summary,
            records: &records,
            alerts: &alerts,
            classifier: &classifier,
        },
    )
    .expect("writes");
    let html = String::from_utf8(out).unwrap();
    assert_valid_self_contained(&html, "hostile names");
    assert!(html.contains("&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;"));
}

#[test]
fn the_html_checker_does_catch_errors() {
    // Guards the checks above: a missing doctype and a stray end tag are HTML5 parse errors.
    let doc = scraper::Html::parse_document("<html><body><p>x</span></p></body></html>");
    assert!(!doc.errors.is_empty());
}
