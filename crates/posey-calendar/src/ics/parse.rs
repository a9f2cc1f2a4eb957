//! Reading iCalendar text into components: physical lines unfolded into content lines
//! (RFC 5545 3.1), each split into name, parameters and value, BEGIN/END nesting them. One pass,
//! every limit checked before the work it bounds.

use super::values::shown;
use super::{Component, IcsError, Limits, Param, Property};

/// The top-level components of `text` (normally one or more `VCALENDAR`s), values kept as
/// written. Errors name the physical line where the offending content line starts.
pub fn parse(text: &str, limits: &Limits) -> Result<Vec<Component>, IcsError> {
    // Before any work, so a huge body costs nothing beyond having been received.
    if text.len() > limits.max_bytes {
        return Err(IcsError {
            line: 0,
            message: format!("the text is more than {} bytes", limits.max_bytes),
        });
    }
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut reader = Reader::new(limits);
    // The content line being unfolded and the physical line it starts on.
    let mut logical = String::new();
    let mut start = 0;
    for (index, physical) in text.split('\n').enumerate() {
        let number = index + 1;
        let physical = physical.strip_suffix('\r').unwrap_or(physical);
        if let Some(rest) = physical.strip_prefix([' ', '\t']) {
            if start == 0 {
                // Stray whitespace before the first line is as good as blank.
                if rest.trim().is_empty() {
                    continue;
                }
                return Err(error(number, "a folded line continues nothing: no line before it"));
            }
            if logical.len() + rest.len() > limits.max_line {
                return Err(too_long(start, limits));
            }
            logical.push_str(rest);
        } else if !physical.is_empty() {
            if start != 0 {
                reader.line(&logical, start)?;
            }
            if physical.len() > limits.max_line {
                return Err(too_long(number, limits));
            }
            logical.clear();
            logical.push_str(physical);
            start = number;
        }
    }
    if start != 0 {
        reader.line(&logical, start)?;
    }
    reader.finish()
}

/// The components being read, innermost last, and what has been spent of the limits.
struct Reader<'a> {
    limits: &'a Limits,
    /// Open components with the line of their BEGIN.
    open: Vec<(Component, usize)>,
    done: Vec<Component>,
    components: usize,
    properties: usize,
}

impl<'a> Reader<'a> {
    fn new(limits: &'a Limits) -> Self {
        Self { limits, open: Vec::new(), done: Vec::new(), components: 0, properties: 0 }
    }

    /// Takes one unfolded content line that starts on physical line `at`.
    fn line(&mut self, line: &str, at: usize) -> Result<(), IcsError> {
        let property = content_line(line).map_err(|message| error(at, message))?;
        match property.name.as_str() {
            "BEGIN" => self.begin(&property.value, at),
            "END" => self.end(&property.value, at),
            _ => {
                let Some((current, _)) = self.open.last_mut() else {
                    return Err(error(
                        at,
                        format!("{} is outside any component (BEGIN:... first)", property.name),
                    ));
                };
                self.properties += 1;
                if self.properties > self.limits.max_properties {
                    return Err(error(
                        at,
                        format!("the file has more than {} properties", self.limits.max_properties),
                    ));
                }
                current.properties.push(property);
                Ok(())
            }
        }
    }

    fn begin(&mut self, name: &str, at: usize) -> Result<(), IcsError> {
        let name = component_name(name, "BEGIN").map_err(|message| error(at, message))?;
        if self.open.len() >= self.limits.max_depth {
            return Err(error(
                at,
                format!("components nest deeper than {}", self.limits.max_depth),
            ));
        }
        self.components += 1;
        if self.components > self.limits.max_components {
            return Err(error(
                at,
                format!("the file has more than {} components", self.limits.max_components),
            ));
        }
        self.open.push((Component::new(&name), at));
        Ok(())
    }

    fn end(&mut self, name: &str, at: usize) -> Result<(), IcsError> {
        let name = component_name(name, "END").map_err(|message| error(at, message))?;
        let Some((component, begun)) = self.open.pop() else {
            return Err(error(at, format!("END:{name} closes nothing: no component is open")));
        };
        if component.name != name {
            return Err(error(
                at,
                format!("END:{name} does not match BEGIN:{} of line {begun}", component.name),
            ));
        }
        match self.open.last_mut() {
            Some((parent, _)) => parent.components.push(component),
            None => self.done.push(component),
        }
        Ok(())
    }

    fn finish(self) -> Result<Vec<Component>, IcsError> {
        // The outermost unclosed one is the one to report: the rest are inside it.
        if let Some((component, begun)) = self.open.first() {
            return Err(error(
                *begun,
                format!("BEGIN:{0} is never closed by END:{0}", component.name),
            ));
        }
        Ok(self.done)
    }
}

fn error(line: usize, message: impl Into<String>) -> IcsError {
    IcsError { line, message: message.into() }
}

fn too_long(line: usize, limits: &Limits) -> IcsError {
    error(line, format!("a content line is longer than {} bytes", limits.max_line))
}

/// iana-token and x-name characters.
fn is_name_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '-'
}

/// The value of BEGIN or END, upper-cased.
fn component_name(value: &str, what: &str) -> Result<String, String> {
    if value.is_empty() || !value.chars().all(is_name_char) {
        return Err(format!("{what} needs a component name, not '{}'", shown(value)));
    }
    Ok(value.to_ascii_uppercase())
}

/// `name *(";" param) ":" value`.
fn content_line(line: &str) -> Result<Property, String> {
    let name_end = line.find(|c: char| !is_name_char(c)).unwrap_or(line.len());
    let name = &line[..name_end];
    let mut rest = &line[name_end..];
    let no_colon = || "a content line needs a ':' between its name and value".to_string();
    match rest.chars().next() {
        None => return Err(no_colon()),
        Some(':' | ';') if name.is_empty() => {
            return Err("a content line needs a name before its ':' or ';'".into());
        }
        Some(':' | ';') => {}
        Some(_) if !line.contains(':') => return Err(no_colon()),
        Some(c) => {
            return Err(format!(
                "a property name has only letters, digits and '-', not '{c}' (in '{}')",
                shown(&line[..name_end + c.len_utf8()])
            ));
        }
    }
    let mut property = Property::new(name, String::new());
    while let Some(after) = rest.strip_prefix(';') {
        let (param, after) = param(after, &property.name)?;
        property.params.push(param);
        rest = after;
    }
    match rest.strip_prefix(':') {
        Some(value) => property.value = value.to_string(),
        None => return Err(no_colon()),
    }
    Ok(property)
}

/// One `NAME=value,"quoted value"` after a ';'; returns it and the text after it.
fn param<'a>(text: &'a str, property: &str) -> Result<(Param, &'a str), String> {
    let name_end = text.find(|c: char| !is_name_char(c)).unwrap_or(text.len());
    let name = &text[..name_end];
    if name.is_empty() {
        return Err(format!("a parameter of {property} has no name"));
    }
    let Some(mut rest) = text[name_end..].strip_prefix('=') else {
        return Err(format!("parameter {name} of {property} needs '=' and a value"));
    };
    let mut values = Vec::new();
    loop {
        if let Some(quoted) = rest.strip_prefix('"') {
            let Some(close) = quoted.find('"') else {
                return Err(format!("a quoted value of parameter {name} has no closing '\"'"));
            };
            values.push(caret_decode(&quoted[..close]));
            rest = &quoted[close + 1..];
            if !rest.starts_with([',', ';', ':']) {
                return Err(format!(
                    "a quoted value of parameter {name} is followed by text, not ',' ';' or ':'"
                ));
            }
        } else {
            let end = rest.find([',', ';', ':', '"']).unwrap_or(rest.len());
            if rest[end..].starts_with('"') {
                return Err(format!("parameter {name} has a '\"' inside an unquoted value"));
            }
            values.push(caret_decode(&rest[..end]));
            rest = &rest[end..];
        }
        match rest.strip_prefix(',') {
            Some(next) => rest = next,
            None => break,
        }
    }
    Ok((Param { name: name.to_ascii_uppercase(), values }, rest))
}

/// RFC 6868: `^n` a newline, `^^` a caret, `^'` a double quote; any other caret stays.
fn caret_decode(text: &str) -> String {
    if !text.contains('^') {
        return text.to_string();
    }
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        if c != '^' {
            out.push(c);
            continue;
        }
        match chars.clone().next() {
            Some('n') => out.push('\n'),
            Some('^') => out.push('^'),
            Some('\'') => out.push('"'),
            _ => {
                out.push('^');
                continue;
            }
        }
        chars.next();
    }
    out
}

#[cfg(test)]
mod tests;
