//! ISO 20022 camt.053 (bank to customer statement), any version of the message (`.001.02` to
//! `.001.14`; elements are matched by local name, so the namespace's version does not matter).
//! Each `BkToCstmrStmt/Stmt` is one [`Statement`].
//!
//! Only booked entries are lines: an `Ntry` whose `Sts` is other than `BOOK` (`PDNG` pending,
//! `INFO` information only) may still change or never be booked, so it is skipped.
//!
//! A batch entry (one `Ntry` with several `TxDtls`, such as a salary run or a bundled direct
//! debit) is one line with the entry's amount, because that is what the account was booked
//! with and what its balance adds up from; its description and end-to-end id come from the
//! first `TxDtls`, and it has a payee only when every `TxDtls` names the same one.
//!
//! The XML is read with `quick-xml`; a `DOCTYPE` (and so any entity declaration) is refused
//! and nesting is capped, so a crafted file cannot blow up memory.

use std::str::FromStr;

use chrono::NaiveDate;
use quick_xml::events::Event;
use rust_decimal::Decimal;

use super::statement::{AccountRef, Balance, ImportError, Importer, Statement, StatementLine};
use crate::money::Currency;

/// Reads camt.053 files.
pub struct Camt053;

impl Importer for Camt053 {
    fn parse(&self, bytes: &[u8]) -> Result<Vec<Statement>, ImportError> {
        let text = decode(bytes);
        let document = parse_tree(&text)?;
        let Some(statement_list) = document.child("BkToCstmrStmt") else {
            return Err(ImportError::new(
                document.name.clone(),
                "no BkToCstmrStmt: not a camt.053 statement (camt.052 and camt.054 are reports)",
            ));
        };
        let statements: Vec<&Element> = statement_list.children_named("Stmt").collect();
        if statements.is_empty() {
            return Err(ImportError::new("BkToCstmrStmt", "no Stmt in the file"));
        }
        statements.iter().enumerate().map(|(index, s)| read_statement(s, index + 1)).collect()
    }
}

/// Deeper than any camt.053 goes (about 12), shallow enough that nesting cannot exhaust memory.
const MAX_DEPTH: usize = 48;

#[derive(Debug, Default)]
struct Element {
    /// The local name: `Document`, not `camt:Document`.
    name: String,
    attributes: Vec<(String, String)>,
    text: String,
    children: Vec<Element>,
}

impl Element {
    fn child(&self, name: &str) -> Option<&Element> {
        self.children.iter().find(|c| c.name == name)
    }

    fn children_named<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a Element> {
        self.children.iter().filter(move |c| c.name == name)
    }

    fn at(&self, path: &[&str]) -> Option<&Element> {
        path.iter().try_fold(self, |element, name| element.child(name))
    }

    /// The trimmed text at `path`; empty text is none.
    fn text_at(&self, path: &[&str]) -> Option<&str> {
        self.at(path).map(|e| e.text.trim()).filter(|t| !t.is_empty())
    }

    fn attribute(&self, name: &str) -> Option<&str> {
        self.attributes.iter().find(|(key, _)| key == name).map(|(_, value)| value.as_str())
    }
}

/// The file as text: UTF-8 unless its XML declaration names another encoding.
fn decode(bytes: &[u8]) -> String {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    let head = String::from_utf8_lossy(&bytes[..bytes.len().min(200)]).to_ascii_lowercase();
    let declared = head
        .strip_prefix("<?xml")
        .and_then(|decl| decl.split("?>").next())
        .and_then(|decl| decl.split("encoding=").nth(1))
        .and_then(|rest| {
            let quote = rest.chars().next()?;
            rest[quote.len_utf8()..].split(quote).next()
        })
        .and_then(|label| encoding_rs::Encoding::for_label(label.as_bytes()));
    declared.unwrap_or(encoding_rs::UTF_8).decode_without_bom_handling(bytes).0.into_owned()
}

fn line_of(text: &str, position: u64) -> String {
    let position = usize::try_from(position).unwrap_or(usize::MAX).min(text.len());
    let line = text.as_bytes()[..position].iter().filter(|b| **b == b'\n').count() + 1;
    format!("line {line}")
}

fn parse_tree(text: &str) -> Result<Element, ImportError> {
    let mut reader = quick_xml::Reader::from_str(text);
    let mut stack: Vec<Element> = vec![Element::default()];
    loop {
        let position = reader.buffer_position();
        let event = reader.read_event().map_err(|error| {
            ImportError::new(
                line_of(text, reader.error_position()),
                format!("not well-formed XML: {error}"),
            )
        })?;
        let here = || line_of(text, position);
        let empty = matches!(event, Event::Empty(_));
        match event {
            Event::Start(start) | Event::Empty(start) => {
                if stack.len() > MAX_DEPTH {
                    return Err(ImportError::new(
                        here(),
                        format!("nested more than {MAX_DEPTH} deep"),
                    ));
                }
                let mut element =
                    Element { name: start.local_name().as_ref().to_owned(), ..Element::default() };
                for attribute in start.attributes() {
                    let attribute = attribute.map_err(|error| {
                        ImportError::new(here(), format!("a broken attribute: {error}"))
                    })?;
                    let value = attribute
                        .normalized_value(quick_xml::XmlVersion::Implicit1_0)
                        .map_err(|error| {
                            ImportError::new(here(), format!("a broken attribute: {error}"))
                        })?;
                    element
                        .attributes
                        .push((attribute.key.local_name().as_ref().to_owned(), value.into_owned()));
                }
                if empty {
                    if let Some(parent) = stack.last_mut() {
                        parent.children.push(element);
                    }
                } else {
                    stack.push(element);
                }
            }
            Event::End(_) => {
                let element = stack.pop().ok_or_else(|| ImportError::new(here(), "unbalanced"))?;
                let parent =
                    stack.last_mut().ok_or_else(|| ImportError::new(here(), "unbalanced"))?;
                parent.children.push(element);
            }
            Event::Text(content) => {
                if let Some(element) = stack.last_mut() {
                    element.text.push_str(&content.xml10_content());
                }
            }
            Event::CData(content) => {
                if let Some(element) = stack.last_mut() {
                    element.text.push_str(&content.xml10_content());
                }
            }
            Event::GeneralRef(reference) => {
                let resolved = match reference.resolve_char_ref() {
                    Ok(Some(c)) => Some(c),
                    Ok(None) => match &*reference {
                        "amp" => Some('&'),
                        "lt" => Some('<'),
                        "gt" => Some('>'),
                        "quot" => Some('"'),
                        "apos" => Some('\''),
                        _ => None,
                    },
                    Err(_) => None,
                };
                let c = resolved.ok_or_else(|| {
                    ImportError::new(
                        here(),
                        format!("&{}; is not an entity XML defines", &*reference),
                    )
                })?;
                if let Some(element) = stack.last_mut() {
                    element.text.push(c);
                }
            }
            Event::DocType(_) => {
                return Err(ImportError::new(
                    here(),
                    "a DOCTYPE (and its entity declarations) is refused: camt.053 has none",
                ));
            }
            Event::Eof => break,
            Event::Decl(_) | Event::PI(_) | Event::Comment(_) => {}
        }
    }
    if stack.len() > 1 {
        let open = stack.iter().skip(1).map(|e| e.name.as_str()).collect::<Vec<_>>().join("/");
        return Err(ImportError::new(open, "the file ends inside this element (cut short?)"));
    }
    let root = stack.pop().unwrap_or_default();
    root.children
        .into_iter()
        .next()
        .ok_or_else(|| ImportError::new("file", "no XML element in the file"))
}

fn read_statement(stmt: &Element, number: usize) -> Result<Statement, ImportError> {
    let at = |path: &str| format!("Stmt {number}/{path}");
    let account_element = stmt.child("Acct");
    let account = AccountRef {
        bank_id: account_element
            .and_then(|a| {
                a.text_at(&["Svcr", "FinInstnId", "BICFI"])
                    .or_else(|| a.text_at(&["Svcr", "FinInstnId", "BIC"]))
            })
            .map(str::to_owned),
        account_id: account_element
            .and_then(|a| a.text_at(&["Id", "IBAN"]).or_else(|| a.text_at(&["Id", "Othr", "Id"])))
            .map(str::to_owned),
        kind: account_element
            .and_then(|a| a.text_at(&["Tp", "Cd"]).or_else(|| a.text_at(&["Tp", "Prtry"])))
            .map(str::to_owned),
    };
    let mut currency = match account_element.and_then(|a| a.text_at(&["Ccy"])) {
        Some(code) => Some(parse_currency(code, &at("Acct/Ccy"))?),
        None => None,
    };

    let mut opening_balance = None;
    let mut previous_closing = None;
    let mut closing_balance = None;
    for (index, bal) in stmt.children_named("Bal").enumerate() {
        let code = bal.text_at(&["Tp", "CdOrPrtry", "Cd"]);
        let slot = match code {
            Some("OPBD") => &mut opening_balance,
            Some("PRCD") => &mut previous_closing,
            Some("CLBD") => &mut closing_balance,
            _ => continue,
        };
        let here = format!("Bal {}", index + 1);
        let (amount, balance_currency) = signed_amount(bal, &at(&here))?;
        let date = date_of(bal.child("Dt"), &at(&format!("{here}/Dt")))?
            .ok_or_else(|| ImportError::new(at(&here), "no Dt"))?;
        // Some banks leave `Acct/Ccy` out; the balances' amounts name it then.
        currency = currency.or(Some(balance_currency));
        if slot.is_none() {
            *slot = Some(Balance { amount, date });
        }
    }
    // The previous statement's closing balance is this one's opening when no OPBD is given.
    let opening_balance = opening_balance.or(previous_closing);

    // BookgDt and ValDt are both optional in the schema: an entry with neither was booked
    // within the statement, whose end (or, failing that, its making) dates it.
    let statement_date = stmt
        .text_at(&["FrToDt", "ToDtTm"])
        .or_else(|| stmt.text_at(&["CreDtTm"]))
        .and_then(|text| text.get(..10))
        .and_then(|day| NaiveDate::parse_from_str(day, "%Y-%m-%d").ok());
    let mut lines = Vec::new();
    for (index, entry) in stmt.children_named("Ntry").enumerate() {
        if let Some(line) = read_entry(entry, &at(&format!("Ntry {}", index + 1)), statement_date)?
        {
            lines.push(line);
        }
    }
    Ok(Statement { account, currency, lines, opening_balance, closing_balance })
}

/// One booked entry as a line; `None` for one that is not booked (see the module's doc).
fn read_entry(
    entry: &Element,
    at: &str,
    statement_date: Option<NaiveDate>,
) -> Result<Option<StatementLine>, ImportError> {
    // `<Sts>BOOK</Sts>` up to .001.06, `<Sts><Cd>BOOK</Cd></Sts>` from .001.07 on.
    let status = entry.text_at(&["Sts", "Cd"]).or_else(|| entry.text_at(&["Sts"]));
    if status.is_some_and(|s| s != "BOOK") {
        return Ok(None);
    }
    let (amount, currency) = signed_amount(entry, at)?;
    let date = match date_of(entry.child("BookgDt"), &format!("{at}/BookgDt"))? {
        Some(date) => date,
        None => date_of(entry.child("ValDt"), &format!("{at}/ValDt"))?
            .or(statement_date)
            .ok_or_else(|| {
                ImportError::new(
                    at,
                    "no BookgDt or ValDt, and no statement date: the entry has no date",
                )
            })?,
    };
    let transactions: Vec<&Element> = entry
        .children_named("NtryDtls")
        .flat_map(|details| details.children_named("TxDtls"))
        .collect();
    let first = transactions.first().copied();
    // The other party: whom money went to for a debit, whom it came from for a credit.
    let party = if amount.is_sign_negative() { "Cdtr" } else { "Dbtr" };
    let payees: Vec<Option<&str>> = transactions
        .iter()
        .map(|tx| {
            tx.text_at(&["RltdPties", party, "Nm"])
                .or_else(|| tx.text_at(&["RltdPties", party, "Pty", "Nm"]))
        })
        .collect();
    let payee = match payees.first() {
        Some(Some(name)) if payees.iter().all(|p| p == &Some(*name)) => Some((*name).to_owned()),
        _ => None,
    };
    let description = first
        .and_then(|tx| tx.child("RmtInf"))
        .map(|info| {
            info.children_named("Ustrd")
                .map(|u| u.text.trim())
                .filter(|u| !u.is_empty())
                .collect::<Vec<_>>()
                .join(" ")
        })
        .filter(|d| !d.is_empty())
        .or_else(|| entry.text_at(&["AddtlNtryInf"]).map(str::to_owned));
    let check_number = first
        .and_then(|tx| tx.text_at(&["Refs", "EndToEndId"]))
        .filter(|id| !id.eq_ignore_ascii_case("NOTPROVIDED"))
        .map(str::to_owned);
    // The bank's reference for the entry; a single transaction's own when the entry has none.
    let reference = entry.text_at(&["AcctSvcrRef"]).or_else(|| match transactions.as_slice() {
        [only] => only.text_at(&["Refs", "AcctSvcrRef"]),
        _ => None,
    });
    Ok(Some(StatementLine {
        date,
        amount,
        currency: Some(currency),
        payee,
        description,
        reference: reference.map(str::to_owned),
        check_number,
        source: at.rsplit_once('/').map_or(at, |(_, entry)| entry).to_owned(),
    }))
}

/// `Amt` with its `Ccy`, negative when `CdtDbtInd` is `DBIT`.
fn signed_amount(element: &Element, at: &str) -> Result<(Decimal, Currency), ImportError> {
    let amt = element.child("Amt").ok_or_else(|| ImportError::new(at, "no Amt"))?;
    let text = amt.text.trim();
    let amount =
        Decimal::from_str(text).ok().filter(|a| !a.is_sign_negative()).ok_or_else(|| {
            ImportError::new(format!("{at}/Amt"), format!("{text:?} is not an amount"))
        })?;
    let code = amt
        .attribute("Ccy")
        .ok_or_else(|| ImportError::new(format!("{at}/Amt"), "no Ccy attribute"))?;
    let currency = parse_currency(code, &format!("{at}/Amt@Ccy"))?;
    let sign = element.text_at(&["CdtDbtInd"]);
    let amount = match sign {
        Some("CRDT") => amount,
        Some("DBIT") => -amount,
        Some(other) => {
            return Err(ImportError::new(
                format!("{at}/CdtDbtInd"),
                format!("{other:?} is neither CRDT nor DBIT"),
            ));
        }
        None => return Err(ImportError::new(at, "no CdtDbtInd")),
    };
    Ok((amount, currency))
}

fn parse_currency(code: &str, at: &str) -> Result<Currency, ImportError> {
    Currency::parse(code).map_err(|_| ImportError::new(at, format!("{code:?} is not a currency")))
}

/// `<Dt>2024-01-05</Dt>` or `<DtTm>2024-01-05T13:15:00+01:00</DtTm>` inside `element`, as the
/// date the bank wrote (the time and zone are dropped).
fn date_of(element: Option<&Element>, at: &str) -> Result<Option<NaiveDate>, ImportError> {
    let Some(element) = element else { return Ok(None) };
    let (text, path) = match (element.text_at(&["Dt"]), element.text_at(&["DtTm"])) {
        (Some(date), _) => (date, format!("{at}/Dt")),
        (None, Some(datetime)) => (datetime, format!("{at}/DtTm")),
        (None, None) => return Ok(None),
    };
    text.get(..10)
        .and_then(|d| NaiveDate::parse_from_str(d, "%Y-%m-%d").ok())
        .map(Some)
        .ok_or_else(|| ImportError::new(path, format!("{text:?} is not a date")))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dec(text: &str) -> Decimal {
        Decimal::from_str(text).expect("a decimal")
    }

    /// A camt.053.001.02 file as German banks send it: `Cdtr/Nm`, a pending entry, a batch.
    const V02: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.02">
<BkToCstmrStmt><GrpHdr><MsgId>1</MsgId></GrpHdr>
<Stmt><Id>S1</Id>
<Acct><Id><IBAN>DE89370400440532013000</IBAN></Id><Ccy>EUR</Ccy>
<Svcr><FinInstnId><BIC>COBADEFFXXX</BIC></FinInstnId></Svcr></Acct>
<Bal><Tp><CdOrPrtry><Cd>PRCD</Cd></CdOrPrtry></Tp><Amt Ccy="EUR">100.00</Amt><CdtDbtInd>DBIT</CdtDbtInd><Dt><Dt>2024-01-01</Dt></Dt></Bal>
<Bal><Tp><CdOrPrtry><Cd>CLBD</Cd></CdOrPrtry></Tp><Amt Ccy="EUR">1876.55</Amt><CdtDbtInd>CRDT</CdtDbtInd><Dt><Dt>2024-01-31</Dt></Dt></Bal>
<Ntry><Amt Ccy="EUR">23.45</Amt><CdtDbtInd>DBIT</CdtDbtInd><Sts>BOOK</Sts>
<BookgDt><Dt>2024-01-05</Dt></BookgDt><AcctSvcrRef>REF-1</AcctSvcrRef>
<NtryDtls><TxDtls><Refs><EndToEndId>NOTPROVIDED</EndToEndId></Refs>
<RltdPties><Dbtr><Nm>Me</Nm></Dbtr><Cdtr><Nm>REWE Markt &amp; Co</Nm></Cdtr></RltdPties>
<RmtInf><Ustrd>Einkauf</Ustrd><Ustrd>Filiale 12</Ustrd></RmtInf></TxDtls></NtryDtls></Ntry>
<Ntry><Amt Ccy="EUR">5.00</Amt><CdtDbtInd>DBIT</CdtDbtInd><Sts>PDNG</Sts>
<BookgDt><Dt>2024-01-06</Dt></BookgDt></Ntry>
<Ntry><Amt Ccy="EUR">2000.00</Amt><CdtDbtInd>CRDT</CdtDbtInd><Sts>BOOK</Sts>
<BookgDt><DtTm>2024-01-30T23:59:00+01:00</DtTm></BookgDt>
<NtryDtls>
<TxDtls><Refs><EndToEndId>SAL-1</EndToEndId></Refs><RltdPties><Dbtr><Nm>ACME GmbH</Nm></Dbtr></RltdPties><RmtInf><Ustrd>Gehalt Januar</Ustrd></RmtInf></TxDtls>
<TxDtls><Refs><EndToEndId>SAL-2</EndToEndId></Refs><RltdPties><Dbtr><Nm>ACME GmbH</Nm></Dbtr></RltdPties><RmtInf><Ustrd>Bonus</Ustrd></RmtInf></TxDtls>
</NtryDtls></Ntry>
</Stmt></BkToCstmrStmt></Document>"#;

    #[test]
    fn a_version_02_statement_is_read() {
        let statements = Camt053.parse(V02.as_bytes()).expect("parses");
        assert_eq!(statements.len(), 1);
        let s = &statements[0];
        assert_eq!(s.account.account_id.as_deref(), Some("DE89370400440532013000"));
        assert_eq!(s.account.bank_id.as_deref(), Some("COBADEFFXXX"));
        assert_eq!(s.currency, Currency::parse("EUR").ok());
        assert_eq!(s.opening_balance.map(|b| b.amount), Some(dec("-100.00")));
        assert_eq!(s.closing_balance.map(|b| b.amount), Some(dec("1876.55")));
        assert_eq!(s.lines.len(), 2, "the pending entry is skipped");
        let shop = &s.lines[0];
        assert_eq!(shop.amount, dec("-23.45"));
        assert_eq!(shop.payee.as_deref(), Some("REWE Markt & Co"));
        assert_eq!(shop.description.as_deref(), Some("Einkauf Filiale 12"));
        assert_eq!(shop.reference.as_deref(), Some("REF-1"));
        assert_eq!(shop.check_number, None);
        assert_eq!(shop.source, "Ntry 1");
        let salary = &s.lines[1];
        assert_eq!(salary.amount, dec("2000.00"));
        assert_eq!(salary.date, NaiveDate::from_ymd_opt(2024, 1, 30).expect("date"));
        assert_eq!(salary.payee.as_deref(), Some("ACME GmbH"));
        assert_eq!(salary.description.as_deref(), Some("Gehalt Januar"));
        assert_eq!(salary.check_number.as_deref(), Some("SAL-1"));
        assert_eq!(salary.source, "Ntry 3");
    }

    #[test]
    fn a_bad_amount_names_the_entry() {
        let broken = V02.replace("<Amt Ccy=\"EUR\">23.45</Amt>", "<Amt Ccy=\"EUR\">23,4x</Amt>");
        let error = Camt053.parse(broken.as_bytes()).expect_err("refused");
        assert_eq!(error.at, "Stmt 1/Ntry 1/Amt");
        assert_eq!(error.message, "\"23,4x\" is not an amount");
    }

    #[test]
    fn a_bad_sign_names_the_entry() {
        let broken = V02.replace(
            "<CdtDbtInd>CRDT</CdtDbtInd><Sts>BOOK",
            "<CdtDbtInd>CRED</CdtDbtInd><Sts>BOOK",
        );
        let error = Camt053.parse(broken.as_bytes()).expect_err("refused");
        assert_eq!(error.at, "Stmt 1/Ntry 3/CdtDbtInd");
    }

    #[test]
    fn a_doctype_is_refused() {
        let bomb = V02.replace(
            "<Document",
            "<!DOCTYPE d [<!ENTITY a \"aaaaaaaaaa\"><!ENTITY b \"&a;&a;&a;&a;&a;&a;\">]><Document",
        );
        let error = Camt053.parse(bomb.as_bytes()).expect_err("refused");
        assert_eq!(error.at, "line 2");
        assert!(error.message.contains("DOCTYPE"), "{error}");
    }

    #[test]
    fn deep_nesting_is_refused() {
        let deep = format!("<Document>{}{}</Document>", "<a>".repeat(1000), "</a>".repeat(1000));
        let error = Camt053.parse(deep.as_bytes()).expect_err("refused");
        assert!(error.message.contains("nested"), "{error}");
    }

    #[test]
    fn a_cut_file_is_refused() {
        let cut = &V02[..V02.find("<Ntry><Amt Ccy=\"EUR\">5.00").expect("there")];
        let error = Camt053.parse(cut.as_bytes()).expect_err("refused");
        assert_eq!(error.at, "Document/BkToCstmrStmt/Stmt");
    }

    #[test]
    fn newer_versions_name_parties_under_pty() {
        let v08 = V02
            .replace("camt.053.001.02", "camt.053.001.08")
            .replace(
                "<Cdtr><Nm>REWE Markt &amp; Co</Nm></Cdtr>",
                "<Cdtr><Pty><Nm>REWE</Nm></Pty></Cdtr>",
            )
            .replace("<Sts>BOOK</Sts>", "<Sts><Cd>BOOK</Cd></Sts>");
        let statements = Camt053.parse(v08.as_bytes()).expect("parses");
        assert_eq!(statements[0].lines[0].payee.as_deref(), Some("REWE"));
        assert_eq!(statements[0].lines.len(), 2);
    }
}
