//! The chart model the builders fill and the renderer draws: figures of panels of series.

/// How a series is drawn.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Mark {
    /// A dot per point.
    Points,
    /// A line through the points in order.
    Line,
    /// A line with a dot and its label at each point (Pareto curves).
    LabelledLine,
    /// A bar per point from `x` to `x + width`, `0` to `y`.
    Bars(f64),
    /// Horizontal spans: points taken in pairs, `(x0, y)` to `(x1, y)`.
    Spans,
}

/// One named series.
#[derive(Debug, Clone)]
pub struct Series {
    /// Shown in the legend ("" = no legend entry).
    pub name: String,
    /// How it is drawn.
    pub mark: Mark,
    /// `(x, y)` in the panel's units.
    pub points: Vec<(f64, f64)>,
    /// One label per point (`LabelledLine`), else empty.
    pub labels: Vec<String>,
    /// Index into the palette.
    pub color: usize,
}

impl Series {
    /// A series without point labels.
    pub fn new(name: impl Into<String>, mark: Mark, points: Vec<(f64, f64)>, color: usize) -> Self {
        Self {
            name: name.into(),
            mark,
            points,
            labels: Vec::new(),
            color,
        }
    }
}

/// One chart: axes, their labels, its series.
#[derive(Debug, Clone, Default)]
pub struct Panel {
    /// Above the chart.
    pub title: String,
    /// Under the x axis.
    pub x_label: String,
    /// Beside the y axis.
    pub y_label: String,
    /// What is drawn.
    pub series: Vec<Series>,
    /// A fixed x range (panels sharing a time axis); else from the points.
    pub x_range: Option<(f64, f64)>,
}

impl Panel {
    /// An empty panel with its titles.
    pub fn new(title: &str, x_label: &str, y_label: &str) -> Self {
        Self {
            title: title.into(),
            x_label: x_label.into(),
            y_label: y_label.into(),
            ..Self::default()
        }
    }

    /// Adds `series` when it has points.
    pub fn push(&mut self, series: Series) {
        if !series.points.is_empty() {
            self.series.push(series);
        }
    }

    /// Points over every series.
    pub fn points(&self) -> usize {
        self.series.iter().map(|s| s.points.len()).sum()
    }
}

/// One output file: a title over panels stacked or side by side.
#[derive(Debug, Clone)]
pub struct Figure {
    /// File stem (`ttft_distribution`).
    pub name: String,
    /// Over the whole figure.
    pub title: String,
    /// Its charts; panels without points are dropped by [`Figure::new`].
    pub panels: Vec<Panel>,
    /// Panels in one row rather than one column.
    pub side_by_side: bool,
}

impl Figure {
    /// A figure of the panels that have points; `None` when none has.
    pub fn new(name: &str, title: &str, panels: Vec<Panel>, side_by_side: bool) -> Option<Self> {
        let panels: Vec<Panel> = panels.into_iter().filter(|p| p.points() > 0).collect();
        (!panels.is_empty()).then(|| Self {
            name: name.into(),
            title: title.into(),
            panels,
            side_by_side,
        })
    }

    /// Series over every panel.
    pub fn series(&self) -> usize {
        self.panels.iter().map(|p| p.series.len()).sum()
    }

    /// Points over every panel.
    pub fn points(&self) -> usize {
        self.panels.iter().map(Panel::points).sum()
    }

    /// Pixel size: 1000 wide per panel side by side, 380 high per panel stacked.
    pub fn size(&self) -> (u32, u32) {
        let n = self.panels.len() as u32;
        if self.side_by_side {
            (560 * n.max(2), 440)
        } else {
            (1000, 60 + 320 * n)
        }
    }
}
