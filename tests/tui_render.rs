//! TUI rendering on ratatui's `TestBackend`, from the hand-built office network in
//! `tui_render/fixture.rs`. Expected numbers are worked out by hand from the fixture's table (in
//! the comments), never copied from the output. The reviewed screens are in `tests/snapshots/`;
//! regenerate them with `UPDATE_TUI_SNAPSHOTS=1 cargo test --test tui_render` and read the diff.

#[path = "tui_render/fixture.rs"]
mod fixture;
#[path = "tui_render/screen.rs"]
mod screen;

use aiwatch::aggregate::snapshot::{MAX_FLOWS_PER_HOST, Snapshot};
use aiwatch::tui::keys::action_for_key;
use aiwatch::tui::state::{Action, UiState, View};
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use fixture::{KIB, MIB, ip};
use ratatui::style::{Color, Modifier};
use screen::{assert_snapshot, cell_of, draw, fg, row_with, screen_text};

fn ui_on(view: View) -> UiState {
    let mut ui = UiState::default();
    ui.update(Action::ShowView(view));
    ui
}

// Hand totals over the fixture (KiB = 1024 B, MiB = 1024 KiB):
// AI sent = 2 MiB + 1 MiB + 512 KiB + 800 KiB + 256 KiB = 4_751_360 B = 4.53 MiB, 4 hosts, 5 flows.
// Restricted (DeepSeek) = 3.5 MiB = 3_670_016 B = 77.2 % of AI sent, 3 hosts.
// By jurisdiction: CN 3.5 MiB (77.2 %), US 800 + 256 KiB = 1.03 MiB (22.8 %).
// By country (AI bytes only; example.org's 10 MiB to US is not AI): CN 3.0 MiB (66.2 %),
// US 1.03 MiB (22.8 %), SG 512 KiB (11.0 %).

#[test]
fn overview_80x24_shows_totals_charts_rate_and_alerts() {
    let snap = fixture::snapshot();
    let buf = draw(&snap, &UiState::default(), 80, 24);

    // Header: source, progress, packet time (T0 + 120 s), rates, counters.
    row_with(
        &buf,
        &[
            "replay captures/office-monday.pcapng 42%",
            "2024-10-21 08:02:00 UTC",
        ],
    );
    row_with(
        &buf,
        &[
            "1.2k pkt/s",
            "12.3 Mb/s",
            "17 active flows",
            "0 drops",
            "2 malformed",
        ],
    );
    let (y, _) = row_with(&buf, &["2 malformed"]);
    assert_eq!(fg(&buf, cell_of(&buf, y, "2 malformed", 0)), Color::Yellow);

    row_with(
        &buf,
        &[
            "AI sent 4.5 MiB · 4 hosts · 5 flows",
            "restricted 3.5 MiB (77.2%) · 3 hosts",
        ],
    );

    // The two charts share rows: jurisdiction on the left, country on the right.
    let (y, text) = row_with(&buf, &["!CN", "3.5 MiB", "77.2%", "3.0 MiB", "66.2%"]);
    let jur_cn = cell_of(&buf, y, "CN", 0);
    assert_eq!(fg(&buf, jur_cn), Color::Red, "restricted label: {text}");
    assert!(buf[jur_cn].modifier.contains(Modifier::BOLD));
    // The CN bar is the longest (full width) and entirely restricted, so red.
    let bar = cell_of(&buf, y, "█", jur_cn.0);
    assert_eq!(fg(&buf, bar), Color::Red);

    let (y, text) = row_with(&buf, &[" US ", "1.0 MiB", "22.8%"]);
    assert!(!text.contains("!US"), "US is not restricted: {text}");
    let jur_us = cell_of(&buf, y, "US", 0);
    assert_ne!(fg(&buf, jur_us), Color::Red);
    let bar = cell_of(&buf, y, "█", jur_us.0);
    assert_eq!(fg(&buf, bar), Color::Cyan, "allowed bars are cyan");

    // SG only appears by country (DeepSeek behind a CDN there): restricted, 512 KiB, 11.0 %.
    let (y, _) = row_with(&buf, &["!SG", "512 KiB", "11.0%"]);
    assert_eq!(fg(&buf, cell_of(&buf, y, "SG", 0)), Color::Red);
    // No chart row counts the non-AI 10 MiB.
    assert!(!screen_text(&buf).contains("11.0 MiB"));

    // Rate: last point 8 KiB/s, peak 48 KiB/s.
    row_with(&buf, &["now 8.0 KiB/s · peak 48.0 KiB/s"]);
    // Newest alert first: 10.0.0.13's flow ended at T0 + 90 s.
    let (newest, _) = row_with(&buf, &["08:01:30", "10.0.0.13", "DeepSeek", "512 KiB"]);
    let (older, _) = row_with(&buf, &["08:01:20", "10.0.0.12", "DeepSeek", "1.0 MiB"]);
    assert!(newest < older);
    assert_snapshot("overview_80x24", &buf);
}

#[test]
fn overview_160x48_has_the_same_numbers_and_dates() {
    let snap = fixture::snapshot();
    let buf = draw(&snap, &UiState::default(), 160, 48);
    row_with(
        &buf,
        &[
            "AI sent 4.5 MiB · 4 hosts · 5 flows",
            "restricted 3.5 MiB (77.2%) · 3 hosts",
        ],
    );
    row_with(
        &buf,
        &["!CN", "3.5 MiB", "77.2%", "!CN", "3.0 MiB", "66.2%"],
    );
    row_with(&buf, &["!SG", "512 KiB", "11.0%"]);
    // All three alerts fit, and beside them the hosts (hand totals as in the hosts test).
    row_with(
        &buf,
        &[
            "08:01:30",
            "10.0.0.13",
            "restrict jurisdiction CN",
            "10.0.0.11",
            "2.0 MiB",
            "2.8 MiB",
        ],
    );
    // Third rows: the oldest alert (10.0.0.11's) beside the third host (10.0.0.13), then the
    // fourth host alone.
    row_with(
        &buf,
        &["08:01:10", "10.0.0.11", "2.0 MiB", "10.0.0.13", "512 KiB"],
    );
    row_with(&buf, &["10.0.0.14", "0 B", "256 KiB", "OpenAI"]);
    assert_snapshot("overview_160x48", &buf);
}

#[test]
fn providers_table_rows_totals_and_restricted_highlight() {
    let snap = fixture::snapshot();
    let mut ui = ui_on(View::Providers);
    // Select the second row so the restricted row's own style shows (not the selection's).
    ui.update(Action::SelectNext);
    let buf = draw(&snap, &ui, 80, 24);
    // DeepSeek: 3 hosts, 3 flows, sent 3.5 MiB, received 64 + 32 + 16 = 112 KiB, last flow ended
    // T0 + 30 + 60 s = 08:01:30.
    let (ds, ds_text) = row_with(
        &buf,
        &["DeepSeek", "CN", "3.5 MiB", "112 KiB", "08:01:30", "yes"],
    );
    // OpenAI: 2 hosts, 2 flows, 1.03 MiB, 256 + 128 = 384 KiB, last ended T0 + 110 s = 08:01:50.
    let (oa, oa_text) = row_with(
        &buf,
        &["OpenAI", "US", "1.0 MiB", "384 KiB", "08:01:50", "no"],
    );
    assert!(ds < oa, "sorted by bytes sent");
    // Hosts and flows are the two numbers after the jurisdiction.
    let words = |t: &str| -> Vec<String> {
        t.split(['│', ' '])
            .filter(|w| !w.is_empty())
            .take(4)
            .map(str::to_string)
            .collect()
    };
    assert_eq!(words(&ds_text), ["DeepSeek", "CN", "3", "3"], "{ds_text}");
    assert_eq!(words(&oa_text), ["OpenAI", "US", "2", "2"], "{oa_text}");

    for needle in ["DeepSeek", "CN", "3.5 MiB", "yes"] {
        let cell = &buf[cell_of(&buf, ds, needle, 0)];
        assert_eq!(cell.fg, Color::Red, "{needle} in the restricted row");
        assert!(cell.modifier.contains(Modifier::BOLD));
        assert!(!cell.modifier.contains(Modifier::REVERSED));
    }
    for needle in ["OpenAI", "US", "no"] {
        let cell = &buf[cell_of(&buf, oa, needle, 0)];
        assert_ne!(cell.fg, Color::Red, "{needle} in an allowed row");
        assert!(cell.modifier.contains(Modifier::REVERSED), "selected row");
    }
    row_with(&buf, &["AI providers (2)", "sort: sent ↓"]);
    assert_snapshot("providers_80x24", &buf);

    let wide = draw(&snap, &ui, 160, 48);
    row_with(
        &wide,
        &["DeepSeek", "model-api", "2024-10-21 08:01:30", "yes"],
    );
    assert_snapshot("providers_160x48", &wide);
}

#[test]
fn providers_sort_and_filter() {
    let snap = fixture::snapshot();
    let mut ui = ui_on(View::Providers);
    ui.update(Action::CycleSort); // received: OpenAI 384 KiB > DeepSeek 112 KiB
    let buf = draw(&snap, &ui, 80, 24);
    let (oa, _) = row_with(&buf, &["OpenAI", "384 KiB"]);
    let (ds, _) = row_with(&buf, &["DeepSeek", "112 KiB"]);
    assert!(oa < ds);
    row_with(&buf, &["sort: received ↓"]);

    ui.update(Action::StartFilter);
    for c in "SEEK".chars() {
        ui.update(Action::FilterInput(c));
    }
    let buf = draw(&snap, &ui, 80, 24);
    row_with(&buf, &["DeepSeek"]);
    assert!(!screen_text(&buf).contains("OpenAI"), "filtered out");
    row_with(&buf, &["AI providers (1 of 2)"]);
    row_with(&buf, &["filter: SEEK", "Enter keep"]);
    assert_snapshot("providers_filter_80x24", &buf);
}

#[test]
fn hosts_ranked_by_restricted_bytes_then_drill_down() {
    let snap = fixture::snapshot();
    let ui = ui_on(View::Hosts);
    let buf = draw(&snap, &ui, 80, 24);
    // 10.0.0.11: restricted 2 MiB; AI sent 2 MiB + 800 KiB = 2.78 MiB; received 64 + 256 = 320
    // KiB; 2 flows; DeepSeek (restricted) listed first.
    let (h11, t11) = row_with(
        &buf,
        &[
            "10.0.0.11",
            "2.0 MiB",
            "2.8 MiB",
            "320 KiB",
            "DeepSeek, OpenAI",
        ],
    );
    let (h12, _) = row_with(&buf, &["10.0.0.12", "1.0 MiB", "32.0 KiB", "DeepSeek"]);
    let (h13, _) = row_with(&buf, &["10.0.0.13", "512 KiB", "16.0 KiB"]);
    // 10.0.0.14 sent nothing restricted: last, and not red.
    let (h14, t14) = row_with(&buf, &["10.0.0.14", "0 B", "256 KiB", "OpenAI"]);
    assert!(h11 < h12 && h12 < h13 && h13 < h14, "{t11}\n{t14}");
    assert_eq!(fg(&buf, cell_of(&buf, h12, "10.0.0.12", 0)), Color::Red);
    assert_ne!(fg(&buf, cell_of(&buf, h14, "10.0.0.14", 0)), Color::Red);
    assert_snapshot("hosts_80x24", &buf);

    // Enter on the highlighted (first) host opens its flows, newest first.
    let enter = KeyEvent::new(KeyCode::Enter, KeyModifiers::NONE);
    let action = action_for_key(enter, &ui, &snap).expect("Enter opens a host");
    assert_eq!(action, Action::OpenHost(ip(11)));
    let mut ui = ui;
    ui.update(action);
    let buf = draw(&snap, &ui, 80, 24);
    row_with(&buf, &["3 Hosts › 10.0.0.11"]);
    row_with(
        &buf,
        &[
            "10.0.0.11",
            "restricted 2.0 MiB",
            "AI sent 2.8 MiB",
            "2 flows",
        ],
    );
    // OpenAI flow ended at T0 + 100 s, DeepSeek at T0 + 70 s.
    let (oa, _) = row_with(
        &buf,
        &[
            "08:01:40",
            "api.openai.com",
            "tcp/443",
            "OpenAI",
            "US",
            "800 KiB",
            "256 KiB",
        ],
    );
    let (ds, _) = row_with(
        &buf,
        &[
            "08:01:10",
            "api.deepseek.com",
            "DeepSeek",
            "CN",
            "2.0 MiB",
            "64.0 KiB",
        ],
    );
    assert!(oa < ds, "newest first");
    assert_eq!(
        fg(&buf, cell_of(&buf, ds, "api.deepseek.com", 0)),
        Color::Red
    );
    assert_ne!(fg(&buf, cell_of(&buf, oa, "api.openai.com", 0)), Color::Red);
    assert_snapshot("host_flows_80x24", &buf);

    let wide = draw(&snap, &ui, 160, 48);
    row_with(
        &wide,
        &[
            "2024-10-21 08:01:10",
            "api.deepseek.com",
            "198.51.100.10",
            "tcp/443",
        ],
    );

    // Enter on the second row picks 10.0.0.12; Esc goes back to the list.
    ui.update(Action::Back);
    assert_eq!(ui.drill, None);
    ui.update(Action::SelectNext);
    assert_eq!(
        action_for_key(enter, &ui, &snap),
        Some(Action::OpenHost(ip(12)))
    );
}

#[test]
fn alerts_view_newest_first_with_red_jurisdiction() {
    let snap = fixture::snapshot();
    let buf = draw(&snap, &ui_on(View::Alerts), 80, 24);
    let (a, _) = row_with(
        &buf,
        &[
            "08:01:30",
            "10.0.0.13",
            "DeepSeek",
            "CN",
            "512 KiB",
            "restrict jurisdiction CN",
        ],
    );
    let (b, _) = row_with(&buf, &["08:01:20", "10.0.0.12", "1.0 MiB"]);
    let (c, _) = row_with(&buf, &["08:01:10", "10.0.0.11", "2.0 MiB"]);
    assert!(a < b && b < c);
    assert_eq!(fg(&buf, cell_of(&buf, b, "CN", 0)), Color::Red);
    row_with(&buf, &["4 Alerts (3)"]);
    assert_snapshot("alerts_80x24", &buf);
    // Wide: with the date.
    let buf = draw(&snap, &ui_on(View::Alerts), 160, 48);
    row_with(
        &buf,
        &[
            "2024-10-21 08:01:30",
            "10.0.0.13",
            "restrict jurisdiction CN",
        ],
    );
}

#[test]
fn help_overlay_and_too_small() {
    let snap = fixture::snapshot();
    let mut ui = UiState::default();
    ui.update(Action::ToggleHelp);
    let buf = draw(&snap, &ui, 80, 24);
    row_with(&buf, &["Keys"]);
    row_with(&buf, &["q  Ctrl-C", "quit"]);
    row_with(&buf, &["/", "filter rows"]);
    assert_snapshot("help_80x24", &buf);

    let buf = draw(&snap, &UiState::default(), 40, 10);
    row_with(&buf, &["terminal too small"]);
    row_with(&buf, &["40×10"]);
    assert_snapshot("too_small_40x10", &buf);
}

#[test]
fn paused_and_ended_are_shown() {
    let snap = fixture::snapshot();
    let mut ui = UiState::default();
    ui.update(Action::TogglePause);
    ui.update(Action::SourceEnded);
    let buf = draw(&snap, &ui, 80, 24);
    row_with(&buf, &["PAUSED", "ended"]);
    row_with(&buf, &["p resume"]);
}

#[test]
fn empty_snapshot_renders_placeholders() {
    let snap = Snapshot::default();
    let buf = draw(&snap, &UiState::default(), 80, 24);
    row_with(&buf, &["waiting for the capture", "no packets yet"]);
    row_with(&buf, &["no AI traffic yet"]);
    row_with(&buf, &["no policy alerts"]);
    for view in [View::Providers, View::Hosts, View::Alerts] {
        let buf = draw(&snap, &ui_on(view), 80, 24);
        assert!(screen_text(&buf).contains(" no "), "{view:?} placeholder");
    }
}

#[test]
fn every_view_renders_at_any_size_without_panicking() {
    let snap = fixture::snapshot();
    let mut uis: Vec<UiState> = View::ALL.iter().map(|v| ui_on(*v)).collect();
    let mut drill = ui_on(View::Hosts);
    drill.update(Action::OpenHost(ip(11)));
    uis.push(drill);
    let mut help = UiState::default();
    help.update(Action::ToggleHelp);
    uis.push(help);
    // Odd steps so that sizes around the limits (60×15, 120 wide) are hit from both sides.
    for width in (0..=200).step_by(13) {
        for height in (0..=60).step_by(7) {
            for ui in &uis {
                draw(&snap, ui, width, height);
            }
        }
    }
}

#[test]
fn snapshot_charts_count_ai_bytes_only_and_agree() {
    let records = fixture::records();
    let snap = fixture::snapshot();
    let ai: u64 = 2 * MIB + MIB + 512 * KIB + 800 * KIB + 256 * KIB;
    assert_eq!(snap.ai.sent_bytes, ai);
    assert_eq!(
        snap.by_jurisdiction
            .iter()
            .map(|b| b.sent_bytes)
            .sum::<u64>(),
        ai
    );
    assert_eq!(
        snap.by_country.iter().map(|b| b.sent_bytes).sum::<u64>(),
        ai
    );
    let labels: Vec<&str> = snap.by_country.iter().map(|b| b.label.as_str()).collect();
    assert_eq!(labels, ["CN", "US", "SG"]);
    // US by country: OpenAI only, not example.org.
    assert_eq!(snap.by_country[1].sent_bytes, 1056 * KIB);
    assert_eq!(snap.by_country[1].restricted_sent_bytes, 0);
    // Only AI flows are kept for the drill-down: 5 of 6.
    assert_eq!(snap.flows.len(), 5);
    assert_eq!(snap.flows_of(ip(12)).len(), 1);
    assert!(snap.flows_of(ip(99)).is_empty());
    assert_eq!(snap.alerts.len(), fixture::alerts(&records).len());
}

#[test]
fn with_flows_keeps_the_newest_per_host() {
    let mut records = Vec::new();
    let template = fixture::records().swap_remove(0); // 10.0.0.11 → DeepSeek
    for i in 0..(MAX_FLOWS_PER_HOST as u64 + 10) {
        let mut r = template.clone();
        r.ts_start = fixture::at(i);
        r.ts_end = fixture::at(i + 1);
        r.client_port = 40_000 + i as u16;
        records.push(r);
    }
    let snap = Snapshot::default().with_flows(&records);
    let kept = snap.flows_of(ip(11));
    assert_eq!(kept.len(), MAX_FLOWS_PER_HOST);
    // Newest first: the last record ended at T0 + (MAX + 10) s; the oldest kept is 10 s after the
    // first that was dropped.
    assert_eq!(kept[0].ts_end, fixture::at(MAX_FLOWS_PER_HOST as u64 + 10));
    assert_eq!(kept[MAX_FLOWS_PER_HOST - 1].ts_end, fixture::at(11));
}

#[test]
fn keys_depend_on_the_mode() {
    let snap = fixture::snapshot();
    let key = |c: KeyCode| KeyEvent::new(c, KeyModifiers::NONE);
    let ctrl_c = KeyEvent::new(KeyCode::Char('c'), KeyModifiers::CONTROL);
    let mut ui = UiState::default();
    assert_eq!(
        action_for_key(key(KeyCode::Char('q')), &ui, &snap),
        Some(Action::Quit)
    );
    assert_eq!(
        action_for_key(key(KeyCode::Tab), &ui, &snap),
        Some(Action::NextView)
    );
    assert_eq!(
        action_for_key(key(KeyCode::BackTab), &ui, &snap),
        Some(Action::PrevView)
    );
    assert_eq!(
        action_for_key(key(KeyCode::Right), &ui, &snap),
        Some(Action::NextView)
    );
    assert_eq!(
        action_for_key(key(KeyCode::Char('3')), &ui, &snap),
        Some(Action::ShowView(View::Hosts))
    );
    assert_eq!(
        action_for_key(key(KeyCode::Char('p')), &ui, &snap),
        Some(Action::TogglePause)
    );
    // Enter opens nothing on the overview; on an alert, its host (the newest alert is
    // 10.0.0.13's); on a provider, the hosts using it (DeepSeek sends the most).
    assert_eq!(action_for_key(key(KeyCode::Enter), &ui, &snap), None);
    let enter = |ui: &UiState| action_for_key(key(KeyCode::Enter), ui, &snap);
    assert_eq!(enter(&ui_on(View::Alerts)), Some(Action::OpenHost(ip(13))));
    assert_eq!(
        enter(&ui_on(View::Providers)),
        Some(Action::ProviderHosts("DeepSeek".into()))
    );
    // ... and that filter lists exactly DeepSeek's three hosts.
    let mut hosts_of = ui_on(View::Providers);
    hosts_of.update(Action::ProviderHosts("DeepSeek".into()));
    let buf = draw(&snap, &hosts_of, 80, 24);
    row_with(
        &buf,
        &["Hosts by bytes sent to restricted services (3 of 4)"],
    );
    assert!(!screen_text(&buf).contains("10.0.0.14"));

    // While typing a filter, letters are text (even q), Esc undoes, Ctrl-C still quits.
    ui.update(Action::StartFilter);
    assert_eq!(
        action_for_key(key(KeyCode::Char('q')), &ui, &snap),
        Some(Action::FilterInput('q'))
    );
    assert_eq!(
        action_for_key(key(KeyCode::Esc), &ui, &snap),
        Some(Action::FilterCancel)
    );
    assert_eq!(
        action_for_key(key(KeyCode::Enter), &ui, &snap),
        Some(Action::FilterApply)
    );
    assert_eq!(action_for_key(ctrl_c, &ui, &snap), Some(Action::Quit));

    // Help open: only closing keys and quit do anything.
    let mut ui = UiState::default();
    ui.update(Action::ToggleHelp);
    assert_eq!(
        action_for_key(key(KeyCode::Esc), &ui, &snap),
        Some(Action::ToggleHelp)
    );
    assert_eq!(action_for_key(key(KeyCode::Tab), &ui, &snap), None);

    // Key releases (kitty protocol terminals report them) do nothing.
    let mut release = key(KeyCode::Char('q'));
    release.kind = crossterm::event::KeyEventKind::Release;
    assert_eq!(action_for_key(release, &UiState::default(), &snap), None);
}

#[test]
fn reduced_layout_at_the_minimum_size() {
    let snap = fixture::snapshot();
    let buf = draw(&snap, &UiState::default(), 60, 15);
    row_with(&buf, &["17 active", "0 drops", "2 malformed"]);
    row_with(&buf, &["AI sent 4.5 MiB", "restricted 3.5 MiB (77.2%)"]);
    row_with(&buf, &["By jurisdiction", "By country"]);
    let (y, _) = row_with(&buf, &["!CN", "3.5 MiB", "!CN", "3.0 MiB"]);
    assert_eq!(fg(&buf, cell_of(&buf, y, "CN", 0)), Color::Red);
    row_with(&buf, &["now 8.0 KiB/s"]);
    assert_snapshot("overview_60x15", &buf);

    // The providers table keeps names, drops "Last seen".
    let buf = draw(&snap, &ui_on(View::Providers), 60, 15);
    row_with(&buf, &["DeepSeek", "CN", "3.5 MiB", "112 KiB", "yes"]);
    assert!(!screen_text(&buf).contains("Last seen"));
}

#[test]
fn long_tables_scroll_to_keep_the_selection_visible() {
    // 40 hosts, each sending i KiB to DeepSeek: ranked 10.0.0.40 first, 10.0.0.1 last.
    let template = fixture::records().swap_remove(0);
    let records: Vec<_> = (1..=40u8)
        .map(|i| {
            let mut r = template.clone();
            r.client_ip = ip(i);
            r.c2s_bytes = u64::from(i) * KIB;
            r
        })
        .collect();
    let snap = Snapshot::build(&fixture::summary(&records), &fixture::status(), &[], &[]);
    let mut ui = ui_on(View::Hosts);
    let buf = draw(&snap, &ui, 80, 24);
    row_with(&buf, &["10.0.0.40 ", "40.0 KiB"]);
    assert!(
        !screen_text(&buf).contains("10.0.0.1 "),
        "the last host is off screen"
    );

    ui.update(Action::SelectLast);
    ui.clamp_selection(aiwatch::tui::rows::count(&snap, &ui));
    assert_eq!(ui.hosts.selected, 39);
    let buf = draw(&snap, &ui, 80, 24);
    let (y, _) = row_with(&buf, &["10.0.0.1 ", "1.0 KiB"]);
    assert!(
        buf[cell_of(&buf, y, "10.0.0.1 ", 0)]
            .modifier
            .contains(Modifier::REVERSED)
    );
    assert!(
        !screen_text(&buf).contains("10.0.0.40 "),
        "the first host scrolled away"
    );
    // Enter opens the highlighted (last) host, as drawn.
    let enter = KeyEvent::new(KeyCode::Enter, KeyModifiers::NONE);
    assert_eq!(
        action_for_key(enter, &ui, &snap),
        Some(Action::OpenHost(ip(1)))
    );
}
