//! Writing the demo exports the way real systems write them: CSV (UTF-8, UTF-8 with BOM or GBK,
//! optionally gzip), JSON lines, and Parquet; all byte-for-byte reproducible.

use std::io::Write;
use std::path::Path;
use std::sync::Arc;

use chrono::NaiveDate;
use datafusion::arrow::array::{ArrayRef, Date32Builder, Decimal128Builder, RecordBatch, StringBuilder};
use datafusion::arrow::datatypes::{DataType, Field, Schema};
use datafusion::parquet::arrow::ArrowWriter;
use datafusion::parquet::basic::Compression;
use datafusion::parquet::file::properties::WriterProperties;

#[derive(Clone, Copy, PartialEq, Eq)]
enum Encoding {
    Utf8,
    Utf8Bom,
    Gbk,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    Csv,
    Jsonl,
}

/// A text export being built.
pub struct Text {
    path: String,
    encoding: Encoding,
    gzip: bool,
    kind: Kind,
    columns: Vec<String>,
    body: String,
}

impl Text {
    pub fn new(path: &str) -> Text {
        Text {
            path: path.to_string(),
            encoding: Encoding::Utf8,
            gzip: false,
            kind: Kind::Csv,
            columns: Vec::new(),
            body: String::new(),
        }
    }

    pub fn bom(mut self) -> Text {
        self.encoding = Encoding::Utf8Bom;
        self
    }

    pub fn gbk(mut self) -> Text {
        self.encoding = Encoding::Gbk;
        self
    }

    pub fn gzip(mut self) -> Text {
        self.gzip = true;
        self
    }

    pub fn header(mut self, columns: &[&str]) -> Text {
        self.kind = Kind::Csv;
        self.columns = columns.iter().map(|c| c.to_string()).collect();
        self.row(columns);
        self
    }

    pub fn jsonl(mut self, columns: &[&str]) -> Text {
        self.kind = Kind::Jsonl;
        self.columns = columns.iter().map(|c| c.to_string()).collect();
        self
    }

    pub fn row(&mut self, cells: &[&str]) {
        match self.kind {
            Kind::Csv => {
                let line: Vec<String> = cells.iter().map(|c| csv_cell(c)).collect();
                self.body.push_str(&line.join(","));
                self.body.push_str("\r\n");
            }
            Kind::Jsonl => {
                let fields: Vec<String> = self
                    .columns
                    .iter()
                    .zip(cells)
                    .map(|(k, v)| format!("{}:{}", serde_json::Value::from(k.as_str()), serde_json::Value::from(*v)))
                    .collect();
                self.body.push('{');
                self.body.push_str(&fields.join(","));
                self.body.push_str("}\n");
            }
        }
    }

    fn bytes(&self) -> Vec<u8> {
        let mut bytes = match self.encoding {
            Encoding::Utf8 => self.body.as_bytes().to_vec(),
            Encoding::Utf8Bom => [b"\xEF\xBB\xBF".as_slice(), self.body.as_bytes()].concat(),
            Encoding::Gbk => encoding_rs::GBK.encode(&self.body).0.into_owned(),
        };
        if self.gzip {
            let mut gz = flate2::GzBuilder::new().mtime(0).write(Vec::new(), flate2::Compression::new(6));
            // Writing to a Vec cannot fail.
            let _ = gz.write_all(&bytes);
            bytes = gz.finish().unwrap_or_default();
        }
        bytes
    }
}

/// A large CSV export written row by row as it is generated: memory stays flat whatever its size.
pub struct CsvStream {
    path: String,
    file: std::io::BufWriter<std::fs::File>,
    line: String,
    bytes: u64,
}

impl CsvStream {
    /// Creates `out/path` (and its folders) with the header row.
    pub fn create(out: &Path, path: &str, columns: &[&str]) -> std::io::Result<CsvStream> {
        let target = out.join(path);
        if let Some(dir) = target.parent() {
            std::fs::create_dir_all(dir)?;
        }
        let file = std::io::BufWriter::with_capacity(1 << 20, std::fs::File::create(&target)?);
        let mut stream = CsvStream { path: path.to_string(), file, line: String::new(), bytes: 0 };
        stream.row(columns)?;
        Ok(stream)
    }

    pub fn row(&mut self, cells: &[&str]) -> std::io::Result<()> {
        self.line.clear();
        for (i, cell) in cells.iter().enumerate() {
            if i > 0 {
                self.line.push(',');
            }
            if cell.contains([',', '"', '\n', '\r']) {
                self.line.push_str(&csv_cell(cell));
            } else {
                self.line.push_str(cell);
            }
        }
        self.line.push_str("\r\n");
        self.bytes += self.line.len() as u64;
        self.file.write_all(self.line.as_bytes())
    }

    /// Flushes and returns the path written and its size.
    pub fn finish(mut self) -> std::io::Result<(String, u64)> {
        self.file.flush()?;
        Ok((self.path, self.bytes))
    }
}

fn csv_cell(cell: &str) -> String {
    if cell.contains([',', '"', '\n', '\r']) { format!("\"{}\"", cell.replace('"', "\"\"")) } else { cell.to_string() }
}

/// One day of one campaign's spend.
#[derive(Clone, Copy)]
pub struct SpendRow<'a> {
    pub date: NaiveDate,
    pub channel: &'a str,
    pub campaign: &'a str,
    pub team: &'a str,
    pub cents: i64,
}

/// Every file of a demo data set, in memory until written.
#[derive(Default)]
pub struct Files {
    files: Vec<(String, Vec<u8>)>,
}

impl Files {
    pub fn add(&mut self, text: Text) {
        let bytes = text.bytes();
        self.files.push((text.path, bytes));
    }

    /// Ad spend as an ads platform's Parquet export: typed date and decimal cost.
    pub fn add_spend(&mut self, path: &str, rows: Vec<SpendRow<'_>>) {
        let schema = Arc::new(Schema::new(vec![
            Field::new("date", DataType::Date32, false),
            Field::new("channel", DataType::Utf8, false),
            Field::new("campaign_id", DataType::Utf8, true),
            Field::new("team_id", DataType::Utf8, true),
            Field::new("cost", DataType::Decimal128(12, 2), false),
            Field::new("currency", DataType::Utf8, false),
        ]));
        let epoch = NaiveDate::from_ymd_opt(1970, 1, 1).unwrap_or_default();
        let mut date = Date32Builder::new();
        let (mut channel, mut campaign, mut team, mut currency) =
            (StringBuilder::new(), StringBuilder::new(), StringBuilder::new(), StringBuilder::new());
        let mut cost =
            Decimal128Builder::new().with_precision_and_scale(12, 2).unwrap_or_else(|_| Decimal128Builder::new());
        for r in &rows {
            date.append_value((r.date - epoch).num_days() as i32);
            channel.append_value(r.channel);
            campaign.append_value(r.campaign);
            team.append_value(r.team);
            cost.append_value(i128::from(r.cents));
            currency.append_value("CNY");
        }
        let columns: Vec<ArrayRef> = vec![
            Arc::new(date.finish()),
            Arc::new(channel.finish()),
            Arc::new(campaign.finish()),
            Arc::new(team.finish()),
            Arc::new(cost.finish()),
            Arc::new(currency.finish()),
        ];
        let props = WriterProperties::builder()
            .set_compression(Compression::SNAPPY)
            .set_created_by("demo ads platform export".into())
            .build();
        let mut bytes = Vec::new();
        let written = RecordBatch::try_new(schema.clone(), columns).map_err(|e| e.to_string()).and_then(|batch| {
            let mut writer = ArrowWriter::try_new(&mut bytes, schema, Some(props)).map_err(|e| e.to_string())?;
            writer.write(&batch).map_err(|e| e.to_string())?;
            writer.close().map_err(|e| e.to_string())
        });
        if let Err(e) = written {
            // Only a bug in the generator can get here; make it loud in the output instead of silent.
            bytes = format!("demo generator failed to write Parquet: {e}").into_bytes();
        }
        self.files.push((path.to_string(), bytes));
    }

    /// The list of planted records, sorted.
    pub fn planted(&mut self, planted: &[[String; 4]]) {
        let mut rows: Vec<&[String; 4]> = planted.iter().collect();
        rows.sort();
        rows.dedup_by(|a, b| a[..3] == b[..3]);
        let mut text = Text::new("planted.csv").header(&["dataset", "record_key", "rule", "detail"]);
        for r in rows {
            text.row(&r.iter().map(String::as_str).collect::<Vec<_>>());
        }
        self.add(text);
    }

    /// Writes everything under `out`, replacing `out/exports` and `out/planted.csv`.
    pub fn write(self, out: &Path) -> std::io::Result<Vec<(String, u64)>> {
        let exports = out.join("exports");
        if exports.exists() {
            std::fs::remove_dir_all(&exports)?;
        }
        self.write_beside(out)
    }

    /// Writes everything under `out`, beside what is already there.
    pub fn write_beside(self, out: &Path) -> std::io::Result<Vec<(String, u64)>> {
        let mut written = Vec::new();
        for (path, bytes) in self.files {
            let target = out.join(&path);
            if let Some(dir) = target.parent() {
                std::fs::create_dir_all(dir)?;
            }
            std::fs::write(&target, &bytes)?;
            written.push((path, bytes.len() as u64));
        }
        written.sort();
        Ok(written)
    }
}
