//! CSV bank exports, read with a mapping saved per bank ([`CsvMapping`]): which column is the
//! date, the amount, the payee, how dates and amounts are written, the file's encoding. A file
//! is one [`Statement`] with lines in the file's order; [`presets`] has the mappings of a few
//! banks' exports.

use chrono::NaiveDate;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::statement::{AccountRef, Balance, ImportError, Importer, Statement, StatementLine};
use crate::money::{Currency, parse_amount};

/// How one bank's CSV export is read.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CsvMapping {
    /// The field separator: `,` (the default), `;` (most European banks), a tab.
    #[serde(default = "comma")]
    pub delimiter: char,
    /// Whether a header row names the columns (the default). Without one, columns are given by
    /// index.
    #[serde(default = "yes")]
    pub has_header: bool,
    /// Lines at the top to skip before looking for the header (or the first row): the account
    /// summary some banks put there. With a header, rows up to the first one that has every
    /// column named below are skipped too, so a summary of varying length needs no count.
    #[serde(default)]
    pub skip_rows: usize,
    /// The booking date's column.
    pub date: Column,
    /// The dates' chrono format (`%d.%m.%Y`, `%m/%d/%Y`, `%Y-%m-%d %H:%M:%S`).
    pub date_format: String,
    pub amount: AmountColumns,
    /// Whom money went to, or, when `payer` is mapped too, whom money out went to.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub payee: Option<Column>,
    /// Whom money in came from, for exports that have a column each (DKB).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub payer: Option<Column>,
    /// What the bank says about a line; several columns are joined with a space.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub description: Vec<Column>,
    /// The bank's own id for a line, when the export has one: what dedupes it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reference: Option<Column>,
    /// A per-line currency code (for exports of multi-currency accounts).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub currency: Option<Column>,
    /// The account's balance after each line: the newest row's is the closing balance.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub balance: Option<Column>,
    /// `.` (the default) or `,`; the other one groups thousands.
    #[serde(default = "dot")]
    pub decimal_separator: char,
    #[serde(default)]
    pub sign: SignConvention,
    #[serde(default)]
    pub encoding: CsvEncoding,
    /// Only rows whose column has one of these values are lines (`Gebucht`, `COMPLETED`):
    /// pending ones may still change.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub booked_only: Option<StatusFilter>,
}

fn comma() -> char {
    ','
}

fn dot() -> char {
    '.'
}

fn yes() -> bool {
    true
}

/// A column by its header's name (matched trimmed and ignoring case; the first of equal names)
/// or by its 0-based index.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(untagged)]
pub enum Column {
    Index(usize),
    Name(String),
}

/// One signed amount column, or a debit and a credit column (money out in one, money in in
/// the other; how their numbers are signed does not matter).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(untagged, deny_unknown_fields)]
pub enum AmountColumns {
    DebitCredit { debit: Column, credit: Column },
    Signed(Column),
}

/// How a single amount column is signed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum SignConvention {
    /// Money out is negative (most bank accounts).
    #[default]
    Signed,
    /// Money out is positive (many credit card exports): amounts are negated.
    OutflowPositive,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub enum CsvEncoding {
    #[default]
    #[serde(rename = "utf-8")]
    Utf8,
    /// Windows' Western European code page, which older German and French exports use.
    #[serde(rename = "windows-1252")]
    Windows1252,
    /// Read as windows-1252, its superset (as browsers do).
    #[serde(rename = "iso-8859-1")]
    Iso88591,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct StatusFilter {
    pub column: Column,
    /// Matched trimmed and ignoring case.
    pub values: Vec<String>,
}

impl Importer for &CsvMapping {
    fn parse(&self, bytes: &[u8]) -> Result<Vec<Statement>, ImportError> {
        read(self, bytes).map(|statement| vec![statement])
    }
}

/// A column resolved against the header: its index and how errors name it.
#[derive(Clone)]
struct At {
    index: usize,
    label: String,
}

fn read(mapping: &CsvMapping, bytes: &[u8]) -> Result<Statement, ImportError> {
    let mapping_error = |message: String| ImportError::new("mapping", message);
    let delimiter =
        u8::try_from(u32::from(mapping.delimiter)).ok().filter(u8::is_ascii).ok_or_else(|| {
            mapping_error(format!(
                "the delimiter {:?} is not one ASCII character",
                mapping.delimiter
            ))
        })?;
    if !matches!(mapping.decimal_separator, '.' | ',') {
        return Err(mapping_error(format!(
            "the decimal separator {:?} is neither . nor ,",
            mapping.decimal_separator
        )));
    }
    let text = match mapping.encoding {
        CsvEncoding::Utf8 => encoding_rs::UTF_8.decode_with_bom_removal(bytes).0,
        CsvEncoding::Windows1252 | CsvEncoding::Iso88591 => {
            encoding_rs::WINDOWS_1252.decode(bytes).0
        }
    };
    let text = text.strip_prefix('\u{feff}').unwrap_or(&text);
    let mut reader = csv::ReaderBuilder::new()
        .delimiter(delimiter)
        .has_headers(false)
        .flexible(true)
        .from_reader(text.as_bytes());

    let mut header: Option<csv::StringRecord> = None;
    let mut columns: Option<Columns> = None;
    let mut rows: Vec<Row> = Vec::new();
    for record in reader.records() {
        let record = record.map_err(|error| {
            let line = error.position().map_or(0, csv::Position::line);
            ImportError::new(format!("line {line}"), format!("not readable as CSV: {error}"))
        })?;
        let line = record.position().map_or(0, csv::Position::line);
        if line <= mapping.skip_rows as u64 || record.iter().all(|f| f.trim().is_empty()) {
            continue;
        }
        let Some(columns) = &columns else {
            if mapping.has_header {
                if names(mapping).iter().all(|name| find(&record, name).is_some()) {
                    columns = Some(Columns::resolve(mapping, Some(&record))?);
                    header = Some(record);
                }
                continue;
            }
            let resolved = Columns::resolve(mapping, None)?;
            rows.push(resolved.row(mapping, &record, line)?);
            columns = Some(resolved);
            continue;
        };
        if let Some((status, values)) = &columns.status {
            let value = field(&record, status, line)?;
            if !values.iter().any(|v| v.trim().eq_ignore_ascii_case(value.trim())) {
                continue;
            }
        }
        rows.push(columns.row(mapping, &record, line)?);
    }
    if mapping.has_header && header.is_none() {
        return Err(ImportError::new(
            "file",
            format!("no header row with the columns {}", names(mapping).join(", ")),
        ));
    }
    if rows.is_empty() {
        return Err(ImportError::new("file", "no rows with transactions in the file"));
    }
    Ok(Statement {
        account: AccountRef::default(),
        currency: None,
        closing_balance: closing_balance(&rows),
        opening_balance: None,
        lines: rows.into_iter().map(|row| row.line).collect(),
    })
}

/// The newest row's balance. Banks list newest first or oldest first: when the first row is
/// later than the last, the first is the newest; otherwise the last (within one day, the
/// file's order is the only clue).
fn closing_balance(rows: &[Row]) -> Option<Balance> {
    let (first, last) = (rows.first()?, rows.last()?);
    let newest = if first.line.date > last.line.date { first } else { last };
    newest.balance.map(|amount| Balance { amount, date: newest.line.date })
}

struct Row {
    line: StatementLine,
    balance: Option<Decimal>,
}

/// The header names the mapping uses, for finding the header row.
fn names(mapping: &CsvMapping) -> Vec<&str> {
    let mut all: Vec<&Column> = vec![&mapping.date];
    match &mapping.amount {
        AmountColumns::Signed(column) => all.push(column),
        AmountColumns::DebitCredit { debit, credit } => all.extend([debit, credit]),
    }
    all.extend(mapping.payee.iter().chain(&mapping.payer).chain(&mapping.description));
    all.extend(mapping.reference.iter().chain(&mapping.currency).chain(&mapping.balance));
    all.extend(mapping.booked_only.iter().map(|f| &f.column));
    all.into_iter()
        .filter_map(|c| match c {
            Column::Name(name) => Some(name.as_str()),
            Column::Index(_) => None,
        })
        .collect()
}

fn find(header: &csv::StringRecord, name: &str) -> Option<usize> {
    header.iter().position(|h| h.trim().eq_ignore_ascii_case(name.trim()))
}

enum Amounts {
    Signed(At),
    DebitCredit(At, At),
}

struct Columns {
    date: At,
    amount: Amounts,
    payee: Option<At>,
    payer: Option<At>,
    description: Vec<At>,
    reference: Option<At>,
    currency: Option<At>,
    balance: Option<At>,
    status: Option<(At, Vec<String>)>,
}

impl Columns {
    fn resolve(
        mapping: &CsvMapping,
        header: Option<&csv::StringRecord>,
    ) -> Result<Self, ImportError> {
        let at = |column: &Column| -> Result<At, ImportError> {
            match (column, header) {
                (Column::Index(index), Some(header)) => Ok(At {
                    index: *index,
                    label: format!("{:?}", header.get(*index).map_or("", str::trim)),
                }),
                (Column::Index(index), None) => Ok(At { index: *index, label: index.to_string() }),
                (Column::Name(name), Some(header)) => find(header, name)
                    .map(|index| At { index, label: format!("{:?}", name.trim()) })
                    .ok_or_else(|| ImportError::new("header", format!("no column {name:?}"))),
                (Column::Name(name), None) => Err(ImportError::new(
                    "mapping",
                    format!("column {name:?} is named, but the file has no header row"),
                )),
            }
        };
        let optional = |column: &Option<Column>| column.as_ref().map(at).transpose();
        Ok(Self {
            date: at(&mapping.date)?,
            amount: match &mapping.amount {
                AmountColumns::Signed(column) => Amounts::Signed(at(column)?),
                AmountColumns::DebitCredit { debit, credit } => {
                    Amounts::DebitCredit(at(debit)?, at(credit)?)
                }
            },
            payee: optional(&mapping.payee)?,
            payer: optional(&mapping.payer)?,
            description: mapping.description.iter().map(at).collect::<Result<_, _>>()?,
            reference: optional(&mapping.reference)?,
            currency: optional(&mapping.currency)?,
            balance: optional(&mapping.balance)?,
            status: match &mapping.booked_only {
                Some(filter) => Some((at(&filter.column)?, filter.values.clone())),
                None => None,
            },
        })
    }

    fn row(
        &self,
        mapping: &CsvMapping,
        record: &csv::StringRecord,
        line: u64,
    ) -> Result<Row, ImportError> {
        let error = |at: &At, message: String| {
            ImportError::new(format!("line {line}, column {}", at.label), message)
        };
        let text = |at: &At| -> Result<Option<String>, ImportError> {
            let value = field(record, at, line)?.trim();
            Ok((!value.is_empty()).then(|| value.to_owned()))
        };
        let amount_of = |at: &At| -> Result<Option<Decimal>, ImportError> {
            text(at)?
                .map(|value| {
                    amount(&value, mapping.decimal_separator)
                        .ok_or_else(|| error(at, format!("{value:?} is not an amount")))
                })
                .transpose()
        };

        let date_text = text(&self.date)?.ok_or_else(|| error(&self.date, "no date".to_owned()))?;
        let date = NaiveDate::parse_from_str(&date_text, &mapping.date_format).map_err(|_| {
            error(&self.date, format!("{date_text:?} is not a date like {:?}", mapping.date_format))
        })?;
        let amount = match &self.amount {
            Amounts::Signed(at) => {
                let amount = amount_of(at)?.ok_or_else(|| error(at, "no amount".to_owned()))?;
                match mapping.sign {
                    SignConvention::Signed => amount,
                    SignConvention::OutflowPositive => -amount,
                }
            }
            Amounts::DebitCredit(debit, credit) => match (amount_of(debit)?, amount_of(credit)?) {
                (None, None) => {
                    return Err(error(
                        debit,
                        "no amount in the debit or the credit column".to_owned(),
                    ));
                }
                (debit, credit) => {
                    credit.unwrap_or_default().abs() - debit.unwrap_or_default().abs()
                }
            },
        };
        let payee = match (&self.payer, amount.is_sign_positive()) {
            (Some(payer), true) => text(payer)?,
            _ => self.payee.as_ref().map(text).transpose()?.flatten(),
        };
        let mut description = Vec::new();
        for at in &self.description {
            description.extend(text(at)?);
        }
        let currency = match &self.currency {
            Some(at) => text(at)?
                .map(|code| {
                    Currency::parse(&code)
                        .map_err(|_| error(at, format!("{code:?} is not a currency")))
                })
                .transpose()?,
            None => None,
        };
        let balance = match &self.balance {
            Some(at) => amount_of(at)?,
            None => None,
        };
        Ok(Row {
            line: StatementLine {
                date,
                amount,
                currency,
                payee,
                description: (!description.is_empty()).then(|| description.join(" ")),
                reference: self.reference.as_ref().map(text).transpose()?.flatten(),
                check_number: None,
                source: format!("line {line}"),
            },
            balance,
        })
    }
}

/// An amount as [`parse_amount`] reads it, but the only letters it may have around it are a
/// currency's code (`12,30 EUR`): `12,3x` is a typo, not an amount.
fn amount(text: &str, decimal_separator: char) -> Option<Decimal> {
    let letters_are_a_currency = text
        .split(|c: char| !c.is_alphabetic())
        .filter(|word| !word.is_empty())
        .all(|word| Currency::parse(word).is_ok());
    if !letters_are_a_currency {
        return None;
    }
    parse_amount(text, decimal_separator).ok()
}

fn field<'r>(record: &'r csv::StringRecord, at: &At, line: u64) -> Result<&'r str, ImportError> {
    record.get(at.index).ok_or_else(|| {
        ImportError::new(
            format!("line {line}, column {}", at.label),
            format!("missing: the row has only {} fields", record.len()),
        )
    })
}

/// A mapping for one bank's export, ready to use or to start a new one from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct CsvPreset {
    /// Stable, for saving which preset an account uses (`dkb-girokonto`).
    pub id: &'static str,
    /// As a person would look for it (`DKB Girokonto`).
    pub name: &'static str,
    pub mapping: CsvMapping,
}

fn name(column: &str) -> Column {
    Column::Name(column.to_owned())
}

fn base(date: &str, date_format: &str, amount: AmountColumns) -> CsvMapping {
    CsvMapping {
        delimiter: ',',
        has_header: true,
        skip_rows: 0,
        date: name(date),
        date_format: date_format.to_owned(),
        amount,
        payee: None,
        payer: None,
        description: Vec::new(),
        reference: None,
        currency: None,
        balance: None,
        decimal_separator: '.',
        sign: SignConvention::Signed,
        encoding: CsvEncoding::Utf8,
        booked_only: None,
    }
}

/// Mappings for the CSV exports of a few banks, as their online banking writes them.
pub fn presets() -> Vec<CsvPreset> {
    vec![
        CsvPreset {
            id: "chase-checking",
            name: "Chase checking / savings",
            // `Details,Posting Date,Description,Amount,Type,Balance,Check or Slip #`; rows end
            // with an extra comma.
            mapping: CsvMapping {
                payee: Some(name("Description")),
                description: vec![name("Type")],
                balance: Some(name("Balance")),
                ..base("Posting Date", "%m/%d/%Y", AmountColumns::Signed(name("Amount")))
            },
        },
        CsvPreset {
            id: "dkb-girokonto",
            name: "DKB Girokonto",
            // Since 2023: an account summary, then `"Buchungsdatum";"Wertstellung";"Status";
            // "Zahlungspflichtige*r";"Zahlungsempfänger*in";"Verwendungszweck";"Umsatztyp";
            // "IBAN";"Betrag (€)";...`, two-digit years.
            mapping: CsvMapping {
                delimiter: ';',
                payee: Some(name("Zahlungsempfänger*in")),
                payer: Some(name("Zahlungspflichtige*r")),
                description: vec![name("Verwendungszweck")],
                decimal_separator: ',',
                booked_only: Some(StatusFilter {
                    column: name("Status"),
                    values: vec!["Gebucht".to_owned()],
                }),
                ..base("Buchungsdatum", "%d.%m.%y", AmountColumns::Signed(name("Betrag (€)")))
            },
        },
        CsvPreset {
            id: "ing-de-girokonto",
            name: "ING Deutschland Girokonto",
            // windows-1252; an account summary, then `Buchung;Valuta;Auftraggeber/Empfänger;
            // Buchungstext;Verwendungszweck;Saldo;Währung;Betrag;Währung`: two columns are called
            // Währung, so the amount's currency is taken by index.
            mapping: CsvMapping {
                delimiter: ';',
                payee: Some(name("Auftraggeber/Empfänger")),
                description: vec![name("Buchungstext"), name("Verwendungszweck")],
                balance: Some(name("Saldo")),
                currency: Some(Column::Index(8)),
                decimal_separator: ',',
                encoding: CsvEncoding::Windows1252,
                ..base("Buchung", "%d.%m.%Y", AmountColumns::Signed(name("Betrag")))
            },
        },
        CsvPreset {
            id: "revolut",
            name: "Revolut",
            // `Type,Product,Started Date,Completed Date,Description,Amount,Fee,Currency,State,
            // Balance`; pending rows have no completed date. The fee is a column of its own and
            // is not in the amount.
            mapping: CsvMapping {
                payee: Some(name("Description")),
                currency: Some(name("Currency")),
                balance: Some(name("Balance")),
                booked_only: Some(StatusFilter {
                    column: name("State"),
                    values: vec!["COMPLETED".to_owned()],
                }),
                ..base("Completed Date", "%Y-%m-%d %H:%M:%S", AmountColumns::Signed(name("Amount")))
            },
        },
        CsvPreset {
            id: "monzo",
            name: "Monzo",
            // `Transaction ID,Date,Time,Type,Name,Emoji,Category,Amount,Currency,Local amount,
            // Local currency,Notes and #tags,Address,Receipt,Description,Category split,
            // Money Out,Money In`.
            mapping: CsvMapping {
                payee: Some(name("Name")),
                description: vec![name("Description")],
                reference: Some(name("Transaction ID")),
                currency: Some(name("Currency")),
                ..base("Date", "%d/%m/%Y", AmountColumns::Signed(name("Amount")))
            },
        },
        CsvPreset {
            id: "n26",
            name: "N26",
            // Since 2023: `"Booking Date","Value Date","Partner Name","Partner Iban",Type,
            // "Payment Reference","Account Name","Amount (EUR)","Original Amount",
            // "Original Currency","Exchange Rate"`.
            mapping: CsvMapping {
                payee: Some(name("Partner Name")),
                description: vec![name("Payment Reference")],
                ..base("Booking Date", "%Y-%m-%d", AmountColumns::Signed(name("Amount (EUR)")))
            },
        },
    ]
}

#[cfg(test)]
mod tests {
    use std::str::FromStr;

    use super::*;

    fn dec(text: &str) -> Decimal {
        Decimal::from_str(text).expect("a decimal")
    }

    fn german() -> CsvMapping {
        CsvMapping {
            delimiter: ';',
            payee: Some(name("Empfänger")),
            description: vec![name("Zweck 1"), name("Zweck 2")],
            balance: Some(name("Saldo")),
            decimal_separator: ',',
            ..base("Datum", "%d.%m.%Y", AmountColumns::Signed(name("Betrag")))
        }
    }

    const GERMAN: &str = "\u{feff}Konto;DE00 1234\n\nDatum;Empfänger;Zweck 1;Zweck 2;Betrag;Saldo\n\
03.01.2024;Bäckerei;Brot;;-3,50;96,50\n04.01.2024;Arbeitgeber;Lohn;Januar;1.000,00;1.096,50\n";

    #[test]
    fn a_file_is_read_past_its_summary() {
        let statements = (&german()).parse(GERMAN.as_bytes()).expect("parses");
        let s = &statements[0];
        assert_eq!(s.lines.len(), 2);
        assert_eq!(s.lines[0].amount, dec("-3.50"));
        assert_eq!(s.lines[0].payee.as_deref(), Some("Bäckerei"));
        assert_eq!(s.lines[0].source, "line 4");
        assert_eq!(s.lines[1].description.as_deref(), Some("Lohn Januar"));
        let closing = s.closing_balance.expect("a balance");
        assert_eq!(
            (closing.amount, closing.date.to_string()),
            (dec("1096.50"), "2024-01-04".to_owned())
        );
        assert_eq!(s.currency, None);
        assert_eq!(s.account, AccountRef::default());
    }

    #[test]
    fn the_newest_row_closes_a_newest_first_file() {
        let reversed = "Datum;Empfänger;Zweck 1;Zweck 2;Betrag;Saldo\n\
04.01.2024;Arbeitgeber;Lohn;Januar;1.000,00;1.096,50\n03.01.2024;Bäckerei;Brot;;-3,50;96,50\n";
        let s = &(&german()).parse(reversed.as_bytes()).expect("parses")[0];
        assert_eq!(s.closing_balance.map(|b| b.amount), Some(dec("1096.50")));
    }

    #[test]
    fn a_bad_amount_names_line_and_column() {
        let broken = GERMAN.replace("-3,50", "12,3x");
        let error = (&german()).parse(broken.as_bytes()).expect_err("refused");
        assert_eq!(error.to_string(), "line 4, column \"Betrag\": \"12,3x\" is not an amount");
    }

    #[test]
    fn a_bad_date_names_line_and_column() {
        let broken = GERMAN.replace("04.01.2024", "2024-01-04");
        let error = (&german()).parse(broken.as_bytes()).expect_err("refused");
        assert_eq!(error.at, "line 5, column \"Datum\"");
        assert!(error.message.contains("is not a date"), "{error}");
    }

    #[test]
    fn debit_and_credit_columns_and_card_signs() {
        let mapping = CsvMapping {
            has_header: false,
            amount: AmountColumns::DebitCredit {
                debit: Column::Index(1),
                credit: Column::Index(2),
            },
            ..base("ignored", "%Y-%m-%d", AmountColumns::Signed(Column::Index(1)))
        };
        let mapping = CsvMapping { date: Column::Index(0), ..mapping };
        let s = &(&mapping).parse(b"2024-02-01,12.00,\n2024-02-02,,5.5\n").expect("parses")[0];
        let amounts: Vec<Decimal> = s.lines.iter().map(|l| l.amount).collect();
        assert_eq!(amounts, [dec("-12.00"), dec("5.5")]);

        let card = CsvMapping {
            has_header: false,
            date: Column::Index(0),
            sign: SignConvention::OutflowPositive,
            ..base("x", "%Y-%m-%d", AmountColumns::Signed(Column::Index(1)))
        };
        let s = &(&card).parse(b"2024-02-01,12.00\n2024-02-02,-5.5\n").expect("parses")[0];
        assert_eq!(s.lines[0].amount, dec("-12.00"));
        assert_eq!(s.lines[1].amount, dec("5.5"));
        let error = (&card).parse(b"2024-02-01\n").expect_err("refused");
        assert_eq!(error.at, "line 1, column 1");
    }

    #[test]
    fn windows_1252_is_decoded() {
        let mapping = CsvMapping { encoding: CsvEncoding::Windows1252, ..german() };
        let bytes = encoding_rs::WINDOWS_1252.encode(GERMAN.trim_start_matches('\u{feff}')).0;
        let s = &(&mapping).parse(&bytes).expect("parses")[0];
        assert_eq!(s.lines[0].payee.as_deref(), Some("Bäckerei"));
    }

    #[test]
    fn a_mapping_is_json_with_no_unknown_fields() {
        let json = serde_json::json!({
            "delimiter": ";", "date": "Datum", "date_format": "%d.%m.%Y",
            "amount": {"debit": "Soll", "credit": 4}, "description": ["A", 2],
            "decimal_separator": ",", "sign": "outflow_positive", "encoding": "windows-1252"
        });
        let mapping: CsvMapping = serde_json::from_value(json).expect("a mapping");
        assert_eq!(
            mapping.amount,
            AmountColumns::DebitCredit { debit: name("Soll"), credit: Column::Index(4) }
        );
        assert!(mapping.has_header);
        let back: CsvMapping =
            serde_json::from_value(serde_json::to_value(&mapping).expect("json")).expect("again");
        assert_eq!(back, mapping);
        let unknown =
            serde_json::json!({"date": 0, "date_format": "%F", "amount": 1, "colour": "red"});
        assert!(serde_json::from_value::<CsvMapping>(unknown).is_err());
        for preset in presets() {
            let json = serde_json::to_value(&preset.mapping).expect("json");
            assert_eq!(
                serde_json::from_value::<CsvMapping>(json).expect(preset.id),
                preset.mapping
            );
        }
    }

    #[test]
    fn a_file_with_no_rows_is_an_error() {
        let error = (&german())
            .parse(b"Datum;Empf\xc3\xa4nger;Zweck 1;Zweck 2;Betrag;Saldo\n")
            .expect_err("no rows");
        assert_eq!(error.at, "file");
        let error = (&german()).parse(b"a;b\n1;2\n").expect_err("no header");
        assert!(error.message.contains("no header row"), "{error}");
    }
}
