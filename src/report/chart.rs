//! Charts as PNG, because mail clients show neither SVG nor scripts. Drawn with tiny-skia; text with
//! the font shipped in `report_templates/chart-font.ttf` (a subset of WenQuanYi Micro Hei holding
//! every character a chart draws), so Chinese renders the same on any machine. Output is a pure
//! function of the input: the same figures give the same bytes.

use ab_glyph::{Font, FontRef, PxScale, ScaleFont};
use tiny_skia::{
    Color, FillRule, Paint, PathBuilder, Pixmap, PremultipliedColorU8, Rect, Stroke, StrokeDash, Transform,
};

/// The chart font: a subset; `scripts/subset-chart-font.sh` rebuilds it.
pub const FONT: &[u8] = include_bytes!(concat!(env!("CARGO_MANIFEST_DIR"), "/report_templates/chart-font.ttf"));

/// The chart's size in CSS pixels (the `<img width>` of the templates)…
pub const WIDTH: u32 = 600;
pub const HEIGHT: u32 = 260;
/// …drawn at twice the pixel density, sharp on HiDPI screens and phones.
pub const DENSITY: f32 = 2.0;

const LEFT: f32 = 64.0;
const RIGHT: f32 = 16.0;
const TOP: f32 = 40.0;
const BOTTOM: f32 = 48.0;

const PLOT_WIDTH: f32 = WIDTH as f32 - LEFT - RIGHT;
const PLOT_HEIGHT: f32 = HEIGHT as f32 - TOP - BOTTOM;

/// The pixel row of value `v` on an axis from `lo` to `hi`.
fn y_of(v: f64, lo: f64, hi: f64) -> f32 {
    TOP + PLOT_HEIGHT * (1.0 - ((v - lo) / (hi - lo)) as f32)
}

pub const BLUE: (u8, u8, u8) = (31, 95, 160);
pub const GREY: (u8, u8, u8) = (120, 120, 120);
pub const ORANGE: (u8, u8, u8) = (214, 120, 24);
/// A bar below its reference line (e.g. under target): a second colour beside the line itself, so
/// the status never rests on colour alone.
pub const RED: (u8, u8, u8) = (176, 0, 32);
const INK: (u8, u8, u8) = (40, 40, 40);
const GRID: (u8, u8, u8) = (225, 225, 225);

#[derive(Debug, thiserror::Error)]
pub enum ChartError {
    #[error("the chart font does not load: {0}")]
    Font(String),
    #[error("cannot draw a {0}×{1} chart")]
    Canvas(u32, u32),
    #[error("cannot encode the chart as PNG: {0}")]
    Png(String),
}

/// One line of a line chart.
#[derive(Debug, Clone)]
pub struct Series {
    pub name: String,
    pub values: Vec<Option<f64>>,
    pub color: (u8, u8, u8),
    pub dashed: bool,
}

/// A forecast point with its band, drawn after the last label.
#[derive(Debug, Clone, Copy)]
pub struct Band {
    pub point: f64,
    pub low: f64,
    pub high: f64,
}

/// A line chart over `labels` (e.g. 13 months), optionally with a forecast one step further.
pub fn line(
    title: &str,
    labels: &[String],
    series: &[Series],
    forecast: Option<(&str, Band)>,
    format: fn(f64) -> String,
) -> Result<Vec<u8>, ChartError> {
    let mut canvas = Canvas::new()?;
    let steps = labels.len() + usize::from(forecast.is_some());
    let mut values: Vec<f64> = series.iter().flat_map(|s| s.values.iter().flatten().copied()).collect();
    if let Some((_, band)) = forecast {
        values.extend([band.low, band.high, band.point]);
    }
    let (lo, hi) = axis_range(&values);
    canvas.frame(title, lo, hi, format);
    let x = |i: usize| LEFT + (i as f32 + 0.5) * PLOT_WIDTH / steps.max(1) as f32;
    let every = labels.len().div_ceil(7).max(1);
    for (i, label) in labels.iter().enumerate() {
        if i % every == 0 || i + 1 == labels.len() {
            canvas.text_centered(label, x(i), HEIGHT as f32 - BOTTOM + 16.0, 11.0, GREY);
        }
    }
    if let Some((name, band)) = forecast {
        let at = x(labels.len());
        let (top, bottom) = (canvas.y(band.high, lo, hi), canvas.y(band.low, lo, hi));
        canvas.rect(at - 6.0, top, 12.0, (bottom - top).max(1.0), (250, 220, 190));
        canvas.dot(at, canvas.y(band.point, lo, hi), 4.0, ORANGE);
        canvas.text_centered(name, at, HEIGHT as f32 - BOTTOM + 16.0, 11.0, ORANGE);
    }
    for s in series {
        let mut path = PathBuilder::new();
        let mut open = false;
        for (i, v) in s.values.iter().enumerate() {
            match v {
                Some(v) => {
                    let (px, py) = (x(i), y_of(*v, lo, hi));
                    if open {
                        path.line_to(px, py)
                    } else {
                        path.move_to(px, py)
                    }
                    open = true;
                    if !s.dashed {
                        canvas.dot(px, py, 2.5, s.color);
                    }
                }
                None => open = false,
            }
        }
        if let Some(path) = path.finish() {
            canvas.stroke(&path, s.color, 2.0, s.dashed);
        }
    }
    let mut legend_x = LEFT;
    for s in series {
        canvas.rect(legend_x, HEIGHT as f32 - 14.0, 14.0, 3.0, s.color);
        legend_x += 18.0;
        legend_x += canvas.text(&s.name, legend_x, HEIGHT as f32 - 8.0, 11.0, INK) + 16.0;
    }
    if let Some((name, _)) = forecast {
        canvas.rect(legend_x, HEIGHT as f32 - 19.0, 10.0, 12.0, (250, 220, 190));
        canvas.dot(legend_x + 5.0, HEIGHT as f32 - 13.0, 3.0, ORANGE);
        legend_x += 14.0;
        canvas.text(name, legend_x, HEIGHT as f32 - 8.0, 11.0, INK);
    }
    canvas.png()
}

/// A bar chart, one bar per label, with an optional reference line and its legend (e.g. 100 % of
/// target): bars below it are drawn in red.
pub fn bars(
    title: &str,
    labels: &[String],
    values: &[f64],
    reference: Option<(f64, &str)>,
    format: fn(f64) -> String,
) -> Result<Vec<u8>, ChartError> {
    let mut canvas = Canvas::new()?;
    let mut all: Vec<f64> = values.to_vec();
    all.push(0.0);
    all.extend(reference.map(|r| r.0));
    let (lo, hi) = axis_range(&all);
    canvas.frame(title, lo, hi, format);
    let slot = canvas.plot_width() / labels.len().max(1) as f32;
    let zero = canvas.y(0.0, lo, hi);
    for (i, (label, v)) in labels.iter().zip(values).enumerate() {
        let centre = LEFT + (i as f32 + 0.5) * slot;
        let width = (slot * 0.6).min(48.0);
        let top = canvas.y(*v, lo, hi);
        let below = reference.is_some_and(|(r, _)| *v < r);
        canvas.rect(
            centre - width / 2.0,
            top.min(zero),
            width,
            (zero - top).abs().max(1.0),
            if below { RED } else { BLUE },
        );
        canvas.text_centered(&format(*v), centre, top.min(zero) - 4.0, 10.0, INK);
        canvas.label_under(label, centre, slot - 4.0);
    }
    if let Some((r, name)) = reference {
        let y = canvas.y(r, lo, hi);
        let mut path = PathBuilder::new();
        path.move_to(LEFT, y);
        path.line_to(WIDTH as f32 - RIGHT, y);
        if let Some(path) = path.finish() {
            canvas.stroke(&path, ORANGE, 1.5, true);
        }
        let mut legend = PathBuilder::new();
        legend.move_to(WIDTH as f32 - RIGHT - 150.0, 18.0);
        legend.line_to(WIDTH as f32 - RIGHT - 128.0, 18.0);
        if let Some(legend) = legend.finish() {
            canvas.stroke(&legend, ORANGE, 1.5, true);
        }
        canvas.text(&format!("{name} {}", format(r)), WIDTH as f32 - RIGHT - 122.0, 22.0, 11.0, INK);
    }
    canvas.png()
}

/// Splits a label into at most two lines of at most `max` characters, at a space when there is one
/// (else anywhere: Chinese breaks between any two characters).
fn two_lines(label: &str, max: usize) -> Vec<String> {
    let chars: Vec<char> = label.chars().collect();
    if chars.len() <= max {
        return vec![label.to_string()];
    }
    let half = chars.len().div_ceil(2);
    let cut = chars
        .iter()
        .enumerate()
        .filter(|(i, c)| **c == ' ' && *i > 0 && *i <= max)
        .map(|(i, _)| i)
        .min_by_key(|i| i.abs_diff(half))
        .unwrap_or(half.min(max));
    let first: String = chars[..cut].iter().collect();
    let rest: String = chars[cut..].iter().collect();
    vec![first.trim().to_string(), rest.trim().to_string()]
}

/// An axis from `lo` to `hi` in whole steps of 1, 2, 2.5 or 5 × 10ⁿ, so every grid line has a round
/// label: it includes every value and starts at 0 for non-negative data.
fn axis_range(values: &[f64]) -> (f64, f64) {
    let finite: Vec<f64> = values.iter().copied().filter(|v| v.is_finite()).collect();
    let min = finite.iter().copied().fold(f64::INFINITY, f64::min);
    let max = finite.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    if !min.is_finite() || !max.is_finite() {
        return (0.0, 1.0);
    }
    let lo = min.min(0.0);
    let hi = if max <= lo { lo + 1.0 } else { max };
    let step = step_for(lo, hi);
    ((lo / step).floor() * step, (hi / step).ceil() * step)
}

/// The grid step for an axis: about four steps, each 1, 2, 2.5 or 5 × 10ⁿ.
fn step_for(lo: f64, hi: f64) -> f64 {
    let raw = (hi - lo) / 4.0;
    let magnitude = 10f64.powf(raw.log10().floor());
    [1.0, 2.0, 2.5, 5.0, 10.0].iter().map(|m| m * magnitude).find(|s| *s >= raw).unwrap_or(10.0 * magnitude)
}

struct Canvas {
    pixmap: Pixmap,
    font: FontRef<'static>,
}

impl Canvas {
    fn new() -> Result<Canvas, ChartError> {
        let (w, h) = ((WIDTH as f32 * DENSITY) as u32, (HEIGHT as f32 * DENSITY) as u32);
        let mut pixmap = Pixmap::new(w, h).ok_or(ChartError::Canvas(w, h))?;
        pixmap.fill(Color::WHITE);
        let font = FontRef::try_from_slice(FONT).map_err(|e| ChartError::Font(e.to_string()))?;
        Ok(Canvas { pixmap, font })
    }

    fn plot_width(&self) -> f32 {
        PLOT_WIDTH
    }

    fn plot_height(&self) -> f32 {
        PLOT_HEIGHT
    }

    fn y(&self, v: f64, lo: f64, hi: f64) -> f32 {
        y_of(v, lo, hi)
    }

    /// Title, horizontal grid lines with their values, and the axis.
    fn frame(&mut self, title: &str, lo: f64, hi: f64, format: fn(f64) -> String) {
        self.text(title, LEFT, 22.0, 14.0, INK);
        let step = step_for(lo, hi);
        let lines = ((hi - lo) / step).round() as u32;
        for k in 0..=lines {
            let v = lo + step * f64::from(k);
            let y = self.y(v, lo, hi);
            self.rect(LEFT, y, self.plot_width(), 1.0, GRID);
            let label = format(v);
            let w = self.measure(&label, 10.0);
            self.text(&label, LEFT - 6.0 - w, y + 4.0, 10.0, GREY);
        }
        let bottom = TOP + self.plot_height();
        self.rect(LEFT, bottom, self.plot_width(), 1.0, GREY);
    }

    /// Every shape is placed in CSS pixels and drawn at `DENSITY`.
    fn transform() -> Transform {
        Transform::from_scale(DENSITY, DENSITY)
    }

    fn paint(color: (u8, u8, u8)) -> Paint<'static> {
        let mut paint = Paint::default();
        paint.set_color_rgba8(color.0, color.1, color.2, 255);
        paint.anti_alias = true;
        paint
    }

    fn rect(&mut self, x: f32, y: f32, w: f32, h: f32, color: (u8, u8, u8)) {
        if let Some(rect) = Rect::from_xywh(x, y, w, h) {
            self.pixmap.fill_rect(rect, &Self::paint(color), Self::transform(), None);
        }
    }

    fn dot(&mut self, x: f32, y: f32, r: f32, color: (u8, u8, u8)) {
        if let Some(path) = PathBuilder::from_circle(x, y, r) {
            self.pixmap.fill_path(&path, &Self::paint(color), FillRule::Winding, Self::transform(), None);
        }
    }

    fn stroke(&mut self, path: &tiny_skia::Path, color: (u8, u8, u8), width: f32, dashed: bool) {
        let stroke = Stroke {
            width,
            dash: if dashed { StrokeDash::new(vec![6.0, 4.0], 0.0) } else { None },
            ..Stroke::default()
        };
        self.pixmap.stroke_path(path, &Self::paint(color), &stroke, Self::transform(), None);
    }

    /// A bar's label under the plot, whole: on two lines when it is long, at a smaller size (down
    /// to 7 px) when a line is still wider than `room`.
    fn label_under(&mut self, label: &str, centre: f32, room: f32) {
        let lines = two_lines(label, ((room / 6.0) as usize).max(4));
        let widest = lines.iter().map(|l| self.measure(l, 11.0)).fold(0.0, f32::max);
        let size = if widest > room { (11.0 * room / widest).max(7.0) } else { 11.0 };
        for (i, line) in lines.iter().enumerate() {
            let baseline = HEIGHT as f32 - BOTTOM + 16.0 + i as f32 * (size + 2.0);
            self.text_centered(line, centre, baseline, size, GREY);
        }
    }

    fn measure(&self, text: &str, size: f32) -> f32 {
        let scaled = self.font.as_scaled(PxScale::from(size));
        text.chars().map(|c| scaled.h_advance(self.font.glyph_id(c))).sum()
    }

    fn text_centered(&mut self, text: &str, x: f32, baseline: f32, size: f32, color: (u8, u8, u8)) {
        let w = self.measure(text, size);
        self.text(text, x - w / 2.0, baseline, size, color);
    }

    /// Draws `text` with its baseline at `baseline` (CSS pixels, drawn at `DENSITY`); returns its width.
    fn text(&mut self, text: &str, x: f32, baseline: f32, size: f32, color: (u8, u8, u8)) -> f32 {
        let scale = PxScale::from(size * DENSITY);
        let scaled = self.font.as_scaled(scale);
        let (x, baseline) = (x * DENSITY, baseline * DENSITY);
        let mut pen = x;
        let (width, height) = (self.pixmap.width() as i32, self.pixmap.height() as i32);
        for c in text.chars() {
            let id = self.font.glyph_id(c);
            let glyph = id.with_scale_and_position(scale, ab_glyph::point(pen, baseline));
            pen += scaled.h_advance(id);
            let Some(outlined) = self.font.outline_glyph(glyph) else { continue };
            let bounds = outlined.px_bounds();
            let pixels = self.pixmap.pixels_mut();
            outlined.draw(|gx, gy, coverage| {
                let (px, py) = (bounds.min.x as i32 + gx as i32, bounds.min.y as i32 + gy as i32);
                if px < 0 || py < 0 || px >= width || py >= height {
                    return;
                }
                let pixel = &mut pixels[(py * width + px) as usize];
                let mix =
                    |under: u8, over: u8| (f32::from(under) * (1.0 - coverage) + f32::from(over) * coverage) as u8;
                if let Some(p) = PremultipliedColorU8::from_rgba(
                    mix(pixel.red(), color.0),
                    mix(pixel.green(), color.1),
                    mix(pixel.blue(), color.2),
                    255,
                ) {
                    *pixel = p;
                }
            });
        }
        (pen - x) / DENSITY
    }

    fn png(self) -> Result<Vec<u8>, ChartError> {
        self.pixmap.encode_png().map_err(|e| ChartError::Png(e.to_string()))
    }
}

/// The characters `text` needs that the chart font lacks (drawn as empty boxes otherwise).
pub fn missing_glyphs(text: &str) -> Vec<char> {
    let Ok(font) = FontRef::try_from_slice(FONT) else { return text.chars().collect() };
    let mut missing: Vec<char> = text.chars().filter(|c| font.glyph_id(*c).0 == 0).collect();
    missing.dedup();
    missing
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn axes_have_round_steps() {
        assert_eq!(axis_range(&[5.0, 3.0, 2.0]), (0.0, 6.0));
        assert_eq!(step_for(0.0, 6.0), 2.0);
        assert_eq!(axis_range(&[1.5, 0.2]), (0.0, 1.5));
        assert_eq!(axis_range(&[392_391.19, 190_203.09]), (0.0, 400_000.0));
        assert_eq!(axis_range(&[-30.0, 10.0]), (-30.0, 10.0));
        assert_eq!(axis_range(&[]), (0.0, 1.0));
    }

    #[test]
    fn charts_are_png_and_deterministic() {
        let labels: Vec<String> = (1..=13).map(|m| format!("M{m}")).collect();
        let series = [Series {
            name: "实际 actual".into(),
            values: (0..13).map(|i| if i == 4 { None } else { Some(f64::from(i) * 10.0) }).collect(),
            color: BLUE,
            dashed: false,
        }];
        let band = Band { point: 130.0, low: 110.0, high: 150.0 };
        let a = line("营收 Revenue", &labels, &series, Some(("预测", band)), |v| format!("{v:.0}")).unwrap();
        let b = line("营收 Revenue", &labels, &series, Some(("预测", band)), |v| format!("{v:.0}")).unwrap();
        assert_eq!(&a[..8], b"\x89PNG\r\n\x1a\n");
        assert_eq!(a, b);
        let bars =
            bars("评级分布", &["A".into(), "B".into()], &[3.0, 5.0], Some((4.0, "目标")), |v| format!("{v:.0}"))
                .unwrap();
        assert_eq!(&bars[..4], b"\x89PNG");
        assert_eq!(&bars[16..24], &[0, 0, 4, 176, 0, 0, 2, 8], "1200 × 520 pixels: twice 600 × 260");
    }

    #[test]
    fn long_labels_wrap_instead_of_being_cut() {
        assert_eq!(two_lines("MQL count", 12), ["MQL count"]);
        assert_eq!(two_lines("Social engagement rate", 12), ["Social", "engagement rate"]);
        assert_eq!(two_lines("社交媒体互动率", 4), ["社交媒体", "互动率"]);
    }

    #[test]
    fn the_font_holds_every_chart_label_and_indicator_name() {
        let mut text = String::new();
        for locale in crate::config::Locale::ALL {
            let labels = super::super::i18n::Labels::load(locale).unwrap();
            text.extend(labels.chart.values().flat_map(|v| v.chars()));
        }
        for card in crate::sql::cards::cards().unwrap() {
            text.push_str(&card.name);
            text.push_str(&card.name_zh);
        }
        text.push_str("0123456789.,-−%…ABCD");
        assert_eq!(missing_glyphs(&text), Vec::<char>::new(), "run scripts/subset-chart-font.sh");
        assert_eq!(missing_glyphs("鬱"), vec!['鬱'], "the check can fail");
    }
}
