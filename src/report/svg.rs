//! SVG charts of champion confidence over generations (plotters), inline in the report.

use super::html::esc;
use super::summary::Band;

const PALETTE: [(u8, u8, u8); 10] = [
    (31, 119, 180),
    (255, 127, 14),
    (44, 160, 44),
    (214, 39, 40),
    (148, 103, 189),
    (140, 86, 75),
    (227, 119, 194),
    (127, 127, 127),
    (188, 189, 34),
    (23, 190, 207),
];

/// An SVG chart of champion confidence over generations: shaded bands with a median line
/// each, and plain lines, labelled.
pub(super) fn chart(
    title: &str,
    bands: &[(String, Band)],
    lines: &[(String, Vec<(f64, f64)>)],
) -> String {
    use plotters::prelude::*;
    let mut svg = String::new();
    let gmax = bands
        .iter()
        .flat_map(|(_, b)| b.iter().map(|p| p.0))
        .chain(lines.iter().flat_map(|(_, l)| l.iter().map(|p| p.0)))
        .fold(1.0f64, f64::max);
    {
        let root = SVGBackend::with_string(&mut svg, (760, 380)).into_drawing_area();
        let draw = || -> std::result::Result<(), Box<dyn std::error::Error + '_>> {
            root.fill(&WHITE)?;
            let mut chart = ChartBuilder::on(&root)
                .caption(title, ("sans-serif", 18))
                .margin(12)
                .x_label_area_size(40)
                .y_label_area_size(55)
                .build_cartesian_2d(0f64..gmax, 0f64..1.0)?;
            chart
                .configure_mesh()
                .x_desc("generation")
                .y_desc("champion confidence")
                .draw()?;
            for (i, (label, b)) in bands.iter().enumerate() {
                let (r, g, bl) = PALETTE[i % PALETTE.len()];
                let color = RGBColor(r, g, bl);
                let mut poly: Vec<(f64, f64)> = b.iter().map(|p| (p.0, p.3)).collect();
                poly.extend(b.iter().rev().map(|p| (p.0, p.2)));
                chart.draw_series(std::iter::once(Polygon::new(poly, color.mix(0.18))))?;
                chart
                    .draw_series(LineSeries::new(
                        b.iter().map(|p| (p.0, p.1)),
                        color.stroke_width(2),
                    ))?
                    .label(label.clone())
                    .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 18, y)], color));
            }
            for (i, (label, l)) in lines.iter().enumerate() {
                let (r, g, bl) = PALETTE[(i + bands.len()) % PALETTE.len()];
                let color = RGBColor(r, g, bl);
                chart
                    .draw_series(LineSeries::new(l.iter().copied(), color))?
                    .label(label.clone())
                    .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 18, y)], color));
            }
            if !bands.is_empty() || !lines.is_empty() {
                chart
                    .configure_series_labels()
                    .position(SeriesLabelPosition::LowerRight)
                    .background_style(WHITE.mix(0.85))
                    .border_style(BLACK)
                    .draw()?;
            }
            root.present()?;
            Ok(())
        };
        if let Err(e) = draw() {
            return format!("<p>(chart not drawn: {})</p>", esc(&e.to_string()));
        }
    }
    svg
}
