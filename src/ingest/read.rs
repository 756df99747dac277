//! Reading one export file as rows of text cells, whatever its format and encoding.
//!
//! CSV and JSON lines are streamed (optionally gzip-compressed, `.gz`), decoded from UTF-8 (a BOM is
//! skipped) or GBK/GB18030; Parquet is streamed batch by batch; XLSX is read whole (workbooks are
//! small). Each row keeps the line (CSV, JSON lines), spreadsheet row (XLSX) or row number (Parquet)
//! it came from, so a reject can point at it.

use std::collections::VecDeque;
use std::fs::File;
use std::io::{BufRead, BufReader, Read};
use std::path::Path;
use std::sync::{Arc, Mutex};

use calamine::{Data, Reader as _};
use datafusion::arrow::array::RecordBatch;
use datafusion::arrow::util::display::{ArrayFormatter, FormatOptions};
use datafusion::parquet::arrow::arrow_reader::{ParquetRecordBatchReader, ParquetRecordBatchReaderBuilder};

use crate::config::{Encoding, Format, Source};

/// One row as read: its position and a cell per header (`None` for an absent or empty cell).
#[derive(Debug)]
pub struct RawRow {
    pub line: u64,
    pub cells: Vec<Option<String>>,
}

/// A row that could not even be split into cells.
#[derive(Debug)]
pub struct BrokenRow {
    pub line: u64,
    pub raw: String,
    pub reason: String,
    /// The rest of the file cannot be read (I/O or decompression error): hold the file back.
    pub fatal: bool,
}

pub type RowResult = Result<RawRow, BrokenRow>;

/// Opens an export: its header and an iterator over its rows.
pub struct Export {
    pub headers: Vec<String>,
    rows: Rows,
    finished: bool,
}

enum Rows {
    Csv {
        reader: csv::Reader<LineCounter>,
        lines: Lines,
        width: usize,
        delimiter: u8,
    },
    Jsonl {
        lines: std::io::Lines<BufReader<Box<dyn Read + Send>>>,
        line: u64,
        first: Option<(u64, serde_json::Map<String, serde_json::Value>)>,
    },
    Parquet {
        reader: ParquetRecordBatchReader,
        batch: Option<(RecordBatch, usize)>,
        row: u64,
    },
    Sheet {
        rows: std::vec::IntoIter<(u64, Vec<Option<String>>)>,
    },
}

impl Export {
    pub fn open(
        path: &Path,
        format: Format,
        encoding: Encoding,
        delimiter: u8,
        sheet: Option<&str>,
    ) -> Result<Export, String> {
        match format {
            Format::Csv => {
                let lines = Lines::default();
                let counted = LineCounter { inner: text_reader(path, encoding)?, offset: 0, lines: lines.clone() };
                let mut reader = csv::ReaderBuilder::new()
                    .delimiter(delimiter)
                    .flexible(true)
                    .has_headers(true)
                    .from_reader(counted);
                let headers: Vec<String> = reader
                    .byte_headers()
                    .map_err(|e| format!("cannot read the header line: {e}"))?
                    .iter()
                    .map(|h| clean_header(&String::from_utf8_lossy(h)))
                    .collect();
                let width = headers.len();
                Ok(Export { headers, rows: Rows::Csv { reader, lines, width, delimiter }, finished: false })
            }
            Format::Jsonl => {
                let mut lines = BufReader::new(text_reader(path, encoding)?).lines();
                let mut line = 0;
                // The first object's keys are the header.
                loop {
                    line += 1;
                    match lines.next() {
                        None => {
                            return Ok(Export {
                                headers: Vec::new(),
                                rows: Rows::Jsonl { lines, line, first: None },
                                finished: true,
                            });
                        }
                        Some(Err(e)) => return Err(format!("line {line}: {e}")),
                        Some(Ok(text)) if text.trim().is_empty() => continue,
                        Some(Ok(text)) => {
                            let object = parse_object(&text).map_err(|e| format!("line {line}: {e}"))?;
                            let headers = object.keys().map(|k| clean_header(k)).collect();
                            return Ok(Export {
                                headers,
                                rows: Rows::Jsonl { lines, line, first: Some((line, object)) },
                                finished: false,
                            });
                        }
                    }
                }
            }
            Format::Parquet => {
                let file = File::open(path).map_err(|e| e.to_string())?;
                let builder = ParquetRecordBatchReaderBuilder::try_new(file)
                    .map_err(|e| format!("not a readable Parquet file: {e}"))?;
                let headers = builder.schema().fields().iter().map(|f| clean_header(f.name())).collect();
                let reader = builder.with_batch_size(8192).build().map_err(|e| e.to_string())?;
                Ok(Export { headers, rows: Rows::Parquet { reader, batch: None, row: 0 }, finished: false })
            }
            Format::Xlsx => read_sheet(path, sheet),
        }
    }

    pub fn next_row(&mut self) -> Option<RowResult> {
        if self.finished {
            return None;
        }
        let row = self.read_row();
        if let Some(Err(BrokenRow { fatal: true, .. })) | None = &row {
            self.finished = true;
        }
        row
    }

    fn read_row(&mut self) -> Option<RowResult> {
        let headers = &self.headers;
        match &mut self.rows {
            Rows::Csv { reader, lines, width, delimiter } => loop {
                let mut record = csv::ByteRecord::new();
                match reader.read_byte_record(&mut record) {
                    Ok(false) => return None,
                    Ok(true) => {
                        let line = record.position().map(|p| lines.line_at(p.byte())).unwrap_or(0);
                        let cells: Vec<String> =
                            record.iter().map(|c| String::from_utf8_lossy(c).into_owned()).collect();
                        if cells.len() == *width {
                            return Some(Ok(RawRow { line, cells: cells.into_iter().map(non_empty).collect() }));
                        }
                        if cells.len() == 1 && cells[0].trim().is_empty() {
                            continue; // a blank line
                        }
                        let sep = (*delimiter as char).to_string();
                        return Some(Err(BrokenRow {
                            line,
                            raw: cells.join(&sep),
                            reason: format!("row has {} fields but the header has {}", cells.len(), width),
                            fatal: false,
                        }));
                    }
                    Err(e) => {
                        let line = e.position().map(|p| lines.line_at(p.byte())).unwrap_or(0);
                        return Some(Err(BrokenRow {
                            line,
                            raw: String::new(),
                            reason: format!("unreadable CSV: {e}"),
                            fatal: true,
                        }));
                    }
                }
            },
            Rows::Jsonl { lines, line, first } => {
                if let Some((line, object)) = first.take() {
                    return Some(Ok(json_row(line, &object, headers)));
                }
                loop {
                    *line += 1;
                    let text = match lines.next()? {
                        Ok(t) => t,
                        Err(e) => {
                            return Some(Err(BrokenRow {
                                line: *line,
                                raw: String::new(),
                                reason: e.to_string(),
                                fatal: true,
                            }));
                        }
                    };
                    if text.trim().is_empty() {
                        continue;
                    }
                    return Some(match parse_object(&text) {
                        Ok(object) => Ok(json_row(*line, &object, headers)),
                        Err(reason) => Err(BrokenRow { line: *line, raw: text, reason, fatal: false }),
                    });
                }
            }
            Rows::Parquet { reader, batch, row } => loop {
                if let Some((b, i)) = batch
                    && *i < b.num_rows()
                {
                    let options = FormatOptions::default().with_null("");
                    let mut cells = Vec::with_capacity(b.num_columns());
                    for column in b.columns() {
                        let text = match ArrayFormatter::try_new(column.as_ref(), &options) {
                            Ok(f) => f.value(*i).to_string(),
                            Err(e) => {
                                return Some(Err(BrokenRow {
                                    line: *row + 1,
                                    raw: String::new(),
                                    reason: e.to_string(),
                                    fatal: true,
                                }));
                            }
                        };
                        cells.push(non_empty(text));
                    }
                    *i += 1;
                    *row += 1;
                    return Some(Ok(RawRow { line: *row, cells }));
                }
                match reader.next()? {
                    Ok(b) => *batch = Some((b, 0)),
                    Err(e) => {
                        return Some(Err(BrokenRow {
                            line: *row + 1,
                            raw: String::new(),
                            reason: format!("unreadable Parquet: {e}"),
                            fatal: true,
                        }));
                    }
                }
            },
            Rows::Sheet { rows } => rows.next().map(|(line, cells)| Ok(RawRow { line, cells })),
        }
    }
}

/// Line numbers for the records the CSV parser reads. The csv crate reports a record's start as the
/// end of the previous one (before or inside its line ending), so a record's first line is found by
/// skipping the line-ending bytes that follow that position. Only bytes read ahead are kept.
#[derive(Clone, Default)]
struct Lines(Arc<Mutex<LineState>>);

#[derive(Default)]
struct LineState {
    /// Offsets of `\r` and `\n` bytes not yet passed by a record, with whether each is `\n`.
    ahead: VecDeque<(u64, bool)>,
    /// `\n` bytes already passed.
    passed: u64,
}

impl Lines {
    /// The 1-based line a record reported at `offset` starts on; offsets only grow.
    fn line_at(&self, offset: u64) -> u64 {
        let mut state = self.0.lock().unwrap_or_else(|e| e.into_inner());
        let mut start = offset;
        while let Some(&(at, newline)) = state.ahead.front() {
            if at > start {
                break;
            }
            if at == start {
                start += 1;
            }
            state.ahead.pop_front();
            state.passed += u64::from(newline);
        }
        state.passed + 1
    }
}

struct LineCounter {
    inner: Box<dyn Read + Send>,
    offset: u64,
    lines: Lines,
}

impl Read for LineCounter {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        let mut state = self.lines.0.lock().unwrap_or_else(|e| e.into_inner());
        for (i, b) in buf[..n].iter().enumerate() {
            if *b == b'\n' || *b == b'\r' {
                state.ahead.push_back((self.offset + i as u64, *b == b'\n'));
            }
        }
        self.offset += n as u64;
        Ok(n)
    }
}

/// Bytes of a file, decompressed if it ends in `.gz`.
fn byte_reader(path: &Path) -> Result<Box<dyn Read + Send>, String> {
    let file = File::open(path).map_err(|e| e.to_string())?;
    let file = BufReader::with_capacity(256 * 1024, file);
    if path.extension().is_some_and(|e| e.eq_ignore_ascii_case("gz")) {
        Ok(Box::new(flate2::read::MultiGzDecoder::new(file)))
    } else {
        Ok(Box::new(file))
    }
}

/// UTF-8 text of a file in the given encoding. A UTF-8 BOM is skipped; undecodable bytes become
/// U+FFFD, which the cell parser then rejects with a hint about the encoding.
fn text_reader(path: &Path, encoding: Encoding) -> Result<Box<dyn Read + Send>, String> {
    let encoding = match encoding {
        Encoding::Utf8 => encoding_rs::UTF_8,
        Encoding::Gbk => encoding_rs::GB18030,
    };
    let decoder = encoding_rs_io::DecodeReaderBytesBuilder::new().encoding(Some(encoding)).build(byte_reader(path)?);
    Ok(Box::new(BufReader::with_capacity(256 * 1024, decoder)))
}

fn clean_header(h: &str) -> String {
    h.trim_matches(|c: char| c.is_whitespace() || c == '\u{feff}').to_string()
}

fn non_empty(s: String) -> Option<String> {
    if s.trim().is_empty() { None } else { Some(s) }
}

fn parse_object(text: &str) -> Result<serde_json::Map<String, serde_json::Value>, String> {
    match serde_json::from_str::<serde_json::Value>(text) {
        Ok(serde_json::Value::Object(o)) => Ok(o),
        Ok(_) => Err("a JSON lines row must be an object".into()),
        Err(e) => Err(format!("not valid JSON: {e}")),
    }
}

fn json_row(line: u64, object: &serde_json::Map<String, serde_json::Value>, headers: &[String]) -> RawRow {
    let cells = headers
        .iter()
        .map(|h| match object.get(h) {
            None | Some(serde_json::Value::Null) => None,
            Some(serde_json::Value::String(s)) => non_empty(s.clone()),
            Some(other) => Some(other.to_string()),
        })
        .collect();
    RawRow { line, cells }
}

fn read_sheet(path: &Path, sheet: Option<&str>) -> Result<Export, String> {
    let mut workbook = calamine::open_workbook_auto(path).map_err(|e| format!("not a readable workbook: {e}"))?;
    let names = workbook.sheet_names();
    let name = match sheet {
        Some(s) if names.iter().any(|n| n == s) => s.to_string(),
        Some(s) => return Err(format!("the workbook has no sheet `{s}`; its sheets are {}", names.join(", "))),
        None => names.first().cloned().ok_or("the workbook has no sheets")?,
    };
    let range = workbook.worksheet_range(&name).map_err(|e| format!("sheet `{name}`: {e}"))?;
    let first_row = u64::from(range.start().map(|(r, _)| r).unwrap_or(0)) + 1;
    let mut rows = range.rows();
    let headers: Vec<String> = rows
        .next()
        .map(|r| r.iter().map(|c| clean_header(&cell_text(c).unwrap_or_default())).collect())
        .unwrap_or_default();
    let rows: Vec<(u64, Vec<Option<String>>)> = rows
        .enumerate()
        .map(|(i, r)| (first_row + 1 + i as u64, r.iter().map(cell_text).collect::<Vec<_>>()))
        .filter(|(_, cells)| cells.iter().any(Option::is_some))
        .collect();
    Ok(Export { headers, rows: Rows::Sheet { rows: rows.into_iter() }, finished: false })
}

fn cell_text(cell: &Data) -> Option<String> {
    match cell {
        Data::Empty => None,
        Data::String(s) => non_empty(s.clone()),
        Data::Float(f) if f.fract() == 0.0 && f.abs() < 1e15 => Some(format!("{}", *f as i64)),
        Data::Float(f) => Some(f.to_string()),
        Data::Int(i) => Some(i.to_string()),
        Data::Bool(b) => Some(b.to_string()),
        Data::DateTime(d) => match d.as_datetime() {
            Some(t) => Some(t.format("%Y-%m-%d %H:%M:%S").to_string()),
            None => Some(d.as_f64().to_string()),
        },
        Data::DateTimeIso(s) | Data::DurationIso(s) => Some(s.clone()),
        Data::Error(e) => Some(format!("#{e:?}")),
    }
}

/// Where each canonical column is in an export's header; every missing required (or explicitly
/// mapped) column is a problem naming the file, the column and the mapping key that fixes it.
pub fn map_columns(
    source: &Source,
    headers: &[String],
    display: &str,
    config_file: &str,
) -> Result<Vec<Option<usize>>, Vec<String>> {
    let dataset = source.dataset;
    let mut positions = Vec::with_capacity(dataset.columns.len());
    let mut missing = Vec::new();
    for column in dataset.columns {
        let header = source.header_for(column.name);
        let at = headers.iter().position(|h| h.eq_ignore_ascii_case(header));
        if at.is_none() && (column.required || source.columns.contains_key(column.name)) {
            missing.push(format!(
                "{display}: column `{}` of `{}` not found (looked for the header \"{header}\"; the file's headers are: {}); fix: set `sources.{}.columns.{} = \"<its header in the export>\"` in {config_file}",
                column.name,
                dataset.name,
                headers.join(", "),
                source.name,
                column.name,
            ));
        }
        positions.push(at);
    }
    if missing.is_empty() { Ok(positions) } else { Err(missing) }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lines(content: &str) -> Vec<u64> {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("x.csv");
        std::fs::write(&path, content).unwrap();
        let mut export = Export::open(&path, Format::Csv, Encoding::Utf8, b',', None).unwrap();
        let mut lines = Vec::new();
        while let Some(row) = export.next_row() {
            lines.push(match row {
                Ok(r) => r.line,
                Err(b) => b.line,
            });
        }
        lines
    }

    #[test]
    fn csv_rows_know_their_line_whatever_the_line_ending() {
        assert_eq!(lines("a,b\n1,2\n3,4\n"), vec![2, 3]);
        assert_eq!(lines("a,b\r\n1,2\r\n3,4\r\n"), vec![2, 3]);
        assert_eq!(lines("\u{feff}a,b\r\n1,2\r\n\"x\ny\",4\r\n5,6,7\r\n"), vec![2, 3, 5]);
        assert_eq!(lines("a,b\n1,2\n\n\n3,4\n"), vec![2, 5]);
        assert_eq!(lines("a,b\r\n1,2\r\n\r\n3,4"), vec![2, 4]);
    }
}
