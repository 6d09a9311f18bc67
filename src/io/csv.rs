//! The CSV files of a run (`champions.csv`, `transfer-*.csv`, `ablate.csv`, …) as RFC 4180
//! has them: a field with a comma, a quote or a line break is quoted, so a label such as
//! ImageNet's "tench, Tinca tinca" is kept whole, not altered. Written by [`field`], read by
//! [`records`] (the `csv` crate).

use std::borrow::Cow;

/// `s` as one CSV field: as it is, or quoted with its quotes doubled.
pub fn field(s: &str) -> Cow<'_, str> {
    if s.contains([',', '"', '\n', '\r']) {
        Cow::Owned(format!("\"{}\"", s.replace('"', "\"\"")))
    } else {
        Cow::Borrowed(s)
    }
}

/// The records of CSV `text`, header included, each with as many fields as it holds (the
/// caller checks the count); an error says on which line a record cannot be read.
pub fn records(text: &str) -> Result<Vec<(usize, Vec<String>)>, String> {
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(text.as_bytes());
    reader
        .records()
        .map(|r| {
            let r = r.map_err(|e| e.to_string())?;
            let line = r.position().map_or(0, |p| p.line() as usize);
            Ok((line, r.iter().map(str::to_string).collect()))
        })
        .collect()
}
