//! Columnar input: a Parquet file's rows in, one JSON line per row out, holding the configured
//! fields. The input stage spools these lines as it spools a decompressed file, so a Parquet
//! document's location is a byte range of a plain file and its line number is its row (from 1).
//!
//! Text fields are read from `utf8`, `large_utf8` and `utf8_view` columns; the id also from
//! integer columns (as a decimal string); the date also from `date32` and timestamp columns (as
//! RFC 3339, UTC); any of these also dictionary-encoded. Only the configured columns are decoded.

use std::borrow::Cow;
use std::fs::File;
use std::io::{self, Write};
use std::path::Path;

use arrow_array::cast::AsArray;
use arrow_array::types::{
    Date32Type, Int16Type, Int32Type, Int64Type, Int8Type, TimestampMicrosecondType, TimestampMillisecondType,
    TimestampNanosecondType, TimestampSecondType, UInt16Type, UInt32Type, UInt64Type, UInt8Type,
};
use arrow_array::Array;
use arrow_schema::{DataType, TimeUnit};
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use parquet::arrow::ProjectionMask;

use crate::config::Fields;
use crate::error::ColumnError;

/// Rows decoded at a time.
const ROWS_PER_BATCH: usize = 4096;

/// Why a Parquet file was not (fully) turned into lines.
#[derive(Debug)]
pub(crate) enum RowsError {
    /// Not readable as Parquet at all: the file is skipped.
    Unreadable(String),
    /// Corrupt after `rows` rows: the rows before are kept.
    Truncated { rows: u64, message: String },
    /// A configured column is missing or cannot hold its field: the run stops.
    Column(ColumnError),
    /// Writing the lines failed.
    Write(io::Error),
}

/// What a column may hold, by the field it feeds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Role {
    Text,
    Id,
    Date,
    Meta,
}

impl Role {
    fn reads(self, t: &DataType) -> bool {
        use DataType::*;
        match t {
            Utf8 | LargeUtf8 | Utf8View => true,
            // A dictionary-encoded column (pandas' `category`): what its values are.
            Dictionary(_, values) => self.reads(values),
            Int8 | Int16 | Int32 | Int64 | UInt8 | UInt16 | UInt32 | UInt64 => self != Role::Text,
            Date32 | Timestamp(..) => self == Role::Date,
            _ => false,
        }
    }

    fn expected(self) -> &'static str {
        match self {
            Role::Text => "utf8, large_utf8 or utf8_view",
            Role::Id | Role::Meta => "strings (utf8, large_utf8, utf8_view) or integers",
            Role::Date => "strings (utf8, large_utf8, utf8_view), integers, date32 or timestamps",
        }
    }
}

/// The configured fields: (column, flag naming it, role).
fn wanted(fields: &Fields) -> [(&str, &'static str, Role); 6] {
    [
        (&fields.id, "--id-field", Role::Id),
        (&fields.text, "--text-field", Role::Text),
        (&fields.title, "--title-field", Role::Meta),
        (&fields.date, "--date-field", Role::Date),
        (&fields.source, "--source-field", Role::Meta),
        (&fields.url, "--url-field", Role::Meta),
    ]
}

/// Indices in `schema` of the configured fields' columns; a missing text column or a column of
/// a type its field cannot hold is an error naming `name`.
fn resolve(schema: &arrow_schema::Schema, name: &str, fields: &Fields) -> Result<Vec<usize>, ColumnError> {
    let mut roots = Vec::new();
    for (column, flag, role) in wanted(fields) {
        match schema.index_of(column) {
            Ok(i) => {
                let t = schema.field(i).data_type();
                if !role.reads(t) {
                    return Err(ColumnError::Type {
                        file: name.to_string(),
                        column: column.to_string(),
                        flag,
                        found: t.to_string(),
                        expected: role.expected(),
                    });
                }
                roots.push(i);
            }
            Err(_) if role == Role::Text => {
                let columns = schema.fields().iter().map(|f| format!("{:?}", f.name())).collect::<Vec<_>>();
                return Err(ColumnError::Missing {
                    file: name.to_string(),
                    column: column.to_string(),
                    flag,
                    columns: columns.join(", "),
                });
            }
            Err(_) => {}
        }
    }
    Ok(roots)
}

/// Writes each row of `batch` as one JSON line of the configured fields.
fn write_batch_rows(batch: &arrow_array::RecordBatch, fields: &Fields, out: &mut impl Write) -> io::Result<u64> {
    let columns: Vec<(&str, Column)> = wanted(fields)
        .iter()
        .filter_map(|&(column, _, _)| batch.column_by_name(column).map(|a| (column, Column::of(a.as_ref()))))
        .collect();
    for row in 0..batch.num_rows() {
        write_row(out, &columns, row)?;
    }
    Ok(batch.num_rows() as u64)
}

/// Writes one JSON object per row of the Parquet file at `path` to `out`, with the configured
/// fields under their configured names (a null cell as `null`). Returns the rows written.
pub(crate) fn parquet_to_jsonl(
    path: &Path,
    name: &str,
    fields: &Fields,
    out: &mut impl Write,
) -> Result<u64, RowsError> {
    let file = File::open(path).map_err(|e| RowsError::Unreadable(e.to_string()))?;
    let builder = ParquetRecordBatchReaderBuilder::try_new(file).map_err(|e| RowsError::Unreadable(e.to_string()))?;
    let roots = resolve(builder.schema(), name, fields).map_err(RowsError::Column)?;
    let mask = ProjectionMask::roots(builder.parquet_schema(), roots);
    let reader = builder
        .with_projection(mask)
        .with_batch_size(ROWS_PER_BATCH)
        .build()
        .map_err(|e| RowsError::Unreadable(e.to_string()))?;
    let mut rows = 0u64;
    for batch in reader {
        let batch = batch.map_err(|e| RowsError::Truncated { rows, message: e.to_string() })?;
        rows += write_batch_rows(&batch, fields, out).map_err(RowsError::Write)?;
    }
    Ok(rows)
}

/// [`parquet_to_jsonl`] for an Arrow IPC stream (`sign --ipc` reads its documents so).
pub(crate) fn ipc_to_jsonl(input: impl io::Read, fields: &Fields, out: &mut impl Write) -> crate::error::Result<u64> {
    use crate::error::{Error, StageError};
    let name = "<stdin>";
    let bad = |e: arrow_schema::ArrowError| -> Error {
        StageError::Table { place: name.into(), why: format!("not an Arrow IPC stream: {e}") }.into()
    };
    let reader = arrow_ipc::reader::StreamReader::try_new(input, None).map_err(bad)?;
    resolve(&reader.schema(), name, fields)?;
    let mut rows = 0u64;
    for batch in reader {
        rows += write_batch_rows(&batch.map_err(bad)?, fields, out).map_err(|e| Error::io(name, e))?;
    }
    Ok(rows)
}

/// A column of a batch, its cells found by row.
enum Column<'a> {
    Plain(&'a dyn Array),
    /// A dictionary-encoded column: each row's index into `values` (none when every row is null).
    Dictionary {
        array: &'a dyn Array,
        values: &'a dyn Array,
        keys: Vec<usize>,
    },
}

impl<'a> Column<'a> {
    fn of(array: &'a dyn Array) -> Self {
        match array.as_any_dictionary_opt() {
            Some(d) => {
                let values = d.values().as_ref();
                let keys = if values.is_empty() { Vec::new() } else { d.normalized_keys() };
                Column::Dictionary { array, values, keys }
            }
            None => Column::Plain(array),
        }
    }

    /// The cell of `row` as text, as [`cell`] says.
    fn cell(&self, row: usize) -> Option<Cow<'a, str>> {
        match self {
            Column::Plain(array) => cell(*array, row),
            Column::Dictionary { array, values, keys } => {
                if array.is_null(row) {
                    return None;
                }
                cell(*values, *keys.get(row)?)
            }
        }
    }
}

fn write_row(out: &mut impl Write, columns: &[(&str, Column)], row: usize) -> io::Result<()> {
    out.write_all(b"{")?;
    let mut first = true;
    for (key, column) in columns {
        if !first {
            out.write_all(b",")?;
        }
        first = false;
        serde_json::to_writer(&mut *out, key)?;
        out.write_all(b":")?;
        match column.cell(row) {
            Some(value) => serde_json::to_writer(&mut *out, value.as_ref())?,
            None => out.write_all(b"null")?,
        }
    }
    out.write_all(b"}\n")
}

/// One cell as text; `None` when null (or of a type [`Role::reads`] refused).
fn cell(array: &dyn Array, row: usize) -> Option<Cow<'_, str>> {
    if array.is_null(row) {
        return None;
    }
    let owned = |s: String| Some(Cow::Owned(s));
    match array.data_type() {
        DataType::Utf8 => Some(Cow::Borrowed(array.as_string::<i32>().value(row))),
        DataType::LargeUtf8 => Some(Cow::Borrowed(array.as_string::<i64>().value(row))),
        DataType::Utf8View => Some(Cow::Borrowed(array.as_string_view().value(row))),
        DataType::Int8 => owned(array.as_primitive::<Int8Type>().value(row).to_string()),
        DataType::Int16 => owned(array.as_primitive::<Int16Type>().value(row).to_string()),
        DataType::Int32 => owned(array.as_primitive::<Int32Type>().value(row).to_string()),
        DataType::Int64 => owned(array.as_primitive::<Int64Type>().value(row).to_string()),
        DataType::UInt8 => owned(array.as_primitive::<UInt8Type>().value(row).to_string()),
        DataType::UInt16 => owned(array.as_primitive::<UInt16Type>().value(row).to_string()),
        DataType::UInt32 => owned(array.as_primitive::<UInt32Type>().value(row).to_string()),
        DataType::UInt64 => owned(array.as_primitive::<UInt64Type>().value(row).to_string()),
        DataType::Date32 => {
            let days = array.as_primitive::<Date32Type>().value(row);
            let date = chrono::DateTime::from_timestamp(i64::from(days) * 86_400, 0)?;
            owned(date.format("%Y-%m-%d").to_string())
        }
        DataType::Timestamp(unit, _) => {
            let (secs, nanos) = match unit {
                TimeUnit::Second => (array.as_primitive::<TimestampSecondType>().value(row), 0),
                TimeUnit::Millisecond => split(array.as_primitive::<TimestampMillisecondType>().value(row), 1_000),
                TimeUnit::Microsecond => split(array.as_primitive::<TimestampMicrosecondType>().value(row), 1_000_000),
                TimeUnit::Nanosecond => {
                    split(array.as_primitive::<TimestampNanosecondType>().value(row), 1_000_000_000)
                }
            };
            let t = chrono::DateTime::from_timestamp(secs, nanos)?;
            owned(t.to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true))
        }
        _ => None,
    }
}

/// A count of `per_second` ticks as whole seconds and nanoseconds.
fn split(ticks: i64, per_second: i64) -> (i64, u32) {
    let nanos = ticks.rem_euclid(per_second) * (1_000_000_000 / per_second);
    (ticks.div_euclid(per_second), nanos as u32)
}

#[cfg(test)]
mod tests {
    use super::*;
    use arrow_array::{Date32Array, TimestampMillisecondArray};

    #[test]
    fn dates_and_timestamps_become_rfc3339_text() {
        let days = Date32Array::from(vec![Some(20_000), None]);
        assert_eq!(cell(&days, 0).as_deref(), Some("2024-10-04"));
        assert_eq!(cell(&days, 1), None);
        let ms = TimestampMillisecondArray::from(vec![1_700_000_000_123, -1]);
        assert_eq!(cell(&ms, 0).as_deref(), Some("2023-11-14T22:13:20.123Z"));
        assert_eq!(cell(&ms, 1).as_deref(), Some("1969-12-31T23:59:59.999Z"));
        assert!(crate::date::parse_date(&cell(&ms, 0).unwrap()).is_some());
    }
}
