//! `--ui dashboard`: one frame of the full-screen view, drawn from a [`LiveSnapshot`] the
//! record processor published — latency percentiles, throughput over time, errors by kind and
//! telemetry. Drawing only: the terminal, its thread and the refresh are `run`'s.

use ratatui::layout::{Constraint, Direction, Layout, Rect};
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Cell, Gauge, Paragraph, Row, Sparkline, Table};
use ratatui::Frame;

use super::format::{printable, thousands};
use crate::metrics::live::{LiveSnapshot, Percentiles};

/// What the dashboard says about the run besides the live figures.
#[derive(Debug, Clone, Default)]
pub struct DashboardInfo {
    /// The title line: model, server, endpoint type.
    pub title: String,
    /// Requests the run will send, when a count stops it.
    pub total: Option<u64>,
}

/// Draws one frame; `snap` is `None` until the first snapshot arrives.
pub fn draw(frame: &mut Frame, info: &DashboardInfo, snap: Option<&LiveSnapshot>) {
    let empty = LiveSnapshot::default();
    let snap = snap.unwrap_or(&empty);
    let rows = Layout::default()
        .direction(Direction::Vertical)
        .constraints([
            Constraint::Length(4),
            Constraint::Length(7),
            Constraint::Min(6),
            Constraint::Length(telemetry_height(snap)),
            Constraint::Length(1),
        ])
        .split(frame.area());
    draw_header(frame, rows[0], info, snap);
    let middle = Layout::default()
        .direction(Direction::Horizontal)
        .constraints([Constraint::Percentage(55), Constraint::Percentage(45)])
        .split(rows[1]);
    draw_latency(frame, middle[0], snap);
    draw_errors(frame, middle[1], snap);
    draw_throughput(frame, rows[2], snap);
    draw_telemetry(frame, rows[3], snap);
    frame.render_widget(
        Paragraph::new("Ctrl-C stops the run; the results so far are reported.")
            .style(Style::default().fg(Color::DarkGray)),
        rows[4],
    );
}

fn telemetry_height(snap: &LiveSnapshot) -> u16 {
    (snap.telemetry.len().clamp(1, 8) + 2) as u16
}

fn draw_header(frame: &mut Frame, area: Rect, info: &DashboardInfo, snap: &LiveSnapshot) {
    let block = Block::default().borders(Borders::ALL).title(Span::styled(
        format!(" gauntlet | {} | {:.1} s ", info.title, snap.elapsed_s),
        Style::default().add_modifier(Modifier::BOLD),
    ));
    let inner = block.inner(area);
    frame.render_widget(block, area);
    let parts = Layout::default()
        .direction(Direction::Vertical)
        .constraints([Constraint::Length(1), Constraint::Length(1)])
        .split(inner);
    let counts = format!(
        "{} sent · {} finished · {} in flight · {} failed · {} cancelled · {} req/s · {} tokens/s",
        snap.sent,
        snap.finished,
        snap.in_flight,
        snap.failed,
        snap.cancelled,
        thousands(snap.request_rate),
        thousands(snap.token_rate),
    );
    frame.render_widget(Paragraph::new(counts), parts[0]);
    if let Some(total) = info.total.filter(|t| *t > 0) {
        let ratio = (snap.finished as f64 / total as f64).clamp(0.0, 1.0);
        frame.render_widget(
            Gauge::default()
                .gauge_style(Style::default().fg(Color::Green))
                .ratio(ratio)
                .label(format!("{}/{} requests", snap.finished, total)),
            parts[1],
        );
    }
}

fn draw_latency(frame: &mut Frame, area: Rect, snap: &LiveSnapshot) {
    let row = |name: &'static str, p: Option<Percentiles>| {
        let cell = |v: Option<f64>| Cell::from(v.map_or("–".to_owned(), thousands));
        Row::new(vec![
            Cell::from(name),
            cell(p.map(|p| p.p50)),
            cell(p.map(|p| p.p90)),
            cell(p.map(|p| p.p99)),
        ])
    };
    let table = Table::new(
        vec![
            row("TTFT", snap.ttft_ms),
            row("ITL", snap.itl_ms),
            row("Request latency", snap.latency_ms),
        ],
        [
            Constraint::Length(16),
            Constraint::Length(10),
            Constraint::Length(10),
            Constraint::Length(10),
        ],
    )
    .header(
        Row::new(vec!["", "p50", "p90", "p99"])
            .style(Style::default().add_modifier(Modifier::BOLD)),
    )
    .block(
        Block::default()
            .borders(Borders::ALL)
            .title(" Latency (ms), successful requests so far "),
    );
    frame.render_widget(table, area);
}

fn draw_errors(frame: &mut Frame, area: Rect, snap: &LiveSnapshot) {
    let lines: Vec<Line> = if snap.errors.is_empty() {
        vec![Line::from("no errors")]
    } else {
        snap.errors
            .iter()
            .map(|(kind, n)| Line::from(format!("{n:>7} × {}", printable(kind))))
            .collect()
    };
    frame.render_widget(
        Paragraph::new(lines).block(
            Block::default()
                .borders(Borders::ALL)
                .title(" Errors by kind "),
        ),
        area,
    );
}

fn draw_throughput(frame: &mut Frame, area: Rect, snap: &LiveSnapshot) {
    let halves = Layout::default()
        .direction(Direction::Vertical)
        .constraints([Constraint::Percentage(50), Constraint::Percentage(50)])
        .split(area);
    let chart = |frame: &mut Frame, area: Rect, title: String, data: &[u64], color: Color| {
        // The newest seconds that fit, right-aligned.
        let width = area.width.saturating_sub(2) as usize;
        let start = data.len().saturating_sub(width);
        frame.render_widget(
            Sparkline::default()
                .block(Block::default().borders(Borders::ALL).title(title))
                .data(&data[start..])
                .style(Style::default().fg(color)),
            area,
        );
    };
    let peak = |d: &[u64]| d.iter().copied().max().unwrap_or(0);
    chart(
        frame,
        halves[0],
        format!(
            " Requests/s, one bar a second (peak {}) ",
            peak(&snap.requests_per_second)
        ),
        &snap.requests_per_second,
        Color::Cyan,
    );
    chart(
        frame,
        halves[1],
        format!(
            " Output tokens/s, one bar a second (peak {}) ",
            peak(&snap.tokens_per_second)
        ),
        &snap.tokens_per_second,
        Color::Magenta,
    );
}

fn draw_telemetry(frame: &mut Frame, area: Rect, snap: &LiveSnapshot) {
    let lines: Vec<Line> = if snap.telemetry.is_empty() {
        vec![Line::from(
            "none yet: gauges of --server-metrics-url and DCGM --gpu-telemetry scrapes show here",
        )]
    } else {
        snap.telemetry
            .iter()
            .map(|(label, value)| Line::from(format!("{value:>14}  {}", printable(label))))
            .collect()
    };
    frame.render_widget(
        Paragraph::new(lines).block(
            Block::default()
                .borders(Borders::ALL)
                .title(" Server and GPU metrics "),
        ),
        area,
    );
}

#[cfg(test)]
mod tests {
    use super::*;
    use ratatui::backend::TestBackend;
    use ratatui::Terminal;

    fn screen(info: &DashboardInfo, snap: Option<&LiveSnapshot>) -> String {
        let mut terminal = Terminal::new(TestBackend::new(110, 34)).unwrap();
        terminal.draw(|f| draw(f, info, snap)).unwrap();
        let buffer = terminal.backend().buffer();
        let width = buffer.area.width as usize;
        let cells: Vec<&str> = buffer.content.iter().map(|c| c.symbol()).collect();
        cells
            .chunks(width)
            .map(|row| row.concat())
            .collect::<Vec<_>>()
            .join("\n")
    }

    fn snapshot() -> LiveSnapshot {
        LiveSnapshot {
            elapsed_s: 12.34,
            sent: 1_300,
            finished: 1_236,
            in_flight: 64,
            failed: 7,
            cancelled: 0,
            request_rate: 812.25,
            token_rate: 3_249.0,
            ttft_ms: Some(Percentiles {
                p50: 12.5,
                p90: 18.25,
                p99: 31.75,
            }),
            itl_ms: Some(Percentiles {
                p50: 1.5,
                p90: 2.0,
                p99: 4.25,
            }),
            latency_ms: None,
            errors: vec![("Service Unavailable".into(), 5), ("Timeout".into(), 2)],
            requests_per_second: vec![700, 810, 805],
            tokens_per_second: vec![2_800, 3_240, 3_220],
            telemetry: vec![("vllm:num_requests_running".into(), "64".into())],
        }
    }

    #[test]
    fn shows_counts_percentiles_errors_throughput_and_telemetry() {
        let info = DashboardInfo {
            title: "mock-model @ http://127.0.0.1:8000 | chat".into(),
            total: Some(2_000),
        };
        let text = screen(&info, Some(&snapshot()));
        for want in [
            "gauntlet | mock-model @ http://127.0.0.1:8000 | chat | 12.3 s",
            "1300 sent · 1236 finished · 64 in flight · 7 failed · 0 cancelled · 812.25 req/s",
            "3,249.00 tokens/s",
            "1236/2000 requests",
            "Latency (ms)",
            "TTFT",
            "12.50",
            "18.25",
            "31.75",
            "4.25",
            "Request latency",
            "5 × Service Unavailable",
            "2 × Timeout",
            "Requests/s, one bar a second (peak 810)",
            "Output tokens/s, one bar a second (peak 3240)",
            "            64  vllm:num_requests_running",
            "Ctrl-C stops the run",
        ] {
            assert!(text.contains(want), "{want:?} not on the screen:\n{text}");
        }
    }

    #[test]
    fn draws_before_the_first_snapshot_without_a_total() {
        let text = screen(&DashboardInfo::default(), None);
        assert!(text.contains("no errors"), "{text}");
        assert!(text.contains("none yet: gauges of"), "{text}");
        assert!(!text.contains("requests ("), "{text}");
    }
}
