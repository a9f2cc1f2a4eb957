//! OFX statements: 1.x (SGML, whose leaf elements have no closing tags, in the charset its
//! header names), 2.x (XML) and QFX (OFX with Intuit's extra elements, which are ignored). Bank
//! (`STMTRS`) and credit card (`CCSTMTRS`) statements are read, each into one [`Statement`];
//! investment statements are not.

use chrono::NaiveDate;
use rust_decimal::Decimal;

use super::statement::{AccountRef, Balance, ImportError, Importer, Statement, StatementLine};
use crate::money::Currency;

/// Reads OFX 1.x, 2.x and QFX files.
pub struct Ofx;

impl Importer for Ofx {
    fn parse(&self, bytes: &[u8]) -> Result<Vec<Statement>, ImportError> {
        let text = decode(bytes);
        let root = parse_tree(&text)?;
        read_statements(&root)
    }
}

/// An element of the file: a leaf has a value, an aggregate children.
#[derive(Debug)]
struct Node {
    name: String,
    line: usize,
    value: Option<String>,
    children: Vec<Node>,
}

impl Node {
    fn child(&self, name: &str) -> Option<&Node> {
        self.children.iter().find(|c| c.name == name)
    }

    /// A leaf child's value, trimmed; an empty one is none (some banks write `<FITID></FITID>`).
    fn text(&self, name: &str) -> Option<&str> {
        self.child(name).and_then(|c| c.value.as_deref()).map(str::trim).filter(|v| !v.is_empty())
    }

    /// Every element of that name below this one, in file order.
    fn descendants<'a>(&'a self, name: &str, into: &mut Vec<&'a Node>) {
        for child in &self.children {
            if child.name == name {
                into.push(child);
            } else {
                child.descendants(name, into);
            }
        }
    }
}

/// The file as text: OFX 1.x names its charset in the header (`CHARSET:1252`), 2.x in the XML
/// declaration; a file that says UTF-8 but is not is read as windows-1252, which is what such
/// files turn out to be.
fn decode(bytes: &[u8]) -> String {
    let head = String::from_utf8_lossy(&bytes[..bytes.len().min(1024)]).to_ascii_uppercase();
    let header = |key: &str| {
        head.lines()
            .find_map(|l| l.trim().strip_prefix(key).map(|v| v.trim().to_owned()))
            .filter(|v| !v.is_empty())
    };
    let declared = xml_encoding(&head).or_else(|| {
        let charset = header("CHARSET:");
        match (header("ENCODING:").as_deref(), charset.as_deref()) {
            (Some("UTF-8" | "UNICODE"), _) => Some("UTF-8".to_owned()),
            (_, Some(c)) if c.chars().all(|c| c.is_ascii_digit()) => Some(format!("windows-{c}")),
            (_, Some("NONE")) | (_, None) => None,
            (_, Some(c)) => Some(c.to_owned()),
        }
    });
    let encoding = declared
        .and_then(|label| encoding_rs::Encoding::for_label(label.as_bytes()))
        .unwrap_or(encoding_rs::WINDOWS_1252);
    if encoding == encoding_rs::UTF_8 || bytes.starts_with(b"\xEF\xBB\xBF") {
        if let Ok(text) = std::str::from_utf8(bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes))
        {
            return text.to_owned();
        }
        return encoding_rs::WINDOWS_1252.decode(bytes).0.into_owned();
    }
    encoding.decode(bytes).0.into_owned()
}

fn xml_encoding(head: &str) -> Option<String> {
    let decl = &head[head.find("<?XML")?..];
    let decl = &decl[..decl.find("?>")?];
    let after = &decl[decl.find("ENCODING=")? + "ENCODING=".len()..];
    let quote = after.chars().next()?;
    let rest = &after[quote.len_utf8()..];
    Some(rest[..rest.find(quote)?].to_owned())
}

enum Token {
    Open(String),
    Close(String),
    Text(String),
}

/// The element tree. SGML leaves end at the next tag (a closing tag right after them is taken
/// as theirs); aggregates end at their closing tag, which also closes any leaf-like elements
/// left open inside. A file that ends inside an aggregate was cut short.
fn parse_tree(text: &str) -> Result<Node, ImportError> {
    let tokens = tokenize(text)?;
    let mut stack = vec![Node { name: String::new(), line: 1, value: None, children: Vec::new() }];
    let mut at = 0;
    while at < tokens.len() {
        let (line, token) = &tokens[at];
        at += 1;
        match token {
            Token::Open(name) => {
                let value = match tokens.get(at) {
                    Some((_, Token::Text(value))) => {
                        at += 1;
                        Some(value.clone())
                    }
                    // `<NAME></NAME>`: an empty leaf.
                    Some((_, Token::Close(close))) if close == name => Some(String::new()),
                    _ => None,
                };
                match value {
                    Some(value) => {
                        if matches!(tokens.get(at), Some((_, Token::Close(close))) if close == name)
                        {
                            at += 1;
                        }
                        let leaf = Node {
                            name: name.clone(),
                            line: *line,
                            value: Some(value),
                            children: Vec::new(),
                        };
                        if let Some(parent) = stack.last_mut() {
                            parent.children.push(leaf);
                        }
                    }
                    None => {
                        if stack.len() > MAX_DEPTH {
                            return Err(ImportError::new(
                                format!("line {line}"),
                                format!("{name} is nested more than {MAX_DEPTH} deep"),
                            ));
                        }
                        stack.push(Node {
                            name: name.clone(),
                            line: *line,
                            value: None,
                            children: Vec::new(),
                        });
                    }
                }
            }
            Token::Close(name) => {
                // A closing tag for no open aggregate (a leaf's, after text and spaces) says nothing.
                if stack.iter().skip(1).any(|n| &n.name == name) {
                    while let Some(mut node) = stack.pop() {
                        let done = &node.name == name;
                        let Some(parent) = stack.last_mut() else { break };
                        if done {
                            parent.children.push(node);
                            break;
                        }
                        // Never closed, so an SGML leaf left empty (`<NAME><MEMO>x`): what
                        // followed it is its parent's.
                        let followers = std::mem::take(&mut node.children);
                        node.value = Some(String::new());
                        parent.children.push(node);
                        parent.children.extend(followers);
                    }
                }
            }
            Token::Text(_) => {}
        }
    }
    if stack.len() > 1 {
        let open = &stack[stack.len() - 1];
        return Err(ImportError::new(
            format!("line {}", open.line),
            format!("the file ends inside {} (cut short?)", open.name),
        ));
    }
    stack.pop().ok_or_else(|| ImportError::new("file", "empty"))
}

const MAX_DEPTH: usize = 64;

/// Tags and their text, each with the line it starts on; the OFX 1.x header, processing
/// instructions, comments and declarations are skipped. Text is trimmed, its entities
/// decoded; whitespace-only text is dropped.
fn tokenize(text: &str) -> Result<Vec<(usize, Token)>, ImportError> {
    let mut tokens = Vec::new();
    let mut line = 1;
    let mut rest = text;
    // The 1.x header (`OFXHEADER:100` ... up to the first tag) is not markup.
    if let Some(first) = rest.find('<') {
        line += rest[..first].matches('\n').count();
        rest = &rest[first..];
    }
    while !rest.is_empty() {
        if let Some(body) = rest.strip_prefix("<![CDATA[") {
            let end = body.find("]]>").ok_or_else(|| {
                ImportError::new(format!("line {line}"), "the file ends inside a CDATA section")
            })?;
            push_text(&mut tokens, line, body[..end].trim().to_owned());
            line += body[..end].matches('\n').count();
            rest = &body[end + 3..];
        } else if let Some(body) = rest.strip_prefix("<!--") {
            let end = body.find("-->").map_or(body.len(), |e| e + 3);
            line += body[..end].matches('\n').count();
            rest = &body[end..];
        } else if rest.starts_with("<?") || rest.starts_with("<!") {
            // Processing instructions and declarations: nothing of a statement, and no entity
            // declared in one is ever expanded here.
            let end = rest.find('>').map_or(rest.len(), |e| e + 1);
            line += rest[..end].matches('\n').count();
            rest = &rest[end..];
        } else if let Some(body) = rest.strip_prefix('<') {
            let end = body.find('>').ok_or_else(|| {
                ImportError::new(format!("line {line}"), "the file ends inside a tag (cut short?)")
            })?;
            let tag = body[..end].trim();
            let (closing, name) = match tag.strip_prefix('/') {
                Some(name) => (true, name.trim()),
                None => (false, tag.split_whitespace().next().unwrap_or("")),
            };
            let name = name.trim_end_matches('/').to_ascii_uppercase();
            if name.is_empty() {
                return Err(ImportError::new(format!("line {line}"), "a tag without a name"));
            }
            tokens.push((line, if closing { Token::Close(name) } else { Token::Open(name) }));
            line += body[..end].matches('\n').count();
            rest = &body[end + 1..];
        } else {
            let end = rest.find('<').unwrap_or(rest.len());
            let raw = &rest[..end];
            let leading = raw.len() - raw.trim_start().len();
            push_text(
                &mut tokens,
                line + raw[..leading].matches('\n').count(),
                decode_entities(raw.trim()),
            );
            line += raw.matches('\n').count();
            rest = &rest[end..];
        }
    }
    Ok(tokens)
}

fn push_text(tokens: &mut Vec<(usize, Token)>, line: usize, text: String) {
    if text.is_empty() {
        return;
    }
    // Text split by a CDATA section or a comment is one value.
    if let Some((_, Token::Text(previous))) = tokens.last_mut() {
        previous.push_str(&text);
    } else {
        tokens.push((line, Token::Text(text)));
    }
}

/// `&amp;` and the other XML entities, and `&#233;` / `&#xE9;`; an `&` that starts none of
/// them is kept as written (SGML files have `AT&T` unescaped).
fn decode_entities(text: &str) -> String {
    if !text.contains('&') {
        return text.to_owned();
    }
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(amp) = rest.find('&') {
        out.push_str(&rest[..amp]);
        rest = &rest[amp..];
        let entity = rest[1..].find(';').filter(|end| *end <= 10).map(|end| &rest[1..=end]);
        let decoded = entity.and_then(|name| match name {
            "amp" => Some('&'),
            "lt" => Some('<'),
            "gt" => Some('>'),
            "quot" => Some('"'),
            "apos" => Some('\''),
            "nbsp" => Some(' '),
            _ => {
                let number = name.strip_prefix('#')?;
                let code = match number.strip_prefix(['x', 'X']) {
                    Some(hex) => u32::from_str_radix(hex, 16).ok()?,
                    None => number.parse().ok()?,
                };
                char::from_u32(code)
            }
        });
        match (entity, decoded) {
            (Some(name), Some(c)) => {
                out.push(c);
                rest = &rest[name.len() + 2..];
            }
            _ => {
                out.push('&');
                rest = &rest[1..];
            }
        }
    }
    out.push_str(rest);
    out
}

fn read_statements(root: &Node) -> Result<Vec<Statement>, ImportError> {
    let mut found = Vec::new();
    collect_statements(root, &mut found);
    let mut statements = Vec::with_capacity(found.len());
    let mut counter = 0;
    for node in found {
        statements.push(read_statement(node, &mut counter)?);
    }
    if statements.is_empty() {
        return Err(no_statement(root));
    }
    Ok(statements)
}

fn collect_statements<'a>(node: &'a Node, into: &mut Vec<&'a Node>) {
    for child in &node.children {
        if child.name == "STMTRS" || child.name == "CCSTMTRS" {
            into.push(child);
        } else {
            collect_statements(child, into);
        }
    }
}

/// Why a file holds no statement, as precisely as the file says.
fn no_statement(root: &Node) -> ImportError {
    let mut statuses = Vec::new();
    // A refused sign-on (a wrong password) first, then a statement request the bank refused.
    for wrapper in ["SONRS", "STMTTRNRS", "CCSTMTTRNRS"] {
        root.descendants(wrapper, &mut statuses);
    }
    for wrapper in statuses {
        if let Some(status) = wrapper.child("STATUS")
            && status.text("SEVERITY") == Some("ERROR")
        {
            return ImportError::new(
                format!("line {}", status.line),
                format!(
                    "the bank answered with an error instead of a statement: {} (code {})",
                    status.text("MESSAGE").unwrap_or("no message"),
                    status.text("CODE").unwrap_or("none"),
                ),
            );
        }
    }
    let mut investments = Vec::new();
    root.descendants("INVSTMTRS", &mut investments);
    if let Some(investment) = investments.first() {
        return ImportError::new(
            format!("line {}", investment.line),
            "an investment statement (INVSTMTRS): only bank and credit card statements are imported",
        );
    }
    ImportError::new("file", "no bank or credit card statement (STMTRS or CCSTMTRS) in the file")
}

fn read_statement(node: &Node, counter: &mut usize) -> Result<Statement, ImportError> {
    let currency = match node.child("CURDEF") {
        Some(curdef) => currency(curdef, "CURDEF")?,
        None => None,
    };
    let account = match (node.child("BANKACCTFROM"), node.child("CCACCTFROM")) {
        (Some(bank), _) => AccountRef {
            bank_id: bank.text("BANKID").map(str::to_owned),
            account_id: bank.text("ACCTID").map(str::to_owned),
            kind: bank.text("ACCTTYPE").map(str::to_ascii_uppercase),
        },
        (None, Some(card)) => AccountRef {
            bank_id: None,
            account_id: card.text("ACCTID").map(str::to_owned),
            kind: Some("CREDITCARD".to_owned()),
        },
        (None, None) => AccountRef::default(),
    };
    let mut lines = Vec::new();
    if let Some(list) = node.child("BANKTRANLIST") {
        for transaction in list.children.iter().filter(|c| c.name == "STMTTRN") {
            *counter += 1;
            lines.push(read_line(transaction, *counter, currency)?);
        }
    }
    let closing_balance = match node.child("LEDGERBAL") {
        Some(ledger) => balance(ledger)?,
        None => None,
    };
    Ok(Statement { account, currency, lines, opening_balance: None, closing_balance })
}

fn read_line(
    node: &Node,
    number: usize,
    statement_currency: Option<Currency>,
) -> Result<StatementLine, ImportError> {
    let missing = |name: &str| {
        ImportError::new(format!("line {}", node.line), format!("STMTTRN {number} has no {name}"))
    };
    let posted = node.child("DTPOSTED").ok_or_else(|| missing("DTPOSTED"))?;
    let date = date(posted)?.ok_or_else(|| missing("DTPOSTED"))?;
    let amount_node = node.child("TRNAMT").ok_or_else(|| missing("TRNAMT"))?;
    let amount = amount(amount_node)?.ok_or_else(|| missing("TRNAMT"))?;
    let payee = node.text("NAME").or_else(|| node.child("PAYEE").and_then(|p| p.text("NAME")));
    // `CURRENCY`: the amount is in that currency. `ORIGCURRENCY`: the amount is already in
    // the statement's, converted from that one, so the line's currency stays the statement's.
    let currency = match node.child("CURRENCY").and_then(|c| c.child("CURSYM")) {
        Some(symbol) => {
            currency(symbol, "CURRENCY/CURSYM")?.filter(|c| Some(*c) != statement_currency)
        }
        None => None,
    };
    Ok(StatementLine {
        date,
        amount,
        currency,
        payee: payee.map(str::to_owned),
        description: node.text("MEMO").map(str::to_owned),
        reference: node.text("FITID").map(str::to_owned),
        // Banks write 0 (or 0000) for "no check".
        check_number: node
            .text("CHECKNUM")
            .filter(|n| !n.chars().all(|c| c == '0'))
            .map(str::to_owned),
        source: format!("STMTTRN {number}, line {}", node.line),
    })
}

fn value(node: &Node) -> Option<&str> {
    node.value.as_deref().map(str::trim).filter(|v| !v.is_empty())
}

fn currency(node: &Node, name: &str) -> Result<Option<Currency>, ImportError> {
    value(node)
        .map(|code| {
            Currency::parse(code).map_err(|_| {
                ImportError::new(
                    format!("line {}", node.line),
                    format!("{name} {code:?} is not a currency"),
                )
            })
        })
        .transpose()
}

/// An OFX amount: `-12.50`, `+0000012.5000`, and `-12,50` as some banks write it. OFX has no
/// thousands separators and no currency symbols, so anything else is refused.
fn amount(node: &Node) -> Result<Option<Decimal>, ImportError> {
    let Some(text) = value(node) else { return Ok(None) };
    let not_an_amount = || {
        ImportError::new(
            format!("line {}", node.line),
            format!("{} {text:?} is not an amount", node.name),
        )
    };
    let unsigned = text.strip_prefix(['-', '+']).unwrap_or(text);
    let well_formed = unsigned.chars().all(|c| c.is_ascii_digit() || matches!(c, '.' | ','))
        && unsigned.chars().any(|c| c.is_ascii_digit())
        && unsigned.chars().filter(|c| matches!(c, '.' | ',')).count() <= 1;
    if !well_formed {
        return Err(not_an_amount());
    }
    let amount: Decimal =
        text.replace(',', ".").trim_start_matches('+').parse().map_err(|_| not_an_amount())?;
    Ok(Some(amount))
}

/// An OFX date or datetime (`20240105`, `20240105120000.000[-5:EST]`) as the date the bank
/// wrote: its time and zone are dropped, not converted.
fn date(node: &Node) -> Result<Option<NaiveDate>, ImportError> {
    let Some(text) = value(node) else { return Ok(None) };
    text.get(..8)
        .filter(|d| d.bytes().all(|b| b.is_ascii_digit()))
        .and_then(|d| NaiveDate::parse_from_str(d, "%Y%m%d").ok())
        .map(Some)
        .ok_or_else(|| {
            ImportError::new(
                format!("line {}", node.line),
                format!("{} {text:?} is not a date", node.name),
            )
        })
}

/// `LEDGERBAL`: an empty `BALAMT` (some banks send one) is no balance.
fn balance(node: &Node) -> Result<Option<Balance>, ImportError> {
    let Some(amount) = node.child("BALAMT").map(amount).transpose()?.flatten() else {
        return Ok(None);
    };
    let date = node.child("DTASOF").map(date).transpose()?.flatten();
    Ok(date.map(|date| Balance { amount, date }))
}

#[cfg(test)]
mod tests {
    use std::str::FromStr;

    use super::*;

    fn dec(text: &str) -> Decimal {
        Decimal::from_str(text).expect("a decimal")
    }

    const SGML: &str = "OFXHEADER:100\r\nDATA:OFXSGML\r\nVERSION:102\r\nENCODING:USASCII\r\nCHARSET:1252\r\n\r\n\
<OFX>\r\n<BANKMSGSRSV1><STMTTRNRS><STMTRS><CURDEF>EUR\r\n\
<BANKACCTFROM><BANKID>12345<ACCTID>DE001<ACCTTYPE>CHECKING</BANKACCTFROM>\r\n\
<BANKTRANLIST>\r\n\
<STMTTRN><TRNTYPE>DEBIT<DTPOSTED>20240105120000.000[-5:EST]<TRNAMT>-12,50<FITID>A1\r\n\
<NAME>Caf\u{e9} M&amp;M<MEMO>AT&T bill<CHECKNUM>0</STMTTRN>\r\n\
<STMTTRN><TRNTYPE>CREDIT<DTPOSTED>20240106<TRNAMT>1000,00<FITID>A2<PAYEE><NAME>Employer</PAYEE>\r\n\
<CURRENCY><CURRATE>1.1<CURSYM>USD</CURRENCY></STMTTRN>\r\n\
</BANKTRANLIST><LEDGERBAL><BALAMT>987.50<DTASOF>20240107</LEDGERBAL></STMTRS></STMTTRNRS></BANKMSGSRSV1></OFX>\r\n";

    fn sgml_bytes(text: &str) -> Vec<u8> {
        // The test text's `é` stands for the single windows-1252 byte a bank's file has.
        encoding_rs::WINDOWS_1252.encode(text).0.into_owned()
    }

    #[test]
    fn an_sgml_file_in_windows_1252_is_read() {
        let statements = Ofx.parse(&sgml_bytes(SGML)).expect("parses");
        assert_eq!(statements.len(), 1);
        let s = &statements[0];
        assert_eq!(s.currency, Currency::parse("EUR").ok());
        assert_eq!(s.account.bank_id.as_deref(), Some("12345"));
        assert_eq!(s.account.kind.as_deref(), Some("CHECKING"));
        assert_eq!(s.lines.len(), 2);
        let first = &s.lines[0];
        assert_eq!(first.date, NaiveDate::from_ymd_opt(2024, 1, 5).expect("date"));
        assert_eq!(first.amount, dec("-12.50"));
        assert_eq!(first.payee.as_deref(), Some("Café M&M"));
        assert_eq!(first.description.as_deref(), Some("AT&T bill"));
        assert_eq!(first.check_number, None);
        assert_eq!(first.source, "STMTTRN 1, line 11");
        let second = &s.lines[1];
        assert_eq!(second.amount, dec("1000.00"));
        assert_eq!(second.payee.as_deref(), Some("Employer"));
        assert_eq!(second.currency, Currency::parse("USD").ok());
        let closing = s.closing_balance.expect("a balance");
        assert_eq!(closing.amount, dec("987.50"));
    }

    #[test]
    fn a_bad_amount_names_its_line() {
        let broken = SGML.replace("-12,50", "12,3x");
        let error = Ofx.parse(&sgml_bytes(&broken)).expect_err("refused");
        assert_eq!(error.at, "line 11");
        assert_eq!(error.message, "TRNAMT \"12,3x\" is not an amount");
    }

    #[test]
    fn a_bad_date_names_its_line() {
        let broken = SGML.replace("20240106", "20241306");
        let error = Ofx.parse(&sgml_bytes(&broken)).expect_err("refused");
        assert_eq!(error.at, "line 13");
        assert!(error.message.contains("DTPOSTED \"20241306\" is not a date"), "{error}");
    }

    #[test]
    fn a_cut_file_is_refused() {
        let cut = &SGML[..SGML.find("<STMTTRN><TRNTYPE>CREDIT").expect("there")];
        let error = Ofx.parse(&sgml_bytes(cut)).expect_err("refused");
        assert!(error.message.contains("ends inside"), "{error}");
    }

    #[test]
    fn a_file_without_a_statement_is_an_error() {
        let error = Ofx.parse(b"OFXHEADER:100\n\n<OFX></OFX>").expect_err("refused");
        assert!(error.message.contains("no bank or credit card statement"), "{error}");
    }

    #[test]
    fn an_xml_declaration_names_the_encoding() {
        let file = "<?xml version=\"1.0\" encoding=\"ISO-8859-1\"?><?OFX OFXHEADER=\"200\"?>\
<OFX><CREDITCARDMSGSRSV1><CCSTMTTRNRS><CCSTMTRS><CURDEF>GBP</CURDEF><CCACCTFROM><ACCTID>4111</ACCTID></CCACCTFROM>\
<BANKTRANLIST><STMTTRN><DTPOSTED>20240301</DTPOSTED><TRNAMT>-1.00</TRNAMT><NAME>Caf\u{e9}</NAME></STMTTRN></BANKTRANLIST>\
</CCSTMTRS></CCSTMTTRNRS></CREDITCARDMSGSRSV1></OFX>";
        let statements = Ofx.parse(&sgml_bytes(file)).expect("parses");
        assert_eq!(statements[0].account.kind.as_deref(), Some("CREDITCARD"));
        assert_eq!(statements[0].lines[0].payee.as_deref(), Some("Café"));
        assert_eq!(statements[0].closing_balance, None);
    }
}
