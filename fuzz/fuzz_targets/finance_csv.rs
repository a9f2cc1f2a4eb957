//! CSV bank exports read with a mapping: one of the banks' presets, or a mapping a person made
//! (the mapping is theirs too, so it is fuzzed as well). The first byte picks which; a made-up
//! mapping is drawn from the bytes after it, up to the first newline; the rest is the file.
#![no_main]

use arbitrary::{Arbitrary, Unstructured};
use libfuzzer_sys::fuzz_target;
use posey_finance::Currency;
use posey_finance::import::csv::{
    AmountColumns, Column, CsvEncoding, CsvMapping, SignConvention, StatusFilter, presets,
};
use posey_finance::import::{Importer, dedupe};

fn column(u: &mut Unstructured<'_>) -> arbitrary::Result<Column> {
    Ok(if bool::arbitrary(u)? {
        Column::Index(usize::from(u8::arbitrary(u)? % 12))
    } else {
        Column::Name(String::arbitrary(u)?)
    })
}

fn optional_column(u: &mut Unstructured<'_>) -> arbitrary::Result<Option<Column>> {
    Ok(if bool::arbitrary(u)? { Some(column(u)?) } else { None })
}

const DATE_FORMATS: [&str; 6] =
    ["%d.%m.%Y", "%m/%d/%Y", "%Y-%m-%d", "%d.%m.%y", "%Y-%m-%d %H:%M:%S", "%e %b %Y"];

fn mapping(u: &mut Unstructured<'_>) -> arbitrary::Result<CsvMapping> {
    let delimiter = *u.choose(&[',', ';', '\t', '|', 'é', '"'])?;
    let decimal_separator = *u.choose(&['.', ',', ';', 'x'])?;
    let amount = if bool::arbitrary(u)? {
        AmountColumns::DebitCredit { debit: column(u)?, credit: column(u)? }
    } else {
        AmountColumns::Signed(column(u)?)
    };
    let date_format = if bool::arbitrary(u)? {
        String::arbitrary(u)?
    } else {
        (*u.choose(&DATE_FORMATS)?).to_owned()
    };
    Ok(CsvMapping {
        delimiter,
        has_header: bool::arbitrary(u)?,
        skip_rows: usize::from(u8::arbitrary(u)? % 8),
        date: column(u)?,
        date_format,
        amount,
        payee: optional_column(u)?,
        payer: optional_column(u)?,
        description: (0..u8::arbitrary(u)? % 3).map(|_| column(u)).collect::<Result<_, _>>()?,
        reference: optional_column(u)?,
        currency: optional_column(u)?,
        balance: optional_column(u)?,
        decimal_separator,
        sign: *u.choose(&[SignConvention::Signed, SignConvention::OutflowPositive])?,
        encoding: *u.choose(&[
            CsvEncoding::Utf8,
            CsvEncoding::Windows1252,
            CsvEncoding::Iso88591,
        ])?,
        booked_only: if bool::arbitrary(u)? {
            Some(StatusFilter { column: column(u)?, values: Vec::<String>::arbitrary(u)? })
        } else {
            None
        },
    })
}

fuzz_target!(|data: &[u8]| {
    let Some((&pick, rest)) = data.split_first() else { return };
    let presets = presets();
    let (mapping, file) = match presets.get(usize::from(pick)) {
        Some(preset) => (preset.mapping.clone(), rest),
        None => {
            let (head, file) = posey_fuzz::split_line(rest);
            let Ok(mapping) = mapping(&mut Unstructured::new(head)) else { return };
            (mapping, file)
        }
    };
    if let Ok(statements) = (&mapping).parse(file) {
        for statement in statements {
            let currency = statement.currency.unwrap_or(Currency::parse("EUR").expect("EUR"));
            let _ = dedupe::import_keys(&statement.lines, currency);
        }
    }
});
