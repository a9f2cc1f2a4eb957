//! The importers on files no one here wrote (ofxparse's OFX fixtures, the camt053 package's
//! samples) and on CSV files in real banks' export layouts; see fixtures/README.md.

use std::str::FromStr;

use chrono::NaiveDate;
use posey_finance::Currency;
use posey_finance::import::csv::{CsvMapping, presets};
use posey_finance::import::dedupe::import_keys;
use posey_finance::import::{Format, ImportError, Importer, Statement, sniff};
use rust_decimal::Decimal;

fn fixture(path: &str) -> Vec<u8> {
    let full = format!("{}/tests/finance/fixtures/{path}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read(&full).unwrap_or_else(|error| panic!("{full}: {error}"))
}

fn dec(text: &str) -> Decimal {
    Decimal::from_str(text).expect("a decimal")
}

fn day(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).expect("a date")
}

fn currency(code: &str) -> Option<Currency> {
    Currency::parse(code).ok()
}

fn import(path: &str) -> Result<Vec<Statement>, ImportError> {
    let bytes = fixture(path);
    let format = sniff(&bytes).unwrap_or_else(|| panic!("{path} is not recognised"));
    format.importer().parse(&bytes)
}

fn one(path: &str) -> Statement {
    let mut statements = import(path).unwrap_or_else(|error| panic!("{path}: {error}"));
    assert_eq!(statements.len(), 1, "{path}");
    statements.remove(0)
}

/// Every prefix of every real file is read or refused, never a panic.
#[test]
fn no_cut_of_a_real_file_panics() {
    let files = [
        "ofxparse/bank_medium.ofx",
        "ofxparse/checking.ofx",
        "ofxparse/anzcc.ofx",
        "ofxparse/suncorp.ofx",
        "ofxparse/ofx-v102-empty-tags.ofx",
        "camt053/business_sample_camt.053.001.04.xml",
        "camt053/statement_ac04.xml",
    ];
    for path in files {
        let bytes = fixture(path);
        let format = sniff(&bytes).expect("recognised");
        let importer = format.importer();
        for end in 0..bytes.len() {
            let _ = importer.parse(&bytes[..end]);
        }
    }
    let mapping =
        presets().into_iter().find(|p| p.id == "dkb-girokonto").expect("a preset").mapping;
    let bytes = fixture("banks/dkb-girokonto.csv");
    for end in 0..bytes.len() {
        let _ = (&mapping).parse(&bytes[..end]);
    }
}

mod ofx {
    use super::*;

    #[test]
    fn an_sgml_bank_statement() {
        let s = one("ofxparse/bank_medium.ofx");
        assert_eq!(s.currency, currency("CAD"));
        assert_eq!(s.account.bank_id.as_deref(), Some("160000100"));
        assert_eq!(s.account.account_id.as_deref(), Some("12300 000012345678"));
        assert_eq!(s.account.kind.as_deref(), Some("CHECKING"));
        assert_eq!(s.lines.len(), 3);
        let first = &s.lines[0];
        assert_eq!(first.date, day(2009, 4, 1));
        assert_eq!(first.amount, dec("-6.60"));
        assert_eq!(first.reference.as_deref(), Some("0000123456782009040100001"));
        assert_eq!(first.payee.as_deref(), Some("MCDONALD'S #112"));
        assert_eq!(first.description.as_deref(), Some("POS MERCHANDISE;MCDONALD'S #112"));
        assert_eq!(first.source, "STMTTRN 1, line 15");
        assert_eq!(s.lines[1].amount, dec("-316.67"));
        assert_eq!(s.lines[1].payee.as_deref(), Some("Joe's Bald Hairstyles"));
        assert_eq!(s.lines[1].check_number, None, "CHECKNUM 0 is no check");
        assert_eq!(s.lines[2].reference.as_deref(), Some("0000123456782009040300005"));
        let closing = s.closing_balance.expect("LEDGERBAL");
        assert_eq!((closing.amount, closing.date), (dec("382.34"), day(2009, 5, 23)));
    }

    #[test]
    fn an_indented_sgml_file_with_a_check() {
        let s = one("ofxparse/checking.ofx");
        assert_eq!(s.currency, currency("USD"));
        assert_eq!(s.account.account_id.as_deref(), Some("1452687~7"));
        let amounts: Vec<Decimal> = s.lines.iter().map(|l| l.amount).collect();
        assert_eq!(amounts, [dec("0.01"), dec("-34.51"), dec("-25.00")]);
        let fitids: Vec<&str> = s.lines.iter().filter_map(|l| l.reference.as_deref()).collect();
        assert_eq!(fitids, ["0000486", "0000487", "0000488"]);
        assert_eq!(s.lines[2].check_number.as_deref(), Some("319"));
        assert_eq!(s.lines[2].payee.as_deref(), Some("RETURNED CHECK FEE, CHECK # 319"));
        assert_eq!(s.closing_balance.map(|b| b.amount), Some(dec("100.99")));
    }

    #[test]
    fn a_credit_card_statement_with_an_ofx_2_header() {
        let s = one("ofxparse/anzcc.ofx");
        assert_eq!(s.account.kind.as_deref(), Some("CREDITCARD"));
        assert_eq!(s.account.account_id.as_deref(), Some("1234123412341234"));
        assert_eq!(s.currency, currency("AUD"));
        assert_eq!(s.lines.len(), 1);
        assert_eq!(s.lines[0].amount, dec("-5.50"));
        assert_eq!(s.lines[0].date, day(2017, 5, 8));
        assert_eq!(s.lines[0].reference.as_deref(), Some("201705080001"));
        assert_eq!(s.lines[0].description.as_deref(), Some("SOME MEMO"));
        assert_eq!(s.lines[0].payee, None);
        let closing = s.closing_balance.expect("LEDGERBAL");
        assert_eq!((closing.amount, closing.date), (dec("-123.45"), day(2017, 5, 10)));
    }

    #[test]
    fn several_accounts_in_one_xml_file() {
        let statements = import("ofxparse/multiple_accounts2.ofx").expect("parses");
        assert_eq!(statements.len(), 2);
        let ids: Vec<_> = statements.iter().map(|s| s.account.account_id.as_deref()).collect();
        assert_eq!(ids, [Some("9100"), Some("9200")]);
        let kinds: Vec<_> = statements.iter().map(|s| s.account.kind.as_deref()).collect();
        assert_eq!(kinds, [Some("CHECKING"), Some("SAVINGS")]);
        let balances: Vec<_> =
            statements.iter().map(|s| s.closing_balance.map(|b| b.amount)).collect();
        assert_eq!(balances, [Some(dec("111")), Some(dec("222"))]);
        assert!(statements.iter().all(|s| s.lines.is_empty()));
    }

    #[test]
    fn cdata_values_are_read() {
        let s = one("ofxparse/suncorp.ofx");
        assert_eq!(s.lines.len(), 1);
        assert_eq!(s.lines[0].payee.as_deref(), Some("EFTPOS WDL HANDYWAY ALDI STORE"));
        assert_eq!(
            s.lines[0].description.as_deref(),
            Some("EFTPOS WDL HANDYWAY ALDI STORE   GEELONG WEST VICAU")
        );
        assert_eq!(s.lines[0].amount, dec("-16.85"));
        assert_eq!(s.closing_balance.map(|b| b.amount), Some(dec("1234.12")));
    }

    #[test]
    fn empty_elements_are_absent_values() {
        let s = one("ofxparse/ofx-v102-empty-tags.ofx");
        assert_eq!(s.currency, None);
        assert_eq!(s.account.kind, None);
        assert_eq!(s.account.account_id.as_deref(), Some("12345678"));
        let line = &s.lines[0];
        assert_eq!((line.amount, line.date), (dec("12.34"), day(2018, 5, 7)));
        assert_eq!(line.reference, None);
        assert_eq!(line.payee, None);
        assert_eq!(line.description.as_deref(), Some("CBA:Transfer"));
        assert_eq!(line.currency, currency("AUD"));
        assert_eq!(s.closing_balance, None, "an empty BALAMT is no balance");
    }

    #[test]
    fn an_empty_ledger_balance_is_none() {
        let s = one("ofxparse/fail_nice/empty_balance.ofx");
        assert_eq!(s.currency, currency("CAD"));
        assert_eq!(s.lines[0].amount, dec("120"));
        assert_eq!(s.closing_balance, None);
    }

    #[test]
    fn files_without_a_statement_say_why() {
        let error = import("ofxparse/bank_small.ofx").expect_err("no statement");
        assert_eq!(error.at, "file");
        let error = import("ofxparse/error_message.ofx").expect_err("the bank's error");
        assert_eq!(error.at, "line 22");
        assert!(error.message.contains("General Server Error (code 2000)"), "{error}");
        let error = import("ofxparse/signon_fail.ofx").expect_err("a wrong password");
        assert_eq!(error.at, "line 11");
        assert!(error.message.contains("password was incorrect (code 15500)"), "{error}");
        let error = import("ofxparse/fidelity-savings.ofx").expect_err("investments");
        assert_eq!(error.at, "line 36");
        assert!(error.message.contains("INVSTMTRS"), "{error}");
    }

    #[test]
    fn broken_files_name_the_place() {
        let error = import("ofxparse/fail_nice/date_missing.ofx").expect_err("no date");
        assert_eq!(error.to_string(), "line 33: STMTTRN 1 has no DTPOSTED");
        let error = import("ofxparse/fail_nice/decimal_error.ofx").expect_err("bad date");
        assert_eq!(error.to_string(), "line 36: DTPOSTED \"201120000000\" is not a date");

        let checking = String::from_utf8(fixture("ofxparse/checking.ofx")).expect("ascii");
        let bad_amount = checking.replace("-34.51", "-34,5x");
        let error =
            posey_finance::import::ofx::Ofx.parse(bad_amount.as_bytes()).expect_err("refused");
        assert_eq!(error.to_string(), "line 57: TRNAMT \"-34,5x\" is not an amount");
        let cut = &checking[..checking.find("<TRNAMT>-34.51").expect("there")];
        let error = posey_finance::import::ofx::Ofx.parse(cut.as_bytes()).expect_err("cut short");
        assert!(error.message.contains("ends inside"), "{error}");
    }

    #[test]
    fn keys_are_the_fitids() {
        let s = one("ofxparse/bank_medium.ofx");
        let keys = import_keys(&s.lines, s.currency.expect("CAD"));
        assert_eq!(keys[0], "ref:0000123456782009040100001");
    }
}

mod camt {
    use super::*;

    #[test]
    fn the_iso_business_sample() {
        let s = one("camt053/business_sample_camt.053.001.04.xml");
        assert_eq!(s.account.account_id.as_deref(), Some("50000000054910000003"));
        assert_eq!(s.account.bank_id, None, "the servicer has a name, no BIC");
        assert_eq!(s.currency, currency("SEK"), "from the balances: Acct has no Ccy");
        let opening = s.opening_balance.expect("OPBD");
        assert_eq!((opening.amount, opening.date), (dec("500000"), day(2010, 10, 15)));
        let closing = s.closing_balance.expect("CLBD");
        assert_eq!((closing.amount, closing.date), (dec("435678.50"), day(2010, 10, 18)));
        assert_eq!(s.lines.len(), 3);
        let amounts: Vec<Decimal> = s.lines.iter().map(|l| l.amount).collect();
        assert_eq!(amounts, [dec("105678.50"), dec("-200000"), dec("30000")]);
        let first = &s.lines[0];
        assert_eq!(first.date, day(2010, 10, 18));
        assert_eq!(first.reference.as_deref(), Some("AAAASESS-FP-CN_98765/01"));
        assert_eq!(first.payee.as_deref(), Some("MUELLER"), "a credit's other party is the debtor");
        assert_eq!(first.check_number.as_deref(), Some("MUELL/FINP/RA12345"));
        assert_eq!(first.currency, currency("SEK"));
        assert_eq!(s.lines[1].reference.as_deref(), Some("AAAASESS-FP-ACCR-01"));
        assert_eq!(s.lines[1].payee, None, "a batch without details");
        assert_eq!(s.lines[2].check_number.as_deref(), Some("AAAASS1085FINPSS"));
        assert_eq!(s.lines[2].source, "Ntry 3");
    }

    #[test]
    fn the_sample_adds_up_from_opening_to_closing() {
        let s = one("camt053/business_sample_camt.053.001.04.xml");
        let total: Decimal = s.lines.iter().map(|l| l.amount).sum();
        let opening = s.opening_balance.expect("OPBD").amount;
        assert_eq!(opening + total, s.closing_balance.expect("CLBD").amount);
    }

    #[test]
    fn an_entry_without_booking_or_value_date_takes_the_statements() {
        let s = one("camt053/statement_ac04.xml");
        assert_eq!(s.lines[2].date, NaiveDate::from_ymd_opt(2026, 6, 15).expect("a date"));
        let text = String::from_utf8(fixture("camt053/statement_ac04.xml")).expect("utf-8");
        let undated = text.replace("<CreDtTm>2026-06-15T08:00:00</CreDtTm>", "");
        let error = import_bytes(&undated).expect_err("no date anywhere");
        assert_eq!(error.at, "Stmt 1/Ntry 3");
        assert!(error.message.contains("no BookgDt or ValDt"), "{error}");
    }

    #[test]
    fn a_version_14_statement() {
        let text = String::from_utf8(fixture("camt053/statement_ac04.xml")).expect("utf-8");
        let dated = text.replace(
            "<CdtDbtInd>DBIT</CdtDbtInd>\n        <Sts>BOOK</Sts>",
            "<CdtDbtInd>DBIT</CdtDbtInd>\n        <Sts>BOOK</Sts><BookgDt><Dt>2026-06-15</Dt></BookgDt>",
        );
        let statements = Format::Camt053.importer().parse(dated.as_bytes()).expect("parses");
        let s = &statements[0];
        assert_eq!(s.account.account_id.as_deref(), Some("GB29NWBK60161331926819"));
        assert_eq!(s.account.bank_id.as_deref(), Some("NWBKGB2LXXX"));
        assert_eq!(s.currency, currency("EUR"));
        assert_eq!(s.closing_balance.map(|b| b.amount), Some(dec("10000.00")));
        assert_eq!(s.opening_balance, None);
        let amounts: Vec<Decimal> = s.lines.iter().map(|l| l.amount).collect();
        assert_eq!(amounts, [dec("1500.00"), dec("980.50"), dec("-42.00")]);
        assert_eq!(s.lines[0].payee.as_deref(), Some("Globex SA"));
        assert_eq!(s.lines[0].check_number.as_deref(), Some("E2E-0001"));
        assert_eq!(s.lines[0].reference, None, "NtryRef is no bank-wide id");
        let keys = import_keys(&s.lines, currency("EUR").expect("EUR"));
        assert!(keys.iter().all(|k| k.starts_with("hash:")), "{keys:?}");
    }

    #[test]
    fn broken_files_name_the_place() {
        let text = String::from_utf8(fixture("camt053/business_sample_camt.053.001.04.xml"))
            .expect("utf-8");
        let bad_amount = text.replace(">30000<", ">30.000,00<");
        let error = import_bytes(&bad_amount).expect_err("bad amount");
        assert_eq!(error.to_string(), "Stmt 1/Ntry 3/Amt: \"30.000,00\" is not an amount");
        let bad_date = text.replace("2010-10-18T10:15:00+01:00", "18.10.2010 10:15");
        let error = import_bytes(&bad_date).expect_err("bad date");
        assert_eq!(error.at, "Stmt 1/Ntry 2/BookgDt/DtTm");
        let cut = &text[..text.find("<AcctSvcrRef>AAAASESS-FP-CONF-FX").expect("there")];
        let error = import_bytes(cut).expect_err("cut short");
        assert_eq!(error.at, "Document/BkToCstmrStmt/Stmt/Ntry");
        let bomb = text.replacen(
            "<Document",
            "<!DOCTYPE lolz [<!ENTITY lol \"lol\"><!ENTITY lol2 \"&lol;&lol;&lol;&lol;&lol;\">]>\n<Document",
            1,
        );
        let error = import_bytes(&bomb.replace("FINPETROL", "&lol2;")).expect_err("a bomb");
        assert_eq!(error.at, "line 3");
        assert!(error.message.contains("DOCTYPE"), "{error}");
    }

    fn import_bytes(text: &str) -> Result<Vec<Statement>, ImportError> {
        posey_finance::import::camt::Camt053.parse(text.as_bytes())
    }
}

mod csv {
    use super::*;

    fn preset(id: &str) -> CsvMapping {
        presets()
            .into_iter()
            .find(|p| p.id == id)
            .unwrap_or_else(|| panic!("no preset {id}"))
            .mapping
    }

    fn read(id: &str) -> Statement {
        let format = Format::Csv { mapping: preset(id) };
        let mut statements = format
            .importer()
            .parse(&fixture(&format!("banks/{id}.csv")))
            .unwrap_or_else(|error| panic!("{id}: {error}"));
        assert_eq!(statements.len(), 1);
        statements.remove(0)
    }

    #[test]
    fn chase_checking() {
        let s = read("chase-checking");
        assert_eq!(s.lines.len(), 5);
        assert_eq!(s.lines[2].amount, dec("-23.45"));
        assert_eq!(s.lines[2].date, day(2024, 1, 5));
        assert!(s.lines[2].payee.as_deref().is_some_and(|p| p.starts_with("AMAZON MKTPL")));
        assert_eq!(s.lines[4].amount, dec("1500.00"));
        assert_eq!(s.lines[4].description.as_deref(), Some("ACH_CREDIT"));
        let closing = s.closing_balance.expect("Balance");
        assert_eq!((closing.amount, closing.date), (dec("1347.05"), day(2024, 1, 5)));
        // Two identical coffees on one day are two lines with two keys.
        let keys = import_keys(&s.lines, currency("USD").expect("USD"));
        assert!(keys[0].ends_with(":0") && keys[1].ends_with(":1"), "{keys:?}");
    }

    #[test]
    fn dkb_girokonto() {
        let s = read("dkb-girokonto");
        assert_eq!(s.lines.len(), 2, "the pending line is left out");
        assert_eq!((s.lines[0].amount, s.lines[0].date), (dec("2500.00"), day(2024, 1, 31)));
        assert_eq!(s.lines[0].payee.as_deref(), Some("ACME GmbH"), "money in: the payer");
        assert_eq!(s.lines[1].payee.as_deref(), Some("REWE Markt GmbH"), "money out: the payee");
        assert_eq!(s.lines[1].amount, dec("-23.45"));
        assert_eq!(s.lines[1].source, "line 8");
        assert_eq!(s.closing_balance, None);
    }

    #[test]
    fn ing_germany() {
        let s = read("ing-de-girokonto");
        assert_eq!(s.lines.len(), 3);
        assert_eq!(s.lines[1].payee.as_deref(), Some("Stadtwerke München"));
        assert_eq!(s.lines[1].description.as_deref(), Some("Lastschrift Abschlag Strom Januar"));
        assert_eq!(s.lines[2].amount, dec("1300.00"));
        assert_eq!(s.lines[0].currency, currency("EUR"));
        let closing = s.closing_balance.expect("Saldo");
        assert_eq!((closing.amount, closing.date), (dec("1234.56"), day(2024, 1, 5)));
    }

    #[test]
    fn revolut() {
        let s = read("revolut");
        assert_eq!(s.lines.len(), 3, "the pending line is left out");
        assert_eq!(s.lines[1].date, day(2024, 1, 4), "the completed date");
        assert_eq!(s.lines[1].payee.as_deref(), Some("Tesco"));
        assert_eq!(s.lines[2].amount, dec("-100.00"));
        assert_eq!(s.lines[2].currency, currency("GBP"));
        assert_eq!(s.closing_balance.map(|b| b.amount), Some(dec("376.05")));
    }

    #[test]
    fn monzo() {
        let s = read("monzo");
        assert_eq!(s.lines.len(), 3);
        assert_eq!(s.lines[0].reference.as_deref(), Some("tx_0000AdRzGM6cKDNrbbXhvN"));
        assert_eq!(s.lines[2].payee.as_deref(), Some("Café de Flore"));
        assert_eq!((s.lines[2].amount, s.lines[2].date), (dec("-15.00"), day(2024, 1, 4)));
        let keys = import_keys(&s.lines, currency("GBP").expect("GBP"));
        assert_eq!(keys[1], "ref:tx_0000AdS1yW7oVxL5oG0aU2");
    }

    #[test]
    fn n26() {
        let s = read("n26");
        assert_eq!(s.lines.len(), 3);
        assert_eq!(s.lines[1].payee.as_deref(), Some("Spotify"));
        assert_eq!(s.lines[1].description.as_deref(), Some("Spotify P2A1B3C4D5"));
        assert_eq!(s.lines[1].amount, dec("-10.99"));
        assert_eq!(s.lines[0].date, day(2024, 1, 2));
    }

    #[test]
    fn a_bad_amount_in_a_bank_file_names_line_and_column() {
        let file = String::from_utf8(fixture("banks/dkb-girokonto.csv")).expect("utf-8");
        let broken = file.replace("\"-23,45\"", "\"12,3x\"");
        let mapping = preset("dkb-girokonto");
        let error = (&mapping).parse(broken.as_bytes()).expect_err("refused");
        assert_eq!(error.to_string(), "line 8, column \"Betrag (€)\": \"12,3x\" is not an amount");
    }

    #[test]
    fn every_preset_has_a_test_file() {
        for preset in presets() {
            let path = format!(
                "{}/tests/finance/fixtures/banks/{}.csv",
                env!("CARGO_MANIFEST_DIR"),
                preset.id
            );
            assert!(std::path::Path::new(&path).exists(), "{path}");
        }
    }
}
