//! The leadership report's next-period forecast: a least-squares line over the last closed months,
//! with a band of ± 1.96 residual standard deviations (about 95 % if residuals are roughly normal).
//! Deliberately simple and stated in the report: leadership can redo it on the table beside the
//! chart, and a wrong-looking forecast is easy to explain.

/// A forecast with its band.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Forecast {
    pub point: f64,
    pub low: f64,
    pub high: f64,
}

/// The fitted line: value = intercept + slope × index, and the residual standard deviation.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Fit {
    pub intercept: f64,
    pub slope: f64,
    pub residual_sd: f64,
    pub n: usize,
}

/// Fits a line to `values` (consecutive periods, oldest first). Needs at least three.
pub fn fit(values: &[f64]) -> Option<Fit> {
    let n = values.len();
    if n < 3 {
        return None;
    }
    let nf = n as f64;
    let mean_x = (nf - 1.0) / 2.0;
    let mean_y = values.iter().sum::<f64>() / nf;
    let sxx: f64 = (0..n).map(|i| (i as f64 - mean_x).powi(2)).sum();
    let sxy: f64 = values.iter().enumerate().map(|(i, y)| (i as f64 - mean_x) * (y - mean_y)).sum();
    let slope = sxy / sxx;
    let intercept = mean_y - slope * mean_x;
    let ssr: f64 = values.iter().enumerate().map(|(i, y)| (y - intercept - slope * i as f64).powi(2)).sum();
    Some(Fit { intercept, slope, residual_sd: (ssr / (nf - 2.0)).sqrt(), n })
}

impl Fit {
    /// The value `steps` periods after the last one fitted (1 = the next period).
    pub fn at(&self, steps: usize) -> f64 {
        self.intercept + self.slope * (self.n - 1 + steps) as f64
    }

    pub fn next(&self) -> Forecast {
        let point = self.at(1);
        Forecast { point, low: point - 1.96 * self.residual_sd, high: point + 1.96 * self.residual_sd }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_straight_line_is_continued_with_no_band() {
        let f = fit(&[10.0, 12.0, 14.0, 16.0]).unwrap();
        assert!((f.slope - 2.0).abs() < 1e-12 && (f.intercept - 10.0).abs() < 1e-12);
        assert_eq!(f.next(), Forecast { point: 18.0, low: 18.0, high: 18.0 });
        assert!((f.at(3) - 22.0).abs() < 1e-12);
    }

    #[test]
    fn noise_widens_the_band() {
        // y = 1, 3, 2, 4: slope 0.8, intercept 1.3; residuals -0.3, 0.9, -0.9, 0.3; SSR 1.8; sd √0.9.
        let f = fit(&[1.0, 3.0, 2.0, 4.0]).unwrap();
        assert!((f.slope - 0.8).abs() < 1e-12);
        let next = f.next();
        assert!((next.point - 4.5).abs() < 1e-12);
        assert!((next.high - next.point - 1.96 * 0.9f64.sqrt()).abs() < 1e-12);
        assert!(fit(&[1.0, 2.0]).is_none(), "two points leave no residual");
    }
}
