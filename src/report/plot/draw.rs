//! Draws a [`Figure`] with plotters: SVG text, or a PNG (bitmap backend, encoded by `image`)
//! whose text is rasterised from the DejaVu Sans font embedded in the binary, so charts
//! render the same on a machine with no fonts installed.

use std::sync::OnceLock;

use plotters::coord::Shift;
use plotters::prelude::*;

use super::figure::{Figure, Mark, Panel};

/// DejaVu Sans (Bitstream Vera licence; assets/fonts/DejaVuSans-LICENSE.txt).
static FONT: &[u8] = include_bytes!(concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/assets/fonts/DejaVuSans.ttf"
));

/// The family every text style names; registered once with the embedded font.
const FAMILY: &str = "sans-serif";

/// Colours for series, in order (matplotlib's tab10, readable on white).
const PALETTE: [RGBColor; 8] = [
    RGBColor(31, 119, 180),
    RGBColor(255, 127, 14),
    RGBColor(44, 160, 44),
    RGBColor(214, 39, 40),
    RGBColor(148, 103, 189),
    RGBColor(140, 86, 75),
    RGBColor(227, 119, 194),
    RGBColor(127, 127, 127),
];

fn register_font() -> Result<(), String> {
    static DONE: OnceLock<Result<(), String>> = OnceLock::new();
    DONE.get_or_init(|| {
        plotters::style::register_font(FAMILY, FontStyle::Normal, FONT)
            .map_err(|_| "the embedded font could not be read".to_owned())
    })
    .clone()
}

/// The figure as an SVG document.
pub fn svg(fig: &Figure) -> Result<String, String> {
    register_font()?;
    let mut out = String::new();
    {
        let root = SVGBackend::with_string(&mut out, fig.size()).into_drawing_area();
        draw(&root, fig)?;
        root.present().map_err(|e| e.to_string())?;
    }
    Ok(out)
}

/// The figure as PNG bytes.
pub fn png(fig: &Figure) -> Result<Vec<u8>, String> {
    use image::ImageEncoder;
    register_font()?;
    let (w, h) = fig.size();
    let mut pixels = vec![0u8; w as usize * h as usize * 3];
    {
        let root = BitMapBackend::with_buffer(&mut pixels, (w, h)).into_drawing_area();
        draw(&root, fig)?;
        root.present().map_err(|e| e.to_string())?;
    }
    let mut out = Vec::new();
    image::codecs::png::PngEncoder::new(&mut out)
        .write_image(&pixels, w, h, image::ExtendedColorType::Rgb8)
        .map_err(|e| e.to_string())?;
    Ok(out)
}

fn draw<DB: DrawingBackend>(root: &DrawingArea<DB, Shift>, fig: &Figure) -> Result<(), String> {
    let err = |e: DrawingAreaErrorKind<DB::ErrorType>| e.to_string();
    root.fill(&WHITE).map_err(err)?;
    let root = root.titled(&fig.title, (FAMILY, 22)).map_err(err)?;
    let n = fig.panels.len();
    let areas = if fig.side_by_side {
        root.split_evenly((1, n))
    } else {
        root.split_evenly((n, 1))
    };
    for (area, panel) in areas.iter().zip(&fig.panels) {
        draw_panel(area, panel)?;
    }
    Ok(())
}

/// `(lo, hi)` padded by 3 %, never empty.
fn padded(lo: f64, hi: f64) -> (f64, f64) {
    if !(lo.is_finite() && hi.is_finite()) {
        return (0.0, 1.0);
    }
    let span = if hi > lo { hi - lo } else { lo.abs().max(1.0) };
    (lo - span * 0.03, hi + span * 0.03)
}

fn ranges(panel: &Panel) -> ((f64, f64), (f64, f64)) {
    let (mut x0, mut x1, mut y0, mut y1) = (f64::MAX, f64::MIN, 0.0f64, f64::MIN);
    for s in &panel.series {
        let width = match s.mark {
            Mark::Bars(w) => w,
            _ => 0.0,
        };
        for &(x, y) in &s.points {
            x0 = x0.min(x);
            x1 = x1.max(x + width);
            y0 = y0.min(y);
            y1 = y1.max(y);
        }
    }
    let x = panel.x_range.unwrap_or((x0, x1));
    let (x0, mut x1) = padded(x.0, x.1);
    let (_, mut y1) = padded(y0, y1);
    if panel.series.iter().any(|s| s.mark == Mark::LabelledLine) {
        // Room for the labels right of and above the last points.
        x1 += (x1 - x0) * 0.08;
        y1 += (y1 - y0) * 0.06;
    }
    let y0 = if y0 < 0.0 { padded(y0, y1).0 } else { 0.0 };
    ((x0, x1), (y0, y1))
}

fn draw_panel<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    panel: &Panel,
) -> Result<(), String> {
    let err = |e: DrawingAreaErrorKind<DB::ErrorType>| e.to_string();
    let ((x0, x1), (y0, y1)) = ranges(panel);
    let mut chart = ChartBuilder::on(area)
        .caption(&panel.title, (FAMILY, 16))
        .margin(12)
        .x_label_area_size(42)
        .y_label_area_size(70)
        .build_cartesian_2d(x0..x1, y0..y1)
        .map_err(err)?;
    chart
        .configure_mesh()
        .x_desc(&panel.x_label)
        .y_desc(&panel.y_label)
        .label_style((FAMILY, 12))
        .axis_desc_style((FAMILY, 14))
        .light_line_style(WHITE.mix(0.0))
        .draw()
        .map_err(err)?;
    for s in &panel.series {
        let color = PALETTE[s.color % PALETTE.len()];
        let pts = s.points.iter().copied();
        let anno = match s.mark {
            Mark::Points => {
                chart.draw_series(pts.map(|p| Circle::new(p, 2, color.mix(0.55).filled())))
            }
            Mark::Line => chart.draw_series(LineSeries::new(pts, color.stroke_width(2))),
            Mark::LabelledLine => {
                chart
                    .draw_series(LineSeries::new(pts.clone(), color.stroke_width(2)))
                    .map_err(err)?;
                let font = (FAMILY, 13).into_font().color(&BLACK);
                chart.draw_series(s.points.iter().zip(&s.labels).map(|(&p, l)| {
                    EmptyElement::at(p)
                        + Circle::new((0, 0), 4, color.filled())
                        + Text::new(l.clone(), (7, -18), font.clone())
                }))
            }
            Mark::Bars(w) => chart.draw_series(
                pts.map(|(x, y)| Rectangle::new([(x, 0.0), (x + w, y)], color.mix(0.5).filled())),
            ),
            Mark::Spans => chart.draw_series(
                s.points
                    .chunks_exact(2)
                    .map(|p| PathElement::new(vec![p[0], p[1]], color.stroke_width(5))),
            ),
        }
        .map_err(err)?;
        if !s.name.is_empty() {
            anno.label(s.name.clone()).legend(move |(x, y)| {
                Rectangle::new([(x, y - 4), (x + 14, y + 4)], color.filled())
            });
        }
    }
    if panel.series.iter().any(|s| !s.name.is_empty()) {
        chart
            .configure_series_labels()
            .position(SeriesLabelPosition::UpperRight)
            .label_font((FAMILY, 12))
            .background_style(WHITE.mix(0.85))
            .border_style(BLACK.mix(0.4))
            .draw()
            .map_err(err)?;
    }
    Ok(())
}
