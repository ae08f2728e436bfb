//! The view's state and its one state machine: every key press becomes an [`Action`] (see
//! `keys.rs`), and [`UiState::update`] is the only place that changes what the user looks at.
//! Plain data: no terminal, no snapshot, no clock, so every transition is testable on its own.

use std::net::IpAddr;

/// The screens, in Tab order.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum View {
    #[default]
    Overview,
    Providers,
    Hosts,
    Alerts,
}

impl View {
    pub const ALL: [View; 4] = [View::Overview, View::Providers, View::Hosts, View::Alerts];

    pub fn title(self) -> &'static str {
        match self {
            View::Overview => "Overview",
            View::Providers => "AI providers",
            View::Hosts => "Hosts",
            View::Alerts => "Alerts",
        }
    }

    fn index(self) -> usize {
        match self {
            View::Overview => 0,
            View::Providers => 1,
            View::Hosts => 2,
            View::Alerts => 3,
        }
    }

    fn step(self, forward: bool) -> View {
        let n = View::ALL.len();
        let i = if forward {
            (self.index() + 1) % n
        } else {
            (self.index() + n - 1) % n
        };
        View::ALL.get(i).copied().unwrap_or_default()
    }
}

/// A column a table can be sorted by. `next` cycles through them; the first is the default.
pub trait SortKey: Copy + Default + PartialEq {
    fn next(self) -> Self;
    fn label(self) -> &'static str;
    /// Numbers sort largest first, names A→Z, unless reversed.
    fn descending_by_default(self) -> bool;
}

macro_rules! sort_key {
    ($(#[$m:meta])* $name:ident { $($variant:ident => ($label:literal, $desc:literal)),+ $(,)? }) => {
        $(#[$m])*
        #[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
        pub enum $name {
            #[default]
            $($variant),+
        }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant),+];
        }

        impl SortKey for $name {
            fn next(self) -> Self {
                let all = Self::ALL;
                let i = all.iter().position(|k| *k == self).unwrap_or(0);
                all.get((i + 1) % all.len()).copied().unwrap_or_default()
            }

            fn label(self) -> &'static str {
                match self {
                    $($name::$variant => $label),+
                }
            }

            fn descending_by_default(self) -> bool {
                match self {
                    $($name::$variant => $desc),+
                }
            }
        }
    };
}

// `#[default]` goes to the first variant of each list.
sort_key!(
    /// Sort keys of the AI providers table.
    ProviderSort {
        Sent => ("sent", true),
        Received => ("received", true),
        Flows => ("flows", true),
        Hosts => ("hosts", true),
        LastSeen => ("last seen", true),
        Name => ("name", false),
        Jurisdiction => ("jurisdiction", false),
    }
);

sort_key!(
    /// Sort keys of the hosts table.
    HostSort {
        RestrictedSent => ("restricted sent", true),
        AiSent => ("AI sent", true),
        Flows => ("flows", true),
        Address => ("address", false),
    }
);

sort_key!(
    /// Sort keys of the alerts table.
    AlertSort {
        Time => ("time", true),
        Sent => ("sent", true),
        Host => ("host", false),
    }
);

sort_key!(
    /// Sort keys of a host's flows (drill-down).
    FlowSort {
        Time => ("time", true),
        Sent => ("sent", true),
        Received => ("received", true),
    }
);

/// Selection and ordering of one table. The selection is a row index into the filtered, sorted
/// rows; the app clamps it to the row count after each update (see [`UiState::clamp_selection`]).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct TableState<S> {
    pub selected: usize,
    pub sort: S,
    pub reversed: bool,
}

impl<S: SortKey> TableState<S> {
    /// Largest first when true.
    pub fn descending(&self) -> bool {
        self.sort.descending_by_default() != self.reversed
    }

    fn cycle_sort(&mut self) {
        self.sort = self.sort.next();
        self.reversed = false;
        self.selected = 0;
    }
}

/// The host whose flows are shown (Enter on the hosts table).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Drill {
    pub host: IpAddr,
    pub table: TableState<FlowSort>,
}

/// What the keyboard is typing into.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Mode {
    #[default]
    Normal,
    /// Typing the filter text (after `/`).
    Filter,
    /// The help overlay is open.
    Help,
}

/// Rows moved by PageUp/PageDown.
pub const PAGE: usize = 10;

/// Everything the user changed about the view. Starts on the overview, unfiltered, live.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct UiState {
    pub view: View,
    pub mode: Mode,
    /// Case-insensitive substring filter over the rows of the tables (and the chart labels).
    pub filter: String,
    /// The filter before `/` was pressed, restored by Esc while typing.
    filter_before_edit: String,
    /// The displayed snapshot is frozen (the runtime keeps capturing).
    pub paused: bool,
    /// The runtime stopped sending snapshots (a replay ended): the last one stays on screen.
    pub source_ended: bool,
    pub providers: TableState<ProviderSort>,
    pub hosts: TableState<HostSort>,
    pub alerts: TableState<AlertSort>,
    pub drill: Option<Drill>,
    pub quit: bool,
}

/// A user intent, decoded from a key press by `keys::action_for_key`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Action {
    NextView,
    PrevView,
    ShowView(View),
    SelectNext,
    SelectPrev,
    PageDown,
    PageUp,
    SelectFirst,
    SelectLast,
    /// The next sort column of the current table.
    CycleSort,
    /// The same column, the other way round.
    ReverseSort,
    StartFilter,
    FilterInput(char),
    FilterBackspace,
    /// Enter while typing: keep the filter.
    FilterApply,
    /// Esc while typing: back to the filter as it was before `/`.
    FilterCancel,
    /// Show one host's flows.
    OpenHost(IpAddr),
    /// Show the hosts that use a provider (the hosts list, filtered by its name).
    ProviderHosts(String),
    /// Esc/Backspace: close the drill-down, else clear the filter.
    Back,
    TogglePause,
    ToggleHelp,
    /// The runtime's channel closed.
    SourceEnded,
    Quit,
}

impl UiState {
    pub fn update(&mut self, action: Action) {
        match action {
            Action::NextView => self.view = self.view.step(true),
            Action::PrevView => self.view = self.view.step(false),
            Action::ShowView(v) => self.view = v,
            Action::SelectNext => self.move_selection(|i| i.saturating_add(1)),
            Action::SelectPrev => self.move_selection(|i| i.saturating_sub(1)),
            Action::PageDown => self.move_selection(|i| i.saturating_add(PAGE)),
            Action::PageUp => self.move_selection(|i| i.saturating_sub(PAGE)),
            Action::SelectFirst => self.move_selection(|_| 0),
            // Clamped to the last row by the app (it knows the row count).
            Action::SelectLast => self.move_selection(|_| usize::MAX),
            Action::CycleSort => match (self.view, &mut self.drill) {
                (View::Providers, _) => self.providers.cycle_sort(),
                (View::Hosts, Some(d)) => d.table.cycle_sort(),
                (View::Hosts, None) => self.hosts.cycle_sort(),
                (View::Alerts, _) => self.alerts.cycle_sort(),
                (View::Overview, _) => {}
            },
            Action::ReverseSort => match (self.view, &mut self.drill) {
                (View::Providers, _) => self.providers.reversed ^= true,
                (View::Hosts, Some(d)) => d.table.reversed ^= true,
                (View::Hosts, None) => self.hosts.reversed ^= true,
                (View::Alerts, _) => self.alerts.reversed ^= true,
                (View::Overview, _) => {}
            },
            Action::StartFilter => {
                self.filter_before_edit = self.filter.clone();
                self.mode = Mode::Filter;
            }
            Action::FilterInput(c) => {
                if self.mode == Mode::Filter && !c.is_control() {
                    self.filter.push(c);
                    self.reset_selections();
                }
            }
            Action::FilterBackspace => {
                if self.mode == Mode::Filter {
                    self.filter.pop();
                    self.reset_selections();
                }
            }
            Action::FilterApply => self.mode = Mode::Normal,
            Action::FilterCancel => {
                if self.mode == Mode::Filter {
                    self.filter = std::mem::take(&mut self.filter_before_edit);
                    self.reset_selections();
                    self.mode = Mode::Normal;
                }
            }
            Action::OpenHost(host) => {
                self.view = View::Hosts;
                self.drill = Some(Drill {
                    host,
                    table: TableState::default(),
                });
            }
            Action::ProviderHosts(name) => {
                self.view = View::Hosts;
                self.drill = None;
                self.filter = name;
                self.mode = Mode::Normal;
                self.reset_selections();
            }
            Action::Back => {
                if self.mode == Mode::Help {
                    self.mode = Mode::Normal;
                } else if self.view == View::Hosts && self.drill.is_some() {
                    self.drill = None;
                } else if !self.filter.is_empty() {
                    self.filter.clear();
                    self.reset_selections();
                }
            }
            Action::TogglePause => self.paused ^= true,
            Action::ToggleHelp => {
                self.mode = match self.mode {
                    Mode::Help => Mode::Normal,
                    _ => Mode::Help,
                }
            }
            Action::SourceEnded => self.source_ended = true,
            Action::Quit => self.quit = true,
        }
    }

    /// Clamps the current table's selection to `rows` rows (the app calls this after each update,
    /// with the row count of the displayed snapshot).
    pub fn clamp_selection(&mut self, rows: usize) {
        let last = rows.saturating_sub(1);
        if let Some(sel) = self.selection_mut() {
            *sel = (*sel).min(last);
        }
    }

    /// The selected row of the current table, if it has one.
    pub fn selected(&self) -> Option<usize> {
        match (self.view, &self.drill) {
            (View::Providers, _) => Some(self.providers.selected),
            (View::Hosts, Some(d)) => Some(d.table.selected),
            (View::Hosts, None) => Some(self.hosts.selected),
            (View::Alerts, _) => Some(self.alerts.selected),
            (View::Overview, _) => None,
        }
    }

    fn selection_mut(&mut self) -> Option<&mut usize> {
        match (self.view, &mut self.drill) {
            (View::Providers, _) => Some(&mut self.providers.selected),
            (View::Hosts, Some(d)) => Some(&mut d.table.selected),
            (View::Hosts, None) => Some(&mut self.hosts.selected),
            (View::Alerts, _) => Some(&mut self.alerts.selected),
            (View::Overview, _) => None,
        }
    }

    fn move_selection(&mut self, f: impl FnOnce(usize) -> usize) {
        if let Some(sel) = self.selection_mut() {
            *sel = f(*sel);
        }
    }

    fn reset_selections(&mut self) {
        self.providers.selected = 0;
        self.hosts.selected = 0;
        self.alerts.selected = 0;
        if let Some(d) = &mut self.drill {
            d.table.selected = 0;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::Ipv4Addr;

    const HOST: IpAddr = IpAddr::V4(Ipv4Addr::new(10, 0, 0, 11));

    fn typed(ui: &mut UiState, text: &str) {
        for c in text.chars() {
            ui.update(Action::FilterInput(c));
        }
    }

    #[test]
    fn tab_cycles_through_every_view_both_ways() {
        let mut ui = UiState::default();
        let mut seen = vec![ui.view];
        for _ in 0..4 {
            ui.update(Action::NextView);
            seen.push(ui.view);
        }
        assert_eq!(
            seen,
            [
                View::Overview,
                View::Providers,
                View::Hosts,
                View::Alerts,
                View::Overview
            ]
        );
        ui.update(Action::PrevView);
        assert_eq!(
            ui.view,
            View::Alerts,
            "Shift-Tab from the first wraps to the last"
        );
        ui.update(Action::ShowView(View::Hosts));
        assert_eq!(ui.view, View::Hosts);
    }

    #[test]
    fn sort_cycles_through_columns_and_wraps_per_table() {
        let mut ui = UiState::default();
        ui.update(Action::ShowView(View::Providers));
        assert_eq!(ui.providers.sort, ProviderSort::Sent);
        assert!(ui.providers.descending(), "bytes: largest first");
        let mut order = Vec::new();
        for _ in 0..ProviderSort::ALL.len() {
            ui.update(Action::CycleSort);
            order.push(ui.providers.sort);
        }
        assert_eq!(
            order,
            [
                ProviderSort::Received,
                ProviderSort::Flows,
                ProviderSort::Hosts,
                ProviderSort::LastSeen,
                ProviderSort::Name,
                ProviderSort::Jurisdiction,
                ProviderSort::Sent,
            ]
        );
        ui.update(Action::CycleSort);
        ui.update(Action::CycleSort);
        ui.update(Action::CycleSort);
        ui.update(Action::CycleSort);
        ui.update(Action::CycleSort);
        assert_eq!(ui.providers.sort, ProviderSort::Name);
        assert!(!ui.providers.descending(), "names: A to Z");
        ui.update(Action::ReverseSort);
        assert!(ui.providers.descending());
        ui.update(Action::CycleSort);
        assert!(
            !ui.providers.reversed,
            "a new column starts in its own direction"
        );
        // The other tables kept their defaults.
        assert_eq!(ui.hosts, TableState::default());
        assert_eq!(ui.alerts, TableState::default());
        // Sorting on the overview does nothing.
        ui.update(Action::ShowView(View::Overview));
        let before = ui.clone();
        ui.update(Action::CycleSort);
        ui.update(Action::ReverseSort);
        assert_eq!(ui, before);
    }

    #[test]
    fn filter_input_apply_cancel_and_clear() {
        let mut ui = UiState::default();
        ui.update(Action::ShowView(View::Hosts));
        ui.update(Action::SelectNext);
        ui.update(Action::StartFilter);
        assert_eq!(ui.mode, Mode::Filter);
        typed(&mut ui, "deepx");
        ui.update(Action::FilterBackspace);
        assert_eq!(ui.filter, "deep");
        assert_eq!(ui.hosts.selected, 0, "a new filter starts at the top");
        ui.update(Action::FilterApply);
        assert_eq!((ui.mode, ui.filter.as_str()), (Mode::Normal, "deep"));
        // Typing outside filter mode changes nothing.
        ui.update(Action::FilterInput('z'));
        assert_eq!(ui.filter, "deep");
        // Esc while editing restores the filter from before `/`.
        ui.update(Action::StartFilter);
        typed(&mut ui, "seek");
        assert_eq!(ui.filter, "deepseek");
        ui.update(Action::FilterCancel);
        assert_eq!((ui.mode, ui.filter.as_str()), (Mode::Normal, "deep"));
        // Back with no drill-down clears it.
        ui.update(Action::Back);
        assert_eq!(ui.filter, "");
    }

    #[test]
    fn drill_down_and_back() {
        let mut ui = UiState::default();
        ui.update(Action::OpenHost(HOST));
        assert_eq!(ui.view, View::Hosts);
        assert_eq!(ui.drill.map(|d| d.host), Some(HOST));
        // Selection and sort now act on the host's flows, not on the hosts list.
        ui.update(Action::SelectNext);
        ui.update(Action::CycleSort);
        let drill = ui.drill.expect("open");
        assert_eq!(drill.table.sort, FlowSort::Sent);
        assert_eq!(drill.table.selected, 0, "sorting resets the selection");
        assert_eq!(ui.hosts, TableState::default());
        // With a filter set, Back closes the drill-down first, then clears the filter.
        ui.update(Action::StartFilter);
        typed(&mut ui, "api");
        ui.update(Action::FilterApply);
        ui.update(Action::Back);
        assert_eq!((ui.drill, ui.filter.as_str()), (None, "api"));
        ui.update(Action::Back);
        assert_eq!(ui.filter, "");
    }

    #[test]
    fn provider_hosts_shows_the_hosts_list_filtered_by_name() {
        let mut ui = UiState::default();
        ui.update(Action::OpenHost(HOST));
        ui.update(Action::ShowView(View::Providers));
        ui.update(Action::SelectNext);
        ui.update(Action::ProviderHosts("DeepSeek".into()));
        assert_eq!(ui.view, View::Hosts);
        assert_eq!(ui.drill, None, "the list, not a host's flows");
        assert_eq!(ui.filter, "DeepSeek");
        assert_eq!(ui.providers.selected, 0);
        ui.update(Action::Back);
        assert_eq!(ui.filter, "", "Esc clears it again");
    }

    #[test]
    fn selection_moves_and_is_clamped_to_the_rows() {
        let mut ui = UiState::default();
        ui.update(Action::ShowView(View::Alerts));
        ui.update(Action::SelectPrev);
        assert_eq!(ui.alerts.selected, 0, "no wrap below the first row");
        ui.update(Action::PageDown);
        ui.update(Action::SelectNext);
        assert_eq!(ui.alerts.selected, PAGE + 1);
        ui.clamp_selection(5);
        assert_eq!(ui.alerts.selected, 4);
        ui.update(Action::SelectLast);
        ui.clamp_selection(7);
        assert_eq!(ui.selected(), Some(6));
        ui.update(Action::SelectFirst);
        assert_eq!(ui.selected(), Some(0));
        ui.clamp_selection(0);
        assert_eq!(ui.selected(), Some(0));
        ui.update(Action::ShowView(View::Overview));
        assert_eq!(ui.selected(), None);
    }

    #[test]
    fn pause_help_end_and_quit() {
        let mut ui = UiState::default();
        ui.update(Action::TogglePause);
        assert!(ui.paused);
        ui.update(Action::TogglePause);
        assert!(!ui.paused);
        ui.update(Action::ToggleHelp);
        assert_eq!(ui.mode, Mode::Help);
        ui.update(Action::Back);
        assert_eq!(ui.mode, Mode::Normal, "Esc closes the help");
        ui.update(Action::SourceEnded);
        assert!(ui.source_ended);
        assert!(!ui.quit);
        ui.update(Action::Quit);
        assert!(ui.quit);
    }
}
